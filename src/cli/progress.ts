import {neutralise} from '../domain/neutralise.js';
import type {RetryEvent} from '../domain/retry.js';
import {formatBytes} from '../domain/ticket.js';
import type {OutputStream} from './io.js';

export interface Progress {
  update(done: number, total: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
  /** Clears the bar's line, e.g. to print a message; the next update draws it again. */
  stop(): void;
}

const SILENT: Progress = {update: () => {}, done: () => {}, stop: () => {}};

/*
 * Our own bars rather than cli-progress (3.12): it draws from a timer of its own, so a bar can be
 * redrawn after its line was cleared for a message (a retry note) unless it is stopped and started
 * around each one; an upload that starts again after a retry needs the bar drawn back at 0 at once,
 * not at the next tick; bulk's time left comes from the engine's own rate with its pacing pauses,
 * not from a buffer of recent updates; and it measures with string-width 4. Drawing is the small
 * part of this file.
 */

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Only on a terminal:
 * piped or under --json it draws nothing, so logs and scripts never see carriage returns.
 */
export function progressBar(label: string, options: {enabled: boolean; stream: OutputStream; unit?: 'bytes' | 'items'}): Progress {
  const {stream} = options;
  if (!options.enabled || !stream.isTTY) return SILENT;
  const format = options.unit === 'items' ? (n: number) => String(n) : formatBytes;
  // The label may name a file: neutralised like any text the CLI did not write.
  const shownLabel = neutralise(label, 'line');
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(done / total, 1) : 0;
    const width = 24;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    stream.write(`\r${shownLabel} ${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${format(done)}/${format(total)}\u001B[K`);
    drawn = true;
  };
  let latest: [number, number] = [0, 0];
  return {
    update(done, total) {
      // Going back (an upload that starts again after a retry) is drawn at once, never left at the old figure.
      const restarted = done < latest[0];
      latest = [done, total];
      const now = Date.now();
      if (now - last < 100 && done < total && !restarted) return;
      last = now;
      draw(done, total);
    },
    done() {
      if (!drawn) return;
      draw(latest[1] || latest[0], latest[1] || latest[0]);
      stream.write('\n');
      drawn = false;
    },
    stop() {
      if (drawn) stream.write('\r\u001B[K');
      drawn = false;
    },
  };
}

/** Bulk work: done, failed, rate and time left on one line, redrawn in place; nothing when stderr is not a terminal. */
export interface ProgressFigures {
  total: number;
  done: number;
  failed: number;
  /** Per second. */
  rate: number;
  etaSeconds?: number;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(p: ProgressFigures, width = 24): string {
  const share = p.total ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(share * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const eta = p.etaSeconds === undefined ? '--' : formatDuration(p.etaSeconds);
  const n = (v: number) => v.toLocaleString('en-US');
  return `${bar} ${n(p.done)}/${n(p.total)} done · ${n(p.failed)} failed · ${p.rate.toFixed(1)}/s · ${eta} left`;
}

export class ItemProgressBar {
  private shown = false;

  constructor(private readonly stream: OutputStream) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  update(p: ProgressFigures): void {
    if (!this.enabled) return;
    this.stream.write(`\r\u001B[2K${progressLine(p)}`);
    this.shown = true;
  }

  /** Clears the line so that the summary starts on a clean one. */
  clear(): void {
    if (this.shown) this.stream.write('\r\u001B[2K');
    this.shown = false;
  }
}

/** One line on stderr when an upload is sent again: which attempt failed, why, and when the next begins. */
export function uploadRetryNote(what: string, e: RetryEvent): string {
  const why = e.reason === 'rate-limited' ? `rate limited, ${e.detail}` : e.reason === 'in-progress' ? 'the server is still storing an earlier attempt' : e.detail;
  const when = e.delayMs >= 1000 ? ` in ${Math.round(e.delayMs / 1000)} s` : '';
  return `Upload of ${what}: attempt ${e.attempt} of ${e.maxAttempts} failed (${why}); sending it again from the start${when}, with the same idempotency key.`;
}
