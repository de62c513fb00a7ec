/** A one-line progress bar on a terminal's stderr, redrawn in place; nothing when stderr is not a terminal. */
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

export class ProgressBar {
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream & {isTTY?: boolean}) {}

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
