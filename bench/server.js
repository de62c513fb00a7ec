#!/usr/bin/env node
// Figures for the reference server and the rest backend; prints numbers, asserts nothing.
// Needs a build (npm run build). Traffic goes to 127.0.0.1 only, for a bounded time.
import {execFile} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

import autocannon from 'autocannon';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const {startServer} = await import(join(root, 'dist/server/app.js'));

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);

const home = mkdtempSync(join(tmpdir(), 'supportkit-bench-'));
const server = await startServer({dataDir: join(home, 'server'), host: '127.0.0.1', port: 0, rateLimit: 0});
const token = (await server.store.tokens.create('bench', 'agent')).token;
const headers = {authorization: `Bearer ${token}`, 'content-type': 'application/json'};

function cannon(title, options) {
  return new Promise((resolve, reject) => {
    autocannon({url: `${server.url}${options.path}`, connections: CONNECTIONS, duration: DURATION, headers, method: options.method, body: options.body}, (error, result) => {
      if (error) reject(error);
      else {
        const errors = result.errors + result.non2xx;
        console.log(
          `${title.padEnd(16)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(result.latency.p50).padStart(3)} ms   p99 ${String(result.latency.p99).padStart(3)} ms   (${result.requests.total} requests, ${errors} errors)`,
        );
        resolve(result);
      }
    });
  });
}

console.log(`server: ${CONNECTIONS} connections, ${DURATION}s each, loopback, rate limit off, node ${process.version}`);
await cannon('ticket create', {method: 'POST', path: '/v1/tickets', body: JSON.stringify({title: 'Bench ticket', body: 'Created by bench/server.js', tags: ['bench']})});
await cannon('ticket get', {method: 'GET', path: '/v1/tickets/1'});

// The CLI end to end: the same `ticket create` on the rest backend (through this server) and on the local one.
const env = {
  ...process.env,
  SUPPORT_CONFIG_DIR: join(home, 'config'),
  SUPPORT_DATA_DIR: join(home, 'data'),
  SUPPORT_CACHE_DIR: join(home, 'cache'),
  SUPPORT_CREDENTIAL_STORE: 'file',
  NO_COLOR: '1',
};
delete env.SUPPORT_TOKEN;
delete env.SUPPORT_PROFILE;
const bin = join(root, 'bin/run.js');
await run(process.execPath, [bin, 'profile', 'add', 'bench', '--backend', 'rest', '--url', server.url], {env});
await run(process.execPath, [bin, 'profile', 'add', 'benchlocal', '--backend', 'local', '--as', 'agent'], {env});
const login = execFile(process.execPath, [bin, 'auth', 'login', '--profile', 'bench', '--with-token'], {env});
login.stdin.end(`${token}\n`);
await new Promise((resolve) => login.on('close', resolve));

async function timeCli(profile) {
  const times = [];
  // One warm-up run fills Node's compile cache, as on any machine after the first use.
  for (let i = 0; i <= CLI_RUNS; i++) {
    const started = performance.now();
    await run(process.execPath, [bin, 'ticket', 'create', '--profile', profile, '--title', `cli ${i}`, '--body', 'end to end', '--json'], {env});
    if (i > 0) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const local = await timeCli('benchlocal');
const rest = await timeCli('bench');
console.log(`cli ticket create (median of ${CLI_RUNS}): local ${local.toFixed(0)} ms, rest ${rest.toFixed(0)} ms, ratio rest/local ${(rest / local).toFixed(2)}`);

await server.close();
rmSync(home, {recursive: true, force: true});
