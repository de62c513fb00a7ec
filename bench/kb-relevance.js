#!/usr/bin/env node
// Knowledge-base relevance bench on a real help corpus nobody here wrote: LibreOffice's help,
// English and German, from Debian's packages libreoffice-help-en-us and libreoffice-help-de,
// fetched through apt at bench time into a cache folder outside the repository.
//
// Queries come from the help's own keyword index (bookmarks.js: the search terms its authors
// filed under each page), keeping the terms that name exactly one page and are not that page's
// title. The engine sees both languages and prefers the query's one (as `kb search` does for a
// user of that language); the peers, plain SQLite FTS5 (the query's words OR'ed, bm25) and
// MiniSearch (defaults: BM25+, OR), search only the query's language, which is the easier task.
//
// Reports recall@1, recall@3 and MRR@10 per language on the real corpus (about 5,000 pages),
// a sweep of the engine's title weight and coverage boost on a separate half of the queries,
// then the same at 100,000 articles (the real ones among synthetic ones made from their own
// sentences) with in-process latency. Prints figures; asserts nothing.
//
//   npm run build && npm run bench:kb-relevance
//   SUPPORT_BENCH_QUERIES=1000 (per language, default)  SUPPORT_BENCH_LARGE=100000 (0 skips it)
//   SUPPORT_BENCH_CACHE=~/.cache/supportkit-bench (default)  SUPPORT_BENCH_SWEEP=0 skips the sweep
//   SUPPORT_BENCH_SYSTEMS=engine,fts5,minisearch (default): which to measure
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {homedir, tmpdir} from 'node:os';
import {join, relative} from 'node:path';
import {DatabaseSync} from 'node:sqlite';
import {runInNewContext} from 'node:vm';

import {Parser} from 'htmlparser2';
import MiniSearch from 'minisearch';

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

const QUERIES = Number(process.env.SUPPORT_BENCH_QUERIES ?? 1000);
const LARGE = Number(process.env.SUPPORT_BENCH_LARGE ?? 100_000);
const SWEEP = process.env.SUPPORT_BENCH_SWEEP !== '0';
const SYSTEMS = (process.env.SUPPORT_BENCH_SYSTEMS ?? 'engine,fts5,minisearch').split(',');
const CACHE = process.env.SUPPORT_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'supportkit-bench');
const LANGS = [
  {locale: 'en', dir: 'en-US', pkg: 'libreoffice-help-en-us'},
  {locale: 'de', dir: 'de', pkg: 'libreoffice-help-de'},
];

// ---- The corpus, fetched through apt once ----
const root = join(CACHE, 'libreoffice');
const helpDir = join(root, 'x', 'usr', 'share', 'libreoffice', 'help');
if (!LANGS.every((l) => existsSync(join(helpDir, l.dir, 'bookmarks.js')))) {
  mkdirSync(join(root, 'debs'), {recursive: true});
  console.error(`fetching ${LANGS.map((l) => l.pkg).join(' and ')} with apt-get download into ${root}`);
  try {
    execFileSync('apt-get', ['download', ...LANGS.map((l) => l.pkg)], {cwd: join(root, 'debs'), stdio: ['ignore', 'ignore', 'inherit']});
    for (const deb of readdirSync(join(root, 'debs')).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg', ['-x', join(root, 'debs', deb), join(root, 'x')]);
  } catch (error) {
    console.error(`Could not fetch the LibreOffice help through apt (${error.message}). On Debian or Ubuntu, run \`apt-get update\` and try again.`);
    process.exit(1);
  }
}

// A seeded generator, so that runs are comparable.
let seed = 0x9e3779b9;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const shuffle = (list) => {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
};

/** The page as an article: its <title>, and the text of its display area as light Markdown. */
function readPage(file) {
  let title = '';
  let inTitle = false;
  let depth = 0; // inside #DisplayArea when > 0
  let skip = 0;
  const lines = [];
  let line = '';
  let heading = 0;
  const BLOCK = new Set(['p', 'li', 'td', 'th', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', 'tr', 'br']);
  const flush = () => {
    const text = line.replace(/\s+/g, ' ').trim();
    if (text && heading !== 1) lines.push(heading ? `## ${text}` : text);
    line = '';
    heading = 0;
  };
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'title') inTitle = true;
      if (depth === 0 && attrs.id === 'DisplayArea') {
        depth = 1;
        return;
      }
      if (depth === 0) return;
      if (name === 'div') depth++;
      if (name === 'script' || name === 'style') skip++;
      if (BLOCK.has(name)) flush();
      if (/^h[1-6]$/.test(name)) heading = Number(name[1]);
    },
    ontext(text) {
      if (inTitle) title += text;
      else if (depth > 0 && skip === 0) line += text;
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      if (depth === 0) return;
      if (name === 'script' || name === 'style') skip--;
      if (BLOCK.has(name)) flush();
      if (name === 'div') depth--;
    },
  }, {decodeEntities: true});
  parser.write(readFileSync(file, 'utf8'));
  parser.end();
  flush();
  return {title: title.replace(/\s+/g, ' ').trim(), body: lines.join('\n\n')};
}

const walk = (dir) => readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.html') ? [join(dir, e.name)] : []));
const slugOf = (locale, path) => `lo-${locale}-${path.replace(/\.html$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
const norm = (text) => text.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

const articles = [];
const queries = {en: [], de: []};
for (const {locale, dir} of LANGS) {
  const base = join(helpDir, dir);
  const titles = new Map();
  for (const file of walk(join(base, 'text'))) {
    const page = readPage(file);
    if (!page.title || page.body.length < 40) continue;
    const slug = slugOf(locale, relative(base, file));
    titles.set(slug, page.title);
    articles.push({slug, locale, title: page.title, body: page.body, tags: []});
  }
  // The keyword index: "AutoCorrect function -- turning off" -> the page(s) filed under it.
  const bookmarks = runInNewContext(`${readFileSync(join(base, 'bookmarks.js'), 'utf8')}; bookmarks`);
  const pages = new Map();
  for (const b of bookmarks) {
    const path = b.url.replace(/^[^/]+\//, '').replace(/[?#].*$/, '');
    const set = pages.get(b.text) ?? new Set();
    set.add(slugOf(locale, path));
    pages.set(b.text, set);
  }
  const candidates = [];
  for (const [text, slugs] of pages) {
    if (slugs.size !== 1) continue;
    const [slug] = slugs;
    const title = titles.get(slug);
    const query = text.replace(/--/g, ' ').replace(/\s+/g, ' ').trim();
    if (!title || norm(query).length < 3 || norm(query) === norm(title)) continue;
    candidates.push({query, locale, relevant: slug});
  }
  queries[locale] = shuffle(candidates).slice(0, QUERIES);
}
// Half the queries tune (the sweep), the other half measure: the reported figures are never
// those the defaults were chosen on.
const split = (list) => ({dev: list.filter((_, i) => i % 2 === 0), test: list.filter((_, i) => i % 2 === 1)});
const sets = {en: split(queries.en), de: split(queries.de)};

// ---- Systems ----
async function openEngine(docs, ranking) {
  // SUPPORT_BENCH_KEEP_STORE=DIR keeps the engine's stores there and reuses them (the corpus is
  // the same on every run): for profiling queries without importing again.
  const kept = process.env.SUPPORT_BENCH_KEEP_STORE ? join(process.env.SUPPORT_BENCH_KEEP_STORE, String(docs.length)) : undefined;
  const reuse = kept !== undefined && existsSync(join(kept, 'local'));
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'support-bench-kbrel-'));
  const store = await openLocalStore(join(dir, 'local'));
  const kb = new LocalKb(store, undefined, ranking ? {ranking} : {});
  if (!reuse) for (let i = 0; i < docs.length; i += 1000) kb.upsertMany(docs.slice(i, i + 1000));
  const slugById = new Map(store.db.prepare('SELECT id, slug FROM kb_articles').all().map((r) => [String(r.id), r.slug]));
  return {
    name: 'engine',
    search: (q, locale) => kb.search({text: q, limit: 10, prefer: locale}).map((h) => h.slug ?? slugById.get(h.id)),
    withRanking: (r) => (q, locale) => kb.search({text: q, limit: 10, prefer: locale}, r).map((h) => h.slug ?? slugById.get(h.id)),
    close: () => {
      store.close();
      if (!kept) rmSync(dir, {recursive: true, force: true});
    },
  };
}

function openFts5(docs) {
  const db = new DatabaseSync(':memory:');
  db.exec(`CREATE VIRTUAL TABLE fts USING fts5 (title, body, locale UNINDEXED, slug UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')`);
  const insert = db.prepare('INSERT INTO fts (title, body, locale, slug) VALUES (?, ?, ?, ?)');
  db.exec('BEGIN');
  for (const d of docs) insert.run(d.title, d.body, d.locale, d.slug);
  db.exec('COMMIT');
  const search = db.prepare(`SELECT slug FROM fts WHERE fts MATCH ? AND locale = ? ORDER BY bm25(fts) LIMIT 10`);
  return {
    name: 'FTS5',
    search: (q, locale) => {
      const words = q.match(/[\p{L}\p{N}]+/gu) ?? [];
      if (words.length === 0) return [];
      return search.all(words.map((w) => `"${w}"`).join(' OR '), locale).map((r) => r.slug);
    },
    close: () => db.close(),
  };
}

function openMiniSearch(docs) {
  const indexes = {};
  for (const {locale} of LANGS) {
    const index = new MiniSearch({fields: ['title', 'body'], storeFields: ['slug'], idField: 'slug'});
    index.addAll(docs.filter((d) => d.locale === locale));
    indexes[locale] = index;
  }
  return {
    name: 'MiniSearch',
    search: (q, locale) => indexes[locale].search(q).slice(0, 10).map((r) => r.slug),
    close: () => {},
  };
}

// ---- Measures ----
function measure(search, list) {
  let at1 = 0;
  let at3 = 0;
  let rr = 0;
  const times = [];
  const cpu = [];
  for (const {query, locale, relevant} of list) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const found = search(query, locale);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    const rank = found.slice(0, 10).indexOf(relevant);
    if (rank === 0) at1++;
    if (rank >= 0 && rank < 3) at3++;
    if (rank >= 0) rr += 1 / (rank + 1);
  }
  const n = list.length || 1;
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const pct = (list, p) => list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? 0;
  return {r1: at1 / n, r3: at3 / n, mrr: rr / n, p50: pct(times, 0.5), p95: pct(times, 0.95), cpu50: pct(cpu, 0.5), cpu95: pct(cpu, 0.95)};
}

const f3 = (x) => x.toFixed(3);
const row = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
const WIDTHS = [12, 4, 6, 6, 7, 8, 8, 8, 8];
// Wall time, and the process's CPU time, which a busy machine's other work does not inflate.
const header = () => console.log(row(['system', 'lang', 'R@1', 'R@3', 'MRR@10', 'p50 ms', 'p95 ms', 'cpu p50', 'cpu p95'], WIDTHS));

async function table(docs, label, warm) {
  console.log(`\n${label}: ${docs.length.toLocaleString('en')} articles (${docs.filter((d) => d.locale === 'en').length.toLocaleString('en')} en, ${docs.filter((d) => d.locale === 'de').length.toLocaleString('en')} de); ${sets.en.test.length} + ${sets.de.test.length} test queries`);
  header();
  const results = {};
  for (const open of [openEngine, openFts5, openMiniSearch].filter((o) => SYSTEMS.includes(o.name.replace(/^open/, '').toLowerCase()))) {
    const t0 = performance.now();
    const system = await open(docs);
    const built = performance.now() - t0;
    for (const q of warm) system.search(q.query, q.locale);
    for (const {locale} of LANGS) {
      const m = measure(system.search, sets[locale].test);
      results[`${system.name}/${locale}`] = m;
      console.log(row([system.name, locale, f3(m.r1), f3(m.r3), f3(m.mrr), m.p50.toFixed(2), m.p95.toFixed(2), m.cpu50.toFixed(2), m.cpu95.toFixed(2)], WIDTHS));
    }
    console.log(`${''.padEnd(WIDTHS[0])}  (indexed in ${(built / 1000).toFixed(1)} s)`);
    if (open === openEngine && SWEEP && label === 'real corpus') await sweep(system);
    system.close();
  }
  return results;
}

/** The engine's title weight and coverage boost, tried on the dev half of the queries. */
async function sweep(engine) {
  if (!engine.withRanking) return;
  const dev = [...sets.en.dev, ...sets.de.dev];
  console.log(`  sweep on the ${dev.length} dev queries (MRR@10 en / de):`);
  for (const titleWeight of [1, 1.5, 2, 3, 4, 6]) {
    const cells = [];
    for (const coverage of [0, 0.5, 0.75, 1, 1.5]) {
      const search = engine.withRanking({titleWeight, coverage});
      const en = measure(search, sets.en.dev).mrr;
      const de = measure(search, sets.de.dev).mrr;
      cells.push(`coverage ${coverage}: ${f3(en)} / ${f3(de)}`);
    }
    console.log(`    title x${String(titleWeight).padEnd(2)} ${cells.join('   ')}`);
  }
}

console.log(`kb relevance bench: LibreOffice help (${LANGS.map((l) => l.pkg).join(', ')}), node ${process.version}`);
console.log('engine: both languages, prefers the query\'s; FTS5 (OR, bm25) and MiniSearch (defaults): the query\'s language only');
const warm = [...sets.en.dev.slice(0, 20), ...sets.de.dev.slice(0, 20)];
await table(articles, 'real corpus', warm);

if (LARGE > articles.length) {
  // Synthetic articles made of the real ones' own sentences, in the same language mix.
  const sentences = {en: [], de: []};
  for (const a of articles) for (const s of a.body.split(/(?<=[.!?:])\s+|\n+/)) if (s.length > 20 && !s.startsWith('## ')) sentences[a.locale].push(s);
  const titles = {en: articles.filter((a) => a.locale === 'en').map((a) => a.title), de: articles.filter((a) => a.locale === 'de').map((a) => a.title)};
  const pick = (list) => list[Math.floor(random() * list.length)];
  const avg = articles.reduce((n, a) => n + a.body.length, 0) / articles.length;
  const large = [...articles];
  for (let i = 0; large.length < LARGE; i++) {
    const locale = i % 2 === 0 ? 'en' : 'de';
    const length = avg * (0.3 + random() * 1.4);
    let body = '';
    while (body.length < length) body += random() < 0.15 ? `\n\n## ${pick(titles[locale])}\n\n` : `${pick(sentences[locale])} `;
    // A title from two real titles' halves: plausible words, no real page's title.
    const [a, b] = [pick(titles[locale]).split(' '), pick(titles[locale]).split(' ')];
    const title = [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.ceil(b.length / 2))].join(' ');
    large.push({slug: `synthetic-${locale}-${i}`, locale, title, body: body.trim(), tags: []});
  }
  await table(shuffle(large), 'real + synthetic', warm);
}
