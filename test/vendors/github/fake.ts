import {createHash} from 'node:crypto';
import {createRequire} from 'node:module';

import {VendorFake, type FakeRequest, type FakeResponse, type Handler} from '../harness/fake-server.js';
import {SlidingWindow} from '../harness/rate-limit.js';
import {githubContract} from './contract.js';

/**
 * A stateful GitHub (the issues of one repository) on 127.0.0.1, behind its contract: the issues
 * a test creates are there to read, list, search, update and comment on, following the rules
 * ../shared/vendors/github.md collects ("Simulator checklist"): Bearer (or `token`) auth, the
 * version header, pull requests mixed into lists, page/per_page with Link headers naming the
 * repository by id, search capped at 1,000 results, labels and assignees silently dropped for a
 * token without push access, x-ratelimit-* headers, the primary limit (403 with remaining 0),
 * the secondary content-creation limit and search's own (403 with retry-after and a message),
 * ETags and 304s that do not count against the limit, 410 when issues are turned off.
 */

export interface FakeUser {
  id: number;
  login: string;
  name: string | null;
  /** The repository role: admin, maintain, write and triage may label and assign; read may not. */
  role: 'admin' | 'maintain' | 'write' | 'triage' | 'read';
}

interface StoredLabel {
  id: number;
  name: string;
  color: string;
}

interface StoredComment {
  id: number;
  user: number;
  body: string;
  created_ms: number;
  updated_ms: number;
}

interface StoredIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: string | null;
  user: number;
  labels: number[];
  assignees: number[];
  milestone: number | null;
  locked: boolean;
  pull_request: boolean;
  created_ms: number;
  updated_ms: number;
  closed_ms: number | null;
  comments: StoredComment[];
}

export interface GithubFakeOptions {
  /** Requests a token may make in an hour (x-ratelimit-limit, resource core); default 5,000. */
  primaryPerHour?: number;
  /** Content-creating requests (POST, PATCH) a token may make in any minute; default 80 (GitHub's secondary limit). Enforced only when set. */
  writesPerMinute?: number;
  /** Search requests a minute (resource search); default 30. Enforced only when set. */
  searchPerMinute?: number;
  /** Whether the primary limit is enforced (default: headers only). */
  enforcePrimary?: boolean;
  /** Issues show up in search this long after they were created or changed (search lags writes). */
  searchLagMs?: number;
  /** Answer 410 Gone: issues are turned off in the repository. */
  issuesDisabled?: boolean;
  now?: () => number;
}

export const OWNER = 'acme';
export const REPO = 'support';
const REPO_ID = 1296269;
export const VERSIONS = ['2022-11-28', '2026-03-10'];

const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const DOCS = 'https://docs.github.com/rest';

export class GithubFake {
  readonly users: FakeUser[] = [
    {id: 583231, login: 'alice', name: 'Alice Maintainer', role: 'admin'},
    {id: 583232, login: 'bob', name: 'Bob Collaborator', role: 'write'},
    {id: 583233, login: 'carol', name: null, role: 'read'},
  ];
  /** Tokens by value: whose they are. */
  readonly tokens = new Map<string, number>([['alice-token', 583231], ['bob-token', 583232], ['carol-token', 583233]]);
  readonly issues = new Map<number, StoredIssue>();
  readonly labels = new Map<string, StoredLabel>();
  private readonly labelsById = new Map<number, StoredLabel>();
  /** Conditional reads answered 304 (these cost no rate limit). */
  notModified = 0;
  /** Answers that were rate limits, by kind. */
  readonly limited = {primary: 0, secondary: 0, search: 0};
  readonly writes?: SlidingWindow;
  readonly searches?: SlidingWindow;
  private readonly primary = new Map<number, {used: number; resetMs: number}>();
  private nextId = {issue: 2_000_000_001, label: 9001, comment: 1_500_000_001};
  private nextNumber = 1;
  readonly now: () => number;
  server!: VendorFake;

  constructor(readonly options: GithubFakeOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.writesPerMinute) this.writes = new SlidingWindow(options.writesPerMinute, this.now);
    if (options.searchPerMinute) this.searches = new SlidingWindow(options.searchPerMinute, this.now);
  }

  get url(): string {
    return this.server.url;
  }

  user(login: string): FakeUser {
    return this.users.find((u) => u.login === login)!;
  }

  async start(): Promise<this> {
    const handlers: Record<string, Handler> = {
      // The API root as GitHub answered it when @octokit/fixtures recorded it (no token needed).
      'meta/root': () => ({status: 200, body: createRequire(import.meta.url)('@octokit/fixtures/scenarios/api.github.com/get-root/normalized-fixture.json')[0].response}),
      'users/get-authenticated': (req) => ({status: 200, body: this.privateUserJson(this.caller(req)!)}),
      'repos/get-collaborator-permission-level': (req) => {
        const me = this.caller(req)!;
        if (!this.canPush(me)) return this.error(403, 'Must have push access to view collaborator permission.');
        const u = this.users.find((x) => x.login.toLowerCase() === req.params.username!.toLowerCase());
        if (!u) return this.error(404, 'Not Found');
        const permission = u.role === 'maintain' ? 'write' : u.role === 'triage' ? 'read' : u.role;
        return {status: 200, body: {permission, role_name: u.role, user: {...this.userJson(u), permissions: {admin: u.role === 'admin', maintain: u.role === 'maintain', push: this.canPush(u), triage: u.role !== 'read', pull: true}, role_name: u.role}}};
      },
      'issues/create': (req) => this.create(req),
      'issues/list-for-repo': (req) => this.list(req),
      'issues/get': (req) => {
        const issue = this.issues.get(Number(req.params.issue_number));
        return issue ? {status: 200, body: this.issueJson(issue)} : this.error(404, 'Not Found');
      },
      'issues/update': (req) => this.update(req),
      'issues/list-comments': (req) => {
        const issue = this.issues.get(Number(req.params.issue_number));
        if (!issue) return this.error(404, 'Not Found');
        return this.paged(issue.comments.map((c) => this.commentJson(issue, c)), req, `/repositories/${REPO_ID}/issues/${issue.number}/comments`);
      },
      'issues/create-comment': (req) => {
        const issue = this.issues.get(Number(req.params.issue_number));
        if (!issue) return this.error(404, 'Not Found');
        const body = (req.body as {body?: string}).body;
        if (!body?.trim()) return this.invalid('IssueComment', 'body', 'missing_field');
        if (issue.locked && !this.canPush(this.caller(req)!)) return this.error(403, 'Unable to create comment because issue is locked.');
        const now = this.now();
        const c: StoredComment = {id: this.nextId.comment++, user: this.caller(req)!.id, body, created_ms: now, updated_ms: now};
        issue.comments.push(c);
        issue.updated_ms = now;
        return {status: 201, headers: {location: `${this.url}/repos/${OWNER}/${REPO}/issues/comments/${c.id}`}, body: this.commentJson(issue, c)};
      },
      'search/issues-and-pull-requests': (req) => this.search(req),
    };
    this.server = await new VendorFake({
      contract: await githubContract(),
      handlers,
      rejected: (violations) => {
        const message = `The fake refused a request GitHub's description does not allow: ${violations.join('; ')}`;
        // A body GitHub cannot use is a 422 (a validation error); anything else a 400.
        return violations.some((v) => /requestBody/.test(v)) ? {status: 422, body: {message, documentation_url: DOCS}} : this.error(400, message);
      },
      notFound: () => ({status: 404, body: {message: 'Not Found', documentation_url: DOCS, status: '404'}}),
      before: (req) => this.before(req),
      decorate: (req, res) => this.decorate(req, res),
    }).start();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /* ---- errors ---- */

  private error(status: number, message: string, extra: Record<string, string> = {}): FakeResponse {
    return {status, headers: extra, body: {message, documentation_url: DOCS, status: String(status)}};
  }

  private invalid(resource: string, field: string, code: string, message?: string): FakeResponse {
    return {status: 422, body: {message: 'Validation Failed', errors: [{resource, field, code, ...(message ? {message} : {})}], documentation_url: DOCS}};
  }

  /* ---- authentication, the version, rate limits, conditional reads ---- */

  caller(req: FakeRequest): FakeUser | undefined {
    const m = /^(?:Bearer|token) (\S+)$/i.exec(String(req.headers.authorization ?? ''));
    const id = m ? this.tokens.get(m[1]!) : undefined;
    return this.users.find((u) => u.id === id);
  }

  private canPush(u: FakeUser): boolean {
    return u.role !== 'read';
  }

  private primaryOf(id: number): {used: number; resetMs: number} {
    const now = this.now();
    let p = this.primary.get(id);
    if (!p || now >= p.resetMs) {
      p = {used: 0, resetMs: now + 3600_000};
      this.primary.set(id, p);
    }
    return p;
  }

  private before(req: FakeRequest): FakeResponse | undefined {
    const version = str(req.headers['x-github-api-version']);
    if (version !== undefined && !VERSIONS.includes(version)) return this.error(400, `Invalid API version: ${version}.`);
    const me = this.caller(req);
    if (!me && req.operationId === 'meta/root') return undefined;
    if (!me) return this.error(401, 'Bad credentials');
    const limit = this.options.primaryPerHour ?? 5000;
    const p = this.primaryOf(me.id);
    if (this.options.enforcePrimary && p.used >= limit) {
      this.limited.primary++;
      return this.error(403, `API rate limit exceeded for user ID ${me.id}.`);
    }
    if (req.operationId === 'search/issues-and-pull-requests' && this.searches) {
      const taken = this.searches.take();
      if (!taken.allowed) {
        this.limited.search++;
        return {...this.error(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'), headers: {'retry-after': String(taken.resetSeconds)}};
      }
    }
    if ((req.method === 'POST' || req.method === 'PATCH') && this.writes) {
      const taken = this.writes.take();
      if (!taken.allowed) {
        this.limited.secondary++;
        return {...this.error(403, 'You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.'), headers: {'retry-after': String(taken.resetSeconds)}};
      }
    }
    // One repository lives here; any other is one this token cannot see.
    if (req.params.owner !== undefined && `${req.params.owner}/${req.params.repo}`.toLowerCase() !== `${OWNER}/${REPO}`) return this.error(404, 'Not Found');
    if (this.options.issuesDisabled && /^issues\//.test(req.operationId)) return this.error(410, 'Issues are disabled for this repo');
    return undefined;
  }

  private decorate(req: FakeRequest, res: FakeResponse): void {
    const me = this.caller(req);
    const headers: Record<string, string> = {...res.headers};
    // Conditional reads: an ETag on every read; a matching If-None-Match is a 304 without a body, free of charge.
    if (req.method === 'GET' && res.status === 200) {
      const etag = `W/"${createHash('sha256').update(JSON.stringify(res.body)).digest('hex').slice(0, 32)}"`;
      headers.etag = etag;
      if (str(req.headers['if-none-match']) === etag) {
        res.status = 304;
        res.body = undefined;
        this.notModified++;
      }
    }
    // A response that names its own limits (an injected one) keeps them.
    if (me && res.status !== 401 && headers['x-ratelimit-remaining'] === undefined) {
      const search = req.operationId === 'search/issues-and-pull-requests';
      const p = this.primaryOf(me.id);
      const limit = this.options.primaryPerHour ?? 5000;
      if (res.status !== 304 && !search) p.used++;
      headers['x-ratelimit-limit'] = String(search ? (this.searches?.perMinute ?? 30) : limit);
      headers['x-ratelimit-remaining'] = String(search ? Math.max(0, (this.searches?.perMinute ?? 30) - 1) : Math.max(0, limit - p.used));
      headers['x-ratelimit-used'] = String(search ? 1 : p.used);
      headers['x-ratelimit-reset'] = String(Math.ceil((search ? this.now() + 60_000 : p.resetMs) / 1000));
      headers['x-ratelimit-resource'] = search ? 'search' : 'core';
    }
    headers['x-github-media-type'] = 'github.v3; format=json';
    res.headers = headers;
  }

  /* ---- JSON as GitHub answers it ---- */

  private api(path: string): string {
    return `${this.url}${path}`;
  }

  userJson(u: FakeUser): Record<string, unknown> {
    const base = this.api(`/users/${u.login}`);
    return {
      login: u.login,
      id: u.id,
      node_id: Buffer.from(`04:User${u.id}`).toString('base64'),
      avatar_url: `${this.url}/avatars/u/${u.id}?v=4`,
      gravatar_id: '',
      url: base,
      html_url: `${this.url}/${u.login}`,
      followers_url: `${base}/followers`,
      following_url: `${base}/following{/other_user}`,
      gists_url: `${base}/gists{/gist_id}`,
      starred_url: `${base}/starred{/owner}{/repo}`,
      subscriptions_url: `${base}/subscriptions`,
      organizations_url: `${base}/orgs`,
      repos_url: `${base}/repos`,
      events_url: `${base}/events{/privacy}`,
      received_events_url: `${base}/received_events`,
      type: 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  private privateUserJson(u: FakeUser): Record<string, unknown> {
    return {
      ...this.userJson(u),
      user_view_type: 'private',
      name: u.name,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: 2,
      public_gists: 0,
      followers: 1,
      following: 0,
      created_at: '2015-03-01T10:00:00Z',
      updated_at: '2025-03-01T10:00:00Z',
      private_gists: 0,
      total_private_repos: 1,
      owned_private_repos: 1,
      disk_usage: 100,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }

  private labelJson(l: StoredLabel): Record<string, unknown> {
    return {id: l.id, node_id: Buffer.from(`Label${l.id}`).toString('base64'), url: this.api(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent(l.name)}`), name: l.name, description: null, color: l.color, default: false};
  }

  private association(userId: number): string {
    const u = this.users.find((x) => x.id === userId);
    return u?.role === 'admin' ? 'OWNER' : u && u.role !== 'read' ? 'COLLABORATOR' : 'NONE';
  }

  issueJson(i: StoredIssue): Record<string, unknown> {
    const base = this.api(`/repos/${OWNER}/${REPO}/issues/${i.number}`);
    const user = (id: number) => this.userJson(this.users.find((u) => u.id === id)!);
    const assignees = i.assignees.map(user);
    return {
      id: i.id,
      node_id: Buffer.from(`I_${i.id}`).toString('base64'),
      url: base,
      repository_url: this.api(`/repos/${OWNER}/${REPO}`),
      labels_url: `${base}/labels{/name}`,
      comments_url: `${base}/comments`,
      events_url: `${base}/events`,
      html_url: `${this.url}/${OWNER}/${REPO}/${i.pull_request ? 'pull' : 'issues'}/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.state_reason,
      title: i.title,
      body: i.body,
      user: user(i.user),
      // GitHub answers an issue's labels in the order of their names.
      labels: i.labels
        .map((id) => this.labelsById.get(id)!)
        .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
        .map((l) => this.labelJson(l)),
      assignee: assignees[0] ?? null,
      assignees,
      milestone: null,
      locked: i.locked,
      active_lock_reason: null,
      comments: i.comments.length,
      ...(i.pull_request
        ? {pull_request: {url: this.api(`/repos/${OWNER}/${REPO}/pulls/${i.number}`), html_url: `${this.url}/${OWNER}/${REPO}/pull/${i.number}`, diff_url: `${this.url}/${OWNER}/${REPO}/pull/${i.number}.diff`, patch_url: `${this.url}/${OWNER}/${REPO}/pull/${i.number}.patch`, merged_at: null}}
        : {}),
      closed_at: i.closed_ms === null ? null : seconds(i.closed_ms),
      created_at: seconds(i.created_ms),
      updated_at: seconds(i.updated_ms),
      closed_by: null,
      author_association: this.association(i.user),
      timeline_url: `${base}/timeline`,
    };
  }

  private commentJson(i: StoredIssue, c: StoredComment): Record<string, unknown> {
    return {
      id: c.id,
      node_id: Buffer.from(`IC_${c.id}`).toString('base64'),
      url: this.api(`/repos/${OWNER}/${REPO}/issues/comments/${c.id}`),
      html_url: `${this.url}/${OWNER}/${REPO}/issues/${i.number}#issuecomment-${c.id}`,
      body: c.body,
      user: this.userJson(this.users.find((u) => u.id === c.user)!),
      created_at: seconds(c.created_ms),
      updated_at: seconds(c.updated_ms),
      issue_url: this.api(`/repos/${OWNER}/${REPO}/issues/${i.number}`),
      author_association: this.association(c.user),
    };
  }

  /* ---- labels and assignees ---- */

  /** Label ids for names, creating labels that do not exist yet (GitHub does, for those who may push). */
  private labelIds(names: unknown[]): number[] {
    const out: number[] = [];
    for (const raw of names) {
      const name = typeof raw === 'string' ? raw : String((raw as {name?: string}).name ?? '');
      if (!name.trim()) continue;
      let label = this.labels.get(name.toLowerCase());
      if (!label) {
        label = {id: this.nextId.label++, name, color: 'ededed'};
        this.labels.set(name.toLowerCase(), label);
        this.labelsById.set(label.id, label);
      }
      if (!out.includes(label.id)) out.push(label.id);
    }
    return out;
  }

  private assigneeIds(logins: unknown[]): number[] | FakeResponse {
    const out: number[] = [];
    for (const raw of logins) {
      const login = typeof raw === 'string' ? raw : String((raw as {login?: string}).login ?? '');
      const u = this.users.find((x) => x.login.toLowerCase() === login.toLowerCase());
      if (!u || !this.canPush(u)) return this.invalid('Issue', 'assignees', 'invalid', `${login} cannot be assigned to this issue`);
      if (!out.includes(u.id)) out.push(u.id);
    }
    return out;
  }

  /* ---- issues ---- */

  private create(req: FakeRequest): FakeResponse {
    const me = this.caller(req)!;
    const input = req.body as {title?: string | number; body?: string | null; labels?: unknown[]; assignees?: unknown[]; milestone?: unknown};
    if (input.title === undefined || String(input.title).trim() === '') return this.invalid('Issue', 'title', 'missing_field');
    const now = this.now();
    const push = this.canPush(me);
    const assignees = push ? this.assigneeIds(input.assignees ?? []) : [];
    if (!Array.isArray(assignees)) return assignees;
    const issue: StoredIssue = {
      id: this.nextId.issue++,
      number: this.nextNumber++,
      title: String(input.title),
      body: input.body ?? null,
      state: 'open',
      state_reason: null,
      user: me.id,
      // Without push access, labels and assignees are silently dropped.
      labels: push ? this.labelIds(input.labels ?? []) : [],
      assignees,
      milestone: null,
      locked: false,
      pull_request: false,
      created_ms: now,
      updated_ms: now,
      closed_ms: null,
      comments: [],
    };
    this.issues.set(issue.number, issue);
    return {status: 201, headers: {location: this.api(`/repos/${OWNER}/${REPO}/issues/${issue.number}`)}, body: this.issueJson(issue)};
  }

  private update(req: FakeRequest): FakeResponse {
    const me = this.caller(req)!;
    const issue = this.issues.get(Number(req.params.issue_number));
    if (!issue || issue.pull_request) return this.error(404, 'Not Found');
    const input = req.body as {title?: string; body?: string | null; state?: 'open' | 'closed'; state_reason?: string | null; labels?: unknown[]; assignees?: unknown[]};
    const push = this.canPush(me);
    if (!push && issue.user !== me.id) return this.error(403, 'Must have admin rights to Repository.');
    const now = this.now();
    if (push && input.assignees !== undefined) {
      const ids = this.assigneeIds(input.assignees);
      if (!Array.isArray(ids)) return ids;
      issue.assignees = ids;
    }
    if (input.title !== undefined) issue.title = String(input.title);
    if (input.body !== undefined) issue.body = input.body;
    if (push && input.labels !== undefined) issue.labels = this.labelIds(input.labels);
    // state_reason is ignored unless the state changes.
    if (input.state !== undefined && input.state !== issue.state) {
      issue.state = input.state;
      if (input.state === 'closed') {
        issue.state_reason = input.state_reason ?? 'completed';
        issue.closed_ms = now;
      } else {
        issue.state_reason = 'reopened';
        issue.closed_ms = null;
      }
    }
    issue.updated_ms = now;
    return {status: 200, body: this.issueJson(issue)};
  }

  /** page/per_page over `all`, each item of the page as `json` makes it, with GitHub's Link header (its links name the repository by id). */
  private paged<T>(all: readonly T[], req: FakeRequest, linkPath: string, extra: Record<string, string> = {}, json: (item: T) => unknown = (x) => x): FakeResponse {
    const perPage = Number(str(req.query.per_page) ?? 30);
    const page = Number(str(req.query.page) ?? 1);
    const items = all.slice((page - 1) * perPage, page * perPage).map(json);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const at = (p: number) => {
      const q = new URLSearchParams({...extra, per_page: String(perPage), page: String(p)});
      return `<${this.api(linkPath)}?${q.toString()}>`;
    };
    const links: string[] = [];
    if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    if (page > 1) links.push(`${at(page - 1)}; rel="prev"`, `${at(1)}; rel="first"`);
    return {status: 200, headers: links.length ? {link: links.join(', ')} : {}, body: items};
  }

  private labelNames(i: StoredIssue): string[] {
    return i.labels.map((id) => this.labelsById.get(id)!.name.toLowerCase());
  }

  private list(req: FakeRequest): FakeResponse {
    const state = str(req.query.state) ?? 'open';
    const labels = (str(req.query.labels) ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
    const assignee = str(req.query.assignee);
    const creator = str(req.query.creator);
    const since = str(req.query.since);
    const login = (id: number) => this.users.find((u) => u.id === id)?.login.toLowerCase();
    let found = [...this.issues.values()].filter((i) => state === 'all' || i.state === state);
    if (labels.length) found = found.filter((i) => labels.every((l) => this.labelNames(i).includes(l)));
    if (assignee === 'none') found = found.filter((i) => i.assignees.length === 0);
    else if (assignee === '*') found = found.filter((i) => i.assignees.length > 0);
    else if (assignee) found = found.filter((i) => i.assignees.some((a) => login(a) === assignee.toLowerCase()));
    if (creator) found = found.filter((i) => login(i.user) === creator.toLowerCase());
    if (since) found = found.filter((i) => i.updated_ms >= Date.parse(since));
    const key = str(req.query.sort) === 'updated' ? (i: StoredIssue) => i.updated_ms : (i: StoredIssue) => i.created_ms;
    const desc = (str(req.query.direction) ?? 'desc') === 'desc';
    found.sort((a, b) => ((key(a) - key(b)) || a.number - b.number) * (desc ? -1 : 1));
    const extra = Object.fromEntries(Object.entries(req.query).filter(([k]) => k !== 'page' && k !== 'per_page').map(([k, v]) => [k, String(str(v))]));
    return this.paged(found, req, `/repositories/${REPO_ID}/issues`, extra, (i) => this.issueJson(i));
  }

  /* ---- search: the qualifiers the adapter uses ---- */

  private search(req: FakeRequest): FakeResponse {
    const q = str(req.query.q) ?? '';
    const perPage = Number(str(req.query.per_page) ?? 30);
    const page = Number(str(req.query.page) ?? 1);
    if (page * perPage > 1000) return this.invalid('Search', 'q', 'invalid', 'Only the first 1000 search results are available');
    const lag = this.options.searchLagMs ?? 0;
    const login = (id: number) => this.users.find((u) => u.id === id)?.login.toLowerCase();
    let found = [...this.issues.values()].filter((i) => i.updated_ms <= this.now() - lag);
    for (const [, key, value, word] of q.matchAll(/(?:(\w+):("[^"]*"|\S+))|("[^"]*"|\S+)/g)) {
      const v = (value ?? '').replace(/^"|"$/g, '').toLowerCase();
      if (key === 'repo') {
        if (v !== `${OWNER}/${REPO}`) found = [];
      } else if (key === 'is' && v === 'issue') found = found.filter((i) => !i.pull_request);
      else if (key === 'is' && (v === 'pr' || v === 'pull-request')) found = found.filter((i) => i.pull_request);
      else if (key === 'is' && (v === 'open' || v === 'closed')) found = found.filter((i) => i.state === v);
      else if (key === 'label') found = found.filter((i) => this.labelNames(i).includes(v));
      else if (key === 'no' && v === 'assignee') found = found.filter((i) => i.assignees.length === 0);
      else if (key === 'assignee') found = found.filter((i) => i.assignees.some((a) => login(a) === v));
      else if (key === 'author') found = found.filter((i) => login(i.user) === v);
      else if (key === 'created' && v.startsWith('<=')) found = found.filter((i) => Math.floor(i.created_ms / 1000) * 1000 <= Date.parse(v.slice(2)));
      else {
        const text = (word ?? `${key}:${value}`).replace(/^"|"$/g, '').toLowerCase();
        found = found.filter((i) => [i.title, i.body ?? '', ...i.comments.map((c) => c.body)].join('\n').toLowerCase().includes(text));
      }
    }
    const desc = (str(req.query.order) ?? 'desc') === 'desc';
    found.sort((a, b) => ((a.created_ms - b.created_ms) || a.number - b.number) * (desc ? -1 : 1));
    const capped = found.slice(0, 1000);
    // Search items are issues with a score, and without closed_by.
    const answer = this.paged(capped, req, '/search/issues', {q, ...(req.query.sort ? {sort: String(str(req.query.sort))} : {}), ...(req.query.order ? {order: String(str(req.query.order))} : {})}, (i) => {
      const {closed_by: _closedBy, ...item} = this.issueJson(i);
      return {...item, score: 1};
    });
    return {...answer, body: {total_count: found.length, incomplete_results: false, items: answer.body, search_type: 'lexical'}};
  }

  /* ---- seeding ---- */

  /** Issues (and pull requests) made directly in the store, a second apart, oldest first. */
  seed(count: number, make: (i: number) => {title?: string; labels?: string[]; user?: string; state?: 'open' | 'closed'; state_reason?: string | null; pull_request?: boolean; assignees?: string[]} = () => ({})): number[] {
    const start = this.now() - count * 1000;
    const numbers: number[] = [];
    for (let i = 0; i < count; i++) {
      const m = make(i);
      const at = start + i * 1000;
      const issue: StoredIssue = {
        id: this.nextId.issue++,
        number: this.nextNumber++,
        title: m.title ?? `Seeded ${i}`,
        body: `Seeded issue ${i}.`,
        state: m.state ?? 'open',
        state_reason: m.state === 'closed' ? (m.state_reason ?? 'completed') : null,
        user: this.user(m.user ?? 'carol').id,
        labels: this.labelIds(m.labels ?? []),
        assignees: (m.assignees ?? []).map((a) => this.user(a).id),
        milestone: null,
        locked: false,
        pull_request: m.pull_request ?? false,
        created_ms: at,
        updated_ms: at,
        closed_ms: m.state === 'closed' ? at : null,
        comments: [],
      };
      this.issues.set(issue.number, issue);
      numbers.push(issue.number);
    }
    return numbers;
  }
}

export async function startGithubFake(options: GithubFakeOptions = {}): Promise<GithubFake> {
  return new GithubFake(options).start();
}
