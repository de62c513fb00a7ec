import {RATE_WINDOW_MS} from './store/store.js';

/** The headers of one answer of the limiter (IETF RateLimit header fields, draft 7 names). */
export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

/**
 * A fixed one-minute window per token: cheap, predictable, and easy to explain to a team
 * writing a client. The store counts (rateLimits.hit), so that every instance on one database
 * counts into the same window; this turns a count into the answer.
 */
export function rateLimitVerdict(limit: number, window: {count: number; windowStart: number}, at: number): RateLimitVerdict {
  const reset = Math.max(1, Math.ceil((window.windowStart + RATE_WINDOW_MS - at) / 1000));
  const allowed = window.count <= limit;
  const headers: Record<string, string> = {
    'ratelimit-limit': String(limit),
    'ratelimit-remaining': String(Math.max(0, limit - window.count)),
    'ratelimit-reset': String(reset),
    'ratelimit-policy': `${limit};w=${RATE_WINDOW_MS / 1000}`,
  };
  if (!allowed) headers['retry-after'] = String(reset);
  return {allowed, headers};
}
