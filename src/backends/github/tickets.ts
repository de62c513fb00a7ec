import {createHash} from 'node:crypto';

import {NotFoundError, RejectedError, UnavailableError, UsageError} from '../../domain/errors.js';
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
import type {HttpResponse} from '../../http/client.js';
import type {AttachmentSource, Backend, CallOptions, CreateOptions, TicketApi} from '../backend.js';
import {unsupported} from '../capabilities.js';
import type {GithubApi} from './api.js';
import {issueNumber} from './errors.js';
import {
  commentIn,
  fieldsOut,
  labelName,
  labelsOfNew,
  markerOf,
  needsCurrent,
  patchFor,
  statusIn,
  ticketIn,
  unshowable,
  withMarker,
  type Conventions,
  type GhComment,
  type GhIssue,
} from './map.js';

/** GitHub's largest page. */
const PAGE = 100;
/** Search answers at most 1,000 results a query: ten pages of 100. */
const SEARCH_MAX_PAGE = 10;
/** How far back a keyed create looks for an issue it may have made already. */
const MARKER_WINDOW_MS = 7 * 24 * 3600_000;
const MARKER_MAX_PAGES = 10;
const ME = '@me';

/**
 * Where a list continues: the query of the page to read (a list's, or a search's with its
 * page number), the index in that page to go on from, and the last issue given out (created at,
 * number), so that issues pushed down by new ones are not given out twice.
 */
type ListCursor = {k: 'list' | 'search'; q: Record<string, string>; i: number; at?: string; n?: number; base?: string};

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): ListCursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
    if ((c.k === 'list' || c.k === 'search') && c.q && typeof c.q === 'object' && Number.isInteger(c.i)) return c;
  } catch {
    // reported below
  }
  throw new UsageError('That cursor is not one this command gave out.', {hint: 'Pass the nextCursor value of the previous page unchanged, with the same filters.'});
}

/** The query of a Link header's rel="next", or undefined on the last page. */
async function nextQuery(headers: HttpResponse['headers']): Promise<Record<string, string> | undefined> {
  const raw = headers.link;
  const text = Array.isArray(raw) ? raw.join(', ') : raw;
  if (!text) return undefined;
  const {default: LinkHeader} = await import('http-link-header');
  const next = LinkHeader.parse(text).rel('next')[0];
  if (!next) return undefined;
  // GitHub's links name the repository by id (/repositories/1296269/issues?page=2): the adapter
  // keeps to the documented path and takes the link's parameters onto it.
  return Object.fromEntries(new URL(next.uri, 'https://github.invalid').searchParams);
}

/** Search syntax: a value with spaces or quotes goes in quotes. */
const searchValue = (value: string) => (/[\s"]/.test(value) ? `"${value.replace(/"/g, '')}"` : value);

const OPEN_SIDE: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

export class GithubTickets implements TicketApi {
  private marked?: Promise<Map<string, GhIssue>>;

  constructor(
    private readonly api: GithubApi,
    private readonly conventions: Conventions,
    private readonly self: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  private map = (issue: GhIssue): Ticket => ticketIn(issue, this.conventions);

  private async login(value: string): Promise<string> {
    return value === ME ? (await this.api.me()).login : value;
  }

  /** --assignee as GitHub takes it: a login (or @me), none or empty to unassign. */
  private async assignees(value: string | null | undefined): Promise<string[] | undefined> {
    if (value === undefined) return undefined;
    if (value === null || !value.trim() || value.trim() === 'none') return [];
    return [await this.login(value.trim().replace(/^@(?!me$)/, ''))];
  }

  async create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    const labels = labelsOfNew(input, this.conventions);
    const assignees = (await this.assignees(input.assignee)) ?? [];
    const {milestone} = fieldsOut(input.fields);
    const request = {title: input.title, body: input.body, labels, assignees, ...(milestone === undefined ? {} : {milestone})};
    const key = options.idempotencyKey;
    const digest = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16);
    if (key) {
      const earlier = (await this.markedIssues()).get(key);
      if (earlier) return this.repeated(earlier, digest);
    }
    const json: Record<string, unknown> = {title: request.title, body: key ? withMarker(input.body, key, digest) : input.body};
    if (labels.length) json.labels = labels;
    if (assignees.length) json.assignees = assignees;
    if (milestone !== undefined && milestone !== null) json.milestone = milestone;
    let issue: GhIssue;
    try {
      // Never sent twice after it may have been applied: GitHub takes no idempotency key.
      issue = await this.api.call<GhIssue>({method: 'POST', path: `${this.api.base}/issues`, json, repeatable: false, attempts: options.attempts}, {action: 'create the issue'});
    } catch (error) {
      // The answer was lost: with a key, the marker tells whether the issue was made.
      if (key && error instanceof UnavailableError) {
        this.marked = undefined;
        const made = (await this.markedIssues().catch(() => undefined))?.get(key);
        if (made) return this.repeated(made, digest);
        throw new UnavailableError(`${error.message.replace(/\.$/, '')}; the issue was not created.`, {hint: 'Run the command again.', cause: error});
      }
      throw error;
    }
    if (key) (await this.markedIssues()).set(key, issue);
    const ticket = this.map(issue);
    const dropped = [...labels.filter((l) => !issue.labels.some((x) => labelName(x).toLowerCase() === l.toLowerCase())), ...assignees.filter((a) => !ticket.assignee || ticket.assignee.toLowerCase() !== a.toLowerCase())];
    if (dropped.length) {
      throw new RejectedError(`Issue #${ticket.id} was created, but GitHub dropped ${dropped.join(', ')}: this token may not set labels or assignees in ${this.api.repo}.`, {
        hint: `Do not create it again (support ticket view ${ticket.id}); labels and assignees need push or triage access.`,
      });
    }
    return ticket;
  }

  private repeated(issue: GhIssue, digest: string): Ticket {
    if (markerOf(issue.body)?.digest !== digest) {
      throw new RejectedError(`The idempotency key of this create was already used for issue #${issue.number}, with other content.`, {
        hint: 'Each new ticket needs its own key; the CLI makes one per create, so this comes from a reused journal or script.',
      });
    }
    return this.map(issue);
  }

  /** Issues the token's user created in the last days that carry a key, by key; read once per run. */
  private markedIssues(): Promise<Map<string, GhIssue>> {
    this.marked ??= (async () => {
      const me = await this.api.me();
      const found = new Map<string, GhIssue>();
      const oldest = Date.now() - MARKER_WINDOW_MS;
      let query: Record<string, string> | undefined = {creator: me.login, state: 'all', sort: 'created', direction: 'desc', per_page: String(PAGE)};
      for (let pages = 0; query && pages < MARKER_MAX_PAGES; pages++) {
        const response = await this.api.send({method: 'GET', path: `${this.api.base}/issues`, query}, {action: 'look for issues made before'});
        const issues = response.body as GhIssue[];
        for (const issue of issues) {
          const marker = markerOf(issue.body);
          if (marker && !issue.pull_request && !found.has(marker.key)) found.set(marker.key, issue);
        }
        if (issues.some((i) => Date.parse(i.created_at) < oldest)) break;
        query = await nextQuery(response.headers);
      }
      return found;
    })();
    const pending = this.marked;
    pending.catch(() => {
      if (this.marked === pending) this.marked = undefined;
    });
    return pending;
  }

  private async raw(id: string, options: CallOptions = {}): Promise<GhIssue> {
    const n = issueNumber(id, this.api.repo);
    const issue = await this.api.call<GhIssue>({method: 'GET', path: `${this.api.base}/issues/${n}`, attempts: options.attempts}, {subject: `issue ${id}`, action: `read issue ${id}`});
    if (issue.pull_request) throw new NotFoundError(`#${n} in ${this.api.repo} is a pull request, not an issue.`, {hint: 'Work pull requests with gh pr; list issues with `support ticket list`.'});
    return issue;
  }

  async get(id: string, options: CallOptions = {}): Promise<Ticket> {
    return this.map(await this.raw(id, options));
  }

  async view(id: string, options: CallOptions = {}): Promise<TicketWithComments> {
    const issue = await this.raw(id, options);
    const comments: GhComment[] = [];
    let query: Record<string, string> | undefined = {per_page: String(PAGE)};
    while (query) {
      const response = await this.api.send({method: 'GET', path: `${this.api.base}/issues/${issue.number}/comments`, query, attempts: options.attempts}, {subject: `issue ${id}`, action: `read the comments of issue ${id}`});
      comments.push(...(response.body as GhComment[]));
      query = await nextQuery(response.headers);
    }
    const ticketId = String(issue.number);
    return {...this.map(issue), comments: comments.map((c) => commentIn(ticketId, c))};
  }

  async list(given: TicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(1, given.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
    const query = {...given};
    if (query.assignee) query.assignee = await this.login(query.assignee);
    if (query.requester) query.requester = await this.login(query.requester);
    const cursor = given.cursor ? decodeCursor(given.cursor) : undefined;
    const kind = query.search?.trim() ? 'search' : 'list';
    if (cursor && cursor.k !== kind) throw new UsageError('That cursor belongs to a list with other filters.', {hint: 'Pass a cursor with the same filters it was given out with.'});
    let at = cursor ?? {k: kind, q: kind === 'search' ? this.searchParams(query) : this.listParams(query), i: 0};
    const found: GhIssue[] = [];
    for (;;) {
      const path = at.k === 'search' ? 'search/issues' : `${this.api.base}/issues`;
      const response = await this.api.send({method: 'GET', path, query: at.q}, {action: at.k === 'search' ? 'search issues' : 'list issues'});
      const rows = at.k === 'search' ? (response.body as {items: GhIssue[]}).items : (response.body as GhIssue[]);
      let index = at.i;
      for (; index < rows.length && found.length < limit; index++) {
        const issue = rows[index]!;
        if (issue.pull_request || this.seen(issue, at)) continue;
        if (this.matches(issue, query)) found.push(issue);
      }
      const last = found.at(-1);
      const mark = last ? {at: last.created_at, n: last.number} : {at: at.at, n: at.n};
      const next = index < rows.length ? {...at, i: index, ...mark} : await this.following(at, response, rows, mark);
      if (found.length >= limit || !next) return {tickets: found.map(this.map), nextCursor: next ? encodeCursor(next) : null};
      at = next;
    }
  }

  /** After a whole page: the next one from the Link header, or past search's 1,000th result a new search bounded by the last one seen. */
  private async following(at: ListCursor, response: HttpResponse, rows: GhIssue[], mark: {at?: string; n?: number}): Promise<ListCursor | undefined> {
    const next = await nextQuery(response.headers);
    if (next) return {k: at.k, q: next, i: 0, ...mark, ...(at.base ? {base: at.base} : {})};
    if (at.k !== 'search' || Number(at.q.page ?? 1) < SEARCH_MAX_PAGE || rows.length === 0) return undefined;
    const base = at.base ?? at.q.q!;
    const bound = rows.at(-1)!.created_at.replace(/\.\d+Z$/, 'Z');
    return {k: 'search', q: {...at.q, q: `${base} created:<=${bound}`, page: '1'}, i: 0, base, ...mark};
  }

  /** Already given out on an earlier page: newer than the last one given, or it. */
  private seen(issue: GhIssue, at: ListCursor): boolean {
    if (!at.at || at.n === undefined) return false;
    const t = Date.parse(issue.created_at);
    const last = Date.parse(at.at);
    return t > last || (t === last && issue.number >= at.n);
  }

  /** The list endpoint's own filters: state, labels (every one), assignee, creator; the rest is checked on each issue. */
  private listParams(query: TicketQuery): Record<string, string> {
    const q: Record<string, string> = {state: this.state(query.status) ?? 'all', sort: 'created', direction: 'desc', per_page: String(PAGE)};
    const labels = [...(query.tags ?? []), ...this.filterLabels(query)];
    if (labels.length) q.labels = labels.join(',');
    if (query.assignee) q.assignee = query.assignee;
    if (query.requester) q.creator = query.requester;
    return q;
  }

  private searchParams(query: TicketQuery): Record<string, string> {
    const terms = [`repo:${this.api.repo}`, 'is:issue'];
    const state = this.state(query.status);
    if (state) terms.push(`is:${state}`);
    for (const label of [...(query.tags ?? []), ...this.filterLabels(query)]) terms.push(`label:${searchValue(label)}`);
    if (query.assignee) terms.push(query.assignee === 'none' ? 'no:assignee' : `assignee:${searchValue(query.assignee)}`);
    if (query.requester) terms.push(`author:${searchValue(query.requester)}`);
    terms.push(query.search!.trim());
    return {q: terms.join(' '), sort: 'created', order: 'desc', per_page: String(PAGE), page: '1'};
  }

  private state(statuses: readonly TicketStatus[] | undefined): 'open' | 'closed' | undefined {
    if (!statuses?.length) return undefined;
    if (statuses.every((s) => OPEN_SIDE.includes(s))) return 'open';
    if (statuses.every((s) => !OPEN_SIDE.includes(s))) return 'closed';
    return undefined;
  }

  /** A label the server can filter on: the one priority's, or the one labelled status's. */
  private filterLabels(query: TicketQuery): string[] {
    const out: string[] = [];
    if (query.priority?.length === 1 && this.conventions.priority[query.priority[0]!]) out.push(this.conventions.priority[query.priority[0]!]!);
    const s = query.status?.length === 1 ? query.status[0] : undefined;
    if ((s === 'pending' || s === 'on_hold') && this.conventions.status[s]) out.push(this.conventions.status[s]!);
    return out;
  }

  private matches(issue: GhIssue, query: TicketQuery): boolean {
    const t = this.map(issue);
    if (query.status?.length && !query.status.includes(t.status)) return false;
    if (query.priority?.length && !query.priority.includes(t.priority)) return false;
    const labels = issue.labels.map((l) => labelName(l).toLowerCase());
    if (query.tags?.length && !query.tags.every((tag) => labels.includes(tag.toLowerCase()))) return false;
    const logins = (issue.assignees ?? (issue.assignee ? [issue.assignee] : [])).map((a) => a.login.toLowerCase());
    if (query.assignee === 'none' ? logins.length > 0 : query.assignee && query.assignee !== '*' && !logins.includes(query.assignee.toLowerCase())) return false;
    if (query.requester && issue.user?.login.toLowerCase() !== query.requester.toLowerCase()) return false;
    return true;
  }

  /**
   * One PATCH with the new values (labels are the whole new set, worked out from the issue as it
   * is), so repeating it does no harm. A status GitHub cannot show for the issue is refused
   * before anything is sent.
   */
  async update(id: string, changes: TicketChanges, options: CallOptions = {}): Promise<Ticket> {
    const n = issueNumber(id, this.api.repo);
    const assignees = await this.assignees(changes.assignee);
    const current = needsCurrent(changes) ? await this.raw(id, options) : undefined;
    if (current && changes.status !== undefined) assertStatusChange(String(n), statusIn(current, this.conventions), changes.status);
    const {patch, expect} = patchFor(changes, current, this.conventions, assignees);
    if (current && expect) {
      const reopening = patch.state === 'open' && current.state === 'closed';
      const after: GhIssue = {
        ...current,
        state: patch.state ?? current.state,
        state_reason: reopening ? 'reopened' : (patch.state_reason ?? current.state_reason),
        labels: patch.labels ?? current.labels,
        assignees: assignees ? assignees.map((login, i) => ({login, id: -1 - i})) : current.assignees,
      };
      const problem = unshowable(expect, this.map(after), this.conventions);
      if (problem) throw new RejectedError(`GitHub cannot show issue ${n} as ${expect}: ${problem}`, {hint: 'Choose another status, or change the label options of the profile (support profile add --option status-labels=...).'});
    }
    if (Object.keys(patch).length === 0) return this.map(current ?? (await this.raw(id, options)));
    const send = (json: object) =>
      this.api.call<GhIssue>(
        // The values are absolute (the whole label set): sending it again does what it did once.
        {method: 'PATCH', path: `${this.api.base}/issues/${n}`, json, repeatable: true, attempts: options.attempts},
        {subject: `issue ${id}`, action: `update issue ${id}`},
      );
    // GitHub keeps the reason of a closed issue unless its state changes: reopen, then close again.
    if (current?.state === 'closed' && patch.state === 'closed') await send({state: 'open'});
    const issue = await send(patch);
    const ticket = this.map(issue);
    const droppedLabels = (patch.labels ?? []).filter((l) => !issue.labels.some((x) => labelName(x).toLowerCase() === l.toLowerCase()));
    const droppedAssignees = (patch.assignees ?? []).filter((a) => ticket.assignee?.toLowerCase() !== a.toLowerCase() && !((ticket.fields.assignees as string[] | undefined) ?? []).some((x) => x.toLowerCase() === a.toLowerCase()));
    if (droppedLabels.length || droppedAssignees.length) {
      throw new RejectedError(`GitHub left out ${[...droppedLabels, ...droppedAssignees].join(', ')} when it updated issue ${n}: this token may not set labels or assignees in ${this.api.repo}.`, {
        hint: 'Labels and assignees need push or triage access to the repository.',
      });
    }
    return ticket;
  }

  async comment(id: string, input: NewComment, options: CallOptions = {}): Promise<Comment> {
    if (input.public === false) throw unsupported(this.self(), 'internal-comments');
    const n = issueNumber(id, this.api.repo);
    const comment = await this.api.call<GhComment>(
      // Not idempotent: a repeat after a lost answer would post it twice; the bulk service looks before it repeats.
      {method: 'POST', path: `${this.api.base}/issues/${n}/comments`, json: {body: input.body}, repeatable: false, attempts: options.attempts},
      {subject: `issue ${id}`, action: `comment on issue ${id}`},
    );
    return commentIn(String(n), comment);
  }

  async attach(id: string, _file: AttachmentSource): Promise<Attachment> {
    throw unsupported(this.self(), 'attachments', {ticketId: id});
  }

  async events(_id: string): Promise<TicketEvent[]> {
    throw unsupported(this.self(), 'events');
  }
}
