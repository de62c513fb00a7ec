import {describe, expect, it} from 'vitest';

import type {AttemptControl} from '../../src/backends/backend.js';
import {UnavailableError} from '../../src/domain/errors.js';
import {pacedCall, Pacer} from '../../src/services/bulk-pacer.js';
import {busiestMinute, virtualClock} from './clock.js';

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
    // The retry loop of the HTTP client, as the pacer meets it: each refused attempt is reported
    // through onRetry, and the next waits in pace(); the loop is the client's, never the pacer's.
    const call = async (control: AttemptControl) => {
      for (let attempt = 1; ; attempt++) {
        attempts++;
        const at = clock.now();
        if (at >= downFrom && at < downUntil) {
          await clock.sleep(50);
          if (attempt >= control.maxAttempts!) throw new UnavailableError('Could not reach 127.0.0.1: ECONNREFUSED.');
          control.onRetry?.({attempt, maxAttempts: control.maxAttempts!, reason: 'unavailable', detail: 'ECONNREFUSED', delayMs: 0});
          await control.pace!();
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
