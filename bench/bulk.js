#!/usr/bin/env node
// Bulk update throughput. Usage: node bench/bulk.js [updates=10000] [--rate N]   (run `npm run build` first)
//
// Always: N updates against the local backend (a fresh SQLite store in a temp dir), no rate cap:
// updates per second, wall time, peak RSS.
// When SUPPORT_URL and SUPPORT_TOKEN name a server (e.g. `support serve --rate-limit 6000`): the
// same N updates against it through the rest backend, with --rate when given: achieved rate as a
// share of the cap, 429s received, wall time, peak RSS. Figures only; nothing here passes or fails.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const args = process.argv.slice(2);
const rateAt = args.indexOf('--rate');
const rate = rateAt === -1 ? undefined : Number(args[rateAt + 1]);
const n = Number(args.find((a, i) => /^\d+$/.test(a) && (rateAt === -1 || i !== rateAt + 1)) ?? 10_000);

const {openBackend} = await dist('backends/registry.js');
const {runBulk} = await dist('services/bulk.js');
const {openInput} = await dist('services/bulk-input.js');
const {walkTickets} = await dist('services/export.js');

const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-bulk-'));
const identity = {name: 'bench', role: 'agent'};
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

async function bulk(backend, operation, rows, options = {}) {
  const path = join(dir, `${operation}-${Date.now()}.jsonl`);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
  const source = await openInput({input: path, stdin: process.stdin, spoolDir: join(dir, 'spool')});
  const started = performance.now();
  const summary = await runBulk(backend, {operation, source, dataDir: join(dir, 'journals'), ...options});
  return {...summary, wallMs: performance.now() - started};
}

/** Ids of N tickets on the backend, creating the ones missing. */
async function ticketIds(backend, options) {
  const ids = [];
  for await (const t of walkTickets(backend, {})) {
    ids.push(t.id);
    if (ids.length >= n) return ids;
  }
  const missing = Array.from({length: n - ids.length}, (_, i) => ({title: `Bench ${i}`, body: 'Seeded by bench/bulk.js', tags: ['bench']}));
  const created = await bulk(backend, 'create', missing, {...options, onResult: (r) => r.ok && ids.push(r.id)});
  if (created.failed) throw new Error(`seeding failed for ${created.failed} tickets`);
  return ids;
}

const updates = (ids, round) => ids.map((id, i) => ({id, priority: ['low', 'normal', 'high'][(i + round) % 3], addTags: [`round-${round}`]}));

console.log(`node ${process.version}, ${n.toLocaleString('en-US')} updates, concurrency 4`);
{
  const backend = await openBackend('local', {profile: 'bench', dataDir: join(dir, 'local'), cacheDir: dir, identity});
  const ids = await ticketIds(backend, {});
  const r = await bulk(backend, 'update', updates(ids, 1));
  await backend.close();
  console.log(`local, no cap:    ${(r.succeeded / (r.wallMs / 1000)).toFixed(0).padStart(6)} updates/s   wall ${(r.wallMs / 1000).toFixed(1)} s   failed ${r.failed}   peak RSS ${mb(process.resourceUsage().maxRSS)}`);
}

if (process.env.SUPPORT_URL && process.env.SUPPORT_TOKEN) {
  let backend;
  try {
    backend = await openBackend('rest', {profile: 'bench', url: process.env.SUPPORT_URL, token: async () => process.env.SUPPORT_TOKEN, dataDir: dir, cacheDir: dir, identity});
  } catch (error) {
    console.log(`rest: not available (${error.message})`);
  }
  if (backend) {
    const ids = await ticketIds(backend, {ratePerMinute: rate});
    const r = await bulk(backend, 'update', updates(ids, Date.now() % 1000), {ratePerMinute: rate});
    await backend.close();
    const perMinute = r.calls / (r.wallMs / 60_000);
    const share = rate ? `${((perMinute / rate) * 100).toFixed(1)}% of --rate ${rate}` : 'no --rate';
    console.log(`rest ${process.env.SUPPORT_URL}: ${perMinute.toFixed(0)} calls/min (${share})   429s ${r.rateLimited} (${((r.rateLimited / Math.max(1, r.calls)) * 100).toFixed(2)}% of ${r.calls} calls)   wall ${(r.wallMs / 1000).toFixed(1)} s   failed ${r.failed}   peak RSS ${mb(process.resourceUsage().maxRSS)}`);
  }
}
rmSync(dir, {recursive: true, force: true});
