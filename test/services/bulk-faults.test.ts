import type {IncomingMessage} from 'node:http';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {createRestBackend} from '../../src/backends/rest/index.js';
import {openInput} from '../../src/services/bulk-input.js';
import {runBulk, type BulkOptions} from '../../src/services/bulk.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startFaultProxy, startTestServer, type Fault, type TestServer} from '../helpers/servers.js';
import {virtualClock} from './clock.js';

/**
 * Bulk rows over a flaky network: a fault-injecting proxy on 127.0.0.1 in front of a real
 * `support serve`. The HTTP client owns each call's retries, with one key for all of them, and
 * the pacer paces them on a virtual clock; attempts are counted where they arrive, and what
 * was made is counted in the server's store.
 */

let box: Sandbox;
let server: TestServer;
let token: string;
beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  token = await server.token('agent', 'migrator');
});
afterAll(async () => {
  await server.close();
  box.cleanup();
});

const isCreate = (req: IncomingMessage) => req.method === 'POST' && req.url === '/v1/tickets';
const keyOf = (req: IncomingMessage) => String(req.headers['idempotency-key']);

/** Picks a fault by how many times this idempotency key was seen (1 for its first attempt). */
function byAttempt(match: (req: IncomingMessage) => boolean, faults: Fault[]) {
  const seen = new Map<string, number>();
  return (req: IncomingMessage): Fault => {
    if (!match(req)) return {kind: 'forward'};
    const n = (seen.get(keyOf(req)) ?? 0) + 1;
    seen.set(keyOf(req), n);
    return faults[n - 1] ?? {kind: 'forward'};
  };
}

async function bulkThrough(name: string, plan: (req: IncomingMessage, n: number) => Fault, operation: 'create' | 'update', rows: object[], extra: Partial<BulkOptions> = {}) {
  const proxy = await startFaultProxy(server.url, plan);
  const backend = await createRestBackend({
    profile: name,
    url: proxy.url,
    token: async () => token,
    dataDir: join(box.dir, name),
    cacheDir: join(box.dir, name, 'cache'),
    identity: {name: 'migrator', role: 'agent'},
    // A client's own waits would be real time; with the pacer, the waits are the pacer's (virtual).
    http: {sleep: async () => {}},
  });
  const input = join(box.dir, `${name}.jsonl`);
  writeFileSync(input, rows.map((r) => JSON.stringify(r)).join('\n'));
  const source = await openInput({input, spoolDir: join(box.dir, name, 'spool')});
  const clock = virtualClock();
  try {
    const summary = await runBulk(backend, {operation, source, dataDir: join(box.dir, name), clock, ...extra});
    return {summary, proxy, clock};
  } finally {
    await source.close();
    await backend.close();
    await proxy.close();
  }
}

async function listed(tag: string) {
  const res = await fetch(`${server.url}/v1/tickets?tag=${tag}&limit=1000`, {headers: {authorization: `Bearer ${token}`}});
  return ((await res.json()) as {tickets: {id: string; title: string}[]}).tickets;
}

describe('bulk rows over a flaky network', () => {
  it('makes one ticket per row when each create commits and loses its answer, then meets a 503: one key for all three attempts', async () => {
    const rows = Array.from({length: 6}, (_, i) => ({title: `flaky ${i + 1}`, body: 'x', tags: ['bulk-flaky']}));
    const {summary, proxy} = await bulkThrough('flaky', byAttempt(isCreate, [{kind: 'commit-then-drop'}, {kind: 'respond', status: 503}]), 'create', rows);
    expect(summary).toMatchObject({total: 6, succeeded: 6, failed: 0});
    const creates = proxy.seen.map((s, i) => [s, proxy.keys[i]] as const).filter(([s]) => s === 'POST /v1/tickets');
    // Three attempts per row, counted where they arrived, each row's under one key of journal and line.
    expect(creates).toHaveLength(18);
    const keys = new Map<string, number>();
    for (const [, key] of creates) keys.set(key!, (keys.get(key!) ?? 0) + 1);
    expect([...keys.values()]).toEqual([3, 3, 3, 3, 3, 3]);
    for (const key of keys.keys()) expect(key).toMatch(/^bulk-[0-9a-f]{32}-\d+$/);
    const made = await listed('bulk-flaky');
    expect(made.map((t) => t.title).sort()).toEqual(rows.map((r) => r.title).sort());
  });

  it('gives up on a row after the bulk run’s attempts, not attempts times attempts, and makes nothing', async () => {
    const rows = [{title: 'down 1', body: 'x', tags: ['bulk-down']}, {title: 'down 2', body: 'x', tags: ['bulk-down']}];
    const {summary, proxy} = await bulkThrough('down', (req) => (isCreate(req) ? {kind: 'respond', status: 503} : {kind: 'forward'}), 'create', rows, {maxAttempts: 8});
    expect(summary).toMatchObject({total: 2, succeeded: 0, failed: 2});
    expect(proxy.seen.filter((s) => s === 'POST /v1/tickets')).toHaveLength(16);
    expect(await listed('bulk-down')).toEqual([]);
  });

  it('waits out 429s with Retry-After through the pacer, and counts each 429 once', async () => {
    const rows = Array.from({length: 12}, (_, i) => ({title: `limited ${i + 1}`, body: 'x', tags: ['bulk-429']}));
    const tooMany: Fault = {kind: 'respond', status: 429, headers: {'retry-after': '2'}, body: {type: 'urn:supportkit:problem:rate-limited', title: 'Too many requests.', status: 429}};
    const {summary, proxy, clock} = await bulkThrough('limited', (req, n) => (isCreate(req) && n % 3 === 0 ? tooMany : {kind: 'forward'}), 'create', rows);
    expect(summary).toMatchObject({total: 12, succeeded: 12, failed: 0});
    const sent429 = proxy.seen.filter((s, i) => s === 'POST /v1/tickets' && (i + 1) % 3 === 0).length;
    expect(sent429).toBeGreaterThan(0);
    expect(summary.rateLimited).toBe(sent429);
    expect(clock.sleeps).toContain(2000);
    expect(await listed('bulk-429')).toHaveLength(12);
  });

  it('posts a comment once when its first answer is lost: the retry carries the same key and the server replays it', async () => {
    const made = await fetch(`${server.url}/v1/tickets`, {
      method: 'POST',
      headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
      body: JSON.stringify({title: 'to comment', body: 'x'}),
    });
    const {id} = (await made.json()) as {id: string};
    const isComment = (req: IncomingMessage) => req.method === 'POST' && /\/comments$/.test(req.url!);
    const {summary, proxy} = await bulkThrough('comment', byAttempt(isComment, [{kind: 'commit-then-drop'}]), 'update', [{id, comment: 'Exactly once.'}]);
    expect(summary).toMatchObject({succeeded: 1, failed: 0});
    const posts = proxy.keys.filter((_, i) => /^POST .*\/comments$/.test(proxy.seen[i]!));
    expect(posts).toHaveLength(2);
    expect(new Set(posts).size).toBe(1);
    expect(posts[0]).toMatch(/^bulk-[0-9a-f]{32}-\d+-comment$/);
    const res = await fetch(`${server.url}/v1/tickets/${id}/comments`, {headers: {authorization: `Bearer ${token}`}});
    expect(((await res.json()) as {comments: {body: string}[]}).comments.map((c) => c.body)).toEqual(['Exactly once.']);
  });
});
