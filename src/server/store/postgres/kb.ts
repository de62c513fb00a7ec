import {rmSync} from 'node:fs';
import {join} from 'node:path';

import type {PoolClient} from 'pg';

import type {Article, ArticleInput, KbLocale} from '../../../domain/article.js';
import {NotFoundError} from '../../../domain/errors.js';
import {builtinDigest, loadBuiltinArticles} from '../../../store/embedded/kb/builtin.js';
import {openKbCache, type KbCache} from '../../../store/embedded/kb/cache.js';
import {contentHash, validateInput} from '../../../store/embedded/kb/store.js';
import type {KbChanges, KbStore, KbUpsertOutcome} from '../store.js';
import {LOCKS, type Database, type Queryable} from './db.js';

interface ArticleRow {
  id: number;
  slug: string;
  locale: string;
  tags: string[];
  url: string | null;
  content_hash: string;
  updated_at: number;
  change_seq: number;
  title: string;
  body: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const SEQ = 'kb_change_seq';
const SEEDED = 'kb_builtin_hash';
const CHANGES_PAGE = 500;

const toArticle = (row: ArticleRow): Article => ({
  id: String(row.id),
  slug: row.slug,
  title: row.title,
  body: row.body,
  tags: row.tags,
  locale: row.locale as KbLocale,
  updatedAt: iso(row.updated_at),
  ...(row.url ? {url: row.url} : {}),
});

const notFound = (idOrSlug: string) =>
  new NotFoundError(`There is no article ${idOrSlug}.`, {hint: 'Search with `support kb search WORDS` to find its id or slug.'});

async function find(q: Queryable, idOrSlug: string, lock = ''): Promise<ArticleRow | undefined> {
  const key = idOrSlug.trim();
  const {rows} = /^\d{1,15}$/.test(key)
    ? await q.query<ArticleRow>(`SELECT * FROM kb_articles WHERE id = $1 ${lock}`, [Number(key)])
    : await q.query<ArticleRow>(`SELECT * FROM kb_articles WHERE slug = $1 ${lock}`, [key.toLowerCase()]);
  return rows[0];
}

/** The next change number; the kb lock (taken here, held to COMMIT) keeps them in commit order. */
async function nextSeq(c: PoolClient): Promise<number> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.kb]);
  const {rows} = await c.query<{value: string}>(
    `INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value`,
    [SEQ],
  );
  return Number(rows[0]!.value);
}

async function upsertWith(c: PoolClient, input: ArticleInput, now: () => number): Promise<{article: Article; outcome: KbUpsertOutcome}> {
  const a = validateInput(input);
  const hash = contentHash(a);
  const existing = await find(c, a.slug, 'FOR UPDATE');
  if (existing && existing.content_hash === hash) return {article: toArticle(existing), outcome: 'unchanged'};
  const seq = await nextSeq(c);
  const updatedAt = a.updatedAt ?? now();
  const values = [a.locale, JSON.stringify(a.tags), a.url ?? null, hash, updatedAt, seq, a.title, a.body];
  let id: number;
  if (existing) {
    id = existing.id;
    await c.query('UPDATE kb_articles SET locale = $1, tags = $2, url = $3, content_hash = $4, updated_at = $5, change_seq = $6, title = $7, body = $8 WHERE id = $9', [...values, id]);
  } else {
    const {rows} = await c.query<{id: number}>(
      'INSERT INTO kb_articles (locale, tags, url, content_hash, updated_at, change_seq, title, body, slug) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
      [...values, a.slug],
    );
    id = rows[0]!.id;
    await c.query('DELETE FROM kb_tombstones WHERE slug = $1', [a.slug]);
  }
  return {
    article: {id: String(id), slug: a.slug, title: a.title, body: a.body, tags: a.tags, locale: a.locale, updatedAt: iso(updatedAt), ...(a.url ? {url: a.url} : {})},
    outcome: existing ? 'updated' : 'created',
  };
}

async function changes(q: Queryable, since: number, limit: number): Promise<KbChanges> {
  const {rows} = await q.query<ArticleRow>('SELECT * FROM kb_articles WHERE change_seq > $1 ORDER BY change_seq LIMIT $2', [since, limit + 1]);
  const {rows: dead} = await q.query<{slug: string; id: number; deleted_at: number; change_seq: number}>(
    'SELECT slug, id, deleted_at, change_seq FROM kb_tombstones WHERE change_seq > $1 ORDER BY change_seq LIMIT $2',
    [since, limit + 1],
  );
  // Merge both lists by sequence and cut at `limit`, so that the next page starts right after.
  const merged = [...rows.map((r) => ({seq: r.change_seq, row: r})), ...dead.map((d) => ({seq: d.change_seq, dead: d}))].sort((a, b) => a.seq - b.seq).slice(0, limit + 1);
  const page = merged.slice(0, limit);
  return {
    articles: page.flatMap((c) => ('row' in c && c.row ? [toArticle(c.row)] : [])),
    deleted: page.flatMap((c) => ('dead' in c && c.dead ? [{id: String(c.dead.id), slug: c.dead.slug, deletedAt: iso(c.dead.deleted_at)}] : [])),
    seq: page.at(-1)?.seq ?? since,
    more: merged.length > limit,
  };
}

/**
 * The knowledge base on PostgreSQL. Articles, change numbers and tombstones are in the
 * database; search runs in each instance's own copy of them in the embedded engine
 * (src/store/embedded/kb, in `<data dir>/kb-index`), so that analysis and ranking are exactly
 * the SQLite store's. Before each search the copy takes the changes it has not seen (one
 * indexed query when there are none), so an article written on one instance is found on every
 * instance at once.
 */
export async function postgresKb(db: Database, dataDir: string, now: () => number): Promise<KbStore & {close(): void}> {
  await seedBuiltins(db, now);
  const root = join(dataDir, 'kb-index');
  // The database's own id: a copy made from another database starts afresh.
  await db.query("INSERT INTO meta (key, value) VALUES ('database_id', gen_random_uuid()::text) ON CONFLICT (key) DO NOTHING");
  const source = `postgres:${(await db.query<{value: string}>("SELECT value FROM meta WHERE key = 'database_id'")).rows[0]!.value}`;
  let cache: KbCache | undefined;
  let syncing: Promise<void> = Promise.resolve();

  const open = async () => (cache ??= (await openKbCache(root, source))!);
  const catchUp = async () => {
    let index = await open();
    const {rows} = await db.query<{value: string}>('SELECT value FROM meta WHERE key = $1', [SEQ]);
    const latest = Number(rows[0]?.value ?? 0);
    let cursor = Number(index.cursor ?? 0);
    if (latest < cursor) {
      // The database went back in time (restored from a backup): build the copy again.
      index.close();
      rmSync(root, {recursive: true, force: true});
      cache = undefined;
      index = await open();
      cursor = 0;
    }
    while (cursor < latest) {
      const page = await changes(db, cursor, CHANGES_PAGE);
      index.apply({articles: page.articles, deleted: page.deleted, cursor: String(page.seq), more: page.more});
      if (page.seq === cursor) break;
      cursor = page.seq;
    }
  };

  return {
    async search(query) {
      // One catch-up at a time: concurrent searches wait for the one running.
      syncing = syncing.then(catchUp, catchUp);
      await syncing;
      return (await open()).search(query);
    },
    async get(idOrSlug) {
      const row = await find(db, idOrSlug);
      if (!row) throw notFound(idOrSlug);
      return toArticle(row);
    },
    upsert: (input) => db.tx((c) => upsertWith(c, input, now)),
    async delete(idOrSlug) {
      await db.tx(async (c) => {
        const row = await find(c, idOrSlug, 'FOR UPDATE');
        if (!row) throw notFound(idOrSlug);
        const seq = await nextSeq(c);
        await c.query('DELETE FROM kb_articles WHERE id = $1', [row.id]);
        await c.query(
          'INSERT INTO kb_tombstones (slug, id, deleted_at, change_seq) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO UPDATE SET id = excluded.id, deleted_at = excluded.deleted_at, change_seq = excluded.change_seq',
          [row.slug, row.id, now(), seq],
        );
      });
    },
    changes: (since, limit) => changes(db, since, limit),
    close: () => cache?.close(),
  };
}

/** The toolkit's built-in help articles, written once per version of them, as the SQLite store does. */
async function seedBuiltins(db: Database, now: () => number): Promise<void> {
  const digest = builtinDigest();
  const seeded = async (q: Queryable) => (await q.query<{value: string}>('SELECT value FROM meta WHERE key = $1', [SEEDED])).rows[0]?.value === digest;
  if (await seeded(db)) return;
  const articles = await loadBuiltinArticles();
  await db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.seed]);
    if (await seeded(c)) return;
    for (const article of articles) {
      // Articles an admin deleted stay deleted.
      if ((await c.query('SELECT 1 FROM kb_tombstones WHERE slug = $1', [article.slug])).rowCount) continue;
      await upsertWith(c, article, now);
    }
    await c.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [SEEDED, digest]);
  });
}
