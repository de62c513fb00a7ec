/**
 * Zendesk <-> the toolkit's domain, both ways, without I/O. What the domain has no place for
 * (group, organization, requester and submitter ids, via, brand, form, custom fields...) rides
 * in `fields`, under the names listed here, and goes back to Zendesk on update; a value Zendesk
 * may add in future (a new status) is shown, never dropped.
 */
import {kbLanguage, MATCH_END, MATCH_START, type Article, type KbHit} from '../../domain/article.js';
import {UsageError} from '../../domain/errors.js';
import type {Attachment, Comment, NewTicket, Role, Ticket, TicketChanges, TicketEvent, TicketFields, TicketPriority, TicketStatus, TicketType} from '../../domain/ticket.js';

/* ---- the wire ---- */

export interface ZdUser {
  id: number | null;
  name: string;
  email?: string | null;
  role?: string;
  active?: boolean;
  suspended?: boolean;
}

export interface ZdCustomFieldValue {
  id: number;
  value: unknown;
}

export interface ZdTicket {
  id: number;
  url?: string;
  subject?: string | null;
  description?: string | null;
  status: string;
  priority?: string | null;
  type?: string | null;
  tags?: string[];
  requester_id: number;
  submitter_id?: number | null;
  assignee_id?: number | null;
  group_id?: number | null;
  organization_id?: number | null;
  brand_id?: number | null;
  ticket_form_id?: number | null;
  external_id?: string | null;
  due_at?: string | null;
  problem_id?: number | null;
  custom_status_id?: number | null;
  via?: {channel?: string; source?: unknown} | null;
  custom_fields?: ZdCustomFieldValue[];
  collaborator_ids?: number[];
  follower_ids?: number[];
  email_cc_ids?: number[];
  satisfaction_rating?: unknown;
  recipient?: string | null;
  created_at: string;
  updated_at: string;
  slas?: {policy_metrics: ZdPolicyMetric[]};
}

export interface ZdPolicyMetric {
  metric: string;
  stage: 'active' | 'paused' | 'achieved' | string;
  breach_at?: string | null;
  days?: number;
  hours?: number;
  minutes?: number;
}

export interface ZdAttachment {
  id: number;
  file_name: string;
  content_url?: string;
  content_type?: string;
  size: number;
}

export interface ZdComment {
  id: number;
  type?: string;
  author_id: number;
  body: string;
  public: boolean;
  created_at: string;
  attachments?: ZdAttachment[];
}

export interface ZdTicketField {
  id: number;
  type: string;
  title: string;
  active?: boolean;
  removable?: boolean;
  custom_field_options?: {name: string; value: string}[];
}

export interface ZdCustomStatus {
  id: number;
  status_category: string;
  agent_label: string;
  active?: boolean;
}

export interface ZdAudit {
  id: number;
  ticket_id?: number;
  created_at: string;
  author_id: number;
  events: Record<string, unknown>[];
}

export interface ZdArticle {
  id: number;
  url?: string;
  html_url?: string;
  title: string;
  body?: string | null;
  locale: string;
  label_names?: string[];
  updated_at?: string;
  edited_at?: string;
  created_at?: string;
  snippet?: string;
}

/* ---- statuses, priorities, types: explicit both ways ---- */

const STATUS_IN: Record<string, TicketStatus> = {new: 'new', open: 'open', pending: 'pending', hold: 'on_hold', solved: 'solved', closed: 'closed'};
const STATUS_OUT: Record<TicketStatus, string> = {new: 'new', open: 'open', pending: 'pending', on_hold: 'hold', solved: 'solved', closed: 'closed'};
const PRIORITIES: readonly TicketPriority[] = ['low', 'normal', 'high', 'urgent'];
const TYPES: readonly TicketType[] = ['question', 'incident', 'problem', 'task'];

/** Zendesk's status (or custom status category) as the toolkit's; an unknown one reads as open, and its name is kept. */
export function statusIn(value: string): {status: TicketStatus; unknown?: string} {
  const known = STATUS_IN[value];
  return known ? {status: known} : {status: 'open', unknown: value};
}

export const statusOut = (status: TicketStatus): string => STATUS_OUT[status];

/** A ticket without a priority reads as normal, the toolkit's default; an unknown value is kept by name. */
export function priorityIn(value: string | null | undefined): {priority: TicketPriority; unknown?: string} {
  if (value === null || value === undefined) return {priority: 'normal'};
  return (PRIORITIES as readonly string[]).includes(value) ? {priority: value as TicketPriority} : {priority: 'normal', unknown: value};
}

export function typeIn(value: string | null | undefined): {type: TicketType; unknown?: string} {
  if (value === null || value === undefined) return {type: 'question'};
  return (TYPES as readonly string[]).includes(value) ? {type: value as TicketType} : {type: 'question', unknown: value};
}

/* ---- users ---- */

/** How tickets name a Zendesk user: the email when there is one (unique, and what --assignee takes), else the name. */
export function userRef(user: ZdUser | undefined, id: number | null | undefined): string {
  if (id === null || id === undefined) return '';
  if (!user) return String(id);
  return user.email || user.name || String(id);
}

export const roleIn = (user: ZdUser | undefined): Role => (user?.role === 'agent' || user?.role === 'admin' ? 'agent' : 'customer');

/* ---- fields ---- */

/**
 * Zendesk's own ticket properties that the domain has no place for, as they appear in `fields`.
 * `write` says whether an update may change it (and how: an id, a date, text).
 */
export const BUILT_IN_FIELDS: Record<string, {write: 'id' | 'text' | 'date' | 'ids' | false}> = {
  group_id: {write: 'id'},
  organization_id: {write: 'id'},
  requester_id: {write: 'id'},
  brand_id: {write: 'id'},
  ticket_form_id: {write: 'id'},
  custom_status_id: {write: 'id'},
  problem_id: {write: 'id'},
  external_id: {write: 'text'},
  due_at: {write: 'date'},
  collaborator_ids: {write: 'ids'},
  submitter_id: {write: false},
  via: {write: false},
  follower_ids: {write: false},
  email_cc_ids: {write: false},
  satisfaction_rating: {write: false},
  recipient: {write: false},
  status_name: {write: false},
  priority_name: {write: false},
  type_name: {write: false},
};

/** The account's custom ticket fields, by id and by the names `fields` uses. */
export class FieldCatalog {
  private readonly byId = new Map<number, {field: ZdTicketField; key: string}>();
  private readonly byKey = new Map<string, {field: ZdTicketField; key: string}>();

  constructor(fields: readonly ZdTicketField[]) {
    const custom = fields.filter((f) => f.removable !== false && !SYSTEM_FIELD_TYPES.has(f.type));
    const counts = new Map<string, number>();
    for (const f of custom) counts.set(fieldKey(f.title), (counts.get(fieldKey(f.title)) ?? 0) + 1);
    for (const f of custom) {
      const base = fieldKey(f.title);
      // A title that slugs like another field, or like a built-in, keeps its id in the name.
      const key = counts.get(base)! > 1 || base in BUILT_IN_FIELDS || !base ? `${base || 'field'}_${f.id}` : base;
      const entry = {field: f, key};
      this.byId.set(f.id, entry);
      this.byKey.set(key, entry);
    }
  }

  keyOf(id: number): string {
    return this.byId.get(id)?.key ?? `field_${id}`;
  }

  fieldOf(id: number): ZdTicketField | undefined {
    return this.byId.get(id)?.field;
  }

  /** A field named by its key, its title (any case) or its numeric id. */
  resolve(name: string): ZdTicketField | undefined {
    const trimmed = name.trim();
    if (/^\d+$/.test(trimmed)) return this.byId.get(Number(trimmed))?.field;
    const m = /^field_(\d+)$/.exec(trimmed);
    if (m) return this.byId.get(Number(m[1]))?.field;
    return this.byKey.get(trimmed)?.field ?? this.byKey.get(fieldKey(trimmed))?.field;
  }

  get keys(): string[] {
    return [...this.byKey.keys()];
  }
}

const SYSTEM_FIELD_TYPES = new Set(['subject', 'description', 'status', 'custom_status', 'tickettype', 'priority', 'group', 'assignee', 'brand']);

/** "Legacy ID" -> legacy_id: a name that needs no quoting in `--field legacy_id=...`. */
export function fieldKey(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A custom field's value as Zendesk sends it (text for numbers) -> as the toolkit shows it. */
export function customValueIn(field: ZdTicketField | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !field) return value;
  if ((field.type === 'integer' || field.type === 'decimal') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

/** A value given on the command line (always text there) -> what the field takes. */
export function customValueOut(field: ZdTicketField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (field.type === 'checkbox' && typeof value === 'string') {
    if (/^(true|yes|1)$/i.test(value)) return true;
    if (/^(false|no|0)$/i.test(value)) return false;
  }
  if (field.type === 'multiselect' && typeof value === 'string') return value.split(',').map((v) => v.trim()).filter(Boolean);
  return value;
}

/* ---- tickets ---- */

export interface MapContext {
  users: ReadonlyMap<number, ZdUser>;
  fields: FieldCatalog;
  customStatuses?: ReadonlyMap<number, ZdCustomStatus>;
}

const present = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);

export function ticketIn(t: ZdTicket, ctx: MapContext, attachments: Attachment[] = []): Ticket {
  const status = statusIn(t.status);
  const priority = priorityIn(t.priority);
  const type = typeIn(t.type);
  const fields: TicketFields = {};
  for (const cf of t.custom_fields ?? []) {
    // Unset: null, empty, or an unticked checkbox (Zendesk answers false for one never set).
    if (cf.value === null || cf.value === undefined || cf.value === '' || (cf.value === false && ctx.fields.fieldOf(cf.id)?.type === 'checkbox')) continue;
    fields[ctx.fields.keyOf(cf.id)] = customValueIn(ctx.fields.fieldOf(cf.id), cf.value);
  }
  for (const name of Object.keys(BUILT_IN_FIELDS)) {
    const value = (t as unknown as Record<string, unknown>)[name];
    if (present(value)) fields[name] = value;
  }
  const custom = t.custom_status_id ? ctx.customStatuses?.get(t.custom_status_id) : undefined;
  if (status.unknown) fields.status_name = status.unknown;
  else if (custom && custom.agent_label.toLowerCase() !== t.status) fields.status_name = custom.agent_label;
  if (priority.unknown) fields.priority_name = priority.unknown;
  if (type.unknown) fields.type_name = type.unknown;
  return {
    id: String(t.id),
    title: t.subject ?? '',
    body: t.description ?? '',
    status: status.status,
    priority: priority.priority,
    type: type.type,
    tags: [...(t.tags ?? [])],
    requester: userRef(ctx.users.get(t.requester_id), t.requester_id),
    assignee: t.assignee_id === null || t.assignee_id === undefined ? null : userRef(ctx.users.get(t.assignee_id), t.assignee_id),
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
    fields,
    attachments,
  };
}

const iso = (text: string) => new Date(Date.parse(text)).toISOString();

/** "Attached crash.log (2,532 bytes, sha256 ab12...)." — how the adapter notes an attachment, and how it reads its sha256 back. */
export function attachmentNote(name: string, size: number, sha256: string): string {
  return `Attached ${name} (${size} bytes, sha256 ${sha256}).`;
}

function sha256From(body: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}\\b[^\\n]*?sha256[ :]+([0-9a-f]{64})`, 'i').exec(body)?.[1]?.toLowerCase() ?? '';
}

/** The files of a comment; the sha256 is the one its note names, or empty when Zendesk's copy came some other way. */
export function attachmentsIn(ticketId: string, comment: ZdComment): Attachment[] {
  return (comment.attachments ?? []).map((a) => ({
    id: String(a.id),
    ticketId,
    name: a.file_name,
    size: a.size,
    sha256: sha256From(comment.body ?? '', a.file_name),
    contentType: a.content_type ?? 'application/octet-stream',
    createdAt: iso(comment.created_at),
  }));
}

export function commentIn(ticketId: string, c: ZdComment, users: ReadonlyMap<number, ZdUser>): Comment {
  const author = users.get(c.author_id);
  return {
    id: String(c.id),
    ticketId,
    author: userRef(author, c.author_id),
    authorRole: roleIn(author),
    body: c.body ?? '',
    public: c.public,
    createdAt: iso(c.created_at),
  };
}

/* ---- changes going out ---- */

export interface Assignee {
  assignee_id?: number | null;
  assignee_email?: string;
}

/** `fields` of a new ticket or an update -> Zendesk's properties and custom_fields. */
export function fieldsOut(fields: TicketFields, catalog: FieldCatalog, creating: boolean): {props: Record<string, unknown>; custom: ZdCustomFieldValue[]} {
  const props: Record<string, unknown> = {};
  const custom: ZdCustomFieldValue[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const builtIn = BUILT_IN_FIELDS[name];
    if (builtIn) {
      if (!builtIn.write) {
        throw new UsageError(`The field ${name} is Zendesk's own and cannot be set.`, {hint: `Leave ${name} out; ${writableList()} can be set.`});
      }
      props[name] = builtInOut(name, builtIn.write, value);
      continue;
    }
    const field = catalog.resolve(name);
    if (!field) {
      const known = catalog.keys;
      throw new UsageError(`"${name}" is not a ticket field of this Zendesk account.`, {
        hint: `${known.length ? `Its custom fields are: ${known.join(', ')}. ` : 'It has no custom ticket fields. '}Zendesk's own: ${writableList()}.`,
      });
    }
    if (creating && (value === null || value === undefined)) continue;
    custom.push({id: field.id, value: customValueOut(field, value)});
  }
  return {props, custom};
}

const writableList = () =>
  Object.entries(BUILT_IN_FIELDS)
    .filter(([, f]) => f.write)
    .map(([name]) => name)
    .join(', ');

function builtInOut(name: string, kind: 'id' | 'text' | 'date' | 'ids', value: unknown): unknown {
  if (value === null || value === undefined) return kind === 'ids' ? [] : null;
  if (kind === 'id') {
    const text = String(value).trim();
    if (!/^\d+$/.test(text)) throw new UsageError(`${name} must be a Zendesk id (digits), not "${text}".`, {hint: `Find ids in Zendesk's Admin Center, e.g. --field ${name}=360001234567.`});
    return Number(text);
  }
  if (kind === 'ids') {
    const list = Array.isArray(value) ? value : String(value).split(/[\s,]+/).filter(Boolean);
    return list.map((v) => builtInOut(name, 'id', v));
  }
  if (kind === 'date') {
    const ms = Date.parse(String(value));
    if (Number.isNaN(ms)) throw new UsageError(`${name} must be a date, not "${String(value)}".`, {hint: 'Write it as 2025-01-31T12:00:00Z.'});
    return new Date(ms).toISOString();
  }
  return String(value);
}

export function newTicketOut(input: NewTicket, catalog: FieldCatalog, defaults: {group?: string; brand?: string; form?: string}, assignee: Assignee): Record<string, unknown> {
  const {props, custom} = fieldsOut(input.fields ?? {}, catalog, true);
  const ticket: Record<string, unknown> = {
    subject: input.title,
    // Public, as a ticket's description is; sent explicitly because later comments inherit it.
    comment: {body: input.body, public: true},
  };
  if (input.priority) ticket.priority = input.priority;
  if (input.type) ticket.type = input.type;
  if (input.tags?.length) ticket.tags = input.tags;
  Object.assign(ticket, assignee);
  if (defaults.group && props.group_id === undefined) ticket.group_id = Number(defaults.group);
  if (defaults.brand && props.brand_id === undefined) ticket.brand_id = Number(defaults.brand);
  if (defaults.form && props.ticket_form_id === undefined) ticket.ticket_form_id = Number(defaults.form);
  Object.assign(ticket, props);
  if (custom.length) ticket.custom_fields = custom;
  return {ticket};
}

/** Tags after an update: Zendesk's `tags` replaces the list, so the adapter sends the whole new set. */
export function tagsAfter(current: readonly string[], changes: Pick<TicketChanges, 'addTags' | 'removeTags'>): string[] {
  const remove = new Set(changes.removeTags ?? []);
  const out = current.filter((t) => !remove.has(t));
  for (const t of changes.addTags ?? []) if (!out.includes(t) && !remove.has(t)) out.push(t);
  return out;
}

export function changesOut(changes: TicketChanges, catalog: FieldCatalog, assignee: Assignee | undefined): Record<string, unknown> {
  const ticket: Record<string, unknown> = {};
  if (changes.title !== undefined) ticket.subject = changes.title;
  if (changes.status !== undefined) ticket.status = statusOut(changes.status);
  if (changes.priority !== undefined) ticket.priority = changes.priority;
  if (changes.type !== undefined) ticket.type = changes.type;
  if (assignee) Object.assign(ticket, assignee);
  if (changes.fields && Object.keys(changes.fields).length) {
    const {props, custom} = fieldsOut(changes.fields, catalog, false);
    Object.assign(ticket, props);
    if (custom.length) ticket.custom_fields = custom;
  }
  return ticket;
}

/* ---- history ---- */

/** A ticket's audits as the toolkit's events: created, status changes, comments, other changes. */
export function eventsIn(ticketId: string, audits: readonly ZdAudit[], users: ReadonlyMap<number, ZdUser>): TicketEvent[] {
  const out: TicketEvent[] = [];
  for (const audit of audits) {
    const actorUser = users.get(audit.author_id);
    const base = {ticketId, at: iso(audit.created_at), actor: userRef(actorUser, audit.author_id), actorRole: roleIn(actorUser)};
    const created = audit.events.some((e) => e.type === 'Create');
    if (created) out.push({...base, id: `${audit.id}`, type: 'created', data: {}});
    for (const e of audit.events) {
      const id = `${audit.id}-${String(e.id ?? out.length)}`;
      if (e.type === 'Comment' && !created) {
        out.push({...base, id, type: 'comment', data: {public: e.public !== false, commentId: String(e.id ?? '')}});
      } else if (e.type === 'Change' && e.field_name === 'status') {
        out.push({...base, id, type: 'status_changed', data: {from: statusIn(String(e.previous_value)).status, to: statusIn(String(e.value)).status}});
      } else if (e.type === 'Change' && !created) {
        out.push({...base, id, type: 'updated', data: {field: e.field_name, from: e.previous_value ?? null, to: e.value ?? null}});
      }
    }
  }
  return out;
}

/* ---- knowledge base ---- */

/** Help Center HTML snippets mark matches with <em>; the toolkit's with MATCH_START/END, in plain text. */
export function snippetIn(html: string): string {
  return decodeEntities(
    html
      .replace(/<em>/gi, MATCH_START)
      .replace(/<\/em>/gi, MATCH_END)
      .replace(/<[^>]*>/g, ''),
  )
    // Control characters other than the two match marks: shown as a space, never passed on.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000\u0003-\u001f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

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

/** The title part of the slug Help Center puts in an article's URL (/hc/en-us/articles/123-Fixing-a-printer), lowercased; else from the title. */
export function articleTitleSlug(a: Pick<ZdArticle, 'id' | 'html_url' | 'title'>): string {
  const fromUrl = a.html_url ? new RegExp(`/articles/${a.id}-([^/?#]+)`).exec(a.html_url)?.[1] : undefined;
  const text = fromUrl ? decodeURIComponent(fromUrl) : a.title;
  return fieldKey(text).replace(/_/g, '-');
}

/**
 * An article's slug, as in its URL: the id, then the title ("123-fixing-a-printer"). The id keeps
 * two articles of one title apart (the offline copy keys articles by slug); `kb view` takes the
 * slug, the id, or the title part alone.
 */
export function articleSlug(a: Pick<ZdArticle, 'id' | 'html_url' | 'title'>): string {
  const title = articleTitleSlug(a);
  return title ? `${a.id}-${title}` : String(a.id);
}

export const articleLocale = (locale: string): string => kbLanguage(locale) ?? locale.toLowerCase();

export function hitIn(a: ZdArticle, rank: number, total: number): KbHit {
  return {
    id: String(a.id),
    slug: articleSlug(a),
    title: decodeEntities(a.title),
    snippet: snippetIn(a.snippet ?? ''),
    // Zendesk ranks by relevance and tells no score: the toolkit's is the rank, best highest.
    score: total - rank,
    locale: articleLocale(a.locale),
    tags: [...(a.label_names ?? [])],
    url: a.html_url ?? null,
  };
}

export function articleIn(a: ZdArticle, markdown: string): Article {
  return {
    id: String(a.id),
    slug: articleSlug(a),
    title: decodeEntities(a.title),
    body: markdown,
    tags: [...(a.label_names ?? [])],
    locale: articleLocale(a.locale),
    updatedAt: iso(a.edited_at ?? a.updated_at ?? a.created_at ?? new Date(0).toISOString()),
    ...(a.html_url ? {url: a.html_url} : {}),
  };
}
