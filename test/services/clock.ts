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
