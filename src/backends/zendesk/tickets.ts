import {createHash, randomUUID} from 'node:crypto';
import {Transform} from 'node:stream';

import {NotFoundError, RejectedError, SupportError, UsageError} from '../../domain/errors.js';
import {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type Attachment,
  type Comment,
  type NewComment,
  type NewTicket,
  type Ticket,
  type TicketChanges,
  type TicketEvent,
  type TicketPage,
  type TicketQuery,
  type TicketWithComments,
} from '../../domain/ticket.js';
import type {AttachmentSource, CallOptions, CreateOptions, TicketApi} from '../backend.js';
import type {ZendeskApi} from './api.js';
import {ticketNumber} from './errors.js';
import {
  attachmentNote,
  attachmentsIn,
  changesOut,
  commentIn,
  eventsIn,
  newTicketOut,
  statusOut,
  tagsAfter,
  ticketIn,
  userRef,
  type Assignee,
  type MapContext,
  type ZdAudit,
  type ZdComment,
  type ZdTicket,
  type ZdUser,
} from './map.js';

/** Zendesk's page size for tickets, comments and audits. */
const PAGE = 100;
/** Search answers offset pages of at most 100, and no more than 1,000 results per query. */
const SEARCH_PAGE = 100;
const SEARCH_MAX_PAGE = 10;

interface CursorMeta {
  has_more: boolean;
  after_cursor?: string | null;
}

/** Where a list continues: the list endpoint's cursor, or a place in a search (page, index, and the created_at bound past 1,000 results). */
type ListCursor = {k: 'list'; a: string} | {k: 'search'; q: string; p: number; i: number; b?: string; s?: string[]};

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): ListCursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
    if (c.k === 'list' && typeof c.a === 'string') return c;
    if (c.k === 'search' && typeof c.q === 'string' && Number.isInteger(c.p) && Number.isInteger(c.i)) return c;
  } catch {
    // reported below
  }
  throw new UsageError('That cursor is not one this command gave out.', {hint: 'Pass the nextCursor value of the previous page unchanged, with the same filters.'});
}

/** The user a list filter names when it means whoever the backend acts as. */
const ME = '@me';

/** Search syntax treats quotes, colons and minus signs as operators; a value with spaces needs quotes. */
const searchValue = (value: string) => (/[\s"]/.test(value) ? `"${value.replace(/"/g, '')}"` : value);

/** Zendesk's search takes date-times to the second: the bound of "created no later than" is the next second, exclusive. */
const secondAfter = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000 + 1000).toISOString().replace('.000Z', 'Z');

export interface ZendeskTicketSettings {
  group?: string;
  brand?: string;
  form?: string;
}

/** Tickets through Zendesk's Support API. */
export class ZendeskTickets implements TicketApi {
  constructor(
    private readonly api: ZendeskApi,
    private readonly settings: ZendeskTicketSettings,
  ) {}

  /** What mapping a ticket needs: its users known, the field names, the custom statuses when a ticket has one. */
  private async context(tickets: readonly ZdTicket[], extraUsers: Iterable<number | null | undefined> = []): Promise<MapContext> {
    const ids: (number | null | undefined)[] = [...extraUsers];
    for (const t of tickets) ids.push(t.requester_id, t.assignee_id);
    const [fields, customStatuses] = await Promise.all([
      this.api.fields(),
      tickets.some((t) => t.custom_status_id) ? this.api.customStatuses() : Promise.resolve(undefined),
      this.api.loadUsers(ids),
    ]);
    return {users: this.api.users, fields, customStatuses};
  }

  async create(input: NewTicket, options: CreateOptions & CallOptions = {}): Promise<Ticket> {
    const [fields, assignee] = await Promise.all([this.api.fields(), this.assignee(input.assignee)]);
    const body = newTicketOut(input, fields, this.settings, assignee ?? {});
    const {ticket} = await this.api.call<{ticket: ZdTicket}>(
      // The key makes a repeat after a lost response return the first ticket (x-idempotency-lookup: hit).
      {method: 'POST', path: 'api/v2/tickets', json: body, idempotencyKey: options.idempotencyKey ?? randomUUID(), attempts: options.attempts},
      {action: 'create the ticket'},
    );
    return ticketIn(ticket, await this.context([ticket]));
  }

  /** The ticket as Zendesk has it, with users sideloaded. */
  private async raw(id: string, options: CallOptions = {}): Promise<ZdTicket> {
    const n = ticketNumber(id);
    const {ticket, users} = await this.api.call<{ticket: ZdTicket; users?: ZdUser[]}>(
      {method: 'GET', path: `api/v2/tickets/${n}`, query: {include: 'users'}, attempts: options.attempts},
      {subject: `ticket ${id}`, action: `read ticket ${id}`},
    );
    this.api.remember(users);
    return ticket;
  }

  /** Every comment of a ticket, oldest first, page by page. */
  private async comments(id: string, options: CallOptions = {}): Promise<ZdComment[]> {
    const n = ticketNumber(id);
    const out: ZdComment[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.api.call<{comments: ZdComment[]; users?: ZdUser[]; meta?: CursorMeta}>(
        {method: 'GET', path: `api/v2/tickets/${n}/comments`, query: {include: 'users', 'page[size]': PAGE, 'page[after]': after}, attempts: options.attempts},
        {subject: `ticket ${id}`, action: `read the comments of ticket ${id}`},
      );
      this.api.remember(page.users);
      out.push(...page.comments);
      if (!page.meta?.has_more || !page.meta.after_cursor) return out;
      after = page.meta.after_cursor;
    }
  }

  async get(id: string, options: CallOptions = {}): Promise<Ticket> {
    const [ticket, comments] = await Promise.all([this.raw(id, options), this.comments(id, options)]);
    const ctx = await this.context([ticket]);
    return ticketIn(ticket, ctx, comments.flatMap((c) => attachmentsIn(String(ticket.id), c)));
  }

  async view(id: string, options: CallOptions = {}): Promise<TicketWithComments> {
    const [ticket, comments] = await Promise.all([this.raw(id, options), this.comments(id, options)]);
    const ctx = await this.context([ticket], comments.map((c) => c.author_id));
    const ticketId = String(ticket.id);
    const mapped = ticketIn(ticket, ctx, comments.flatMap((c) => attachmentsIn(ticketId, c)));
    // The first comment is the description, which is the ticket's body.
    return {...mapped, comments: comments.slice(1).map((c) => commentIn(ticketId, c, ctx.users))};
  }

  async list(query: TicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    const filtered = Boolean(query.status?.length || query.priority?.length || query.tags?.length || query.assignee || query.requester || query.search);
    if (cursor?.k === 'list' && filtered) {
      throw new UsageError('That cursor belongs to a list without filters.', {hint: 'Pass a cursor with the same filters it was given out with.'});
    }
    if (cursor?.k === 'search' || filtered) return this.search(query, limit, cursor?.k === 'search' ? cursor : undefined);
    return this.listAll(limit, cursor?.a);
  }

  /** No filters: the list endpoint, newest first, pages of up to 100 through its cursor. */
  private async listAll(limit: number, after: string | undefined): Promise<TicketPage> {
    const raw: ZdTicket[] = [];
    let more = true;
    while (raw.length < limit && more) {
      const page = await this.api.call<{tickets: ZdTicket[]; users?: ZdUser[]; meta?: CursorMeta}>(
        {method: 'GET', path: 'api/v2/tickets', query: {'page[size]': Math.min(PAGE, limit - raw.length), 'page[after]': after, sort: '-id', include: 'users'}},
        {action: 'list tickets'},
      );
      this.api.remember(page.users);
      raw.push(...page.tickets);
      more = Boolean(page.meta?.has_more && page.meta.after_cursor);
      after = page.meta?.after_cursor ?? undefined;
    }
    const ctx = await this.context(raw);
    return {tickets: raw.map((t) => ticketIn(t, ctx)), nextCursor: more && after ? encodeCursor({k: 'list', a: after}) : null};
  }

  /**
   * With filters: the search API, newest first. What search cannot say exactly (several statuses
   * or priorities, every one of several tags, a user by email or name) is checked here on each
   * result as well, so a page may take more than one request. Search stops at 1,000 results per
   * query; past that the walk goes on with a new query for the tickets created before the last.
   */
  private async search(given: TicketQuery, limit: number, cursor: Extract<ListCursor, {k: 'search'}> | undefined): Promise<TicketPage> {
    // `@me` is the user the token belongs to: Zendesk's search says `me`, the check here its id.
    const query = {...given};
    if (query.assignee === ME || query.requester === ME) {
      const me = String((await this.api.me()).id);
      if (query.assignee === ME) query.assignee = me;
      if (query.requester === ME) query.requester = me;
    }
    const base = cursor?.q ?? this.searchQuery(query);
    let page = cursor?.p ?? 1;
    let index = cursor?.i ?? 0;
    let bound = cursor?.b;
    let skip = new Set(cursor?.s ?? []);
    const found: ZdTicket[] = [];
    for (;;) {
      const q = bound ? `${base} created<${secondAfter(bound)}` : base;
      const result = await this.api.call<{results: (ZdTicket & {result_type?: string})[]; next_page?: string | null; count?: number}>(
        {method: 'GET', path: 'api/v2/search', query: {query: q, sort_by: 'created_at', sort_order: 'desc', page, per_page: SEARCH_PAGE}},
        {action: 'search tickets'},
      );
      const rows = result.results.filter((r) => (r.result_type ?? 'ticket') === 'ticket');
      const ctx = await this.context(rows.slice(index));
      let consumed = index;
      for (; consumed < rows.length && found.length < limit; consumed++) {
        const row = rows[consumed]!;
        if (skip.has(String(row.id))) continue;
        if (this.matches(ticketIn(row, ctx), row, query)) found.push(row);
      }
      const last = rows[consumed - 1];
      const pageDone = consumed >= rows.length;
      const moreResults = Boolean(result.next_page);
      if (found.length >= limit && !(pageDone && !moreResults)) {
        // Stopped inside the results: continue after the last one looked at.
        const next: ListCursor = pageDone ? this.nextPage(base, page, bound, skip, last) : {k: 'search', q: base, p: page, i: consumed, ...(bound ? {b: bound, s: [...skip]} : {})};
        return this.page(found, next);
      }
      if (!moreResults) return this.page(found, null);
      const next = this.nextPage(base, page, bound, skip, last) as Extract<ListCursor, {k: 'search'}>;
      page = next.p;
      index = next.i;
      bound = next.b;
      skip = new Set(next.s ?? []);
    }
  }

  /** After a whole page: the next page, or past the 1,000th result a new query bounded by the last created_at. */
  private nextPage(base: string, page: number, bound: string | undefined, skip: Set<string>, last: ZdTicket | undefined): ListCursor {
    if (page < SEARCH_MAX_PAGE || !last) return {k: 'search', q: base, p: page + 1, i: 0, ...(bound ? {b: bound, s: [...skip]} : {})};
    const lastAt = last.created_at;
    const sameSecond = (t: string) => Math.floor(Date.parse(t) / 1000) === Math.floor(Date.parse(lastAt) / 1000);
    const seen = bound && sameSecond(bound) ? [...skip] : [];
    return {k: 'search', q: base, p: 1, i: 0, b: lastAt, s: [...seen, String(last.id)]};
  }

  private async page(found: ZdTicket[], next: ListCursor | null): Promise<TicketPage> {
    const ctx = await this.context(found);
    return {tickets: found.map((t) => ticketIn(t, ctx)), nextCursor: next ? encodeCursor(next) : null};
  }

  private searchQuery(query: TicketQuery): string {
    const terms = ['type:ticket'];
    if (query.status?.length === 1) terms.push(`status:${statusOut(query.status[0]!)}`);
    if (query.priority?.length === 1) terms.push(`priority:${query.priority[0]}`);
    if (query.tags?.length) terms.push(`tags:${searchValue(query.tags[0]!)}`);
    if (query.assignee) terms.push(`assignee:${searchValue(query.assignee)}`);
    if (query.requester) terms.push(`requester:${searchValue(query.requester)}`);
    if (query.search?.trim()) terms.push(query.search.trim());
    return terms.join(' ');
  }

  private matches(t: Ticket, raw: ZdTicket, query: TicketQuery): boolean {
    if (query.status?.length && !query.status.includes(t.status)) return false;
    if (query.priority?.length && !query.priority.includes(t.priority)) return false;
    if (query.tags?.length && !query.tags.every((tag) => t.tags.includes(tag))) return false;
    const isUser = (id: number | null | undefined, wanted: string) => {
      if (id === null || id === undefined) return wanted === 'none';
      const user = this.api.users.get(id);
      const w = wanted.trim().toLowerCase();
      return String(id) === w || userRef(user, id).toLowerCase() === w || user?.name?.toLowerCase() === w || user?.email?.toLowerCase() === w;
    };
    if (query.assignee && !isUser(raw.assignee_id, query.assignee)) return false;
    if (query.requester && !isUser(raw.requester_id, query.requester)) return false;
    return true;
  }

  /** Zendesk takes no idempotency key on updates; a PUT of values is safe to repeat. */
  async update(id: string, changes: TicketChanges, options: CallOptions = {}): Promise<Ticket> {
    const n = ticketNumber(id);
    const [fields, assignee] = await Promise.all([this.api.fields(), changes.assignee === undefined ? undefined : this.assignee(changes.assignee)]);
    const body = changesOut(changes, fields, assignee);
    const tagChange = Boolean(changes.addTags?.length || changes.removeTags?.length);
    for (let attempt = 1; ; attempt++) {
      const ticket = {...body};
      if (tagChange) {
        // `tags` replaces the list: read it, change it, and let Zendesk refuse the write if the ticket moved meanwhile.
        const current = await this.raw(id, options);
        ticket.tags = tagsAfter(current.tags ?? [], changes);
        ticket.safe_update = true;
        ticket.updated_stamp = current.updated_at;
      }
      try {
        const result = await this.api.call<{ticket: ZdTicket}>({method: 'PUT', path: `api/v2/tickets/${n}`, json: {ticket}, attempts: options.attempts}, {subject: `ticket ${id}`, action: `update ticket ${id}`});
        return ticketIn(result.ticket, await this.context([result.ticket]));
      } catch (error) {
        const conflict = error instanceof RejectedError && (error.cause as {status?: number} | undefined)?.status === 409;
        if (!conflict || attempt >= 3) throw error;
      }
    }
  }

  /** Zendesk takes no idempotency key on comments: the request is never repeated after it may have been applied. */
  async comment(id: string, input: NewComment, options: CallOptions = {}): Promise<Comment> {
    const n = ticketNumber(id);
    const visibility = input.public === false ? false : true;
    const {audit} = await this.api.call<{ticket: ZdTicket; audit?: ZdAudit}>(
      // Not idempotent: a repeat after a lost answer would add the comment twice; the bulk service looks before it repeats.
      {method: 'PUT', path: `api/v2/tickets/${n}`, json: {ticket: {comment: {body: input.body, public: visibility}}}, repeatable: false, attempts: options.attempts},
      {subject: `ticket ${id}`, action: `comment on ticket ${id}`},
    );
    const me = await this.api.me();
    const event = audit?.events.find((e) => e.type === 'Comment');
    return commentIn(
      String(n),
      {id: Number(event?.id ?? 0), author_id: me.id ?? 0, body: input.body, public: visibility, created_at: audit?.created_at ?? new Date().toISOString()},
      this.api.users,
    );
  }

  /**
   * Uploads the file (Zendesk's uploads endpoint takes the raw bytes), then attaches it with an
   * internal note that names the file, its size and its sha256 (Zendesk keeps no checksum; the
   * note is where `ticket view` reads it back). Zendesk's stored size must match what was sent.
   */
  async attach(id: string, file: AttachmentSource, options: CallOptions = {}): Promise<Attachment> {
    const n = ticketNumber(id);
    let hash = createHash('sha256');
    let sent = 0;
    const contentType = file.contentType ?? 'application/octet-stream';
    const {upload} = await this.api.call<{upload: {token: string; attachment: {id: number; file_name: string; size: number; content_type?: string}}}>(
      {
        method: 'POST',
        path: 'api/v2/uploads',
        query: {filename: file.name},
        stream: {
          open: () => {
            hash = createHash('sha256');
            sent = 0;
            const source = file.open();
            const tap = new Transform({
              transform(chunk: Buffer, _encoding, done) {
                hash.update(chunk);
                sent += chunk.length;
                done(null, chunk);
              },
            });
            source.on('error', (error) => tap.destroy(error));
            return source.pipe(tap);
          },
          size: file.size,
          contentType,
        },
        // A repeated upload leaves an unused copy that Zendesk drops after three days: safe to send again.
        repeatable: true,
        attempts: options.attempts,
        onUploadProgress: file.onProgress,
      },
      {action: `upload ${file.name}`},
    );
    const sha256 = hash.digest('hex');
    if (upload.attachment.size !== sent || sent !== file.size) {
      throw new SupportError(`Zendesk stored ${upload.attachment.size} bytes of ${file.name}, but ${file.size} were meant to go.`, {
        hint: 'Check that the file was not changed during the upload, then attach it again.',
      });
    }
    const {audit} = await this.api.call<{ticket: ZdTicket; audit?: ZdAudit}>(
      {
        method: 'PUT',
        path: `api/v2/tickets/${n}`,
        json: {ticket: {comment: {body: attachmentNote(file.name, file.size, sha256), public: false, uploads: [upload.token]}}},
        repeatable: false,
        attempts: options.attempts,
      },
      {subject: `ticket ${id}`, action: `attach ${file.name} to ticket ${id}`},
    );
    return {
      id: String(upload.attachment.id),
      ticketId: String(n),
      name: upload.attachment.file_name,
      size: upload.attachment.size,
      sha256,
      contentType: upload.attachment.content_type ?? contentType,
      createdAt: new Date(Date.parse(audit?.created_at ?? new Date().toISOString())).toISOString(),
    };
  }

  async events(id: string): Promise<TicketEvent[]> {
    const n = ticketNumber(id);
    const audits: ZdAudit[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.api.call<{audits: ZdAudit[]; meta?: CursorMeta}>(
        {method: 'GET', path: `api/v2/tickets/${n}/audits`, query: {'page[size]': PAGE, 'page[after]': after}},
        {subject: `ticket ${id}`, action: `read the history of ticket ${id}`},
      );
      audits.push(...page.audits);
      if (!page.meta?.has_more || !page.meta.after_cursor) break;
      after = page.meta.after_cursor;
    }
    await this.api.loadUsers(audits.map((a) => a.author_id));
    return eventsIn(String(n), audits, this.api.users);
  }

  /**
   * --assignee as Zendesk takes it: an email as assignee_email, digits as the id, a name looked
   * up among agents (one must match exactly), empty or null to unassign.
   */
  private async assignee(value: string | null | undefined): Promise<Assignee | undefined> {
    if (value === undefined) return undefined;
    if (value === null || value.trim() === '' || value === 'none') return {assignee_id: null};
    const text = value.trim();
    if (/^\d+$/.test(text)) return {assignee_id: Number(text)};
    if (/^[^\s@]+@[^\s@]+$/.test(text)) return {assignee_email: text};
    const {users} = await this.api.call<{users: ZdUser[]}>({method: 'GET', path: 'api/v2/users/search', query: {query: text}}, {action: `look up the agent ${text}`});
    const agents = users.filter((u) => (u.role === 'agent' || u.role === 'admin') && u.name.toLowerCase() === text.toLowerCase());
    this.api.remember(agents);
    if (agents.length === 1 && agents[0]!.id !== null) return {assignee_id: agents[0]!.id};
    if (agents.length > 1) {
      throw new UsageError(`Several Zendesk agents are named "${text}".`, {hint: `Give the email instead: ${agents.map((a) => a.email).filter(Boolean).join(', ')}.`});
    }
    throw new NotFoundError(`No Zendesk agent is named "${text}".`, {hint: 'Give the agent’s email, e.g. --assignee agent@example.com.'});
  }
}
