import {NotFoundError, UsageError} from '../../../domain/errors.js';
import type {TicketEvent} from '../../../domain/ticket.js';
import {writeTransaction} from '../../../store/embedded/sqlite.js';
import {newWebhookId, newWebhookSecret, webhookPayload} from '../../webhooks/payload.js';
import {DELIVERY_LOG_TTL_MS, type ClaimedDelivery, type EventFeed, type Webhook, type WebhookDelivery, type WebhookStore} from '../store.js';
import type {ServerState} from './state.js';

const CURSOR_KEY = 'webhook-cursor';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

interface WebhookRow {
  id: string;
  url: string;
  events: string | null;
  description: string | null;
  secret: string;
  created_at: number;
}

export const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events === null ? null : (JSON.parse(r.events) as TicketEvent['type'][]),
  description: r.description,
  createdAt: iso(r.created_at)!,
});

export interface DeliveryRow {
  id: number;
  webhook_id: string;
  event_id: string;
  event_type: string;
  ticket_id: string;
  state: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

export const DELIVERY_COLUMNS =
  'id, webhook_id, event_id, event_type, ticket_id, state, attempts, created_at, next_attempt_at, last_attempt_at, delivered_at, last_status, last_error';

export const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: String(r.id),
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type as TicketEvent['type'],
  ticketId: r.ticket_id,
  state: r.state as WebhookDelivery['state'],
  attempts: r.attempts,
  createdAt: iso(r.created_at)!,
  lastAttemptAt: iso(r.last_attempt_at),
  nextAttemptAt: r.state === 'pending' ? iso(r.next_attempt_at) : null,
  deliveredAt: iso(r.delivered_at),
  lastStatus: r.last_status,
  lastError: r.last_error,
});

/** A deliveries cursor: the id the page ended at (newest first). */
export function parseDeliveryCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cursor)) throw new UsageError(`"${cursor}" is not a cursor of the delivery log.`, {hint: 'Pass the nextCursor of the previous page unchanged.'});
  return Number(cursor);
}

export const webhookNotFound = (id: string) => new NotFoundError(`No webhook has the id "${id}".`, {hint: 'Run `support serve webhook list` to see them.'});

/**
 * Webhooks in server.db. One process serves a SQLite store, so enqueue and claim need no lock
 * beyond SQLite's own; the leases are kept all the same, so that a delivery an instance was
 * attempting when it was killed is taken up again after its lease, as on PostgreSQL.
 * `feed` is absent for the CLI, which manages subscriptions but delivers nothing.
 */
export function sqliteWebhooks(state: ServerState, now: () => number, feed?: EventFeed): WebhookStore {
  const {db} = state;
  let lastSweep = 0;
  const get = (id: string): WebhookRow => {
    const row = db.prepare('SELECT id, url, events, description, secret, created_at FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    if (!row) throw webhookNotFound(id);
    return row;
  };
  return {
    async create(input) {
      const row: WebhookRow = {
        id: newWebhookId(),
        url: input.url,
        events: input.events === null ? null : JSON.stringify(input.events),
        description: input.description ?? null,
        secret: newWebhookSecret(),
        created_at: now(),
      };
      db.prepare('INSERT INTO webhooks (id, url, events, description, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        row.id,
        row.url,
        row.events,
        row.description,
        row.secret,
        row.created_at,
      );
      return {...toWebhook(row), secret: row.secret};
    },
    async list() {
      return (db.prepare('SELECT id, url, events, description, secret, created_at FROM webhooks ORDER BY created_at, id').all() as unknown as WebhookRow[]).map(toWebhook);
    },
    async get(id) {
      return toWebhook(get(id));
    },
    async remove(id) {
      const row = get(id);
      writeTransaction(db, () => {
        db.prepare('DELETE FROM webhook_deliveries WHERE webhook_id = ?').run(id);
        db.prepare('DELETE FROM webhooks WHERE id = ?').run(id);
      });
      return toWebhook(row);
    },
    async deliveries(query) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.webhookId !== undefined) {
        get(query.webhookId);
        where.push('webhook_id = ?');
        params.push(query.webhookId);
      }
      if (query.state !== undefined) {
        where.push('state = ?');
        params.push(query.state);
      }
      const before = parseDeliveryCursor(query.cursor);
      if (before !== undefined) {
        where.push('id < ?');
        params.push(before);
      }
      const rows = db
        .prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
        .all(...params, query.limit + 1) as unknown as DeliveryRow[];
      const page = rows.slice(0, query.limit);
      return {deliveries: page.map(toDelivery), nextCursor: rows.length > query.limit ? String(page.at(-1)!.id) : null};
    },
    async enqueue(limit) {
      if (!feed) throw new Error('This webhook store has no event feed to deliver from.');
      const at = now();
      if (at - lastSweep > 60_000) {
        lastSweep = at;
        db.prepare("DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < ?").run(at - DELIVERY_LOG_TTL_MS);
      }
      const cursor = state.meta(CURSOR_KEY);
      // The first time: deliveries start from what happens next.
      if (cursor === undefined) {
        state.setMeta(CURSOR_KEY, await feed.end());
        return 0;
      }
      // The events first, then the subscriptions: one added meanwhile gets these events too,
      // rather than missing those that came after it.
      const page = await feed.after(cursor, limit);
      if (page.events.length === 0) return 0;
      const hooks = (db.prepare('SELECT id, url, events, description, secret, created_at FROM webhooks').all() as unknown as WebhookRow[]).map(toWebhook);
      const insert = db.prepare(
        `INSERT OR IGNORE INTO webhook_deliveries (webhook_id, event_id, event_type, ticket_id, payload, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      writeTransaction(db, () => {
        for (const event of page.events) {
          const payload = webhookPayload(event);
          for (const hook of hooks) {
            if (hook.events === null || hook.events.includes(event.type)) insert.run(hook.id, event.id, event.type, event.ticketId, payload, at, at);
          }
        }
        state.setMeta(CURSOR_KEY, page.cursor);
      });
      return page.events.length;
    },
    async claim(owner, limit, leaseMs) {
      const at = now();
      const rows = writeTransaction(
        db,
        () =>
          db
            .prepare(
              `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, last_attempt_at = ?
               WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
                            ORDER BY next_attempt_at, id LIMIT ?)
               RETURNING id, webhook_id, event_id, payload, attempts`,
            )
            .all(owner, at + leaseMs, at, at, at, limit) as {id: number; webhook_id: string; event_id: string; payload: string; attempts: number}[],
      );
      const hooks = new Map<string, WebhookRow>();
      const out: ClaimedDelivery[] = [];
      for (const r of rows) {
        if (!hooks.has(r.webhook_id)) hooks.set(r.webhook_id, get(r.webhook_id));
        const hook = hooks.get(r.webhook_id)!;
        out.push({id: String(r.id), webhookId: r.webhook_id, url: hook.url, secret: hook.secret, eventId: r.event_id, payload: r.payload, attempt: r.attempts});
      }
      return out.sort((a, b) => Number(a.id) - Number(b.id));
    },
    async finish(owner, delivery, outcome) {
      const at = now();
      const state = outcome.ok ? 'delivered' : outcome.retryAt === undefined ? 'failed' : 'pending';
      db.prepare(
        `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, state = ?, last_status = ?, last_error = ?, delivered_at = ?, next_attempt_at = ?
         WHERE id = ? AND lease_owner = ? AND attempts = ?`,
      ).run(state, outcome.status, outcome.error, outcome.ok ? at : null, outcome.retryAt ?? null, Number(delivery.id), owner, delivery.attempt);
    },
  };
}
