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
  /** A cap on requests per minute (--rate); never exceeded in any 60-second window. */
  ratePerMinute?: number;
  clock?: Clock;
  /** How long without a rate limit before the pacer speeds up again. */
  quietMs?: number;
  /**
   * Calls the job still has to make, at least, when the caller knows (rows not yet done). When
   * they fit in what is left of the window, there is nothing to spread: the last rows go at once.
   */
  workLeft?: () => number;
  /** The backend's latest rate-limit figures, looked at again while waiting: answers to requests in flight change them. */
  readings?: () => RateLimitInfo | undefined;
}

const MINUTE = 60_000;
const MAX_BACKOFF_MS = 30_000;
/** A budget whose window the server does not state is taken for a minute's: helpdesks limit per minute. */
const ASSUMED_WINDOW_MS = MINUTE;
/**
 * Our clock and the server's count a request at slightly different moments (it is counted when it
 * arrives): a request we sent is taken to leave the server's window this much after it left ours.
 */
const WINDOW_MARGIN_MS = 500;
/** Waiting on a window whose length is a guess, one request goes after this long to ask the server (its answer, or a 429's Retry-After, replaces the guess). */
const PROBE_AFTER_MS = 5_000;
/** Between requests after spreading lapsed, until an answer says what the reset brought back. */
const LAPSED_GAP_MS = 250;
/** Waiters on the budget look again at least this often: an answer may have brought it back meanwhile. */
const MAX_NAP_MS = 1_000;

/**
 * Paces requests to a backend (each attempt of each request of a call, through the HTTP client's
 * `pace`): a concurrency limit on calls that halves on a 429 and grows back by one after each
 * quiet spell; pauses for Retry-After and for an unavailable backend; and a GCRA spacing for
 * --rate, whose burst allowance is taken out of the interval so that no 60-second window can
 * hold more than the cap. The budget the backend reports paces the rest, two ways:
 * - with a reset to the second (RateLimit-Reset, GitHub's epoch): the pacer goes at full speed,
 *   spreads the last tenth of the budget over the time left in the window, and stops at 0 until
 *   the reset;
 * - without one (Jira names only the minute, Freshdesk and Zendesk's account limit say nothing):
 *   the budget comes back as requests leave the window, and the pacer knows when its own do. It
 *   goes while the last figure, less what it sent since, leaves room, and then sends one request
 *   for each of its own that leaves the window: the best a sliding window allows, and early
 *   enough for a fixed one. Where the window's length is a guess, one request asks after a
 *   while rather than waiting on the guess.
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
  /** Spacing learned from RateLimit-Remaining when it runs low, until the window it was learned in resets. */
  private adaptiveInterval = 0;
  private adaptiveUntil = 0;
  /** The latest budget figures with a remaining count. */
  private reading?: RateLimitInfo;
  /** Units each request is taken to cost: 1, or what the server says its requests used (Freshdesk). */
  private unitCost = 1;
  /** Our requests (send time, units), oldest first, as long as they may still be in the server's window. */
  private readonly sent: {at: number; units: number}[] = [];
  /** How long a wait on a guessed window goes before one request asks; longer each time the answer is a 429. */
  private probeAfterMs = PROBE_AFTER_MS;
  /** When the last such request went, and whether the turn just given was one. */
  private probeSentAt = Number.NEGATIVE_INFINITY;
  private probing = false;
  private lastThrottle = Number.NEGATIVE_INFINITY;
  private lastGrowth = Number.NEGATIVE_INFINITY;
  private backoffMs = 0;
  private readonly quietMs: number;
  private readonly workLeft?: () => number;
  private readonly readings?: () => RateLimitInfo | undefined;
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
    this.readings = options.readings;
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

  /** Waits until one more request may be sent, then counts it as sent. */
  async beforeCall(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.readings) this.observe(this.readings());
      const now = this.clock.now();
      // Spreading lapses when its window resets; until an answer tells the budget after the reset,
      // requests go one at a time a little apart, not all at once into a window that may not have
      // reset (a sliding window's "reset" frees only its oldest request).
      const lapsed = now >= this.adaptiveUntil && (this.reading?.observedAt ?? Number.NEGATIVE_INFINITY) < this.adaptiveUntil;
      const adaptive = now < this.adaptiveUntil ? this.adaptiveInterval : lapsed ? Math.min(this.adaptiveInterval, LAPSED_GAP_MS) : 0;
      const interval = Math.max(this.rateInterval, adaptive);
      const tolerance = adaptive > this.rateInterval ? 0 : this.burst * this.rateInterval;
      const budget = this.budgetAllows(now);
      const earliest = Math.max(this.pausedUntil, this.outageUntil, interval ? this.tat - tolerance : 0, budget);
      if (now >= earliest) {
        if (interval) this.tat = Math.max(this.tat, now) + interval;
        // Kept for a backend that reports a budget (or may: one whose figures the pacer can read).
        if (this.reading || this.readings) {
          this.sent.push({at: now, units: this.unitCost});
          if (this.probing) this.probeSentAt = now;
          this.forget(now);
        }
        this.calls++;
        return;
      }
      // A wait on the budget is looked at again now and then: an answer may bring it back sooner.
      await this.clock.sleep(earliest === budget ? Math.min(earliest - now, MAX_NAP_MS) : earliest - now, signal);
    }
  }

  /**
   * When the budget without a reset to the second lets the next request go (0: now). The server's
   * last figure counted what it had seen when it answered; since then our own requests have taken
   * from it, and those it had counted give it back as they leave its window.
   */
  private budgetAllows(now: number): number {
    this.probing = false;
    const r = this.reading;
    if (!r || r.remaining === undefined || r.resetSeconds !== undefined) return 0;
    const windowMs = this.windowMs();
    const counted = r.sentAt ?? r.observedAt;
    const leaves = (s: {at: number}) => s.at + windowMs + WINDOW_MARGIN_MS;
    let room = r.remaining;
    // Ours that the server had counted give their unit back when they leave its window; ours sent
    // since it answered (or in the same millisecond) take one until then.
    const staying: {at: number; units: number}[] = [];
    for (const s of this.sent) {
      if (s.at <= counted - windowMs) continue;
      const counting = s.at < counted;
      if (leaves(s) <= now) {
        if (counting) room += s.units;
        continue;
      }
      if (!counting) room -= s.units;
      staying.push(s);
    }
    if (room >= this.unitCost) return 0;
    // Not enough room: the moment enough of ours leave the window; if others' requests fill it, the
    // bound Jira names, else a whole window after the figures.
    let at = r.resetBySeconds !== undefined ? r.observedAt + r.resetBySeconds * 1000 : r.observedAt + windowMs + WINDOW_MARGIN_MS;
    let need = this.unitCost - room;
    for (const s of staying) {
      need -= s.units;
      if (need <= 0) {
        at = Math.min(at, leaves(s));
        break;
      }
    }
    // A window whose length is a guess is asked about, by one request at a time, rather than waited
    // on; less often each time the server says it was right (a 429), as often again when it was not.
    if (!r.windowSeconds && !this.sent.some((s) => s.at > r.observedAt)) {
      const ask = Math.max(r.observedAt, this.pausedUntil) + this.probeAfterMs;
      if (ask < at) {
        at = ask;
        this.probing = true;
      }
    }
    return at;
  }

  private windowMs(): number {
    return this.reading?.windowSeconds ? this.reading.windowSeconds * 1000 : ASSUMED_WINDOW_MS;
  }

  /** Drops our requests that have left any window the budget's figures can still be about. */
  private forget(now: number): void {
    const horizon = Math.min(now, this.reading?.sentAt ?? this.reading?.observedAt ?? now) - this.windowMs() - WINDOW_MARGIN_MS;
    while (this.sent.length && this.sent[0]!.at <= horizon) this.sent.shift();
  }

  /** The backend's latest rate-limit figures (after each call, and before each request of one). */
  observe(info?: RateLimitInfo): void {
    if (!info) return;
    const now = this.clock.now();
    // 429s the HTTP layer met and already waited out: slow down all the same, without a pause.
    if (info.throttled > this.seenThrottled) {
      this.rateLimited += info.throttled - this.seenThrottled;
      this.seenThrottled = info.throttled;
      this.lastThrottle = now;
      this.limit = Math.max(1, Math.ceil(this.limit / 2));
    }
    if (info.remaining === undefined) return;
    const fresh = info.observedAt !== this.reading?.observedAt || info.sentAt !== this.reading?.sentAt;
    // The answer to a request that asked: budget back before our own requests left the window (more
    // than the unit or two our count holds back: a shorter window, or one that resets at once)
    // makes asking worth it again.
    if (fresh && info.remaining > 2 && info.sentAt !== undefined && info.sentAt >= this.probeSentAt && info.sentAt - this.probeSentAt < MAX_NAP_MS) this.probeAfterMs = PROBE_AFTER_MS;
    this.reading = info;
    if (fresh && info.cost !== undefined) this.unitCost = 0.8 * this.unitCost + 0.2 * info.cost;
    if (info.resetSeconds === undefined) {
      this.adaptiveInterval = 0;
      return;
    }
    const reset = Math.max(0, info.resetSeconds) * 1000;
    if (info.remaining <= 0) {
      this.pausedUntil = Math.max(this.pausedUntil, info.observedAt + reset);
    } else if (info.limit && info.remaining <= info.limit * 0.1 && !(this.workLeft && this.workLeft() <= info.remaining)) {
      // Spread the last tenth of the window over the time left in it: enough for the requests in
      // flight not to overshoot it, small enough that a sliding window (Zendesk's) gives back
      // most of its budget at once a minute later. It lapses when the window resets.
      this.adaptiveInterval = reset / info.remaining;
      this.adaptiveUntil = info.observedAt + reset;
    } else {
      this.adaptiveInterval = 0;
    }
  }

  /** After a call that went through: read the backend's rate-limit figures, and speed up after a quiet spell. */
  succeeded(info?: RateLimitInfo): void {
    const now = this.clock.now();
    this.backoffMs = 0;
    this.outageUntil = 0;
    this.observe(info);
    if (now - this.lastThrottle >= this.quietMs && now - this.lastGrowth >= this.quietMs / 2 && this.limit < this.max) {
      this.limit++;
      this.lastGrowth = now;
      this.wake();
    }
  }

  /**
   * A 429: pause everyone for Retry-After (or a growing backoff), and halve the concurrency.
   * `sentAt` is when the refused request was sent: requests in flight together meet the same
   * exhausted window, and halve it once, not once each.
   */
  throttled(retryAfterSeconds?: number, sentAt?: number): void {
    const now = this.clock.now();
    this.rateLimited++;
    // This 429 is one the HTTP client counted too: observe() must not count it again.
    this.seenThrottled++;
    if (sentAt === undefined || sentAt > this.lastThrottle) this.limit = Math.max(1, Math.ceil(this.limit / 2));
    if (sentAt !== undefined && sentAt === this.probeSentAt) this.probeAfterMs = Math.min(this.probeAfterMs * 2, this.windowMs());
    this.lastThrottle = now;
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
 * idempotency key for all its attempts); the pacer only paces them: every attempt of every
 * request the call sends waits for it (the --rate cap, the budget, Retry-After, an outage every
 * worker shares), and each failed attempt is reported to it. The call's first request was paced
 * before the call began, which is all the pacing a backend without an HTTP client (the local
 * store) gets.
 */
export async function pacedCall<T>(
  pacer: Pacer,
  backend: {rateLimit?(): RateLimitInfo | undefined},
  fn: (attempts: AttemptControl) => Promise<T>,
  options: PacedCallOptions = {},
): Promise<T> {
  pacer.observe(backend.rateLimit?.());
  await pacer.beforeCall(options.signal);
  let sentAt = pacer.clock.now();
  let paced = true;
  const attempts: AttemptControl = {
    maxAttempts: options.maxAttempts ?? 8,
    onRetry: (event) => {
      if (event.reason === 'rate-limited') pacer.throttled(event.retryAfterMs === undefined ? undefined : event.retryAfterMs / 1000, sentAt);
      else if (event.reason === 'unavailable') pacer.unreachable(sentAt);
    },
    pace: async () => {
      // The first request goes on the turn taken above; each later one, and each retry, takes its own.
      if (paced) {
        paced = false;
        return;
      }
      pacer.observe(backend.rateLimit?.());
      await pacer.beforeCall(options.signal);
      sentAt = pacer.clock.now();
    },
  };
  try {
    const result = await fn(attempts);
    pacer.succeeded(backend.rateLimit?.());
    return result;
  } catch (error) {
    if (error instanceof RateLimitError) pacer.throttled(error.retryAfterSeconds, sentAt);
    else if (error instanceof UnavailableError) pacer.unreachable(sentAt);
    throw error;
  }
}
