import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';

import {parse} from 'yaml';

import {Contract} from '../harness/contract.js';
import {VendorFake, type FakeRequest, type FakeResponse, type Handler} from '../harness/fake-server.js';

/**
 * A stateful Freshdesk (API v2 and Solutions) on 127.0.0.1, behind the rules written out from its
 * API reference (freshdesk-api.yaml): the tickets a test creates are there to list, filter,
 * update, reply to and annotate. What it does is what ../shared/vendors/freshdesk.md collects
 * ("Simulator checklist"): API keys as Basic `key:X`; numeric status and priority codes (custom
 * statuses from 6) checked against the account's ticket fields; List Tickets answering only the
 * last 30 days without `updated_since`, Link headers, 100 a page at most; the filter API (quoted
 * query, 30 a page, pages 1-10, {total, results}); replies, notes private by default, files only as
 * multipart attachments[]; due-by times and stats; 400 with {description, errors[{field, message,
 * code}]}; X-RateLimit-Total/-Remaining/-Used-CurrentRequest, with credits (an include costs 2
 * more), and 429 with Retry-After when the minute's budget is spent.
 */

export interface FakeAgent {
  id: number;
  name: string;
  email: string;
  key: string;
}

interface StoredAttachment {
  id: number;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_ms: number;
}

interface StoredConversation {
  id: number;
  body: string;
  body_text: string;
  private: boolean;
  incoming: boolean;
  source: number;
  user_id: number;
  attachments: StoredAttachment[];
  created_ms: number;
}

interface StoredTicket {
  id: number;
  subject: string;
  description: string;
  status: number;
  priority: number;
  source: number;
  type: string | null;
  requester_id: number;
  responder_id: number | null;
  group_id: number | null;
  company_id: number | null;
  product_id: number | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  fr_due_ms: number;
  due_ms: number;
  created_ms: number;
  updated_ms: number;
  stats: {first_responded_ms?: number; agent_responded_ms?: number; requester_responded_ms?: number; resolved_ms?: number; closed_ms?: number; status_updated_ms?: number; pending_since_ms?: number; reopened_ms?: number};
  conversations: StoredConversation[];
}

export interface FakeArticle {
  id: number;
  title: string;
  /** HTML, as Freshdesk stores it. */
  description: string;
  status: 1 | 2;
  tags: string[];
  /** The language of its category. */
  language: string;
  /** The folder it is filed in (a category's or a subfolder). */
  folder: number;
  updated_ms: number;
}

export interface FakeCategory {
  id: number;
  name: string;
  language: string;
}

export interface FakeFolder {
  id: number;
  name: string;
  category: number;
  /** The folder it is nested in; null at the top of its category. */
  parent: number | null;
}

export interface FreshdeskFakeOptions {
  /** Credits a minute (Freshdesk's per-plan limit); past that, 429 with Retry-After. Default: none enforced (headers say 700). */
  creditsPerMinute?: number;
  now?: () => number;
}

/** The plans' per-minute limits as ../shared/vendors/freshdesk.md has them (legacy plans; unconfirmed for current ones). */
export const PLAN_LIMITS = {growth: 200, pro: 400, enterprise: 700} as const;

export const CUSTOM_FIELDS = [
  {name: 'cf_region', label: 'Region', type: 'custom_text'},
  {name: 'cf_seats', label: 'Seats', type: 'custom_number'},
  {name: 'cf_legacy', label: 'Legacy', type: 'custom_text'},
  {name: 'cf_vip_customer', label: 'VIP customer', type: 'custom_checkbox'},
] as const;

const STATUS_CHOICES: Record<string, [string, string]> = {
  '2': ['Open', 'Being Processed'],
  '3': ['Pending', 'Awaiting your Reply'],
  '4': ['Resolved', 'This ticket has been Resolved'],
  '5': ['Closed', 'This ticket has been Closed'],
  '6': ['Waiting on Customer', 'Awaiting your Reply'],
  '7': ['Waiting on Third Party', 'Being Processed'],
};
const TYPES = ['Question', 'Incident', 'Problem', 'Feature Request', 'Refund'];

/** The fake's one SLA policy, round the clock, in minutes by priority (4 urgent ... 1 low). */
const SLA_TARGETS: Record<number, {firstResponse: number; resolution: number}> = {
  4: {firstResponse: 60, resolution: 24 * 60},
  3: {firstResponse: 4 * 60, resolution: 40 * 60},
  2: {firstResponse: 8 * 60, resolution: 40 * 60},
  1: {firstResponse: 24 * 60, resolution: 80 * 60},
};

const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
type FdErrorCode = 'missing_field' | 'invalid_value' | 'datatype_mismatch' | 'invalid_field' | 'duplicate_value';
const invalid = (errors: {field?: string; message: string; code: FdErrorCode}[]): FakeResponse => ({status: 400, body: {description: 'Validation failed', errors}});
const failure = (status: number, code: string, message: string): FakeResponse => ({status, body: {code, message}});
/** Freshdesk may answer a 404 with no body at all (ERR). */
const NOT_FOUND: FakeResponse = {status: 404};

/** HTML as Freshdesk's *_text twin: tags gone, line breaks kept, entities decoded. */
export function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n+$/, '')
    .trim();
}

/**
 * The violations of a request, as the one 400 Freshdesk answers: each names its field and a code.
 * "/requestBody/priority must be equal to one of the allowed values" -> {field: priority, code: invalid_value}.
 */
export function validationAnswer(violations: readonly string[]): FakeResponse {
  return invalid(
    violations.map((v) => {
      const required = /must have required property '([^']+)'/.exec(v);
      const extra = /must NOT have additional properties \(([^)]+)\)/.exec(v);
      const path = /: \/(?:requestBody|query|path)\/?([^\s]*) /.exec(v)?.[1]?.split('/').filter(Boolean);
      const field = required?.[1] ?? extra?.[1] ?? path?.filter((p) => !/^\d+$/.test(p)).join('.') ?? undefined;
      const code: FdErrorCode = required ? 'missing_field' : extra ? 'invalid_field' : / must be (integer|number|string|boolean|array|object)/.test(v) ? 'datatype_mismatch' : 'invalid_value';
      return {...(field ? {field} : {}), message: v.replace(/^.*?\): /, ''), code};
    }),
  );
}

let contract: Promise<Contract> | undefined;

/** The rules of freshdesk-api.yaml, loaded once per test process. */
export function freshdeskContract(): Promise<Contract> {
  contract ??= Contract.load([parse(readFileSync(new URL('./freshdesk-api.yaml', import.meta.url), 'utf8')) as Record<string, unknown>]);
  return contract;
}

export class FreshdeskFake {
  readonly agents: FakeAgent[] = [
    {id: 1001, name: 'Alice Agent', email: 'alice@acme.test', key: 'alice-api-key'},
    {id: 1002, name: 'Bob Agent', email: 'bob@acme.test', key: 'bob-api-key'},
  ];
  readonly contacts = [{id: 2001, name: 'Carol Customer', email: 'carol@example.org'}];
  readonly tickets = new Map<number, StoredTicket>();
  readonly articles: FakeArticle[] = [];
  /** Solutions: a category per language, each with a folder "General"; tests add folders and subfolders. */
  readonly categories: FakeCategory[] = [
    {id: 30, name: 'Help', language: 'en'},
    {id: 31, name: 'Hilfe', language: 'de'},
  ];
  readonly folders: FakeFolder[] = [
    {id: 40, name: 'General', category: 30, parent: null},
    {id: 41, name: 'General', category: 31, parent: null},
  ];
  /** Credits spent in the current minute, and when it ends. */
  private window = {start: 0, used: 0};
  /** Every credit spent, when (for the bench). */
  readonly credits: {at: number; cost: number}[] = [];
  private readonly cost = new Map<number, {used: number; remaining: number}>();
  private nextId = {ticket: 1, conversation: 5001, attachment: 7001, article: 9001, folder: 60};
  readonly now: () => number;
  readonly limit: number;
  server!: VendorFake;

  constructor(private readonly options: FreshdeskFakeOptions = {}) {
    this.now = options.now ?? Date.now;
    this.limit = options.creditsPerMinute ?? 700;
  }

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<this> {
    const handlers: Record<string, Handler> = {
      ShowCurrentAgent: (req) => ({status: 200, body: this.agentJson(this.caller(req)!)}),
      ListAgents: (req) => {
        const email = str(req.query.email)?.toLowerCase();
        return this.paged(req, this.agents.filter((a) => !email || a.email === email).map((a) => this.agentJson(a)));
      },
      ViewContact: (req) => {
        const c = this.contacts.find((x) => x.id === Number(req.params.id));
        return c ? {status: 200, body: {...c, active: true, phone: null, mobile: null, company_id: null, language: 'en', time_zone: 'Copenhagen', created_at: seconds(0), updated_at: seconds(0)}} : NOT_FOUND;
      },
      ListTicketFields: () => ({status: 200, body: this.ticketFields()}),
      CreateTicket: (req) => this.create(req),
      ListTickets: (req) => this.list(req),
      ViewTicket: (req) => {
        const t = this.tickets.get(Number(req.params.id));
        if (!t) return NOT_FOUND;
        const include = (str(req.query.include) ?? '').split(',');
        return {
          status: 200,
          body: this.ticketJson(t, {description: true, stats: include.includes('stats'), requester: include.includes('requester'), conversations: include.includes('conversations')}),
        };
      },
      UpdateTicket: (req) => this.update(req),
      ListConversations: (req) => {
        const t = this.tickets.get(Number(req.params.id));
        if (!t) return NOT_FOUND;
        return this.paged(req, t.conversations.map((c) => this.conversationJson(t, c)));
      },
      ReplyTicket: (req) => this.converse(req, false),
      AddNote: (req) => this.converse(req, true),
      FilterTickets: (req) => this.filter(req),
      SearchSolutionArticles: (req) => this.searchArticles(req),
      ViewSolutionArticle: (req) => {
        const a = this.articles.find((x) => x.id === Number(req.params.id));
        return a ? {status: 200, body: {...this.articleJson(a), tags: [...a.tags]}} : NOT_FOUND;
      },
      ListSolutionCategories: (req) => this.paged(req, this.categories.map((c) => ({id: c.id, name: c.name, description: null, visible_in_portals: [], created_at: seconds(0), updated_at: seconds(0)}))),
      ListSolutionFolders: (req) => {
        const category = this.categories.find((c) => c.id === Number(req.params.id));
        return category ? this.paged(req, this.folders.filter((f) => f.category === category.id && f.parent === null).map((f) => this.folderJson(f))) : NOT_FOUND;
      },
      ListSolutionSubfolders: (req) => {
        const folder = this.folders.find((f) => f.id === Number(req.params.id));
        return folder ? this.paged(req, this.folders.filter((f) => f.parent === folder.id).map((f) => this.folderJson(f))) : NOT_FOUND;
      },
      ListSolutionArticles: (req) => {
        const folder = this.folders.find((f) => f.id === Number(req.params.id));
        if (!folder) return NOT_FOUND;
        // The list answers no path (LART's sample); tags as the article view has them.
        const listed = this.articles.filter((a) => a.folder === folder.id).map((a) => {
          const {path: _path, category_name: _c, folder_name: _f, ...rest} = this.articleJson(a);
          return {...rest, tags: [...a.tags]};
        });
        return this.paged(req, listed);
      },
    };
    this.server = await new VendorFake({
      contract: await freshdeskContract(),
      handlers,
      rejected: validationAnswer,
      notFound: () => NOT_FOUND,
      before: (req) => this.before(req),
      decorate: (req, res) => this.decorate(req, res),
      parseMultipart: true,
    }).start();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /* ---- authentication and rate limits ---- */

  private caller(req: FakeRequest): FakeAgent | undefined {
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!basic) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const key = decoded.slice(0, decoded.indexOf(':') === -1 ? undefined : decoded.indexOf(':'));
    return this.agents.find((a) => a.key === key);
  }

  /** Credits a request costs: one, and two more for each include (RL; LIST). */
  private costOf(req: FakeRequest): number {
    const include = str(req.query.include);
    return 1 + (include ? include.split(',').length * 2 : 0);
  }

  private before(req: FakeRequest): FakeResponse | undefined {
    const now = this.now();
    if (now - this.window.start >= 60_000) this.window = {start: now, used: 0};
    const cost = this.costOf(req);
    // Invalid and refused requests count too (RL): the credit is taken before the answer is known.
    if (this.options.creditsPerMinute && this.window.used + cost > this.limit) {
      this.cost.set(req.seq, {used: 0, remaining: Math.max(0, this.limit - this.window.used)});
      const wait = Math.max(1, Math.ceil((this.window.start + 60_000 - now) / 1000));
      return {status: 429, headers: {'retry-after': String(wait)}, body: {code: 'rate_limit_exceeded', message: `You have exceeded the limit of requests per minute. Try again after ${wait} seconds.`}};
    }
    this.window.used += cost;
    this.credits.push({at: now, cost});
    this.cost.set(req.seq, {used: cost, remaining: Math.max(0, this.limit - this.window.used)});
    if (!this.caller(req)) return failure(401, 'invalid_credentials', 'You have to be logged in to perform this action.');
    return undefined;
  }

  private decorate(req: FakeRequest, res: FakeResponse): void {
    const c = this.cost.get(req.seq) ?? {used: 1, remaining: this.limit};
    this.cost.delete(req.seq);
    res.headers = {...res.headers, 'x-ratelimit-total': String(this.limit), 'x-ratelimit-remaining': String(c.remaining), 'x-ratelimit-used-currentrequest': String(c.used)};
  }

  /** Pages of a list, `page` and `per_page` (default 30), with a Link to the next one (PAGE). */
  private paged(req: FakeRequest, all: readonly unknown[]): FakeResponse {
    const page = Number(str(req.query.page) ?? 1);
    const perPage = Number(str(req.query.per_page) ?? 30);
    const items = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(req.path, this.url);
      for (const [k, v] of Object.entries(req.query)) next.searchParams.set(k, String(str(v)));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return {status: 200, headers, body: items};
  }

  /* ---- people and fields ---- */

  private agentJson(a: FakeAgent): Record<string, unknown> {
    return {
      id: a.id,
      type: 'support_agent',
      available: true,
      occasional: false,
      ticket_scope: 1,
      signature: null,
      group_ids: [],
      role_ids: [],
      created_at: seconds(0),
      updated_at: seconds(0),
      contact: {name: a.name, email: a.email, active: true, job_title: null, language: 'en', time_zone: 'Copenhagen', last_login_at: null},
    };
  }

  private person(id: number): {id: number; name: string; email: string} | undefined {
    return this.agents.find((a) => a.id === id) ?? this.contacts.find((c) => c.id === id);
  }

  private ticketFields(): Record<string, unknown>[] {
    const base = {description: null, position: 1, required_for_closure: false, required_for_agents: false, required_for_customers: false, customers_can_edit: false, displayed_to_customers: true, created_at: seconds(0), updated_at: seconds(0)};
    return [
      {...base, id: 1, name: 'requester', label: 'Search a requester', label_for_customers: 'Requester', type: 'default_requester', default: true},
      {...base, id: 2, name: 'subject', label: 'Subject', label_for_customers: 'Subject', type: 'default_subject', default: true},
      {...base, id: 3, name: 'ticket_type', label: 'Type', label_for_customers: 'Type', type: 'default_ticket_type', default: true, choices: TYPES},
      {...base, id: 4, name: 'status', label: 'Status', label_for_customers: 'Status', type: 'default_status', default: true, choices: STATUS_CHOICES},
      {...base, id: 5, name: 'priority', label: 'Priority', label_for_customers: 'Priority', type: 'default_priority', default: true, choices: {Low: 1, Medium: 2, High: 3, Urgent: 4}},
      {...base, id: 6, name: 'description', label: 'Description', label_for_customers: 'Description', type: 'default_description', default: true},
      ...CUSTOM_FIELDS.map((f, i) => ({...base, id: 100 + i, name: f.name, label: f.label, label_for_customers: f.label, type: f.type, default: false})),
    ];
  }

  /** The checks Freshdesk makes of values its schema cannot know: the account's codes, people and custom fields. */
  private checkValues(input: Record<string, any>): {field: string; message: string; code: FdErrorCode}[] {
    const errors: {field: string; message: string; code: FdErrorCode}[] = [];
    if (input.status !== undefined && !(String(input.status) in STATUS_CHOICES)) {
      errors.push({field: 'status', message: `It should be one of these values: '${Object.keys(STATUS_CHOICES).join(',')}'`, code: 'invalid_value'});
    }
    if (input.type !== undefined && input.type !== null && !TYPES.includes(input.type)) {
      errors.push({field: 'type', message: `It should be one of these values: '${TYPES.join(',')}'`, code: 'invalid_value'});
    }
    if (input.requester_id !== undefined && !this.person(input.requester_id)) errors.push({field: 'requester_id', message: 'There is no contact matching the given requester_id', code: 'invalid_value'});
    if (input.responder_id !== undefined && input.responder_id !== null && !this.agents.some((a) => a.id === input.responder_id)) {
      errors.push({field: 'responder_id', message: 'There is no agent with the given responder_id', code: 'invalid_value'});
    }
    for (const [name, value] of Object.entries((input.custom_fields ?? {}) as Record<string, unknown>)) {
      const field = CUSTOM_FIELDS.find((f) => f.name === name);
      if (!field) errors.push({field: name, message: 'Unexpected/invalid field in request', code: 'invalid_field'});
      else if (value !== null && field.type === 'custom_number' && !Number.isInteger(value)) errors.push({field: name, message: `Value set is of type ${typeof value === 'string' ? 'String' : typeof value}.It should be a/an Integer`, code: 'datatype_mismatch'});
      else if (value !== null && field.type === 'custom_checkbox' && typeof value !== 'boolean') errors.push({field: name, message: 'Value set is of type String.It should be a/an Boolean', code: 'datatype_mismatch'});
      else if (value !== null && field.type === 'custom_text' && typeof value !== 'string') errors.push({field: name, message: 'It should be a/an String', code: 'datatype_mismatch'});
    }
    return errors;
  }

  /* ---- tickets ---- */

  ticketJson(t: StoredTicket, include: {description?: boolean; stats?: boolean; requester?: boolean; conversations?: boolean} = {}): Record<string, unknown> {
    const now = this.now();
    const resolved = t.status === 4 || t.status === 5;
    const s = t.stats;
    const at = (ms: number | undefined) => (ms === undefined ? null : seconds(ms));
    const requester = this.person(t.requester_id);
    return {
      id: t.id,
      subject: t.subject,
      ...(include.description ? {description: t.description, description_text: htmlText(t.description)} : {}),
      status: t.status,
      priority: t.priority,
      source: t.source,
      type: t.type,
      requester_id: t.requester_id,
      responder_id: t.responder_id,
      group_id: t.group_id,
      company_id: t.company_id,
      product_id: t.product_id,
      email_config_id: null,
      tags: [...t.tags],
      custom_fields: Object.fromEntries(CUSTOM_FIELDS.map((f) => [f.name, t.custom_fields[f.name] ?? null])),
      cc_emails: [],
      fwd_emails: [],
      reply_cc_emails: [],
      to_emails: null,
      fr_due_by: seconds(t.fr_due_ms),
      due_by: seconds(t.due_ms),
      fr_escalated: s.first_responded_ms === undefined && now > t.fr_due_ms,
      is_escalated: !resolved && now > t.due_ms,
      spam: false,
      attachments: [],
      created_at: seconds(t.created_ms),
      updated_at: seconds(t.updated_ms),
      ...(include.stats
        ? {
            stats: {
              first_responded_at: at(s.first_responded_ms),
              agent_responded_at: at(s.agent_responded_ms),
              requester_responded_at: at(s.requester_responded_ms),
              resolved_at: at(s.resolved_ms),
              closed_at: at(s.closed_ms),
              status_updated_at: at(s.status_updated_ms),
              pending_since: at(s.pending_since_ms),
              reopened_at: at(s.reopened_ms),
            },
          }
        : {}),
      ...(include.requester && requester ? {requester: {id: requester.id, name: requester.name, email: requester.email, mobile: null, phone: null}} : {}),
    };
  }

  private conversationJson(t: StoredTicket, c: StoredConversation): Record<string, unknown> {
    return {
      id: c.id,
      body: c.body,
      body_text: c.body_text,
      private: c.private,
      incoming: c.incoming,
      source: c.source,
      user_id: c.user_id,
      ticket_id: t.id,
      support_email: null,
      to_emails: [],
      cc_emails: [],
      bcc_emails: null,
      attachments: c.attachments.map((a) => ({id: a.id, name: a.name, content_type: a.content_type, size: a.size, attachment_url: `${this.url}/attachments/${a.id}`, created_at: seconds(a.created_ms), updated_at: seconds(a.created_ms)})),
      created_at: seconds(c.created_ms),
      updated_at: seconds(c.created_ms),
    };
  }

  private create(req: FakeRequest): FakeResponse {
    const input = req.body as Record<string, any>;
    const errors = this.checkValues(input);
    if (errors.length) return invalid(errors);
    let requester = input.requester_id as number | undefined;
    if (requester === undefined && input.email) {
      requester = this.agents.find((a) => a.email === input.email)?.id ?? this.contacts.find((c) => c.email === input.email)?.id;
      if (requester === undefined) {
        requester = 2000 + this.contacts.length + 1;
        this.contacts.push({id: requester, name: input.name ?? input.email, email: input.email});
      }
    }
    const now = this.now();
    const priority = input.priority ?? 1;
    const t: StoredTicket = {
      id: this.nextId.ticket++,
      subject: input.subject ?? '',
      description: input.description ?? '',
      status: input.status ?? 2,
      priority,
      source: input.source ?? 2,
      type: input.type ?? null,
      requester_id: requester!,
      responder_id: input.responder_id ?? null,
      group_id: input.group_id ?? null,
      company_id: input.company_id ?? null,
      product_id: input.product_id ?? null,
      tags: [...new Set<string>(input.tags ?? [])],
      custom_fields: {...(input.custom_fields ?? {})},
      fr_due_ms: input.fr_due_by ? Date.parse(input.fr_due_by) : now + SLA_TARGETS[priority]!.firstResponse * 60_000,
      due_ms: input.due_by ? Date.parse(input.due_by) : now + SLA_TARGETS[priority]!.resolution * 60_000,
      created_ms: now,
      updated_ms: now,
      stats: {},
      conversations: [],
    };
    this.tickets.set(t.id, t);
    return {status: 201, body: this.ticketJson(t, {description: true})};
  }

  private update(req: FakeRequest): FakeResponse {
    const t = this.tickets.get(Number(req.params.id));
    if (!t) return NOT_FOUND;
    const input = req.body as Record<string, any>;
    const errors = this.checkValues(input);
    if (errors.length) return invalid(errors);
    const now = this.now();
    if (input.subject !== undefined) t.subject = input.subject;
    if (input.description !== undefined) t.description = input.description;
    if (input.priority !== undefined) t.priority = input.priority;
    if (input.type !== undefined) t.type = input.type;
    if (input.responder_id !== undefined) t.responder_id = input.responder_id;
    for (const key of ['group_id', 'company_id', 'product_id', 'requester_id', 'source'] as const) if (input[key] !== undefined) (t as any)[key] = input[key];
    if (input.tags !== undefined) t.tags = [...new Set<string>(input.tags)];
    if (input.custom_fields) Object.assign(t.custom_fields, input.custom_fields);
    if (input.due_by !== undefined) t.due_ms = Date.parse(input.due_by);
    if (input.fr_due_by !== undefined) t.fr_due_ms = Date.parse(input.fr_due_by);
    if (input.status !== undefined && input.status !== t.status) {
      const before = t.status;
      t.status = input.status;
      t.stats.status_updated_ms = now;
      if (t.status === 4) t.stats.resolved_ms = now;
      if (t.status === 5) t.stats.closed_ms ??= now;
      if (t.status === 3) t.stats.pending_since_ms = now;
      if ((before === 4 || before === 5) && t.status < 4) t.stats.reopened_ms = now;
    }
    t.updated_ms = now;
    return {status: 200, body: this.ticketJson(t, {description: true})};
  }

  /** A reply (public, from the agent) or a note (private unless private: false), JSON or multipart with files. */
  private converse(req: FakeRequest, note: boolean): FakeResponse {
    const t = this.tickets.get(Number(req.params.id));
    if (!t) return NOT_FOUND;
    const me = this.caller(req)!;
    const input = req.body as Record<string, unknown>;
    const now = this.now();
    const attachments = req.files
      .filter((f) => f.field === 'attachments[]')
      .map((f) => ({id: this.nextId.attachment++, name: f.name, content_type: f.type, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex'), created_ms: now}));
    const isPrivate = note ? input.private !== false && input.private !== 'false' : false;
    const body = String(input.body);
    const c: StoredConversation = {id: this.nextId.conversation++, body, body_text: htmlText(body), private: isPrivate, incoming: false, source: note ? 2 : 0, user_id: me.id, attachments, created_ms: now};
    t.conversations.push(c);
    if (!isPrivate) {
      t.stats.agent_responded_ms = now;
      t.stats.first_responded_ms ??= now;
    }
    t.updated_ms = now;
    return {status: 201, body: this.conversationJson(t, c)};
  }

  /** Newest first; without updated_since only what was created in the last 30 days (LIST). */
  private list(req: FakeRequest): FakeResponse {
    const since = str(req.query.updated_since);
    const now = this.now();
    const email = str(req.query.email)?.toLowerCase();
    const requesterId = str(req.query.requester_id);
    let all = [...this.tickets.values()].filter((t) => (since ? t.updated_ms >= Date.parse(since) : t.created_ms >= now - 30 * 86_400_000));
    if (requesterId) all = all.filter((t) => t.requester_id === Number(requesterId));
    if (email) all = all.filter((t) => this.person(t.requester_id)?.email.toLowerCase() === email);
    const orderBy = str(req.query.order_by) ?? 'created_at';
    const asc = str(req.query.order_type) === 'asc';
    const key = (t: StoredTicket) => (orderBy === 'updated_at' ? t.updated_ms : orderBy === 'due_by' ? t.due_ms : orderBy === 'status' ? t.status : t.created_ms);
    all.sort((a, b) => (key(a) - key(b) || a.id - b.id) * (asc ? 1 : -1));
    const include = (str(req.query.include) ?? '').split(',');
    return this.paged(
      req,
      all.map((t) => this.ticketJson(t, {description: include.includes('description'), stats: include.includes('stats'), requester: include.includes('requester')})),
    );
  }

  /* ---- the filter API: the query language, as the reference describes it ---- */

  private filter(req: FakeRequest): FakeResponse {
    const raw = str(req.query.query)!;
    let predicate: (t: StoredTicket) => boolean;
    try {
      predicate = parseFilter(raw.slice(1, -1), this);
    } catch (error) {
      return invalid([{field: 'query', message: (error as Error).message, code: 'invalid_value'}]);
    }
    const page = Number(str(req.query.page) ?? 1);
    const found = [...this.tickets.values()].filter(predicate).sort((a, b) => b.created_ms - a.created_ms || b.id - a.id);
    // The filter answer carries no description (the fake's choice; the reference shows none).
    return {status: 200, body: {total: found.length, results: found.slice((page - 1) * 30, page * 30).map((t) => this.ticketJson(t))}};
  }

  /** A field's value on a ticket, as the filter language names it. */
  fieldValue(t: StoredTicket, field: string): unknown {
    if (field === 'agent_id') return t.responder_id;
    if (field === 'tag') return t.tags;
    if (field === 'created_at') return t.created_ms;
    if (field === 'updated_at') return t.updated_ms;
    if (field.startsWith('cf_')) return t.custom_fields[field] ?? null;
    if (['status', 'priority', 'group_id', 'type', 'requester_id'].includes(field)) return (t as any)[field];
    throw new Error(`${field} is not a field the filter API searches`);
  }

  /* ---- SLA and seeding ---- */

  /** Tickets made directly in the store, a second apart, oldest first; `ageDays` back from now. */
  seedTickets(count: number, make: (i: number) => {subject: string; tags?: string[]; status?: number; priority?: number} = (i) => ({subject: `Seeded ${i}`}), ageDays = 0): number[] {
    const ids: number[] = [];
    const start = this.now() - ageDays * 86_400_000 - count * 1000;
    for (let i = 0; i < count; i++) {
      const m = make(i);
      const at = start + i * 1000;
      const priority = m.priority ?? 1;
      const t: StoredTicket = {
        id: this.nextId.ticket++, subject: m.subject, description: `<div>${m.subject}</div>`, status: m.status ?? 2, priority, source: 2, type: null, requester_id: 2001, responder_id: null,
        group_id: null, company_id: null, product_id: null, tags: m.tags ?? [], custom_fields: {}, fr_due_ms: at + SLA_TARGETS[priority]!.firstResponse * 60_000,
        due_ms: at + SLA_TARGETS[priority]!.resolution * 60_000, created_ms: at, updated_ms: at, stats: {}, conversations: [],
      };
      this.tickets.set(t.id, t);
      ids.push(t.id);
    }
    return ids;
  }

  /* ---- Solutions ---- */

  /** An article, in the folder given, else in its language's "General" folder. */
  addArticle(a: Omit<FakeArticle, 'id' | 'updated_ms' | 'status' | 'folder'> & {status?: 1 | 2; folder?: number}): FakeArticle {
    const folder = a.folder ?? this.folders.find((f) => f.parent === null && this.categories.find((c) => c.id === f.category)?.language === a.language)?.id ?? 40;
    const article: FakeArticle = {id: this.nextId.article++, updated_ms: this.now(), status: 2, ...a, folder};
    this.articles.push(article);
    return article;
  }

  /** A folder at the top of a category (default: the English one), or nested in another folder. */
  addFolder(f: {name: string; category?: number; parent?: number}): FakeFolder {
    const parent = f.parent === undefined ? undefined : this.folders.find((x) => x.id === f.parent);
    const folder: FakeFolder = {id: this.nextId.folder++, name: f.name, category: parent?.category ?? f.category ?? 30, parent: parent?.id ?? null};
    this.folders.push(folder);
    return folder;
  }

  /** An edit in Freshdesk's editor: the article changes and its updated_at moves. */
  editArticle(id: number, changes: Partial<Pick<FakeArticle, 'title' | 'description' | 'status' | 'tags'>>): void {
    const a = this.articles.find((x) => x.id === id)!;
    Object.assign(a, changes, {updated_ms: Math.max(this.now(), a.updated_ms + 1000)});
  }

  /** Deleting an article (all its translations too): it leaves every list and its view answers 404. */
  deleteArticle(id: number): void {
    this.articles.splice(this.articles.findIndex((x) => x.id === id), 1);
  }

  /** The folders from the category down to this one. */
  private folderChain(id: number): FakeFolder[] {
    const chain: FakeFolder[] = [];
    for (let f = this.folders.find((x) => x.id === id); f; f = f.parent === null ? undefined : this.folders.find((x) => x.id === f!.parent)) chain.unshift(f);
    return chain;
  }

  private hierarchy(folder: number): Record<string, unknown>[] {
    const chain = this.folderChain(folder);
    const category = this.categories.find((c) => c.id === chain[0]!.category)!;
    return [
      {level: 0, type: 'category', data: {id: category.id, name: category.name, language: category.language}},
      ...chain.map((f, i) => ({level: i + 1, type: 'folder', data: {id: f.id, name: f.name, language: category.language}})),
    ];
  }

  private folderJson(f: FakeFolder): Record<string, unknown> {
    return {
      id: f.id,
      name: f.name,
      description: null,
      visibility: 1,
      parent_folder_id: f.parent,
      articles_count: this.articles.filter((a) => a.folder === f.id).length,
      sub_folders_count: this.folders.filter((x) => x.parent === f.id).length,
      hierarchy: this.hierarchy(f.id),
      created_at: seconds(0),
      updated_at: seconds(0),
    };
  }

  private articleJson(a: FakeArticle): Record<string, unknown> {
    const slug = a.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const folder = this.folders.find((f) => f.id === a.folder)!;
    const category = this.categories.find((c) => c.id === folder.category)!;
    return {
      id: a.id,
      type: 1,
      status: a.status,
      title: a.title,
      description: a.description,
      description_text: htmlText(a.description),
      category_id: category.id,
      folder_id: folder.id,
      folder_visibility: 1,
      agent_id: 1001,
      path: `${a.id}-${slug}`,
      hierarchy: this.hierarchy(folder.id),
      category_name: category.name,
      folder_name: folder.name,
      created_at: seconds(a.updated_ms),
      updated_at: seconds(a.updated_ms),
    };
  }

  private searchArticles(req: FakeRequest): FakeResponse {
    const words = ((str(req.query.term) ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
    const scored = this.articles
      .map((a) => {
        const title = a.title.toLowerCase();
        const body = htmlText(a.description).toLowerCase();
        return {a, score: words.reduce((n, w) => n + (title.includes(w) ? 3 : 0) + (body.includes(w) ? 1 : 0), 0)};
      })
      .filter((x) => x.score > 0)
      .sort((x, y) => y.score - x.score || x.a.id - y.a.id);
    // Search answers no tags: the article view does (SOLS).
    return {status: 200, body: scored.map(({a}) => this.articleJson(a))};
  }
}

/**
 * The filter language of FILTER: `field:value` terms joined by AND and OR, grouped with
 * parentheses; numbers, 'quoted strings' and null as values; `:>` and `:<` (at least, at most)
 * for numbers and dates. AND binds tighter than OR.
 */
export function parseFilter(text: string, fake: Pick<FreshdeskFake, 'fieldValue'>): (t: any) => boolean {
  const tokens = text.match(/\(|\)|\bAND\b|\bOR\b|[a-z_]+:[<>]?(?:'[^']*'|[^\s()]+)/g) ?? [];
  const rest = text.replace(/\(|\)|\bAND\b|\bOR\b|[a-z_]+:[<>]?(?:'[^']*'|[^\s()]+)/g, '').trim();
  if (rest) throw new Error(`"${rest}" is not part of a query`);
  let i = 0;
  const term = (): ((t: any) => boolean) => {
    const tok = tokens[i++];
    if (tok === '(') {
      const inner = or();
      if (tokens[i++] !== ')') throw new Error('a parenthesis is not closed');
      return inner;
    }
    const m = /^([a-z_]+):([<>]?)(.*)$/.exec(tok ?? '');
    if (!m) throw new Error(`"${tok ?? ''}" is not a term`);
    const [, field, op, rawValue] = m as unknown as [string, string, string, string];
    const value = rawValue === 'null' ? null : /^'.*'$/.test(rawValue) ? rawValue.slice(1, -1) : /^\d+$/.test(rawValue) ? Number(rawValue) : rawValue;
    fake.fieldValue({tags: [], custom_fields: {}} as never, field); // throws for a field it does not search
    return (t) => {
      const have = fake.fieldValue(t, field);
      if (op) {
        const bound = typeof value === 'string' ? Date.parse(value) + (op === '<' ? 86_399_999 : 0) : Number(value);
        return op === '>' ? Number(have) >= bound : Number(have) <= bound;
      }
      if (Array.isArray(have)) return value === null ? have.length === 0 : have.includes(value);
      return value === null ? have === null || have === undefined : have === value;
    };
  };
  const and = () => {
    let left = term();
    while (tokens[i] === 'AND') {
      i++;
      const l = left;
      const r = term();
      left = (t) => l(t) && r(t);
    }
    return left;
  };
  const or = (): ((t: any) => boolean) => {
    let left = and();
    while (tokens[i] === 'OR') {
      i++;
      const l = left;
      const r = and();
      left = (t) => l(t) || r(t);
    }
    return left;
  };
  const predicate = or();
  if (i < tokens.length) throw new Error(`"${tokens[i]}" is not expected there`);
  return predicate;
}

const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with', 'der', 'die', 'das', 'und']);

export async function startFreshdeskFake(options: FreshdeskFakeOptions = {}): Promise<FreshdeskFake> {
  return new FreshdeskFake(options).start();
}
