/**
 * Jira Service Management <-> the toolkit's domain, both ways, without I/O. A request is read
 * from the platform API (an issue: summary, description as ADF, status, priority, assignee,
 * labels, custom fields) and the Service Desk API (comments, SLA, request types). What the domain
 * has no place for rides in `fields`: custom fields by a name made from their title, the request
 * type, the workflow status's own name, the numeric issue id; writable ones go back on update.
 */
import {MATCH_END, MATCH_START, type KbHit} from '../../domain/article.js';
import {UsageError} from '../../domain/errors.js';
import type {Attachment, Comment, Role, Ticket, TicketFields, TicketPriority, TicketStatus, TicketType} from '../../domain/ticket.js';

/* ---- the wire ---- */

export interface JiraUser {
  accountId?: string;
  accountType?: string;
  emailAddress?: string | null;
  displayName?: string;
  active?: boolean;
  timeZone?: string;
}

export interface JiraStatus {
  name: string;
  id?: string;
  statusCategory?: {key?: string; name?: string; id?: number};
}

export interface JiraAttachment {
  id: string;
  filename: string;
  size: number;
  mimeType?: string;
  created?: string;
  author?: JiraUser;
}

export interface JiraIssue {
  id: string;
  key: string;
  fields: Record<string, unknown> & {
    summary?: string | null;
    description?: unknown;
    status?: JiraStatus;
    priority?: {id?: string; name?: string} | null;
    assignee?: JiraUser | null;
    reporter?: JiraUser | null;
    labels?: string[];
    created?: string;
    updated?: string;
    attachment?: JiraAttachment[];
  };
}

export interface JiraField {
  id: string;
  key?: string;
  name: string;
  custom?: boolean;
  schema?: {type?: string; items?: string; custom?: string; system?: string; customId?: number};
}

export interface JiraTransition {
  id: string;
  name?: string;
  to?: JiraStatus;
}

export interface SdDate {
  iso8601?: string;
  epochMillis?: number;
  jira?: string;
}

export interface SdComment {
  id: string;
  body?: string;
  public?: boolean;
  author?: JiraUser;
  created?: SdDate;
}

export interface SdRequestType {
  id: string;
  name: string;
  issueTypeId?: string;
  serviceDeskId?: string;
}

export interface SdServiceDesk {
  id: string;
  projectId?: string;
  projectKey: string;
  projectName?: string;
}

export interface SdPage<T> {
  size?: number;
  start?: number;
  limit?: number;
  isLastPage?: boolean;
  values: T[];
}

/** The Request Type custom field's value on an issue (schema custom com.atlassian.servicedesk:vp-origin). */
export interface RequestTypeValue {
  requestType?: {id?: string; name?: string; serviceDeskId?: string};
}

/** The custom field type of the "Request Type" field; it names the request's type, and is set like any field. */
export const REQUEST_TYPE_FIELD = 'com.atlassian.servicedesk:vp-origin';

/* ---- dates ---- */

/** Jira writes offsets without a colon (2025-03-01T10:00:00.000+0000); the result is ISO UTC. */
export function jiraDate(text: string | undefined | null): string {
  if (!text) return new Date(0).toISOString();
  const ms = Date.parse(text.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return new Date(Number.isNaN(ms) ? 0 : ms).toISOString();
}

export function sdDate(d: SdDate | undefined): string {
  if (d?.epochMillis !== undefined) return new Date(d.epochMillis).toISOString();
  return jiraDate(d?.iso8601 ?? d?.jira);
}

/* ---- statuses, priorities ---- */

/**
 * A workflow status as the toolkit's: by its category (to do is new, in progress is open, done is
 * solved), with the statuses JSM's own workflows name told apart: "Waiting for customer" is
 * pending, "Pending" (on a third party) and statuses named "hold" are on hold, "Closed",
 * "Canceled" and "Declined" are closed. The status's own name is kept in `fields.status_name`.
 */
export function statusIn(status: JiraStatus | undefined): TicketStatus {
  const name = (status?.name ?? '').toLowerCase();
  const category = (status?.statusCategory?.key ?? '').toLowerCase();
  if (category === 'done') return /\b(closed|cancell?ed|declined|rejected|won't do)\b/.test(name) ? 'closed' : 'solved';
  if (category === 'new') return 'new';
  if (/waiting for customer|awaiting customer|waiting for reporter/.test(name)) return 'pending';
  if (/\bpending\b|\bhold\b/.test(name)) return 'on_hold';
  return 'open';
}

const PRIORITY_IN: Record<string, TicketPriority> = {highest: 'urgent', high: 'high', medium: 'normal', low: 'low', lowest: 'low'};
const PRIORITY_OUT: Record<TicketPriority, string> = {urgent: 'Highest', high: 'High', normal: 'Medium', low: 'Low'};

/** Jira's default priority scheme: Highest urgent, High high, Medium normal, Low and Lowest low; any other name is kept. */
export function priorityIn(name: string | undefined | null): {priority: TicketPriority; name?: string} {
  if (!name) return {priority: 'normal'};
  const known = PRIORITY_IN[name.toLowerCase()];
  if (!known) return {priority: 'normal', name};
  return PRIORITY_OUT[known] === name ? {priority: known} : {priority: known, name};
}

export const priorityOut = (priority: TicketPriority): string => PRIORITY_OUT[priority];

/** The priority names of a toolkit priority, for JQL: low is Low and Lowest. */
export const priorityNames = (priority: TicketPriority): string[] => Object.entries(PRIORITY_IN).filter(([, p]) => p === priority).map(([n]) => n[0]!.toUpperCase() + n.slice(1));

/* ---- users ---- */

/** How tickets name a Jira user: the email when the user's privacy settings show it, else the display name. */
export function userRef(user: JiraUser | null | undefined): string {
  if (!user) return '';
  return user.emailAddress || user.displayName || user.accountId || '';
}

/** Portal-only customers have account ids that start with qm:; anyone else writing on a request is taken for an agent. */
export const roleOf = (user: JiraUser | undefined): Role => (user?.accountType === 'customer' || user?.accountId?.startsWith('qm:') ? 'customer' : 'agent');

/* ---- Atlassian Document Format ---- */

interface AdfNode {
  type?: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
}

const ADF_BLOCKS = new Set(['paragraph', 'heading', 'blockquote', 'codeBlock', 'listItem', 'panel', 'rule', 'tableRow', 'mediaSingle']);

/** The text of an ADF document (description in the v3 platform API): blocks on their own lines, hard breaks kept. */
export function adfToText(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  if (!doc || typeof doc !== 'object') return '';
  const lines: string[] = [];
  let current = '';
  const walk = (node: AdfNode) => {
    if (node.type === 'text') current += node.text ?? '';
    else if (node.type === 'hardBreak') current += '\n';
    else if (node.type === 'mention' || node.type === 'emoji') current += String(node.attrs?.text ?? '');
    for (const child of node.content ?? []) walk(child);
    if (node.type && ADF_BLOCKS.has(node.type) && node.type !== 'listItem') {
      lines.push(current);
      current = '';
    }
  };
  walk(doc as AdfNode);
  if (current) lines.push(current);
  return lines.join('\n');
}

/** Plain text as an ADF document: one paragraph per line, empty lines kept as empty paragraphs. */
export function textToAdf(text: string): Record<string, unknown> {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => (line ? {type: 'paragraph', content: [{type: 'text', text: line}]} : {type: 'paragraph', content: []})),
  };
}

/* ---- fields ---- */

/** JSM's own values in `fields`; `write` says whether an update may change them. */
export const BUILT_IN_FIELDS: Record<string, {write: boolean}> = {
  request_type: {write: true},
  status_name: {write: false},
  priority_name: {write: false},
  issue_id: {write: false},
  service_desk_id: {write: false},
};

/** "Legacy ID" -> legacy_id: a name that needs no quoting in `--field legacy_id=...`. */
export function fieldKey(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The site's custom fields, by id and by the names `fields` uses; and the Request Type field. */
export class FieldCatalog {
  private readonly byId = new Map<string, {field: JiraField; key: string}>();
  private readonly byKey = new Map<string, {field: JiraField; key: string}>();
  readonly requestTypeField?: string;

  constructor(fields: readonly JiraField[]) {
    this.requestTypeField = fields.find((f) => f.schema?.custom === REQUEST_TYPE_FIELD)?.id;
    const custom = fields.filter((f) => f.custom && f.id.startsWith('customfield_') && f.schema?.custom !== REQUEST_TYPE_FIELD);
    const counts = new Map<string, number>();
    for (const f of custom) counts.set(fieldKey(f.name), (counts.get(fieldKey(f.name)) ?? 0) + 1);
    for (const f of custom) {
      const base = fieldKey(f.name);
      const number = f.id.slice('customfield_'.length);
      // A name that slugs like another field, or like a built-in, keeps its number in the key.
      const key = counts.get(base)! > 1 || base in BUILT_IN_FIELDS || !base ? `${base || 'field'}_${number}` : base;
      const entry = {field: f, key};
      this.byId.set(f.id, entry);
      this.byKey.set(key, entry);
    }
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get keys(): string[] {
    return [...this.byKey.keys()];
  }

  keyOf(id: string): string {
    return this.byId.get(id)?.key ?? id;
  }

  fieldOf(id: string): JiraField | undefined {
    return this.byId.get(id)?.field;
  }

  /** A field named by its key, its name (any case) or its id (customfield_10050). */
  resolve(name: string): JiraField | undefined {
    const trimmed = name.trim();
    return this.byId.get(trimmed)?.field ?? this.byKey.get(trimmed)?.field ?? this.byKey.get(fieldKey(trimmed))?.field;
  }
}

/** A custom field's value as Jira sends it -> as the toolkit shows it: options by their value, users by email. */
export function customValueIn(field: JiraField | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const type = field?.schema?.type;
  const option = (v: unknown) => (v && typeof v === 'object' && 'value' in v ? (v as {value: unknown}).value : v);
  if (type === 'option') return option(value);
  if (type === 'user') return userRef(value as JiraUser);
  if (type === 'array' && Array.isArray(value)) return value.map((v) => (field?.schema?.items === 'user' ? userRef(v as JiraUser) : option(v)));
  return value;
}

/** A value given on the command line (text there) -> what the field takes. */
export function customValueOut(field: JiraField, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return null;
  const type = field.schema?.type;
  if (type === 'number') {
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(n)) throw new UsageError(`The field ${field.name} takes a number, not "${String(value)}".`, {hint: `For example: --field "${field.name}=5".`});
    return n;
  }
  if (type === 'option') return {value: String(value)};
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',').map((v) => v.trim()).filter(Boolean);
  if (type === 'array' && field.schema?.items === 'option') return list.map((v) => ({value: v}));
  if (type === 'array') return list;
  return value;
}

/* ---- requests ---- */

export interface MapContext {
  fields: FieldCatalog;
  /** The request types of the desk, by id, for their names. */
  requestTypes: ReadonlyMap<string, SdRequestType>;
  /** The toolkit type a request type stands for (the profile's type-map), by request type id. */
  typeOf: (requestType: {id?: string; name?: string} | undefined) => TicketType;
}

const present = (v: unknown) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);

/** The platform fields a request is read with. */
export function issueFields(catalog: FieldCatalog): string[] {
  return ['summary', 'description', 'status', 'priority', 'assignee', 'reporter', 'labels', 'created', 'updated', 'attachment', ...(catalog.requestTypeField ? [catalog.requestTypeField] : []), ...catalog.ids];
}

export function ticketIn(issue: JiraIssue, ctx: MapContext, attachments: Attachment[] = []): Ticket {
  const f = issue.fields;
  const priority = priorityIn(f.priority?.name);
  const fields: TicketFields = {};
  for (const id of ctx.fields.ids) {
    const value = customValueIn(ctx.fields.fieldOf(id), f[id]);
    if (present(value)) fields[ctx.fields.keyOf(id)] = value;
  }
  const rt = ctx.fields.requestTypeField ? (f[ctx.fields.requestTypeField] as RequestTypeValue | null | undefined)?.requestType : undefined;
  const requestTypeName = rt?.name ?? (rt?.id ? ctx.requestTypes.get(rt.id)?.name : undefined);
  if (requestTypeName) fields.request_type = requestTypeName;
  if (f.status?.name) fields.status_name = f.status.name;
  if (priority.name) fields.priority_name = priority.name;
  fields.issue_id = issue.id;
  if (rt?.serviceDeskId) fields.service_desk_id = rt.serviceDeskId;
  return {
    id: issue.key,
    title: f.summary ?? '',
    body: adfToText(f.description),
    status: statusIn(f.status),
    priority: priority.priority,
    type: ctx.typeOf(rt ? {id: rt.id, name: requestTypeName} : undefined),
    tags: [...(f.labels ?? [])],
    requester: userRef(f.reporter),
    requesterId: f.reporter?.accountId ?? null,
    assignee: f.assignee ? userRef(f.assignee) : null,
    assigneeId: f.assignee?.accountId ?? null,
    createdAt: jiraDate(f.created),
    updatedAt: jiraDate(f.updated),
    fields,
    attachments,
  };
}

/** "Attached crash.log (2532 bytes, sha256 ab12...)." — the internal comment an attachment goes with; where its sha256 is read back. */
export function attachmentNote(name: string, size: number, sha256: string): string {
  return `Attached ${name} (${size} bytes, sha256 ${sha256}).`;
}

function sha256From(comments: readonly SdComment[], name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${escaped}\\b[^\\n]*?sha256[ :]+([0-9a-f]{64})`, 'i');
  for (const c of comments) {
    const m = pattern.exec(c.body ?? '');
    if (m) return m[1]!.toLowerCase();
  }
  return '';
}

/** A request's files, oldest first; the sha256 is the one its note names, or empty when the file came some other way. */
export function attachmentsIn(issue: JiraIssue, comments: readonly SdComment[]): Attachment[] {
  return [...(issue.fields.attachment ?? [])]
    .sort((a, b) => Date.parse(jiraDate(a.created)) - Date.parse(jiraDate(b.created)) || Number(a.id) - Number(b.id))
    .map((a) => ({
      id: String(a.id),
      ticketId: issue.key,
      name: a.filename,
      size: a.size,
      sha256: sha256From(comments, a.filename),
      contentType: a.mimeType ?? 'application/octet-stream',
      createdAt: jiraDate(a.created),
    }));
}

export function commentIn(ticketId: string, c: SdComment): Comment {
  return {
    id: String(c.id),
    ticketId,
    author: userRef(c.author),
    authorId: c.author?.accountId ?? null,
    authorRole: roleOf(c.author),
    body: c.body ?? '',
    public: c.public !== false,
    createdAt: sdDate(c.created),
  };
}

/* ---- knowledge base ---- */

export interface SdArticle {
  title?: string;
  excerpt?: string;
  source?: {type?: string; pageId?: string; spaceKey?: string};
  content?: {iframeSrc?: string};
}

/** JSM's highlight marks (@@@hl@@@term@@@endhl@@@) as the toolkit's; tags and control characters dropped. */
export function highlightIn(text: string): string {
  return decodeEntities(text.replace(/@@@hl@@@/g, MATCH_START).replace(/@@@endhl@@@/g, MATCH_END).replace(/<[^>]*>/g, ''))
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

/** JSM's articles (Confluence pages) carry no language: their locale is "und", BCP 47's "undetermined". */
export const ARTICLE_LOCALE = 'und';

export function hitIn(a: SdArticle, rank: number, total: number, slug: string, url: string | null): KbHit {
  return {
    id: String(a.source?.pageId ?? ''),
    slug,
    title: highlightIn(a.title ?? '').replaceAll(MATCH_START, '').replaceAll(MATCH_END, ''),
    snippet: highlightIn(a.excerpt ?? ''),
    // JSM ranks by relevance and tells no score: the toolkit's is the rank, best highest.
    score: total - rank,
    locale: ARTICLE_LOCALE,
    tags: [],
    url,
  };
}
