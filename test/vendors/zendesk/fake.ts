import {createHash, randomUUID} from 'node:crypto';

import {VendorFake, type FakeRequest, type FakeResponse, type Handler} from '../harness/fake-server.js';
import {SlidingWindow} from '../harness/rate-limit.js';
import {zendeskContract} from './contract.js';

/**
 * A stateful Zendesk (Support API and Help Center) on 127.0.0.1, behind its contract: the tickets
 * a test creates are there to read, search, update and comment on; the rules it follows are the
 * ones ../shared/vendors/zendesk.md collects ("Simulator checklist"): API tokens as Basic
 * `{email}/token:{token}` and OAuth as Bearer, the anonymous user for a credential it cannot read,
 * idempotent creates, cursor lists, offset search capped at 1,000, raw uploads with tokens,
 * include=slas, X-Rate-Limit headers and 429 with Retry-After when the window is full.
 */

export interface FakeUser {
  id: number;
  name: string;
  email: string;
  role: 'admin' | 'agent' | 'end-user';
}

interface StoredComment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  created_at: string;
  attachments: StoredAttachment[];
}

interface StoredAttachment {
  id: number;
  file_name: string;
  content_url: string;
  content_type: string;
  size: number;
}

interface StoredTicket {
  id: number;
  subject: string;
  description: string;
  status: string;
  priority: string | null;
  type: string | null;
  tags: string[];
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  group_id: number | null;
  organization_id: number | null;
  brand_id?: number;
  ticket_form_id?: number;
  external_id: string | null;
  custom_status_id?: number;
  custom_fields: Map<number, unknown>;
  via: {channel: string; source: {from: Record<string, never>; to: Record<string, never>; rel: null}};
  created_ms: number;
  updated_ms: number;
  comments: StoredComment[];
  audits: {id: number; created_at: string; author_id: number; events: Record<string, unknown>[]}[];
}

export interface FakeArticle {
  id: number;
  title: string;
  /** HTML, as Help Center stores it. */
  body: string;
  locale: string;
  label_names: string[];
  section_id: number;
  updated_ms: number;
  /** Unpublished: listed for agents with draft: true, never found by search. */
  draft?: boolean;
  /** Archived in Guide (what the API's "delete" does): no longer listed, searched or shown. */
  archived?: boolean;
}

export interface ZendeskFakeOptions {
  /** Requests allowed in any 60 seconds; past that, 429 with Retry-After. Default: no limit enforced (headers say 700). */
  ratePerMinute?: number;
  /** A ticket shows up in search this long after it was created or changed (Zendesk's index lags). */
  searchLagMs?: number;
  now?: () => number;
}

export const CUSTOM_FIELDS = [
  {id: 360001, type: 'text', title: 'Region'},
  {id: 360002, type: 'integer', title: 'Seats'},
  {id: 360003, type: 'text', title: 'Legacy'},
  {id: 360004, type: 'checkbox', title: 'VIP customer'},
] as const;

const SYSTEM_FIELDS = [
  {id: 1, type: 'subject', title: 'Subject'},
  {id: 2, type: 'description', title: 'Description'},
  {id: 3, type: 'status', title: 'Status'},
  {id: 4, type: 'priority', title: 'Priority'},
  {id: 5, type: 'tickettype', title: 'Type'},
  {id: 6, type: 'assignee', title: 'Assignee'},
  {id: 7, type: 'group', title: 'Group'},
];

const CUSTOM_STATUSES = [
  {id: 91, status_category: 'open', agent_label: 'Open', end_user_label: 'Open', active: true, default: true},
  {id: 92, status_category: 'hold', agent_label: 'Awaiting vendor', end_user_label: 'In progress', active: true, default: false},
];

/** Round-the-clock targets of the fake's one SLA policy, in minutes, by priority (urgent tickets first). */
const SLA_TARGETS: Record<string, {first_reply_time: number; requester_wait_time: number}> = {
  urgent: {first_reply_time: 60, requester_wait_time: 24 * 60},
  high: {first_reply_time: 4 * 60, requester_wait_time: 40 * 60},
  normal: {first_reply_time: 8 * 60, requester_wait_time: 40 * 60},
  low: {first_reply_time: 24 * 60, requester_wait_time: 80 * 60},
};

const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const error = (status: number, code: string, description?: string, details?: Record<string, {description: string; error: string}[]>): FakeResponse => ({
  status,
  body: {error: code, ...(description ? {description} : {}), ...(details ? {details} : {})},
});
const invalid = (field: string, description: string, code = 'InvalidValue') => error(422, 'RecordInvalid', 'Record validation errors', {[field]: [{description, error: code}]});
const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export class ZendeskFake {
  readonly users: FakeUser[] = [
    {id: 1001, name: 'Alice Agent', email: 'alice@acme.test', role: 'admin'},
    {id: 1002, name: 'Bob Agent', email: 'bob@acme.test', role: 'agent'},
    {id: 1003, name: 'Carol Customer', email: 'carol@example.org', role: 'end-user'},
    {id: 1004, name: 'Bob Agent', email: 'bob.other@acme.test', role: 'end-user'},
  ];
  readonly tickets = new Map<number, StoredTicket>();
  readonly articles: FakeArticle[] = [];
  /** API tokens by value: whose they are. */
  readonly apiTokens = new Map<string, number>([['alice-api-token', 1001], ['bob-api-token', 1002]]);
  readonly oauthTokens = new Map<string, number>([['alice-oauth-token', 1001]]);
  readonly uploads = new Map<string, StoredAttachment>();
  readonly window?: SlidingWindow;
  private readonly idempotency = new Map<string, {hash: string; response: FakeResponse}>();
  private readonly rate = new Map<number, {remaining: number; resetSeconds: number}>();
  private nextId = {ticket: 1, comment: 5001, audit: 9001, attachment: 7001, article: 3600001};
  readonly now: () => number;
  server!: VendorFake;

  constructor(private readonly options: ZendeskFakeOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.ratePerMinute) this.window = new SlidingWindow(options.ratePerMinute, this.now);
  }

  get url(): string {
    return this.server.url;
  }

  user(email: string): FakeUser {
    return this.users.find((u) => u.email === email)!;
  }

  async start(): Promise<this> {
    const handlers: Record<string, Handler> = {
      ShowCurrentUser: (req) => ({status: 200, body: {user: this.caller(req) ? this.userJson(this.caller(req)!) : ANONYMOUS}}),
      ShowManyUsers: (req) => ({status: 200, body: {users: (str(req.query.ids) ?? '').split(',').map(Number).map((id) => this.users.find((u) => u.id === id)).filter(Boolean).map((u) => this.userJson(u!))}}),
      SearchUsers: (req) => {
        const q = (str(req.query.query) ?? '').toLowerCase();
        return {status: 200, body: {users: this.users.filter((u) => u.name.toLowerCase().includes(q) || u.email.toLowerCase().includes(q)).map((u) => this.userJson(u))}};
      },
      CreateTicket: (req) => this.create(req),
      ListTickets: (req) => this.list(req),
      TicketsShowMany: (req) => {
        const ids = (str(req.query.ids) ?? '').split(',').filter(Boolean).map(Number);
        const found = ids.map((id) => this.tickets.get(id)).filter((t): t is StoredTicket => Boolean(t));
        return {status: 200, body: {tickets: found.map((t) => this.ticketJson(t, /slas/.test(str(req.query.include) ?? '')))}};
      },
      ShowTicket: (req) => {
        const t = this.tickets.get(Number(req.params.ticket_id));
        if (!t) return error(404, 'RecordNotFound', 'Not found');
        const include = str(req.query.include) ?? '';
        return {status: 200, body: {ticket: this.ticketJson(t, /slas/.test(include)), ...(/users/.test(include) ? {users: this.usersOf([t.requester_id, t.assignee_id, t.submitter_id])} : {})}};
      },
      UpdateTicket: (req) => this.update(req),
      ListTicketComments: (req) => {
        const t = this.tickets.get(Number(req.params.ticket_id));
        if (!t) return error(404, 'RecordNotFound', 'Not found');
        const {items, meta, links} = this.cursorPage(t.comments, req, (c) => c.id);
        return {status: 200, body: {comments: items, meta, links, ...(/users/.test(str(req.query.include) ?? '') ? {users: this.usersOf(items.map((c) => c.author_id))} : {})}};
      },
      ListAuditsForTicket: (req) => {
        const t = this.tickets.get(Number(req.params.ticket_id));
        if (!t) return error(404, 'RecordNotFound', 'Not found');
        const {items, meta, links} = this.cursorPage(
          t.audits.map((a) => ({...a, ticket_id: t.id})),
          req,
          (a) => a.id,
        );
        return {status: 200, body: {audits: items, meta, links}};
      },
      ListSearchResults: (req) => this.search(req),
      UploadFiles: (req) => {
        const file = str(req.query.filename)!;
        const attachment: StoredAttachment = {
          id: this.nextId.attachment++,
          file_name: file,
          content_url: `${this.url}/attachments/token/${randomUUID()}/?name=${encodeURIComponent(file)}`,
          content_type: (req.contentType ?? '').split(';')[0]!,
          size: req.raw.length,
        };
        const token = randomUUID().replace(/-/g, '').slice(0, 25);
        this.uploads.set(token, attachment);
        return {status: 201, body: {upload: {token, attachment, attachments: [attachment]}}};
      },
      ListTicketFields: () => ({
        status: 200,
        body: {ticket_fields: [...SYSTEM_FIELDS.map((f) => ({...f, active: true, removable: false})), ...CUSTOM_FIELDS.map((f) => ({...f, active: true, removable: true}))]},
      }),
      ListCustomStatuses: () => ({status: 200, body: {custom_statuses: CUSTOM_STATUSES}}),
      SearchArticles: (req) => this.searchArticles(req),
      ShowArticle: (req) => this.showArticle(req),
      ShowArticleInLocale: (req) => this.showArticle(req),
      ListArticlesInLocale: (req) => this.listArticles(req),
      ListHelpCenterLocales: () => {
        const locales = [...new Set(['en-us', ...this.articles.map((a) => a.locale)])];
        return {status: 200, body: {locales, default_locale: 'en-us'}};
      },
    };
    this.server = await new VendorFake({
      contract: await zendeskContract(),
      handlers,
      rejected: (violations) => error(400, 'InvalidRequest', `The fake refused a request its description does not allow: ${violations.join('; ')}`),
      notFound: () => ({status: 404, text: 'The page you were looking for does not exist.'}),
      before: (req) => this.before(req),
      decorate: (req, res) => this.decorate(req, res),
    }).start();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /* ---- authentication and rate limits ---- */

  private caller(req: FakeRequest): FakeUser | undefined {
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^Bearer (.+)$/.exec(auth);
    if (bearer) {
      const id = this.oauthTokens.get(bearer[1]!);
      return this.users.find((u) => u.id === id);
    }
    const basic = /^Basic (.+)$/.exec(auth);
    if (!basic) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const m = /^(.+)\/token$/.exec(user);
    if (!m) return undefined;
    const owner = this.apiTokens.get(secret);
    const u = this.users.find((x) => x.id === owner);
    return u && u.email === m[1] ? u : undefined;
  }

  /** 401 for a token Zendesk knows is wrong; the anonymous user (not a 401) for a credential it cannot read at all. */
  private authProblem(req: FakeRequest): FakeResponse | undefined {
    if (this.caller(req)) return undefined;
    const auth = String(req.headers.authorization ?? '');
    const readable = /^Bearer /.test(auth) || /\/token:/.test(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8'));
    if (req.operationId === 'ShowCurrentUser' && !readable) return undefined;
    if (!auth && req.operationId === 'SearchArticles') return undefined;
    return error(401, "Couldn't authenticate you");
  }

  private before(req: FakeRequest): FakeResponse | undefined {
    if (this.window) {
      const taken = this.window.take();
      this.rate.set(req.seq, taken);
      if (!taken.allowed) {
        return {status: 429, headers: {'retry-after': String(taken.resetSeconds)}, body: {error: 'TooManyRequests', description: 'You have exceeded the rate limit of your account.'}};
      }
    }
    return this.authProblem(req);
  }

  private decorate(req: FakeRequest, res: FakeResponse): void {
    const limit = this.window?.perMinute ?? 700;
    const state = this.rate.get(req.seq) ?? {remaining: limit, resetSeconds: 60};
    this.rate.delete(req.seq);
    res.headers = {...res.headers, 'x-rate-limit': String(limit), 'x-rate-limit-remaining': String(state.remaining)};
    // Ticket endpoints also say when the window resets (RL: "ratelimit-*" on ticket endpoints).
    if (/Ticket/.test(req.operationId)) {
      res.headers['ratelimit-limit'] = String(limit);
      res.headers['ratelimit-remaining'] = String(state.remaining);
      res.headers['ratelimit-reset'] = String(state.resetSeconds);
    }
  }

  /* ---- users ---- */

  private userJson(u: FakeUser): Record<string, unknown> {
    return {id: u.id, url: `${this.url}/api/v2/users/${u.id}.json`, name: u.name, email: u.email, role: u.role, active: true, suspended: false, verified: true, locale: 'en-US', time_zone: 'Copenhagen'};
  }

  private usersOf(ids: (number | null)[]): Record<string, unknown>[] {
    return [...new Set(ids.filter((id): id is number => id !== null))].map((id) => this.users.find((u) => u.id === id)).filter(Boolean).map((u) => this.userJson(u!));
  }

  /* ---- tickets ---- */

  ticketJson(t: StoredTicket, slas = false): Record<string, unknown> {
    return {
      id: t.id,
      url: `${this.url}/api/v2/tickets/${t.id}.json`,
      subject: t.subject,
      raw_subject: t.subject,
      description: t.description,
      status: t.status,
      priority: t.priority,
      type: t.type,
      tags: [...t.tags],
      requester_id: t.requester_id,
      submitter_id: t.submitter_id,
      assignee_id: t.assignee_id,
      group_id: t.group_id,
      organization_id: t.organization_id,
      ...(t.brand_id ? {brand_id: t.brand_id} : {}),
      ...(t.ticket_form_id ? {ticket_form_id: t.ticket_form_id} : {}),
      ...(t.custom_status_id ? {custom_status_id: t.custom_status_id} : {}),
      external_id: t.external_id,
      via: t.via,
      custom_fields: CUSTOM_FIELDS.map((f) => ({id: f.id, value: this.fieldValue(f.type, t.custom_fields.get(f.id))})),
      collaborator_ids: [],
      follower_ids: [],
      email_cc_ids: [],
      is_public: t.comments.some((c) => c.public),
      created_at: seconds(t.created_ms),
      updated_at: seconds(t.updated_ms),
      ...(slas ? {slas: {policy_metrics: this.slaMetrics(t)}} : {}),
    };
  }

  /** Zendesk answers numbers of integer and decimal fields as text, checkboxes as booleans. */
  private fieldValue(type: string, value: unknown): unknown {
    if (value === undefined || value === null) return type === 'checkbox' ? false : null;
    if (type === 'checkbox') return value === true || value === 'true';
    return String(value);
  }

  private create(req: FakeRequest): FakeResponse {
    const me = this.caller(req)!;
    const key = req.headers['idempotency-key'] as string | undefined;
    const hash = createHash('sha256').update(JSON.stringify(req.body)).digest('hex');
    if (key) {
      const prior = this.idempotency.get(`${me.id}:${key}`);
      if (prior && prior.hash !== hash) return error(400, 'IdempotentRequestError', "Request parameters don't match the given idempotency key");
      if (prior) return {...prior.response, headers: {...prior.response.headers, 'x-idempotency-lookup': 'hit'}};
    }
    const input = ((req.body as {ticket?: Record<string, unknown>}).ticket ?? {}) as Record<string, any>;
    const comment = input.comment as {body?: string; public?: boolean; uploads?: string[]} | undefined;
    if (!comment?.body?.trim()) return invalid('description', 'Description: cannot be blank', 'BlankValue');
    const now = this.now();
    const assignee = this.assigneeOf(input);
    if (assignee === 'unknown') return invalid('assignee', 'Assignee: is not an agent of this account');
    const t: StoredTicket = {
      id: this.nextId.ticket++,
      subject: String(input.subject ?? comment.body.slice(0, 60)),
      description: comment.body,
      status: (input.status as string | undefined) ?? 'new',
      priority: (input.priority as string | undefined) ?? null,
      type: (input.type as string | undefined) ?? null,
      tags: sortedTags((input.tags as string[] | undefined) ?? []),
      requester_id: (input.requester_id as number | undefined) ?? me.id,
      submitter_id: me.id,
      assignee_id: assignee ?? null,
      group_id: (input.group_id as number | undefined) ?? null,
      organization_id: (input.organization_id as number | undefined) ?? null,
      brand_id: input.brand_id as number | undefined,
      ticket_form_id: input.ticket_form_id as number | undefined,
      external_id: (input.external_id as string | undefined) ?? null,
      custom_fields: new Map(),
      via: {channel: 'api', source: {from: {}, to: {}, rel: null}},
      created_ms: now,
      updated_ms: now,
      comments: [],
      audits: [],
    };
    const fieldProblem = this.setCustomFields(t, input.custom_fields as {id: number; value: unknown}[] | undefined);
    if (fieldProblem) return fieldProblem;
    const uploads = this.takeUploads(comment.uploads);
    if (!Array.isArray(uploads)) return uploads;
    const c = this.addComment(t, me.id, comment.body, comment.public !== false, uploads, now);
    t.audits.push({id: this.nextId.audit++, created_at: seconds(now), author_id: me.id, events: [{id: this.nextId.audit++, type: 'Create', field_name: 'subject', value: t.subject}, {id: c.id, type: 'Comment', body: c.body, public: c.public, author_id: me.id}]});
    this.tickets.set(t.id, t);
    const response: FakeResponse = {status: 201, headers: {location: `${this.url}/api/v2/tickets/${t.id}.json`, 'x-idempotency-lookup': 'miss'}, body: {ticket: this.ticketJson(t)}};
    if (key) this.idempotency.set(`${me.id}:${key}`, {hash, response});
    return response;
  }

  private assigneeOf(input: Record<string, unknown>): number | null | undefined | 'unknown' {
    if (input.assignee_email !== undefined) {
      const u = this.users.find((x) => x.email === input.assignee_email && x.role !== 'end-user');
      return u ? u.id : 'unknown';
    }
    if (input.assignee_id === null) return null;
    if (input.assignee_id !== undefined) return this.users.some((x) => x.id === input.assignee_id && x.role !== 'end-user') ? (input.assignee_id as number) : 'unknown';
    return undefined;
  }

  private setCustomFields(t: StoredTicket, values: {id: number; value: unknown}[] | undefined): FakeResponse | undefined {
    for (const {id, value} of values ?? []) {
      const field = CUSTOM_FIELDS.find((f) => f.id === id);
      if (!field) return invalid('custom_fields', `Custom field ${id} does not exist`);
      if (field.type === 'integer' && value !== null && !/^-?\d+$/.test(String(value))) return invalid(field.title.toLowerCase(), `${field.title}: is not a number`);
      if (value === null || value === '') t.custom_fields.delete(id);
      else t.custom_fields.set(id, value);
    }
    return undefined;
  }

  private takeUploads(tokens: string[] | undefined): StoredAttachment[] | FakeResponse {
    const out: StoredAttachment[] = [];
    for (const token of tokens ?? []) {
      const a = this.uploads.get(token);
      if (!a) return invalid('uploads', `Upload token ${token} is not valid`);
      this.uploads.delete(token);
      out.push(a);
    }
    return out;
  }

  private addComment(t: StoredTicket, author: number, body: string, isPublic: boolean, attachments: StoredAttachment[], now: number): StoredComment {
    const c: StoredComment = {id: this.nextId.comment++, type: 'Comment', author_id: author, body, html_body: `<p>${body}</p>`, plain_body: body, public: isPublic, created_at: seconds(now), attachments};
    t.comments.push(c);
    return c;
  }

  private update(req: FakeRequest): FakeResponse {
    const me = this.caller(req)!;
    const t = this.tickets.get(Number(req.params.ticket_id));
    if (!t) return error(404, 'RecordNotFound', 'Not found');
    const input = ((req.body as {ticket?: Record<string, unknown>}).ticket ?? {}) as Record<string, any>;
    if (t.status === 'closed') return invalid('status', 'Status: closed prevents ticket update', 'ClosedPreventsUpdate');
    if (input.safe_update && input.updated_stamp !== seconds(t.updated_ms)) {
      return error(409, 'UpdateConflict', 'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.');
    }
    const now = this.now();
    const events: Record<string, unknown>[] = [];
    const change = (field: string, from: unknown, to: unknown) => {
      if (JSON.stringify(from) !== JSON.stringify(to)) events.push({id: this.nextId.audit++, type: 'Change', field_name: field, value: to, previous_value: from});
    };
    const assignee = this.assigneeOf(input);
    if (assignee === 'unknown') return invalid('assignee', 'Assignee: is not an agent of this account');
    const uploads = this.takeUploads((input.comment as {uploads?: string[]} | undefined)?.uploads);
    if (!Array.isArray(uploads)) return uploads;
    const before = {...t, custom_fields: new Map(t.custom_fields), tags: [...t.tags]};
    const fieldProblem = this.setCustomFields(t, input.custom_fields as {id: number; value: unknown}[] | undefined);
    if (fieldProblem) {
      t.custom_fields = before.custom_fields;
      return fieldProblem;
    }
    if (input.subject !== undefined) t.subject = input.subject;
    if (input.status !== undefined) t.status = input.status;
    if (input.priority !== undefined) t.priority = input.priority;
    if (input.type !== undefined) t.type = input.type;
    if (input.tags !== undefined) t.tags = sortedTags(input.tags as string[]);
    if (assignee !== undefined) t.assignee_id = assignee;
    for (const key of ['group_id', 'organization_id', 'requester_id', 'external_id', 'custom_status_id', 'ticket_form_id', 'brand_id'] as const) {
      if (input[key] !== undefined) (t as any)[key] = input[key];
    }
    // A custom status moves the ticket to its category.
    if (input.custom_status_id !== undefined) t.status = CUSTOM_STATUSES.find((s) => s.id === input.custom_status_id)?.status_category ?? t.status;
    for (const key of ['subject', 'status', 'priority', 'type', 'tags', 'assignee_id', 'group_id'] as const) change(key, (before as any)[key], (t as any)[key]);
    const comment = input.comment as {body?: string; public?: boolean} | undefined;
    let added: StoredComment | undefined;
    if (comment?.body) {
      added = this.addComment(t, me.id, comment.body, comment.public ?? t.comments[0]?.public ?? true, uploads, now);
      events.push({id: added.id, type: 'Comment', body: added.body, public: added.public, author_id: me.id});
    }
    t.updated_ms = now;
    const audit = {id: this.nextId.audit++, ticket_id: t.id, created_at: seconds(now), author_id: me.id, events};
    t.audits.push({id: audit.id, created_at: audit.created_at, author_id: me.id, events});
    // The update answer's audit lists each event's id, type, field and value (AuditObject).
    const auditJson = {...audit, events: events.map((e) => ({id: e.id, type: e.type, ...(e.body !== undefined ? {body: e.body} : {}), ...(e.field_name !== undefined ? {field_name: e.field_name} : {}), ...(typeof e.value === 'string' || typeof e.value === 'number' ? {value: e.value} : {})}))};
    return {status: 200, body: {ticket: this.ticketJson(t), audit: auditJson}};
  }

  /** Cursor pages over items in order (tickets, comments, audits): the cursor is the last id, as text. */
  private cursorPage<T>(all: readonly T[], req: FakeRequest, idOf: (item: T) => number, descending = false): {items: T[]; meta: Record<string, unknown>; links: Record<string, unknown>} {
    const size = Number(str(req.query['page[size]']) ?? 100);
    const after = str(req.query['page[after]']);
    const sorted = [...all].sort((a, b) => (descending ? idOf(b) - idOf(a) : idOf(a) - idOf(b)));
    let start = 0;
    if (after) {
      const last = Number(Buffer.from(after, 'base64url').toString('utf8'));
      start = sorted.findIndex((x) => (descending ? idOf(x) < last : idOf(x) > last));
      if (start === -1) start = sorted.length;
    }
    const items = sorted.slice(start, start + size);
    const hasMore = start + size < sorted.length;
    const cursor = items.length ? Buffer.from(String(idOf(items[items.length - 1]!))).toString('base64url') : null;
    const path = new URL(req.path, this.url).toString();
    return {
      items,
      meta: {has_more: hasMore, after_cursor: hasMore ? cursor : null, before_cursor: items.length ? Buffer.from(String(idOf(items[0]!))).toString('base64url') : null},
      links: {next: hasMore ? `${path}?page[size]=${size}&page[after]=${cursor}` : null, prev: null},
    };
  }

  private list(req: FakeRequest): FakeResponse {
    const sort = str(req.query.sort) ?? 'id';
    const descending = sort.startsWith('-');
    const {items, meta, links} = this.cursorPage([...this.tickets.values()], req, (t) => t.id, descending);
    const include = str(req.query.include) ?? '';
    return {
      status: 200,
      body: {tickets: items.map((t) => this.ticketJson(t, /slas/.test(include))), meta, links, ...(/users/.test(include) ? {users: this.usersOf(items.flatMap((t) => [t.requester_id, t.assignee_id]))} : {})},
    };
  }

  /* ---- search: the part of Zendesk's query language the adapter uses ---- */

  private search(req: FakeRequest): FakeResponse {
    const query = str(req.query.query) ?? '';
    const page = Number(str(req.query.page) ?? 1);
    const perPage = Number(str(req.query.per_page) ?? 100);
    if (page * perPage > 1000) return error(422, 'invalid', 'Invalid search: Requested response size was greater than Search Response Limits');
    const terms = [...query.matchAll(/(\w+)(:|<|>)("[^"]*"|\S+)|"([^"]*)"|(\S+)/g)];
    const lag = this.options.searchLagMs ?? 0;
    let found = [...this.tickets.values()].filter((t) => t.updated_ms <= this.now() - lag);
    const userMatches = (id: number | null, value: string) => {
      if (value === 'none') return id === null;
      if (value === 'me') return id === this.caller(req)?.id;
      const u = this.users.find((x) => x.id === id);
      const v = value.toLowerCase();
      return Boolean(u && (String(u.id) === v || u.email.toLowerCase() === v || u.name.toLowerCase() === v));
    };
    const ORDER = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
    for (const [, key, op, rawValue, phrase, word] of terms) {
      const value = (rawValue ?? '').replace(/^"|"$/g, '');
      if (key === 'type') continue;
      if (key === 'status' && op === ':') found = found.filter((t) => t.status === value);
      else if (key === 'status' && op === '<') found = found.filter((t) => ORDER.indexOf(t.status) < ORDER.indexOf(value));
      else if (key === 'priority') found = found.filter((t) => t.priority === value);
      else if (key === 'tags') found = found.filter((t) => t.tags.includes(value.toLowerCase()));
      else if (key === 'assignee') found = found.filter((t) => userMatches(t.assignee_id, value));
      else if (key === 'requester') found = found.filter((t) => userMatches(t.requester_id, value));
      else if (key === 'created' && op === '<') found = found.filter((t) => t.created_ms < Date.parse(value));
      else {
        const text = (phrase ?? word ?? `${key}${op}${rawValue}`).toLowerCase();
        found = found.filter((t) => [t.subject, ...t.comments.map((c) => c.body)].join('\n').toLowerCase().includes(text));
      }
    }
    const desc = (str(req.query.sort_order) ?? 'desc') === 'desc';
    found.sort((a, b) => (a.created_ms - b.created_ms || a.id - b.id) * (desc ? -1 : 1));
    const results = found.slice((page - 1) * perPage, page * perPage).map((t) => ({...this.ticketJson(t), result_type: 'ticket'}));
    const more = page * perPage < found.length;
    const at = (p: number) => `${this.url}/api/v2/search.json?page=${p}&per_page=${perPage}&query=${encodeURIComponent(query)}`;
    return {status: 200, body: {results, count: found.length, facets: null, next_page: more ? at(page + 1) : null, previous_page: page > 1 ? at(page - 1) : null}};
  }

  /* ---- SLA: one round-the-clock policy by priority ---- */

  private slaMetrics(t: StoredTicket): Record<string, unknown>[] {
    const targets = SLA_TARGETS[t.priority ?? 'normal']!;
    const now = this.now();
    const metrics: Record<string, unknown>[] = [];
    const agentReplied = t.comments.slice(1).some((c) => c.public && this.users.find((u) => u.id === c.author_id)?.role !== 'end-user');
    const remaining = (due: number) => {
      const minutes = Math.round((due - now) / 60_000);
      return Math.abs(minutes) >= 60 ? {hours: Math.trunc(minutes / 60)} : {minutes};
    };
    const firstDue = t.created_ms + targets.first_reply_time * 60_000;
    metrics.push(agentReplied ? {metric: 'first_reply_time', stage: 'achieved', breach_at: null} : {metric: 'first_reply_time', stage: 'active', breach_at: seconds(firstDue), ...remaining(firstDue)});
    const waitDue = t.created_ms + targets.requester_wait_time * 60_000;
    if (t.status === 'solved' || t.status === 'closed') metrics.push({metric: 'requester_wait_time', stage: 'achieved', breach_at: null});
    else if (t.status === 'pending' || t.status === 'hold') metrics.push({metric: 'requester_wait_time', stage: 'paused', breach_at: null, ...remaining(waitDue)});
    else metrics.push({metric: 'requester_wait_time', stage: 'active', breach_at: seconds(waitDue), ...remaining(waitDue)});
    return metrics;
  }

  /** Tickets made directly in the store (for pagination tests), created a second apart, oldest first. */
  seedTickets(count: number, make: (i: number) => {subject: string; tags?: string[]; status?: string; priority?: string | null} = (i) => ({subject: `Seeded ${i}`})): number[] {
    const ids: number[] = [];
    const start = this.now() - count * 1000;
    for (let i = 0; i < count; i++) {
      const m = make(i);
      const at = start + i * 1000;
      const t: StoredTicket = {
        id: this.nextId.ticket++, subject: m.subject, description: m.subject, status: m.status ?? 'open', priority: m.priority ?? null, type: null, tags: sortedTags(m.tags ?? []),
        requester_id: 1003, submitter_id: 1003, assignee_id: null, group_id: null, organization_id: null, external_id: null, custom_fields: new Map(),
        via: {channel: 'web', source: {from: {}, to: {}, rel: null}}, created_ms: at, updated_ms: at, comments: [], audits: [],
      };
      this.addComment(t, 1003, m.subject, true, [], at);
      this.tickets.set(t.id, t);
      ids.push(t.id);
    }
    return ids;
  }

  /* ---- Help Center ---- */

  addArticle(a: Omit<FakeArticle, 'id' | 'updated_ms' | 'section_id'> & {section_id?: number}): FakeArticle {
    const article = {id: this.nextId.article++, section_id: 360000777, updated_ms: this.now(), ...a};
    this.articles.push(article);
    return article;
  }

  /** An edit in Guide: the article's content changes and its update time moves. */
  editArticle(id: number, changes: Partial<Pick<FakeArticle, 'title' | 'body' | 'label_names' | 'draft'>>): FakeArticle {
    const a = this.articles.find((x) => x.id === id)!;
    Object.assign(a, changes, {updated_ms: Math.max(this.now(), a.updated_ms + 1000)});
    return a;
  }

  /** Archives an article, as Guide and the API's DELETE do: it leaves every list, search and show. */
  archiveArticle(id: number): void {
    const a = this.articles.find((x) => x.id === id)!;
    a.archived = true;
  }

  private liveArticles(): FakeArticle[] {
    return this.articles.filter((a) => !a.archived);
  }

  private listArticles(req: FakeRequest): FakeResponse {
    const inLocale = this.liveArticles().filter((a) => a.locale === req.params.locale);
    if (req.query['page[size]'] !== undefined) {
      const {items, meta, links} = this.cursorPage(inLocale, req, (a) => a.id);
      return {status: 200, body: {articles: items.map((a) => this.articleJson(a)), meta, links}};
    }
    // Without page[size], offset pagination (30 a page unless per_page says otherwise).
    const perPage = Number(str(req.query.per_page) ?? 30);
    const page = Number(str(req.query.page) ?? 1);
    const items = inLocale.slice((page - 1) * perPage, page * perPage);
    const pageCount = Math.max(1, Math.ceil(inLocale.length / perPage));
    const at = (n: number) => `${new URL(req.path, this.url).toString()}?page=${n}&per_page=${perPage}`;
    return {
      status: 200,
      body: {articles: items.map((a) => this.articleJson(a)), count: inLocale.length, next_page: page < pageCount ? at(page + 1) : null, previous_page: page > 1 ? at(page - 1) : null, page, per_page: perPage, page_count: pageCount},
    };
  }

  private articleJson(a: FakeArticle): Record<string, unknown> {
    const slug = a.title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return {
      id: a.id,
      url: `${this.url}/api/v2/help_center/${a.locale}/articles/${a.id}.json`,
      html_url: `${this.url}/hc/${a.locale}/articles/${a.id}-${slug}`,
      title: a.title,
      body: a.body,
      locale: a.locale,
      source_locale: a.locale,
      author_id: 1001,
      draft: a.draft ?? false,
      promoted: false,
      position: 0,
      vote_sum: 0,
      vote_count: 0,
      section_id: a.section_id,
      label_names: a.label_names,
      created_at: seconds(a.updated_ms),
      updated_at: seconds(a.updated_ms),
      edited_at: seconds(a.updated_ms),
    };
  }

  private searchArticles(req: FakeRequest): FakeResponse {
    // Help Center search is language-aware: words like "the" and "of" match nothing.
    const words = ((str(req.query.query) ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
    const locale = str(req.query.locale);
    const labels = (str(req.query.label_names) ?? '').split(',').filter(Boolean);
    const perPage = Number(str(req.query.per_page) ?? 25);
    const text = (html: string) => html.replace(/<[^>]*>/g, ' ');
    const scored = this.liveArticles()
      .filter((a) => !a.draft && (!locale || a.locale === locale))
      .filter((a) => labels.every((l) => a.label_names.includes(l)))
      .map((a) => {
        const title = a.title.toLowerCase();
        const body = text(a.body).toLowerCase();
        const score = words.reduce((n, w) => n + (title.includes(w) ? 3 : 0) + (body.includes(w) ? 1 : 0), 0);
        return {a, score};
      })
      .filter((x) => x.score > 0)
      .sort((x, y) => y.score - x.score || x.a.id - y.a.id);
    const results = scored.slice(0, perPage).map(({a}) => {
      const plain = text(a.body).replace(/\s+/g, ' ').trim();
      const snippet = words.reduce((s, w) => s.replace(new RegExp(`(${w})`, 'gi'), '<em>$1</em>'), plain.slice(0, 160));
      return {...this.articleJson(a), result_type: 'article', snippet};
    });
    return {status: 200, body: {results, count: scored.length, next_page: null, previous_page: null, page: 1, per_page: perPage, page_count: Math.max(1, Math.ceil(scored.length / perPage))}};
  }

  private showArticle(req: FakeRequest): FakeResponse {
    const a = this.liveArticles().find((x) => x.id === Number(req.params.article_id) && (!req.params.locale || x.locale === req.params.locale));
    if (!a) return error(404, 'RecordNotFound', 'Not found');
    return {status: 200, body: {article: this.articleJson(a)}};
  }
}

/** Zendesk keeps tags lowercased, once each, in alphabetical order. */
const sortedTags = (tags: readonly string[]) => [...new Set(tags.map((x) => x.toLowerCase()))].sort();

const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with', 'der', 'die', 'das', 'und']);

const ANONYMOUS = {id: null, name: 'Anonymous user', email: 'invalid@example.com', role: 'end-user', active: true, verified: false, locale: 'en-US', time_zone: 'Copenhagen'};

export async function startZendeskFake(options: ZendeskFakeOptions = {}): Promise<ZendeskFake> {
  return new ZendeskFake(options).start();
}
