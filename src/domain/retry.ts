/**
 * One logical operation (a create, an attach, a comment, a bulk row's call) has one owner of
 * its retries: the HTTP client of the adapter that sends it. The caller chooses the
 * idempotency key once and passes it down with these options; it may bound the attempts, take
 * over the waiting between them (a pacer shared by many workers) and hear of each retry.
 */

/** Why an attempt is repeated. */
export type RetryReason =
  /** A 429: nothing was done, the server asks to wait. */
  | 'rate-limited'
  /** The network failed, or the server answered 5xx. */
  | 'unavailable'
  /** The server is still working on an earlier attempt with the same idempotency key (409 with Retry-After). */
  | 'in-progress';

export interface RetryEvent {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** Attempts allowed in all, the first included. */
  maxAttempts: number;
  reason: RetryReason;
  /** What went wrong, in a word or two: "ECONNRESET", "503". */
  detail: string;
  /** How long the client waits before the next attempt; 0 when the caller's `pace` decides. */
  delayMs: number;
  /** What the server asked to wait, when it said (Retry-After). */
  retryAfterMs?: number;
}

export interface AttemptControl {
  /** Attempts in all, the first included; default: the HTTP client's policy. */
  maxAttempts?: number;
  /**
   * Waits before each attempt, the first included: a pacer that every worker of a bulk run
   * shares, so that it spaces requests, not only calls (one call may send several). Before a
   * retry it waits in place of the client's own backoff, told of the failure through `onRetry`.
   */
  pace?: () => Promise<void>;
  /** Told before each retry (a progress line, a pacer's bookkeeping). */
  onRetry?: (event: RetryEvent) => void;
}

export interface CallOptions {
  /**
   * One key for every attempt of one logical operation, chosen by the caller. An adapter sends it
   * where its API honours it; a POST sent without one is never repeated after it may have been
   * applied.
   */
  idempotencyKey?: string;
  attempts?: AttemptControl;
}
