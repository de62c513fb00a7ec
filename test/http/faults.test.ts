import {createHash} from 'node:crypto';
import {createReadStream, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {Backend} from '../../src/backends/backend.js';
import {createRestBackend, type RestBackendOptions} from '../../src/backends/rest/index.js';
import {ExitCode, RateLimitError, UnavailableError} from '../../src/domain/errors.js';
import {createHttpClient, parseRetryAfter} from '../../src/http/client.js';
import {createTicket, listTickets} from '../../src/services/tickets.js';
import {startFaultProxy, startTestServer, type Fault, type FaultProxy, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
let token: string;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  dirs = sandbox();
  mkdirSync(join(dirs.dir, 'files'), {recursive: true});
  server = await startTestServer(dirs.dir);
  token = await server.token('agent', 'alice');
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await server.close();
  dirs.cleanup();
});

/** The rest backend through a fault proxy; waits between attempts are recorded, not slept. */
async function faulty(plan: (req: import('node:http').IncomingMessage, n: number) => Fault, http: RestBackendOptions['http'] = {}) {
  const proxy = await startFaultProxy(server.url, plan);
  proxies.push(proxy);
  const waits: number[] = [];
  const backend: Backend = await createRestBackend({
    profile: 'faults',
    url: proxy.url,
    token: async () => token,
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    identity: {name: 'alice', role: 'agent'},
    http: {
      sleep: async (ms) => {
        waits.push(ms);
      },
      retry: {limit: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000},
      timeouts: {response: 400},
      ...http,
    },
  });
  return {proxy, backend, waits};
}

/** A direct view of the server's store, as an agent, without faults. */
async function direct(): Promise<Backend> {
  return createRestBackend({profile: 'direct', url: server.url, token: async () => token, dataDir: dirs.dataDir, cacheDir: dirs.cacheDir, identity: {name: 'alice', role: 'agent'}});
}

const isCreate = (req: import('node:http').IncomingMessage) => req.method === 'POST' && req.url === '/v1/tickets';

describe('lost responses', () => {
  it('retries a create whose response was lost with the same key, and exactly one ticket exists', async () => {
    let drops = 0;
    const {backend, proxy} = await faulty((req) => (isCreate(req) && drops++ === 0 ? {kind: 'commit-then-drop'} : {kind: 'forward'}));
    const ticket = await createTicket(backend, {title: 'Dropped once', body: 'x', tags: ['fault-drop']});
    expect(proxy.seen.filter((s) => s === 'POST /v1/tickets')).toHaveLength(2);
    const page = await listTickets(await direct(), {tags: ['fault-drop']});
    expect(page.tickets.map((t) => t.id)).toEqual([ticket.id]);
  });

  it('retries a create whose response stalled after the commit, and exactly one ticket exists', async () => {
    let stalls = 0;
    const {backend, proxy} = await faulty((req) => (isCreate(req) && stalls++ === 0 ? {kind: 'commit-then-stall'} : {kind: 'forward'}));
    const ticket = await createTicket(backend, {title: 'Stalled once', body: 'x', tags: ['fault-stall-commit']});
    expect(proxy.seen.filter((s) => s === 'POST /v1/tickets')).toHaveLength(2);
    expect((await listTickets(await direct(), {tags: ['fault-stall-commit']})).tickets.map((t) => t.id)).toEqual([ticket.id]);
  });

  it('never retries a POST that carries no idempotency key', async () => {
    const proxy = await startFaultProxy(undefined, () => ({kind: 'respond', status: 503}));
    proxies.push(proxy);
    const client = createHttpClient({baseUrl: proxy.url, sleep: async () => {}});
    await expect(client.request({method: 'POST', path: 'v1/tickets', json: {}})).rejects.toBeInstanceOf(UnavailableError);
    expect(proxy.seen).toHaveLength(1);
    await client.close();
  });
});

describe('a server still busy with the same key', () => {
  const busy: Fault = {
    kind: 'respond',
    status: 409,
    headers: {'retry-after': '1'},
    body: {type: 'urn:supportkit:problem:conflict', title: 'Conflict.', status: 409, detail: 'A request with this Idempotency-Key is still being processed.'},
  };

  it('comes back after the Retry-After of a 409 and gets the one ticket, under the same key', async () => {
    let answered = 0;
    const {backend, proxy, waits} = await faulty((req) => (isCreate(req) && answered++ === 0 ? busy : {kind: 'forward'}));
    const ticket = await createTicket(backend, {title: 'Busy key', body: 'x', tags: ['fault-409']});
    const creates = proxy.keys.filter((_, i) => proxy.seen[i] === 'POST /v1/tickets');
    expect(creates).toHaveLength(2);
    expect(new Set(creates).size).toBe(1);
    expect(waits).toEqual([1000]);
    expect((await listTickets(await direct(), {tags: ['fault-409']})).tickets.map((t) => t.id)).toEqual([ticket.id]);
  });

  it('does not repeat a request on a 409 that names no wait: that is a real conflict', async () => {
    const {backend, proxy} = await faulty((req) => (isCreate(req) ? {...busy, headers: {}} : {kind: 'forward'}));
    await expect(createTicket(backend, {title: 'Conflict', body: 'x'})).rejects.toMatchObject({exitCode: ExitCode.rejected});
    expect(proxy.seen.filter((s) => s === 'POST /v1/tickets')).toHaveLength(1);
  });
});

describe('server errors', () => {
  it('gets through a 500 followed by a 200', async () => {
    const created = await createTicket(await direct(), {title: 'Flaky read', body: 'x'});
    const {backend, proxy, waits} = await faulty((_req, n) => (n === 1 ? {kind: 'respond', status: 500} : {kind: 'forward'}));
    expect((await backend.tickets.get(created.id)).id).toBe(created.id);
    expect(proxy.seen).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('gives up on a server that keeps failing with exit 7, after capped backoff', async () => {
    const {backend, proxy, waits} = await faulty(() => ({kind: 'respond', status: 503}));
    const error = await backend.tickets.get('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).exitCode).toBe(ExitCode.unavailable);
    expect(proxy.seen).toHaveLength(4);
    expect(waits).toHaveLength(3);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
    // Exponential: each ceiling doubles (jitter keeps each wait in its upper half).
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[2]).toBeGreaterThanOrEqual(200);
  });

  // The test's own timeout is the "does not hang" guard: a stalled server must not stall the CLI.
  it('times out a stalled response, retries a GET, then fails with exit 7', {timeout: 15_000}, async () => {
    const {backend, proxy} = await faulty(() => ({kind: 'stall'}), {retry: {limit: 1, baseDelayMs: 10}, timeouts: {response: 300}});
    const error = await backend.tickets.get('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(/did not answer in time/);
    expect(proxy.seen).toHaveLength(2);
  });
});

describe('rate limits', () => {
  const tooMany = (retryAfter?: string): Fault => ({
    kind: 'respond',
    status: 429,
    headers: retryAfter === undefined ? {} : {'retry-after': retryAfter},
    body: {type: 'urn:supportkit:problem:rate-limited', title: 'Too many requests.', status: 429},
  });

  it('waits the seconds of Retry-After, then succeeds', async () => {
    const created = await createTicket(await direct(), {title: 'Busy', body: 'x'});
    const {backend, waits} = await faulty((_req, n) => (n <= 2 ? tooMany('2') : {kind: 'forward'}));
    expect((await backend.tickets.get(created.id)).id).toBe(created.id);
    expect(waits).toEqual([2000, 2000]);
  });

  it('waits until the HTTP date of Retry-After', async () => {
    const created = await createTicket(await direct(), {title: 'Busy until', body: 'x'});
    const at = new Date(Date.now() + 5000).toUTCString();
    const {backend, waits} = await faulty((_req, n) => (n === 1 ? tooMany(at) : {kind: 'forward'}));
    expect((await backend.tickets.get(created.id)).id).toBe(created.id);
    expect(waits[0]).toBeGreaterThan(2000);
    expect(waits[0]).toBeLessThanOrEqual(5000);
  });

  it('ignores a garbage Retry-After and backs off instead', async () => {
    const created = await createTicket(await direct(), {title: 'Garbage', body: 'x'});
    const {backend, waits} = await faulty((_req, n) => (n === 1 ? tooMany('soon-ish') : {kind: 'forward'}));
    expect((await backend.tickets.get(created.id)).id).toBe(created.id);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(parseRetryAfter('-5')).toBeUndefined();
    expect(parseRetryAfter('1.5')).toBeUndefined();
  });

  it('reports the RateLimit-* figures and every 429 it met, so bulk work can pace itself', async () => {
    const created = await createTicket(await direct(), {title: 'Paced', body: 'x'});
    const throttled: Fault = {
      kind: 'respond',
      status: 429,
      headers: {'retry-after': '1', 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': '1'},
      body: {type: 'urn:supportkit:problem:rate-limited', title: 'Too many requests.', status: 429},
    };
    const ok: Fault = {
      kind: 'respond',
      status: 200,
      headers: {'content-type': 'application/json', 'ratelimit-limit': '100', 'ratelimit-remaining': '42', 'ratelimit-reset': '30'},
      body: {...created},
    };
    const {backend} = await faulty((_req, n) => (n === 1 ? throttled : ok));
    expect(backend.rateLimit?.()).toMatchObject({throttled: 0});
    await backend.tickets.get(created.id);
    expect(backend.rateLimit?.()).toMatchObject({limit: 100, remaining: 42, resetSeconds: 30, throttled: 1});
  });

  it('does not hang when the server asks for an hour: a clear exit-6 error at once', async () => {
    const {backend, proxy, waits} = await faulty(() => tooMany('3600'));
    const error = await backend.tickets.get('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).exitCode).toBe(ExitCode.rateLimited);
    expect((error as Error).message).toMatch(/60 minutes/);
    expect((error as RateLimitError).hint).toMatch(/Try again after/);
    expect((error as RateLimitError).retryAfterSeconds).toBe(3600);
    expect(proxy.seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('ends a storm of 429s with exit 6 after the retries, and creates nothing twice', async () => {
    const {backend, proxy} = await faulty((req) => (isCreate(req) ? tooMany('1') : {kind: 'forward'}));
    const error = await createTicket(backend, {title: 'Storm', body: 'x', tags: ['fault-storm']}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(proxy.seen).toHaveLength(4);
    expect((await listTickets(await direct(), {tags: ['fault-storm']})).tickets).toHaveLength(0);
  });
});

describe('uploads', () => {
  it('re-opens the file after a reset mid-upload and stores the attachment once', async () => {
    const path = join(dirs.dir, 'files', 'big.bin');
    const content = Buffer.alloc(2 * 1024 * 1024, 7);
    for (let i = 0; i < content.length; i += 4096) content[i] = i % 251;
    writeFileSync(path, content);
    const ticket = await createTicket(await direct(), {title: 'Upload', body: 'x'});
    let resets = 0;
    const {backend, proxy} = await faulty((req) =>
      req.url?.includes('/attachments') && resets++ === 0 ? {kind: 'reset-after', bytes: 256 * 1024} : {kind: 'forward'},
    );
    let opened = 0;
    const attachment = await backend.tickets.attach(ticket.id, {
      name: 'big.bin',
      size: content.length,
      contentType: 'application/octet-stream',
      open: () => {
        opened++;
        return createReadStream(path);
      },
    });
    expect(opened).toBe(2);
    expect(proxy.seen.filter((s) => s.includes('/attachments'))).toHaveLength(2);
    expect(attachment.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(attachment.size).toBe(content.length);
    expect((await (await direct()).tickets.get(ticket.id)).attachments).toHaveLength(1);
  });

  it('replays a retried upload whose response was lost instead of storing it twice', async () => {
    const path = join(dirs.dir, 'files', 'small.txt');
    writeFileSync(path, 'hello\n');
    const ticket = await createTicket(await direct(), {title: 'Upload replay', body: 'x'});
    let drops = 0;
    const {backend} = await faulty((req) => (req.url?.includes('/attachments') && drops++ === 0 ? {kind: 'commit-then-drop'} : {kind: 'forward'}));
    const attachment = await backend.tickets.attach(ticket.id, {name: 'small.txt', size: 6, contentType: 'text/plain', open: () => createReadStream(path)});
    const stored = (await (await direct()).tickets.get(ticket.id)).attachments;
    expect(stored.map((a) => a.id)).toEqual([attachment.id]);
  });
});
