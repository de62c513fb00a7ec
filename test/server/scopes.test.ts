import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/** Tokens that expire, and tokens that may only read. */
let dirs: Sandbox;
let server: TestServer;
let clock = Date.parse('2026-02-01T12:00:00Z');
let admin: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {webhooks: false, now: () => clock});
  admin = await server.token('admin', 'root');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('read-only tokens', () => {
  it('read everything their role may, and every write is a 403 insufficient-scope', async () => {
    const reader = await server.store.tokens.create('reports', 'agent', {scopes: ['read']});
    expect(reader.scopes).toEqual(['read']);
    const me = await api(server.url, 'GET', '/v1/me', {token: reader.token});
    expect(me.json).toMatchObject({name: 'reports', role: 'agent', scopes: ['read'], expiresAt: null});

    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: admin, json: {title: 'Existing', body: 'b'}})).json.id as string;
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: reader.token})).status).toBe(200);
    expect((await api(server.url, 'GET', '/v1/events', {token: reader.token})).status).toBe(200);

    const writes: [string, string, unknown][] = [
      ['POST', '/v1/tickets', {title: 't', body: 'b'}],
      ['PATCH', `/v1/tickets/${ticket}`, {status: 'open'}],
      ['POST', `/v1/tickets/${ticket}/comments`, {body: 'hello'}],
      ['PUT', '/v1/kb/articles/printer-jams', {title: 'Printer jams', body: 'Open tray 2.'}],
    ];
    for (const [method, path, json] of writes) {
      const res = await api(server.url, method, path, {token: reader.token, json});
      expectProblem(res, 403, 'insufficient-scope');
      expect(res.json.detail).toBe(`The token "reports" is read-only: it may read, not change anything.`);
    }
    const upload = await api(server.url, 'POST', `/v1/tickets/${ticket}/attachments?name=a.txt`, {token: reader.token, body: 'abc', headers: {'content-type': 'text/plain'}});
    expectProblem(upload, 403, 'insufficient-scope');
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: admin})).json).toMatchObject({status: 'new', attachments: []});
    // Refused before the body is read: whatever it sends, broken JSON, another media type, too much.
    const bodies: [string, string | Buffer][] = [
      ['application/json', '{"title": '],
      ['text/plain', 'title=t'],
      ['application/json', Buffer.alloc(3 * 1024 * 1024, 32)],
    ];
    for (const [type, body] of bodies) {
      expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: reader.token, body, headers: {'content-type': type}, checkSpec: false}), 403, 'insufficient-scope');
    }
  });

  it('can be made over the API by an admin, with an expiry', async () => {
    const made = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'dashboard', role: 'customer', scopes: ['read'], expiresAt: '2026-03-01T00:00:00Z'}});
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({scopes: ['read'], expiresAt: '2026-03-01T00:00:00.000Z'});
    const listed = (await api(server.url, 'GET', '/v1/tokens', {token: admin})).json.tokens.find((t: {name: string}) => t.name === 'dashboard');
    expect(listed).toMatchObject({scopes: ['read'], expiresAt: '2026-03-01T00:00:00.000Z'});
  });
});

describe('token expiry', () => {
  it('refuses a token from the moment it expires, like a revoked one', async () => {
    const temp = await server.store.tokens.create('contractor', 'agent', {expiresAt: clock + 3_600_000});
    const me = await api(server.url, 'GET', '/v1/me', {token: temp.token});
    expect(me.json.expiresAt).toBe(new Date(clock + 3_600_000).toISOString());
    clock += 3_600_000 - 1;
    expect((await api(server.url, 'GET', '/v1/me', {token: temp.token})).status).toBe(200);
    clock += 1;
    const expired = await api(server.url, 'GET', '/v1/me', {token: temp.token});
    expectProblem(expired, 401, 'unauthorized');
    expect(expired.json.detail).toBe('The bearer token is not valid: unknown, revoked or expired.');
  });

  it('must lie in the future', async () => {
    const res = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'late', role: 'agent', expiresAt: '2020-01-01T00:00:00Z'}});
    expectProblem(res, 400, 'validation');
    expect(res.json.detail).toBe('A token’s expiry must be in the future.');
  });
});
