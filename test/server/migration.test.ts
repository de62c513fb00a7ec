import {randomUUID} from 'node:crypto';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/** What a migration and an incremental export need: external ids, imported history, updatedSince. */
let dirs: Sandbox;
let server: TestServer;
let admin: string;
let agent: string;
let carol: string;
let carolId: string;

beforeAll(async () => {
  dirs = sandbox();
  // Every reading of the server's clock is a second later: changes are ordered in time, never tied.
  let clock = Date.parse('2026-01-05T08:00:00Z');
  server = await startTestServer(dirs.dir, {webhooks: false, now: () => (clock += 1000)});
  admin = await server.token('admin', 'root');
  agent = await server.token('agent', 'alice');
  carol = await server.token('customer', 'carol');
  carolId = (await api(server.url, 'GET', '/v1/me', {token: carol})).json.id as string;
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('external ids', () => {
  it('keeps a ticket’s external id, finds the ticket by it, and refuses it for a second ticket', async () => {
    const externalId = `OLD-${randomUUID().slice(0, 8)}`;
    const made = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'From the old desk', body: 'b', externalId}});
    expect(made.json.externalId).toBe(externalId);
    const other = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'Without one', body: 'b'}});
    expect(other.json.externalId).toBeNull();

    const found = await api(server.url, 'GET', `/v1/tickets?externalId=${externalId}`, {token: agent});
    expect(found.json.tickets.map((t: {id: string}) => t.id)).toEqual([made.json.id]);

    const twice = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'Again', body: 'b', externalId}});
    expectProblem(twice, 409, 'conflict');
    expect(twice.json.ticketId).toBe(made.json.id);
    expect(twice.json.detail).toContain(externalId);
    expect((await api(server.url, 'GET', `/v1/tickets?externalId=${externalId}`, {token: agent})).json.tickets).toHaveLength(1);
  });

  it('replays a create with its key even though its external id is now taken (by itself)', async () => {
    const externalId = `OLD-${randomUUID().slice(0, 8)}`;
    const headers = {'idempotency-key': randomUUID()};
    const first = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'Once', body: 'b', externalId}, headers});
    const again = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'Once', body: 'b', externalId}, headers});
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
  });

  it('is not for customers', async () => {
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: carol, json: {title: 't', body: 'b', externalId: 'X-1'}}), 403, 'forbidden');
  });
});

describe('imported history (admin tokens)', () => {
  it('imports a ticket’s requester and creation time, and its comments’ authors and times', async () => {
    const created = await api(server.url, 'POST', '/v1/tickets', {
      token: admin,
      json: {title: 'Old ticket', body: 'From 2019.', externalId: `Z-${randomUUID().slice(0, 6)}`, requester: 'carol', createdAt: '2019-03-01T09:30:00.000Z'},
    });
    expect(created.status).toBe(201);
    const ticket = created.json;
    expect(ticket).toMatchObject({requester: 'carol', requesterId: carolId, createdAt: '2019-03-01T09:30:00.000Z'});
    // Changed now, by the import: an incremental export finds it.
    expect(Date.parse(ticket.updatedAt)).toBeGreaterThan(Date.parse('2025-01-01'));

    const reply = await api(server.url, 'POST', `/v1/tickets/${ticket.id}/comments`, {
      token: admin,
      json: {body: 'Fixed by replacing the fuser.', author: 'sam', authorRole: 'agent', createdAt: '2019-03-02T10:00:00.000Z'},
    });
    expect(reply.json).toMatchObject({author: 'sam', authorId: null, authorRole: 'agent', createdAt: '2019-03-02T10:00:00.000Z'});
    const thanks = await api(server.url, 'POST', `/v1/tickets/${ticket.id}/comments`, {token: admin, json: {body: 'Thanks!', author: 'carol', createdAt: '2019-03-02T11:00:00.000Z'}});
    expect(thanks.json).toMatchObject({author: 'carol', authorId: carolId, authorRole: 'customer'});

    // The customer it was imported for sees it as her own, with its history.
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: carol})).status).toBe(200);
    const events = (await api(server.url, 'GET', `/v1/tickets/${ticket.id}/events`, {token: agent})).json.events as {type: string; at: string; actor: string; data: Record<string, unknown>}[];
    expect(events.map((e) => [e.type, e.at, e.actor, e.data.importedBy])).toEqual([
      ['created', '2019-03-01T09:30:00.000Z', 'carol', 'root'],
      ['comment', '2019-03-02T10:00:00.000Z', 'sam', 'root'],
      ['comment', '2019-03-02T11:00:00.000Z', 'carol', 'root'],
    ]);
  });

  it('refuses imported fields from agents and customers, naming them', async () => {
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 't', body: 'b'}})).json.id as string;
    const asAgent = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 't', body: 'b', requester: 'carol', createdAt: '2019-01-01T00:00:00Z'}});
    expectProblem(asAgent, 403, 'forbidden');
    expect(asAgent.json.detail).toBe('Only admin tokens may import requester and createdAt.');
    expectProblem(await api(server.url, 'POST', `/v1/tickets/${ticket}/comments`, {token: agent, json: {body: 'x', author: 'sam'}}), 403, 'forbidden');
    expectProblem(await api(server.url, 'POST', '/v1/tickets', {token: carol, json: {title: 't', body: 'b', createdAt: '2019-01-01T00:00:00Z'}}), 403, 'forbidden');
  });
});

describe('incremental export: updatedSince and sort=updatedAt', () => {
  it('lists every ticket changed since a time, oldest change first, each once, page by page', async () => {
    const tag = `exp-${randomUUID().slice(0, 6)}`;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: `T${i}`, body: 'b', tags: [tag]}})).json.id);
    const since = (await api(server.url, 'GET', `/v1/tickets/${ids[6]}`, {token: agent})).json.updatedAt as string;
    // Changed after `since`, in this order.
    for (const i of [2, 0, 5]) await api(server.url, 'PATCH', `/v1/tickets/${ids[i]}`, {token: agent, json: {priority: 'high'}});

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api(server.url, 'GET', `/v1/tickets?tag=${tag}&updatedSince=${encodeURIComponent(since)}&sort=updatedAt&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {token: agent});
      expect(res.status).toBe(200);
      seen.push(...res.json.tickets.map((t: {id: string}) => t.id));
      cursor = res.json.nextCursor ?? undefined;
      // A change while paging moves the ticket to the end: it is seen again there, not lost.
      if (seen.length === 2) await api(server.url, 'PATCH', `/v1/tickets/${ids[2]}`, {token: agent, json: {priority: 'urgent'}});
    } while (cursor);
    // Ticket 6 was last changed at `since` itself (inclusive).
    expect(seen).toEqual([ids[6], ids[2], ids[0], ids[5], ids[2]]);

    const newest = await api(server.url, 'GET', `/v1/tickets?tag=${tag}&sort=-updatedAt&limit=1`, {token: agent});
    expect(newest.json.tickets[0].id).toBe(ids[2]);
  });

  it('refuses a cursor of another sort, and a time without a zone', async () => {
    const tag = `exp-${randomUUID().slice(0, 6)}`;
    for (let i = 0; i < 2; i++) await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: `T${i}`, body: 'b', tags: [tag]}});
    const cursor = (await api(server.url, 'GET', `/v1/tickets?tag=${tag}&limit=1`, {token: agent})).json.nextCursor as string;
    const wrong = await api(server.url, 'GET', `/v1/tickets?tag=${tag}&limit=1&sort=updatedAt&cursor=${cursor}`, {token: agent});
    expectProblem(wrong, 400, 'invalid-cursor');
    expect(wrong.json.detail).toBe('The cursor belongs to a list sorted by -createdAt, not by updatedAt.');
    expectProblem(await api(server.url, 'GET', '/v1/tickets?updatedSince=2025-01-01T00:00:00', {token: agent}), 400, 'validation');
  });
});
