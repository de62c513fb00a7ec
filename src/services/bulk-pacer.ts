import {setTimeout as delay} from 'node:timers/promises';

import type {AttemptControl, RateLimitInfo} from '../backends/backend.js';
import {RateLimitError, UnavailableError} from '../domain/errors.js';

/** Time as the pacer sees it; tests pass a virtual one so that no assertion rests on the wall clock. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(Math.max(0, Math.ceil(ms)), undefined, signal ? {signal} : undefined),
};

export interface PacerOptions {
  /** The most calls in flight (--concurrency). */
  concurrency: number;
  /** A cap on calls per minute (--rate); never exceeded in any 60-second window. */
  ratePerMinute?: number;
  clock?: Clock;
  /** How long without a rate limit before the pacer speeds up again. */
  quietMs?: number;
  /**
   * Calls the job still has to make, at least, when the caller knows (rows not yet done). When
   * they fit in what is left of the window, there is nothing to spread: the last rows go at once.
   */
  workLeft?: () => number;
}

const MINUTE = 60_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Paces calls to a backend: a concurrency limit that halves on a 429 and grows back by one after
 * each quiet spell; pauses for Retry-After, for an unavailable backend and for an exhausted
 * RateLimit-Remaining; spreads the remaining budget when it runs low; and a GCRA spacing for
 * --rate, whose burst allowance is taken out of the interval so that no 60-second window can
 * hold more than the cap.
 */
export class Pacer {
  readonly clock: Clock;
  readonly max: number;
  /** Calls allowed in flight now: between 1 and max. */
  limit: number;
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  /** No call starts before this (Retry-After, an exhausted window). */
  private pausedUntil = 0;
  /** Nor before this, while the backend is unreachable; the first call that goes through ends it. */
  private outageUntil = 0;
  /** When the outage backoff last grew: failures of calls sent before then are the same outage. */
  private lastEscalation = Number.NEGATIVE_INFINITY;
  /** GCRA theoretical arrival time of the next call. */
  private tat = 0;
  private readonly rateInterval: number;
  private readonly burst: number;
  /** Spacing learned from RateLimit-Remaining when it runs low. */
  private adaptiveInterval = 0;
  private lastThrottle = Number.NEGATIVE_INFINITY;
  private lastGrowth = Number.NEGATIVE_INFINITY;
  private backoffMs = 0;
  private readonly quietMs: number;
  private readonly workLeft?: () => number;
  /** Counters for the summary and the benchmark. */
  rateLimited = 0;
  private seenThrottled = 0;
  unavailable = 0;
  calls = 0;

  constructor(options: PacerOptions) {
    this.clock = options.clock ?? systemClock;
    this.max = Math.max(1, Math.floor(options.concurrency));
    this.limit = this.max;
    this.quietMs = options.quietMs ?? 10_000;
    this.workLeft = options.workLeft;
    const rate = options.ratePerMinute;
    this.burst = rate && rate > 10 ? 2 : 0;
    // A hair over the exact interval, so that rounding can never fit one call too many into a minute.
    this.rateInterval = rate ? (MINUTE / Math.max(1, rate - this.burst)) * (1 + 1e-6) : 0;
  }

  /** Waits for a place among the calls in flight; the returned function gives it back. */
  async slot(): Promise<() => void> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.wake();
    };
  }

  private wake(): void {
    let free = this.limit - this.active;
    while (free-- > 0 && this.waiters.length) this.waiters.shift()!();
  }

  /** Waits until one more call may be sent, then counts it as sent. */
  async beforeCall(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      const interval = Math.max(this.rateInterval, this.adaptiveInterval);
      const tolerance = this.adaptiveInterval > this.rateInterval ? 0 : this.burst * this.rateInterval;
      const earliest = Math.max(this.pausedUntil, this.outageUntil, interval ? this.tat - tolerance : 0);
      if (now >= earliest) {
        if (interval) this.tat = Math.max(this.tat, now) + interval;
        this.calls++;
        return;
      }
      await this.clock.sleep(earliest - now, signal);
    }
  }

  /** After a call that went through: read the backend's rate-limit figures, and speed up after a quiet spell. */
  succeeded(info?: RateLimitInfo): void {
    const now = this.clock.now();
    this.backoffMs = 0;
    this.outageUntil = 0;
    // 429s the HTTP layer met and already waited out: slow down all the same, without a pause.
    if (info && info.throttled > this.seenThrottled) {
      this.rateLimited += info.throttled - this.seenThrottled;
      this.seenThrottled = info.throttled;
      this.lastThrottle = now;
      this.limit = Math.max(1, Math.ceil(this.limit / 2));
    }
    if (info && info.remaining !== undefined) {
      // Without a reset, a known window is the longest the budget can take to come back.
      const reset = Math.max(0, info.resetSeconds ?? info.windowSeconds ?? 1) * 1000;
      if (info.remaining <= 0) {
        this.pausedUntil = Math.max(this.pausedUntil, info.observedAt + reset);
      } else if (info.limit && info.remaining <= info.limit * 0.1 && !(this.workLeft && this.workLeft() <= info.remaining)) {
        // Spread the last tenth of the window over the time left in it: enough for the calls in
        // flight not to overshoot it, small enough that a sliding window (Zendesk's) gives back
        // most of its budget at once a minute later.
        this.adaptiveInterval = reset / info.remaining;
      } else {
        this.adaptiveInterval = 0;
      }
    }
    if (now - this.lastThrottle >= this.quietMs && now - this.lastGrowth >= this.quietMs / 2 && this.limit < this.max) {
      this.limit++;
      this.lastGrowth = now;
      this.wake();
    }
  }

  /** A 429: halve the concurrency and pause everyone for Retry-After (or a growing backoff). */
  throttled(retryAfterSeconds?: number): void {
    const now = this.clock.now();
    this.rateLimited++;
    // This 429 is one the HTTP client counted too: succeeded() must not count it again.
    this.seenThrottled++;
    this.lastThrottle = now;
    this.limit = Math.max(1, Math.ceil(this.limit / 2));
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 1000);
    const wait = retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : this.backoffMs;
    this.pausedUntil = Math.max(this.pausedUntil, now + wait);
  }

  /**
   * The backend could not be reached: everyone waits, longer each time, until a call goes through.
   * `sentAt` is when the failed call was sent: every call in flight fails with the same outage (a
   * server restarting), and only a call sent after the last wait began makes the wait longer, so
   * eight workers back off one step, not eight.
   */
  unreachable(sentAt?: number): void {
    const now = this.clock.now();
    this.unavailable++;
    this.lastThrottle = now;
    if (sentAt !== undefined && sentAt <= this.lastEscalation) return;
    this.lastEscalation = now;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 500);
    this.outageUntil = Math.max(this.outageUntil, now + this.backoffMs);
  }
}

export interface PacedCallOptions {
  signal?: AbortSignal;
  /** Attempts in all before a 429 or an unreachable backend is the call's outcome. */
  maxAttempts?: number;
}

/**
 * One backend call through the pacer. The backend's HTTP client owns the call's retries (one
 * idempotency key for all its attempts); the pacer only paces them: the first attempt and each
 * retry wait for it (the --rate cap, Retry-After, an outage every worker shares), and each failed
 * attempt is reported to it. A backend without an HTTP client (the local store) makes one attempt.
 */
export async function pacedCall<T>(
  pacer: Pacer,
  backend: {rateLimit?(): RateLimitInfo | undefined},
  fn: (attempts: AttemptControl) => Promise<T>,
  options: PacedCallOptions = {},
): Promise<T> {
  await pacer.beforeCall(options.signal);
  let sentAt = pacer.clock.now();
  const attempts: AttemptControl = {
    maxAttempts: options.maxAttempts ?? 8,
    onRetry: (event) => {
      if (event.reason === 'rate-limited') pacer.throttled(event.retryAfterMs === undefined ? undefined : event.retryAfterMs / 1000);
      else if (event.reason === 'unavailable') pacer.unreachable(sentAt);
    },
    pace: async () => {
      await pacer.beforeCall(options.signal);
      sentAt = pacer.clock.now();
    },
  };
  try {
    const result = await fn(attempts);
    pacer.succeeded(backend.rateLimit?.());
    return result;
  } catch (error) {
    if (error instanceof RateLimitError) pacer.throttled(error.retryAfterSeconds);
    else if (error instanceof UnavailableError) pacer.unreachable(sentAt);
    throw error;
  }
}
