import {describe, expect, it} from 'vitest';

import type {AttemptControl, RateLimitInfo} from '../../src/backends/backend.js';
import {RateLimitError, UnavailableError} from '../../src/domain/errors.js';
import {readRateLimit} from '../../src/http/rate-limit.js';
import {pacedCall, Pacer, type Clock} from '../../src/services/bulk-pacer.js';
import {busiestMinute, eventClock, virtualClock} from './clock.js';

describe('Pacer', () => {
  it.each([1, 7, 60, 600, 6000])('never lets more than --rate %i calls into any minute, with 8 callers at once', async (rate) => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, ratePerMinute: rate, clock});
    const sent: number[] = [];
    const calls = rate * 2 + 5;
    let left = calls;
    await Promise.all(
      Array.from({length: 8}, async () => {
        while (left > 0) {
          left--;
          await pacer.beforeCall();
          sent.push(clock.now());
        }
      }),
    );
    expect(sent).toHaveLength(calls);
    expect(busiestMinute(sent)).toBeLessThanOrEqual(rate);
    // ...and it is not needlessly slow: the cap is nearly reached.
    if (rate >= 60) expect(busiestMinute(sent)).toBeGreaterThanOrEqual(Math.floor(rate * 0.9));
  });

  it('on a 429 halves the calls in flight and waits the Retry-After, then grows back after a quiet spell', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, clock, quietMs: 10_000});
    expect(pacer.limit).toBe(8);
    pacer.throttled(3);
    expect(pacer.limit).toBe(4);
    const before = clock.now();
    await pacer.beforeCall();
    expect(clock.now() - before).toBeGreaterThanOrEqual(3000);
    pacer.throttled();
    pacer.throttled();
    expect(pacer.limit).toBe(1);
    // Quiet for a while: one more in flight per quiet spell, up to the configured concurrency.
    for (let i = 0; i < 200; i++) {
      await clock.sleep(1000);
      pacer.succeeded();
    }
    expect(pacer.limit).toBe(8);
  });

  it('halves the concurrency when the backend reports 429s it already retried', () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, clock});
    pacer.succeeded({observedAt: clock.now(), throttled: 0});
    expect(pacer.limit).toBe(8);
    pacer.succeeded({observedAt: clock.now(), throttled: 2});
    expect(pacer.limit).toBe(4);
    expect(pacer.rateLimited).toBe(2);
    pacer.succeeded({observedAt: clock.now(), throttled: 2});
    expect(pacer.limit).toBe(4);
  });

  it('stops when RateLimit-Remaining reaches 0 until the window resets, and spreads the calls when it runs low', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 4, clock});
    pacer.succeeded({limit: 100, remaining: 0, resetSeconds: 20, observedAt: clock.now(), throttled: 0});
    const t0 = clock.now();
    await pacer.beforeCall();
    expect(clock.now() - t0).toBeGreaterThanOrEqual(20_000);
    pacer.succeeded({limit: 100, remaining: 10, resetSeconds: 10, observedAt: clock.now(), throttled: 0});
    const t1 = clock.now();
    for (let i = 0; i < 5; i++) await pacer.beforeCall();
    // 10 left for 10 s: about one a second.
    expect(clock.now() - t1).toBeGreaterThanOrEqual(4000);
  });

  it('does not spread the last calls of a job that fit in what is left of the window, and never past zero', async () => {
    const clock = virtualClock();
    let left = 5;
    const pacer = new Pacer({concurrency: 4, clock, workLeft: () => left});
    pacer.succeeded({limit: 100, remaining: 10, resetSeconds: 10, observedAt: clock.now(), throttled: 0});
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) await pacer.beforeCall();
    expect(clock.now() - t0).toBe(0);
    // More work than budget: spread again; an exhausted window is waited out whatever the work.
    left = 50;
    pacer.succeeded({limit: 100, remaining: 10, resetSeconds: 10, observedAt: clock.now(), throttled: 0});
    const t1 = clock.now();
    for (let i = 0; i < 5; i++) await pacer.beforeCall();
    expect(clock.now() - t1).toBeGreaterThanOrEqual(4000);
    left = 1;
    pacer.succeeded({limit: 100, remaining: 0, resetSeconds: 20, observedAt: clock.now(), throttled: 0});
    const t2 = clock.now();
    await pacer.beforeCall();
    expect(clock.now() - t2).toBeGreaterThanOrEqual(20_000);
  });

  it('holds callers beyond the concurrency limit until a place frees up', async () => {
    const pacer = new Pacer({concurrency: 2});
    const a = await pacer.slot();
    await pacer.slot();
    let third = false;
    const waiting = pacer.slot().then(() => (third = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    a();
    await waiting;
    expect(third).toBe(true);
  });

  it('backs off one step when every call in flight meets the same outage, and a call that goes through ends the wait', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, clock});
    const sent = clock.now();
    await clock.sleep(5000);
    for (let i = 0; i < 8; i++) pacer.unreachable(sent);
    expect(pacer.unavailable).toBe(8);
    let t = clock.now();
    await pacer.beforeCall();
    expect(clock.now() - t).toBe(500);
    // The next round fails too: the wait doubles, once for the round.
    const round = clock.now();
    await clock.sleep(5000);
    for (let i = 0; i < 8; i++) pacer.unreachable(round);
    t = clock.now();
    await pacer.beforeCall();
    expect(clock.now() - t).toBe(1000);
    // A failure with no send time (an older caller) still counts as a new step.
    pacer.unreachable();
    pacer.succeeded();
    t = clock.now();
    await pacer.beforeCall();
    expect(clock.now()).toBe(t);
  });

  it('carries eight callers through a server restart without a long idle wait once it is back', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, clock});
    const downFrom = clock.now() + 1000;
    const downUntil = downFrom + 15_000;
    let attempts = 0;
    // The retry loop of the HTTP client, as the pacer meets it: every attempt waits in pace(), and
    // each refused one is reported through onRetry; the loop is the client's, never the pacer's.
    const call = async (control: AttemptControl) => {
      for (let attempt = 1; ; attempt++) {
        await control.pace!();
        attempts++;
        const at = clock.now();
        if (at >= downFrom && at < downUntil) {
          await clock.sleep(50);
          if (attempt >= control.maxAttempts!) throw new UnavailableError('Could not reach 127.0.0.1: ECONNREFUSED.');
          control.onRetry?.({attempt, maxAttempts: control.maxAttempts!, reason: 'unavailable', detail: 'ECONNREFUSED', delayMs: 0});
          continue;
        }
        await clock.sleep(100);
        return 'ok';
      }
    };
    let done = 0;
    let left = 400;
    await Promise.all(
      Array.from({length: 8}, async () => {
        while (left-- > 0) {
          const release = await pacer.slot();
          try {
            expect(await pacedCall(pacer, {}, call, {maxAttempts: 8})).toBe('ok');
            done++;
          } finally {
            release();
          }
        }
      }),
    );
    expect(done).toBe(400);
    expect(pacer.unavailable).toBeGreaterThanOrEqual(8);
    // Not eight doublings per round: the longest wait stays a few steps of backoff.
    const outageWaits = clock.sleeps.filter((ms) => ms !== 100 && ms !== 50);
    expect(Math.max(...outageWaits)).toBeLessThanOrEqual(8000);
    expect(attempts - 400).toBeLessThanOrEqual(8 * 6);
  });
});

/**
 * A helpdesk that allows `limit` requests in any `windowMs` (a sliding window, as the vendor
 * fakes enforce it), answering as Jira does (developer.atlassian.com/cloud/jira/platform/
 * rate-limiting/): X-RateLimit-Limit and -Remaining on every answer; a refused request gets 429
 * with Retry-After and X-RateLimit-Reset, a time to the minute. `resetOnEvery` puts that reset on
 * every answer, as an earlier fake did: a minute-precision time that may already be past.
 */
function slidingServer(clock: Clock, limit: number, windowMs: number, options: {resetOnEvery?: boolean; zendesk?: boolean} = {}) {
  const times: number[] = [];
  const arrivals: {at: number; status: number}[] = [];
  const minute = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
  return {
    arrivals,
    take(): {status: number; headers: Record<string, string>} {
      const now = clock.now();
      while (times.length && times[0]! <= now - windowMs) times.shift();
      const allowed = times.length < limit;
      if (allowed) times.push(now);
      arrivals.push({at: now, status: allowed ? 200 : 429});
      const wait = Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
      const headers: Record<string, string> = {'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(limit - times.length)};
      if (!allowed) Object.assign(headers, {'retry-after': String(wait), 'ratelimit-reason': 'jira-cost-based'});
      if (!allowed || options.resetOnEvery) headers['x-ratelimit-reset'] = minute(now + wait * 1000);
      // Zendesk's ticket endpoints: RateLimit-* whose reset is the seconds until the oldest request
      // leaves the window, which frees one place, not the window.
      if (options.zendesk) return {status: allowed ? 200 : 429, headers: {'ratelimit-limit': String(limit), 'ratelimit-remaining': String(limit - times.length), 'ratelimit-reset': String(wait), ...(allowed ? {} : {'retry-after': String(wait)})}};
      return {status: allowed ? 200 : 429, headers};
    },
  };
}

/**
 * `rows` bulk rows through pacedCall with 4 in flight, each a call of `perCall` requests (the
 * first alone, the rest at once, as an adapter that writes, then reads back two things), each
 * request as the HTTP client sends it: waiting in pace(), 10 ms on the way, counted where it
 * arrives, 10 ms back, its figures read by readRateLimit, a 429 reported and tried again.
 */
async function bulkRun(clock: Clock, server: ReturnType<typeof slidingServer>, rows: number, perCall: number) {
  let reading: RateLimitInfo | undefined;
  let throttled = 0;
  const backend = {rateLimit: () => reading};
  const pacer = new Pacer({concurrency: 4, clock, readings: backend.rateLimit});
  const request = async (control: AttemptControl) => {
    for (let attempt = 1; ; attempt++) {
      await control.pace!();
      const sentAt = clock.now();
      await clock.sleep(10);
      const answer = server.take();
      await clock.sleep(10);
      if (answer.status === 429) throttled++;
      reading = {...readRateLimit(answer.headers, clock.now()), observedAt: clock.now(), sentAt, throttled};
      if (answer.status !== 429) return;
      const retryAfterMs = Number(answer.headers['retry-after']) * 1000;
      if (attempt >= control.maxAttempts!) throw new RateLimitError('still 429', {retryAfterSeconds: retryAfterMs / 1000});
      control.onRetry!({attempt, maxAttempts: control.maxAttempts!, reason: 'rate-limited', detail: '429', delayMs: 0, retryAfterMs});
    }
  };
  const start = clock.now();
  let next = 0;
  await Promise.all(
    Array.from({length: 4}, async () => {
      while (next < rows) {
        next++;
        const release = await pacer.slot();
        try {
          await pacedCall(pacer, backend, async (control) => {
            await request(control);
            if (perCall > 1) await Promise.all(Array.from({length: perCall - 1}, () => request(control)));
          });
        } finally {
          release();
        }
      }
    }),
  );
  const elapsed = clock.now() - start;
  const refused = server.arrivals.filter((a) => a.status === 429).length;
  return {elapsed, requests: server.arrivals.length, refused};
}

/** The share of the limit a run achieved: the time the best schedule takes (the limit at once, then a window for each more) over the time it took. */
const share = (accepted: number, limit: number, windowMs: number, elapsed: number) => (Math.floor((accepted - 1) / limit) * windowMs) / elapsed;

describe('Pacer against a budget without a reset to the second', () => {
  it.each([
    ['one request a row', 1, {}],
    ['three requests a row, two at once', 3, {}],
    ['a reset to the minute on every answer, as the jsm fake once sent it', 3, {resetOnEvery: true}],
  ] as const)('%s: uses a window of 600 a minute to 90 in 100 or better, with under 1 in 100 answers a 429', async (_name, perCall, options) => {
    const clock = eventClock();
    const server = slidingServer(clock, 600, 60_000, options);
    const rows = Math.ceil(2000 / perCall);
    const run = await bulkRun(clock, server, rows, perCall);
    const accepted = run.requests - run.refused;
    expect(accepted).toBe(rows * perCall);
    expect(run.refused / run.requests).toBeLessThan(0.01);
    expect(share(accepted, 600, 60_000, run.elapsed)).toBeGreaterThanOrEqual(0.9);
  });

  it('asks the server rather than waiting a guessed minute when its window is shorter', async () => {
    const clock = eventClock();
    // 20 requests in any 5 seconds: Jira's headers name neither the window nor a reset.
    const server = slidingServer(clock, 20, 5_000);
    const run = await bulkRun(clock, server, 300, 1);
    expect(run.requests - run.refused).toBe(300);
    // Waiting a minute for each window of 20 would take 14 minutes; asking after a few seconds finds the budget back.
    expect(run.elapsed).toBeLessThan(3 * 60_000);
    expect(run.refused).toBeLessThanOrEqual(3);
  });

  it('keeps a sliding window whose reset frees one place (Zendesk) to a handful of 429s', async () => {
    const clock = eventClock();
    const server = slidingServer(clock, 700, 60_000, {zendesk: true});
    const run = await bulkRun(clock, server, 2000, 1);
    expect(run.requests - run.refused).toBe(2000);
    expect(run.refused).toBeLessThanOrEqual(3);
    expect(share(2000, 700, 60_000, run.elapsed)).toBeGreaterThanOrEqual(0.9);
  });

  it('lets spreading learned near the end of a window lapse when the window resets', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 4, clock});
    // One left for 15 s: one request in 15 s, then the window resets.
    pacer.succeeded({limit: 100, remaining: 1, resetSeconds: 15, observedAt: clock.now(), throttled: 0});
    await pacer.beforeCall();
    await clock.sleep(15_000);
    const t = clock.now();
    for (let i = 0; i < 3; i++) await pacer.beforeCall();
    expect(clock.now() - t).toBeLessThan(1000);
  });

  it('after spreading lapses, sends one request at a time until an answer says what the reset brought back', async () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 4, clock});
    // A sliding window (Zendesk's): its reset is when its oldest request leaves, which frees one place.
    pacer.succeeded({limit: 700, remaining: 1, resetSeconds: 1, observedAt: clock.now(), throttled: 0});
    await pacer.beforeCall();
    await clock.sleep(1000);
    const t = clock.now();
    for (let i = 0; i < 4; i++) await pacer.beforeCall();
    expect(clock.now() - t).toBeGreaterThanOrEqual(750);
    // An answer with budget back lets the next ones go at once.
    pacer.succeeded({limit: 700, remaining: 300, resetSeconds: 1, observedAt: clock.now(), throttled: 0});
    const u = clock.now();
    for (let i = 0; i < 4; i++) await pacer.beforeCall();
    expect(clock.now() - u).toBe(0);
  });

  it('halves the concurrency once for 429s of requests sent together', () => {
    const clock = virtualClock();
    const pacer = new Pacer({concurrency: 8, clock});
    const sent = clock.now();
    pacer.throttled(1, sent);
    pacer.throttled(1, sent);
    expect(pacer.limit).toBe(4);
    expect(pacer.rateLimited).toBe(2);
  });
});
