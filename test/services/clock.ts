import type {Clock} from '../../src/services/bulk-pacer.js';

/** Virtual time: sleeping moves the clock forward at once, so nothing here waits or depends on the machine's speed. */
export function virtualClock(start = 1_000_000): Clock & {sleeps: number[]} {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      const until = now + ms;
      await new Promise((resolve) => setImmediate(resolve));
      now = Math.max(now, until);
    },
  };
}

/** The most calls in any 60-second window [t, t + 60 s). */
export function busiestMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to]! - sorted[from]! >= 60_000) from++;
    best = Math.max(best, to - from + 1);
  }
  return best;
}

/**
 * Virtual time that keeps order: each sleep ends at its own time, earliest first, and the clock
 * moves only when nothing else can run. For simulations where several callers overlap (a request
 * in flight while others wait), which `virtualClock` would let leap past each other.
 */
export function eventClock(start = 1_000_000): Clock {
  let now = start;
  let seq = 0;
  const timers: {at: number; seq: number; resolve: () => void}[] = [];
  let ticking = false;
  const tick = () => {
    if (ticking) return;
    ticking = true;
    setImmediate(() => {
      ticking = false;
      if (!timers.length) return;
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift()!;
      now = Math.max(now, next.at);
      next.resolve();
      tick();
    });
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        signal?.throwIfAborted();
        timers.push({at: now + Math.max(0, ms), seq: seq++, resolve});
        signal?.addEventListener('abort', () => reject(signal.reason as Error), {once: true});
        tick();
      });
    },
  };
}
