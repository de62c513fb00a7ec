import {randomUUID} from 'node:crypto';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import type {components} from '../generated/openapi.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {typedClient, type TypedClient} from '../helpers/typed-client.js';
import {sandbox, type Sandbox} from '../helpers.js';

type Ticket = components['schemas']['Ticket'];

/**
 * The reference server driven through a client generated from openapi.yaml alone: if the
 * contract and the server disagree on a path, a parameter or a body, this fails to compile
 * (npm run typecheck) or to run. New routes get a test here.
 */
let dirs: Sandbox;
let server: TestServer;
let agent: TypedClient;
let customer: TypedClient;
let admin: TypedClient;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {rateLimit: 1000, webhooks: {pollMs: 25}});
  agent = typedClient(server.url, await server.token('agent', 'alice'));
  customer = typedClient(server.url, await server.token('customer', 'bob'));
  admin = typedClient(server.url, await server.token('admin', 'root'));
});

afterEach(() => {
  // Every response each client received matched openapi.yaml: status, body, headers.
  expect([...agent.violations, ...customer.violations, ...admin.violations]).toEqual([]);
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

async function createTicket(client: TypedClient, body: components['schemas']['NewTicket']): Promise<Ticket> {
  const {data, error, response} = await client.POST('/v1/tickets', {body, params: {header: {'Idempotency-Key': randomUUID()}}});
  expect(error).toBeUndefined();
  expect(response.status).toBe(201);
  return data!;
}

describe('the protocol through a generated typed client', () => {
  it('creates a ticket with custom fields of any JSON type, and replays a repeated Idempotency-Key', async () => {
    const fields = {region: 'eu', seats: 12, vip: true, contacts: ['ops@example.com'], plan: {name: 'team', since: '2024-01-01'}};
    const key = randomUUID();
    const first = await customer.POST('/v1/tickets', {
      body: {title: 'Export fails', body: 'Every CSV export stops at 10 MB.', priority: 'high', tags: ['export'], fields},
      params: {header: {'Idempotency-Key': key}},
    });
    expect(first.response.status).toBe(201);
    const ticket = first.data!;
    expect(ticket).toMatchObject({title: 'Export fails', status: 'new', priority: 'high', tags: ['export'], requester: 'bob', fields});
    expect(first.response.headers.get('location')).toBe(`/v1/tickets/${ticket.id}`);
    expect(first.response.headers.get('idempotent-replayed')).toBe('false');

    const again = await customer.POST('/v1/tickets', {body: {title: 'Export fails', body: 'Every CSV export stops at 10 MB.', priority: 'high', tags: ['export'], fields}, params: {header: {'Idempotency-Key': key}}});
    expect(again.data!.id).toBe(ticket.id);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
  });

  it('lists tickets page by page with filters, each ticket once', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createTicket(agent, {title: `Paged ${i}`, body: 'b', tags: ['paged'], priority: i % 2 ? 'low' : 'urgent'}));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const {data, error} = await agent.GET('/v1/tickets', {params: {query: {tag: ['paged'], limit: 2, ...(cursor ? {cursor} : {})}}});
      expect(error).toBeUndefined();
      expect(data!.tickets.length).toBeLessThanOrEqual(2);
      seen.push(...data!.tickets.map((t) => t.id));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    // Newest first.
    expect(seen).toEqual(made.map((t) => t.id).reverse());

    const urgent = await agent.GET('/v1/tickets', {params: {query: {tag: ['paged'], priority: ['urgent']}}});
    expect(urgent.data!.tickets.map((t) => t.title).sort()).toEqual(['Paged 0', 'Paged 2', 'Paged 4']);
  });

  it('updates a ticket and reads the change back', async () => {
    const ticket = await createTicket(agent, {title: 'Printer on fire', body: 'Really.', fields: {floor: 3}});
    const {data: updated, response} = await agent.PATCH('/v1/tickets/{ticketId}', {
      params: {path: {ticketId: ticket.id}},
      body: {status: 'open', assignee: 'alice', addTags: ['hardware'], fields: {floor: null, building: 'B'}},
    });
    expect(response.status).toBe(200);
    expect(updated).toMatchObject({status: 'open', assignee: 'alice', tags: ['hardware'], fields: {building: 'B'}});
    expect(updated!.fields).not.toHaveProperty('floor');

    const {data: read} = await agent.GET('/v1/tickets/{ticketId}', {params: {path: {ticketId: ticket.id}}});
    expect(read).toEqual(updated);
  });

  it('gets the problem of the spec for what the server refuses', async () => {
    const missing = await agent.GET('/v1/tickets/{ticketId}', {params: {path: {ticketId: '999999'}}});
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({type: 'urn:supportkit:problem:not-found', status: 404});

    const ticket = await createTicket(agent, {title: 'Mine', body: 'b'});
    // A customer may change only the title and status of their own tickets; another's is a 404.
    const other = await customer.PATCH('/v1/tickets/{ticketId}', {params: {path: {ticketId: ticket.id}}, body: {title: 'Theirs'}});
    expect(other.error).toMatchObject({type: 'urn:supportkit:problem:not-found'});
  });

  it('updates with If-Match the ETag it read, and gets a 412 with the current version for a stale one', async () => {
    const ticket = await createTicket(agent, {title: 'Conditional', body: 'b'});
    const read = await agent.GET('/v1/tickets/{ticketId}', {params: {path: {ticketId: ticket.id}}});
    const etag = read.response.headers.get('etag')!;
    expect(etag).toBe(`"${read.data!.version}"`);
    const changed = await agent.PATCH('/v1/tickets/{ticketId}', {params: {path: {ticketId: ticket.id}, header: {'If-Match': etag}}, body: {status: 'open'}});
    expect(changed.response.status).toBe(200);
    const stale = await agent.PATCH('/v1/tickets/{ticketId}', {params: {path: {ticketId: ticket.id}, header: {'If-Match': etag}}, body: {status: 'pending'}});
    expect(stale.response.status).toBe(412);
    expect(stale.error).toMatchObject({type: 'urn:supportkit:problem:precondition-failed', currentVersion: changed.data!.version});
  });

  it('follows the change feed with its cursor', async () => {
    const start = await agent.GET('/v1/events', {params: {query: {limit: 1000}}});
    const ticket = await createTicket(customer, {title: 'Fed', body: 'b'});
    const next = await customer.GET('/v1/events', {params: {query: {after: start.data!.cursor}}});
    expect(next.data!.events.map((e) => [e.ticketId, e.type])).toEqual([[ticket.id, 'created']]);
    expect(next.data!.more).toBe(false);
  });

  it('manages webhooks and reads their delivery log', async () => {
    const created = await admin.POST('/v1/webhooks', {body: {url: 'http://127.0.0.1:9/unreachable', events: ['created'], description: 'typed'}});
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    expect(created.data!.secret).toMatch(/^whsec_/);
    const listed = await admin.GET('/v1/webhooks');
    expect(listed.data!.webhooks.map((w) => w.id)).toContain(id);
    const ticket = await createTicket(agent, {title: 'Delivered nowhere', body: 'b'});
    // Events of tickets made just before the subscription may be delivered too (the feed waits
    // for transactions still running on the database); this ticket's creation must be, once.
    let log: components['schemas']['WebhookDelivery'][] = [];
    for (let i = 0; i < 400 && log.length === 0; i++) {
      log = (await admin.GET('/v1/webhooks/{webhookId}/deliveries', {params: {path: {webhookId: id}, query: {limit: 1000}}})).data!.deliveries.filter((d) => d.ticketId === ticket.id);
      if (log.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(log.map((d) => [d.eventType, d.webhookId])).toEqual([['created', id]]);
    const forbidden = await agent.GET('/v1/webhooks');
    expect(forbidden.response.status).toBe(403);
    expect((await admin.DELETE('/v1/webhooks/{webhookId}', {params: {path: {webhookId: id}}})).response.status).toBe(204);
  });
});
