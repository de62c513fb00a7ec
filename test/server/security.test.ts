import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
const log: string[] = [];
let admin: string;
let alice: string;
let bob: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {log: (line) => log.push(line), maxUploadBytes: 64 * 1024});
  admin = await server.token('admin', 'root');
  alice = await server.token('agent', 'alice');
  bob = await server.token('customer', 'bob');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('authentication', () => {
  it('answers 401 problem+json for no token, a wrong token and a malformed header', async () => {
    for (const headers of [{}, {authorization: 'Bearer spt_this-is-not-a-real-token-at-all'}, {authorization: 'Basic YWxpY2U6c2VjcmV0'}, {authorization: 'Bearer'}] as Record<string, string>[]) {
      const res = await api(server.url, 'GET', '/v1/me', {headers});
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('refuses a token from the request after it is revoked', async () => {
    const created = await server.store.tokens.create('temp', 'agent');
    expect((await api(server.url, 'GET', '/v1/me', {token: created.token})).json).toEqual({id: created.principalId, name: 'temp', role: 'agent', expiresAt: null, scopes: ['read', 'write']});
    await server.store.tokens.revoke(created.id);
    expectProblem(await api(server.url, 'GET', '/v1/me', {token: created.token}), 401, 'unauthorized');
  });

  it('lets only an admin manage tokens, and never shows a secret or hash in the list', async () => {
    expectProblem(await api(server.url, 'GET', '/v1/tokens', {token: bob}), 403, 'forbidden');
    expectProblem(await api(server.url, 'GET', '/v1/tokens', {token: alice}), 403, 'forbidden');
    expectProblem(await api(server.url, 'POST', '/v1/tokens', {token: alice, json: {name: 'x', role: 'admin'}}), 403, 'forbidden');
    const list = await api(server.url, 'GET', '/v1/tokens', {token: admin});
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(alice);
    expect(list.text).not.toMatch(/spt_|[a-f0-9]{64}/);
    const made = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'carol', role: 'customer'}});
    expect(made.status).toBe(201);
    expect(made.json.token).toMatch(/^spt_/);
    expect((await api(server.url, 'DELETE', `/v1/tokens/${made.json.id}`, {token: admin})).status).toBe(204);
    expectProblem(await api(server.url, 'GET', '/v1/me', {token: made.json.token}), 401, 'unauthorized');
  });
});

describe('a customer sees nothing of other people’s tickets', () => {
  let theirs: string;
  let mine: string;

  beforeAll(async () => {
    theirs = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'Secret incident of alice', body: 'internal only'}})).json.id;
    mine = (await api(server.url, 'POST', '/v1/tickets', {token: bob, json: {title: 'Bob needs help', body: 'please'}})).json.id;
    await api(server.url, 'POST', `/v1/tickets/${mine}/comments`, {token: alice, json: {body: 'Agents only: bob is on the legacy plan.', public: false}});
    await api(server.url, 'POST', `/v1/tickets/${mine}/comments`, {token: alice, json: {body: 'We are on it.'}});
  });

  it('gets a 404 indistinguishable from a missing ticket, whatever it tries', async () => {
    const missing = await api(server.url, 'GET', '/v1/tickets/999999', {token: bob});
    const attempts = [
      await api(server.url, 'GET', `/v1/tickets/${theirs}`, {token: bob}),
      await api(server.url, 'GET', `/v1/tickets/${theirs}/comments`, {token: bob}),
      await api(server.url, 'GET', `/v1/tickets/${theirs}/events`, {token: bob}),
      await api(server.url, 'POST', `/v1/tickets/${theirs}/comments`, {token: bob, json: {body: 'me too'}}),
      await api(server.url, 'PATCH', `/v1/tickets/${theirs}`, {token: bob, json: {status: 'solved'}}),
      await api(server.url, 'POST', `/v1/tickets/${theirs}/attachments?name=x.txt`, {token: bob, body: 'x', headers: {'content-type': 'text/plain'}}),
      await api(server.url, 'GET', `/v1/tickets/${theirs}/attachments/1/content`, {token: bob}),
    ];
    for (const res of attempts) {
      expectProblem(res, 404, 'not-found');
      expect(res.text).not.toContain('Secret incident');
      expect(res.json.detail).toBe(missing.json.detail.replace('999999', theirs));
    }
    const list = await api(server.url, 'GET', `/v1/tickets?requester=alice&search=Secret`, {token: bob});
    expect(list.json.tickets).toEqual([]);
    const all = await api(server.url, 'GET', '/v1/tickets', {token: bob});
    expect(all.json.tickets.map((t: {id: string}) => t.id)).toEqual([mine]);
    // Nothing changed behind its back.
    const after = await api(server.url, 'GET', `/v1/tickets/${theirs}`, {token: alice});
    expect(after.json.status).toBe('new');
    expect((await api(server.url, 'GET', `/v1/tickets/${theirs}/comments`, {token: alice})).json.comments).toEqual([]);
  });

  it('does not see internal notes on its own ticket, and may not write one', async () => {
    const comments = (await api(server.url, 'GET', `/v1/tickets/${mine}/comments`, {token: bob})).json.comments;
    expect(comments.map((c: {body: string}) => c.body)).toEqual(['We are on it.']);
    const events = (await api(server.url, 'GET', `/v1/tickets/${mine}/events`, {token: bob})).json.events;
    expect(events.filter((e: {type: string}) => e.type === 'comment')).toHaveLength(1);
    expectProblem(await api(server.url, 'POST', `/v1/tickets/${mine}/comments`, {token: bob, json: {body: 'psst', public: false}}), 403, 'forbidden');
  });

  it('may solve or reopen its ticket, but not reassign or reprioritise it', async () => {
    expectProblem(await api(server.url, 'PATCH', `/v1/tickets/${mine}`, {token: bob, json: {priority: 'urgent'}}), 403, 'forbidden');
    expectProblem(await api(server.url, 'PATCH', `/v1/tickets/${mine}`, {token: bob, json: {assignee: 'bob'}}), 403, 'forbidden');
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: bob, json: {title: 'x', body: 'y', assignee: 'alice'}}), 403, 'forbidden');
    expect((await api(server.url, 'PATCH', `/v1/tickets/${mine}`, {token: bob, json: {status: 'solved'}})).json.status).toBe('solved');
  });
});

describe('bad input never crashes the server', () => {
  it('answers oversized bodies, malformed JSON, wrong media types and unknown routes with 4xx problem+json', async () => {
    const big = JSON.stringify({title: 'big', body: 'x'.repeat(3 * 1024 * 1024)});
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: alice, body: big, headers: {'content-type': 'application/json'}}), 413, 'payload-too-large');
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: alice, body: '{"title": "x", ', headers: {'content-type': 'application/json'}}), 400, 'malformed-json');
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: alice, body: 'title=x', headers: {'content-type': 'text/plain'}}), 415, 'unsupported-media-type');
    const invalid = await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'x', body: 'y', priority: 'whenever'}});
    expectProblem(invalid, 400, 'validation');
    expect(invalid.json.errors[0]).toMatchObject({location: 'body', path: '/priority'});
    expectProblem(await api(server.url, 'GET', '/v1/tickets?limit=0', {token: alice}), 400, 'validation');
    expectProblem(await api(server.url, 'GET', '/v1/tickets?cursor=bm9wZQ', {token: alice}), 400, 'invalid-cursor');
    expectProblem(await api(server.url, 'GET', '/v2/anything', {token: alice, checkSpec: false}), 404, 'not-found');
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'for uploads', body: 'x'}})).json.id;
    const upload = Buffer.alloc(100 * 1024, 1);
    expectProblem(await api(server.url, 'POST', `/v1/tickets/${ticket}/attachments?name=big.bin`, {token: alice, body: upload}), 413, 'payload-too-large');
    // Without Content-Length the limit still holds while streaming.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(16 * 1024));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/v1/tickets/${ticket}/attachments?name=stream.bin`, {
      method: 'POST',
      headers: {authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream'},
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect([413]).toContain(res.status);
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: alice})).json.attachments).toEqual([]);
    expect((await api(server.url, 'GET', '/v1/health')).status).toBe(200);
    expect((await api(server.url, 'GET', '/v1/me', {token: alice})).status).toBe(200);
  });

  it('answers 422 when an Idempotency-Key comes back with another body', async () => {
    const headers = {'idempotency-key': 'key-0001-abcdef'};
    const first = await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'one', body: 'x'}, headers});
    const again = await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {body: 'x', title: 'one'}, headers});
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'two', body: 'x'}, headers}), 422, 'idempotency-key-reused');
    // Keys belong to their caller: bob's same key makes bob's own ticket.
    const bobs = await api(server.url, 'POST', '/v1/tickets', {token: bob, json: {title: 'one', body: 'x'}, headers});
    expect(bobs.json.id).not.toBe(first.json.id);
    expect(bobs.json.requester).toBe('bob');
  });

  it('masks token-looking query values in its access log', async () => {
    await api(server.url, 'GET', `/v1/tickets?search=x&access_token=${alice}`, {token: alice, checkSpec: false});
    const text = log.join('\n');
    for (const t of [admin, alice, bob]) expect(text).not.toContain(t);
    expect(text).toMatch(/access_token=\*\*\*/);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and RateLimit headers once a token has used its minute', async () => {
    const limited = await startTestServer(`${dirs.dir}/limited`, {rateLimit: 3});
    try {
      const one = await limited.token('agent', 'one');
      const two = await limited.token('agent', 'two');
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await api(limited.url, 'GET', '/v1/me', {token: one});
        expect(res.status).toBe(200);
        remaining.push(res.headers.get('ratelimit-remaining')!);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const res = await api(limited.url, 'GET', '/v1/me', {token: one});
      expectProblem(res, 429, 'rate-limited');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-policy')).toBe('3;w=60');
      expect((await api(limited.url, 'GET', '/v1/me', {token: two})).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
