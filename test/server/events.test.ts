import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/** GET /v1/events: every ticket's changes as one stream, scoped by role, read a page at a time. */
let dirs: Sandbox;
let server: TestServer;
let agent: string;
let carol: string;
let dave: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {webhooks: false});
  agent = await server.token('agent', 'alice');
  carol = await server.token('customer', 'carol');
  dave = await server.token('customer', 'dave');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

interface Event {
  id: string;
  ticketId: string;
  type: string;
  data: Record<string, unknown>;
}

/** Follows the feed from `after` to its end, `limit` at a time, as a client would. */
async function follow(token: string, after: string | undefined, limit: number): Promise<{events: Event[]; cursor: string; pages: number}> {
  const events: Event[] = [];
  let cursor = after;
  let pages = 0;
  for (;;) {
    const res = await api(server.url, 'GET', `/v1/events?limit=${limit}${cursor === undefined ? '' : `&after=${encodeURIComponent(cursor)}`}`, {token});
    expect(res.status).toBe(200);
    pages++;
    events.push(...(res.json.events as Event[]));
    expect(res.json.events.length).toBeLessThanOrEqual(limit);
    cursor = res.json.cursor as string;
    if (!res.json.more) return {events, cursor, pages};
  }
}

const create = async (token: string, title: string) => (await api(server.url, 'POST', '/v1/tickets', {token, json: {title, body: 'b'}})).json.id as string;

describe('the change feed', () => {
  it('lists every change once, in order, page by page, and picks up from the cursor with what came after', async () => {
    const start = (await follow(agent, undefined, 1000)).cursor;
    const first = await create(agent, 'Printer on fire');
    await api(server.url, 'PATCH', `/v1/tickets/${first}`, {token: agent, json: {status: 'open', priority: 'high'}});
    await api(server.url, 'POST', `/v1/tickets/${first}/comments`, {token: agent, json: {body: 'On it.'}});
    const second = await create(carol, 'VPN drops');

    const read = await follow(agent, start, 2);
    expect(read.events.map((e) => [e.ticketId, e.type])).toEqual([
      [first, 'created'],
      [first, 'status_changed'],
      [first, 'updated'],
      [first, 'comment'],
      [second, 'created'],
    ]);
    expect(read.pages).toBe(3);
    expect(new Set(read.events.map((e) => e.id)).size).toBe(5);

    // Nothing new: the same cursor, no events.
    const idle = await api(server.url, 'GET', `/v1/events?after=${encodeURIComponent(read.cursor)}`, {token: agent});
    expect(idle.json).toEqual({events: [], cursor: read.cursor, more: false});

    await api(server.url, 'PATCH', `/v1/tickets/${second}`, {token: agent, json: {status: 'pending'}});
    const next = await follow(agent, read.cursor, 100);
    expect(next.events.map((e) => [e.ticketId, e.type])).toEqual([[second, 'status_changed']]);
  });

  it('shows a customer only the events of its own tickets, without those of internal notes', async () => {
    const start = (await follow(agent, undefined, 1000)).cursor;
    const mine = await create(carol, 'My laptop');
    const theirs = await create(dave, 'Their laptop');
    await api(server.url, 'POST', `/v1/tickets/${mine}/comments`, {token: agent, json: {body: 'Internal: check warranty.', public: false}});
    await api(server.url, 'POST', `/v1/tickets/${mine}/comments`, {token: agent, json: {body: 'We are on it.'}});
    await api(server.url, 'POST', `/v1/tickets/${theirs}/comments`, {token: agent, json: {body: 'Hello Dave.'}});

    const seenByCarol = await follow(carol, start, 1);
    expect(seenByCarol.events.map((e) => [e.ticketId, e.type, e.data.public])).toEqual([
      [mine, 'created', undefined],
      [mine, 'comment', true],
    ]);
    const seenByAgent = await follow(agent, start, 1000);
    expect(seenByAgent.events).toHaveLength(5);
  });

  it('refuses a cursor it did not give out, and a limit out of range', async () => {
    expectProblem(await api(server.url, 'GET', '/v1/events?after=not-a-cursor', {token: agent}), 400, 'invalid-cursor');
    const res = await api(server.url, 'GET', '/v1/events?limit=0', {token: agent});
    expectProblem(res, 400, 'validation');
    expect(res.json.errors).toEqual([{location: 'query', path: '/limit', message: 'must be >= 1'}]);
  });
});
