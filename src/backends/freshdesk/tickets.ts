import {createHash} from 'node:crypto';
import {Readable, Transform} from 'node:stream';

import {NotFoundError, SupportError, UsageError} from '../../domain/errors.js';
import {
  assertStatusChange,
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
  type TicketStatus,
  type TicketWithComments,
} from '../../domain/ticket.js';
import {unsupported} from '../capabilities.js';
import type {AttachmentSource, Backend, CallOptions, CreateOptions, TicketApi} from '../backend.js';
import {nextLink, pageOf, PAGE, type FreshdeskApi} from './api.js';
import {ticketNumber} from './errors.js';
import {
  attachmentNote,
  attachmentsIn,
  commentIn,
  conversationText,
  FD_STATUS,
  fieldsOut,
  priorityOut,
  statusIn,
  statusOut,
  tagsAfter,
  textToHtml,
  ticketIn,
  typeOut,
  userRef,
  type FdConversation,
  type FdTicket,
  type FieldCatalog,
  type MapContext,
} from './map.js';

/** The filter API answers 30 tickets a page, pages 1 to 10: at most 300 a query (https://developers.freshdesk.com/api/#filter_tickets). */
const FILTER_PAGE = 30;
const FILTER_MAX_PAGE = 10;
/** Longest filter query Freshdesk takes, quotes included. */
const FILTER_MAX_CHARS = 512;
/**
 * List Tickets answers only tickets created in the last 30 days unless `updated_since` is given
 * (https://developers.freshdesk.com/api/#list_all_tickets): the adapter always asks from the start.
 */
const BEGINNING = '1970-01-01T00:00:00Z';
/** What the list endpoint embeds: the requester's name and email, and the description (accounts since 2018 need it asked). */
const LIST_INCLUDE = 'requester,description';

/**
 * Where a list continues:
 * - `l`: the list endpoint, page `p` of `n`, from item `i` (optionally by requester: `e` email, `r` id);
 * - `f`: the filter API, query `q`, page `p`, from item `i`;
 * - `s`: a walk of the list endpoint that checks each ticket here (free text, and past the filter
 *   API's 300 results), optionally only tickets created at or before `b` and not in `x`.
 * `h` is a digest of the filters the cursor was given out with.
 */
type ListCursor =
  | {k: 'l'; h: string; p: number; n: number; i: number; e?: string; r?: number}
  | {k: 'f'; h: string; q: string; p: number; i: number}
  | {k: 's'; h: string; p: number; n: number; i: number; b?: string; x?: number[]};

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string, digest: string): ListCursor {
  let c: ListCursor | undefined;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
  } catch {
    // reported below
  }
  const valid = c && typeof c === 'object' && ['l', 'f', 's'].includes(c.k) && Number.isInteger(c.p) && Number.isInteger(c.i) && typeof c.h === 'string';
  if (!valid) throw new UsageError('That cursor is not one this command gave out.', {hint: 'Pass the nextCursor value of the previous page unchanged, with the same filters.'});
  if (c!.h !== digest) throw new UsageError('That cursor belongs to a list with other filters.', {hint: 'Pass a cursor with the same filters it was given out with.'});
  return c!;
}

const ME = '@me';
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Filter query values are quoted with single quotes; one inside cannot be escaped, so it is left out. */
const quoted = (value: string) => `'${value.replace(/'/g, '')}'`;

export interface FreshdeskTicketSettings {
  group?: string;
}

/** Tickets through Freshdesk's API v2: codes both ways, replies and notes, multipart attachments. */
export class FreshdeskTickets implements TicketApi {
  constructor(
    private readonly api: FreshdeskApi,
    private readonly settings: FreshdeskTicketSettings,
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  /** What mapping needs: the people tickets name (embedded requesters remembered), the field catalog. */
  private async context(tickets: readonly FdTicket[], extra: Iterable<number | null | undefined> = []): Promise<MapContext> {
    for (const t of tickets) this.api.rememberRequester(t.requester);
    const ids: (number | null | undefined)[] = [...extra];
    for (const t of tickets) ids.push(t.requester_id, t.responder_id);
    const [fields] = await Promise.all([this.api.fields(), this.api.loadPeople(ids)]);
    return {people: this.api.people, fields};
  }

  /** Freshdesk has no idempotency key: a create whose answer is lost is not sent again (the CLI says to check). */
  async create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    const [catalog, me, assignee] = await Promise.all([this.api.fields(), this.api.me(), this.assignee(input.assignee)]);
    const {props, custom} = fieldsOut(input.fields ?? {}, catalog, true);
    const body: Record<string, unknown> = {
      subject: input.title,
      description: textToHtml(input.body),
      // The agent files the ticket as its requester unless fields name another (requester_id).
      requester_id: me.id,
      status: FD_STATUS.open,
      // Freshdesk's default is Low; the toolkit's is normal.
      priority: priorityOut(input.priority ?? 'normal'),
    };
    if (input.type) body.type = typeOut(input.type, catalog);
    if (input.tags?.length) body.tags = input.tags;
    if (assignee !== undefined && assignee !== null) body.responder_id = assignee;
    if (this.settings.group) body.group_id = Number(this.settings.group);
    Object.assign(body, props);
    if (Object.keys(custom).length) body.custom_fields = custom;
    const ticket = await this.api.call<FdTicket>({method: 'POST', path: 'api/v2/tickets', json: body, attempts: options.attempts}, {action: 'create the ticket'});
    return ticketIn(ticket, await this.context([ticket]));
  }

  /**
   * One ticket. Nothing is embedded by default: an include costs two more credits of the
   * account's per-minute budget, and the requester is read once per run as a contact instead.
   */
  private async raw(id: string, options: CallOptions = {}, include?: string): Promise<FdTicket> {
    const n = ticketNumber(id);
    return this.api.call<FdTicket>({method: 'GET', path: `api/v2/tickets/${n}`, query: {include}, attempts: options.attempts}, {subject: `ticket ${id}`, action: `read ticket ${id}`});
  }

  /** Every conversation (replies, notes, incoming mail) of a ticket, oldest first. */
  private async conversations(id: string, options: CallOptions = {}): Promise<FdConversation[]> {
    const n = ticketNumber(id);
    const out: FdConversation[] = [];
    for (let page = 1; ; ) {
      const res = await this.api.send(
        {method: 'GET', path: `api/v2/tickets/${n}/conversations`, query: {per_page: PAGE, page}, attempts: options.attempts},
        {subject: `ticket ${id}`, action: `read the conversations of ticket ${id}`},
      );
      out.push(...((res.body as FdConversation[] | undefined) ?? []));
      const next = nextLink(res.headers);
      const nextPage = next ? pageOf(next) : undefined;
      if (!nextPage || nextPage <= page) break;
      page = nextPage;
    }
    return out.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  }

  private allAttachments(ticket: FdTicket, conversations: readonly FdConversation[]): Attachment[] {
    const id = String(ticket.id);
    return [
      ...attachmentsIn(id, ticket.attachments, ticket.description_text ?? '', ticket.created_at),
      ...conversations.flatMap((c) => attachmentsIn(id, c.attachments, conversationText(c), c.created_at)),
    ];
  }

  async get(id: string, options: CallOptions = {}): Promise<Ticket> {
    const [ticket, conversations] = await Promise.all([this.raw(id, options), this.conversations(id, options)]);
    return ticketIn(ticket, await this.context([ticket]), this.allAttachments(ticket, conversations));
  }

  async view(id: string, options: CallOptions = {}): Promise<TicketWithComments> {
    const [ticket, conversations] = await Promise.all([this.raw(id, options), this.conversations(id, options)]);
    const ctx = await this.context([ticket], conversations.map((c) => c.user_id));
    return {...ticketIn(ticket, ctx, this.allAttachments(ticket, conversations)), comments: conversations.map((c) => commentIn(String(ticket.id), c, ctx.people))};
  }

  /* ---- lists ---- */

  async list(given: TicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(1, given.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
    const query = {...given, search: given.search?.trim() || undefined};
    // `@me` is the agent the API key belongs to: the checks here compare its id.
    if (query.assignee?.trim() === ME || query.requester?.trim() === ME) {
      const me = String((await this.api.me()).id);
      if (query.assignee?.trim() === ME) query.assignee = me;
      if (query.requester?.trim() === ME) query.requester = me;
    }
    const digest = createHash('sha256').update(JSON.stringify([query.status, query.priority, query.tags, query.assignee, query.requester, query.search])).digest('base64url').slice(0, 12);
    const cursor = query.cursor ? decodeCursor(query.cursor, digest) : undefined;
    const structured = Boolean(query.status?.length || query.priority?.length || query.tags?.length || query.assignee);
    if (cursor?.k === 's' || (!cursor && query.search)) return this.scan(query, limit, digest, cursor?.k === 's' ? cursor : undefined);
    if (cursor?.k === 'f' || (!cursor && structured)) return this.filter(query, limit, digest, cursor?.k === 'f' ? cursor : undefined);
    if (cursor?.k === 'l') return this.listPages(query, limit, cursor);
    // Only the requester, or nothing: the list endpoint, by requester when Freshdesk can filter by it.
    const by = await this.requesterParam(query.requester);
    if (by === 'scan') return this.scan(query, limit, digest, undefined);
    return this.listPages(query, limit, {k: 'l', h: digest, p: 1, n: limit <= FILTER_PAGE ? FILTER_PAGE : PAGE, i: 0, ...by});
  }

  /** `requester_id=` or `email=` for the list endpoint; a name is matched here, on a walk. */
  private async requesterParam(value: string | undefined): Promise<{e?: string; r?: number} | 'scan'> {
    if (!value) return {};
    const text = value.trim();
    if (/^\d{1,15}$/.test(text)) return {r: Number(text)};
    if (EMAIL.test(text)) return {e: text};
    return 'scan';
  }

  private listRequest(page: number, perPage: number, extra: Record<string, string | number | undefined> = {}) {
    return {
      method: 'GET' as const,
      path: 'api/v2/tickets',
      query: {updated_since: BEGINNING, order_by: 'created_at', order_type: 'desc', include: LIST_INCLUDE, per_page: perPage, page, ...extra},
    };
  }

  /** The list endpoint, newest first, page by page through its Link header. */
  private async listPages(query: TicketQuery, limit: number, from: Extract<ListCursor, {k: 'l'}>): Promise<TicketPage> {
    const found: FdTicket[] = [];
    let {p: page, i: index} = from;
    for (;;) {
      const res = await this.api.send(this.listRequest(page, from.n, {email: from.e, requester_id: from.r}), {action: 'list tickets'});
      const rows = (res.body as FdTicket[] | undefined) ?? [];
      const take = rows.slice(index, index + (limit - found.length));
      found.push(...take);
      const consumed = index + take.length;
      const next = nextLink(res.headers);
      if (found.length >= limit) {
        const cursor = consumed < rows.length ? {...from, p: page, i: consumed} : next ? {...from, p: pageOf(next) ?? page + 1, i: 0} : null;
        return this.page(found, cursor);
      }
      if (!next) return this.page(found, null);
      page = pageOf(next) ?? page + 1;
      index = 0;
    }
  }

  /** Structured filters through the filter API; past its 300 results the walk goes on through the list endpoint. */
  private async filter(query: TicketQuery, limit: number, digest: string, from: Extract<ListCursor, {k: 'f'}> | undefined): Promise<TicketPage> {
    const q = from?.q ?? (await this.filterQuery(query));
    if (q === null) return {tickets: [], nextCursor: null};
    const found: FdTicket[] = [];
    let page = from?.p ?? 1;
    let index = from?.i ?? 0;
    for (;;) {
      const result = await this.api.call<{total: number; results: FdTicket[]}>(
        {method: 'GET', path: 'api/v2/search/tickets', query: {query: `"${q}"`, page}},
        {action: 'filter tickets'},
      );
      const rows = result.results ?? [];
      const ctx = await this.context(rows.slice(index));
      let consumed = index;
      for (; consumed < rows.length && found.length < limit; consumed++) {
        const row = rows[consumed]!;
        if (this.matches(ticketIn(row, ctx), query)) found.push(row);
      }
      const more = page * FILTER_PAGE < result.total && rows.length > 0;
      if (consumed < rows.length) return this.page(found, {k: 'f', h: digest, q, p: page, i: consumed});
      if (!more) return this.page(found, null);
      if (page >= FILTER_MAX_PAGE) {
        // Freshdesk answers no page past the 10th: the rest are walked through the list endpoint, each checked here.
        const last = rows[rows.length - 1]!;
        const sameSecond = rows.filter((r) => r.created_at === last.created_at).map((r) => r.id);
        const rest: Extract<ListCursor, {k: 's'}> = {k: 's', h: digest, p: 1, n: PAGE, i: 0, b: last.created_at, x: sameSecond};
        if (found.length >= limit) return this.page(found, rest);
        const tail = await this.scan(query, limit - found.length, digest, rest);
        return {tickets: [...(await this.mapped(found)), ...tail.tickets], nextCursor: tail.nextCursor};
      }
      if (found.length >= limit) return this.page(found, {k: 'f', h: digest, q, p: page + 1, i: 0});
      page++;
      index = 0;
    }
  }

  /**
   * A walk of the list endpoint with every filter checked here: for free text (Freshdesk's API
   * has no full-text ticket search) and past the filter API's 300 results. Slower, and complete.
   */
  private async scan(query: TicketQuery, limit: number, digest: string, from: Extract<ListCursor, {k: 's'}> | undefined): Promise<TicketPage> {
    const cursor: Extract<ListCursor, {k: 's'}> = from ?? {k: 's', h: digest, p: 1, n: PAGE, i: 0};
    const bound = cursor.b ? Date.parse(cursor.b) : undefined;
    const skip = new Set(cursor.x ?? []);
    const found: FdTicket[] = [];
    let {p: page, i: index} = cursor;
    for (;;) {
      const res = await this.api.send(this.listRequest(page, cursor.n), {action: 'list tickets'});
      const rows = (res.body as FdTicket[] | undefined) ?? [];
      const ctx = await this.context(rows.slice(index));
      let consumed = index;
      for (; consumed < rows.length && found.length < limit; consumed++) {
        const row = rows[consumed]!;
        if (bound !== undefined && (Date.parse(row.created_at) > bound || skip.has(row.id))) continue;
        if (this.matches(ticketIn(row, ctx), query)) found.push(row);
      }
      const next = nextLink(res.headers);
      if (consumed < rows.length) return this.page(found, {...cursor, p: page, i: consumed});
      if (!next) return this.page(found, null);
      if (found.length >= limit) return this.page(found, {...cursor, p: pageOf(next) ?? page + 1, i: 0});
      page = pageOf(next) ?? page + 1;
      index = 0;
    }
  }

  private async mapped(rows: readonly FdTicket[]): Promise<Ticket[]> {
    const ctx = await this.context(rows);
    return rows.map((t) => ticketIn(t, ctx));
  }

  private async page(found: FdTicket[], next: ListCursor | null): Promise<TicketPage> {
    return {tickets: await this.mapped(found), nextCursor: next ? encodeCursor(next) : null};
  }

  /**
   * The filter API's query for the structured filters ("status:2 AND tag:'vpn'"), or null when
   * they can match no ticket (an assignee who is no agent, on hold without custom statuses).
   */
  private async filterQuery(query: TicketQuery): Promise<string | null> {
    const terms: string[] = [];
    const any = (field: string, values: readonly (number | string)[]) => (values.length === 1 ? `${field}:${values[0]}` : `(${values.map((v) => `${field}:${v}`).join(' OR ')})`);
    if (query.status?.length) {
      const catalog = await this.api.fields();
      const codes = new Set<number>();
      for (const s of query.status) {
        if (s === 'on_hold') for (const c of catalog.customStatuses()) codes.add(c.code);
        else codes.add(statusOut(s, catalog));
      }
      if (!codes.size) return null;
      terms.push(any('status', [...codes].sort((a, b) => a - b)));
      // "new" is an Open ticket without an agent: Freshdesk can say so when new is all that is asked.
      if (query.status.every((s) => s === 'new')) terms.push('agent_id:null');
    }
    if (query.priority?.length) terms.push(any('priority', [...new Set(query.priority.map(priorityOut))].sort()));
    for (const tag of query.tags ?? []) terms.push(`tag:${quoted(tag)}`);
    if (query.assignee) {
      const agent = await this.agentId(query.assignee);
      if (agent === undefined) return null;
      terms.push(`agent_id:${agent ?? 'null'}`);
    }
    const q = terms.join(' AND ');
    if (q.length + 2 > FILTER_MAX_CHARS) {
      throw new UsageError(`The filters make a Freshdesk query of ${q.length + 2} characters; it takes ${FILTER_MAX_CHARS}.`, {hint: 'Give fewer tags or statuses, and filter the rest with --json and jq.'});
    }
    return q;
  }

  /** An assignee filter as an agent id: null for none, undefined when no agent is meant (nothing can match). */
  private async agentId(value: string): Promise<number | null | undefined> {
    const text = value.trim();
    if (text === 'none') return null;
    if (/^\d{1,15}$/.test(text)) return Number(text);
    const agents = await this.api.agents();
    const lower = text.toLowerCase();
    const match = agents.filter((a) => a.contact.email?.toLowerCase() === lower || a.contact.name.toLowerCase() === lower);
    return match.length ? match[0]!.id : undefined;
  }

  /** Every filter, checked on one ticket (the filter API's results are checked too: several statuses, "open" versus "new"). */
  private matches(t: Ticket, query: TicketQuery): boolean {
    if (query.status?.length && !query.status.includes(t.status)) return false;
    if (query.priority?.length && !query.priority.includes(t.priority)) return false;
    if (query.tags?.length && !query.tags.every((tag) => t.tags.map((x) => x.toLowerCase()).includes(tag.toLowerCase()))) return false;
    const isUser = (id: string | null | undefined, ref: string | null, wanted: string) => {
      const w = wanted.trim().toLowerCase();
      if (w === 'none') return id === null || id === undefined;
      if (id === null || id === undefined) return false;
      const person = this.api.people.get(Number(id));
      return id === w || (ref ?? '').toLowerCase() === w || person?.name.toLowerCase() === w || person?.email?.toLowerCase() === w;
    };
    if (query.assignee && !isUser(t.assigneeId, t.assignee, query.assignee)) return false;
    if (query.requester && !isUser(t.requesterId, t.requester, query.requester)) return false;
    if (query.search) {
      const text = `${t.title}\n${t.body}`.toLowerCase();
      if (!query.search.toLowerCase().split(/\s+/).filter(Boolean).every((w) => text.includes(w))) return false;
    }
    return true;
  }

  /* ---- changes ---- */

  /** Freshdesk's PUT sets values: safe to repeat. Tags replace the list, so adding or removing reads the ticket first. */
  async update(id: string, changes: TicketChanges, options: CallOptions = {}): Promise<Ticket> {
    const n = ticketNumber(id);
    const catalog = await this.api.fields();
    const body: Record<string, unknown> = {};
    if (changes.title !== undefined) body.subject = changes.title;
    if (changes.priority !== undefined) body.priority = priorityOut(changes.priority);
    if (changes.type !== undefined) body.type = typeOut(changes.type, catalog);
    if (changes.assignee !== undefined) body.responder_id = await this.assignee(changes.assignee);
    if (changes.fields && Object.keys(changes.fields).length) {
      const {props, custom} = fieldsOut(changes.fields, catalog, false);
      Object.assign(body, props);
      if (Object.keys(custom).length) body.custom_fields = custom;
    }
    if (changes.status !== undefined) {
      const code = statusOut(changes.status, catalog);
      if (body.status !== undefined && body.status !== code) {
        throw new UsageError(`The status ${changes.status} and the status_name given say different things.`, {hint: 'Give one of them.'});
      }
      body.status = code;
    }
    const tagChange = Boolean(changes.addTags?.length || changes.removeTags?.length);
    const statusChange = typeof body.status === 'number' && body.status !== FD_STATUS.closed;
    if (tagChange || statusChange) {
      const current = await this.raw(id, options);
      if (statusChange) assertStatusChange(id, statusIn(current.status, current.responder_id), this.targetStatus(body.status as number, current, body));
      if (tagChange) body.tags = tagsAfter(current.tags ?? [], changes.addTags, changes.removeTags);
    }
    if (!Object.keys(body).length) return this.get(id, options);
    const ticket = await this.api.call<FdTicket>({method: 'PUT', path: `api/v2/tickets/${n}`, json: body, attempts: options.attempts}, {subject: `ticket ${id}`, action: `update ticket ${id}`});
    return ticketIn(ticket, await this.context([ticket]));
  }

  private targetStatus(code: number, current: FdTicket, body: Record<string, unknown>): TicketStatus {
    const responder = body.responder_id !== undefined ? (body.responder_id as number | null) : current.responder_id;
    return statusIn(code, responder);
  }

  /** Freshdesk takes no idempotency key: a reply or note is never sent again after it may have been applied. */
  async comment(id: string, input: NewComment, options: CallOptions = {}): Promise<Comment> {
    const n = ticketNumber(id);
    const internal = input.public === false;
    // A public comment is a reply (Freshdesk emails it to the requester); an internal one a private note.
    const conversation = await this.api.call<FdConversation>(
      internal
        ? {method: 'POST', path: `api/v2/tickets/${n}/notes`, json: {body: textToHtml(input.body), private: true}, repeatable: false, attempts: options.attempts}
        : {method: 'POST', path: `api/v2/tickets/${n}/reply`, json: {body: textToHtml(input.body)}, repeatable: false, attempts: options.attempts},
      {subject: `ticket ${id}`, action: `comment on ticket ${id}`},
    );
    await this.api.loadPeople([conversation.user_id]);
    return commentIn(String(n), conversation, this.api.people);
  }

  /**
   * Adds the file to a private note that names its size and sha256 (Freshdesk keeps no checksum;
   * `ticket view` reads it back from the note), as multipart/form-data: the note's fields, then
   * the file's bytes streamed from disk, with a known Content-Length (form-data-encoder). Each
   * attempt re-opens the file; the HTTP client repeats only what Freshdesk refused before doing
   * anything (a 429), since a repeated note would attach the file twice.
   */
  async attach(id: string, file: AttachmentSource, options: CallOptions = {}): Promise<Attachment> {
    const n = ticketNumber(id);
    const contentType = file.contentType ?? 'application/octet-stream';
    // The note must name the sha256 before the bytes go: read the file once for it.
    const sha256 = await hashOf(file);
    const note = attachmentNote(file.name, file.size, sha256);
    let sent = 0;
    const body = await multipart(
      [
        ['body', textToHtml(note)],
        ['private', 'true'],
      ],
      {field: 'attachments[]', name: file.name, type: contentType, size: file.size},
      () => {
        sent = 0;
        const source = file.open();
        const tap = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            sent += chunk.length;
            done(null, chunk);
          },
        });
        source.on('error', (error) => tap.destroy(error));
        return source.pipe(tap);
      },
    );
    const conversation = await this.api.call<FdConversation>(
      {method: 'POST', path: `api/v2/tickets/${n}/notes`, stream: body, repeatable: false, attempts: options.attempts, onUploadProgress: file.onProgress && ((s) => file.onProgress!(Math.min(s, file.size), file.size))},
      {subject: `ticket ${id}`, action: `attach ${file.name} to ticket ${id}`},
    );
    const stored = conversation.attachments?.find((a) => a.name === file.name) ?? conversation.attachments?.[0];
    if (!stored || stored.size !== file.size || sent !== file.size) {
      throw new SupportError(`Freshdesk stored ${stored?.size ?? 0} bytes of ${file.name}, but ${file.size} were meant to go.`, {
        hint: 'Check that the file was not changed during the upload, then attach it again.',
      });
    }
    return {
      id: String(stored.id),
      ticketId: String(n),
      name: stored.name,
      size: stored.size,
      sha256,
      contentType: stored.content_type || contentType,
      createdAt: new Date(Date.parse(stored.created_at ?? conversation.created_at)).toISOString(),
    };
  }

  /** Freshdesk's API v2 has no history of a ticket's changes. */
  events(): Promise<TicketEvent[]> {
    return Promise.reject(unsupported(this.backend(), 'events'));
  }

  /** --assignee as Freshdesk takes it: an agent's id, email or exact name; empty or none unassigns. */
  private async assignee(value: string | null | undefined): Promise<number | null | undefined> {
    if (value === undefined) return undefined;
    if (value === null || value.trim() === '' || value.trim() === 'none') return null;
    const text = value.trim();
    if (text === ME) return (await this.api.me()).id;
    if (/^\d{1,15}$/.test(text)) return Number(text);
    const agents = await this.api.agents();
    const lower = text.toLowerCase();
    const byEmail = agents.filter((a) => a.contact.email?.toLowerCase() === lower);
    const matches = byEmail.length ? byEmail : agents.filter((a) => a.contact.name.toLowerCase() === lower);
    if (matches.length === 1) return matches[0]!.id;
    if (matches.length > 1) {
      throw new UsageError(`Several Freshdesk agents are named "${text}".`, {hint: `Give the email instead: ${matches.map((a) => userRef(this.api.people.get(a.id), a.id)).join(', ')}.`});
    }
    throw new NotFoundError(`No Freshdesk agent is ${EMAIL.test(text) ? 'at' : 'named'} "${text}".`, {hint: 'Give the agent’s email, e.g. --assignee agent@example.com.'});
  }

  /** For the SLA module: tickets as Freshdesk has them, with stats. */
  rawTicket(id: string, include: string): Promise<FdTicket> {
    return this.raw(id, {}, include);
  }

  listRaw(page: number, include: string): Promise<{rows: FdTicket[]; next: number | null}> {
    return this.api.send({...this.listRequest(page, PAGE), query: {...this.listRequest(page, PAGE).query, include}}, {action: 'list tickets'}).then((res) => {
      const next = nextLink(res.headers);
      return {rows: (res.body as FdTicket[] | undefined) ?? [], next: next ? (pageOf(next) ?? page + 1) : null};
    });
  }

  catalog(): Promise<FieldCatalog> {
    return this.api.fields();
  }
}

/** The file's sha256, read once before it is sent. */
async function hashOf(file: AttachmentSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of file.open() as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * The minimal FormData shape form-data-encoder reads: fields in order, files as objects that
 * stream from their source when the body is sent (never held in memory).
 */
class Parts {
  readonly [Symbol.toStringTag] = 'FormData';
  constructor(private readonly list: [string, unknown][]) {}
  append(name: string, value: unknown): void {
    this.list.push([name, value]);
  }
  getAll(name: string): never[] {
    return this.list.filter(([n]) => n === name).map(([, v]) => v) as never[];
  }
  *entries(): IterableIterator<[string, never]> {
    yield* this.list as [string, never][];
  }
  [Symbol.iterator](): IterableIterator<[string, never]> {
    return this.entries();
  }
}

/**
 * A multipart/form-data body with a known length, made again for each attempt so that a retry
 * re-opens the file: text fields, then one file part with its name and content type.
 */
async function multipart(
  fields: readonly [string, string][],
  file: {field: string; name: string; type: string; size: number},
  open: () => NodeJS.ReadableStream,
): Promise<{open: () => NodeJS.ReadableStream; size: number; contentType: string}> {
  const {FormDataEncoder} = await import('form-data-encoder');
  const fileLike = (stream: () => AsyncIterable<Uint8Array>) => ({
    name: file.name,
    type: file.type,
    size: file.size,
    lastModified: 0,
    stream,
    [Symbol.toStringTag]: 'File',
  });
  const encoderFor = (stream: () => AsyncIterable<Uint8Array>, boundary?: string) => {
    const form = new Parts([...fields, [file.field, fileLike(stream)]]);
    return boundary ? new FormDataEncoder(form, boundary) : new FormDataEncoder(form);
  };
  // The first encoder only measures: its file is never read.
  const measure = encoderFor(() => Readable.from([]));
  return {
    size: Number(measure.contentLength),
    contentType: measure.contentType,
    open: () => {
      const encoder = encoderFor(() => open() as unknown as AsyncIterable<Uint8Array>, measure.boundary);
      return Readable.from(encoder.encode());
    },
  };
}
