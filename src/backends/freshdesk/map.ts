/**
 * Freshdesk <-> the toolkit's domain, both ways, without I/O. Freshdesk speaks numeric codes
 * (status 2-5 and custom ones from 6, priority 1-4); every one is mapped explicitly, and a code
 * the toolkit has no word for is shown by its name in `fields`, never dropped. What the domain
 * has no place for (group, company, product, source, the due-by times...) rides in `fields`
 * under Freshdesk's own names and goes back on update; custom fields drop their `cf_` prefix.
 */
import {kbLanguage, MATCH_END, MATCH_START, type Article, type KbHit} from '../../domain/article.js';
import {UsageError} from '../../domain/errors.js';
import type {Attachment, Comment, Role, Ticket, TicketFields, TicketPriority, TicketStatus, TicketType} from '../../domain/ticket.js';

/* ---- the wire ---- */

export interface FdAttachment {
  id: number;
  name: string;
  content_type?: string | null;
  size: number;
  attachment_url?: string;
  created_at?: string;
}

export interface FdStats {
  first_responded_at?: string | null;
  agent_responded_at?: string | null;
  requester_responded_at?: string | null;
  resolved_at?: string | null;
  closed_at?: string | null;
  status_updated_at?: string | null;
  pending_since?: string | null;
  reopened_at?: string | null;
}

export interface FdTicket {
  id: number;
  subject?: string | null;
  description?: string | null;
  description_text?: string | null;
  status: number;
  priority: number;
  source?: number;
  type?: string | null;
  requester_id: number;
  responder_id?: number | null;
  group_id?: number | null;
  company_id?: number | null;
  product_id?: number | null;
  email_config_id?: number | null;
  tags?: string[];
  custom_fields?: Record<string, unknown>;
  cc_emails?: string[];
  fr_due_by?: string | null;
  due_by?: string | null;
  nr_due_by?: string | null;
  fr_escalated?: boolean;
  is_escalated?: boolean;
  nr_escalated?: boolean;
  attachments?: FdAttachment[];
  created_at: string;
  updated_at: string;
  stats?: FdStats;
  requester?: {id: number; name?: string | null; email?: string | null};
}

export interface FdConversation {
  id: number;
  body?: string | null;
  body_text?: string | null;
  private: boolean;
  incoming?: boolean;
  user_id: number;
  ticket_id?: number;
  attachments?: FdAttachment[];
  created_at: string;
}

export interface FdPerson {
  id: number;
  name: string;
  email?: string | null;
  /** Agents: true. */
  agent?: boolean;
}

export interface FdAgent {
  id: number;
  type?: string;
  ticket_scope?: number;
  contact: {name: string; email?: string | null};
}

export interface FdTicketField {
  id: number;
  name: string;
  label: string;
  type: string;
  default?: boolean;
  /** Status: {"2": ["Open", "Being Processed"], ...}; ticket type and dropdowns: a list of names. */
  choices?: Record<string, unknown> | unknown[];
}

export interface FdArticle {
  id: number;
  title: string;
  description?: string | null;
  description_text?: string | null;
  status: number;
  tags?: string[];
  path?: string;
  folder_id?: number;
  category_id?: number;
  hierarchy?: {level: number; type: string; data: {id: number; name: string; language?: string}}[];
  created_at?: string;
  updated_at?: string;
}

/* ---- statuses, priorities, types ---- */

/** Freshdesk's built-in status codes (Admin > Ticket fields lists the custom ones, from 6). */
export const FD_STATUS = {open: 2, pending: 3, resolved: 4, closed: 5} as const;
const STATUS_OUT: Record<Exclude<TicketStatus, 'on_hold'>, number> = {new: 2, open: 2, pending: 3, solved: 4, closed: 5};
const PRIORITY_IN: Record<number, TicketPriority> = {1: 'low', 2: 'normal', 3: 'high', 4: 'urgent'};
const PRIORITY_OUT: Record<TicketPriority, number> = {low: 1, normal: 2, high: 3, urgent: 4};
const TYPES: readonly TicketType[] = ['question', 'incident', 'problem', 'task'];

/**
 * A status code as the toolkit's. Freshdesk has no "new": an Open ticket that no agent is
 * assigned to reads as new, as Freshdesk's own `new_and_my_open` filter counts it. Custom
 * statuses (6 and up) are waiting states in Freshdesk and read as on_hold, their name kept.
 */
export function statusIn(code: number, responderId: number | null | undefined): TicketStatus {
  if (code === FD_STATUS.open) return responderId === null || responderId === undefined ? 'new' : 'open';
  if (code === FD_STATUS.pending) return 'pending';
  if (code === FD_STATUS.resolved) return 'solved';
  if (code === FD_STATUS.closed) return 'closed';
  return 'on_hold';
}

/** The code of a toolkit status; on_hold has none of its own (it is one of the account's custom statuses, chosen by name). */
export function statusOut(status: TicketStatus, catalog: FieldCatalog): number {
  if (status !== 'on_hold') return STATUS_OUT[status];
  const custom = catalog.customStatuses();
  throw new UsageError('Freshdesk has no on-hold status of its own.', {
    hint: custom.length
      ? `Choose one of its custom statuses by name: --field status_name="${custom[0]!.name}" (${custom.map((s) => s.name).join(', ')}).`
      : 'This Freshdesk account has no custom statuses; use pending, or add one in Admin > Ticket fields.',
  });
}

export function priorityIn(code: number): {priority: TicketPriority; unknown?: number} {
  const known = PRIORITY_IN[code];
  return known ? {priority: known} : {priority: 'normal', unknown: code};
}

export const priorityOut = (priority: TicketPriority): number => PRIORITY_OUT[priority];

export function typeIn(value: string | null | undefined): {type: TicketType; unknown?: string} {
  if (value === null || value === undefined || value === '') return {type: 'question'};
  const lower = value.toLowerCase() as TicketType;
  return TYPES.includes(lower) ? {type: lower} : {type: 'question', unknown: value};
}

/* ---- the account's fields ---- */

/** Built-in properties the domain has no place for, as they appear in `fields`; `write` says how an update may set one. */
export const BUILT_IN_FIELDS: Record<string, {write: 'id' | 'integer' | 'date' | 'text' | 'status' | false}> = {
  group_id: {write: 'id'},
  company_id: {write: 'id'},
  product_id: {write: 'id'},
  requester_id: {write: 'id'},
  email_config_id: {write: 'id'},
  source: {write: 'integer'},
  due_by: {write: 'date'},
  fr_due_by: {write: 'date'},
  nr_due_by: {write: false},
  fr_escalated: {write: false},
  is_escalated: {write: false},
  nr_escalated: {write: false},
  cc_emails: {write: false},
  /** The status by its name: a custom status is set this way. */
  status_name: {write: 'status'},
  /** A ticket type the toolkit has no word for (Feature Request, Refund...), set by its name. */
  type_name: {write: 'text'},
  priority_name: {write: false},
};

/** Names the toolkit's own columns take: a custom field named like one keeps its cf_ prefix. */
const RESERVED = new Set(['id', 'title', 'body', 'status', 'priority', 'type', 'tags', 'assignee', 'requester', 'fields']);

export interface StatusChoice {
  code: number;
  name: string;
}

/** The account's ticket fields (GET /api/v2/ticket_fields): custom fields by key, status names, ticket types. */
export class FieldCatalog {
  private readonly byKey = new Map<string, FdTicketField>();
  private readonly keyByName = new Map<string, string>();
  private readonly statuses: StatusChoice[] = [];
  readonly types: string[] = [];

  constructor(fields: readonly FdTicketField[]) {
    for (const f of fields) {
      if (f.type === 'default_status' && f.choices && !Array.isArray(f.choices)) {
        for (const [code, labels] of Object.entries(f.choices)) {
          const name = Array.isArray(labels) ? String(labels[0]) : String(labels);
          if (/^\d+$/.test(code)) this.statuses.push({code: Number(code), name});
        }
      }
      if (f.type === 'default_ticket_type' && Array.isArray(f.choices)) this.types.push(...f.choices.map(String));
      if (f.default !== true && f.name.startsWith('cf_')) {
        const bare = f.name.slice(3);
        const key = bare && !(bare in BUILT_IN_FIELDS) && !RESERVED.has(bare) ? bare : f.name;
        this.byKey.set(key, f);
        this.keyByName.set(f.name, key);
      }
    }
    this.statuses.sort((a, b) => a.code - b.code);
  }

  /** The key `fields` uses for a custom field's wire name (cf_region -> region). */
  keyOf(name: string): string {
    return this.keyByName.get(name) ?? name;
  }

  field(key: string): FdTicketField | undefined {
    return this.byKey.get(key);
  }

  /** A custom field named by its key, its wire name (cf_...) or its label, in any case. */
  resolve(name: string): FdTicketField | undefined {
    const text = name.trim();
    const direct = this.byKey.get(text) ?? this.byKey.get(this.keyOf(text));
    if (direct) return direct;
    const lower = text.toLowerCase();
    return [...this.byKey.values()].find((f) => f.label.toLowerCase() === lower || f.name.toLowerCase() === lower);
  }

  get keys(): string[] {
    return [...this.byKey.keys()];
  }

  statusName(code: number): string | undefined {
    return this.statuses.find((s) => s.code === code)?.name;
  }

  /** A status by its name (any case) or its code. */
  statusCode(name: string): number | undefined {
    const text = name.trim();
    if (/^\d+$/.test(text)) return this.statuses.some((s) => s.code === Number(text)) ? Number(text) : undefined;
    return this.statuses.find((s) => s.name.toLowerCase() === text.toLowerCase())?.code;
  }

  /** Statuses from 6 up: the account's own. */
  customStatuses(): StatusChoice[] {
    return this.statuses.filter((s) => s.code >= 6);
  }

  get statusNames(): string[] {
    return this.statuses.map((s) => s.name);
  }
}

/* ---- users ---- */

/** How tickets name a Freshdesk user: the email when there is one (what --assignee takes), else the name, else the id. */
export function userRef(person: FdPerson | undefined, id: number | null | undefined): string {
  if (id === null || id === undefined) return '';
  if (!person) return String(id);
  return person.email || person.name || String(id);
}

export const roleIn = (person: FdPerson | undefined): Role => (person?.agent ? 'agent' : 'customer');

/* ---- text ---- */

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' '};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[code.toLowerCase()] ?? m;
  });
}

/** Plain text as the HTML Freshdesk stores descriptions and conversations in: escaped, line breaks kept. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<div>${escaped.replace(/\r?\n/g, '<br>')}</div>`;
}

/** Freshdesk's HTML as plain text, for when its `*_text` twin is absent. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(p|div|li|h[1-6])>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/* ---- tickets ---- */

export interface MapContext {
  people: ReadonlyMap<number, FdPerson>;
  fields: FieldCatalog;
}

const iso = (text: string) => new Date(Date.parse(text)).toISOString();

export function ticketIn(t: FdTicket, ctx: MapContext, attachments: Attachment[] = []): Ticket {
  const status = statusIn(t.status, t.responder_id);
  const priority = priorityIn(t.priority);
  const type = typeIn(t.type);
  const fields: TicketFields = {};
  // Unset custom fields (null or empty) are left out.
  for (const [name, value] of Object.entries(t.custom_fields ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    fields[ctx.fields.keyOf(name)] = value;
  }
  const raw = t as unknown as Record<string, unknown>;
  for (const name of ['group_id', 'company_id', 'product_id', 'requester_id', 'email_config_id', 'source', 'due_by', 'fr_due_by', 'nr_due_by']) {
    const value = raw[name];
    if (value !== null && value !== undefined) fields[name] = /due_by$/.test(name) ? iso(String(value)) : value;
  }
  for (const flag of ['fr_escalated', 'is_escalated', 'nr_escalated']) if (raw[flag] === true) fields[flag] = true;
  if (t.cc_emails?.length) fields.cc_emails = [...t.cc_emails];
  if (t.status >= 6 || !(t.status in STATUS_NAMES)) fields.status_name = ctx.fields.statusName(t.status) ?? `status ${t.status}`;
  if (priority.unknown !== undefined) fields.priority_name = `priority ${priority.unknown}`;
  if (type.unknown) fields.type_name = type.unknown;
  return {
    id: String(t.id),
    title: t.subject ?? '',
    body: t.description_text ?? (t.description ? htmlToText(t.description) : ''),
    status: status,
    priority: priority.priority,
    type: type.type,
    // A set to Freshdesk, in no order it promises: sorted, so that a ticket reads the same each time.
    tags: [...(t.tags ?? [])].sort(),
    requester: userRef(ctx.people.get(t.requester_id), t.requester_id),
    requesterId: String(t.requester_id),
    assignee: t.responder_id === null || t.responder_id === undefined ? null : userRef(ctx.people.get(t.responder_id), t.responder_id),
    assigneeId: t.responder_id === null || t.responder_id === undefined ? null : String(t.responder_id),
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
    fields,
    attachments,
  };
}

/** Built-in codes that need no name in `fields`. */
const STATUS_NAMES: Record<number, string> = {2: 'Open', 3: 'Pending', 4: 'Resolved', 5: 'Closed'};

/** "Attached crash.log (2,532 bytes, sha256 ab12...)." — the note an attachment goes with, and where its sha256 is read back. */
export function attachmentNote(name: string, size: number, sha256: string): string {
  return `Attached ${name} (${size} bytes, sha256 ${sha256}).`;
}

function sha256From(text: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}\\b[^\\n]*?sha256[ :]+([0-9a-f]{64})`, 'i').exec(text)?.[1]?.toLowerCase() ?? '';
}

/** The files of a conversation (or of the ticket's description); the sha256 is the one its note names, else empty. */
export function attachmentsIn(ticketId: string, list: readonly FdAttachment[] | undefined, text: string, at: string): Attachment[] {
  return (list ?? []).map((a) => ({
    id: String(a.id),
    ticketId,
    name: a.name,
    size: a.size,
    sha256: sha256From(text, a.name),
    contentType: a.content_type || 'application/octet-stream',
    createdAt: iso(a.created_at ?? at),
  }));
}

export const conversationText = (c: FdConversation): string => c.body_text ?? (c.body ? htmlToText(c.body) : '');

export function commentIn(ticketId: string, c: FdConversation, people: ReadonlyMap<number, FdPerson>): Comment {
  const author = people.get(c.user_id);
  return {
    id: String(c.id),
    ticketId,
    author: userRef(author, c.user_id),
    authorId: String(c.user_id),
    // A conversation from the requester's side is `incoming`; the rest are agents'.
    authorRole: author ? roleIn(author) : c.incoming ? 'customer' : 'agent',
    body: conversationText(c),
    public: !c.private,
    createdAt: iso(c.created_at),
  };
}

/* ---- changes going out ---- */

/** `fields` of a new ticket or an update -> Freshdesk's properties and custom_fields. */
export function fieldsOut(fields: TicketFields, catalog: FieldCatalog, creating: boolean): {props: Record<string, unknown>; custom: Record<string, unknown>} {
  const props: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const builtIn = BUILT_IN_FIELDS[name];
    if (builtIn) {
      if (!builtIn.write) throw new UsageError(`The field ${name} is Freshdesk's own and cannot be set.`, {hint: `Leave ${name} out; ${writableList()} can be set.`});
      if (creating && (value === null || value === undefined)) continue;
      Object.assign(props, builtInOut(name, builtIn.write, value, catalog));
      continue;
    }
    const field = catalog.resolve(name);
    if (!field) {
      const known = catalog.keys;
      throw new UsageError(`"${name}" is not a ticket field of this Freshdesk account.`, {
        hint: `${known.length ? `Its custom fields are: ${known.join(', ')}. ` : 'It has no custom ticket fields. '}Freshdesk's own: ${writableList()}.`,
      });
    }
    if (creating && (value === null || value === undefined)) continue;
    custom[field.name] = customOut(field, value);
  }
  return {props, custom};
}

const writableList = () =>
  Object.entries(BUILT_IN_FIELDS)
    .filter(([, f]) => f.write)
    .map(([name]) => name)
    .join(', ');

function builtInOut(name: string, kind: 'id' | 'integer' | 'date' | 'text' | 'status', value: unknown, catalog: FieldCatalog): Record<string, unknown> {
  if (kind === 'status') {
    const text = String(value ?? '').trim();
    const code = text ? catalog.statusCode(text) : undefined;
    if (code === undefined) {
      throw new UsageError(`"${text}" is not a status of this Freshdesk account.`, {hint: `Its statuses are: ${catalog.statusNames.join(', ')}.`});
    }
    return {status: code};
  }
  if (kind === 'text') return {type: value === null || value === undefined || value === '' ? null : String(value)};
  if (value === null || value === undefined || value === '') return {[name]: null};
  if (kind === 'id' || kind === 'integer') {
    const text = String(value).trim();
    if (!/^\d+$/.test(text)) throw new UsageError(`${name} must be a Freshdesk id (digits), not "${text}".`, {hint: `For example --field ${name}=${kind === 'id' ? '36000012345' : '2'}.`});
    return {[name]: Number(text)};
  }
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new UsageError(`${name} must be a date, not "${String(value)}".`, {hint: 'Write it as 2025-01-31T12:00:00Z.'});
  return {[name]: new Date(ms).toISOString().replace('.000Z', 'Z')};
}

/** A value given on the command line (text there) -> what the field takes; what does not fit goes as given, and Freshdesk says why. */
export function customOut(field: FdTicketField, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  if ((field.type === 'custom_number' || field.type === 'custom_decimal') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (field.type === 'custom_checkbox' && typeof value === 'string') {
    if (/^(true|yes|1)$/i.test(value)) return true;
    if (/^(false|no|0)$/i.test(value)) return false;
  }
  return value;
}

/** Tags after an update: Freshdesk's `tags` replaces the list, so the adapter sends the whole new set. */
export function tagsAfter(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const gone = new Set(remove);
  const out = current.filter((t) => !gone.has(t));
  for (const t of add) if (!out.includes(t) && !gone.has(t)) out.push(t);
  return out;
}

/** The Freshdesk type for a toolkit type: the account's type of that name, in any case. */
export function typeOut(type: TicketType, catalog: FieldCatalog): string {
  const match = catalog.types.find((t) => t.toLowerCase() === type);
  if (match) return match;
  throw new UsageError(`This Freshdesk account has no ticket type "${type}".`, {
    hint: catalog.types.length ? `Its types are: ${catalog.types.join(', ')}; set one by name with --field type_name="${catalog.types[0]}".` : 'Add ticket types in Admin > Ticket fields.',
  });
}

/* ---- knowledge base ---- */

/** The title part of an article's slug: from its `path` ("12-reset-a-password"), else its title. */
export function articleTitleSlug(a: Pick<FdArticle, 'id' | 'path' | 'title'>): string {
  const fromPath = a.path ? /^\d+-(.+)$/.exec(a.path)?.[1] : undefined;
  return (fromPath ?? a.title)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * An article's slug, as in its portal path: the id, then the title ("12-reset-a-password"). The
 * id keeps two articles of one title apart (the offline copy keys articles by slug); `kb view`
 * takes the slug, the id, or the title part alone.
 */
export function articleSlug(a: Pick<FdArticle, 'id' | 'path' | 'title'>): string {
  const title = articleTitleSlug(a);
  return title ? `${a.id}-${title}` : String(a.id);
}

/** The language of an article: its category's, as search tells it; the account's default otherwise. */
export function articleLocale(a: FdArticle, fallback: string): string {
  const lang = a.hierarchy?.find((h) => h.data.language)?.data.language ?? fallback;
  return kbLanguage(lang) ?? lang.toLowerCase();
}

/** Freshdesk's search tells no snippet: the best place in the text, the query's words marked. */
export function snippetFor(text: string, words: readonly string[], width = 160): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/[\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const lower = plain.toLowerCase();
  const first = words.map((w) => lower.indexOf(w.toLowerCase())).filter((i) => i >= 0).sort((a, b) => a - b)[0] ?? 0;
  const start = Math.max(0, first - 40);
  const piece = plain.slice(start, start + width);
  if (!words.length) return piece;
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  return piece.replace(pattern, `${MATCH_START}$1${MATCH_END}`);
}

export function hitIn(a: FdArticle, rank: number, total: number, words: readonly string[], fallbackLocale: string, url: string | null): KbHit {
  return {
    id: String(a.id),
    slug: articleSlug(a),
    title: decodeEntities(a.title),
    snippet: snippetFor(a.description_text ?? htmlToText(a.description ?? ''), words),
    // Freshdesk ranks and tells no score: the toolkit's is the rank, best highest.
    score: total - rank,
    locale: articleLocale(a, fallbackLocale),
    tags: [...(a.tags ?? [])],
    url,
  };
}

export function articleIn(a: FdArticle, markdown: string, fallbackLocale: string, url: string | undefined): Article {
  return {
    id: String(a.id),
    slug: articleSlug(a),
    title: decodeEntities(a.title),
    body: markdown,
    tags: [...(a.tags ?? [])],
    locale: articleLocale(a, fallbackLocale),
    updatedAt: iso(a.updated_at ?? a.created_at ?? new Date(0).toISOString()),
    ...(url ? {url} : {}),
  };
}
