import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {freshdeskContract, startFreshdeskFake, type FreshdeskFake} from './fake.js';

const AUTH = {authorization: `Basic ${Buffer.from('alice-api-key:X').toString('base64')}`};

describe('the rules written out from Freshdesk’s reference refuse what it does not allow', () => {
  it('a status as text, a priority out of range, a missing requester, an unknown property, a bad page', async () => {
    const contract = await freshdeskContract();
    const check = (req: Partial<Parameters<typeof contract.checkRequest>[0]>) =>
      contract.checkRequest({method: 'GET', path: '/', query: {}, headers: {}, ...req} as Parameters<typeof contract.checkRequest>[0]).violations.join('\n');
    const create = (body: unknown) => check({method: 'POST', path: '/api/v2/tickets', contentType: 'application/json', body});
    expect(create({subject: 'ok', description: '<div>x</div>', requester_id: 1, status: 2, priority: 4})).toBe('');
    expect(create({subject: 'ok', requester_id: 1, status: 'open'})).toMatch(/\/requestBody\/status must be integer/);
    expect(create({subject: 'ok', requester_id: 1, priority: 7})).toMatch(/\/requestBody\/priority must be equal to one of the allowed values \(1, 2, 3, 4\)/);
    expect(create({subject: 'ok', requester_id: 1, status: 1})).toMatch(/status must be >= 2/);
    expect(create({subject: 'no requester'})).toMatch(/must have required property 'requester_id'/);
    expect(create({subject: 'ok', email: 'not-an-email'})).toMatch(/email must match format "email"/);
    expect(create({subject: 'ok', requester_id: 1, title: 'x'})).toMatch(/must NOT have additional properties \(title\)/);
    expect(check({method: 'PUT', path: '/api/v2/tickets/1', contentType: 'application/json', body: {}})).toMatch(/must NOT have fewer than 1 properties/);
    expect(check({path: '/api/v2/tickets', query: {per_page: '500'}})).toMatch(/per_page must be <= 100/);
    expect(check({path: '/api/v2/tickets', query: {include: 'conversations'}})).toMatch(/include must match pattern/);
    expect(check({path: '/api/v2/tickets', query: {email: 'a@b.co', requester_id: '3'}})).toMatch(/takes requester_id or email, not both/);
    expect(check({path: '/api/v2/search/tickets', query: {query: 'status:2'}})).toMatch(/query must match pattern/);
    expect(check({path: '/api/v2/search/tickets', query: {query: '"status:2"', page: '11'}})).toMatch(/page must be <= 10/);
    expect(check({path: '/api/v2/search/tickets', query: {query: `"${'x'.repeat(600)}"`}})).toMatch(/must NOT have more than 512 characters/);
    expect(check({path: '/api/v2/search/solutions'})).toMatch(/must have required property 'term'/);
    expect(check({path: '/api/v2/tickets/abc'})).toMatch(/id must be integer/);
    expect(check({path: '/api/v2/solutions/categories', query: {per_page: '100', page: '1'}})).toBe('');
    expect(check({path: '/api/v2/solutions/categories/30/folders', query: {per_page: '500'}})).toMatch(/per_page must be <= 100/);
    expect(check({path: '/api/v2/solutions/folders/40/subfolders', query: {page: '0'}})).toMatch(/page must be >= 1/);
    expect(check({path: '/api/v2/solutions/folders/40/articles', query: {per_page: '500'}})).toMatch(/per_page must be <= 100/);
    expect(check({path: '/api/v2/solutions/folders/general/articles'})).toMatch(/id must be integer/);
    const note = (body: unknown, contentType: string) => check({method: 'POST', path: '/api/v2/tickets/1/notes', contentType, body});
    expect(note({body: 'x', private: 'true', 'attachments[]': [{filename: 'a.log', contentType: 'text/plain', size: 3}]}, 'multipart/form-data; boundary=b')).toBe('');
    expect(note({body: 'x', 'attachments[]': [{filename: 'a.log', contentType: 'text/plain', size: 3}]}, 'application/json')).toMatch(/attachments\[\] only as file parts of a multipart\/form-data body/);
    expect(note({body: 'x', 'attachments[]': [{filename: 'a.log', contentType: '', size: 3}]}, 'multipart/form-data; boundary=b')).toMatch(/contentType must NOT have fewer than 1 characters/);
    expect(note({body: 'x', 'attachments[]': [{filename: 'big.bin', contentType: 'application/octet-stream', size: 21 * 1024 * 1024}]}, 'multipart/form-data; boundary=b')).toMatch(/at most 20971520 bytes/);
    expect(note({private: true}, 'application/json')).toMatch(/must have required property 'body'/);
  });

  it('an answer that is not Freshdesk’s: a status as text, a missing id, another error body', async () => {
    const contract = await freshdeskContract();
    const view = contract.match('GET', '/api/v2/tickets/1')!;
    const ok = {id: 1, status: 2, priority: 1, requester_id: 5, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z'};
    expect(contract.checkResponse(view, 200, 'application/json', ok)).toEqual([]);
    expect(contract.checkResponse(view, 200, 'application/json', {...ok, status: 'open'}).join('\n')).toMatch(/status must be integer/);
    expect(contract.checkResponse(view, 200, 'application/json', {...ok, priority: 5}).join('\n')).toMatch(/priority must be equal to one of the allowed values/);
    expect(contract.checkResponse(view, 200, 'application/json', {...ok, id: undefined}).join('\n')).toMatch(/required property 'id'/);
    expect(contract.checkResponse(view, 200, 'application/json', {...ok, due_by: 'tomorrow'}).join('\n')).toMatch(/due_by must match format "date-time"/);
    expect(contract.checkResponse(view, 400, 'application/json', {error: 'RecordInvalid'}).join('\n')).toMatch(/required property 'description'/);
    expect(contract.checkResponse(view, 400, 'application/json', {description: 'Validation failed', errors: [{field: 'status', message: 'x', code: 'nope'}]}).join('\n')).toMatch(/code must be equal to one of the allowed values/);
    expect(contract.checkResponse(view, 404, '', undefined)).toEqual([]);
    expect(contract.checkResponse(view, 302, 'application/json', {}).join('\n')).toMatch(/status not declared/);
  });
});

describe('the fake Freshdesk', () => {
  let fake: FreshdeskFake;
  beforeAll(async () => {
    fake = await startFreshdeskFake();
  });
  afterAll(() => fake.close());

  it('answers a request the rules refuse with Freshdesk’s 400, naming each field, and records it', async () => {
    const before = fake.server.violations.length;
    const res = await fetch(`${fake.url}/api/v2/tickets`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: JSON.stringify({subject: 'x', status: 'open', priority: 7})});
    expect(res.status).toBe(400);
    const body = (await res.json()) as {description: string; errors: {field: string; code: string}[]};
    expect(body.description).toBe('Validation failed');
    expect(body.errors.map((e) => [e.field, e.code])).toEqual(expect.arrayContaining([['status', 'datatype_mismatch'], ['priority', 'invalid_value'], ['requester_id', 'missing_field']]));
    expect(fake.server.violations.length).toBeGreaterThan(before);
    expect(fake.tickets.size).toBe(0);
    fake.server.violations.splice(before);
  });

  it('catches itself answering outside the rules: the client gets a 500, the test a violation', async () => {
    const before = fake.server.violations.length;
    fake.server.inject({match: (r) => r.operationId === 'ListTickets', fault: {kind: 'respond', response: {status: 200, body: [{id: 1, status: 'open', priority: 1, requester_id: 1, created_at: 'x', updated_at: 'y'}]}}});
    const res = await fetch(`${fake.url}/api/v2/tickets`, {headers: AUTH});
    expect(res.status).toBe(500);
    expect(fake.server.violations.slice(before).join('\n')).toMatch(/\/0\/status must be integer/);
    fake.server.violations.splice(before);
  });

  it('refuses a folder listing past 100 a page with Freshdesk’s 400, and lists a folder’s articles without the deleted one', async () => {
    const kept = fake.addArticle({title: 'Kept', description: '<p>k</p>', language: 'en', tags: []});
    const gone = fake.addArticle({title: 'Gone', description: '<p>g</p>', language: 'en', tags: []});
    fake.deleteArticle(gone.id);
    const before = fake.server.violations.length;
    const bad = await fetch(`${fake.url}/api/v2/solutions/folders/${kept.folder}/articles?per_page=500`, {headers: AUTH});
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as {description: string; errors: {field: string; code: string}[]};
    expect(body.errors.map((e) => [e.field, e.code])).toEqual([['per_page', 'invalid_value']]);
    expect(fake.server.violations.slice(before)).toHaveLength(1);
    fake.server.violations.splice(before);
    const good = await fetch(`${fake.url}/api/v2/solutions/folders/${kept.folder}/articles?per_page=100`, {headers: AUTH});
    expect(good.status).toBe(200);
    expect(((await good.json()) as {id: number}[]).map((a) => a.id)).toEqual([kept.id]);
    expect((await fetch(`${fake.url}/api/v2/solutions/articles/${gone.id}`, {headers: AUTH})).status).toBe(404);
    expect((await fetch(`${fake.url}/api/v2/solutions/folders/999/articles`, {headers: AUTH})).status).toBe(404);
  });

  it('answers 401 for a key it does not know, and only the last 30 days without updated_since', async () => {
    const wrong = await fetch(`${fake.url}/api/v2/agents/me`, {headers: {authorization: `Basic ${Buffer.from('nope:X').toString('base64')}`}});
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({code: 'invalid_credentials', message: 'You have to be logged in to perform this action.'});
    fake.seedTickets(2, (i) => ({subject: `Old ${i}`}), 60);
    fake.seedTickets(1, () => ({subject: 'New'}));
    const recent = (await (await fetch(`${fake.url}/api/v2/tickets`, {headers: AUTH})).json()) as {subject: string}[];
    expect(recent.map((t) => t.subject)).toEqual(['New']);
    const all = (await (await fetch(`${fake.url}/api/v2/tickets?updated_since=1970-01-01T00:00:00Z`, {headers: AUTH})).json()) as {subject: string}[];
    expect(all.map((t) => t.subject)).toEqual(['New', 'Old 1', 'Old 0']);
  });
});
