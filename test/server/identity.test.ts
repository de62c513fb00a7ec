import {createHash, randomBytes} from 'node:crypto';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {migrate} from '../../src/store/embedded/schema.js';
import {hashToken, migrateServerState} from '../../src/server/store/sqlite/state.js';
import {api, expectProblem} from '../helpers/api.js';
import {onPostgres} from '../helpers/postgres.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;

beforeAll(() => {
  dirs = sandbox();
});

afterAll(() => dirs.cleanup());

const ids = (res: {json: {tickets: {id: string}[]}}) => res.json.tickets.map((t) => t.id).sort();

describe('on a new server, the token is the person, not its name', () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer(join(dirs.dir, 'fresh'));
    admin = await server.token('admin', 'root');
  });

  afterAll(() => server.close());

  it('refuses a second token with a name in use, and a revoked token’s name too (409)', async () => {
    const first = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'alice', role: 'customer'}});
    expect(first.status).toBe(201);
    const twin = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'alice', role: 'agent'}});
    expectProblem(twin, 409, 'conflict');
    expect(twin.json.detail).toMatch(/token named "alice" already exists.*unique/);
    expect((await api(server.url, 'DELETE', `/v1/tokens/${first.json.id}`, {token: admin})).status).toBe(204);
    const reuse = await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: 'alice', role: 'customer'}});
    expectProblem(reuse, 409, 'conflict');
    expect(reuse.json.detail).toMatch(/"alice" belonged to a token that was revoked/);
    expectProblem(await api(server.url, 'POST', '/v1/tokens', {token: admin, json: {name: '@me', role: 'agent'}}), 400, 'validation');
    expect((await server.store.tokens.list()).filter((t) => t.name === 'alice')).toHaveLength(1);
  });

  it('records the principal beside every name: requester, author, actor, assignee', async () => {
    const dana = await server.store.tokens.create('dana', 'customer');
    const eve = await server.store.tokens.create('eve', 'agent');
    const me = await api(server.url, 'GET', '/v1/me', {token: dana.token});
    expect(me.json).toEqual({id: dana.principalId, name: 'dana', role: 'customer', expiresAt: null, scopes: ['read', 'write']});
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: dana.token, json: {title: 'VPN drops', body: 'Every hour.'}})).json;
    expect(ticket).toMatchObject({requester: 'dana', requesterId: dana.principalId, assignee: null, assigneeId: null});
    const assigned = await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: eve.token, json: {assignee: 'eve'}});
    expect(assigned.json).toMatchObject({assignee: 'eve', assigneeId: eve.principalId});
    // A name that is nobody on this server is kept as written, with no id.
    expect((await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: eve.token, json: {assignee: 'someone-else'}})).json).toMatchObject({
      assignee: 'someone-else',
      assigneeId: null,
    });
    await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: eve.token, json: {assignee: 'eve'}});
    const comment = await api(server.url, 'POST', `/v1/tickets/${ticket.id}/comments`, {token: eve.token, json: {body: 'Looking into it.'}});
    expect(comment.json).toMatchObject({author: 'eve', authorId: eve.principalId, authorRole: 'agent'});
    const events = (await api(server.url, 'GET', `/v1/tickets/${ticket.id}/events`, {token: dana.token})).json.events as {type: string; actor: string; actorId: string}[];
    expect(events.map((e) => [e.type, e.actor, e.actorId])).toEqual([
      ['created', 'dana', dana.principalId],
      ['updated', 'eve', eve.principalId],
      ['updated', 'eve', eve.principalId],
      ['updated', 'eve', eve.principalId],
      ['comment', 'eve', eve.principalId],
    ]);
  });

  it('answers @me in requester and assignee filters with the caller’s own tickets', async () => {
    const frank = await server.store.tokens.create('frank', 'agent');
    const gina = await server.store.tokens.create('gina', 'agent');
    const mine = (await api(server.url, 'POST', '/v1/tickets', {token: frank.token, json: {title: 'Frank’s own', body: 'x', assignee: 'gina'}})).json;
    const other = (await api(server.url, 'POST', '/v1/tickets', {token: gina.token, json: {title: 'Gina’s own', body: 'x', assignee: 'frank'}})).json;
    expect(ids(await api(server.url, 'GET', '/v1/tickets?requester=%40me', {token: frank.token}))).toEqual([mine.id]);
    expect(ids(await api(server.url, 'GET', '/v1/tickets?assignee=%40me', {token: frank.token}))).toEqual([other.id]);
    expect(ids(await api(server.url, 'GET', '/v1/tickets?assignee=%40me', {token: gina.token}))).toEqual([mine.id]);
    expect(ids(await api(server.url, 'GET', '/v1/tickets?requester=gina', {token: frank.token}))).toEqual([other.id]);
  });
});

/**
 * A store as the server before principals wrote it: server.db at its first version and the ticket
 * store at version 3, both built with their migrations of that time (never edited since), and
 * rows written with the SQL of that time, where a token's name was its user.
 */
function buildLegacyStore(dir: string) {
  mkdirSync(dir, {recursive: true});
  const secret = () => `spt_${randomBytes(24).toString('base64url')}`;
  const tokens = {
    aliceCustomer: secret(),
    aliceAgent: secret(),
    bobOld: secret(),
    bobNew: secret(),
    root: secret(),
  };
  const server = new DatabaseSync(join(dir, 'server.db'));
  migrateServerState(server, 1);
  const addToken = server.prepare('INSERT INTO tokens (id, hash, name, role, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL, ?)');
  addToken.run('a1a1a1a1a1a1', hashToken(tokens.aliceCustomer), 'alice', 'customer', 1000, null);
  addToken.run('a2a2a2a2a2a2', hashToken(tokens.aliceAgent), 'alice', 'agent', 2000, null);
  // bob lost his token: it was revoked and bob got a new one under the same name.
  addToken.run('b1b1b1b1b1b1', hashToken(tokens.bobOld), 'bob', 'customer', 3000, 5000);
  addToken.run('b2b2b2b2b2b2', hashToken(tokens.bobNew), 'bob', 'customer', 6000, null);
  addToken.run('c0c0c0c0c0c0', hashToken(tokens.root), 'root', 'admin', 500, null);
  // Stored answers of idempotent requests, scoped by name as the old server did (tickets 2 and 1 below).
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  const answer = server.prepare('INSERT INTO idempotent_responses (scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const storedTicket = {
    id: '2',
    title: 'Internal: database failover (agent alice)',
    body: 'body',
    status: 'open',
    priority: 'normal',
    type: 'question',
    tags: [],
    requester: 'alice',
    assignee: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    fields: {},
    attachments: [],
  };
  answer.run('root\nupdateTicket 2', 'root-update-key-1', hash('{"status":"open"}'), 200, JSON.stringify(storedTicket), Date.now());
  const storedComment = {id: '1', ticketId: '1', author: 'alice', authorRole: 'agent', body: 'Thanks', public: true, createdAt: '2026-01-01T00:00:00.000Z'};
  answer.run('alice\naddComment 1', 'alice-comment-key-1', hash('{"body":"Thanks","public":true}'), 201, JSON.stringify(storedComment), Date.now());
  server.close();

  const store = new DatabaseSync(join(dir, 'support.db'));
  migrate(store, 3);
  const ticket = store.prepare(
    `INSERT INTO tickets (title, body, status, priority, type, requester, assignee, created_at, updated_at, fields)
     VALUES (?, 'body', 'new', 'normal', 'question', ?, ?, ?, ?, '{}')`,
  );
  const event = store.prepare("INSERT INTO events (ticket_id, type, at, actor, actor_role, data) VALUES (?, ?, ?, ?, ?, '{}')");
  const comment = store.prepare('INSERT INTO comments (ticket_id, author, author_role, body, public, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  let at = 10_000;
  const legacyTicket = (title: string, requester: string, role: 'customer' | 'agent' | null, assignee: string | null = null) => {
    at += 1000;
    const id = Number(ticket.run(title, requester, assignee, at, at).lastInsertRowid);
    if (role) event.run(id, 'created', at, requester, role);
    return String(id);
  };
  const t = {
    aliceCustomer: legacyTicket('Printer jams (customer alice)', 'alice', 'customer', 'alice'),
    aliceAgent: legacyTicket('Internal: database failover (agent alice)', 'alice', 'agent'),
    bobBefore: legacyTicket('Bob, with his first token', 'bob', 'customer'),
    bobAfter: legacyTicket('Bob, with his second token', 'bob', 'customer'),
    // Written by the local backend as "carol": no token of the server has that name.
    carol: legacyTicket('Carol, from the local backend', 'carol', 'customer'),
    // No record of who created it: "alice" is two people.
    unknown: legacyTicket('Imported without history', 'alice', null),
  };
  comment.run(t.aliceCustomer, 'alice', 'customer', 'It jams on every page.', 1, at + 1);
  comment.run(t.aliceCustomer, 'alice', 'agent', 'Internal: the customer is on the old firmware.', 0, at + 2);
  event.run(t.aliceCustomer, 'comment', at + 1, 'alice', 'customer');
  event.run(t.aliceCustomer, 'comment', at + 2, 'alice', 'agent');
  // The customer's ticket-creation key, scoped by name as the old server did.
  const input = {title: 'Printer jams (customer alice)', body: 'body', tags: [], assignee: null, fields: {}};
  store
    .prepare('INSERT INTO idempotency_keys (key, request_hash, ticket_id, created_at) VALUES (?, ?, ?, ?)')
    .run('alice\nkey-from-before-the-upgrade', createHash('sha256').update(JSON.stringify(input)).digest('hex'), Number(t.aliceCustomer), at);
  store.close();
  return {tokens, tickets: t};
}

// An upgrade of the SQLite store's files: a PostgreSQL store was never without principals.
describe.skipIf(onPostgres())('a store from before principals, where a customer and an agent were both "alice"', () => {
  let server: TestServer;
  let legacy: ReturnType<typeof buildLegacyStore>;
  const log: string[] = [];
  const root = () => join(dirs.dir, 'legacy');

  beforeAll(async () => {
    legacy = buildLegacyStore(join(root(), 'server'));
    server = await startTestServer(root(), {log: (line) => log.push(line), databaseUrl: undefined});
  });

  afterAll(() => server.close());

  it('gives each ticket back to the principal that created it', async () => {
    const {tokens, tickets} = legacy;
    const customer = (await api(server.url, 'GET', '/v1/me', {token: tokens.aliceCustomer})).json;
    const agent = (await api(server.url, 'GET', '/v1/me', {token: tokens.aliceAgent})).json;
    expect(customer).toMatchObject({name: 'alice', role: 'customer'});
    expect(agent).toMatchObject({name: 'alice', role: 'agent'});
    expect(customer.id).not.toBe(agent.id);
    const get = async (id: string) => (await api(server.url, 'GET', `/v1/tickets/${id}`, {token: tokens.root})).json;
    expect(await get(tickets.aliceCustomer)).toMatchObject({requester: 'alice', requesterId: customer.id, assignee: 'alice', assigneeId: agent.id});
    expect(await get(tickets.aliceAgent)).toMatchObject({requester: 'alice', requesterId: agent.id});
    const bob = (await api(server.url, 'GET', '/v1/me', {token: tokens.bobNew})).json;
    expect(await get(tickets.bobBefore)).toMatchObject({requesterId: bob.id});
    expect(await get(tickets.bobAfter)).toMatchObject({requesterId: bob.id});
    // Where the store cannot tell who it was, nobody owns it.
    expect(await get(tickets.carol)).toMatchObject({requester: 'carol', requesterId: null});
    expect(await get(tickets.unknown)).toMatchObject({requester: 'alice', requesterId: null});
    expect(log.join('\n')).toMatch(/2 of 6 tickets have a requester no token of this server matches/);
  });

  it('shows the customer "alice" only her own tickets: the agent’s are a 404, as if they did not exist', async () => {
    const {tokens, tickets} = legacy;
    expect(ids(await api(server.url, 'GET', '/v1/tickets', {token: tokens.aliceCustomer}))).toEqual([tickets.aliceCustomer]);
    expect(ids(await api(server.url, 'GET', '/v1/tickets?requester=alice', {token: tokens.aliceCustomer}))).toEqual([tickets.aliceCustomer]);
    const missing = await api(server.url, 'GET', '/v1/tickets/999999', {token: tokens.aliceCustomer});
    for (const id of [tickets.aliceAgent, tickets.unknown]) {
      for (const path of [`/v1/tickets/${id}`, `/v1/tickets/${id}/comments`, `/v1/tickets/${id}/events`, `/v1/tickets/${id}/sla`]) {
        const res = await api(server.url, 'GET', path, {token: tokens.aliceCustomer});
        expectProblem(res, 404, 'not-found');
        expect(res.json.detail).toBe(missing.json.detail.replace('999999', id));
      }
    }
    const sla = await api(server.url, 'GET', '/v1/sla/status', {token: tokens.aliceCustomer});
    expect(sla.json.tickets.map((t: {ticketId: string}) => t.ticketId)).toEqual([tickets.aliceCustomer]);
    // Her own ticket, without the agent's internal note.
    const comments = (await api(server.url, 'GET', `/v1/tickets/${tickets.aliceCustomer}/comments`, {token: tokens.aliceCustomer})).json.comments;
    expect(comments.map((c: {body: string}) => c.body)).toEqual(['It jams on every page.']);
  });

  it('keeps authors and actors apart by kind, and the agent "alice" sees everything', async () => {
    const {tokens, tickets} = legacy;
    const customer = (await api(server.url, 'GET', '/v1/me', {token: tokens.aliceCustomer})).json;
    const agent = (await api(server.url, 'GET', '/v1/me', {token: tokens.aliceAgent})).json;
    const comments = (await api(server.url, 'GET', `/v1/tickets/${tickets.aliceCustomer}/comments`, {token: tokens.aliceAgent})).json.comments;
    expect(comments.map((c: {authorRole: string; authorId: string}) => [c.authorRole, c.authorId])).toEqual([
      ['customer', customer.id],
      ['agent', agent.id],
    ]);
    const events = (await api(server.url, 'GET', `/v1/tickets/${tickets.aliceCustomer}/events`, {token: tokens.aliceAgent})).json.events;
    expect(events.map((e: {actorId: string}) => e.actorId)).toEqual([customer.id, customer.id, agent.id]);
    expect(ids(await api(server.url, 'GET', '/v1/tickets', {token: tokens.aliceAgent}))).toHaveLength(6);
    expect(ids(await api(server.url, 'GET', '/v1/tickets?requester=%40me', {token: tokens.aliceAgent}))).toEqual([tickets.aliceAgent]);
  });

  it('replays a ticket-creation key from before the upgrade for its owner only', async () => {
    const {tokens, tickets} = legacy;
    const headers = {'idempotency-key': 'key-from-before-the-upgrade'};
    const json = {title: 'Printer jams (customer alice)', body: 'body'};
    const again = await api(server.url, 'POST', '/v1/tickets', {token: tokens.aliceCustomer, json, headers});
    expect(again.json.id).toBe(tickets.aliceCustomer);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const theAgent = await api(server.url, 'POST', '/v1/tickets', {token: tokens.aliceAgent, json, headers});
    expect(theAgent.json.id).not.toBe(tickets.aliceCustomer);
    expect(theAgent.json.requesterId).toBe((await api(server.url, 'GET', '/v1/me', {token: tokens.aliceAgent})).json.id);
  });

  it('carries stored idempotent answers over to their principal, and drops those of a name that was two people', async () => {
    const {tokens, tickets} = legacy;
    const update = await api(server.url, 'PATCH', `/v1/tickets/${tickets.aliceAgent}`, {
      token: tokens.root,
      json: {status: 'open'},
      headers: {'idempotency-key': 'root-update-key-1'},
    });
    expect(update.headers.get('idempotent-replayed')).toBe('true');
    expect(update.json.updatedAt).toBe('2026-01-01T00:00:00.000Z');
    const comment = await api(server.url, 'POST', `/v1/tickets/${tickets.aliceCustomer}/comments`, {
      token: tokens.aliceCustomer,
      json: {body: 'Thanks'},
      headers: {'idempotency-key': 'alice-comment-key-1'},
    });
    expect(comment.headers.get('idempotent-replayed')).toBe('false');
    expect(comment.json).toMatchObject({author: 'alice', authorRole: 'customer', body: 'Thanks'});
  });

  it('gives no new token a name in use, and a new "carol" does not inherit the unowned tickets', async () => {
    const {tokens, tickets} = legacy;
    expectProblem(await api(server.url, 'POST', '/v1/tokens', {token: tokens.root, json: {name: 'alice', role: 'customer'}}), 409, 'conflict');
    expectProblem(await api(server.url, 'POST', '/v1/tokens', {token: tokens.root, json: {name: 'bob', role: 'customer'}}), 409, 'conflict');
    const carol = await api(server.url, 'POST', '/v1/tokens', {token: tokens.root, json: {name: 'carol', role: 'customer'}});
    expect(carol.status).toBe(201);
    expect(ids(await api(server.url, 'GET', '/v1/tickets', {token: carol.json.token}))).toEqual([]);
    expectProblem(await api(server.url, 'GET', `/v1/tickets/${tickets.carol}`, {token: carol.json.token}), 404, 'not-found');
  });

  it('attributes once: a restart changes nothing', async () => {
    const {tokens, tickets} = legacy;
    const before = (await api(server.url, 'GET', '/v1/tickets?limit=100', {token: tokens.root})).json.tickets;
    await server.close();
    log.length = 0;
    server = await startTestServer(root(), {log: (line) => log.push(line), databaseUrl: undefined});
    expect((await api(server.url, 'GET', '/v1/tickets?limit=100', {token: tokens.root})).json.tickets).toEqual(before);
    expect(log.join('\n')).not.toMatch(/upgraded/);
    expect(ids(await api(server.url, 'GET', '/v1/tickets', {token: tokens.aliceCustomer}))).toEqual([tickets.aliceCustomer]);
  });
});
