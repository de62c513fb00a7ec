/** The headers of one answer of the limiter (IETF RateLimit header fields, draft 7 names). */
export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

const WINDOW_MS = 60_000;

/**
 * A fixed one-minute window per token: cheap, predictable, and easy to explain to a team
 * writing a client. `limit` 0 switches it off.
 */
export class RateLimiter {
  private readonly windows = new Map<string, {start: number; count: number}>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  take(key: string): RateLimitVerdict {
    const at = this.now();
    let window = this.windows.get(key);
    if (!window || at - window.start >= WINDOW_MS) {
      window = {start: at, count: 0};
      this.windows.set(key, window);
      if (this.windows.size > 10_000) this.prune(at);
    }
    window.count++;
    const reset = Math.max(1, Math.ceil((window.start + WINDOW_MS - at) / 1000));
    const allowed = window.count <= this.limit;
    const headers: Record<string, string> = {
      'ratelimit-limit': String(this.limit),
      'ratelimit-remaining': String(Math.max(0, this.limit - window.count)),
      'ratelimit-reset': String(reset),
      'ratelimit-policy': `${this.limit};w=${WINDOW_MS / 1000}`,
    };
    if (!allowed) headers['retry-after'] = String(reset);
    return {allowed, headers};
  }

  private prune(at: number): void {
    for (const [key, w] of this.windows) if (at - w.start >= WINDOW_MS) this.windows.delete(key);
  }
}
