import {UsageError} from './errors.js';
import {
  normalizeTags,
  parsePriority,
  parseStatus,
  parseType,
  validateBody,
  validateTitle,
  type NewTicket,
  type Ticket,
  type TicketChanges,
  type TicketFields,
  type TicketStatus,
} from './ticket.js';

export type BulkOperation = 'create' | 'update';
export type BulkFormat = 'jsonl' | 'csv';

/**
 * Where a bulk run sends its rows: the backend kind, where its tickets live (a base URL, the
 * local store's file) and who the run acts as there (a server's principal, the local user).
 * A journal belongs to one target: the same file against another backend is another run.
 */
export interface BulkTarget {
  backend: string;
  location: string;
  principal: string;
}

/** "rest http://127.0.0.1:8080 as migrator": how messages name a target. */
export const describeTarget = (t: BulkTarget) => `${t.backend} ${t.location || '(no location)'} as ${t.principal}`;

/** A row of a bulk create: the ticket, and a status to move it to once it exists. */
export interface CreatePlan {
  kind: 'create';
  ticket: NewTicket;
  status?: TicketStatus;
}

/** A row of a bulk update. `tags` is the complete set wanted, so it needs the ticket's current tags. */
export interface UpdatePlan {
  kind: 'update';
  id: string;
  changes: TicketChanges;
  tags?: string[];
  comment?: string;
}

export type BulkPlan = CreatePlan | UpdatePlan;

/** The columns `ticket export` writes that cannot be set: accepted and ignored, so export -> edit -> update round-trips. */
export const READ_ONLY_FIELDS = ['requester', 'createdAt', 'updatedAt', 'attachments', 'comments'] as const;
export const CREATE_FIELDS = ['title', 'body', 'priority', 'type', 'status', 'tags', 'assignee', 'fields'] as const;
export const UPDATE_FIELDS = ['id', 'title', 'body', 'priority', 'type', 'status', 'tags', 'addTags', 'removeTags', 'assignee', 'fields', 'comment'] as const;

/** A row's field values as read: strings from CSV (an empty cell is ""), JSON values from JSONL. */
export type RowValues = Record<string, unknown>;

const isCsv = (format: BulkFormat) => format === 'csv';

function text(values: RowValues, key: string, format: BulkFormat): string | undefined {
  const value = values[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && key === 'id') return String(value);
  if (typeof value !== 'string') throw new UsageError(`"${key}" must be a string.`);
  // An empty CSV cell means "not given": a spreadsheet cannot leave a column out of one row.
  if (isCsv(format) && value === '') return undefined;
  return value;
}

function tagList(values: RowValues, key: string, format: BulkFormat): string[] | undefined {
  const value = values[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return normalizeTags(value.split(/\s+/));
  if (Array.isArray(value) && value.every((t) => typeof t === 'string')) return normalizeTags(value as string[]);
  throw new UsageError(`"${key}" must be ${isCsv(format) ? 'a space-separated list' : 'an array of strings or a space-separated string'}.`);
}

function fieldsOf(values: RowValues, format: BulkFormat, forCreate: boolean): TicketFields | undefined {
  let fields: TicketFields | undefined;
  const raw = values.fields;
  if (raw !== undefined && raw !== null && raw !== '') {
    let parsed: unknown = raw;
    if (typeof raw === 'string') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new UsageError('"fields" is not a JSON object.', {hint: 'Write custom fields as JSON, e.g. {"region":"eu"}, or use fields.region columns.'});
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('"fields" must be an object.');
    fields = {...(parsed as TicketFields)};
  }
  // `fields.region` columns: a spreadsheet's way to write custom fields.
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith('fields.') || key.length === 7) continue;
    if (value === undefined || (isCsv(format) && value === '')) continue;
    fields ??= {};
    fields[key.slice(7)] = value;
  }
  // A null field means "remove" on update; a new ticket has nothing to remove.
  if (fields && forCreate) fields = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
  return fields;
}

function checkKnown(values: RowValues, known: readonly string[]): void {
  for (const key of Object.keys(values)) {
    if (known.includes(key) || (READ_ONLY_FIELDS as readonly string[]).includes(key) || (key.startsWith('fields.') && key.length > 7)) continue;
    throw new UsageError(`unknown field "${key}".`, {hint: `Known fields: ${known.join(', ')}, fields.<name>.`});
  }
}

/** Checks one create row and says what it will send. Throws UsageError naming the problem. */
export function planCreate(values: RowValues, format: BulkFormat): CreatePlan {
  if ('id' in values) {
    throw new UsageError('"id" is not allowed: bulk create makes new tickets.', {
      hint: 'Remove the id column, or change existing tickets with `support ticket bulk update`.',
    });
  }
  checkKnown(values, CREATE_FIELDS);
  const title = text(values, 'title', format);
  if (title === undefined) throw new UsageError('"title" is missing.');
  const body = text(values, 'body', format);
  if (body === undefined) throw new UsageError('"body" is missing.');
  const priority = text(values, 'priority', format);
  const type = text(values, 'type', format);
  const status = text(values, 'status', format);
  const assignee = text(values, 'assignee', format);
  const ticket: NewTicket = {title: validateTitle(title), body: validateBody(body)};
  if (priority !== undefined) ticket.priority = parsePriority(priority);
  if (type !== undefined) ticket.type = parseType(type);
  const tags = tagList(values, 'tags', format);
  if (tags?.length) ticket.tags = tags;
  if (assignee?.trim()) ticket.assignee = assignee.trim();
  const fields = fieldsOf(values, format, true);
  if (fields && Object.keys(fields).length) ticket.fields = fields;
  const plan: CreatePlan = {kind: 'create', ticket};
  if (status !== undefined) {
    const parsed = parseStatus(status);
    if (parsed !== 'new') plan.status = parsed;
  }
  return plan;
}

/** Checks one update row. Present values are the wanted state; `addTags`/`removeTags` are changes. */
export function planUpdate(values: RowValues, format: BulkFormat): UpdatePlan {
  checkKnown(values, UPDATE_FIELDS);
  const id = text(values, 'id', format)?.trim();
  if (!id) throw new UsageError('"id" is missing: an update row names the ticket it changes.');
  const changes: TicketChanges = {};
  const title = text(values, 'title', format);
  if (title !== undefined) changes.title = validateTitle(title);
  const status = text(values, 'status', format);
  if (status !== undefined) changes.status = parseStatus(status);
  const priority = text(values, 'priority', format);
  if (priority !== undefined) changes.priority = parsePriority(priority);
  const type = text(values, 'type', format);
  if (type !== undefined) changes.type = parseType(type);
  if ('assignee' in values) {
    const assignee = values.assignee;
    if (assignee !== null && typeof assignee !== 'string') throw new UsageError('"assignee" must be a string or null.');
    // Present but empty: unassigned, as `ticket export` writes an unassigned ticket.
    changes.assignee = assignee === null ? null : assignee.trim() || null;
  }
  const addTags = tagList(values, 'addTags', format);
  if (addTags?.length) changes.addTags = addTags;
  const removeTags = tagList(values, 'removeTags', format);
  if (removeTags?.length) changes.removeTags = removeTags;
  const fields = fieldsOf(values, format, false);
  if (fields && Object.keys(fields).length) changes.fields = fields;
  const plan: UpdatePlan = {kind: 'update', id, changes};
  const tags = tagList(values, 'tags', format);
  if (tags !== undefined) plan.tags = tags;
  const comment = text(values, 'comment', format);
  if (comment !== undefined) plan.comment = validateBody(comment, 'comment');
  if (!hasChanges(changes) && plan.tags === undefined && plan.comment === undefined) {
    throw new UsageError('nothing to change.', {hint: 'Give at least one of status, priority, type, title, assignee, tags, addTags, removeTags, fields, comment.'});
  }
  return plan;
}

export function hasChanges(changes: TicketChanges): boolean {
  return Object.values(changes).some(
    (v) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0),
  );
}

/**
 * The changes to send, given the ticket as it is now: absolute tags become additions and
 * removals, and values it already has are left out (an exported row nobody edited sends nothing).
 */
export function resolveUpdate(plan: UpdatePlan, current: Ticket): TicketChanges {
  const out: TicketChanges = {};
  const c = plan.changes;
  if (c.title !== undefined && c.title !== current.title) out.title = c.title;
  if (c.status !== undefined && c.status !== current.status) out.status = c.status;
  if (c.priority !== undefined && c.priority !== current.priority) out.priority = c.priority;
  if (c.type !== undefined && c.type !== current.type) out.type = c.type;
  if (c.assignee !== undefined && c.assignee !== current.assignee) out.assignee = c.assignee;
  const have = new Set(current.tags);
  const want = new Set(plan.tags ?? current.tags);
  for (const t of c.addTags ?? []) want.add(t);
  for (const t of c.removeTags ?? []) want.delete(t);
  const add = [...want].filter((t) => !have.has(t));
  const remove = [...have].filter((t) => !want.has(t));
  if (add.length) out.addTags = add;
  if (remove.length) out.removeTags = remove;
  if (c.fields) {
    const fields = Object.fromEntries(
      Object.entries(c.fields).filter(([k, v]) => (v === null ? k in current.fields : JSON.stringify(current.fields[k]) !== JSON.stringify(v))),
    );
    if (Object.keys(fields).length) out.fields = fields;
  }
  return out;
}

/** "status: open → solved; tags: +migrated -legacy" — what a row will do, for --dry-run. */
export function describeChanges(changes: TicketChanges, current?: Ticket): string {
  const parts: string[] = [];
  const arrow = (name: keyof Ticket, to: unknown) =>
    parts.push(current ? `${name}: ${String(current[name] ?? '(none)')} → ${String(to ?? '(none)')}` : `${name}: ${String(to ?? '(none)')}`);
  if (changes.title !== undefined) arrow('title', changes.title);
  if (changes.status !== undefined) arrow('status', changes.status);
  if (changes.priority !== undefined) arrow('priority', changes.priority);
  if (changes.type !== undefined) arrow('type', changes.type);
  if (changes.assignee !== undefined) arrow('assignee', changes.assignee);
  const tags = [...(changes.addTags ?? []).map((t) => `+${t}`), ...(changes.removeTags ?? []).map((t) => `-${t}`)];
  if (tags.length) parts.push(`tags: ${tags.join(' ')}`);
  for (const [k, v] of Object.entries(changes.fields ?? {})) parts.push(v === null ? `fields.${k}: removed` : `fields.${k}: ${JSON.stringify(v)}`);
  return parts.join('; ');
}
