import {writeFileSync} from 'node:fs';
import {createServer, request as httpRequest, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {createRestBackend} from '../../src/backends/rest/index.js';
import {openInput} from '../../src/services/bulk-input.js';
import {runBulk, type BulkSummary} from '../../src/services/bulk.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {virtualClock} from './clock.js';

/**
 * A storm of 429s: `support serve --rate-limit 120` and a burst of rows sent 8 at a time, through
 * the rest backend. The server's rate-limit window and the pacer run on one
 * virtual clock: the pacer's waits move it forward at once, and the server sees the minute pass,
 * so the run takes no real minute; nothing here asserts on time, only on counts.
 */

let box: Sandbox;
beforeAll(() => {
  box = sandbox();
});
afterAll(() => box.cleanup());

const LIMIT = 120;
const ROWS = 160;
const CONCURRENCY = 8;

/** A loopback proxy that hides the RateLimit-* headers (Retry-After stays): a backend that says only "429, wait". */
async function withoutRateLimitHeaders(target: string): Promise<{url: string; close: () => Promise<void>}> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, target);
    const out = httpRequest(url, {method: req.method, headers: {...req.headers, host: url.host}}, (answer) => {
      const headers = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !/^ratelimit-/i.test(k)));
      res.writeHead(answer.statusCode!, headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function storm(name: string, hideHeaders: boolean): Promise<{summary: BulkSummary; statuses: number[]; titles: string[]; requests: number}> {
  const statuses: number[] = [];
  const clock = virtualClock(Date.now());
  const server: TestServer = await startTestServer(join(box.dir, name), {
    rateLimit: LIMIT,
    now: clock.now,
    log: (line) => statuses.push(Number(/ (\d{3}) [\d.]+ms/.exec(line)?.[1])),
  });
  const token = await server.token('agent', 'migrator');
  const proxy = hideHeaders ? await withoutRateLimitHeaders(server.url) : undefined;
  const input = join(box.dir, `${name}.jsonl`);
  writeFileSync(input, Array.from({length: ROWS}, (_, i) => JSON.stringify({title: `${name} ${i + 1}`, body: 'burst', tags: [name]})).join('\n'));
  // The HTTP layer stamps its RateLimit readings, which the pacer compares with its own time, on the same clock.
  const backend = await createRestBackend({
    profile: name,
    url: proxy?.url ?? server.url,
    token: async () => token,
    dataDir: join(box.dir, name, 'cli'),
    cacheDir: join(box.dir, name, 'cache'),
    identity: {name: 'migrator', role: 'agent'},
    http: {now: clock.now},
  });
  const source = await openInput({input, spoolDir: join(box.dir, name, 'spool')});
  try {
    const summary = await runBulk(backend, {operation: 'create', source, dataDir: join(box.dir, name, 'cli'), concurrency: CONCURRENCY, clock});
    const list = await backend.tickets.list({tags: [name], limit: 1000});
    return {summary, statuses, titles: list.tickets.map((t) => t.title), requests: statuses.length};
  } finally {
    await source.close();
    await backend.close();
    await proxy?.close();
    await server.close();
  }
}

describe.concurrent('a storm of 429s from support serve --rate-limit 120', () => {
  it('with RateLimit headers: every row once, and the pacer keeps the 429s to a handful', async () => {
    const {summary, statuses, titles} = await storm('headers', false);
    expect(summary).toMatchObject({total: ROWS, succeeded: ROWS, failed: 0});
    expect(titles).toHaveLength(ROWS);
    expect(new Set(titles).size).toBe(ROWS);
    const tooMany = statuses.filter((s) => s === 429).length;
    // What the client counted is what the server sent.
    expect(summary.rateLimited).toBe(tooMany);
    // The limit made the run wait for a second window: without pacing, every row past 120 in the
    // first minute would meet a 429 (40 here) and each retry as many again.
    expect(tooMany).toBeLessThanOrEqual(CONCURRENCY);
    expect(statuses.filter((s) => s === 201)).toHaveLength(ROWS);
  });

  it('without RateLimit headers, only 429 and Retry-After: every row once, 429s bounded by the calls in flight', async () => {
    const {summary, statuses, titles} = await storm('bare', true);
    expect(summary).toMatchObject({total: ROWS, succeeded: ROWS, failed: 0});
    expect(titles).toHaveLength(ROWS);
    expect(new Set(titles).size).toBe(ROWS);
    const tooMany = statuses.filter((s) => s === 429).length;
    expect(summary.rateLimited).toBe(tooMany);
    expect(tooMany).toBeGreaterThan(0);
    // At most the calls in flight when the window ran out, each waiting out Retry-After once.
    expect(tooMany).toBeLessThanOrEqual(CONCURRENCY);
    expect(statuses.filter((s) => s === 201)).toHaveLength(ROWS);
  });
});
