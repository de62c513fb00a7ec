import {formatBytes} from '../domain/ticket.js';

export interface Progress {
  update(done: number, total: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
  /** Clears the bar's line, e.g. to print a message; the next update draws it again. */
  stop(): void;
}

const SILENT: Progress = {update: () => {}, done: () => {}, stop: () => {}};

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. Only on a terminal:
 * piped or under --json it draws nothing, so logs and scripts never see carriage returns.
 */
export function progressBar(label: string, options: {enabled: boolean; stream?: NodeJS.WriteStream; unit?: 'bytes' | 'items'}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!options.enabled || !stream.isTTY) return SILENT;
  const format = options.unit === 'items' ? (n: number) => String(n) : formatBytes;
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const ratio = total > 0 ? Math.min(done / total, 1) : 0;
    const width = 24;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    stream.write(`\r${label} ${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${format(done)}/${format(total)}\u001B[K`);
    drawn = true;
  };
  let latest: [number, number] = [0, 0];
  return {
    update(done, total) {
      latest = [done, total];
      const now = Date.now();
      if (now - last < 100 && done < total) return;
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
