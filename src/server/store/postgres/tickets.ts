import {createHash, randomUUID} from 'node:crypto';
import {Readable} from 'node:stream';

import type {PoolClient} from 'pg';

import {ExternalIdTakenError, RejectedError, UsageError, VersionConflictError} from '../../../domain/errors.js';
import {
  assertStatusChange,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type Attachment,
  type Comment,
  type NewTicket,
  type Role,
  type TicketEvent,
  type TicketEventType,
  type TicketStatus,
} from '../../../domain/ticket.js';
import {decodeCursor, DEFAULT_SORT, encodeCursor, notFound, parseInstant, sortOrder, ticketKey} from '../../../store/embedded/tickets.js';
import type {Actor, EventFeed, Imported, StoredTicket, TicketStore} from '../store.js';
import type {Database, Queryable} from './db.js';

/** In a requester or assignee filter: the caller. */
const ME = '@me';
/** Attachment bytes are stored in chunks of this size: a download or upload holds one at a time. */
const CHUNK_BYTES = 1024 * 1024;

const iso = (ms: number) => new Date(ms).toISOString();
const requestHash = (input: NewTicket) => createHash('sha256').update(JSON.stringify(input)).digest('hex');

interface TicketRow {
  id: number;
  title: string;
  body: string;
  status: string;
  priority: string;
  type: string;
  tags: string[];
  requester: string;
  requester_id: string | null;
  assignee: string | null;
  assignee_id: string | null;
  created_at: number;
  updated_at: number;
  version: number;
  external_id: string | null;
  fields: Record<string, unknown>;
  attachments: (Omit<Attachment, 'ticketId' | 'createdAt'> & {createdAt: number})[];
}

const TICKET_SQL = `SELECT t.id, t.title, t.body, t.status, t.priority, t.type, t.tags, t.requester, t.requester_id, t.assignee, t.assignee_id,
  t.created_at, t.updated_at, t.version, t.external_id, t.fields,
  COALESCE((SELECT json_agg(json_build_object('id', a.id::text, 'name', a.name, 'size', a.size, 'sha256', a.sha256,
      'contentType', a.content_type, 'createdAt', a.created_at) ORDER BY a.id)
    FROM attachments a WHERE a.ticket_id = t.id), '[]'::json) AS attachments
  FROM tickets t`;

function toTicket(row: TicketRow): StoredTicket {
  return {
    id: String(row.id),
    title: row.title,
    body: row.body,
    status: row.status as StoredTicket['status'],
    priority: row.priority as StoredTicket['priority'],
    type: row.type as StoredTicket['type'],
    tags: row.tags,
    requester: row.requester,
    ...(row.requester_id === null ? {} : {requesterId: row.requester_id}),
    assignee: row.assignee,
    ...(row.assignee_id === null ? {} : {assigneeId: row.assignee_id}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    fields: row.fields,
    attachments: row.attachments.map((a) => ({...a, ticketId: String(row.id), createdAt: iso(a.createdAt)})),
    ...(row.external_id === null ? {} : {externalId: row.external_id}),
    version: row.version,
  };
}

interface EventRow {
  id: number;
  ticket_id: number;
  type: string;
  at: number;
  actor: string;
  actor_id: string | null;
  actor_role: string;
  data: Record<string, unknown>;
}

export const toEvent = (r: EventRow): TicketEvent => ({
  id: String(r.id),
  ticketId: String(r.ticket_id),
  type: r.type as TicketEventType,
  at: iso(r.at),
  actor: r.actor,
  ...(r.actor_id === null ? {} : {actorId: r.actor_id}),
  actorRole: r.actor_role as Role,
  data: r.data,
});

/** A unique violation of the external id: the ticket that has it, as the error a client reads. */
async function externalIdTaken(error: unknown, q: Queryable, externalId: string | undefined): Promise<unknown> {
  const e = error as {code?: string; constraint?: string};
  if (externalId === undefined || e?.code !== '23505' || e.constraint !== 'tickets_by_external_id') return error;
  const {rows} = await q.query<{id: number}>('SELECT id FROM tickets WHERE external_id = $1', [externalId]);
  return rows[0] ? new ExternalIdTakenError(externalId, String(rows[0].id)) : error;
}

const sortedTags = (tags: Iterable<string>) => [...new Set(tags)].sort();

/** Records an event; its transaction's id (the column's default) places it in the feed. */
async function recordEvent(c: PoolClient, ticketId: number, type: TicketEventType, at: number, actor: Writer, data: Record<string, unknown>): Promise<void> {
  await c.query('INSERT INTO events (ticket_id, type, at, actor, actor_id, actor_role, data) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    ticketId,
    type,
    at,
    actor.name,
    actor.id,
    actor.role,
    JSON.stringify(data),
  ]);
}

async function principalOf(q: Queryable, name: string | null | undefined): Promise<string | null> {
  if (!name) return null;
  const {rows} = await q.query<{id: string}>('SELECT id FROM principals WHERE name = $1', [name]);
  return rows[0]?.id ?? null;
}

/** Who an import says wrote it: the principal of that name when there is one, else nobody's id. */
type Writer = Omit<Actor, 'id'> & {id: string | null};

async function importedActor(q: Queryable, actor: Actor, imported: Imported | undefined): Promise<Writer> {
  if (imported?.by === undefined) return actor;
  const {rows} = await q.query<{id: string; kind: Role}>('SELECT id, kind FROM principals WHERE name = $1', [imported.by]);
  return {id: rows[0]?.id ?? null, name: imported.by, role: imported.role ?? rows[0]?.kind ?? 'customer'};
}

const importedData = (actor: Actor, imported: Imported | undefined) => (imported ? {importedBy: actor.name} : {});

export function postgresTickets(db: Database, now: () => number): TicketStore {
  const get = async (id: string, q: Queryable = db): Promise<StoredTicket> => {
    const {rows} = await q.query<TicketRow>(`${TICKET_SQL} WHERE t.id = $1`, [ticketKey(id)]);
    if (!rows[0]) throw notFound(id);
    return toTicket(rows[0]);
  };

  const create = async (actor: Actor, input: NewTicket, idempotencyKey: string | undefined, imported: Imported | undefined) => {
    const createdData = () => ({
      status: 'new',
      priority: input.priority ?? 'normal',
      type: input.type ?? 'question',
      tags: input.tags ?? [],
      ...(input.externalId === undefined ? {} : {externalId: input.externalId}),
      ...importedData(actor, imported),
    });
    if (!idempotencyKey && !imported) {
      // Without a key: the ticket and its event in one statement, one round trip.
      const at = now();
      const {rows} = await db.query<TicketRow>(
        `WITH t AS (
           INSERT INTO tickets (title, body, status, priority, type, tags, requester, requester_id, assignee, assignee_id, created_at, updated_at, fields, external_id)
           VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, (SELECT id FROM principals WHERE name = $8), $9, $9, $10, $13)
           RETURNING *),
         e AS (
           INSERT INTO events (ticket_id, type, at, actor, actor_id, actor_role, data)
           SELECT t.id, 'created', $9, $6, $7, $11, $12 FROM t)
         SELECT t.*, '[]'::json AS attachments FROM t`,
        [
          input.title,
          input.body,
          input.priority ?? 'normal',
          input.type ?? 'question',
          sortedTags(input.tags ?? []),
          actor.name,
          actor.id,
          input.assignee ?? null,
          at,
          JSON.stringify(input.fields ?? {}),
          actor.role,
          JSON.stringify(createdData()),
          input.externalId ?? null,
        ],
      );
      return {ticket: toTicket(rows[0]!), replayed: false};
    }
    const hash = requestHash(input);
    const {id, replayed} = await db.tx(async (c) => {
      const at = now();
      if (idempotencyKey) {
        // A second request with the key, on any instance, waits here for the first one's commit.
        const claimed = await c.query('INSERT INTO idempotency_keys (key, request_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key', [
          idempotencyKey,
          hash,
          at,
        ]);
        if (claimed.rowCount === 0) {
          const {rows} = await c.query<{request_hash: string; ticket_id: number}>('SELECT request_hash, ticket_id FROM idempotency_keys WHERE key = $1', [idempotencyKey]);
          const seen = rows[0]!;
          if (seen.request_hash !== hash) {
            throw new RejectedError('This idempotency key was already used for a different ticket.', {hint: 'Use a new key for a new ticket.'});
          }
          return {id: seen.ticket_id, replayed: true};
        }
      }
      const by = await importedActor(c, actor, imported);
      const createdAt = imported?.createdAt ?? at;
      let ticketId: number;
      try {
        // A savepoint, so that a taken external id can be looked up in this transaction.
        await c.query('SAVEPOINT ticket');
        const {rows} = await c.query<{id: number}>(
          `INSERT INTO tickets (title, body, status, priority, type, tags, requester, requester_id, assignee, assignee_id, created_at, updated_at, fields, external_id)
           VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
          [
            input.title,
            input.body,
            input.priority ?? 'normal',
            input.type ?? 'question',
            sortedTags(input.tags ?? []),
            by.name,
            by.id,
            input.assignee ?? null,
            await principalOf(c, input.assignee),
            createdAt,
            at,
            JSON.stringify(input.fields ?? {}),
            input.externalId ?? null,
          ],
        );
        ticketId = rows[0]!.id;
      } catch (error) {
        await c.query('ROLLBACK TO SAVEPOINT ticket');
        throw await externalIdTaken(error, c, input.externalId);
      }
      await recordEvent(c, ticketId, 'created', createdAt, by, createdData());
      if (idempotencyKey) await c.query('UPDATE idempotency_keys SET ticket_id = $2 WHERE key = $1', [idempotencyKey, ticketId]);
      return {id: ticketId, replayed: false};
    });
    return {ticket: await get(String(id)), replayed};
  };

  return {
    get: (id) => get(id),

    async create(actor, input, {idempotencyKey, imported} = {}) {
      try {
        return await create(actor, input, idempotencyKey, imported);
      } catch (error) {
        throw await externalIdTaken(error, db, input.externalId);
      }
    },

    async list(actor, query) {
      const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      };
      if (query.status?.length) where.push(`t.status = ANY(${param(query.status)})`);
      if (query.priority?.length) where.push(`t.priority = ANY(${param(query.priority)})`);
      if (query.tags?.length) where.push(`t.tags @> ${param(query.tags)}::text[]`);
      const person = (column: 'assignee' | 'requester', value: string | undefined, id: string | undefined) => {
        if (id !== undefined) where.push(`t.${column}_id = ${param(id)}`);
        if (value === undefined) return;
        if (value === ME) where.push(`t.${column}_id = ${param(actor.id)}`);
        else where.push(`t.${column} = ${param(value)}`);
      };
      person('assignee', query.assignee, query.assigneeId);
      person('requester', query.requester, query.requesterId);
      if (query.search) {
        const pattern = param(`%${query.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
        where.push(`(t.title ILIKE ${pattern} OR t.body ILIKE ${pattern})`);
      }
      if (query.externalId !== undefined) where.push(`t.external_id = ${param(query.externalId)}`);
      if (query.updatedSince !== undefined) where.push(`t.updated_at >= ${param(parseInstant(query.updatedSince))}`);
      const sort = query.sort ?? DEFAULT_SORT;
      const {column, descending} = sortOrder(sort);
      if (query.cursor) {
        const after = decodeCursor(query.cursor, sort);
        where.push(`(t.${column}, t.id) ${descending ? '<' : '>'} (${param(after.value)}, ${param(after.id)})`);
      }
      const direction = descending ? 'DESC' : 'ASC';
      const {rows} = await db.query<TicketRow>(
        `${TICKET_SQL} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.${column} ${direction}, t.id ${direction} LIMIT ${param(limit + 1)}`,
        params,
      );
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        tickets: page.map(toTicket),
        nextCursor: rows.length > limit && last ? encodeCursor({value: column === 'updated_at' ? last.updated_at : last.created_at, id: last.id, sort}) : null,
      };
    },
    async update(actor, id, changes, options = {}) {
      const key = ticketKey(id);
      await db.tx(async (c) => {
        // FOR UPDATE: what BEGIN IMMEDIATE is to SQLite, for this one ticket.
        const {rows} = await c.query<{status: string; fields: Record<string, unknown>; tags: string[]; version: number}>(
          'SELECT status, fields, tags, version FROM tickets WHERE id = $1 FOR UPDATE',
          [key],
        );
        const row = rows[0];
        if (!row) throw notFound(id);
        if (options.ifVersion !== undefined && options.ifVersion !== row.version) throw new VersionConflictError(id, options.ifVersion, row.version);
        const at = now();
        const sets: string[] = [];
        const params: unknown[] = [];
        const set = (column: string, value: unknown) => {
          params.push(value);
          sets.push(`${column} = $${params.length}`);
        };
        const changed: Record<string, unknown> = {};
        for (const name of ['title', 'priority', 'type', 'assignee'] as const) {
          if (changes[name] === undefined) continue;
          set(name, changes[name]);
          changed[name] = changes[name];
        }
        if (changes.assignee !== undefined) set('assignee_id', await principalOf(c, changes.assignee));
        if (changes.status !== undefined && changes.status !== row.status) {
          assertStatusChange(id, row.status as TicketStatus, changes.status);
          set('status', changes.status);
          await recordEvent(c, key, 'status_changed', at, actor, {from: row.status, to: changes.status});
        }
        if (changes.fields && Object.keys(changes.fields).length > 0) {
          const fields = {...row.fields};
          for (const [k, v] of Object.entries(changes.fields)) {
            if (v === null) delete fields[k];
            else fields[k] = v;
          }
          set('fields', JSON.stringify(fields));
          changed.fields = changes.fields;
        }
        if (changes.addTags?.length || changes.removeTags?.length) {
          const tags = new Set(row.tags);
          for (const t of changes.addTags ?? []) tags.add(t);
          for (const t of changes.removeTags ?? []) tags.delete(t);
          set('tags', sortedTags(tags));
        }
        if (changes.addTags?.length) changed.addTags = changes.addTags;
        if (changes.removeTags?.length) changed.removeTags = changes.removeTags;
        if (Object.keys(changed).length > 0) await recordEvent(c, key, 'updated', at, actor, changed);
        set('updated_at', at);
        params.push(key);
        await c.query(`UPDATE tickets SET ${sets.join(', ')}, version = version + 1 WHERE id = $${params.length}`, params);
      });
      return get(id);
    },

    async comments(id) {
      const ticket = await get(id);
      const {rows} = await db.query<{id: number; author: string; author_id: string | null; author_role: string; body: string; public: boolean; created_at: number}>(
        'SELECT id, author, author_id, author_role, body, public, created_at FROM comments WHERE ticket_id = $1 ORDER BY id',
        [Number(ticket.id)],
      );
      return rows.map(
        (r): Comment => ({
          id: String(r.id),
          ticketId: ticket.id,
          author: r.author,
          ...(r.author_id === null ? {} : {authorId: r.author_id}),
          authorRole: r.author_role as Role,
          body: r.body,
          public: r.public,
          createdAt: iso(r.created_at),
        }),
      );
    },

    async comment(actor, id, input, {imported} = {}) {
      const key = ticketKey(id);
      const isPublic = input.public ?? true;
      return db.tx(async (c) => {
        const now_ = now();
        const at = imported?.createdAt ?? now_;
        const touched = await c.query('UPDATE tickets SET updated_at = $2, version = version + 1 WHERE id = $1', [key, now_]);
        if (touched.rowCount === 0) throw notFound(id);
        const by = await importedActor(c, actor, imported);
        const {rows} = await c.query<{id: number}>(
          'INSERT INTO comments (ticket_id, author, author_id, author_role, body, public, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
          [key, by.name, by.id, by.role, input.body, isPublic, at],
        );
        const commentId = rows[0]!.id;
        await recordEvent(c, key, 'comment', at, by, {commentId: String(commentId), public: isPublic, ...importedData(actor, imported)});
        return {
          id: String(commentId),
          ticketId: String(key),
          author: by.name,
          ...(by.id === null ? {} : {authorId: by.id}),
          authorRole: by.role,
          body: input.body,
          public: isPublic,
          createdAt: iso(at),
        };
      });
    },

    async events(id) {
      const key = ticketKey(id);
      await get(id);
      const {rows} = await db.query<EventRow>('SELECT id, ticket_id, type, at, actor, actor_id, actor_role, data FROM events WHERE ticket_id = $1 ORDER BY id', [key]);
      return rows.map(toEvent);
    },

    async attach(actor, id, file) {
      const key = ticketKey(id);
      await get(id);
      // The bytes first, chunk by chunk outside any transaction: a long upload holds no lock.
      const blobId = randomUUID();
      await db.query('INSERT INTO attachment_blobs (id, created_at) VALUES ($1, $2)', [blobId, now()]);
      const hash = createHash('sha256');
      let size = 0;
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const data = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await db.query('INSERT INTO attachment_chunks (blob_id, seq, data) VALUES ($1, $2, $3)', [blobId, seq++, data]);
      };
      try {
        for await (const chunk of file.open()) {
          const bytes = chunk as Buffer;
          hash.update(bytes);
          size += bytes.length;
          file.onProgress?.(size, file.size);
          pending.push(bytes);
          pendingBytes += bytes.length;
          if (pendingBytes >= CHUNK_BYTES) await flush();
        }
        await flush();
      } catch (error) {
        await db.query('DELETE FROM attachment_blobs WHERE id = $1', [blobId]).catch(() => undefined);
        throw error;
      }
      const sha256 = hash.digest('hex');
      const contentType = file.contentType ?? 'application/octet-stream';
      try {
        return await db.tx(async (c) => {
          const at = now();
          const touched = await c.query('UPDATE tickets SET updated_at = $2, version = version + 1 WHERE id = $1', [key, at]);
          if (touched.rowCount === 0) throw notFound(id);
          await c.query('UPDATE attachment_blobs SET complete = true WHERE id = $1', [blobId]);
          const {rows} = await c.query<{id: number}>(
            'INSERT INTO attachments (ticket_id, name, size, sha256, content_type, blob_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
            [key, file.name, size, sha256, contentType, blobId, at],
          );
          const attachmentId = String(rows[0]!.id);
          await recordEvent(c, key, 'attachment', at, actor, {attachmentId, name: file.name, size, sha256});
          return {id: attachmentId, ticketId: String(key), name: file.name, size, sha256, contentType, createdAt: iso(at)};
        });
      } catch (error) {
        await db.query('DELETE FROM attachment_blobs WHERE id = $1', [blobId]).catch(() => undefined);
        throw error;
      }
    },

    async openAttachment(ticketId, attachmentId) {
      if (!/^\d{1,15}$/.test(attachmentId)) return undefined;
      const {rows} = await db.query<{blob_id: string}>('SELECT blob_id FROM attachments WHERE id = $1 AND ticket_id = $2', [Number(attachmentId), ticketKey(ticketId)]);
      const blobId = rows[0]?.blob_id;
      if (!blobId) return undefined;
      // One chunk in memory at a time, read as the client takes them.
      return Readable.from(
        (async function* () {
          for (let seq = 0; ; seq++) {
            const chunk = await db.query<{data: Buffer}>('SELECT data FROM attachment_chunks WHERE blob_id = $1 AND seq = $2', [blobId, seq]);
            if (!chunk.rows[0]) return;
            yield chunk.rows[0].data;
          }
        })(),
      );
    },
  };
}

/** A feed position: the writing transaction's id and the event's id, "tx.id". */
function parseFeedCursor(cursor: string | undefined): [string, number] {
  if (!cursor) return ['0', 0];
  const match = /^(\d{1,20})\.(\d{1,15})$/.exec(cursor);
  if (!match) throw new UsageError(`"${cursor}" is not a cursor of this event feed.`, {hint: 'Pass the cursor of the previous page unchanged.'});
  return [match[1]!, Number(match[2])];
}

/**
 * The feed in (transaction, id) order, up to the oldest transaction still running: ids are
 * drawn before commit, so transactions commit out of id order, but once every transaction older
 * than a snapshot's xmin has ended, no event can appear below it. A writer never waits for
 * another's commit; a reader waits for at most the transactions running when it reads.
 */
export function postgresEvents(db: Database): EventFeed {
  return {
    async after(cursor, limit, filter = {}) {
      const [tx, id] = parseFeedCursor(cursor);
      const mine = filter.requesterId !== undefined;
      const {rows} = await db.query<EventRow & {tx: string}>(
        `SELECT e.id, e.tx::text AS tx, e.ticket_id, e.type, e.at, e.actor, e.actor_id, e.actor_role, e.data FROM events e
         ${mine ? 'JOIN tickets t ON t.id = e.ticket_id AND t.requester_id = $4' : ''}
         WHERE (e.tx, e.id) > ($1::xid8, $2) AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
         ${filter.publicOnly ? "AND NOT (e.type = 'comment' AND e.data->>'public' = 'false')" : ''}
         ORDER BY e.tx, e.id LIMIT $3`,
        mine ? [tx, id, limit + 1, filter.requesterId] : [tx, id, limit + 1],
      );
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {events: page.map(toEvent), cursor: last ? `${last.tx}.${last.id}` : `${tx}.${id}`, more: rows.length > limit};
    },
    async end() {
      // Every event of a transaction older than all running ones is below this; the rest may still come.
      const {rows} = await db.query<{tx: string}>('SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text AS tx');
      return `${rows[0]!.tx}.999999999999999`;
    },
  };
}

/** Blobs that an instance stopped mid-upload left behind, older than any upload still running. */
export async function removeAbandonedBlobs(db: Database, now: number): Promise<number> {
  const {rowCount} = await db.query('DELETE FROM attachment_blobs WHERE NOT complete AND created_at < $1', [now - 24 * 3600 * 1000]);
  return rowCount ?? 0;
}
