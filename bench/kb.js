#!/usr/bin/env node
// Knowledge-base bench: generates articles (about 2 KB each, English and German), imports them
// into a fresh local store, and reports import time, on-disk size against the raw text, and
// in-process query latency. It prints figures and asserts nothing.
//
//   npm run build && node bench/kb.js            # 100,000 articles
//   SUPPORT_BENCH_KB_ARTICLES=5000 node bench/kb.js
//   SUPPORT_BENCH_KB_QUERIES=300 (default)  SUPPORT_BENCH_KB_KEEP=1 keeps the store
//   SUPPORT_BENCH_KB_CLI_RUNS=15 (default): `support kb search` end to end on the same store,
//   as a ratio to `node -e 0` measured in the same run (0 skips it)
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const dist = new URL('../dist/', import.meta.url);
const load = async (path) => {
  try {
    return await import(new URL(path, dist).href);
  } catch (error) {
    console.error(`Cannot load ${path} from dist/: run \`npm run build\` first. (${error.message})`);
    process.exit(1);
  }
};
const {openLocalStore} = await load('store/embedded/store.js');
const {LocalKb} = await load('store/embedded/kb/store.js');

const ARTICLES = Number(process.env.SUPPORT_BENCH_KB_ARTICLES ?? 100_000);
const QUERIES = Number(process.env.SUPPORT_BENCH_KB_QUERIES ?? 300);
const BATCH = 1000;

// A seeded generator, so runs are comparable.
let seed = 0x2545f491;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

// Real words from the fixture corpus, plus synthetic product and error names so that the
// vocabulary grows with the corpus as a real one does. Zipf-like picks: a few words are
// everywhere, most are rare.
const fixtureDir = new URL('../test/fixtures/kb/articles/', import.meta.url);
const words = {en: new Set(), de: new Set()};
for (const name of readdirSync(fixtureDir)) {
  const locale = name.startsWith('de-') ? 'de' : 'en';
  const text = readFileSync(new URL(name, fixtureDir), 'utf8').replace(/^---[\s\S]*?---/, '');
  for (const w of text.match(/[\p{L}]{2,}/gu) ?? []) words[locale].add(w);
}
const syllables = ['ka', 'ro', 'mi', 'ten', 'sol', 'vax', 'lum', 'der', 'pra', 'zen', 'tor', 'ix', 'bel', 'qua', 'nor', 'fel'];
const synthetic = Array.from({length: 20_000}, () => {
  let w = '';
  const n = 2 + Math.floor(random() * 3);
  for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
  return w;
});
const vocab = {en: [...words.en, ...synthetic], de: [...words.de, ...synthetic]};
const zipf = (list) => list[Math.min(list.length - 1, Math.floor(list.length * random() ** 3))];
const sentence = (locale, n) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(zipf(vocab[locale]));
  out[0] = out[0][0].toUpperCase() + out[0].slice(1);
  return `${out.join(' ')}.`;
};
const article = (i) => {
  const locale = random() < 0.6 ? 'en' : 'de';
  let body = '';
  while (body.length < 1900) {
    body += random() < 0.1 ? `\n## ${sentence(locale, 3)}\n\n` : `${sentence(locale, 8 + Math.floor(random() * 10))} `;
  }
  return {
    slug: `bench-${i}`,
    locale,
    title: sentence(locale, 4 + Math.floor(random() * 4)).slice(0, -1),
    body,
    tags: [zipf(['network', 'billing', 'login', 'api', 'sla', 'export', 'attachments', 'security'])],
  };
};

const dir = mkdtempSync(join(tmpdir(), 'support-bench-kb-'));
const store = await openLocalStore(join(dir, 'local'));
const kb = new LocalKb(store);

let rawBytes = 0;
const started = performance.now();
for (let done = 0; done < ARTICLES; done += BATCH) {
  const batch = [];
  for (let i = done; i < Math.min(ARTICLES, done + BATCH); i++) {
    const a = article(i);
    rawBytes += Buffer.byteLength(a.title) + Buffer.byteLength(a.body) + Buffer.byteLength(a.tags.join(' '));
    batch.push(a);
  }
  kb.upsertMany(batch);
  if (process.stderr.isTTY) process.stderr.write(`\rimported ${Math.min(ARTICLES, done + BATCH)} / ${ARTICLES}`);
}
const importMs = performance.now() - started;
if (process.stderr.isTTY) process.stderr.write('\n');
store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');

const fileSize = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};
const dbBytes = fileSize(store.file) + fileSize(`${store.file}-wal`);
let ftsBytes;
try {
  const rows = store.db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'kb_fts%' GROUP BY name").all();
  ftsBytes = rows.reduce((n, r) => n + r.bytes, 0);
} catch {
  ftsBytes = undefined; // SQLite built without dbstat
}

// Queries: single words, two- and three-word questions, typos, prefixes, phrases, German pairs
// that are compounds elsewhere; words drawn from the same distribution as the articles, which
// makes many of them common and so hard.
const typo = (w) => {
  const i = 1 + Math.floor(random() * (w.length - 2));
  return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
};
const longWord = (locale) => {
  for (;;) {
    const w = zipf(vocab[locale]);
    if (w.length >= 6) return w;
  }
};
const kinds = {
  word: (l) => zipf(vocab[l]),
  'two words': (l) => `${zipf(vocab[l])} ${zipf(vocab[l])} `,
  'three words': (l) => `${zipf(vocab[l])} ${zipf(vocab[l])} ${zipf(vocab[l])} `,
  typo: (l) => `${typo(longWord(l))} `,
  prefix: (l) => longWord(l).slice(0, 4),
  phrase: (l) => `"${zipf(vocab[l])} ${zipf(vocab[l])}"`,
  compound: () => `${longWord('de')}${longWord('de').toLowerCase()} `,
};
const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
const all = [];
const names = Object.keys(kinds);
// Warm up the statement cache and stemmer as a long-lived process would be.
for (let i = 0; i < 20; i++) kb.search({text: kinds.word('en'), limit: 10});
for (let i = 0; i < QUERIES; i++) {
  const kind = names[i % names.length];
  const text = kinds[kind](random() < 0.6 ? 'en' : 'de');
  const t0 = performance.now();
  kb.search({text, limit: 10});
  const ms = performance.now() - t0;
  samples[kind].push(ms);
  all.push(ms);
}

const pct = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(`kb bench: ${ARTICLES.toLocaleString('en')} articles, ${mb(rawBytes)} of raw text, node ${process.version}`);
console.log(`import:   ${(importMs / 1000).toFixed(1)} s (${Math.round(ARTICLES / (importMs / 1000)).toLocaleString('en')} articles/s)`);
console.log(`on disk:  ${mb(dbBytes)} in all = ${(dbBytes / rawBytes).toFixed(2)}x the raw text` + (ftsBytes === undefined ? '' : `; full-text index ${mb(ftsBytes)} = ${(ftsBytes / rawBytes).toFixed(2)}x`));
console.log(`queries:  ${all.length}, p50 ${pct(all, 50).toFixed(2)} ms, p95 ${pct(all, 95).toFixed(2)} ms, p99 ${pct(all, 99).toFixed(2)} ms, max ${Math.max(...all).toFixed(2)} ms (target p95 < 25 ms)`);
for (const [kind, list] of Object.entries(samples)) {
  console.log(`  ${kind.padEnd(12)} p50 ${pct(list, 50).toFixed(2).padStart(7)} ms   p95 ${pct(list, 95).toFixed(2).padStart(7)} ms`);
}
store.close();

// End to end: the built `support kb search` against the store just written, as a person runs
// it (a new process each time), against `node -e 0` in the same run.
const CLI_RUNS = Number(process.env.SUPPORT_BENCH_KB_CLI_RUNS ?? 15);
if (CLI_RUNS > 0) {
  const bin = new URL('../bin/run.js', import.meta.url).pathname;
  const env = {...process.env, SUPPORT_CONFIG_DIR: join(dir, 'config'), SUPPORT_DATA_DIR: dir, SUPPORT_CACHE_DIR: join(dir, 'cache'), SUPPORT_USER: 'bench'};
  delete env.NODE_ENV;
  const time = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {env, stdio: ['ignore', 'ignore', 'pipe']});
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const cliQueries = ['proxy setup', 'login fails', 'diagnostic bundle', 'Proxy einrichten', 'konfiguriere', ...Array.from({length: 5}, () => `${zipf(vocab.en)} ${zipf(vocab.en)}`)];
  // Warm-up: Node's compile cache, and the built-in articles seeded on the first open.
  time(['-e', '0']);
  time([bin, 'kb', 'search', 'warm up', '--json']);
  const base = [];
  const cli = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    base.push(time(['-e', '0']));
    cli.push(time([bin, 'kb', 'search', cliQueries[i % cliQueries.length], '--json']));
  }
  const b = median(base);
  const c = median(cli);
  console.log(`cli:      support kb search --json, median of ${CLI_RUNS}: ${c.toFixed(1)} ms; node -e 0: ${b.toFixed(1)} ms; ratio ${(c / b).toFixed(2)}x (target < 4.5x)`);
}

if (process.env.SUPPORT_BENCH_KB_KEEP) console.log(`store kept in ${dir}`);
else rmSync(dir, {recursive: true, force: true});
