import {formatBytes} from '../domain/ticket.js';

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Clears the bar's line. */
  stop(): void;
}

const NONE: ProgressBar = {update() {}, stop() {}};

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second; nothing at all when
 * stderr is not a terminal, so logs and pipes stay clean.
 */
export function createProgressBar(stream: NodeJS.WriteStream, label: string, enabled = Boolean(stream.isTTY)): ProgressBar {
  if (!enabled) return NONE;
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done, total) {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)}\u001B[K`);
      drawn = true;
    },
    stop() {
      if (drawn) stream.write('\r\u001B[K');
      drawn = false;
    },
  };
}
