/** The rate-limit state a backend last reported (RateLimit-* headers), for pacing bulk work. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** Seconds until the window resets. */
  resetSeconds?: number;
  /** The window's length, when only that is known (Zendesk's per-minute X-Rate-Limit has no reset). */
  windowSeconds?: number;
  /** When these figures were read (epoch ms). */
  observedAt: number;
  /** How many 429 answers the backend has had so far in this run, retried or not. */
  throttled: number;
}
