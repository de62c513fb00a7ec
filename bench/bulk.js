#!/usr/bin/env node
// Bulk update throughput, local and against `support serve` on loopback. Prints figures; asserts none.
//
//   npm run build && node bench/bulk.js [updates=10000] [--limit 6000]
//
// Each run is `support ticket bulk update`'s engine (runBulk) over a backend opened through the
// registry, in a fresh child process, so that its peak RSS is its own. Rows are {id, priority,
// assignee}: one PATCH each, so calls = updates. The server is `support serve` in its own process
// with its own data dir, seeded with the tickets straight into its store before it starts, and
// restarted before each run so that every run begins with a fresh rate-limit window.
//
//   local             the local backend, no cap: updates/s
//   rest, no limit    `support serve --rate-limit 0`: updates/s
//   rest, adaptive    `support serve --rate-limit L`, no --rate: the pacer learns the limit from the
//                     RateLimit-* headers (and from 429s)
//   rest, --rate L    the same server with --rate L on the client as well
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'run.js');
const dist = (p) => import(join(root, 'dist', p));
const identity = {name: 'bench', role: 'agent'};

if (process.argv[2] === '--worker') {
  // One run in this process: {kind, url?, token?, dataDir, input, rate?} -> one JSON line of figures.
  const job = JSON.parse(process.argv[3]);
  const {openBackend} = await dist('backends/registry.js');
  const {runBulk} = await dist('services/bulk.js');
  const {openInput} = await dist('services/bulk-input.js');
  const backend = await openBackend(job.kind, {profile: 'bench', url: job.url, token: async () => job.token, dataDir: job.dataDir, cacheDir: job.dataDir, identity});
  const source = await openInput({input: job.input, stdin: process.stdin, spoolDir: join(job.dataDir, 'spool')});
  const finished = [];
  const started = performance.now();
  const s = await runBulk(backend, {
    operation: 'update',
    source,
    dataDir: job.dataDir,
    ratePerMinute: job.rate,
    concurrency: job.concurrency,
    onResult: () => finished.push(performance.now() - started),
  });
  const wallMs = performance.now() - started;
  await source.close();
  await backend.close();
  const {calls, rateLimited, unavailable, succeeded, failed} = s;
  // Rows done in the run's first minute (it opens the server's one-minute window), and in its busiest 60 s.
  const firstMinute = wallMs >= 60_000 ? finished.filter((t) => t < 60_000).length : undefined;
  let busiest = 0;
  for (let from = 0, to = 0; to < finished.length; to++) {
    while (finished[to] - finished[from] >= 60_000) from++;
    busiest = Math.max(busiest, to - from + 1);
  }
  console.log(JSON.stringify({calls, rateLimited, unavailable, succeeded, failed, wallMs, firstMinute, busiest, rssKb: process.resourceUsage().maxRSS}));
  process.exit(0);
}

const args = process.argv.slice(2);
const limitAt = args.indexOf('--limit');
const LIMIT = limitAt === -1 ? 6000 : Number(args[limitAt + 1]);
const N = Number(args.find((a, i) => /^\d+$/.test(a) && i !== limitAt + 1) ?? 10_000);
const CONCURRENCY = 4;

const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-bulk-'));
const env = {...process.env, SUPPORT_CONFIG_DIR: join(dir, 'config'), SUPPORT_DATA_DIR: join(dir, 'data'), SUPPORT_CACHE_DIR: join(dir, 'cache')};
delete env.NODE_ENV;
for (const key of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY']) delete env[key];

/** N tickets straight into a store (the server's, or the local backend's), before anything opens it. */
async function seed(storeDir) {
  const {openLocalStore} = await dist('store/embedded/store.js');
  const {LocalTickets} = await dist('store/embedded/tickets.js');
  const store = await openLocalStore(storeDir);
  const tickets = new LocalTickets(store, identity);
  const ids = [];
  for (let i = 0; i < N; i++) ids.push((await tickets.create({title: `Bench ${i}`, body: 'Seeded by bench/bulk.js', tags: ['bench']})).id);
  store.close();
  return ids;
}

let round = 0;
/** A fresh input each run (a new journal): every row changes its ticket. */
function updates(ids) {
  round++;
  const file = join(dir, `updates-${round}.jsonl`);
  writeFileSync(file, ids.map((id, i) => JSON.stringify({id, priority: ['low', 'normal', 'high', 'urgent'][(i + round) % 4], assignee: `agent-${round}`})).join('\n'));
  return file;
}

function worker(job) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', JSON.stringify({concurrency: CONCURRENCY, ...job})], {env, encoding: 'utf8', maxBuffer: 1 << 24});
  if (r.status !== 0) throw new Error(`worker failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** `support serve` as a child process; resolves with its URL, and stops with SIGTERM. */
async function serve(serverDir, rateLimit) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', serverDir, '--rate-limit', String(rateLimit), '--quiet'], {env, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve(line.trim());
    });
    exited.then(() => reject(new Error(`support serve exited: ${stderr}`)));
  });
  const peakKb = () => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    } catch {
      return undefined;
    }
  };
  return {url, peakKb, stop: async () => (child.kill('SIGTERM'), await exited)};
}

const mb = (kb) => (kb ? `${(kb / 1024).toFixed(0)} MB` : '?');
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const pct = (a, b) => `${((a / b) * 100).toFixed(1)}%`;

console.log(`node ${process.version}, ${N.toLocaleString('en-US')} updates (one PATCH each), concurrency ${CONCURRENCY}, loopback`);

{
  const dataDir = join(dir, 'local-cli');
  const ids = await seed(join(dataDir, 'local'));
  const r = worker({kind: 'local', dataDir, input: updates(ids)});
  console.log(`local, no cap:            ${(r.succeeded / (r.wallMs / 1000)).toFixed(0).padStart(6)} updates/s   wall ${s(r.wallMs)}   failed ${r.failed}   peak RSS ${mb(r.rssKb)}`);
}

const serverDir = join(dir, 'server');
const ids = await seed(serverDir);
const made = spawnSync(process.execPath, [BIN, 'serve', 'token', 'create', '--role', 'agent', '--name', 'bench', '--data-dir', serverDir, '--json'], {env, encoding: 'utf8'});
if (made.status !== 0) throw new Error(`token create failed: ${made.stderr}`);
const {token} = JSON.parse(made.stdout);

async function rest(label, rateLimit, rate) {
  const server = await serve(serverDir, rateLimit);
  try {
    const r = worker({kind: 'rest', url: server.url, token, dataDir: join(dir, `cli-${round + 1}`), input: updates(ids), rate});
    const perMinute = r.calls / (r.wallMs / 60_000);
    const head = `${label.padEnd(24)} ${(r.succeeded / (r.wallMs / 1000)).toFixed(0).padStart(6)} updates/s`;
    const first = r.firstMinute === undefined ? '' : `, first minute ${r.firstMinute} = ${pct(r.firstMinute, rateLimit)}, busiest 60 s ${r.busiest}`;
    const share = rateLimit ? `   ${perMinute.toFixed(0)} calls/min over the run = ${pct(perMinute, rateLimit)} of the limit${first}` : '';
    const limited = rateLimit ? `   429s ${r.rateLimited} (${pct(r.rateLimited, r.calls)} of ${r.calls} calls)` : '';
    console.log(`${head}${share}${limited}   wall ${s(r.wallMs)}   failed ${r.failed}   peak RSS client ${mb(r.rssKb)}, server ${mb(server.peakKb())}`);
  } finally {
    await server.stop();
  }
}

await rest('rest, no limit:', 0);
await rest(`rest, limit ${LIMIT} adaptive:`, LIMIT);
await rest(`rest, limit, --rate ${LIMIT}:`, LIMIT, LIMIT);
rmSync(dir, {recursive: true, force: true});
