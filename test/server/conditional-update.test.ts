import {randomUUID} from 'node:crypto';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/** ETag on tickets, If-Match on PATCH: a change based on an outdated read is refused, never applied. */
let dirs: Sandbox;
let server: TestServer;
let alice: string;
let bob: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {webhooks: false});
  alice = await server.token('agent', 'alice');
  bob = await server.token('agent', 'bob');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

const newTicket = async () => {
  const res = await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'Printer jams', body: 'Tray 2.'}});
  expect(res.headers.get('etag')).toBe(`"${res.json.version}"`);
  return res.json as {id: string; version: number};
};

describe('ETag and If-Match', () => {
  it('gives every ticket an ETag that changes with every change', async () => {
    const ticket = await newTicket();
    const read = await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: bob});
    expect(read.headers.get('etag')).toBe(`"${ticket.version}"`);
    const changed = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: bob, json: {priority: 'high'}});
    expect(changed.json.version).toBe(ticket.version + 1);
    expect(changed.headers.get('etag')).toBe(`"${ticket.version + 1}"`);
    await api(server.url, 'POST', `/v1/tickets/${ticket.id}/comments`, {token: bob, json: {body: 'Seen.'}});
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: bob})).headers.get('etag')).toBe(`"${ticket.version + 2}"`);
  });

  it('applies a change whose If-Match is the current ETag', async () => {
    const ticket = await newTicket();
    const etag = (await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: alice})).headers.get('etag')!;
    const res = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {status: 'open'}, headers: {'if-match': etag}});
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('open');
    const any = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {priority: 'low'}, headers: {'if-match': '*'}});
    expect(any.status).toBe(200);
  });

  it('refuses a lost update with 412 and the current version, and changes nothing', async () => {
    const ticket = await newTicket();
    const aliceRead = (await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: alice})).headers.get('etag')!;
    // Bob changes the ticket after Alice read it.
    await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: bob, json: {assignee: 'bob'}});
    const stale = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {assignee: 'alice', priority: 'urgent'}, headers: {'if-match': aliceRead}});
    expectProblem(stale, 412, 'precondition-failed');
    expect(stale.json.currentVersion).toBe(ticket.version + 1);
    expect(stale.headers.get('etag')).toBe(`"${ticket.version + 1}"`);
    const now = (await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: alice})).json;
    expect(now).toMatchObject({assignee: 'bob', priority: 'normal', version: ticket.version + 1});
    // With the new ETag the same change goes through.
    const retried = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {assignee: 'alice'}, headers: {'if-match': stale.headers.get('etag')!}});
    expect(retried.json.assignee).toBe('alice');
  });

  it('replays a conditional change that went through for a retry with its key, rather than calling it stale', async () => {
    const ticket = await newTicket();
    const headers = {'if-match': `"${ticket.version}"`, 'idempotency-key': randomUUID()};
    const first = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {status: 'pending'}, headers});
    expect(first.status).toBe(200);
    const again = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {status: 'pending'}, headers});
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
  });

  it('refuses an If-Match that is not one entity tag, naming the header', async () => {
    const ticket = await newTicket();
    for (const value of ['7', 'W/"7"', '"1", "2"']) {
      const res = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: alice, json: {priority: 'low'}, headers: {'if-match': value}});
      expectProblem(res, 400, 'validation');
      expect(res.json.errors).toEqual([expect.objectContaining({location: 'headers', path: '/if-match'})]);
    }
  });
});
