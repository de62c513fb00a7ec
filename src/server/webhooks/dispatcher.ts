import {randomUUID} from 'node:crypto';
import {hostname} from 'node:os';

import {redactUrl} from '../../domain/redact.js';
import type {AttemptOutcome, ClaimedDelivery, WebhookStore} from '../store/store.js';
import {signatureHeader} from './payload.js';

export interface DispatcherOptions {
  /** Deliveries this instance attempts at once. */
  concurrency: number;
  /** How long a receiver has to answer an attempt. */
  timeoutMs: number;
  /** How long a claimed delivery is this instance's alone; well above timeoutMs, so that an attempt is over before another may start. */
  leaseMs: number;
  /** How often an idle instance looks for new events and due retries (a write on this instance wakes it at once). */
  pollMs: number;
  /** The wait before the second attempt; each further one waits twice as long, up to retryMaxMs, with jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts in all, the first included; then the delivery fails. */
  maxAttempts: number;
}

export const DEFAULT_DISPATCHER: DispatcherOptions = {
  concurrency: 16,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  pollMs: 1_000,
  retryBaseMs: 5_000,
  retryMaxMs: 3_600_000,
  maxAttempts: 16,
};

/** Events read from the feed per enqueue, and enqueues per round at most. */
const ENQUEUE_PAGE = 500;
const ENQUEUE_ROUNDS = 8;

export const USER_AGENT = 'supportkit-webhooks/1.1';

/** The wait before attempt `attempt + 1`: exponential, capped, with half of it random ("equal jitter"). */
export function retryDelay(attempt: number, options: Pick<DispatcherOptions, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const full = Math.min(options.retryBaseMs * 2 ** (attempt - 1), options.retryMaxMs);
  return Math.round(full / 2 + random() * (full / 2));
}

/** Why an attempt failed, in a few words for the delivery log. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const e = error as {name?: string; message?: string; cause?: {code?: string; message?: string}};
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was reset';
  if (code && /CERT|TLS|SSL/.test(code)) return `TLS failed (${code})`;
  return (code ?? e?.cause?.message ?? e?.message ?? String(error)).slice(0, 200);
}

export interface Dispatcher {
  /** Looks for work now rather than at the next poll (after a write on this instance). */
  nudge(): void;
  /** Stops claiming, and waits for the attempts in flight (each ends within timeoutMs). */
  close(): Promise<void>;
}

/**
 * Delivers webhooks on one instance: makes deliveries from the change feed, claims those that are
 * due under a lease, posts each signed, and records the outcome with the next attempt's time.
 * Every instance runs one; the store makes sure that no delivery is made twice or attempted by
 * two at once. An event reaches a receiver at least once; it carries its id, by which the
 * receiver drops a repeat (possible only when an answer is lost or an instance dies mid-attempt).
 */
export function startDispatcher(store: WebhookStore, options: Partial<DispatcherOptions> & {log?: (line: string) => void; now?: () => number} = {}): Dispatcher {
  const o: DispatcherOptions = {...DEFAULT_DISPATCHER, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))};
  const now = options.now ?? Date.now;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  let lastError = '';

  const attempt = async (d: ClaimedDelivery): Promise<void> => {
    const timestamp = Math.floor(now() / 1000);
    let outcome: AttemptOutcome;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        body: d.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'support-webhook-id': d.webhookId,
          'support-event-id': d.eventId,
          'support-delivery-id': d.id,
          'support-delivery-attempt': String(d.attempt),
          'support-signature': signatureHeader(d.secret, timestamp, d.payload),
        },
      });
      // Nothing of the answer is kept but its status.
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      const error = ok ? null : res.status >= 300 && res.status < 400 ? `the receiver redirected (${res.status}); deliveries do not follow redirects` : `the receiver answered ${res.status}`;
      outcome = {ok, status: res.status, error};
    } catch (error) {
      outcome = {ok: false, status: null, error: describeFailure(error, o.timeoutMs)};
    }
    if (!outcome.ok && d.attempt < o.maxAttempts) outcome.retryAt = now() + retryDelay(d.attempt, o);
    if (!outcome.ok) {
      const next = outcome.retryAt === undefined ? 'no attempts left, the delivery failed' : `next attempt in ${Math.round((outcome.retryAt - now()) / 1000)} s`;
      options.log?.(`webhook ${d.webhookId} ${redactUrl(d.url)} event ${d.eventId} attempt ${d.attempt}: ${outcome.error}; ${next}`);
    }
    await store.finish(owner, d, outcome);
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void tick(), ms);
    timer.unref();
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    let busy = false;
    try {
      for (let round = 0; round < ENQUEUE_ROUNDS; round++) {
        const read = await store.enqueue(ENQUEUE_PAGE);
        if (read > 0) busy = true;
        if (read < ENQUEUE_PAGE) break;
      }
      const free = o.concurrency - inFlight.size;
      if (free > 0 && !stopped) {
        const claimed = await store.claim(owner, free, o.leaseMs);
        if (claimed.length === free) busy = true;
        for (const d of claimed) {
          const p: Promise<void> = attempt(d)
            .catch((error: unknown) => options.log?.(`webhook delivery ${d.id}: ${(error as Error).message}`))
            .finally(() => {
              inFlight.delete(p);
              schedule(0);
            });
          inFlight.add(p);
        }
      }
      lastError = '';
    } catch (error) {
      // The store is away (a database restart): say so once, and keep polling.
      const message = (error as Error).message;
      if (message !== lastError) options.log?.(`webhooks: ${message}`);
      lastError = message;
    } finally {
      running = false;
      schedule(busy || again ? 0 : o.pollMs);
    }
  };

  schedule(0);
  return {
    nudge: () => schedule(0),
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.allSettled([...inFlight]);
    },
  };
}
