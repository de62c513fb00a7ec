import {randomUUID} from 'node:crypto';

import {VendorFake, type FakeRequest, type FakeResponse, type Handler} from '../harness/fake-server.js';
import {SlidingWindow} from '../harness/rate-limit.js';
import {jsmContract} from './contract.js';

/**
 * A stateful Jira Service Management Cloud site on 127.0.0.1, behind its contract (the rule files
 * of this folder): one service desk ITSM with four request types, a workflow whose statuses
 * change only through transitions, the site's fields and edit screen, comments, temporary files
 * and attachments, SLA cycles computed from each request's history, the enhanced JQL search with
 * nextPageToken (bounded queries only; the index may lag writes unless reconciled), and a
 * knowledge base of Confluence pages. It follows ../shared/vendors/jsm.md ("Simulator
 * checklist"): Basic email:token and Bearer; the Service Desk API's and the platform API's own
 * error bodies; X-RateLimit-Limit/-Remaining, and 429 with Retry-After, RateLimit-Reason and
 * X-RateLimit-Reset (an ISO time to the minute), as Atlassian documents them.
 */

export interface FakeUser {
  accountId: string;
  displayName: string;
  email: string;
  accountType: 'atlassian' | 'customer';
}

interface StatusDef {
  id: string;
  name: string;
  category: 'new' | 'indeterminate' | 'done';
}

const STATUSES: StatusDef[] = [
  {id: '1', name: 'Waiting for support', category: 'new'},
  {id: '2', name: 'In progress', category: 'indeterminate'},
  {id: '3', name: 'Waiting for customer', category: 'indeterminate'},
  {id: '4', name: 'Pending', category: 'indeterminate'},
  {id: '5', name: 'Resolved', category: 'done'},
  {id: '6', name: 'Closed', category: 'done'},
  {id: '7', name: 'Canceled', category: 'done'},
];
const status = (name: string) => STATUSES.find((s) => s.name === name)!;

/** The workflow: transitions by id, the statuses each may start from (empty: any that is not done), and where it goes. */
const TRANSITIONS: {id: string; name: string; to: string; from?: string[]}[] = [
  {id: '11', name: 'Respond to customer', to: 'Waiting for customer'},
  {id: '21', name: 'Start progress', to: 'In progress'},
  {id: '31', name: 'Pending', to: 'Pending'},
  {id: '41', name: 'Resolve this issue', to: 'Resolved'},
  {id: '51', name: 'Cancel request', to: 'Canceled'},
  {id: '61', name: 'Back to in progress', to: 'In progress', from: ['Resolved']},
  {id: '71', name: 'Reopen', to: 'Waiting for support', from: ['Resolved']},
  {id: '81', name: 'Close', to: 'Closed', from: ['Resolved']},
];

export const REQUEST_TYPES = [
  {id: '10', name: 'Get IT help', issueTypeId: '10001', form: ['summary', 'description', 'customfield_10050']},
  {id: '11', name: 'Report an incident', issueTypeId: '10002', form: ['summary', 'description', 'priority']},
  {id: '12', name: 'Investigate a problem', issueTypeId: '10003', form: ['summary', 'description']},
  {id: '13', name: 'Request a change', issueTypeId: '10004', form: ['summary', 'description']},
];

export const CUSTOM_FIELDS = [
  {id: 'customfield_10050', name: 'Region', schema: {type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: 10050}},
  {id: 'customfield_10051', name: 'Seats', schema: {type: 'number', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:float', customId: 10051}},
  {id: 'customfield_10052', name: 'Legacy', schema: {type: 'string', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:textfield', customId: 10052}},
  {id: 'customfield_10053', name: 'Impact', schema: {type: 'option', custom: 'com.atlassian.jira.plugin.system.customfieldtypes:select', customId: 10053}, options: ['Low', 'Medium', 'High']},
] as const;
const REQUEST_TYPE_FIELD = {id: 'customfield_10010', name: 'Request Type', schema: {type: 'sd-customerrequesttype', custom: 'com.atlassian.servicedesk:vp-origin', customId: 10010}};
const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];

/** The SLA goals, in hours, by priority name. */
const GOALS: Record<string, {first: number; resolution: number}> = {Highest: {first: 1, resolution: 8}, High: {first: 2, resolution: 16}, Medium: {first: 4, resolution: 24}, Low: {first: 8, resolution: 48}, Lowest: {first: 8, resolution: 48}};

interface StoredComment {
  id: string;
  author: string;
  body: string;
  public: boolean;
  created: number;
}

interface StoredAttachment {
  id: string;
  filename: string;
  size: number;
  mimeType: string;
  author: string;
  created: number;
}

interface StoredIssue {
  id: string;
  key: string;
  summary: string;
  description: string;
  status: string;
  priority: string | null;
  assignee: string | null;
  reporter: string;
  labels: string[];
  requestTypeId: string;
  custom: Map<string, unknown>;
  created: number;
  updated: number;
  comments: StoredComment[];
  attachments: StoredAttachment[];
  /** Status changes, oldest first, for the SLA cycles. */
  history: {at: number; status: string}[];
}

export interface FakeArticle {
  pageId: string;
  title: string;
  html: string;
  spaceKey: string;
  updated: number;
}

export interface JsmFakeOptions {
  /** Cost points allowed in any 60 seconds, one per request (writes cost the base point only); past that 429 with Retry-After. Default: none enforced. */
  ratePerMinute?: number;
  /** An issue shows up in JQL results this long after it was written, unless the search reconciles it. */
  searchLagMs?: number;
  /** How long a temporary file waits to be attached. */
  temporaryFileTtlMs?: number;
  now?: () => number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Jira's date-time: 2025-03-01T10:00:00.000+0000. */
const jiraTime = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`;
};
const dateDto = (ms: number) => ({epochMillis: ms, friendly: new Date(ms).toUTCString(), iso8601: jiraTime(ms).replace(/\.\d{3}/, ''), jira: jiraTime(ms)});
const duration = (ms: number) => ({millis: ms, friendly: `${Math.round(ms / 60_000)}m`});
const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const sdError = (status: number, message: string): FakeResponse => ({status, body: {errorMessage: message, i18nErrorMessage: {i18nKey: 'sd.error', parameters: []}}});
const jiraError = (status: number, messages: string[], errors: Record<string, string> = {}): FakeResponse => ({status, body: {errorMessages: messages, errors}});
const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with']);

export class JsmFake {
  readonly users: FakeUser[] = [
    {accountId: '5b10ac8d82e05b22cc7d4ef1', displayName: 'Alice Agent', email: 'alice@acme.test', accountType: 'atlassian'},
    {accountId: '5b10ac8d82e05b22cc7d4ef2', displayName: 'Bob Agent', email: 'bob@acme.test', accountType: 'atlassian'},
    {accountId: 'qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b', displayName: 'Carol Customer', email: 'carol@example.org', accountType: 'customer'},
  ];
  readonly apiTokens = new Map<string, string>([['alice-api-token', '5b10ac8d82e05b22cc7d4ef1'], ['bob-api-token', '5b10ac8d82e05b22cc7d4ef2'], ['carol-api-token', 'qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b']]);
  readonly oauthTokens = new Map<string, string>([['alice-oauth-token', '5b10ac8d82e05b22cc7d4ef1']]);
  readonly desks = [
    {id: '1', projectId: '10000', projectKey: 'ITSM', projectName: 'IT Service Management'},
    {id: '2', projectId: '10001', projectKey: 'HR', projectName: 'Human Resources'},
  ];
  readonly issues = new Map<string, StoredIssue>();
  readonly articles: FakeArticle[] = [];
  readonly temporary = new Map<string, {deskId: string; filename: string; size: number; mimeType: string; expires: number}>();
  readonly window?: SlidingWindow;
  private readonly rate = new Map<number, {remaining: number; resetSeconds: number}>();
  private next = {issue: 10001, number: 1, comment: 20001, attachment: 30001, page: 8786177};
  readonly now: () => number;
  server!: VendorFake;

  constructor(private readonly options: JsmFakeOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.ratePerMinute) this.window = new SlidingWindow(options.ratePerMinute, this.now);
  }

  get url(): string {
    return this.server.url;
  }

  user(email: string): FakeUser {
    return this.users.find((u) => u.email === email)!;
  }

  issue(key: string): StoredIssue | undefined {
    return this.issues.get(key) ?? [...this.issues.values()].find((i) => i.id === key);
  }

  async start(): Promise<this> {
    const handlers: Record<string, Handler> = {
      getCurrentUser: (req) => ({status: 200, body: this.userJson(this.caller(req)!)}),
      getFields: () => ({status: 200, body: this.fieldsJson()}),
      findUsers: (req) => {
        const q = (str(req.query.query) ?? str(req.query.accountId) ?? '').toLowerCase();
        return {status: 200, body: this.users.filter((u) => u.accountId.toLowerCase() === q || u.email.toLowerCase().includes(q) || u.displayName.toLowerCase().includes(q)).map((u) => this.userJson(u))};
      },
      getServiceDesks: (req) => ({status: 200, body: this.page(this.desks.map((d) => this.deskJson(d)), req)}),
      getServiceDeskById: (req) => {
        const d = this.desk(req.params.serviceDeskId!);
        return d ? {status: 200, body: this.deskJson(d)} : sdError(404, 'The service desk does not exist, or you do not have permission to see it.');
      },
      getRequestTypes: (req) => {
        const d = this.desk(req.params.serviceDeskId!);
        if (!d) return sdError(404, 'The service desk does not exist.');
        const types = d.id === '1' ? REQUEST_TYPES : [];
        return {status: 200, body: this.page(types.map((t) => this.requestTypeJson(t)), req)};
      },
      getRequestTypeFields: (req) => {
        const t = REQUEST_TYPES.find((x) => x.id === req.params.requestTypeId);
        if (!t || this.desk(req.params.serviceDeskId!)?.id !== '1') return sdError(404, 'The request type does not exist.');
        return {status: 200, body: {canAddRequestParticipants: true, canRaiseOnBehalfOf: true, requestTypeFields: t.form.map((id) => ({fieldId: id, name: this.fieldName(id), required: id === 'summary', visible: true, jiraSchema: {type: id === 'priority' ? 'priority' : 'string', system: id.startsWith('custom') ? undefined : id}}))}};
      },
      createCustomerRequest: (req) => this.create(req),
      getCustomerRequestByIdOrKey: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        return i ? {status: 200, body: this.requestJson(i)} : sdError(404, 'The request does not exist, or you do not have permission to see it.');
      },
      getRequestComments: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        if (!i) return sdError(404, 'The request does not exist.');
        const wantPublic = str(req.query.public) !== 'false';
        const wantInternal = str(req.query.internal) !== 'false';
        const list = i.comments.filter((c) => (c.public ? wantPublic : wantInternal));
        return {status: 200, body: this.page(list.map((c) => this.commentJson(i, c)), req)};
      },
      createRequestComment: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        if (!i) return sdError(404, 'The request does not exist.');
        const body = req.body as {body: string; public: boolean};
        const c = this.addComment(i, this.caller(req)!.accountId, body.body, body.public);
        return {status: 201, body: this.commentJson(i, c)};
      },
      attachTemporaryFile: (req) => this.attachTemporary(req),
      createAttachment: (req) => this.attach(req),
      getSlaInformation: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        return i ? {status: 200, body: this.page(this.slas(i), req)} : sdError(404, 'The request does not exist.');
      },
      getIssue: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        if (!i) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
        const fields = str(req.query.fields)?.split(',').filter(Boolean);
        const expand = str(req.query.expand)?.split(',').map((e) => e.trim()) ?? [];
        return {status: 200, body: {...this.issueJson(i, fields), ...(expand.includes('transitions') ? {transitions: this.transitionsJson(i)} : {})}};
      },
      editIssue: (req) => this.edit(req),
      getTransitions: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        if (!i) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
        return {status: 200, body: {transitions: this.transitionsJson(i)}};
      },
      doTransition: (req) => {
        const i = this.issue(req.params.issueIdOrKey!);
        if (!i) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
        const id = (req.body as {transition: {id: string}}).transition.id;
        const t = this.available(i).find((x) => x.id === id);
        if (!t) return jiraError(400, [`Transition id '${id}' is not valid for this issue.`]);
        this.setStatus(i, t.to);
        return {status: 204};
      },
      searchAndReconsileIssuesUsingJqlPost: (req) => this.search(req),
      getArticles: (req) => this.searchArticles(req),
      viewArticle: (req) => {
        const a = this.articles.find((x) => x.pageId === req.params.pageId);
        return a ? {status: 200, body: a.html} : sdError(404, 'The article does not exist.');
      },
      getPageById: (req) => {
        const a = this.articles.find((x) => x.pageId === req.params.id);
        if (!a) return {status: 404, body: {errors: [{status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null}]}};
        return {status: 200, body: {id: a.pageId, status: 'current', title: a.title, spaceId: '98304', version: {number: 1, createdAt: new Date(a.updated).toISOString()}, _links: {webui: `/spaces/${a.spaceKey}/pages/${a.pageId}`, base: `${this.url}/wiki`}}};
      },
    };
    this.server = await new VendorFake({
      contract: await jsmContract(),
      handlers,
      rejected: (violations) => {
        const text = `The fake refused a request its description does not allow: ${violations.join('; ')}`;
        return /^\w+ \/rest\/api\//.test(violations[0] ?? '') ? jiraError(400, [text]) : sdError(400, text);
      },
      notFound: (req) => (req.path.startsWith('/rest/api/3/search') && req.path === '/rest/api/3/search' ? jiraError(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.']) : {status: 404, text: 'Oops, you\'ve found a dead link.'}),
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
    const account = bearer
      ? this.oauthTokens.get(bearer[1]!)
      : (() => {
          const basic = /^Basic (.+)$/.exec(auth);
          if (!basic) return undefined;
          const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          const owner = this.apiTokens.get(decoded.slice(colon + 1));
          return owner && this.users.find((u) => u.accountId === owner)?.email === decoded.slice(0, colon) ? owner : undefined;
        })();
    return this.users.find((u) => u.accountId === account);
  }

  private before(req: FakeRequest): FakeResponse | undefined {
    if (this.window) {
      const taken = this.window.take();
      this.rate.set(req.seq, taken);
      if (!taken.allowed) return {status: 429, headers: {'retry-after': String(taken.resetSeconds), 'ratelimit-reason': 'jira-cost-based'}, body: {errorMessages: ['Rate limit exceeded.'], errors: {}}};
    }
    const me = this.caller(req);
    const platform = req.path.startsWith('/rest/api/');
    if (!me) return platform ? jiraError(401, ['Client must be authenticated to access this resource.']) : req.path.startsWith('/wiki/') ? {status: 401, body: {errors: [{status: 401, code: 'UNAUTHORIZED', title: 'Unauthorized', detail: null}]}} : sdError(401, 'You are not logged in.');
    // Portal customers reach neither the agent's platform API nor the Service Desk API's agent views.
    if (me.accountType === 'customer' && req.operationId !== 'getCurrentUser' && (platform || req.operationId === 'getServiceDesks')) return platform ? jiraError(403, ['You do not have permission.']) : sdError(403, 'You do not have permission.');
    return undefined;
  }

  /**
   * Atlassian's rate-limit headers (developer.atlassian.com/cloud/jira/platform/rate-limiting/):
   * X-RateLimit-Limit and -Remaining on every answer, X-RateLimit-NearLimit when less than a fifth
   * of the budget is left; a 429 also carries Retry-After, RateLimit-Reason and X-RateLimit-Reset,
   * "the request timestamp plus the Retry-After period ... in the format yyyy-MM-ddTHH:mmZ", a
   * time to the minute (written here as Jira's formatter would, dropping the seconds).
   */
  private decorate(req: FakeRequest, res: FakeResponse): void {
    if (!this.window) return;
    const state = this.rate.get(req.seq) ?? {remaining: this.window.perMinute, resetSeconds: 60};
    this.rate.delete(req.seq);
    res.headers = {...res.headers, 'x-ratelimit-limit': String(this.window.perMinute), 'x-ratelimit-remaining': String(state.remaining)};
    if (res.status === 429) res.headers['x-ratelimit-reset'] = new Date(this.now() + state.resetSeconds * 1000).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
    if (state.remaining < this.window.perMinute * 0.2) res.headers['x-ratelimit-nearlimit'] = 'true';
  }

  /* ---- users, fields, desks ---- */

  private userJson(u: FakeUser): Record<string, unknown> {
    return {self: `${this.url}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`, accountId: u.accountId, accountType: u.accountType, emailAddress: u.email, displayName: u.displayName, active: true, timeZone: 'Europe/Berlin', locale: 'en_US'};
  }

  private sdUserJson(accountId: string): Record<string, unknown> {
    const u = this.users.find((x) => x.accountId === accountId)!;
    return {accountId: u.accountId, emailAddress: u.email, displayName: u.displayName, active: true, timeZone: 'Europe/Berlin', _links: {jiraRest: `${this.url}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`, self: `${this.url}/rest/api/2/user?accountId=${encodeURIComponent(u.accountId)}`}};
  }

  private fieldName(id: string): string {
    return CUSTOM_FIELDS.find((f) => f.id === id)?.name ?? id[0]!.toUpperCase() + id.slice(1);
  }

  private fieldsJson(): Record<string, unknown>[] {
    const system = ['summary', 'description', 'status', 'priority', 'assignee', 'reporter', 'labels', 'created', 'updated', 'attachment'].map((id) => ({id, key: id, name: this.fieldName(id), custom: false, orderable: true, navigable: true, searchable: true, clauseNames: [id], schema: {type: id === 'labels' ? 'array' : 'string', system: id}}));
    const custom = [REQUEST_TYPE_FIELD, ...CUSTOM_FIELDS].map((f) => ({id: f.id, key: f.id, name: f.name, custom: true, orderable: true, navigable: true, searchable: true, clauseNames: [`cf[${f.schema.customId}]`, f.name], schema: {type: f.schema.type, custom: f.schema.custom, customId: f.schema.customId}}));
    return [...system, ...custom];
  }

  private desk(idOrKey: string) {
    const key = idOrKey.replace(/^(projectKey|serviceDeskId|projectId):/, '');
    return this.desks.find((d) => d.id === key || d.projectKey === key || d.projectId === key);
  }

  private deskJson(d: (typeof this.desks)[number]): Record<string, unknown> {
    return {id: d.id, projectId: d.projectId, projectKey: d.projectKey, projectName: d.projectName, _links: {self: `${this.url}/rest/servicedeskapi/servicedesk/${d.id}`}};
  }

  private requestTypeJson(t: (typeof REQUEST_TYPES)[number]): Record<string, unknown> {
    return {id: t.id, name: t.name, description: `${t.name}.`, helpText: '', issueTypeId: t.issueTypeId, serviceDeskId: '1', portalId: '1', groupIds: ['1'], _links: {self: `${this.url}/rest/servicedeskapi/servicedesk/1/requesttype/${t.id}`}};
  }

  /** A Service Desk API page over a list, by start and limit (at most 100). */
  private page<T>(all: readonly T[], req: FakeRequest): Record<string, unknown> {
    const start = Number(str(req.query.start) ?? 0);
    const limit = Math.min(100, Number(str(req.query.limit) ?? 50));
    const values = all.slice(start, start + limit);
    const last = start + values.length >= all.length;
    const base = `${this.url}/rest/servicedeskapi`;
    return {_expands: [], size: values.length, start, limit, isLastPage: last, _links: {base, context: '', ...(last ? {} : {next: `${this.url}${req.path}?start=${start + limit}&limit=${limit}`}), ...(start > 0 ? {prev: `${this.url}${req.path}?start=${Math.max(0, start - limit)}&limit=${limit}`} : {})}, values};
  }

  /* ---- requests ---- */

  private statusJson(s: StatusDef): Record<string, unknown> {
    const cat = {new: {id: 2, name: 'To Do', colorName: 'blue-gray'}, indeterminate: {id: 4, name: 'In Progress', colorName: 'yellow'}, done: {id: 3, name: 'Done', colorName: 'green'}}[s.category];
    return {self: `${this.url}/rest/api/3/status/${s.id}`, description: '', iconUrl: `${this.url}/images/icons/status.png`, name: s.name, id: s.id, statusCategory: {self: `${this.url}/rest/api/3/statuscategory/${cat.id}`, id: cat.id, key: s.category, colorName: cat.colorName, name: cat.name}};
  }

  private adf(text: string): Record<string, unknown> {
    return {type: 'doc', version: 1, content: text.split('\n').map((line) => ({type: 'paragraph', content: line ? [{type: 'text', text: line}] : []}))};
  }

  private customValue(id: string, value: unknown): unknown {
    if (value === undefined || value === null) return null;
    if (id === 'customfield_10053') return {self: `${this.url}/rest/api/3/customFieldOption/1`, value, id: String(CUSTOM_FIELDS[3].options.indexOf(value as 'Low') + 10100)};
    return value;
  }

  issueJson(i: StoredIssue, only?: string[]): Record<string, unknown> {
    const rt = REQUEST_TYPES.find((t) => t.id === i.requestTypeId)!;
    const all: Record<string, unknown> = {
      summary: i.summary,
      description: i.description ? this.adf(i.description) : null,
      status: this.statusJson(status(i.status)),
      priority: i.priority ? {self: `${this.url}/rest/api/3/priority/${PRIORITIES.indexOf(i.priority) + 1}`, name: i.priority, id: String(PRIORITIES.indexOf(i.priority) + 1)} : null,
      assignee: i.assignee ? this.userJson(this.users.find((u) => u.accountId === i.assignee)!) : null,
      reporter: this.userJson(this.users.find((u) => u.accountId === i.reporter)!),
      labels: [...i.labels],
      created: jiraTime(i.created),
      updated: jiraTime(i.updated),
      attachment: i.attachments.map((a) => ({self: `${this.url}/rest/api/3/attachment/${a.id}`, id: a.id, filename: a.filename, author: this.userJson(this.users.find((u) => u.accountId === a.author)!), created: jiraTime(a.created), size: a.size, mimeType: a.mimeType, content: `${this.url}/rest/api/3/attachment/content/${a.id}`})),
      [REQUEST_TYPE_FIELD.id]: {_links: {}, requestType: {id: rt.id, name: rt.name, description: `${rt.name}.`, helpText: '', issueTypeId: rt.issueTypeId, serviceDeskId: '1', groupIds: ['1']}, currentStatus: {status: i.status, statusCategory: status(i.status).category.toUpperCase(), statusDate: dateDto(i.history.at(-1)!.at)}},
    };
    for (const f of CUSTOM_FIELDS) all[f.id] = this.customValue(f.id, i.custom.get(f.id));
    const fields = only && !only.includes('*all') ? Object.fromEntries(Object.entries(all).filter(([k]) => only.includes(k))) : all;
    return {expand: 'renderedFields,names,schema,operations,editmeta,changelog', id: i.id, self: `${this.url}/rest/api/3/issue/${i.id}`, key: i.key, fields};
  }

  private requestJson(i: StoredIssue): Record<string, unknown> {
    const s = status(i.status);
    return {
      _expands: ['participant', 'status', 'sla', 'requestType', 'serviceDesk', 'attachment', 'action', 'comment'],
      issueId: i.id,
      issueKey: i.key,
      summary: i.summary,
      requestTypeId: i.requestTypeId,
      serviceDeskId: '1',
      createdDate: dateDto(i.created),
      reporter: this.sdUserJson(i.reporter),
      requestFieldValues: [{fieldId: 'summary', label: 'What do you need?', value: i.summary}, {fieldId: 'description', label: 'Why do you need this?', value: i.description, renderedValue: {html: `<p>${i.description}</p>`}}],
      currentStatus: {status: s.name, statusCategory: s.category.toUpperCase(), statusDate: dateDto(i.history.at(-1)!.at)},
      _links: {jiraRest: `${this.url}/rest/api/2/issue/${i.id}`, web: `${this.url}/servicedesk/customer/portal/1/${i.key}`, agent: `${this.url}/browse/${i.key}`, self: `${this.url}/rest/servicedeskapi/request/${i.id}`},
    };
  }

  private commentJson(i: StoredIssue, c: StoredComment): Record<string, unknown> {
    return {_expands: ['attachment', 'renderedBody'], id: c.id, body: c.body, public: c.public, author: this.sdUserJson(c.author), created: dateDto(c.created), _links: {self: `${this.url}/rest/servicedeskapi/request/${i.id}/comment/${c.id}`}};
  }

  private addComment(i: StoredIssue, author: string, body: string, isPublic: boolean): StoredComment {
    const c = {id: String(this.next.comment++), author, body, public: isPublic, created: this.now()};
    i.comments.push(c);
    i.updated = c.created;
    return c;
  }

  private setStatus(i: StoredIssue, name: string): void {
    i.status = name;
    i.updated = this.now();
    i.history.push({at: i.updated, status: name});
  }

  /** The transitions from the issue's status, as GET .../transitions and getIssue's expand=transitions give them. */
  private transitionsJson(i: StoredIssue) {
    return this.available(i).map((t) => ({id: t.id, name: t.name, to: this.statusJson(status(t.to)), hasScreen: false, isGlobal: !t.from, isInitial: false, isAvailable: true, isConditional: false, isLooped: false}));
  }

  private available(i: StoredIssue) {
    const from = status(i.status);
    return TRANSITIONS.filter((t) => t.to !== i.status && (t.from ? t.from.includes(i.status) : from.category !== 'done'));
  }

  /** Sets fields as the edit screen allows; the first problem per field, as Jira's ErrorCollection. */
  private applyFields(i: StoredIssue, fields: Record<string, unknown>, allowed: (id: string) => boolean): Record<string, string> {
    const errors: Record<string, string> = {};
    for (const [id, value] of Object.entries(fields)) {
      if (!allowed(id)) {
        errors[id] = `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`;
        continue;
      }
      if (id === 'summary') {
        if (typeof value !== 'string' || !value.trim()) errors.summary = 'You must specify a summary of the issue.';
        else i.summary = value;
      } else if (id === 'description') i.description = typeof value === 'string' ? value : '';
      else if (id === 'priority') {
        const name = (value as {name?: string; id?: string} | null)?.name ?? PRIORITIES[Number((value as {id?: string} | null)?.id) - 1];
        if (!name || !PRIORITIES.includes(name)) errors.priority = 'Specify a valid priority name or id.';
        else i.priority = name;
      } else if (id === 'assignee') {
        const account = (value as {accountId?: string} | null)?.accountId;
        if (value === null) i.assignee = null;
        else if (!this.users.some((u) => u.accountId === account && u.accountType === 'atlassian')) errors.assignee = `User '${account}' cannot be assigned issues.`;
        else i.assignee = account!;
      } else if (id === 'labels') i.labels = [...new Set((value as string[]) ?? [])].sort();
      else if (id === REQUEST_TYPE_FIELD.id) {
        const rt = REQUEST_TYPES.find((t) => t.id === String(value));
        if (!rt) errors[id] = 'The request type is not valid for this project.';
        else i.requestTypeId = rt.id;
      } else {
        const f = CUSTOM_FIELDS.find((x) => x.id === id)!;
        if (value === null) i.custom.delete(id);
        else if (f.schema.type === 'number' && typeof value !== 'number') errors[id] = 'Operation value must be a number.';
        else if (f.schema.type === 'option' && !(f as {options?: readonly string[]}).options!.includes((value as {value?: string})?.value ?? '')) errors[id] = `Option value '${String((value as {value?: string})?.value)}' is not valid.`;
        else if (f.schema.type === 'string' && typeof value !== 'string') errors[id] = 'Operation value must be a string.';
        else i.custom.set(id, f.schema.type === 'option' ? (value as {value: string}).value : value);
      }
    }
    return errors;
  }

  private editable = (id: string) => ['summary', 'description', 'priority', 'assignee', 'labels', REQUEST_TYPE_FIELD.id, ...CUSTOM_FIELDS.map((f) => f.id)].includes(id);

  private create(req: FakeRequest): FakeResponse {
    const me = this.caller(req)!;
    const body = req.body as {serviceDeskId: string; requestTypeId: string; requestFieldValues?: Record<string, unknown>};
    const desk = this.desk(body.serviceDeskId);
    if (!desk) return sdError(404, 'The service desk does not exist.');
    const rt = desk.id === '1' ? REQUEST_TYPES.find((t) => t.id === body.requestTypeId) : undefined;
    if (!rt) return sdError(400, `The request type ${body.requestTypeId} does not exist in this service desk.`);
    const values = body.requestFieldValues ?? {};
    const off = Object.keys(values).find((id) => !rt.form.includes(id));
    if (off) return sdError(400, `${this.fieldName(off)}: the field ${off} is not on the form of the request type ${rt.name}.`);
    if (typeof values.summary !== 'string' || !values.summary.trim()) return sdError(400, 'Summary: You must specify a summary of the issue.');
    const now = this.now();
    const number = this.next.number++;
    const i: StoredIssue = {id: String(this.next.issue++), key: `ITSM-${number}`, summary: '', description: '', status: 'Waiting for support', priority: 'Medium', assignee: null, reporter: me.accountId, labels: [], requestTypeId: rt.id, custom: new Map(), created: now, updated: now, comments: [], attachments: [], history: [{at: now, status: 'Waiting for support'}]};
    const errors = this.applyFields(i, values, () => true);
    if (Object.keys(errors).length) {
      const [field, why] = Object.entries(errors)[0]!;
      return sdError(400, `${this.fieldName(field)}: ${why}`);
    }
    this.issues.set(i.key, i);
    return {status: 201, body: this.requestJson(i)};
  }

  private edit(req: FakeRequest): FakeResponse {
    const i = this.issue(req.params.issueIdOrKey!);
    if (!i) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
    const body = req.body as {fields?: Record<string, unknown>; update?: Record<string, {add?: unknown; remove?: unknown; set?: unknown}[]>};
    const draft: StoredIssue = {...i, labels: [...i.labels], custom: new Map(i.custom)};
    const errors = this.applyFields(draft, body.fields ?? {}, this.editable);
    for (const [id, ops] of Object.entries(body.update ?? {})) {
      if (id !== 'labels') {
        errors[id] = `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`;
        continue;
      }
      for (const op of ops) {
        if (typeof op.add === 'string') {
          if (/\s/.test(op.add)) errors.labels = 'The label must not contain spaces.';
          else if (!draft.labels.includes(op.add)) draft.labels.push(op.add);
        }
        if (typeof op.remove === 'string') draft.labels = draft.labels.filter((l) => l !== op.remove);
        if (Array.isArray(op.set)) draft.labels = [...new Set(op.set as string[])];
      }
      // Jira answers an issue's labels in alphabetical order.
      draft.labels.sort();
    }
    if (Object.keys(errors).length) return jiraError(400, [], errors);
    Object.assign(i, draft, {updated: this.now()});
    return {status: 204};
  }

  private attachTemporary(req: FakeRequest): FakeResponse {
    const desk = this.desk(req.params.serviceDeskId!);
    if (!desk) return sdError(404, 'The service desk does not exist.');
    const boundary = /boundary="?([^";]+)"?/.exec(req.contentType ?? '')![1]!;
    const text = req.raw.toString('latin1');
    const start = text.indexOf('\r\n\r\n') + 4;
    const end = text.lastIndexOf(`\r\n--${boundary}--`);
    const headers = text.slice(0, start);
    const filename = Buffer.from(/filename="([^"]*)"/.exec(headers)?.[1] ?? 'file', 'latin1').toString('utf8');
    const mimeType = /Content-Type: ([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream';
    const id = `temp${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    this.temporary.set(id, {deskId: desk.id, filename, size: end - start, mimeType, expires: this.now() + (this.options.temporaryFileTtlMs ?? 3_600_000)});
    return {status: 201, body: {temporaryAttachments: [{temporaryAttachmentId: id, fileName: filename}]}};
  }

  private attach(req: FakeRequest): FakeResponse {
    const i = this.issue(req.params.issueIdOrKey!);
    if (!i) return sdError(404, 'The request does not exist.');
    const me = this.caller(req)!;
    const body = req.body as {temporaryAttachmentIds: string[]; public: boolean; additionalComment?: {body?: string}};
    const files = body.temporaryAttachmentIds.map((id) => this.temporary.get(id));
    if (files.some((f) => !f || f.expires < this.now() || f.deskId !== '1')) return sdError(400, 'One or more temporary attachments could not be found or have expired.');
    const now = this.now();
    const stored = files.map((f) => ({id: String(this.next.attachment++), filename: f!.filename, size: f!.size, mimeType: f!.mimeType, author: me.accountId, created: now}));
    for (const id of body.temporaryAttachmentIds) this.temporary.delete(id);
    i.attachments.push(...stored);
    const comment = this.addComment(i, me.accountId, body.additionalComment?.body ?? stored.map((a) => `[^${a.filename}]`).join(' '), body.public);
    return {
      status: 201,
      body: {
        attachments: this.page(stored.map((a) => ({filename: a.filename, author: this.sdUserJson(a.author), created: dateDto(a.created), size: a.size, mimeType: a.mimeType, _links: {jiraRest: `${this.url}/rest/api/2/attachment/${a.id}`, content: `${this.url}/servicedesk/customershim/secure/attachment/${a.id}/${encodeURIComponent(a.filename)}`}})), {...req, query: {}}),
        comment: this.commentJson(i, comment),
      },
    };
  }

  /* ---- SLA: first response and resolution, goals by priority, round the clock ---- */

  private slas(i: StoredIssue): Record<string, unknown>[] {
    const now = this.now();
    const goals = GOALS[i.priority ?? 'Medium']!;
    const out: Record<string, unknown>[] = [];
    const firstGoal = goals.first * 3_600_000;
    const reply = i.comments.find((c) => c.public && this.users.find((u) => u.accountId === c.author)?.accountType === 'atlassian');
    if (reply) {
      const elapsed = reply.created - i.created;
      out.push({id: '1', name: 'Time to first response', completedCycles: [{startTime: dateDto(i.created), stopTime: dateDto(reply.created), breachTime: dateDto(i.created + firstGoal), breached: elapsed > firstGoal, goalDuration: duration(firstGoal), elapsedTime: duration(elapsed), remainingTime: duration(firstGoal - elapsed)}], _links: {self: `${this.url}/rest/servicedeskapi/request/${i.id}/sla/1`}});
    } else {
      const elapsed = now - i.created;
      out.push({id: '1', name: 'Time to first response', completedCycles: [], ongoingCycle: {startTime: dateDto(i.created), breachTime: dateDto(i.created + firstGoal), breached: elapsed > firstGoal, paused: false, withinCalendarHours: false, goalDuration: duration(firstGoal), elapsedTime: duration(elapsed), remainingTime: duration(firstGoal - elapsed)}, _links: {self: `${this.url}/rest/servicedeskapi/request/${i.id}/sla/1`}});
    }
    // Resolution pauses while the request waits for the customer, and stops when it is done.
    const goal = goals.resolution * 3_600_000;
    let elapsed = 0;
    let stoppedAt: number | undefined;
    for (let k = 0; k < i.history.length; k++) {
      const from = i.history[k]!;
      const to = i.history[k + 1]?.at ?? now;
      if (status(from.status).category === 'done') {
        stoppedAt = from.at;
        break;
      }
      if (from.status !== 'Waiting for customer') elapsed += to - from.at;
    }
    const self = {self: `${this.url}/rest/servicedeskapi/request/${i.id}/sla/2`};
    if (stoppedAt !== undefined) {
      out.push({id: '2', name: 'Time to resolution', completedCycles: [{startTime: dateDto(i.created), stopTime: dateDto(stoppedAt), breachTime: dateDto(i.created + goal), breached: elapsed > goal, goalDuration: duration(goal), elapsedTime: duration(elapsed), remainingTime: duration(goal - elapsed)}], _links: self});
    } else {
      const paused = i.status === 'Waiting for customer';
      // Paused, the cycle has no breach time: it moves when the clock resumes (as in JSM's own example).
      out.push({id: '2', name: 'Time to resolution', completedCycles: [], ongoingCycle: {startTime: dateDto(i.created), ...(paused ? {} : {breachTime: dateDto(now + goal - elapsed)}), breached: elapsed > goal, paused, withinCalendarHours: false, goalDuration: duration(goal), elapsedTime: duration(elapsed), remainingTime: duration(goal - elapsed)}, _links: self});
    }
    return out;
  }

  /* ---- JQL: the part of the language the adapter writes ---- */

  private search(req: FakeRequest): FakeResponse {
    const body = req.body as {jql?: string; fields?: string[]; maxResults?: number; nextPageToken?: string; reconcileIssues?: number[]};
    const jql = body.jql ?? '';
    const [where = '', order = ''] = jql.split(/\s+ORDER BY\s+/i);
    const clauses = where.split(/\s+AND\s+/i).map((c) => c.trim()).filter(Boolean);
    if (!clauses.some((c) => /^project\s*=/.test(c))) return jiraError(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
    const literal = (text: string) => JSON.parse(text) as string;
    const me = this.caller(req)!;
    const lag = this.options.searchLagMs ?? 0;
    const reconcile = new Set((body.reconcileIssues ?? []).map(String));
    let found = [...this.issues.values()].filter((i) => i.updated <= this.now() - lag || reconcile.has(i.id));
    const user = (value: string) => (value === 'currentUser()' ? me.accountId : literal(value));
    for (const c of clauses) {
      let m: RegExpExecArray | null;
      if ((m = /^project = ("[^"]*")$/.exec(c))) found = found.filter((i) => i.key.startsWith(`${literal(m![1]!)}-`));
      else if ((m = /^statusCategory in \((.+)\)$/.exec(c))) {
        const cats = m[1]!.split(/,\s*/).map(literal);
        found = found.filter((i) => cats.includes(status(i.status).category));
      } else if ((m = /^priority in \((.+)\)$/.exec(c))) {
        const names = m[1]!.split(/,\s*/).map(literal);
        found = found.filter((i) => names.includes(i.priority ?? ''));
      } else if ((m = /^labels = ("(?:[^"\\]|\\.)*")$/.exec(c))) {
        const label = literal(m[1]!);
        found = found.filter((i) => i.labels.includes(label));
      } else if ((m = /^(assignee|reporter) is EMPTY$/.exec(c))) {
        const field = m[1] as 'assignee' | 'reporter';
        found = found.filter((i) => !i[field]);
      } else if ((m = /^(assignee|reporter) = (currentUser\(\)|"[^"]*")$/.exec(c))) {
        const field = m[1] as 'assignee' | 'reporter';
        const id = user(m[2]!);
        found = found.filter((i) => i[field] === id);
      } else if ((m = /^text ~ ("(?:[^"\\]|\\.)*")$/.exec(c))) {
        const words = literal(m[1]!).toLowerCase().split(/\s+/).filter(Boolean);
        found = found.filter((i) => words.every((w) => [i.summary, i.description, ...i.comments.map((x) => x.body)].join('\n').toLowerCase().includes(w)));
      } else return jiraError(400, [`Error in the JQL Query: the fake does not know the clause '${c}'.`]);
    }
    if (order && !/^created DESC$/i.test(order.trim())) return jiraError(400, [`Error in the JQL Query: the fake orders only by created DESC, not '${order}'.`]);
    found.sort((a, b) => b.created - a.created || Number(b.id) - Number(a.id));
    const offset = body.nextPageToken ? Number(Buffer.from(body.nextPageToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) return jiraError(400, ['The nextPageToken is not valid.']);
    const max = Math.min(body.maxResults ?? 50, 100);
    const page = found.slice(offset, offset + max);
    const more = offset + max < found.length;
    const fields = body.fields?.length ? body.fields : ['id'];
    return {status: 200, body: {issues: page.map((i) => this.issueJson(i, fields)), isLast: !more, ...(more ? {nextPageToken: Buffer.from(String(offset + max)).toString('base64url')} : {})}};
  }

  /** Requests made directly in the store (for pagination tests and the benchmark), a second apart, oldest first. */
  seedRequests(count: number, make: (i: number) => {summary: string; labels?: string[]; status?: string; priority?: string} = (i) => ({summary: `Seeded ${i}`})): string[] {
    const keys: string[] = [];
    const start = this.now() - count * 1000;
    for (let k = 0; k < count; k++) {
      const m = make(k);
      const at = start + k * 1000;
      const number = this.next.number++;
      const i: StoredIssue = {id: String(this.next.issue++), key: `ITSM-${number}`, summary: m.summary, description: m.summary, status: m.status ?? 'Waiting for support', priority: m.priority ?? 'Medium', assignee: null, reporter: this.users[2]!.accountId, labels: m.labels ?? [], requestTypeId: '10', custom: new Map(), created: at, updated: at, comments: [], attachments: [], history: [{at, status: m.status ?? 'Waiting for support'}]};
      this.issues.set(i.key, i);
      keys.push(i.key);
    }
    return keys;
  }

  /* ---- knowledge base ---- */

  addArticle(a: {title: string; html: string; spaceKey?: string}): FakeArticle {
    const article = {pageId: String(this.next.page++), spaceKey: 'IT', updated: this.now(), ...a};
    this.articles.push(article);
    return article;
  }

  private searchArticles(req: FakeRequest): FakeResponse {
    const words = ((str(req.query.query) ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
    const highlight = str(req.query.highlight) === 'true';
    const limit = Number(str(req.query.limit) ?? 50);
    const text = (html: string) => html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    const mark = (s: string) => (highlight ? words.reduce((out, w) => out.replace(new RegExp(`(${w})`, 'gi'), '@@@hl@@@$1@@@endhl@@@'), s) : s);
    const scored = this.articles
      .map((a) => ({a, score: words.reduce((n, w) => n + (a.title.toLowerCase().includes(w) ? 3 : 0) + (text(a.html).toLowerCase().includes(w) ? 1 : 0), 0)}))
      .filter((x) => x.score > 0)
      .sort((x, y) => y.score - x.score || Number(x.a.pageId) - Number(y.a.pageId));
    const values = scored.slice(0, limit).map(({a}) => ({title: mark(a.title), excerpt: mark(text(a.html).slice(0, 160)), source: {type: 'confluence', pageId: a.pageId, spaceKey: a.spaceKey}, content: {iframeSrc: `${this.url}/rest/servicedeskapi/knowledgebase/article/view/${a.pageId}`}}));
    return {status: 200, body: {_expands: [], size: values.length, start: 0, limit, isLastPage: scored.length <= limit, _links: {base: `${this.url}/rest/servicedeskapi`, context: ''}, values}};
  }
}

export async function startJsmFake(options: JsmFakeOptions = {}): Promise<JsmFake> {
  return new JsmFake(options).start();
}
