import {createHash, randomUUID} from 'node:crypto';
import {createWriteStream, mkdirSync, readdirSync, renameSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {Transform} from 'node:stream';
import {pipeline} from 'node:stream/promises';

import {ExternalIdTakenError, NotFoundError, RejectedError, UnavailableError, UsageError, VersionConflictError} from '../../domain/errors.js';
import {
  assertStatusChange,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type Attachment,
  type Comment,
  type NewComment,
  type NewTicket,
  type Role,
  type Ticket,
  type TicketChanges,
  type TicketEvent,
  type TicketEventType,
  type TicketPage,
  type TicketQuery,
  type TicketSort,
  type TicketStatus,
  type TicketWithComments,
} from '../../domain/ticket.js';
import {describeWriteFailure} from '../atomic-file.js';
import type {AttachmentSource, CallOptions, CreateOptions, Identity, TicketApi, UpdateOptions} from '../../backends/backend.js';
import {writeTransaction} from './sqlite.js';
import type {LocalStore} from './store.js';

interface TicketRow {
  id: number;
  title: string;
  body: string;
  status: string;
  priority: string;
  type: string;
  requester: string;
  requester_id: string | null;
  assignee: string | null;
  assignee_id: string | null;
  created_at: number;
  updated_at: number;
  version: number;
  external_id: string | null;
  fields: string;
  tags: string;
  attachments: string;
}

const TICKET_COLUMNS = `
  t.id, t.title, t.body, t.status, t.priority, t.type, t.requester, t.requester_id, t.assignee, t.assignee_id,
  t.created_at, t.updated_at, t.version, t.external_id, t.fields,
  (SELECT json_group_array(tag) FROM (SELECT tag FROM ticket_tags WHERE ticket_id = t.id ORDER BY tag)) AS tags,
  (SELECT json_group_array(json_object('id', CAST(a.id AS TEXT), 'name', a.name, 'size', a.size, 'sha256', a.sha256,
      'contentType', a.content_type, 'createdAt', a.created_at))
     FROM attachments a WHERE a.ticket_id = t.id) AS attachments`;

const iso = (ms: number) => new Date(ms).toISOString();

function toTicket(row: TicketRow): Ticket {
  const attachments = (JSON.parse(row.attachments) as (Omit<Attachment, 'ticketId' | 'createdAt'> & {createdAt: number})[]).map(
    (a) => ({...a, ticketId: String(row.id), createdAt: iso(a.createdAt)}),
  );
  return {
    id: String(row.id),
    title: row.title,
    body: row.body,
    status: row.status as Ticket['status'],
    priority: row.priority as Ticket['priority'],
    type: row.type as Ticket['type'],
    tags: JSON.parse(row.tags) as string[],
    requester: row.requester,
    // Ids only where the writer had one (the reference server): the local backend's tickets stay as they were.
    ...(row.requester_id === null ? {} : {requesterId: row.requester_id}),
    assignee: row.assignee,
    ...(row.assignee_id === null ? {} : {assigneeId: row.assignee_id}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    fields: JSON.parse(row.fields) as Ticket['fields'],
    attachments,
    ...(row.external_id === null ? {} : {externalId: row.external_id}),
    version: row.version,
  };
}

/** Where a page ended: the sort column's value and the id, in the list's sort. */
export interface CursorPosition {
  value: number;
  id: number;
  sort: TicketSort;
}

export const DEFAULT_SORT: TicketSort = '-createdAt';

/** The sort column and whether it runs down (newest first). */
export const sortOrder = (sort: TicketSort = DEFAULT_SORT) => ({
  column: sort.endsWith('updatedAt') ? 'updated_at' : 'created_at',
  descending: sort.startsWith('-'),
});

/** Opaque to clients. The default sort keeps the form of earlier versions, so that their cursors still work. */
export function encodeCursor(position: CursorPosition): string {
  const parts = position.sort === DEFAULT_SORT ? [position.value, position.id] : [position.value, position.id, position.sort];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** A cursor of this list and sort; anything else (another sort's cursor included) is a UsageError. */
export function decodeCursor(cursor: string, sort: TicketSort = DEFAULT_SORT): CursorPosition {
  let parts: unknown[] | undefined;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
  } catch {
    // the usage error below
  }
  if (Array.isArray(parts) && typeof parts[0] === 'number' && typeof parts[1] === 'number') {
    const cursorSort = parts.length === 2 ? DEFAULT_SORT : parts[2];
    if (parts.length <= 3 && cursorSort === sort) return {value: parts[0], id: parts[1], sort};
    if (parts.length <= 3 && typeof cursorSort === 'string') {
      throw new UsageError(`The cursor belongs to a list sorted by ${cursorSort}, not by ${sort}.`, {hint: 'Pass the nextCursor of the previous page with the same sort.'});
    }
  }
  throw new UsageError(`"${cursor}" is not a cursor this backend gave out.`, {
    hint: 'Pass the nextCursor value of the previous page unchanged.',
  });
}

/** An `updatedSince` value as epoch ms: an ISO 8601 instant with a zone, else a UsageError. */
export function parseInstant(value: string, what = 'updatedSince'): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`"${value}" is not a valid ${what} time.`, {hint: 'Give an ISO 8601 time with a zone, like 2026-03-01T09:00:00Z.'});
  }
  return ms;
}

/** Ids are numbers in this store; anything else cannot name a ticket here. */
export function ticketKey(id: string): number {
  const n = /^\d{1,15}$/.test(id.trim()) ? Number(id.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw notFound(id);
  return n;
}

export const notFound = (id: string) =>
  new NotFoundError(`Ticket ${id} does not exist.`, {hint: 'Run `support ticket list` to see ticket ids.'});

/** An upload streams into `.incoming-<pid>-<uuid>` beside its final place, then is renamed. */
const INCOMING = '.incoming-';

const processAlive = (pid: number) => {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid >= 2 ** 31) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the partial files of uploads whose process is gone (killed mid-upload): those of a
 * process that no longer runs, of this very process id (a restarted container's server has the
 * id of the one that was killed) and of older versions, which did not record one. Uploads of
 * another live process on the same store are left alone. Answers how many were removed.
 */
export function removeAbandonedUploads(store: LocalStore): number {
  const root = join(store.root, 'attachments');
  let removed = 0;
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return 0;
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(INCOMING)) continue;
      const pid = /^\.incoming-(\d+)-/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && processAlive(Number(pid))) continue;
      rmSync(join(root, dir, name), {force: true});
      removed++;
    }
  }
  return removed;
}

/** In a requester or assignee filter: the caller, by id where there is one. */
export const ME = '@me';

/** The filters of the store, with the stable ids the reference server filters by. */
export interface LocalTicketQuery extends TicketQuery {
  requesterId?: string;
  assigneeId?: string;
}

export interface LocalTicketsOptions {
  /** The stable id of the user a name stands for, to record an assignee's id; none on the local backend. */
  principalOf?: (name: string) => string | undefined;
}

/**
 * What a migration brings along (the reference server allows it to admins): when a ticket or
 * comment was really written, and by whom (the engine's identity is then that writer). The
 * ticket's `updatedAt` stays the time of the import, so that an incremental export finds it.
 */
export interface ImportOptions {
  createdAt?: number;
  /** Who imported it, recorded in the event's data. */
  importedBy?: string;
}

const requestHash = (input: NewTicket) => createHash('sha256').update(JSON.stringify(input)).digest('hex');

/** A failure to store an attachment's bytes in the store (not to read the file being attached), in one sentence. */
function attachmentWriteError(error: unknown, dir: string): UnavailableError | undefined {
  const e = error as NodeJS.ErrnoException;
  const ours = ['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS'].includes(e?.code ?? '') || (typeof e?.path === 'string' && e.path.startsWith(dir));
  const why = ours ? describeWriteFailure(error, join(dir, 'file')) : undefined;
  return why ? new UnavailableError(`Could not store the attachment in ${dir}: ${why}; nothing was attached.`, {hint: 'Free some space on that disk or make it writable, then attach the file again.', cause: error}) : undefined;
}

export class LocalTickets implements TicketApi {
  constructor(
    private readonly store: LocalStore,
    private readonly identity: Identity,
    private readonly now: () => number = Date.now,
    private readonly options: LocalTicketsOptions = {},
  ) {}

  private assigneeId(assignee: string | null | undefined): string | null {
    return assignee ? (this.options.principalOf?.(assignee) ?? null) : null;
  }

  async create(input: NewTicket, options: CreateOptions & ImportOptions = {}): Promise<Ticket> {
    const {db} = this.store;
    const id = this.store.guard(() =>
      writeTransaction(db, () => {
        const at = this.now();
        const createdAt = options.createdAt ?? at;
        if (options.idempotencyKey) {
          const seen = db.prepare('SELECT request_hash, ticket_id FROM idempotency_keys WHERE key = ?').get(options.idempotencyKey) as
            | {request_hash: string; ticket_id: number}
            | undefined;
          if (seen) {
            if (seen.request_hash !== requestHash(input)) {
              throw new RejectedError('This idempotency key was already used for a different ticket.', {
                hint: 'Use a new key for a new ticket.',
              });
            }
            return seen.ticket_id;
          }
        }
        if (input.externalId !== undefined) {
          const holder = db.prepare('SELECT id FROM tickets WHERE external_id = ?').get(input.externalId) as {id: number} | undefined;
          if (holder) throw new ExternalIdTakenError(input.externalId, String(holder.id));
        }
        const result = db
          .prepare(
            `INSERT INTO tickets (title, body, status, priority, type, requester, requester_id, assignee, assignee_id, created_at, updated_at, fields, external_id)
             VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            input.title,
            input.body,
            input.priority ?? 'normal',
            input.type ?? 'question',
            this.identity.name,
            this.identity.id ?? null,
            input.assignee ?? null,
            this.assigneeId(input.assignee),
            createdAt,
            at,
            JSON.stringify(input.fields ?? {}),
            input.externalId ?? null,
          );
        const ticketId = Number(result.lastInsertRowid);
        const tag = db.prepare('INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)');
        for (const t of input.tags ?? []) tag.run(ticketId, t);
        this.recordEvent(ticketId, 'created', createdAt, {
          status: 'new',
          priority: input.priority ?? 'normal',
          type: input.type ?? 'question',
          tags: input.tags ?? [],
          ...(input.externalId === undefined ? {} : {externalId: input.externalId}),
          ...(options.importedBy === undefined ? {} : {importedBy: options.importedBy}),
        });
        if (options.idempotencyKey) {
          db.prepare('INSERT INTO idempotency_keys (key, request_hash, ticket_id, created_at) VALUES (?, ?, ?, ?)').run(
            options.idempotencyKey,
            requestHash(input),
            ticketId,
            at,
          );
        }
        return ticketId;
      }),
    );
    return this.get(String(id));
  }

  async get(id: string): Promise<Ticket> {
    const key = ticketKey(id);
    const row = this.store.guard(
      () => this.store.db.prepare(`SELECT ${TICKET_COLUMNS} FROM tickets t WHERE t.id = ?`).get(key) as TicketRow | undefined,
    );
    if (!row) throw notFound(id);
    return toTicket(row);
  }

  async view(id: string): Promise<TicketWithComments> {
    const ticket = await this.get(id);
    const rows = this.store.guard(
      () =>
        this.store.db
          .prepare('SELECT id, author, author_id, author_role, body, public, created_at FROM comments WHERE ticket_id = ? ORDER BY id')
          .all(Number(ticket.id)) as {id: number; author: string; author_id: string | null; author_role: string; body: string; public: number; created_at: number}[],
    );
    const comments: Comment[] = rows.map((r) => ({
      id: String(r.id),
      ticketId: ticket.id,
      author: r.author,
      ...(r.author_id === null ? {} : {authorId: r.author_id}),
      authorRole: r.author_role as Role,
      body: r.body,
      public: r.public === 1,
      createdAt: iso(r.created_at),
    }));
    return {...ticket, comments};
  }

  async list(query: LocalTicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
    const where: string[] = [];
    const params: (string | number)[] = [];
    const inList = (column: string, values: readonly string[]) => {
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    if (query.status?.length) inList('t.status', query.status);
    if (query.priority?.length) inList('t.priority', query.priority);
    for (const tag of query.tags ?? []) {
      where.push('EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)');
      params.push(tag);
    }
    // A name filters by the name shown; `@me` is the caller, by id where the caller has one.
    const person = (column: string, value: string | undefined, id: string | undefined) => {
      if (id !== undefined) {
        where.push(`t.${column}_id = ?`);
        params.push(id);
      }
      if (value === undefined) return;
      if (value === ME && this.identity.id) {
        where.push(`t.${column}_id = ?`);
        params.push(this.identity.id);
      } else {
        where.push(`t.${column} = ?`);
        params.push(value === ME ? this.identity.name : value);
      }
    };
    person('assignee', query.assignee, query.assigneeId);
    person('requester', query.requester, query.requesterId);
    if (query.search) {
      const pattern = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`(t.title LIKE ? ESCAPE '\\' OR t.body LIKE ? ESCAPE '\\')`);
      params.push(pattern, pattern);
    }
    if (query.externalId !== undefined) {
      where.push('t.external_id = ?');
      params.push(query.externalId);
    }
    if (query.updatedSince !== undefined) {
      where.push('t.updated_at >= ?');
      params.push(parseInstant(query.updatedSince));
    }
    const sort = query.sort ?? DEFAULT_SORT;
    const {column, descending} = sortOrder(sort);
    if (query.cursor) {
      const after = decodeCursor(query.cursor, sort);
      const beyond = descending ? '<' : '>';
      where.push(`(t.${column} ${beyond} ? OR (t.${column} = ? AND t.id ${beyond} ?))`);
      params.push(after.value, after.value, after.id);
    }
    const direction = descending ? 'DESC' : 'ASC';
    const sql = `SELECT ${TICKET_COLUMNS} FROM tickets t
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.${column} ${direction}, t.id ${direction} LIMIT ?`;
    const rows = this.store.guard(() => this.store.db.prepare(sql).all(...params, limit + 1) as unknown as TicketRow[]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      tickets: page.map(toTicket),
      nextCursor: rows.length > limit && last ? encodeCursor({value: column === 'updated_at' ? last.updated_at : last.created_at, id: last.id, sort}) : null,
    };
  }

  async update(id: string, changes: TicketChanges, options: UpdateOptions = {}): Promise<Ticket> {
    const key = ticketKey(id);
    const {db} = this.store;
    this.store.guard(() =>
      writeTransaction(db, () => {
        const row = db.prepare('SELECT status, fields, version FROM tickets WHERE id = ?').get(key) as {status: string; fields: string; version: number} | undefined;
        if (!row) throw notFound(id);
        // Checked under the write lock: nobody changes the ticket between this and the update.
        if (options.ifVersion !== undefined && options.ifVersion !== row.version) throw new VersionConflictError(id, options.ifVersion, row.version);
        const at = this.now();
        const sets: string[] = [];
        const params: (string | number | null)[] = [];
        const changed: Record<string, unknown> = {};
        const set = (column: string, value: string | null | undefined, name: string) => {
          if (value === undefined) return;
          sets.push(`${column} = ?`);
          params.push(value);
          changed[name] = value;
        };
        set('title', changes.title, 'title');
        set('priority', changes.priority, 'priority');
        set('type', changes.type, 'type');
        set('assignee', changes.assignee, 'assignee');
        if (changes.assignee !== undefined) {
          sets.push('assignee_id = ?');
          params.push(this.assigneeId(changes.assignee));
        }
        if (changes.status !== undefined && changes.status !== row.status) {
          assertStatusChange(id, row.status as TicketStatus, changes.status);
          sets.push('status = ?');
          params.push(changes.status);
          this.recordEvent(key, 'status_changed', at, {from: row.status, to: changes.status});
        }
        if (changes.fields && Object.keys(changes.fields).length > 0) {
          const fields = JSON.parse(row.fields) as Record<string, unknown>;
          for (const [k, v] of Object.entries(changes.fields)) {
            if (v === null) delete fields[k];
            else fields[k] = v;
          }
          sets.push('fields = ?');
          params.push(JSON.stringify(fields));
          changed.fields = changes.fields;
        }
        for (const tag of changes.addTags ?? []) db.prepare('INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)').run(key, tag);
        for (const tag of changes.removeTags ?? []) db.prepare('DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?').run(key, tag);
        if (changes.addTags?.length) changed.addTags = changes.addTags;
        if (changes.removeTags?.length) changed.removeTags = changes.removeTags;
        if (Object.keys(changed).length > 0) this.recordEvent(key, 'updated', at, changed);
        sets.push('updated_at = ?', 'version = version + 1');
        params.push(at);
        db.prepare(`UPDATE tickets SET ${sets.join(', ')} WHERE id = ?`).run(...params, key);
      }),
    );
    return this.get(id);
  }

  async comment(id: string, input: NewComment, options: CallOptions & ImportOptions = {}): Promise<Comment> {
    const key = ticketKey(id);
    const {db} = this.store;
    const isPublic = input.public ?? true;
    const {commentId, at} = this.store.guard(() =>
      writeTransaction(db, () => {
        if (!db.prepare('SELECT 1 FROM tickets WHERE id = ?').get(key)) throw notFound(id);
        const now = this.now();
        const at = options.createdAt ?? now;
        const result = db
          .prepare('INSERT INTO comments (ticket_id, author, author_id, author_role, body, public, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(key, this.identity.name, this.identity.id ?? null, this.identity.role, input.body, isPublic ? 1 : 0, at);
        const commentId = Number(result.lastInsertRowid);
        this.recordEvent(key, 'comment', at, {commentId: String(commentId), public: isPublic, ...(options.importedBy === undefined ? {} : {importedBy: options.importedBy})});
        db.prepare('UPDATE tickets SET updated_at = ?, version = version + 1 WHERE id = ?').run(now, key);
        return {commentId, at};
      }),
    );
    return {
      id: String(commentId),
      ticketId: String(key),
      author: this.identity.name,
      ...(this.identity.id ? {authorId: this.identity.id} : {}),
      authorRole: this.identity.role,
      body: input.body,
      public: isPublic,
      createdAt: iso(at),
    };
  }

  async attach(id: string, file: AttachmentSource): Promise<Attachment> {
    const key = ticketKey(id);
    await this.get(id);
    this.store.assertWritable();
    const dir = join(this.store.root, 'attachments', String(key));
    try {
      mkdirSync(dir, {recursive: true, mode: 0o700});
    } catch (error) {
      throw attachmentWriteError(error, dir) ?? error;
    }
    const temp = join(dir, `${INCOMING}${process.pid}-${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        file.open(),
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            size += chunk.length;
            file.onProgress?.(size, file.size);
            done(null, chunk);
          },
        }),
        createWriteStream(temp, {mode: 0o600}),
      );
    } catch (error) {
      rmSync(temp, {force: true});
      throw attachmentWriteError(error, dir) ?? error;
    }
    const sha256 = hash.digest('hex');
    const stored = `${sha256}`;
    renameSync(temp, join(dir, stored));
    const {db} = this.store;
    const contentType = file.contentType ?? 'application/octet-stream';
    const {attachmentId, at} = this.store.guard(() =>
      writeTransaction(db, () => {
        const at = this.now();
        const result = db
          .prepare('INSERT INTO attachments (ticket_id, name, size, sha256, content_type, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(key, file.name, size, sha256, contentType, join('attachments', String(key), stored), at);
        const attachmentId = String(result.lastInsertRowid);
        this.recordEvent(key, 'attachment', at, {attachmentId, name: file.name, size, sha256});
        db.prepare('UPDATE tickets SET updated_at = ?, version = version + 1 WHERE id = ?').run(at, key);
        return {attachmentId, at};
      }),
    );
    return {id: attachmentId, ticketId: String(key), name: file.name, size, sha256, contentType, createdAt: iso(at)};
  }

  async events(id: string): Promise<TicketEvent[]> {
    const key = ticketKey(id);
    await this.get(id);
    const rows = this.store.guard(
      () =>
        this.store.db
          .prepare('SELECT id, type, at, actor, actor_id, actor_role, data FROM events WHERE ticket_id = ? ORDER BY id')
          .all(key) as {id: number; type: string; at: number; actor: string; actor_id: string | null; actor_role: string; data: string}[],
    );
    return rows.map((r) => ({
      id: String(r.id),
      ticketId: String(key),
      type: r.type as TicketEventType,
      at: iso(r.at),
      actor: r.actor,
      ...(r.actor_id === null ? {} : {actorId: r.actor_id}),
      actorRole: r.actor_role as Role,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  private recordEvent(ticketId: number, type: TicketEventType, at: number, data: Record<string, unknown>): void {
    this.store.db
      .prepare('INSERT INTO events (ticket_id, type, at, actor, actor_id, actor_role, data) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(ticketId, type, at, this.identity.name, this.identity.id ?? null, this.identity.role, JSON.stringify(data));
  }
}
