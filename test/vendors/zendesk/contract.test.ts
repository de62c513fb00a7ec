import {readFileSync} from 'node:fs';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {parse} from 'yaml';

import {ZENDESK_SPEC, zendeskContract} from './contract.js';
import {makeCut} from './cut.js';
import {startZendeskFake, type ZendeskFake} from './fake.js';
import {SUPPORT_OPERATIONS} from './operations.js';

const basic = (email: string, token: string) => `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;
const AUTH = {authorization: basic('alice@acme.test', 'alice-api-token')};

describe('the cut of Zendesk’s description', () => {
  it('keeps every operation the adapter calls, and nothing else', () => {
    const cut = parse(makeCut(readFileSync(ZENDESK_SPEC!, 'utf8'))) as {paths: Record<string, Record<string, unknown>>};
    const kept = Object.entries(cut.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m} ${path}`));
    expect(kept.sort()).toEqual(SUPPORT_OPERATIONS.map((o) => `${o.method} ${o.path}`).sort());
  });
});

describe('the contract refuses what the description does not allow', () => {
  it('a request with a wrong type, an unknown property, a missing required parameter or an unknown enum value', async () => {
    const contract = await zendeskContract();
    const check = (req: Partial<Parameters<typeof contract.checkRequest>[0]>) =>
      contract.checkRequest({method: 'GET', path: '/', query: {}, headers: {}, ...req} as Parameters<typeof contract.checkRequest>[0]).violations;
    const json = {contentType: 'application/json', method: 'POST', path: '/api/v2/tickets'};
    expect(check({...json, body: {ticket: {comment: {body: 'b'}, subject: 'ok', priority: 'urgent'}}})).toEqual([]);
    expect(check({...json, body: {ticket: {comment: {body: 'b'}, priority: 'highest'}}}).join('\n')).toMatch(/priority must be equal to one of the allowed values/);
    expect(check({...json, body: {ticket: {comment: {body: 'b'}, group_id: 'sales'}}}).join('\n')).toMatch(/group_id must be integer/);
    expect(check({...json, body: {ticket: {comment: {body: 'b'}, title: 'no such property'}}}).join('\n')).toMatch(/must NOT have additional properties \(title\)/);
    expect(check({...json, body: {ticket: {comment: {body: 'b'}, custom_fields: [{value: 'eu'}]}}}).join('\n')).toMatch(/must have required property 'id'/);
    expect(check({...json, body: {ticket: {id: 5, comment: {body: 'b'}}}}).join('\n')).toMatch(/additional properties \(id\)/);
    expect(check({path: '/api/v2/search', query: {sort_by: 'created_at'}}).join('\n')).toMatch(/must have required property 'query'/);
    expect(check({path: '/api/v2/search', query: {query: 'x', page: '11'}}).join('\n')).toMatch(/page must be <= 10/);
    expect(check({path: '/api/v2/tickets', query: {'page[size]': '500'}}).join('\n')).toMatch(/page\[size\] must be <= 100/);
    expect(check({path: '/api/v2/tickets', query: {limit: '5'}}).join('\n')).toMatch(/must NOT have additional properties \(limit\)/);
    expect(check({path: '/api/v2/tickets/abc'}).join('\n')).toMatch(/ticket_id must be integer/);
    expect(check({path: '/api/v2/help_center/articles/search', query: {per_page: '5'}}).join('\n')).toMatch(/at least one of the query parameters query, category, section, label_names/);
    expect(check({path: '/api/v2/help_center/en-us/articles', query: {'page[size]': '100'}})).toEqual([]);
    expect(check({path: '/api/v2/help_center/en-us/articles', query: {'page[size]': '1000'}}).join('\n')).toMatch(/page\[size\] must be <= 100/);
    expect(check({path: '/api/v2/help_center/en-us/articles', query: {'page[size]': '100', page: '2'}}).join('\n')).toMatch(/takes page\[size\] or page, not both/);
    expect(check({path: '/api/v2/help_center/en-us/articles', query: {sort_by: 'votes'}}).join('\n')).toMatch(/sort_by must be equal to one of the allowed values/);
    expect(check({path: '/api/v2/help_center/EN_US/articles'}).join('\n')).toMatch(/locale must match pattern/);
    expect(check({method: 'POST', path: '/api/v2/uploads', query: {filename: 'a.log'}, rawLength: 0}).join('\n')).toMatch(/needs the file's bytes/);
    expect(check({method: 'POST', path: '/api/v2/uploads', query: {filename: 'a.log'}, rawLength: 10, contentType: 'multipart/form-data; boundary=x'}).join('\n')).toMatch(/not a multipart form/);
    expect(check({method: 'POST', path: '/api/v2/uploads', query: {}, rawLength: 10, contentType: 'text/plain'}).join('\n')).toMatch(/required property 'filename'/);
    expect(check({path: '/api/v2/no/such/thing'})).toEqual(['GET /api/v2/no/such/thing: no such operation in the description']);
  });

  it('a response the description does not declare, or whose body does not fit', async () => {
    const contract = await zendeskContract();
    const show = contract.match('GET', '/api/v2/tickets/1')!;
    const ok = {id: 1, requester_id: 2, status: 'open', priority: null, subject: 's', created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z'};
    expect(contract.checkResponse(show, 200, 'application/json', {ticket: ok})).toEqual([]);
    expect(contract.checkResponse(show, 200, 'application/json', {ticket: {...ok, status: 'archived'}}).join('\n')).toMatch(/status must be equal to one of the allowed values/);
    expect(contract.checkResponse(show, 200, 'application/json', {ticket: {...ok, created_at: 'yesterday'}}).join('\n')).toMatch(/created_at must match format "date-time"/);
    expect(contract.checkResponse(show, 200, 'application/json', {ticket: {...ok, requester_id: undefined}}).join('\n')).toMatch(/required property 'requester_id'/);
    expect(contract.checkResponse(show, 200, 'application/json', {ticket: {...ok, comment: {body: 'write only'}}}).join('\n')).toMatch(/additional properties \(comment\)/);
    expect(contract.checkResponse(show, 404, 'application/json', {message: 'not Zendesk’s error body'}).join('\n')).toMatch(/required property 'error'/);
    expect(contract.checkResponse(show, 302, 'application/json', {}).join('\n')).toMatch(/status not declared/);
  });
});

describe('the fake Zendesk', () => {
  let fake: ZendeskFake;
  beforeAll(async () => {
    fake = await startZendeskFake();
  });
  afterAll(() => fake.close());

  it('rejects a request that breaks the description with Zendesk’s error body, and records it', async () => {
    const before = fake.server.violations.length;
    const res = await fetch(`${fake.url}/api/v2/tickets`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: JSON.stringify({ticket: {comment: {body: 'x'}, status: 'archived'}})});
    expect(res.status).toBe(400);
    expect(((await res.json()) as {description: string}).description).toMatch(/status must be equal to one of the allowed values/);
    expect(fake.server.violations.slice(before)).toHaveLength(1);
    expect(fake.tickets.size).toBe(0);
  });

  it('rejects a Help Center listing that breaks the rules written from its reference, and lists no archived article', async () => {
    const kept = fake.addArticle({title: 'Kept', body: '<p>k</p>', locale: 'en-us', label_names: []});
    const archived = fake.addArticle({title: 'Gone', body: '<p>g</p>', locale: 'en-us', label_names: []});
    fake.archiveArticle(archived.id);
    const before = fake.server.violations.length;
    const bad = await fetch(`${fake.url}/api/v2/help_center/en-us/articles?page[size]=500`, {headers: AUTH});
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as {description: string}).description).toMatch(/page\[size\] must be <= 100/);
    expect(fake.server.violations.slice(before)).toHaveLength(1);
    fake.server.violations.splice(before);
    const good = await fetch(`${fake.url}/api/v2/help_center/en-us/articles?page[size]=100`, {headers: AUTH});
    expect(good.status).toBe(200);
    expect(((await good.json()) as {articles: {id: number}[]}).articles.map((a) => a.id)).toEqual([kept.id]);
    expect((await fetch(`${fake.url}/api/v2/help_center/articles/${archived.id}`, {headers: AUTH})).status).toBe(404);
  });

  it('catches itself answering outside the description: the client gets a 500, the test a violation', async () => {
    const before = fake.server.violations.length;
    // A fake that drifted: a ticket whose id is text.
    fake.server.inject({match: (r) => r.operationId === 'ListTickets', fault: {kind: 'respond', response: {status: 200, body: {tickets: [{id: 'one', requester_id: 1, status: 'open'}]}}}});
    const res = await fetch(`${fake.url}/api/v2/tickets`, {headers: AUTH});
    expect(res.status).toBe(500);
    expect(fake.server.violations.slice(before).join('\n')).toMatch(/\/tickets\/0\/id must be integer/);
    fake.server.violations.splice(before);
  });

  it('answers an anonymous user for a credential it cannot read, and 401 for a wrong token', async () => {
    const anonymous = await fetch(`${fake.url}/api/v2/users/me`, {headers: {authorization: `Basic ${Buffer.from('alice@acme.test:alice-api-token').toString('base64')}`}});
    expect(anonymous.status).toBe(200);
    expect(((await anonymous.json()) as {user: {id: unknown}}).user.id).toBeNull();
    const wrong = await fetch(`${fake.url}/api/v2/users/me`, {headers: {authorization: basic('alice@acme.test', 'revoked')}});
    expect(wrong.status).toBe(401);
  });
});
