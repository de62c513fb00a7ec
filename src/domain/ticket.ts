import {RejectedError, UsageError} from './errors.js';


export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const TICKET_TYPES = ['question', 'incident', 'problem', 'task'] as const;
export const ROLES = ['customer', 'agent'] as const;

export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export type TicketType = (typeof TICKET_TYPES)[number];
export type Role = (typeof ROLES)[number];

/** Custom fields: whatever a helpdesk carries beyond the common model, kept as it came. */
export type TicketFields = Record<string, unknown>;

export interface Attachment {
  id: string;
  ticketId: string;
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  createdAt: string;
}

export interface Comment {
  id: string;
  ticketId: string;
  author: string;
  /** The author's stable id, where the backend has one; null when it has none for this comment. */
  authorId?: string | null;
  authorRole: Role;
  body: string;
  public: boolean;
  createdAt: string;
}

export type TicketEventType = 'created' | 'status_changed' | 'comment' | 'updated' | 'attachment';

/** One entry of a ticket's history; the SLA engine reads these. */
export interface TicketEvent {
  id: string;
  ticketId: string;
  type: TicketEventType;
  at: string;
  actor: string;
  actorId?: string | null;
  actorRole: Role;
  data: Record<string, unknown>;
}

export interface Ticket {
  id: string;
  title: string;
  body: string;
  status: TicketStatus;
  priority: TicketPriority;
  type: TicketType;
  tags: string[];
  /** Display name; `requesterId` is who the ticket belongs to, where the backend has stable ids. */
  requester: string;
  requesterId?: string | null;
  assignee: string | null;
  assigneeId?: string | null;
  createdAt: string;
  updatedAt: string;
  fields: TicketFields;
  attachments: Attachment[];
  /** The ticket's id in the system it came from (a migration), unique where the backend keeps one. */
  externalId?: string | null;
  /** The backend's revision of the ticket, one more on every change, where it keeps one: what a conditional update names. */
  version?: number;
}

export interface TicketWithComments extends Ticket {
  comments: Comment[];
}

export interface NewTicket {
  title: string;
  body: string;
  priority?: TicketPriority;
  type?: TicketType;
  tags?: string[];
  assignee?: string | null;
  fields?: TicketFields;
  /** The ticket's id in the system it came from; unique on backends that keep it (capability 'external-id'). */
  externalId?: string;
}

export interface TicketChanges {
  title?: string;
  status?: TicketStatus;
  priority?: TicketPriority;
  type?: TicketType;
  assignee?: string | null;
  addTags?: string[];
  removeTags?: string[];
  /** A key set to `null` removes that field. */
  fields?: TicketFields;
}

export interface NewComment {
  body: string;
  public?: boolean;
}

export interface TicketQuery {
  status?: TicketStatus[];
  priority?: TicketPriority[];
  tags?: string[];
  assignee?: string;
  requester?: string;
  search?: string;
  /** Only the ticket with this external id (capability 'external-id'). */
  externalId?: string;
  /** Only tickets changed at or after this instant, ISO 8601 (capability 'updated-since'). */
  updatedSince?: string;
  /** The order, by creation or last change, `-` for descending: `-createdAt` (newest first) by default; `updatedAt` is oldest change first, for incremental exports. */
  sort?: TicketSort;
  limit?: number;
  cursor?: string;
}

export const TICKET_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

export interface TicketPage {
  tickets: Ticket[];
  nextCursor: string | null;
}

/** Bodies beyond this belong in an attachment: helpdesks cap comment size well below it. */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_TITLE_LENGTH = 255;
export const DEFAULT_LIST_LIMIT = 30;
export const MAX_LIST_LIMIT = 1000;

function oneOf<T extends string>(allowed: readonly T[], what: string, value: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`"${value}" is not a valid ${what}.`, {hint: `Use one of: ${allowed.join(', ')}.`});
}

export const parseStatus = (value: string): TicketStatus => oneOf(TICKET_STATUSES, 'status', value);
export const parsePriority = (value: string): TicketPriority => oneOf(TICKET_PRIORITIES, 'priority', value);
export const parseType = (value: string): TicketType => oneOf(TICKET_TYPES, 'type', value);

export function validateTitle(title: string): string {
  const trimmed = title.trim();
  if (!trimmed) throw new UsageError('The title is empty.', {hint: 'Give a short summary with --title "...".'});
  if (trimmed.length > MAX_TITLE_LENGTH) {
    throw new UsageError(`The title is ${trimmed.length} characters long; the limit is ${MAX_TITLE_LENGTH}.`, {
      hint: 'Keep the title to one line and put the details in the body.',
    });
  }
  return trimmed;
}

export function validateBody(body: string, what = 'body'): string {
  if (!body.trim()) throw new UsageError(`The ${what} is empty.`, {hint: 'Write it with --body "...", or --body-file FILE (- for stdin).'});
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new UsageError(`The ${what} is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_BODY_BYTES)}.`, {
      hint: 'Attach long logs or output as a file with --attach FILE instead.',
    });
  }
  return body;
}

/** Tags are lowercase words without spaces, as Zendesk stores them. */
export function normalizeTags(tags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (!tag) continue;
    if (/\s/.test(tag)) throw new UsageError(`The tag "${raw}" contains white space.`, {hint: 'Use hyphens or underscores: --tag login-error.'});
    out.add(tag);
  }
  return [...out];
}

/** Parses `key=value` pairs of `--field`; an empty value removes the field on update. */
export function parseFieldAssignments(pairs: readonly string[]): TicketFields {
  const fields: TicketFields = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    if (!key) throw new UsageError(`"${pair}" is not a key=value pair.`, {hint: 'Write custom fields as --field key=value.'});
    const value = pair.slice(eq + 1);
    fields[key] = value === '' ? null : value;
  }
  return fields;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Statuses that count as open work: everything before solved. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

/** Closed is final, as in Zendesk: a closed ticket takes a follow-up, not a reopen. */
export function assertStatusChange(id: string, from: TicketStatus, to: TicketStatus): void {
  if (from === 'closed' && to !== 'closed') {
    throw new RejectedError(`Ticket ${id} is closed, and a closed ticket cannot change status.`, {
      hint: `Create a follow-up ticket instead: support ticket create --title "..." --body "Follow-up to #${id}".`,
    });
  }
}
