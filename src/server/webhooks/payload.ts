import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';

import {UsageError} from '../../domain/errors.js';
import type {TicketEvent} from '../../domain/ticket.js';
import {WEBHOOK_EVENT_TYPES} from '../store/store.js';

/**
 * What a webhook delivery is made of (docs/protocol.md, "Webhooks"): the body is the event as
 * `GET /v1/events` lists it, and `Support-Signature: t=<unix seconds>,v1=<hex>` is the
 * HMAC-SHA256, keyed with the subscription's secret, of `<t>.<body>`.
 */
export const SIGNATURE_HEADER = 'support-signature';
export const SIGNATURE_VERSION = 'v1';
/** Receivers refuse a signature whose time is further than this from their clock. */
export const REPLAY_WINDOW_SECONDS = 300;

/** The body of a delivery: the same bytes on every attempt. */
export const webhookPayload = (event: TicketEvent) => JSON.stringify({...event, actorId: event.actorId ?? null});

/** Secrets look like `whsec_` + 32 random base64url characters; the prefix lets scanners spot leaks. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export const newWebhookId = () => `wh_${randomBytes(8).toString('hex')}`;

export const signPayload = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The Support-Signature header of a body sent at `timestamp` (unix seconds). */
export const signatureHeader = (secret: string, timestamp: number, body: string) => `t=${timestamp},${SIGNATURE_VERSION}=${signPayload(secret, timestamp, body)}`;

/**
 * What a receiver does (docs/protocol.md gives the same in a few lines): true when the header
 * signs this body with this secret, at a time within the replay window of `now` (unix seconds).
 */
export function verifySignature(secret: string, header: string, body: string, now = Math.floor(Date.now() / 1000)): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t) || Math.abs(now - t) > REPLAY_WINDOW_SECONDS) return false;
  const expected = Buffer.from(signPayload(secret, t, body), 'hex');
  return parts.some(([k, v]) => k === SIGNATURE_VERSION && v !== undefined && /^[0-9a-f]+$/i.test(v) && v.length === expected.length * 2 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

/**
 * Checks a subscription's URL: http or https, with a host, no credentials in it. Where it points
 * is the admin's choice (an internal address included), so that is not checked: see
 * docs/protocol.md on who may add webhooks.
 */
export function checkWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`"${raw}" is not a URL.`, {hint: 'Give the full address of the receiver, like https://hooks.example.com/support.'});
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`A webhook URL must be http or https, not ${url.protocol.replace(/:$/, '')}.`, {hint: 'Give an https:// address (http:// for a receiver on the same network).'});
  }
  if (url.username || url.password) {
    throw new UsageError('A webhook URL may not carry a user name or password.', {hint: 'Deliveries are signed instead: check Support-Signature with the secret.'});
  }
  if (raw.length > 2048) throw new UsageError('A webhook URL may be at most 2048 characters long.');
  return url.toString();
}

/** The event types of a subscription: known ones, each once; none given means all. */
export function checkWebhookEvents(events: readonly string[] | null | undefined): TicketEvent['type'][] | null {
  if (!events || events.length === 0) return null;
  const out = new Set<TicketEvent['type']>();
  for (const e of events) {
    if (e === '*') return null;
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) {
      throw new UsageError(`"${e}" is not an event type.`, {hint: `Use one of: ${WEBHOOK_EVENT_TYPES.join(', ')} (or leave it out for all).`});
    }
    out.add(e as TicketEvent['type']);
  }
  return WEBHOOK_EVENT_TYPES.filter((t) => out.has(t));
}
