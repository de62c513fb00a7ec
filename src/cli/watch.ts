/**
 * Redraws a screen every few seconds until Ctrl-C, like watch(1). Only for a terminal: piped
 * output would grow without end and a script would never finish, so callers refuse --watch
 * without one.
 */
export interface WatchOptions {
  intervalMs: number;
  stdout: NodeJS.WriteStream;
  /** Builds the next screen; an error ends the watch and propagates. */
  draw: () => Promise<string>;
}

const CLEAR = '\u001B[H\u001B[2J';

export async function watch(options: WatchOptions): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      const screen = await options.draw();
      options.stdout.write(`${CLEAR}${screen}\n`);
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.intervalMs)));
      const again = await Promise.race([tick, stopped.then(() => false)]);
      clearTimeout(timer);
      if (!again) return;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
