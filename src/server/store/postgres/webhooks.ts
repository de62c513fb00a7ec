import type {TicketEvent} from '../../../domain/ticket.js';
import {newWebhookId, newWebhookSecret, webhookPayload} from '../../webhooks/payload.js';
import {DELIVERY_COLUMNS, parseDeliveryCursor, toDelivery, webhookNotFound, type DeliveryRow} from '../sqlite/webhooks.js';
import {DELIVERY_LOG_TTL_MS, type EventFeed, type Webhook, type WebhookStore} from '../store.js';
import {LOCKS, type Database, type Queryable} from './db.js';

const CURSOR_KEY = 'webhook-cursor';
const iso = (ms: number) => new Date(ms).toISOString();

interface WebhookRow {
  id: string;
  url: string;
  events: string[] | null;
  description: string | null;
  secret: string;
  created_at: number;
}

const WEBHOOK_COLUMNS = 'id, url, events, description, secret, created_at';

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events as TicketEvent['type'][] | null,
  description: r.description,
  createdAt: iso(r.created_at),
});

/**
 * Webhooks on PostgreSQL, for any number of instances. Deliveries are made from the feed by one
 * instance at a time (a try-lock: the others go on to deliver, they do not queue up behind it),
 * with the feed cursor moved in the same transaction, and the (webhook, event) pair unique; they
 * are leased with FOR UPDATE SKIP LOCKED, so instances share the work and never take the same one.
 */
export function postgresWebhooks(db: Database, now: () => number, feed: EventFeed): WebhookStore {
  let lastSweep = 0;
  const get = async (id: string, q: Queryable = db): Promise<WebhookRow> => {
    const {rows} = await q.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1`, [id]);
    if (!rows[0]) throw webhookNotFound(id);
    return rows[0];
  };
  return {
    async create(input) {
      const row: WebhookRow = {id: newWebhookId(), url: input.url, events: input.events, description: input.description ?? null, secret: newWebhookSecret(), created_at: now()};
      await db.query(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [row.id, row.url, row.events, row.description, row.secret, row.created_at]);
      return {...toWebhook(row), secret: row.secret};
    },
    async list() {
      return (await db.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`)).rows.map(toWebhook);
    },
    async get(id) {
      return toWebhook(await get(id));
    },
    async remove(id) {
      const {rows} = await db.query<WebhookRow>(`DELETE FROM webhooks WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`, [id]);
      if (!rows[0]) throw webhookNotFound(id);
      return toWebhook(rows[0]);
    },
    async deliveries(query) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (query.webhookId !== undefined) {
        await get(query.webhookId);
        where.push(`webhook_id = ${param(query.webhookId)}`);
      }
      if (query.state !== undefined) where.push(`state = ${param(query.state)}`);
      const before = parseDeliveryCursor(query.cursor);
      if (before !== undefined) where.push(`id < ${param(before)}`);
      const {rows} = await db.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${param(query.limit + 1)}`,
        params,
      );
      const page = rows.slice(0, query.limit);
      return {deliveries: page.map(toDelivery), nextCursor: rows.length > query.limit ? String(page.at(-1)!.id) : null};
    },
    async enqueue(limit) {
      const at = now();
      if (at - lastSweep > 60_000) {
        lastSweep = at;
        await db.query("DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1", [at - DELIVERY_LOG_TTL_MS]);
      }
      return db.tx(async (c) => {
        const {rows: locked} = await c.query<{locked: boolean}>('SELECT pg_try_advisory_xact_lock($1) AS locked', [LOCKS.webhooks]);
        if (!locked[0]?.locked) return 0;
        const cursor = (await c.query<{value: string}>('SELECT value FROM meta WHERE key = $1', [CURSOR_KEY])).rows[0]?.value;
        const save = (value: string) =>
          c.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [CURSOR_KEY, value]);
        // The first time: deliveries start from what happens next.
        if (cursor === undefined) {
          await save(await feed.end());
          return 0;
        }
        // The events first, then the subscriptions: one added meanwhile gets these events too,
        // rather than missing those that came after it.
        const page = await feed.after(cursor, limit);
        if (page.events.length === 0) return 0;
        const hooks = (await c.query<WebhookRow>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks`)).rows.map(toWebhook);
        const rows: [string, string, string, string, string][] = [];
        for (const event of page.events) {
          const payload = webhookPayload(event);
          for (const hook of hooks) if (hook.events === null || hook.events.includes(event.type)) rows.push([hook.id, event.id, event.type, event.ticketId, payload]);
        }
        if (rows.length > 0) {
          await c.query(
            `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, ticket_id, payload, created_at, next_attempt_at)
             SELECT w, e, t, k, p, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(w, e, t, k, p)
             ON CONFLICT (webhook_id, event_id) DO NOTHING`,
            [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3]), rows.map((r) => r[4]), at],
          );
        }
        await save(page.cursor);
        return page.events.length;
      });
    },
    async claim(owner, limit, leaseMs) {
      const at = now();
      const {rows} = await db.query<{id: number; webhook_id: string; url: string; secret: string; event_id: string; payload: string; attempts: number}>(
        `WITH due AS (
           SELECT id FROM webhook_deliveries
           WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
           ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET lease_owner = $1, lease_until = $2 + $3, attempts = d.attempts + 1, last_attempt_at = $2
         FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id
         RETURNING d.id, d.webhook_id, w.url, w.secret, d.event_id, d.payload, d.attempts`,
        [owner, at, leaseMs, limit],
      );
      return rows
        .map((r) => ({id: String(r.id), webhookId: r.webhook_id, url: r.url, secret: r.secret, eventId: r.event_id, payload: r.payload, attempt: r.attempts}))
        .sort((a, b) => Number(a.id) - Number(b.id));
    },
    async finish(owner, delivery, outcome) {
      const at = now();
      const state = outcome.ok ? 'delivered' : outcome.retryAt === undefined ? 'failed' : 'pending';
      await db.query(
        `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, state = $1, last_status = $2, last_error = $3, delivered_at = $4, next_attempt_at = $5
         WHERE id = $6 AND lease_owner = $7 AND attempts = $8`,
        [state, outcome.status, outcome.error, outcome.ok ? at : null, outcome.retryAt ?? null, Number(delivery.id), owner, delivery.attempt],
      );
    },
  };
}
