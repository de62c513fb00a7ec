import {createHash, randomBytes} from 'node:crypto';
import {Readable} from 'node:stream';

import {AuthError, NotFoundError, RateLimitError, RejectedError, SupportError, UnavailableError, UsageError} from '../../domain/errors.js';
import {
  assertStatusChange,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  TICKET_TYPES,
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
  type TicketType,
  type TicketWithComments,
} from '../../domain/ticket.js';
import {unsupported} from '../capabilities.js';
import type {AttachmentSource, Backend, CallOptions, CreateOptions, TicketApi, UpdateOptions} from '../backend.js';
import type {JsmApi} from './api.js';
import {requestKey} from './errors.js';
import {
  attachmentNote,
  attachmentsIn,
  BUILT_IN_FIELDS,
  commentIn,
  customValueOut,
  issueFields,
  priorityNames,
  priorityOut,
  statusIn,
  ticketIn,
  type FieldCatalog,
  type JiraIssue,
  type JiraTransition,
  type MapContext,
  type SdComment,
  type SdPage,
  type SdRequestType,
} from './map.js';

/** Issues per JQL search page (the enhanced search answers at most 100 with fields). */
const SEARCH_PAGE = 100;

/** Where a list continues: the JQL it runs, the page token it was at (null: the first page), and how many of that page were taken. */
interface ListCursor {
  q: string;
  t: string | null;
  i: number;
}

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): ListCursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
    if (typeof c.q === 'string' && (c.t === null || typeof c.t === 'string') && Number.isInteger(c.i) && c.i >= 0) return c;
  } catch {
    // reported below
  }
  throw new UsageError('That cursor is not one this command gave out.', {hint: 'Pass the nextCursor value of the previous page unchanged, with the same filters.'});
}

/** A JQL string literal. */
const jqlString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The statuses of a category, in JQL's names; a toolkit status is found by category first and checked by name here. */
const CATEGORY: Record<TicketStatus, string> = {new: 'new', open: 'indeterminate', pending: 'indeterminate', on_hold: 'indeterminate', solved: 'done', closed: 'done'};

/** Categories a transition may lead to when no status of the workflow reads exactly as the target. */
const FALLBACK: Partial<Record<TicketStatus, string[]>> = {open: ['indeterminate', 'new'], closed: ['done']};

const ME = '@me';

/** The toolkit's types and the request type each stands for: `incident:Report an incident,question:12`. */
export function parseTypeMap(text: string | undefined): Map<TicketType, string> {
  const map = new Map<TicketType, string>();
  for (const part of (text ?? '').split(',')) {
    if (!part.trim()) continue;
    const colon = part.indexOf(':');
    const type = part.slice(0, colon).trim().toLowerCase();
    const target = part.slice(colon + 1).trim();
    if (colon === -1 || !target || !(TICKET_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`"${part.trim()}" in the option type-map is not TYPE:REQUEST-TYPE.`, {hint: `Write it as --option type-map=incident:Report an incident,question:Get IT help (types: ${TICKET_TYPES.join(', ')}).`});
    }
    map.set(type as TicketType, target);
  }
  return map;
}

const sameRequestType = (rt: {id?: string; name?: string}, named: string) => rt.id === named || rt.name?.toLowerCase() === named.toLowerCase();

/** Requests through the Service Desk API (create, comments, attachments) and the platform API (fields, transitions, JQL). */
export class JsmTickets implements TicketApi {
  private readonly typeMap: Map<TicketType, string>;

  constructor(
    private readonly api: JsmApi,
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {
    this.typeMap = parseTypeMap(api.settings.typeMap);
  }

  private async context(): Promise<MapContext> {
    const fields = await this.api.fields();
    return {fields, requestTypes: new Map(), typeOf: (rt) => this.typeOfRequestType(rt)};
  }

  /** The toolkit type of a request type: the first the type-map names it for, else question. */
  private typeOfRequestType(rt: {id?: string; name?: string} | undefined): TicketType {
    if (!rt?.id && !rt?.name) return 'question';
    for (const [type, named] of this.typeMap) if (sameRequestType(rt, named)) return type;
    return 'question';
  }

  /** The request type of a new request: --type through the type-map, else the profile's request-type, else the desk's only one. */
  private async requestTypeFor(type: TicketType | undefined): Promise<SdRequestType> {
    const types = await this.api.requestTypes();
    const desk = await this.api.serviceDesk();
    const list = () => types.map((t) => `${t.name} (${t.id})`).join(', ');
    const find = (named: string, how: string) => {
      const rt = types.find((t) => sameRequestType(t, named));
      if (!rt) throw new UsageError(`The service desk ${desk.projectKey} has no request type "${named}" (${how}).`, {hint: `Its request types are: ${list()}.`});
      return rt;
    };
    if (type) {
      const mapped = this.typeMap.get(type);
      if (mapped) return find(mapped, 'the option type-map');
      if (type !== 'question' || !this.api.settings.requestType) {
        throw new UsageError(`No request type of the service desk ${desk.projectKey} stands for the type ${type}.`, {
          hint: `Map one in the profile: --option type-map=${type}:NAME; the desk's request types are: ${list()}.`,
        });
      }
    }
    if (this.api.settings.requestType) return find(this.api.settings.requestType, 'the option request-type');
    const question = this.typeMap.get('question');
    if (question) return find(question, 'the option type-map');
    if (types.length === 1) return types[0]!;
    throw new UsageError(`The profile "${this.api.profile}" does not say which request type new requests get.`, {
      hint: `Add it again with --option request-type=NAME; the desk's request types are: ${list()}.`,
    });
  }

  async create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    const [desk, catalog, requestType] = await Promise.all([this.api.serviceDesk(), this.api.fields(), this.requestTypeFor(input.type)]);
    const form = await this.api.requestTypeFields(desk.id, requestType.id);
    const edit = await this.editOf({priority: input.priority, assignee: input.assignee ?? undefined, addTags: input.tags, fields: input.fields}, catalog, true);
    const requestFieldValues: Record<string, unknown> = {summary: input.title, description: input.body};
    // What the request type's form has goes with the create; the rest is set on the issue after.
    for (const [id, value] of Object.entries(edit.fields)) {
      if (!form.has(id)) continue;
      requestFieldValues[id] = value;
      delete edit.fields[id];
    }
    if (edit.update.labels && form.has('labels')) {
      requestFieldValues.labels = edit.update.labels.flatMap((l) => ('add' in l ? [l.add] : []));
      delete edit.update.labels;
    }
    const created = await this.api.call<{issueId: string; issueKey: string}>(
      // No idempotency key in JSM: a create is never sent twice once it may have arrived.
      {method: 'POST', path: 'rest/servicedeskapi/request', json: {serviceDeskId: desk.id, requestTypeId: requestType.id, requestFieldValues}, attempts: options.attempts},
      {action: 'create the request'},
    );
    this.api.noteWrite(created.issueId);
    if (Object.keys(edit.fields).length || Object.keys(edit.update).length) {
      try {
        await this.api.call({method: 'PUT', path: `rest/api/3/issue/${created.issueKey}`, json: edit, attempts: options.attempts}, {subject: `request ${created.issueKey}`, action: `set the fields of ${created.issueKey}`});
      } catch (error) {
        throw partial(created.issueKey, error);
      }
    }
    return this.get(created.issueKey, options);
  }

  private async issue(key: string, options: CallOptions = {}, fields?: string[], expand?: string): Promise<JiraIssue & {transitions?: JiraTransition[]}> {
    const catalog = await this.api.fields();
    return this.api.call<JiraIssue & {transitions?: JiraTransition[]}>(
      {method: 'GET', path: `rest/api/3/issue/${encodeURIComponent(key)}`, query: {fields: (fields ?? issueFields(catalog)).join(','), ...(expand ? {expand} : {})}, attempts: options.attempts},
      {subject: `request ${key}`, action: `read ${key}`},
    );
  }

  /** Every comment of a request, public and internal, oldest first. */
  private async comments(key: string, options: CallOptions = {}): Promise<SdComment[]> {
    const out: SdComment[] = [];
    for (let start = 0; ; ) {
      const page = await this.api.call<SdPage<SdComment>>(
        {method: 'GET', path: `rest/servicedeskapi/request/${encodeURIComponent(key)}/comment`, query: {public: 'true', internal: 'true', start, limit: 100}, attempts: options.attempts},
        {subject: `request ${key}`, action: `read the comments of ${key}`},
      );
      out.push(...page.values);
      if (page.isLastPage !== false || page.values.length === 0) return out;
      start += page.values.length;
    }
  }

  async get(id: string, options: CallOptions = {}): Promise<Ticket> {
    const key = requestKey(id);
    const [issue, ctx] = await Promise.all([this.issue(key, options), this.context()]);
    // The comments hold only the files' checksums: a request without files needs no second read.
    const comments = issue.fields.attachment?.length ? await this.comments(issue.key, options) : [];
    return ticketIn(issue, ctx, attachmentsIn(issue, comments));
  }

  async view(id: string, options: CallOptions = {}): Promise<TicketWithComments> {
    const key = requestKey(id);
    const [issue, comments, ctx] = await Promise.all([this.issue(key, options), this.comments(key, options), this.context()]);
    return {...ticketIn(issue, ctx, attachmentsIn(issue, comments)), comments: comments.map((c) => commentIn(issue.key, c))};
  }

  /** The JQL of a query: the desk's project, each filter JQL can say, newest first. Undefined when a named user does not exist (nothing matches). */
  private async jql(query: TicketQuery): Promise<string | undefined> {
    const desk = await this.api.serviceDesk();
    const clauses = [`project = ${jqlString(desk.projectKey)}`];
    if (query.status?.length) clauses.push(`statusCategory in (${[...new Set(query.status.map((s) => jqlString(CATEGORY[s])))].join(', ')})`);
    if (query.priority?.length) clauses.push(`priority in (${query.priority.flatMap(priorityNames).map(jqlString).join(', ')})`);
    for (const tag of query.tags ?? []) clauses.push(`labels = ${jqlString(tag)}`);
    for (const [field, value] of [['assignee', query.assignee], ['reporter', query.requester]] as const) {
      if (!value) continue;
      if (value === ME) clauses.push(`${field} = currentUser()`);
      else if (value === 'none') clauses.push(`${field} is EMPTY`);
      else {
        const user = await this.api.user(value);
        if (!user?.accountId) return undefined;
        clauses.push(`${field} = ${jqlString(user.accountId)}`);
      }
    }
    if (query.search?.trim()) clauses.push(`text ~ ${jqlString(query.search.trim())}`);
    return `${clauses.join(' AND ')} ORDER BY created DESC`;
  }

  /**
   * The enhanced JQL search (POST /rest/api/3/search/jql), newest first, through its
   * nextPageToken. A status the toolkit tells apart within a category (pending, on hold) is
   * checked here on each result, so a page may take more than one request. Issues this run wrote
   * to are reconciled: the search index may not have them yet.
   */
  async list(query: TicketQuery): Promise<TicketPage> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
    const jql = await this.jql(query);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (cursor && jql !== undefined && cursor.q !== jql) throw new UsageError('That cursor belongs to a list with other filters.', {hint: 'Pass a cursor with the same filters it was given out with.'});
    if (jql === undefined) return {tickets: [], nextCursor: null};
    const ctx = await this.context();
    const fields = issueFields(ctx.fields);
    let token = cursor?.t ?? null;
    let index = cursor?.i ?? 0;
    const found: Ticket[] = [];
    for (;;) {
      const page = await this.api.call<{issues?: JiraIssue[]; nextPageToken?: string; isLast?: boolean}>(
        {
          method: 'POST',
          path: 'rest/api/3/search/jql',
          json: {jql, fields, maxResults: SEARCH_PAGE, ...(token ? {nextPageToken: token} : {}), ...(this.api.written.length ? {reconcileIssues: [...this.api.written]} : {})},
          // A search changes nothing: safe to send again.
          repeatable: true,
        },
        {action: 'search requests'},
      );
      const issues = page.issues ?? [];
      let consumed = index;
      for (; consumed < issues.length && found.length < limit; consumed++) {
        const ticket = ticketIn(issues[consumed]!, ctx);
        if (!query.status?.length || query.status.includes(ticket.status)) found.push(ticket);
      }
      const more = Boolean(page.nextPageToken) && page.isLast !== true;
      if (consumed < issues.length) return {tickets: found, nextCursor: encodeCursor({q: jql, t: token, i: consumed})};
      if (!more) return {tickets: found, nextCursor: null};
      token = page.nextPageToken!;
      index = 0;
      if (found.length >= limit) return {tickets: found, nextCursor: encodeCursor({q: jql, t: token, i: 0})};
    }
  }

  /** Field edits of the platform API: `fields` to set, `update` operations for labels. */
  private async editOf(changes: Omit<TicketChanges, 'status'>, catalog: FieldCatalog, creating: boolean): Promise<{fields: Record<string, unknown>; update: {labels?: ({add: string} | {remove: string})[]}}> {
    const fields: Record<string, unknown> = {};
    const update: {labels?: ({add: string} | {remove: string})[]} = {};
    if (changes.title !== undefined) fields.summary = changes.title;
    if (changes.priority !== undefined) fields.priority = {name: priorityOut(changes.priority)};
    if (changes.assignee !== undefined) {
      if (changes.assignee === null || changes.assignee.trim() === '' || changes.assignee === 'none') fields.assignee = null;
      else {
        const user = changes.assignee === ME ? await this.api.me() : await this.api.user(changes.assignee);
        if (!user?.accountId) throw new NotFoundError(`No Jira user is named "${changes.assignee}".`, {hint: 'Give the agent’s email or account id, e.g. --assignee agent@example.com.'});
        fields.assignee = {accountId: user.accountId};
      }
    }
    const labels = [...(changes.addTags ?? []).map((add) => ({add})), ...(changes.removeTags ?? []).map((remove) => ({remove}))];
    if (labels.length) update.labels = labels;
    if (changes.type !== undefined) Object.assign(fields, await this.requestTypeEdit(catalog, (await this.requestTypeFor(changes.type)).id));
    for (const [name, value] of Object.entries(changes.fields ?? {})) {
      const builtIn = BUILT_IN_FIELDS[name];
      if (builtIn) {
        if (!builtIn.write) throw new UsageError(`The field ${name} is Jira Service Management's own and cannot be set.`, {hint: `Leave ${name} out; request_type and the custom fields can be set.`});
        if (value === null || value === undefined || value === '') throw new UsageError('A request always has a request type.', {hint: 'Give one: --field "request_type=Get IT help".'});
        const rt = (await this.api.requestTypes()).find((t) => sameRequestType(t, String(value)));
        if (!rt) throw new UsageError(`The service desk has no request type "${String(value)}".`, {hint: `Its request types are: ${(await this.api.requestTypes()).map((t) => t.name).join(', ')}.`});
        Object.assign(fields, await this.requestTypeEdit(catalog, rt.id));
        continue;
      }
      const field = catalog.resolve(name);
      if (!field) {
        const known = catalog.keys;
        throw new UsageError(`"${name}" is not a field of this Jira site.`, {
          hint: `${known.length ? `Its custom fields are: ${known.join(', ')}. ` : 'It has no custom fields. '}Jira Service Management's own: request_type.`,
        });
      }
      if (creating && (value === null || value === undefined)) continue;
      fields[field.id] = customValueOut(field, value);
    }
    return {fields, update};
  }

  /** The Request Type field takes the request type's id. */
  private async requestTypeEdit(catalog: FieldCatalog, requestTypeId: string): Promise<Record<string, unknown>> {
    if (!catalog.requestTypeField) throw new UsageError('This Jira site has no Request Type field, so a request type cannot be changed.', {hint: 'Create a new request of the type instead.'});
    return {[catalog.requestTypeField]: requestTypeId};
  }

  /**
   * Field edits through the platform API in one PUT, then the status through a transition; both
   * answer 204, so the request is read again for the caller, unless it says it has no use for it.
   */
  async update(id: string, changes: TicketChanges, options?: UpdateOptions & {readBack?: true}): Promise<Ticket>;
  async update(id: string, changes: TicketChanges, options: UpdateOptions): Promise<Ticket | null>;
  async update(id: string, changes: TicketChanges, options: UpdateOptions = {}): Promise<Ticket | null> {
    const key = requestKey(id);
    const catalog = await this.api.fields();
    const {status, ...rest} = changes;
    const edit = await this.editOf(rest, catalog, false);
    if (Object.keys(edit.fields).length || Object.keys(edit.update).length) {
      // A PUT of values and label add/remove operations: the same change however often it is sent.
      await this.api.call({method: 'PUT', path: `rest/api/3/issue/${encodeURIComponent(key)}`, json: edit, attempts: options.attempts}, {subject: `request ${key}`, action: `update ${key}`});
    }
    let issueId: string | undefined;
    if (status !== undefined) issueId = await this.transition(key, status, options);
    if (options.readBack === false) {
      // A search in this run reconciles the write when the issue's id is known (JQL takes ids only).
      this.api.noteWrite(issueId ?? key);
      return null;
    }
    const ticket = await this.get(key, options);
    this.api.noteWrite(issueId ?? ticket.fields.issue_id as string);
    return ticket;
  }

  /**
   * Moves a request to a toolkit status through the workflow: the transition whose target reads
   * as that status, else one into a status of the fitting category; none is an error naming the
   * transitions there are. Nothing is sent when the request is there already. Two requests: the
   * issue's status with its transitions (expand=transitions), and the transition.
   */
  private async transition(key: string, target: TicketStatus, options: CallOptions): Promise<string> {
    // The status and the transitions from it in one read (expand=transitions).
    const issue = await this.issue(key, options, ['status'], 'transitions');
    const current = statusIn(issue.fields.status);
    if (current === target) return issue.id;
    assertStatusChange(issue.key, current, target);
    const transitions =
      issue.transitions ??
      (
        await this.api.call<{transitions?: JiraTransition[]}>(
          {method: 'GET', path: `rest/api/3/issue/${encodeURIComponent(key)}/transitions`, attempts: options.attempts},
          {subject: `request ${key}`, action: `read the transitions of ${key}`},
        )
      ).transitions;
    const all = transitions ?? [];
    const pick = all.find((t) => statusIn(t.to) === target) ?? all.find((t) => (FALLBACK[target] ?? []).includes((t.to?.statusCategory?.key ?? '').toLowerCase()));
    if (!pick) {
      const from = issue.fields.status?.name ?? current;
      throw new RejectedError(`Jira Service Management has no transition that takes ${issue.key} from "${from}" to ${target.replace('_', ' ')}.`, {
        hint: all.length
          ? `The workflow offers from "${from}": ${all.map((t) => `${t.name ?? t.id} → ${t.to?.name ?? '?'} (${statusIn(t.to).replace('_', ' ')})`).join('; ')}.`
          : `The workflow offers no transition from "${from}".`,
      });
    }
    await this.api.call(
      // A transition is not sent twice: once done, the same transition may no longer be there.
      {method: 'POST', path: `rest/api/3/issue/${encodeURIComponent(key)}/transitions`, json: {transition: {id: pick.id}}, attempts: options.attempts},
      {subject: `request ${key}`, action: `move ${key} to ${pick.to?.name ?? target}`},
    );
    return issue.id;
  }

  /** Public or internal; JSM takes no idempotency key, so a comment is never sent twice once it may have arrived. */
  async comment(id: string, input: NewComment, options: CallOptions = {}): Promise<Comment> {
    const key = requestKey(id);
    const comment = await this.api.call<SdComment>(
      {method: 'POST', path: `rest/servicedeskapi/request/${encodeURIComponent(key)}/comment`, json: {body: input.body, public: input.public !== false}, attempts: options.attempts},
      {subject: `request ${key}`, action: `comment on ${key}`},
    );
    return commentIn(key, comment);
  }

  /**
   * Two calls, as JSM takes files: the bytes as a multipart form to the request's service desk
   * (attachTemporaryFile, with X-Atlassian-Token: no-check), then the temporary file attached to
   * the request with an internal comment naming its size and sha256 (JSM keeps no checksum; the
   * comment is where `ticket view` reads it back).
   */
  async attach(id: string, file: AttachmentSource, options: CallOptions = {}): Promise<Attachment> {
    const key = requestKey(id);
    const request = await this.api.call<{issueKey: string; issueId: string; serviceDeskId: string}>(
      {method: 'GET', path: `rest/servicedeskapi/request/${encodeURIComponent(key)}`, attempts: options.attempts},
      {subject: `request ${key}`, action: `read ${key}`},
    );
    const contentType = file.contentType ?? 'application/octet-stream';
    const boundary = `supportkit-${randomBytes(12).toString('hex')}`;
    const safeName = file.name.replace(/["\r\n]/g, (c) => encodeURIComponent(c));
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: ${contentType}\r\n\r\n`, 'utf8');
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
    let hash = createHash('sha256');
    let sent = 0;
    const {temporaryAttachments} = await this.api.call<{temporaryAttachments: {temporaryAttachmentId: string; fileName?: string}[]}>(
      {
        method: 'POST',
        path: `rest/servicedeskapi/servicedesk/${encodeURIComponent(request.serviceDeskId)}/attachTemporaryFile`,
        stream: {
          open: () => {
            hash = createHash('sha256');
            sent = 0;
            const source = file.open();
            return Readable.from(
              (async function* () {
                yield head;
                for await (const chunk of source as AsyncIterable<Buffer>) {
                  hash.update(chunk);
                  sent += chunk.length;
                  yield chunk;
                }
                yield tail;
              })(),
            );
          },
          size: head.length + file.size + tail.length,
          contentType: `multipart/form-data; boundary=${boundary}`,
        },
        // A repeated upload leaves an unused temporary file, which JSM drops: safe to send again.
        repeatable: true,
        attempts: options.attempts,
        onUploadProgress: file.onProgress && ((done, total) => file.onProgress!(Math.max(0, Math.min(file.size, done - head.length)), total - head.length - tail.length)),
      },
      {action: `upload ${file.name}`},
    );
    const sha256 = hash.digest('hex');
    const temporary = temporaryAttachments?.[0]?.temporaryAttachmentId;
    if (!temporary || sent !== file.size) {
      throw new SupportError(`Jira Service Management did not take all of ${file.name}: ${sent} of ${file.size} bytes went.`, {hint: 'Check that the file was not changed during the upload, then attach it again.'});
    }
    const result = await this.api.call<{attachments?: SdPage<{filename: string; size?: number; mimeType?: string; created?: {epochMillis?: number; iso8601?: string}; _links?: {jiraRest?: string}}>}>(
      {
        method: 'POST',
        path: `rest/servicedeskapi/request/${encodeURIComponent(key)}/attachment`,
        json: {temporaryAttachmentIds: [temporary], public: false, additionalComment: {body: attachmentNote(file.name, file.size, sha256)}},
        attempts: options.attempts,
      },
      {subject: `request ${key}`, action: `attach ${file.name} to ${key}`},
    );
    this.api.noteWrite(request.issueId);
    const stored = result.attachments?.values[0];
    if (stored?.size !== undefined && stored.size !== file.size) {
      throw new SupportError(`Jira Service Management stored ${stored.size} bytes of ${file.name}, but ${file.size} were meant to go.`, {hint: 'Attach the file again.'});
    }
    const attachmentId = /\/attachment\/(\d+)/.exec(stored?._links?.jiraRest ?? '')?.[1] ?? '';
    const created = stored?.created?.epochMillis ?? (stored?.created?.iso8601 ? Date.parse(stored.created.iso8601.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) : Date.now());
    return {id: attachmentId, ticketId: request.issueKey, name: stored?.filename ?? file.name, size: file.size, sha256, contentType: stored?.mimeType ?? contentType, createdAt: new Date(created).toISOString()};
  }

  events(): Promise<TicketEvent[]> {
    return Promise.reject(unsupported(this.backend(), 'events'));
  }
}

/** The request exists but a field did not take: say so in the error of the same kind, and never create it again. */
function partial(key: string, error: unknown): unknown {
  if (!(error instanceof SupportError)) return error;
  const message = `Request ${key} was created, but setting its other fields failed: ${error.message}`;
  const hint = `Do not create it again; set the fields with \`support ticket update ${key} ...\`.`;
  const Kind = [UsageError, NotFoundError, AuthError, RejectedError, RateLimitError, UnavailableError].find((k) => error instanceof k) ?? SupportError;
  return new Kind(message, {hint, cause: error});
}
