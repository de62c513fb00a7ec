import {closeSync, openSync, writeFileSync, writeSync} from 'node:fs';
import {join} from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {Backend} from '../../src/backends/backend.js';
import {createLocalBackend} from '../../src/backends/local/index.js';
import {UnavailableError} from '../../src/domain/errors.js';
import {openInput} from '../../src/services/bulk-input.js';
import {runBulk, type BulkOptions} from '../../src/services/bulk.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {busiestMinute, virtualClock} from './clock.js';

let box: Sandbox;
let backend: Backend;
beforeEach(async () => {
  box = sandbox();
  backend = await createLocalBackend({
    profile: 'test',
    dataDir: box.env.SUPPORT_DATA_DIR,
    cacheDir: box.env.SUPPORT_CACHE_DIR,
    identity: {name: 'agent', role: 'agent'},
  });
});
afterEach(async () => {
  await backend.close();
  box.cleanup();
});

async function bulk(operation: 'create' | 'update', text: string, b: Backend = backend, extra: Partial<BulkOptions> = {}) {
  const path = join(box.dir, `rows-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, text);
  const source = await openInput({input: path, spoolDir: join(box.dir, 'spool')});
  return runBulk(b, {operation, source, dataDir: box.env.SUPPORT_DATA_DIR, ...extra});
}

const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** The backend, with one method wrapped: `hook` runs around the real call. */
function wrap(b: Backend, method: keyof Backend['tickets'], hook: (real: () => Promise<unknown>, n: number, args: unknown[]) => Promise<unknown>): Backend {
  let n = 0;
  const tickets = Object.create(b.tickets) as Backend['tickets'];
  (tickets as any)[method] = (...args: unknown[]) => hook(() => (b.tickets as any)[method](...args), ++n, args);
  return {...b, tickets};
}

describe('runBulk', () => {
  it('posts a comment once when the answer to it is lost on a backend that takes no key: it looks before calling the row failed', async () => {
    await backend.tickets.create({title: 't', body: 'b'});
    const lossy = wrap(backend, 'comment', async (real, n) => {
      const comment = await real();
      if (n === 1) throw new UnavailableError('connection reset');
      return comment;
    });
    const summary = await bulk('update', jsonl([{id: '1', comment: 'Only once, please.'}]), lossy, {clock: virtualClock()});
    expect(summary).toMatchObject({succeeded: 1, failed: 0});
    expect((await backend.tickets.view('1')).comments.map((c) => c.body)).toEqual(['Only once, please.']);
  });

  it('does not repeat a comment that reached the backend on an attempt that failed, when the row is run again', async () => {
    await backend.tickets.create({title: 't', body: 'b'});
    const input = jsonl([{id: '1', status: 'pending', comment: 'Migrated.'}]);
    // The comment reaches the backend, then the attempt fails in a way that is not retried at once.
    const failing = wrap(backend, 'comment', async (real) => {
      await real();
      throw new Error('socket hang up');
    });
    expect(await bulk('update', input, failing)).toMatchObject({failed: 1});
    const summary = await bulk('update', input);
    expect(summary).toMatchObject({succeeded: 1, failed: 0, skipped: 0});
    expect((await backend.tickets.view('1')).comments).toHaveLength(1);
  });

  it('never sends more than --rate calls in any minute, counting every backend call', async () => {
    for (let i = 0; i < 50; i++) await backend.tickets.create({title: `t${i}`, body: 'b'});
    const clock = virtualClock();
    const sent: number[] = [];
    const counting: Backend = {...backend, tickets: new Proxy(backend.tickets, {
      get: (target, prop) => {
        const value = (target as any)[prop];
        return typeof value === 'function' ? (...args: unknown[]) => {
          sent.push(clock.now());
          return value.apply(target, args);
        } : value;
      },
    })};
    // Each row is two calls: the update and the comment.
    const rows = Array.from({length: 50}, (_, i) => ({id: String(i + 1), priority: 'high', comment: `note ${i}`}));
    const summary = await bulk('update', jsonl(rows), counting, {clock, ratePerMinute: 30, concurrency: 8});
    expect(summary).toMatchObject({succeeded: 50, failed: 0});
    expect(sent).toHaveLength(100);
    expect(busiestMinute(sent)).toBeLessThanOrEqual(30);
  });

  it('streams a 100,000-row file: memory in use stays far below the size of the input', async () => {
    const path = join(box.dir, 'big.csv');
    const body = 'A line of body text, with a comma and "quotes". '.repeat(4);
    const fd = openSync(path, 'w');
    let size = writeSync(fd, 'title,body,priority,tags\n');
    for (let i = 1; i <= 100_000; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `Ticket ${j},"${body.replaceAll('"', '""')}",normal,bulk t${j % 7}\n`;
      size += writeSync(fd, chunk);
    }
    closeSync(fd);
    // Retained memory, not garbage waiting for a collection: collect before each sample.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage();
    let peakHeap = 0;
    let peakRss = 0;
    let n = 0;
    const source = await openInput({input: path, spoolDir: join(box.dir, 'spool')});
    const summary = await runBulk(backend, {
      operation: 'create',
      source,
      dataDir: box.env.SUPPORT_DATA_DIR,
      onResult: () => {
        if (++n % 10_000 !== 0) return;
        gc();
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      },
    });
    expect(summary).toMatchObject({total: 100_000, succeeded: 100_000, failed: 0});
    const mb = (v: number) => Math.round(v / 2 ** 20);
    console.log(`100,000 rows (${mb(size)} MB): heap +${mb(peakHeap - base.heapUsed)} MB, RSS +${mb(peakRss - base.rss)} MB`);
    // Loading the file whole would hold at least its size in the heap; streaming holds a few rows.
    expect(peakHeap - base.heapUsed).toBeLessThan(size / 4);
    expect(peakRss - base.rss).toBeLessThan(256 * 2 ** 20);
    const count = (await backend.tickets.list({limit: 1, search: 'Ticket 100000'})).tickets;
    expect(count).toHaveLength(1);
  }, 300_000);
});
