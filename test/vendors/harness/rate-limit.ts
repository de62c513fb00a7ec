/**
 * A sliding one-minute window, as helpdesks enforce their per-minute limits: at most `perMinute`
 * requests in any 60 seconds. `take` counts a request when there is room and says when there
 * will be room again when there is not.
 */
export class SlidingWindow {
  private readonly times: number[] = [];
  /** Requests refused so far. */
  refused = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(): {allowed: boolean; remaining: number; resetSeconds: number} {
    const now = this.now();
    while (this.times.length && this.times[0]! <= now - 60_000) this.times.shift();
    const allowed = this.times.length < this.perMinute;
    if (allowed) this.times.push(now);
    else this.refused++;
    const oldest = this.times[0] ?? now;
    // Seconds until the oldest request in the window leaves it, and a place frees up.
    const resetSeconds = Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
    return {allowed, remaining: Math.max(0, this.perMinute - this.times.length), resetSeconds};
  }
}
