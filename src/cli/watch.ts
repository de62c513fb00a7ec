import type {OutputStream} from './io.js';
import {shown, writeText, type Shown} from './shown.js';

/**
 * Redraws a screen every few seconds until Ctrl-C, like watch(1). Only for a terminal: piped
 * output would grow without end and a script would never finish, so callers refuse --watch
 * without one.
 */
export interface WatchOptions {
  intervalMs: number;
  stdout: OutputStream;
  /** Builds the next screen; an error ends the watch and propagates. */
  draw: () => Promise<Shown>;
}

export async function watch(options: WatchOptions): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      const screen = await options.draw();
      // Cursor home, clear the screen, then the new screen.
      writeText(options.stdout, shown`\u001B[H\u001B[2J${screen}`);
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
