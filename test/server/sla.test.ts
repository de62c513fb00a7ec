import {randomUUID} from 'node:crypto';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

// Every response below is checked against openapi.yaml by api().

let dirs: Sandbox;
let server: TestServer;
let admin: string;
let alice: string;
let bob: string;
let carol: string;

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Round the clock, so that due times do not depend on when the test runs. */
const POLICY_SET = {
  calendars: [],
  policies: [
    {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '24h'}},
    {name: 'standard', match: {}, calendar: '24x7', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending']},
  ],
};

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir);
  admin = await server.token('admin', 'root');
  alice = await server.token('agent', 'alice');
  bob = await server.token('customer', 'bob');
  carol = await server.token('customer', 'carol');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('SLA policies', () => {
  it('shows the built-in default as version 1 to every role', async () => {
    for (const token of [admin, alice, bob]) {
      const res = await api(server.url, 'GET', '/v1/sla/policies', {token});
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({version: 1, effectiveFrom: '1970-01-01T00:00:00.000Z', source: '(built-in default)'});
      expect(res.json.policies.map((p: {name: string}) => p.name)).toEqual(['urgent', 'high', 'standard']);
    }
  });

  it('lets only an admin import, with a message that says so', async () => {
    for (const [token, role] of [
      [alice, 'agent'],
      [bob, 'customer'],
    ] as const) {
      const res = await api(server.url, 'POST', '/v1/sla/policies', {token, json: POLICY_SET});
      expectProblem(res, 403, 'forbidden');
      expect(res.json.detail).toBe(`Only an admin may import SLA policies; this token has the ${role} role.`);
      expect(res.json.hint).toContain('admin token');
    }
    expect((await api(server.url, 'GET', '/v1/sla/policies', {token: alice})).json.version).toBe(1);
  });

  it('answers 422 invalid-policy listing every problem with its JSON pointer, and changes nothing', async () => {
    const bad = {
      calendars: [{name: 'berlin', timezone: 'Europe/Berlinn', hours: {mon: ['09:00-25:00']}, holidays: ['24.12.2026']}],
      policies: [{name: 'standard', match: {}, calendar: 'paris', targets: {firstResponse: '-1h', resolution: '0m', replyTime: '2h'}}],
    };
    const res = await api(server.url, 'POST', '/v1/sla/policies', {token: admin, json: bad});
    expectProblem(res, 422, 'invalid-policy');
    expect(res.json.errors.map((e: {path: string}) => e.path)).toEqual([
      '/calendars/0/timezone',
      '/calendars/0/hours/mon/0',
      '/calendars/0/holidays/0',
      '/policies/0/calendar',
      '/policies/0/targets/firstResponse',
      '/policies/0/targets/resolution',
      '/policies/0/targets/replyTime',
    ]);
    expect(res.json.errors.every((e: {location: string; message: string}) => e.location === 'body' && e.message.length > 0)).toBe(true);
    expect(res.json.detail).toContain('7 problems');
    expect(res.json.hint).toContain('nothing was changed');

    // Not an object at all is the schema's 400; an empty object is the policy checker's 422.
    expectProblem(await api(server.url, 'POST', '/v1/sla/policies', {token: admin, json: ['x']}), 400, 'validation');
    expectProblem(await api(server.url, 'POST', '/v1/sla/policies', {token: admin, json: {}}), 422, 'invalid-policy');
    expect((await api(server.url, 'GET', '/v1/sla/versions', {token: admin})).json.versions).toHaveLength(1);
  });

  it('imports a set as a new version once per Idempotency-Key', async () => {
    const key = randomUUID();
    const send = () => api(server.url, 'POST', '/v1/sla/policies?source=team.yaml', {token: admin, json: POLICY_SET, headers: {'idempotency-key': key}});
    const first = await send();
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe('/v1/sla/policies');
    expect(first.json).toMatchObject({version: 2, source: 'team.yaml', calendars: []});
    expect(first.json.policies).toEqual([
      {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '24h'}, pauseOn: []},
      {name: 'standard', match: {}, calendar: '24x7', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending']},
    ]);
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);

    expect((await api(server.url, 'GET', '/v1/sla/policies', {token: bob})).json).toEqual(first.json);
    const versions = (await api(server.url, 'GET', '/v1/sla/versions', {token: alice})).json.versions;
    expect(versions.map((v: {version: number; source: string}) => [v.version, v.source])).toEqual([
      [1, '(built-in default)'],
      [2, 'team.yaml'],
    ]);
  });
});

describe('SLA clocks', () => {
  let bobs: {id: string; createdAt: string};
  let carols: {id: string; createdAt: string};
  let solved: {id: string};

  beforeAll(async () => {
    bobs = (await api(server.url, 'POST', '/v1/tickets', {token: bob, json: {title: 'Bob is down', body: 'x', priority: 'urgent'}})).json;
    carols = (await api(server.url, 'POST', '/v1/tickets', {token: carol, json: {title: 'Carol’s secret', body: 'x'}})).json;
    solved = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'Done', body: 'x'}})).json;
    await api(server.url, 'PATCH', `/v1/tickets/${solved.id}`, {token: alice, json: {status: 'solved'}});
  });

  it('evaluates one ticket as of ?at= with the fields of sla status --json', async () => {
    const created = Date.parse(bobs.createdAt);
    const at = iso(created + 2 * HOUR);
    const res = await api(server.url, 'GET', `/v1/tickets/${bobs.id}/sla?at=${encodeURIComponent(at)}`, {token: alice});
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['at', 'ticketId', 'title', 'policy', 'metrics']);
    expect(res.json).toMatchObject({at, ticketId: bobs.id, title: 'Bob is down', policy: 'urgent'});
    expect(res.json.metrics).toEqual([
      {metric: 'firstResponse', status: 'breached', startedAt: bobs.createdAt, dueAt: iso(created + HOUR), achievedAt: null, remainingSeconds: -3600, elapsedSeconds: 7200, paused: false, breached: true},
      {metric: 'resolution', status: 'active', startedAt: bobs.createdAt, dueAt: iso(created + 24 * HOUR), achievedAt: null, remainingSeconds: 22 * 3600, elapsedSeconds: 7200, paused: false, breached: false},
    ]);
    const before = await api(server.url, 'GET', `/v1/tickets/${bobs.id}/sla?at=${encodeURIComponent(iso(created - HOUR))}`, {token: alice});
    expect(before.json).toMatchObject({policy: null, metrics: []});
    const now = await api(server.url, 'GET', `/v1/tickets/${bobs.id}/sla`, {token: bob});
    expect(now.json.metrics[0]).toMatchObject({metric: 'firstResponse', status: 'active'});
    expectProblem(await api(server.url, 'GET', `/v1/tickets/${bobs.id}/sla?at=tomorrow`, {token: alice}), 400, 'validation');
  });

  it('shows a customer only their own tickets: someone else’s is a 404 like a missing one', async () => {
    const missing = await api(server.url, 'GET', '/v1/tickets/999999/sla', {token: bob});
    expectProblem(missing, 404, 'not-found');
    const theirs = await api(server.url, 'GET', `/v1/tickets/${carols.id}/sla`, {token: bob});
    expectProblem(theirs, 404, 'not-found');
    expect(theirs.json.detail).toBe(missing.json.detail.replace('999999', carols.id));
    expect(theirs.text).not.toContain('secret');

    const named = await api(server.url, 'GET', `/v1/sla/status?ticket=${bobs.id}&ticket=${carols.id}`, {token: bob});
    expectProblem(named, 404, 'not-found');
    expect(named.text).not.toContain('secret');
    const open = await api(server.url, 'GET', '/v1/sla/status', {token: bob});
    expect(open.json.tickets.map((t: {ticketId: string}) => t.ticketId)).toEqual([bobs.id]);
  });

  it('serves every open ticket in one answer, or the named ones in the order given', async () => {
    const at = iso(Date.parse(carols.createdAt) + HOUR);
    const all = await api(server.url, 'GET', `/v1/sla/status?at=${encodeURIComponent(at)}`, {token: alice});
    expect(all.status).toBe(200);
    expect(Object.keys(all.json)).toEqual(['at', 'tickets']);
    expect(all.json.at).toBe(at);
    expect(all.json.tickets.map((t: {ticketId: string; policy: string}) => [t.ticketId, t.policy])).toEqual([
      [bobs.id, 'urgent'],
      [carols.id, 'standard'],
    ]);
    const named = await api(server.url, 'GET', `/v1/sla/status?ticket=${solved.id}&ticket=${bobs.id}&ticket=${solved.id}&at=${encodeURIComponent(at)}`, {token: alice});
    expect(named.json.tickets.map((t: {ticketId: string}) => t.ticketId)).toEqual([solved.id, bobs.id]);
    expect(named.json.tickets[0].metrics.map((m: {metric: string; status: string}) => [m.metric, m.status])).toEqual([
      ['firstResponse', 'achieved'],
      ['resolution', 'achieved'],
    ]);
    expectProblem(await api(server.url, 'GET', `/v1/sla/status?ticket=${bobs.id}&ticket=424242`, {token: alice}), 404, 'not-found');
  });
});
