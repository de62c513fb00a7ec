import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

/** What a client learns from a refused request: every broken rule, each naming its field. */
let dirs: Sandbox;
let server: TestServer;
let agent: string;
let ticket: string;

beforeAll(async () => {
  dirs = sandbox();
  // A rate limit on, so that the RateLimit headers of error answers are checked against the spec too.
  server = await startTestServer(dirs.dir, {rateLimit: 10_000});
  agent = await server.token('agent', 'alice');
  ticket = (await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'A ticket', body: 'b'}})).json.id;
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('a 400 lists every failed rule', () => {
  it('reports each broken field of a body, the first one in detail', async () => {
    const res = await api(server.url, 'POST', '/v1/tickets', {
      token: agent,
      json: {title: 'ok', body: 42, priority: 'asap', tags: ['fine', 'has space'], colour: 'red'},
    });
    expectProblem(res, 400, 'validation');
    expect(res.json.errors).toEqual(
      expect.arrayContaining([
        {location: 'body', path: '/body', message: 'must be string'},
        {location: 'body', path: '/priority', message: 'must be one of low, normal, high, urgent'},
        {location: 'body', path: '/tags/1', message: expect.stringMatching(/pattern/)},
        {location: 'body', path: '/colour', message: 'is not a known field'},
      ]),
    );
    expect(res.json.errors).toHaveLength(4);
    expect(res.json.detail).toMatch(/^Field \w+ .+ \(and 3 more problems\)\.$/);
    expect(res.headers.get('ratelimit-limit')).toBe('10000');
  });

  it('reports missing required fields by name', async () => {
    const res = await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {}});
    expectProblem(res, 400, 'validation');
    expect(res.json.errors).toEqual([
      {location: 'body', path: '/title', message: 'is required'},
      {location: 'body', path: '/body', message: 'is required'},
    ]);
    expect(res.json.detail).toBe('Field title is required (and 1 more problem).');
  });

  it('reports the query string, the headers and the body together', async () => {
    const res = await api(server.url, 'PATCH', `/v1/tickets/${ticket}?dryRun=1`, {
      token: agent,
      json: {status: 'done'},
      headers: {'idempotency-key': 'short'},
    });
    expectProblem(res, 400, 'validation');
    expect(res.json.errors).toEqual([
      {location: 'query', path: '/dryRun', message: 'is unknown: PATCH /v1/tickets/{ticketId} takes no query parameters'},
      {location: 'headers', path: '/idempotency-key', message: 'must NOT have fewer than 8 characters'},
      {location: 'body', path: '/status', message: 'must be one of new, open, pending, on_hold, solved, closed'},
    ]);
    expect(res.json.detail).toBe('Query parameter dryRun is unknown: PATCH /v1/tickets/{ticketId} takes no query parameters (and 2 more problems).');
    // Nothing was changed.
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: agent})).json.status).toBe('new');
  });

  it('lists at most 100 failed rules and counts the rest in detail', async () => {
    const json = {title: 't', body: 'b', ...Object.fromEntries(Array.from({length: 150}, (_, i) => [`extra${i}`, i]))};
    const res = await api(server.url, 'POST', '/v1/tickets', {token: agent, json});
    expectProblem(res, 400, 'validation');
    expect(res.json.errors).toHaveLength(100);
    expect(res.json.detail).toBe('Field extra0 is not a known field (and 149 more problems).');
  });
});

describe('unknown query parameters', () => {
  it('are refused with a 400 that names them and the parameters the operation takes', async () => {
    const res = await api(server.url, 'GET', '/v1/tickets?status=open&modifiedSince=2025-01-01T00:00:00Z&order=asc', {token: agent});
    expectProblem(res, 400, 'validation');
    const takes = 'GET /v1/tickets takes status, priority, tag, assignee, requester, search, externalId, updatedSince, sort, limit, cursor';
    expect(res.json.errors).toEqual([
      {location: 'query', path: '/modifiedSince', message: `is unknown: ${takes}`},
      {location: 'query', path: '/order', message: `is unknown: ${takes}`},
    ]);
  });

  it('are refused on every operation, also one without parameters and the public health check', async () => {
    expectProblem(await api(server.url, 'GET', '/v1/me?verbose=1', {token: agent}), 400, 'validation');
    expectProblem(await api(server.url, 'GET', `/v1/tickets/${ticket}/comments?limit=5`, {token: agent}), 400, 'validation');
    expectProblem(await api(server.url, 'GET', '/v1/health?probe=1'), 400, 'validation');
  });

  it('leave declared parameters working, repeated ones included', async () => {
    const res = await api(server.url, 'GET', '/v1/tickets?status=new&status=open&limit=5', {token: agent});
    expect(res.status).toBe(200);
    expect(res.json.tickets.map((t: {id: string}) => t.id)).toContain(ticket);
    expect((await api(server.url, 'GET', '/v1/health')).status).toBe(200);
  });
});

describe('405 method-not-allowed', () => {
  it('answers a known path with a wrong method, with Allow listing its methods', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/tickets', 'GET, HEAD, POST'],
      ['PUT', `/v1/tickets/${ticket}`, 'GET, HEAD, PATCH'],
      ['POST', '/v1/kb/changes', 'GET, HEAD'],
      ['GET', '/v1/tokens/0123abcd', 'DELETE'],
    ];
    for (const [method, path, allow] of cases) {
      // api() checks the problem and that Allow names exactly the spec's methods of the path.
      const res = await api(server.url, method, path, {token: agent});
      expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.json.detail).toBe(`${path} has no ${method}; it allows ${allow}.`);
    }
    // Nothing was deleted.
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: agent})).status).toBe(200);
  });

  it('keeps 404 for a path that is not in the protocol', async () => {
    const res = await api(server.url, 'DELETE', '/v1/nothing-here', {token: agent, checkSpec: false});
    expectProblem(res, 404, 'not-found');
    expect(res.headers.get('allow')).toBeNull();
  });
});
