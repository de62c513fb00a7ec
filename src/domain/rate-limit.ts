/** The rate-limit state a backend last reported (its rate-limit headers), for pacing bulk work. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** Seconds until the window resets, when the server says so to the second. */
  resetSeconds?: number;
  /** The latest the window can reset, when the server names only the minute (Jira): a bound, not a time to pace on. */
  resetBySeconds?: number;
  /** The window's length, when it is known (Zendesk's and Freshdesk's per-minute limits; RateLimit-Policy). */
  windowSeconds?: number;
  /** Units of the budget the request used, when it may be more than one (Freshdesk's X-RateLimit-Used-CurrentRequest). */
  cost?: number;
  /** When these figures were read (epoch ms). */
  observedAt: number;
  /** When the request that brought them was sent (epoch ms): requests sent after it are not in `remaining`. */
  sentAt?: number;
  /** How many 429 answers the backend has had so far in this run, retried or not. */
  throttled: number;
}
