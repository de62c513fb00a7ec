import {createHash} from 'node:crypto';

import {
  assertStatusChange,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  NotFoundError,
  RejectedError,
  UsageError,

  type Comment,
  type CreateOptions,
  type Identity,
  type NewComment,
  type NewTicket,
  type Ticket,
  type TicketApi,
  type TicketChanges,
  type TicketEvent,
  type TicketPage,
  type TicketQuery,
  type TicketWithComments,
} from 'supportkit-cli/backend';

import type {JsonLinesLog} from './log.js';

/** Who did something, as each record names them. */
interface Actor {
  name: string;
  role: Identity['role'];
  id?: string;
}

/** One line of the file. Records are never rewritten: the tickets are what the records add up to. */
export type LogRecord =
  | {op: 'create'; at: string; actor: Actor; ticket: Omit<Ticket, 'createdAt' | 'updatedAt' | 'attachments'>; idempotency?: {key: string; hash: string}}
  | {op: 'update'; at: string; actor: Actor; id: string; changes: TicketChanges}
  | {op: 'comment'; at: string; actor: Actor; id: string; comment: {id: string; body: string; public: boolean}};

interface State {
  tickets: Map<string, TicketWithComments>;
  events: Map<string, TicketEvent[]>;
  keys: Map<string, {hash: string; id: string}>;
  lastTicket: number;
  lastComment: number;
}

/** Replays the log. Each record was checked when it was written, so replaying only applies it. */
function replay(records: readonly LogRecord[]): State {
  const state: State = {tickets: new Map(), events: new Map(), keys: new Map(), lastTicket: 0, lastComment: 0};
  let eventId = 0;
  const event = (r: LogRecord, ticketId: string, type: TicketEvent['type'], data: Record<string, unknown>) =>
    state.events.get(ticketId)?.push({id: String(++eventId), ticketId, type, at: r.at, actor: r.actor.name, actorId: r.actor.id ?? null, actorRole: r.actor.role, data});
  for (const r of records) {
    if (r.op === 'create') {
      state.tickets.set(r.ticket.id, {...r.ticket, createdAt: r.at, updatedAt: r.at, attachments: [], comments: []});
      state.events.set(r.ticket.id, []);
      event(r, r.ticket.id, 'created', {status: r.ticket.status, priority: r.ticket.priority, type: r.ticket.type, tags: r.ticket.tags});
      state.lastTicket = Math.max(state.lastTicket, Number(r.ticket.id));
      if (r.idempotency) state.keys.set(r.idempotency.key, {hash: r.idempotency.hash, id: r.ticket.id});
      continue;
    }
    const t = state.tickets.get(r.id);
    if (!t) continue;
    t.updatedAt = r.at;
    if (r.op === 'comment') {
      t.comments.push({id: r.comment.id, ticketId: t.id, author: r.actor.name, authorId: r.actor.id ?? null, authorRole: r.actor.role, body: r.comment.body, public: r.comment.public, createdAt: r.at});
      state.lastComment = Math.max(state.lastComment, Number(r.comment.id));
      event(r, t.id, 'comment', {commentId: r.comment.id, public: r.comment.public});
      continue;
    }
    const {status, addTags, removeTags, fields, ...rest} = r.changes;
    if (status !== undefined && status !== t.status) {
      event(r, t.id, 'status_changed', {from: t.status, to: status});
      t.status = status;
    }
    Object.assign(t, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    t.tags = [...new Set([...t.tags.filter((tag) => !removeTags?.includes(tag)), ...(addTags ?? [])])].sort();
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (v === null) delete t.fields[k];
      else t.fields[k] = v;
    }
    const changed = {...rest, ...(fields && Object.keys(fields).length ? {fields} : {}), ...(addTags?.length ? {addTags} : {}), ...(removeTags?.length ? {removeTags} : {})};
    if (Object.keys(changed).length) event(r, t.id, 'updated', changed);
  }
  return state;
}

const notFound = (id: string) => new NotFoundError(`Ticket ${id} does not exist.`, {hint: 'Run `support ticket list` to see ticket ids.'});

function encodeCursor(t: Ticket): string {
  return Buffer.from(JSON.stringify([t.createdAt, Number(t.id)])).toString('base64url');
}

function decodeCursor(cursor: string): [string, number] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'number') return [at, id];
  } catch {
    // a usage error below
  }
  throw new UsageError(`"${cursor}" is not a cursor this backend gave out.`, {hint: 'Pass the nextCursor value of the previous page unchanged.'});
}

/** Newest first; tickets made in the same millisecond by id. */
const newestFirst = (a: Ticket, b: Ticket) => b.createdAt.localeCompare(a.createdAt) || Number(b.id) - Number(a.id);

const withoutComments = ({comments: _comments, ...ticket}: TicketWithComments): Ticket => structuredClone(ticket);

export class JsonLinesTickets implements Pick<TicketApi, Exclude<keyof TicketApi, 'attach'>> {
  private readonly actor: Actor;

  constructor(
    private readonly log: JsonLinesLog<LogRecord>,
    private readonly identity: Identity,
  ) {
    this.actor = {name: identity.name, role: identity.role, ...(identity.id ? {id: identity.id} : {})};
  }

  private async state(): Promise<State> {
    return replay(await this.log.read());
  }

  private person(value: string): string {
    return value === '@me' ? this.identity.name : value;
  }

  async create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const id = await this.log.append((records) => {
      const state = replay(records);
      const seen = options.idempotencyKey ? state.keys.get(options.idempotencyKey) : undefined;
      if (seen && seen.hash !== hash) {
        throw new RejectedError('This idempotency key was already used for a different ticket.', {hint: 'Use a new key for a new ticket.'});
      }
      if (seen) return {append: [], result: seen.id};
      const ticket = {
        id: String(state.lastTicket + 1),
        title: input.title,
        body: input.body,
        status: 'new' as const,
        priority: input.priority ?? 'normal',
        type: input.type ?? 'question',
        tags: [...new Set(input.tags ?? [])].sort(),
        requester: this.identity.name,
        assignee: input.assignee ?? null,
        fields: input.fields ?? {},
      };
      const record: LogRecord = {op: 'create', at: new Date().toISOString(), actor: this.actor, ticket, ...(options.idempotencyKey ? {idempotency: {key: options.idempotencyKey, hash}} : {})};
      return {append: [record], result: ticket.id};
    });
    return this.get(id);
  }

  async get(id: string): Promise<Ticket> {
    return withoutComments(await this.view(id));
  }

  async view(id: string): Promise<TicketWithComments> {
    const ticket = (await this.state()).tickets.get(id.trim());
    if (!ticket) throw notFound(id);
    return structuredClone(ticket);
  }

  async list(query: TicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const search = query.search?.toLowerCase();
    const matches = [...(await this.state()).tickets.values()]
      .filter(
        (t) =>
          (!query.status?.length || query.status.includes(t.status)) &&
          (!query.priority?.length || query.priority.includes(t.priority)) &&
          (query.tags ?? []).every((tag) => t.tags.includes(tag)) &&
          (query.assignee === undefined || t.assignee === this.person(query.assignee)) &&
          (query.requester === undefined || t.requester === this.person(query.requester)) &&
          (!search || t.title.toLowerCase().includes(search) || t.body.toLowerCase().includes(search)) &&
          (!after || t.createdAt < after[0] || (t.createdAt === after[0] && Number(t.id) < after[1])),
      )
      .sort(newestFirst);
    const page = matches.slice(0, limit);
    return {tickets: page.map(withoutComments), nextCursor: matches.length > limit ? encodeCursor(page.at(-1)!) : null};
  }

  async update(id: string, changes: TicketChanges): Promise<Ticket> {
    await this.log.append((records) => {
      const ticket = replay(records).tickets.get(id.trim());
      if (!ticket) throw notFound(id);
      if (changes.status !== undefined) assertStatusChange(ticket.id, ticket.status, changes.status);
      return {append: [{op: 'update', at: new Date().toISOString(), actor: this.actor, id: ticket.id, changes}], result: undefined};
    });
    return this.get(id);
  }

  async comment(id: string, input: NewComment): Promise<Comment> {
    const commentId = await this.log.append((records) => {
      const state = replay(records);
      const ticket = state.tickets.get(id.trim());
      if (!ticket) throw notFound(id);
      const comment = {id: String(state.lastComment + 1), body: input.body, public: input.public ?? true};
      return {append: [{op: 'comment', at: new Date().toISOString(), actor: this.actor, id: ticket.id, comment}], result: comment.id};
    });
    const comment = (await this.view(id)).comments.find((c) => c.id === commentId);
    return comment!;
  }

  async events(id: string): Promise<TicketEvent[]> {
    const events = (await this.state()).events.get(id.trim());
    if (!events) throw notFound(id);
    return events;
  }
}


