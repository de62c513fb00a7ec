import {createHash} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import {statusIn} from '../../../src/backends/jsm/map.js';
import {AuthError, NotFoundError, RateLimitError, RejectedError, UnavailableError, UsageError} from '../../../src/domain/errors.js';
import {slaStatus} from '../../../src/services/sla.js';
import {commentOnTicket, createTicket, listTickets, updateTicket, viewTicket} from '../../../src/services/tickets.js';
import {SETTINGS, startJsmTarget, type JsmTarget} from './setup.js';

let t: JsmTarget;
beforeAll(async () => {
  t = await startJsmTarget();
});
afterEach(() => t.fake.server.clearFaults());
afterAll(async () => {
  // Every request the adapter sent in these tests, and every answer, fit the rules.
  expect(t.fake.server.violations).toEqual([]);
  await t.close();
});

const lastOf = (operationId: string) => t.fake.server.received(operationId).at(-1)!;

describe('authentication', () => {
  it('sends an API token as Basic email:token, and an OAuth token as Bearer', async () => {
    expect(await t.backend.whoami()).toEqual({name: 'alice@acme.test', role: 'agent', backendRole: 'atlassian', account: new URL(t.fake.url).host, displayName: 'Alice Agent', id: '5b10ac8d82e05b22cc7d4ef1'});
    expect(Buffer.from(String(lastOf('getCurrentUser').headers.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe('alice@acme.test:alice-api-token');
    const oauth = await t.open({email: '', token: 'alice-oauth-token'});
    expect((await oauth.whoami()).name).toBe('alice@acme.test');
    expect(lastOf('getCurrentUser').headers.authorization).toBe('Bearer alice-oauth-token');
  });

  it('refuses a revoked token (exit 4) and a portal customer’s token', async () => {
    const revoked = await t.open({token: 'revoked'});
    const error = await revoked.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('Jira Service Management refused the credentials of the profile "it": Client must be authenticated to access this resource.');
    const carol = await t.open({email: 'carol@example.org', token: 'carol-api-token'});
    await expect(carol.whoami()).rejects.toThrow('belongs to carol@example.org, a portal customer');
  });
});

describe('requests', () => {
  it('creates through the Service Desk API with the form’s fields, and sets the rest on the issue', async () => {
    const ticket = await createTicket(t.backend, {title: 'VPN drops', body: 'Every hour.\nSince Monday.', priority: 'high', tags: ['vpn'], fields: {region: 'eu', seats: '5', impact: 'High'}});
    expect(lastOf('createCustomerRequest').body).toEqual({serviceDeskId: '1', requestTypeId: '10', requestFieldValues: {summary: 'VPN drops', description: 'Every hour.\nSince Monday.', customfield_10050: 'eu'}});
    expect(lastOf('editIssue').body).toEqual({fields: {priority: {name: 'High'}, customfield_10051: 5, customfield_10053: {value: 'High'}}, update: {labels: [{add: 'vpn'}]}});
    expect(ticket).toMatchObject({id: expect.stringMatching(/^ITSM-\d+$/), title: 'VPN drops', body: 'Every hour.\nSince Monday.', status: 'new', priority: 'high', type: 'question', tags: ['vpn'], requester: 'alice@acme.test'});
    expect(ticket.fields).toMatchObject({region: 'eu', seats: 5, impact: 'High', request_type: 'Get IT help', status_name: 'Waiting for support'});
    // --type picks the request type through the type-map; its form takes priority.
    const incident = await createTicket(t.backend, {title: 'Down', body: 'x', type: 'incident', priority: 'urgent'});
    expect(lastOf('createCustomerRequest').body).toMatchObject({requestTypeId: '11', requestFieldValues: {priority: {name: 'Highest'}}});
    expect(incident).toMatchObject({type: 'incident', priority: 'urgent', fields: {request_type: 'Report an incident'}});
  });

  it('says which request types there are when --type has none, or the profile names none', async () => {
    const plain = await t.open({settings: {'service-desk': 'ITSM'}});
    const error = await createTicket(plain, {title: 'x', body: 'y', type: 'incident'}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('No request type of the service desk ITSM stands for the type incident.');
    expect((error as UsageError).hint).toContain('--option type-map=incident:NAME; the desk\'s request types are: Get IT help (10), Report an incident (11)');
    await expect(createTicket(plain, {title: 'x', body: 'y'})).rejects.toThrow('does not say which request type new requests get');
    const noDesk = await t.open({settings: {}});
    await expect(listTickets(noDesk, {})).rejects.toThrow('The profile "it" names no service desk, and this site has 2.');
  });

  it('changes status only through the transition that fits, and names the transitions when none does (exit 5)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Workflow', body: 'x'});
    expect((await updateTicket(t.backend, ticket.id, {status: 'pending'})).fields.status_name).toBe('Waiting for customer');
    expect(lastOf('doTransition').body).toEqual({transition: {id: '11'}});
    expect((await updateTicket(t.backend, ticket.id, {status: 'on_hold'})).fields.status_name).toBe('Pending');
    expect((await updateTicket(t.backend, ticket.id, {status: 'solved'})).status).toBe('solved');
    const error = await updateTicket(t.backend, ticket.id, {status: 'on_hold'}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).exitCode).toBe(5);
    expect((error as RejectedError).message).toBe(`Jira Service Management has no transition that takes ${ticket.id} from "Resolved" to on hold.`);
    expect((error as RejectedError).hint).toBe('The workflow offers from "Resolved": Back to in progress → In progress (open); Reopen → Waiting for support (new); Close → Closed (closed).');
    // The status JSM's workflows name are told apart within their category.
    expect(statusIn({name: 'Canceled', statusCategory: {key: 'done'}})).toBe('closed');
    expect(statusIn({name: 'Escalated', statusCategory: {key: 'indeterminate'}})).toBe('open');
  });

  it('sets priority, assignee, labels and custom fields through the platform API, keeping vendor data through a round trip', async () => {
    const ticket = await createTicket(t.backend, {title: 'Edit me', body: 'x', tags: ['a', 'b']});
    const updated = await updateTicket(t.backend, ticket.id, {priority: 'low', assignee: 'Bob Agent', addTags: ['c'], removeTags: ['a'], fields: {legacy: 'OLD-1', 'request_type': 'Request a change'}});
    expect(lastOf('editIssue').body).toEqual({fields: {priority: {name: 'Low'}, assignee: {accountId: '5b10ac8d82e05b22cc7d4ef2'}, customfield_10052: 'OLD-1', customfield_10010: '13'}, update: {labels: [{add: 'c'}, {remove: 'a'}]}});
    expect(updated).toMatchObject({priority: 'low', assignee: 'bob@acme.test', tags: ['b', 'c'], type: 'task', fields: {legacy: 'OLD-1', request_type: 'Request a change'}});
    const edits = t.fake.server.received('editIssue').length;
    // Written back unchanged: nothing refused; a read-only value changed is refused in one sentence.
    const writable = Object.fromEntries(Object.entries(updated.fields).filter(([k]) => ['legacy', 'request_type'].includes(k)));
    expect((await updateTicket(t.backend, ticket.id, {fields: writable})).fields).toEqual(updated.fields);
    expect(t.fake.server.received('editIssue').length).toBe(edits + 1);
    await expect(updateTicket(t.backend, ticket.id, {fields: {status_name: 'Done'}})).rejects.toThrow('The field status_name is Jira Service Management\'s own and cannot be set.');
    const unknown = await updateTicket(t.backend, ticket.id, {fields: {regoin: 'eu'}}).catch((e: unknown) => e);
    expect((unknown as UsageError).hint).toContain('region, seats, legacy, impact');
    await expect(updateTicket(t.backend, ticket.id, {assignee: 'Nobody Here'})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads back neither the request nor its comments for a caller with no use for them (a bulk run)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Bulk me', body: 'x'});
    const seen = t.fake.server.requests.length;
    const ops = () => t.fake.server.requests.slice(seen).map((r) => r.operationId);
    expect(await t.backend.tickets.update(ticket.id, {priority: 'high'}, {readBack: false})).toBeNull();
    expect(ops()).toEqual(['editIssue']);
    expect(await t.backend.tickets.update(ticket.id, {status: 'pending'}, {readBack: false})).toBeNull();
    // The status and its transitions in one read (expand=transitions), then the transition.
    expect(ops().slice(1)).toEqual(['getIssue', 'doTransition']);
    expect(t.fake.server.received('getIssue').at(-1)!.query).toMatchObject({expand: 'transitions'});
    // A request without files has no checksums in its comments: reading it is one request.
    const read = t.fake.server.requests.length;
    expect(await t.backend.tickets.get(ticket.id)).toMatchObject({priority: 'high', status: 'pending', attachments: []});
    expect(t.fake.server.requests.slice(read).map((r) => r.operationId)).toEqual(['getIssue']);
  });

  it('shows Jira’s 400 as one sentence naming the field (exit 5)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Bad value', body: 'x'});
    const error = await updateTicket(t.backend, ticket.id, {fields: {impact: 'Enormous'}}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).message).toBe(`Jira Service Management refused to update ${ticket.id}: the field impact (customfield_10053) is invalid (Option value 'Enormous' is not valid).`);
    // A field the request type's form lacks on create: JSM's Service Desk error body.
    t.fake.server.inject({match: (r) => r.operationId === 'createCustomerRequest', fault: {kind: 'respond', response: {status: 400, body: {errorMessage: 'Summary: You must specify a summary of the issue.', i18nErrorMessage: {i18nKey: 'sd.request.create.error', parameters: []}}}}});
    await expect(createTicket(t.backend, {title: 'x', body: 'y'})).rejects.toThrow('Jira Service Management refused to create the request: Summary: You must specify a summary of the issue.');
  });

  it('says the request exists when a field after the create is refused, and creates it once', async () => {
    const before = t.fake.issues.size;
    const error = await createTicket(t.backend, {title: 'Half', body: 'x', fields: {seats: 'many'}}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(t.fake.issues.size).toBe(before);
    const remote = await createTicket(t.backend, {title: 'Half', body: 'x', fields: {impact: 'Enormous'}}).catch((e: unknown) => e);
    expect(remote).toBeInstanceOf(RejectedError);
    expect((remote as RejectedError).message).toMatch(/^Request ITSM-\d+ was created, but setting its other fields failed: .*the field impact/);
    expect((remote as RejectedError).hint).toMatch(/Do not create it again/);
    expect(t.fake.issues.size).toBe(before + 1);
  });

  it('posts public and internal comments, never twice after a lost answer', async () => {
    const ticket = await createTicket(t.backend, {title: 'Talk', body: 'x'});
    await commentOnTicket(t.backend, ticket.id, {body: 'Internal.', internal: true});
    expect(lastOf('createRequestComment').body).toEqual({body: 'Internal.', public: false});
    const view = await commentOnTicket(t.backend, ticket.id, {body: 'Public.'});
    expect(view.comments.map((c) => [c.body, c.public, c.author, c.authorRole])).toEqual([
      ['Internal.', false, 'alice@acme.test', 'agent'],
      ['Public.', true, 'alice@acme.test', 'agent'],
    ]);
    t.fake.server.inject({match: (r) => r.operationId === 'createRequestComment', fault: {kind: 'commit-then-drop'}});
    await expect(commentOnTicket(t.backend, ticket.id, {body: 'Once.'})).rejects.toBeInstanceOf(UnavailableError);
    expect(t.fake.issue(ticket.id)!.comments.filter((c) => c.body === 'Once.')).toHaveLength(1);
  });

  it('uploads a multipart temporary file, attaches it with an internal note carrying the sha256, and reads it back', async () => {
    const path = join(t.scratch, 'crash.log');
    const content = Buffer.from('line\n'.repeat(40_000));
    writeFileSync(path, content);
    const ticket = await createTicket(t.backend, {title: 'File', body: 'x', attachments: [path]});
    const upload = lastOf('attachTemporaryFile');
    expect(upload.headers['x-atlassian-token']).toBe('no-check');
    expect(String(upload.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    const sha256 = createHash('sha256').update(content).digest('hex');
    expect(ticket.attachments[0]).toMatchObject({name: 'crash.log', size: content.length, sha256, contentType: 'text/plain', ticketId: ticket.id});
    expect(lastOf('createAttachment').body).toMatchObject({public: false, temporaryAttachmentIds: [expect.stringMatching(/^temp/)], additionalComment: {body: expect.stringContaining(sha256)}});
    expect((await viewTicket(t.backend, ticket.id)).attachments).toEqual(ticket.attachments);
  });
});

describe('faults', () => {
  it('waits out a storm of 429s as Retry-After says, and reads Jira’s rate-limit headers', async () => {
    const throttled = t.backend.rateLimit!()!.throttled;
    t.fake.server.inject({match: (r) => r.operationId === 'searchAndReconsileIssuesUsingJqlPost', times: 3, fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '1', 'ratelimit-reason': 'jira-cost-based', 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': new Date(Date.now() + 30_000).toISOString()}, body: {errorMessages: ['Rate limit exceeded.']}}}});
    const seen = t.fake.server.requests.length;
    await listTickets(t.backend, {limit: 5});
    expect(t.fake.server.requests.slice(seen).filter((r) => r.operationId === 'searchAndReconsileIssuesUsingJqlPost').map((r) => r.status)).toEqual([429, 429, 429, 200]);
    expect(t.backend.rateLimit!()!.throttled - throttled).toBe(3);
    t.fake.server.inject({match: (r) => r.operationId === 'getIssue', fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '3600'}, body: {errorMessages: ['Rate limit exceeded.']}}}});
    const error = await t.backend.tickets.get('ITSM-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).exitCode).toBe(6);
  });

  it('retries a 503 on a read, and reports a site that keeps failing as unavailable (exit 7)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Flaky', body: 'x'});
    t.fake.server.inject({match: (r) => r.operationId === 'getIssue', times: 2, fault: {kind: 'respond', response: {status: 503, body: {errorMessages: ['Service unavailable']}}}});
    expect((await t.backend.tickets.get(ticket.id)).title).toBe('Flaky');
    t.fake.server.inject({match: (r) => r.operationId === 'getIssue', times: Infinity, fault: {kind: 'respond', response: {status: 500, body: {errorMessages: ['Internal error']}}}});
    const error = await t.backend.tickets.get(ticket.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).exitCode).toBe(7);
  });

  it('names no request for what is not a key, without asking', async () => {
    const before = t.fake.server.requests.length;
    await expect(t.backend.tickets.get('no such')).rejects.toBeInstanceOf(NotFoundError);
    expect(t.fake.server.requests.length).toBe(before);
    await expect(t.backend.tickets.get('ITSM-99999')).rejects.toThrow('There is no request ITSM-99999 in Jira Service Management, or this user may not see it.');
  });
});

describe('lists', () => {
  it('pages through many requests by nextPageToken, newest first, without gaps or repeats', async () => {
    const fresh = await startJsmTarget();
    try {
      const keys = fresh.fake.seedRequests(250, (i) => ({summary: `Seeded ${i}`, labels: i % 2 ? ['odd'] : []}));
      const all = await listTickets(fresh.backend, {limit: 1000});
      expect(all.tickets.map((x) => x.id)).toEqual([...keys].reverse());
      expect(all.nextCursor).toBeNull();
      const searches = fresh.fake.server.received('searchAndReconsileIssuesUsingJqlPost');
      expect(searches.map((r) => Boolean((r.body as {nextPageToken?: string}).nextPageToken))).toEqual([false, true, true]);
      expect((searches[0]!.body as {jql: string}).jql).toBe('project = "ITSM" ORDER BY created DESC');
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(fresh.backend, {limit: 30, cursor});
        seen.push(...page.tickets.map((x) => x.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all.tickets.map((x) => x.id));
      const odd = await listTickets(fresh.backend, {tags: ['odd'], priority: ['low'], status: ['new'], limit: 5});
      expect(odd.tickets).toEqual([]);
      expect((fresh.fake.server.received('searchAndReconsileIssuesUsingJqlPost').at(-1)!.body as {jql: string}).jql).toBe('project = "ITSM" AND statusCategory in ("new") AND priority in ("Low", "Lowest") AND labels = "odd" ORDER BY created DESC');
      await expect(listTickets(fresh.backend, {tags: ['odd'], cursor: all.nextCursor ?? Buffer.from(JSON.stringify({q: 'project = "ITSM" ORDER BY created DESC', t: null, i: 0})).toString('base64url')})).rejects.toThrow('That cursor belongs to a list with other filters.');
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('finds a request it just wrote although the search index lags, by reconciling it', async () => {
    const lagging = await startJsmTarget({searchLagMs: 60_000});
    try {
      const ticket = await createTicket(lagging.backend, {title: 'Fresh', body: 'x', tags: ['fresh']});
      expect((await listTickets(lagging.backend, {tags: ['fresh']})).tickets.map((x) => x.id)).toEqual([ticket.id]);
      expect((lagging.fake.server.received('searchAndReconsileIssuesUsingJqlPost').at(-1)!.body as {reconcileIssues?: number[]}).reconcileIssues).toEqual([Number(ticket.fields.issue_id)]);
    } finally {
      await lagging.close();
    }
  });
});

describe('SLA clocks from the request’s SLA endpoint', () => {
  it('normalises JSM’s cycles: ongoing due at breachTime, paused without one, completed achieved', async () => {
    const ticket = await createTicket(t.backend, {title: 'Down', body: 'x', type: 'incident', priority: 'urgent'});
    const created = Date.parse(ticket.createdAt);
    const report = await slaStatus(t.backend, {tickets: [ticket.id], at: created + 2 * 3_600_000});
    expect(report.tickets[0]).toMatchObject({ticketId: ticket.id, title: 'Down', policy: 'jsm'});
    expect(report.tickets[0]!.metrics.map((m) => [m.metric, m.status, m.dueAt, m.breached])).toEqual([
      ['firstResponse', 'breached', new Date(created + 3_600_000).toISOString(), true],
      ['resolution', 'active', expect.any(String), false],
    ]);
    await commentOnTicket(t.backend, ticket.id, {body: 'On it.'});
    await updateTicket(t.backend, ticket.id, {status: 'pending'});
    const later = await slaStatus(t.backend, {tickets: [ticket.id]});
    expect(later.tickets[0]!.metrics.map((m) => [m.metric, m.status, m.paused, m.dueAt])).toEqual([
      ['firstResponse', 'achieved', false, new Date(created + 3_600_000).toISOString()],
      ['resolution', 'paused', true, null],
    ]);
    await updateTicket(t.backend, ticket.id, {status: 'solved'});
    expect((await slaStatus(t.backend, {tickets: [ticket.id]})).tickets[0]!.metrics[1]).toMatchObject({metric: 'resolution', status: 'achieved', breached: false});
    expect((await slaStatus(t.backend)).tickets.map((x) => x.ticketId)).not.toContain(ticket.id);
    await expect(slaStatus(t.backend, {tickets: ['ITSM-99999']})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('says it cannot import policies, write or sync articles, in one sentence', async () => {
    await expect(t.backend.sla!.importPolicies({calendars: [], policies: []})).rejects.toThrow('The jsm backend cannot import or list the toolkit’s SLA policies.');
    await expect(t.backend.kb!.upsert([])).rejects.toThrow('The jsm backend cannot import articles into its knowledge base.');
    await expect(t.backend.kb!.changes()).rejects.toThrow('The jsm backend cannot copy its knowledge base for offline use.');
  });
});

describe('the knowledge base', () => {
  it('searches with JSM’s highlights, and reads an article as HTML with its Confluence title', async () => {
    const a = t.fake.addArticle({title: 'Reset your VPN client', html: '<h2>Steps</h2><ol><li>Quit the <strong>client</strong>.</li><li>Start it again.</li></ol><script>alert(1)</script>'});
    const hits = await t.backend.kb!.search({text: 'vpn client', limit: 5});
    expect(lastOf('getArticles').query).toMatchObject({query: 'vpn client', highlight: 'true', limit: '5'});
    expect(hits[0]).toMatchObject({id: a.pageId, slug: 'reset-your-vpn-client', title: 'Reset your VPN client', locale: 'und', tags: [], url: `${t.fake.url}/wiki/spaces/IT/pages/${a.pageId}`});
    expect(hits[0]!.snippet).toContain('\u0001client\u0002');
    const article = await t.backend.kb!.get(a.pageId);
    expect(article).toMatchObject({id: a.pageId, title: 'Reset your VPN client', format: 'html', body: a.html, url: `${t.fake.url}/wiki/spaces/IT/pages/${a.pageId}`});
    expect((await t.backend.kb!.get('reset-your-vpn-client')).id).toBe(a.pageId);
    await expect(t.backend.kb!.search({text: 'vpn', limit: 5, locale: 'de'})).rejects.toThrow('carry no language');
    // Without Confluence access the article is still read; its first heading stands for the title.
    t.fake.server.inject({match: (r) => r.operationId === 'getPageById', fault: {kind: 'respond', response: {status: 403, body: {errors: [{status: 403, code: 'FORBIDDEN', title: 'Forbidden', detail: null}]}}}});
    expect((await t.backend.kb!.get(a.pageId)).title).toBe('Steps');
  });
});

it('the settings the README shows are what the tests use', () => {
  expect(SETTINGS['service-desk']).toBe('ITSM');
});
