/**
 * GitHub Issues <-> the toolkit's domain, both ways, without I/O. An issue is a ticket; its
 * labels are tags, except the labels a convention gives a meaning (priority, type, the open
 * statuses GitHub lacks), which the profile's `--option`s name. What the domain has no place for
 * (the web address, why it was closed, the milestone, further assignees) rides in `fields`.
 */
import {UsageError} from '../../domain/errors.js';
import type {Comment, NewTicket, Role, Ticket, TicketChanges, TicketFields, TicketPriority, TicketStatus, TicketType} from '../../domain/ticket.js';
import {TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES} from '../../domain/ticket.js';

/* ---- the wire ---- */

export interface GhUser {
  login: string;
  id: number;
  type?: string;
  name?: string | null;
}

export type GhLabel = string | {name?: string; id?: number};

export interface GhIssue {
  id: number;
  number: number;
  title: string;
  body?: string | null;
  state: string;
  state_reason?: string | null;
  user: GhUser | null;
  labels: GhLabel[];
  assignee?: GhUser | null;
  assignees?: GhUser[] | null;
  milestone?: {number: number; title: string} | null;
  comments?: number;
  locked?: boolean;
  html_url: string;
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  author_association?: string;
  pull_request?: unknown;
  type?: {name?: string} | null;
}

export interface GhComment {
  id: number;
  body?: string;
  user: GhUser | null;
  created_at: string;
  updated_at?: string;
  html_url?: string;
  author_association?: string;
}

/* ---- label conventions ---- */

export interface Conventions {
  priority: Partial<Record<TicketPriority, string>>;
  type: Partial<Record<TicketType, string>>;
  /** Open statuses GitHub lacks; `open` marks an open issue that would otherwise read as new. */
  status: Partial<Record<'open' | 'pending' | 'on_hold', string>>;
}

export const DEFAULT_CONVENTIONS: Conventions = {
  priority: {low: 'priority: low', high: 'priority: high', urgent: 'priority: urgent'},
  type: {incident: 'type: incident', problem: 'type: problem', task: 'type: task'},
  status: {open: 'status: open', pending: 'status: pending', on_hold: 'status: on hold'},
};

const LABEL_STATUSES = ['open', 'pending', 'on_hold'] as const;

/**
 * `high=P1,urgent=P0`: which label stands for which value. Given, it replaces the default
 * mapping of that option whole; a value left out has no label (and is never read from one).
 */
function parsePairs<K extends string>(option: string, text: string, allowed: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = part.slice(0, Math.max(0, eq)).trim() as K;
    const label = part.slice(eq + 1).trim();
    if (eq < 1 || !allowed.includes(key) || !label) {
      throw new UsageError(`The option ${option} has "${part.trim()}", which is not value=label with a value of ${allowed.join(', ')}.`, {
        hint: `Write it as --option "${option}=${allowed[allowed.length - 1]}=LABEL,...".`,
      });
    }
    if (seen.has(label.toLowerCase())) throw new UsageError(`The option ${option} gives the label "${label}" twice.`, {hint: 'Give each value its own label.'});
    seen.add(label.toLowerCase());
    out[key] = label;
  }
  return out;
}

export function conventionsFrom(settings: Readonly<Record<string, string>>): Conventions {
  const c: Conventions = {
    priority: settings['priority-labels'] === undefined ? DEFAULT_CONVENTIONS.priority : parsePairs('priority-labels', settings['priority-labels'], TICKET_PRIORITIES),
    type: settings['type-labels'] === undefined ? DEFAULT_CONVENTIONS.type : parsePairs('type-labels', settings['type-labels'], TICKET_TYPES),
    status: settings['status-labels'] === undefined ? DEFAULT_CONVENTIONS.status : parsePairs('status-labels', settings['status-labels'], LABEL_STATUSES),
  };
  const all = [...Object.values(c.priority), ...Object.values(c.type), ...Object.values(c.status)].map((l) => l!.toLowerCase());
  const twice = all.find((l, i) => all.indexOf(l) !== i);
  if (twice) throw new UsageError(`The label "${twice}" stands for two things in the label options of this profile.`, {hint: 'Give priorities, types and statuses labels of their own.'});
  return c;
}

/** Label names compare as GitHub compares them: without regard to case. */
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export const labelName = (l: GhLabel): string => (typeof l === 'string' ? l : (l.name ?? ''));

/** Every label the conventions give a meaning, lowercased: what is not a tag. */
function conventionLabels(c: Conventions): Set<string> {
  return new Set([...Object.values(c.priority), ...Object.values(c.type), ...Object.values(c.status)].map((l) => l!.toLowerCase()));
}

function findValue<K extends string>(labels: readonly string[], mapping: Partial<Record<K, string>>, order: readonly K[]): K | undefined {
  // Several labels of one kind (priority: low and priority: urgent): the one that matters most, the last in order.
  for (const key of [...order].reverse()) {
    const label = mapping[key];
    if (label && labels.some((l) => same(l, label))) return key;
  }
  return undefined;
}

/* ---- statuses ---- */

/**
 * GitHub has open and closed, and why an issue was closed:
 * - closed as completed: solved; closed as not planned or as a duplicate: closed;
 * - open with the pending or on-hold label: pending, on_hold;
 * - open with the open label, or reopened, or assigned to someone: open;
 * - any other open issue (never triaged): new.
 */
export function statusIn(issue: Pick<GhIssue, 'state' | 'state_reason' | 'labels' | 'assignees' | 'assignee'>, c: Conventions): TicketStatus {
  if (issue.state === 'closed') return issue.state_reason === 'not_planned' || issue.state_reason === 'duplicate' ? 'closed' : 'solved';
  const labels = issue.labels.map(labelName);
  const marked = findValue(labels, c.status, ['open', 'on_hold', 'pending'] as const);
  if (marked === 'pending' || marked === 'on_hold') return marked;
  if (marked === 'open' || issue.state_reason === 'reopened' || assigneesOf(issue).length) return 'open';
  return 'new';
}

const assigneesOf = (issue: Pick<GhIssue, 'assignees' | 'assignee'>): GhUser[] => issue.assignees ?? (issue.assignee ? [issue.assignee] : []);

/* ---- users ---- */

/** Owners, members and collaborators of the repository answer as agents; everyone else is a customer. */
export function roleOf(association: string | undefined): Role {
  return association === 'OWNER' || association === 'MEMBER' || association === 'COLLABORATOR' ? 'agent' : 'customer';
}

/* ---- the idempotency marker ---- */

/**
 * GitHub takes no idempotency key. A create that carries one puts it in the body as an HTML
 * comment (invisible on GitHub's pages), with a digest of what was asked for, so that a repeat
 * can find the issue it made; reading strips it again.
 */
const MARKER = /\n*<!-- supportkit:idempotency-key=([A-Za-z0-9_.:-]{1,200}) digest=([0-9a-f]{16}) -->\s*$/;

export function withMarker(body: string, key: string, digest: string): string {
  return `${body}\n\n<!-- supportkit:idempotency-key=${key} digest=${digest} -->`;
}

export function markerOf(body: string | null | undefined): {key: string; digest: string} | undefined {
  const m = MARKER.exec(body ?? '');
  return m ? {key: m[1]!, digest: m[2]!} : undefined;
}

const withoutMarker = (body: string | null | undefined) => (body ?? '').replace(MARKER, '');

/* ---- issues ---- */

/** Vendor data in `fields`, and whether `ticket update --field` may set it. */
export const ISSUE_FIELDS: Record<string, {write: boolean}> = {
  milestone: {write: true},
  url: {write: false},
  state_reason: {write: false},
  closed_at: {write: false},
  assignees: {write: false},
  locked: {write: false},
  issue_type: {write: false},
  comments: {write: false},
};

export function ticketIn(issue: GhIssue, c: Conventions): Ticket {
  const labels = issue.labels.map(labelName).filter(Boolean);
  const meaningful = conventionLabels(c);
  const assignees = assigneesOf(issue);
  const fields: TicketFields = {url: issue.html_url};
  if (issue.state === 'closed' && issue.state_reason) fields.state_reason = issue.state_reason;
  if (issue.closed_at) fields.closed_at = iso(issue.closed_at);
  if (issue.milestone) fields.milestone = issue.milestone.number;
  if (assignees.length > 1) fields.assignees = assignees.map((a) => a.login);
  if (issue.locked) fields.locked = true;
  if (issue.type?.name) fields.issue_type = issue.type.name;
  if (issue.comments !== undefined) fields.comments = issue.comments;
  return {
    id: String(issue.number),
    title: issue.title,
    body: withoutMarker(issue.body),
    status: statusIn(issue, c),
    priority: findValue(labels, c.priority, TICKET_PRIORITIES) ?? 'normal',
    type: findValue(labels, c.type, TICKET_TYPES) ?? 'question',
    tags: labels.filter((l) => !meaningful.has(l.toLowerCase())),
    requester: issue.user?.login ?? 'ghost',
    requesterId: issue.user ? String(issue.user.id) : null,
    assignee: assignees[0]?.login ?? null,
    assigneeId: assignees[0] ? String(assignees[0].id) : null,
    createdAt: iso(issue.created_at),
    updatedAt: iso(issue.updated_at),
    fields,
    attachments: [],
  };
}

export function commentIn(ticketId: string, c: GhComment): Comment {
  return {
    id: String(c.id),
    ticketId,
    author: c.user?.login ?? 'ghost',
    authorId: c.user ? String(c.user.id) : null,
    authorRole: roleOf(c.author_association),
    body: c.body ?? '',
    public: true,
    createdAt: iso(c.created_at),
  };
}

const iso = (text: string) => new Date(Date.parse(text)).toISOString();

/* ---- changes going out ---- */

function milestoneOut(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`milestone must be a milestone number, not "${text}".`, {hint: 'Give the number from the milestone\'s address, e.g. --field milestone=3.'});
  return Number(text);
}

/** `fields` going to GitHub: only the milestone can be set; the rest is GitHub's own. */
export function fieldsOut(fields: TicketFields | undefined): {milestone?: number | null} {
  const out: {milestone?: number | null} = {};
  for (const [name, value] of Object.entries(fields ?? {})) {
    const known = ISSUE_FIELDS[name];
    if (!known) {
      throw new UsageError(`GitHub issues have no field "${name}".`, {hint: 'GitHub has no custom fields; the milestone can be set (--field milestone=3), and labels are tags.'});
    }
    if (!known.write) throw new UsageError(`The field ${name} is GitHub's own and cannot be set.`, {hint: 'Leave it out; only milestone can be set.'});
    out.milestone = milestoneOut(value);
  }
  return out;
}

/** The labels of a new issue: its tags, and the labels of its priority and type. */
export function labelsOfNew(input: Pick<NewTicket, 'tags' | 'priority' | 'type'>, c: Conventions): string[] {
  const out: string[] = [];
  const add = (label: string | undefined) => {
    if (label && !out.some((l) => same(l, label))) out.push(label);
  };
  for (const t of input.tags ?? []) add(t);
  if (input.priority) add(c.priority[input.priority]);
  if (input.type) add(c.type[input.type]);
  return out;
}

/** What the PATCH of an update carries: state, labels and the rest, worked out from the issue as it is. */
export interface IssuePatch {
  title?: string;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned';
  labels?: string[];
  assignees?: string[];
  milestone?: number | null;
}

/** Whether a change needs the issue's current labels to be worked out. */
export function needsCurrent(changes: TicketChanges): boolean {
  return Boolean(changes.status !== undefined || changes.priority !== undefined || changes.type !== undefined || changes.addTags?.length || changes.removeTags?.length);
}

/**
 * The PATCH for `changes` to `current` (undefined when the change needs no labels worked out).
 * Labels replace the set on GitHub, so the whole new set is sent, computed from the current one.
 * Returns the status the issue would read as, for the caller to check that GitHub can show it.
 */
export function patchFor(changes: TicketChanges, current: GhIssue | undefined, c: Conventions, assignees: string[] | undefined): {patch: IssuePatch; expect?: TicketStatus} {
  const patch: IssuePatch = {};
  if (changes.title !== undefined) patch.title = changes.title;
  if (assignees !== undefined) patch.assignees = assignees;
  Object.assign(patch, fieldsOut(changes.fields));
  if (!current) return {patch};
  let labels = current.labels.map(labelName).filter(Boolean);
  const drop = (values: readonly (string | undefined)[]) => {
    labels = labels.filter((l) => !values.some((v) => v && same(v, l)));
  };
  const add = (label: string | undefined) => {
    if (label && !labels.some((l) => same(l, label))) labels.push(label);
  };
  const before = [...labels];
  if (changes.removeTags?.length) drop(changes.removeTags);
  for (const t of changes.addTags ?? []) if (!changes.removeTags?.includes(t)) add(t);
  if (changes.priority !== undefined) {
    drop(Object.values(c.priority));
    add(c.priority[changes.priority]);
  }
  if (changes.type !== undefined) {
    drop(Object.values(c.type));
    add(c.type[changes.type]);
  }
  let expect: TicketStatus | undefined;
  if (changes.status !== undefined) {
    const status = changes.status;
    expect = status;
    drop(Object.values(c.status));
    if (status === 'solved' || status === 'closed') {
      if (current.state !== 'closed' || statusIn(current, c) !== status) {
        patch.state = 'closed';
        patch.state_reason = status === 'solved' ? 'completed' : 'not_planned';
      }
    } else {
      const reopening = current.state === 'closed';
      if (reopening) patch.state = 'open';
      if (status === 'pending' || status === 'on_hold') add(c.status[status]);
      if (status === 'open') {
        const assigned = (assignees ?? assigneesOf(current).map((a) => a.login)).length > 0;
        // Only where it would otherwise read as new: an unassigned issue never closed.
        if (!assigned && !reopening && current.state_reason !== 'reopened') add(c.status.open);
      }
    }
  }
  if (labels.length !== before.length || labels.some((l, i) => l !== before[i])) patch.labels = labels;
  return {patch, expect};
}

/** The sentence of a status GitHub cannot show for this issue, or undefined when it can. */
export function unshowable(expect: TicketStatus | undefined, after: Ticket, c: Conventions): string | undefined {
  if (!expect || after.status === expect) return undefined;
  if (expect === 'new') return `GitHub shows an issue as new only while it is open, unassigned and never reopened, and issue ${after.id} is ${after.status === 'open' ? 'assigned or was reopened' : after.status}.`;
  if ((expect === 'pending' || expect === 'on_hold' || expect === 'open') && !c.status[expect]) {
    return `No label stands for ${expect} in this profile (--option status-labels), so issue ${after.id} reads as ${after.status}.`;
  }
  return undefined;
}

export const STATUSES_KNOWN = TICKET_STATUSES;
