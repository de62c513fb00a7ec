import {createHash} from 'node:crypto';
import {deflateRawSync, inflateRawSync} from 'node:zlib';

import {
  DEFAULT_KB_LIMIT,
  MAX_KB_LIMIT,
  normalizeArticleTags,
  parseLocale,
  validateSlug,
  type Article,
  type ArticleInput,
  type KbHit,
  type KbLocale,
  type KbSearchQuery,
} from '../../../domain/article.js';
import {NotFoundError, UsageError} from '../../../domain/errors.js';
import {writeTransaction} from '../sqlite.js';
import type {LocalStore} from '../store.js';
import {parseQuery, planSearch, type SearchPlan} from './query.js';
import {makeSnippet} from './snippet.js';
import {indexTerms} from './text.js';

/** Column weights for bm25(): a word in the title counts four times one in the body. */
const BM25 = 'bm25(kb_fts, 4.0, 1.0, 2.0)';
/**
 * Past this many possible matches, bm25 over all of them takes tens of milliseconds, so a
 * query is first tried on titles and tags only (where its best hits almost always are, with
 * the title weight); the whole text is searched only when that finds fewer than `limit`.
 */
const BROAD_QUERY_MATCHES = 10_000;

interface ArticleRow {
  id: number;
  slug: string;
  locale: string;
  tags: string;
  url: string | null;
  content_hash: string;
  updated_at: number;
  change_seq: number;
  title: string;
  body_z: Uint8Array;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface UpsertResult {
  article: Article;
  outcome: UpsertOutcome;
}

export interface KbDeletion {
  id: string;
  slug: string;
  deletedAt: string;
}

/** One page of changes after a sequence number, oldest first: what a sync copies. */
export interface KbChanges {
  articles: Article[];
  deleted: KbDeletion[];
  /** Pass back as `since` for the next page; equal to `since` when nothing changed. */
  seq: number;
  more: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const deflate = (text: string) => deflateRawSync(text, {level: 6});
const inflate = (bytes: Uint8Array) => inflateRawSync(bytes).toString('utf8');

function toArticle(row: ArticleRow): Article & {locale: KbLocale} {
  return {
    id: String(row.id),
    slug: row.slug,
    title: row.title,
    body: inflate(row.body_z),
    tags: JSON.parse(row.tags) as string[],
    locale: row.locale as KbLocale,
    updatedAt: iso(row.updated_at),
    ...(row.url ? {url: row.url} : {}),
  };
}

const contentHash = (a: {title: string; body: string; tags: string[]; locale: string; url?: string | undefined}) =>
  createHash('sha256').update(JSON.stringify([a.title, a.body, a.tags, a.locale, a.url ?? null])).digest('hex');

const notFound = (idOrSlug: string) =>
  new NotFoundError(`There is no article ${idOrSlug}.`, {hint: 'Search with `support kb search WORDS` to find its id or slug.'});

/**
 * The knowledge base of the local store: articles in kb_articles, their analysed terms in the
 * FTS5 table kb_fts (see text.ts for the analysis and query.ts for the query language).
 */
export interface LocalKbOptions {
  /** See BROAD_QUERY_MATCHES; tests lower it to reach the title-first path on a small corpus. */
  broadQueryMatches?: number;
}

export class LocalKb {
  private readonly broadQueryMatches: number;

  constructor(
    private readonly store: LocalStore,
    private readonly now: () => number = Date.now,
    options: LocalKbOptions = {},
  ) {
    this.broadQueryMatches = options.broadQueryMatches ?? BROAD_QUERY_MATCHES;
  }

  /** Creates or updates the article with this slug; an identical re-import changes nothing. */
  upsert(input: ArticleInput): UpsertResult {
    return this.upsertMany([input])[0]!;
  }

  /** Like upsert, for many articles in one transaction (imports and syncs). */
  upsertMany(inputs: readonly ArticleInput[]): UpsertResult[] {
    const clean = inputs.map(validateInput);
    const {db} = this.store;
    return this.store.guard(() =>
      writeTransaction(db, () => {
        const find = db.prepare('SELECT * FROM kb_articles WHERE slug = ?');
        const insert = db.prepare(
          `INSERT INTO kb_articles (slug, locale, tags, url, content_hash, updated_at, change_seq, title, body_z)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const update = db.prepare(
          `UPDATE kb_articles SET locale = ?, tags = ?, url = ?, content_hash = ?, updated_at = ?, change_seq = ?, title = ?, body_z = ?
           WHERE id = ?`,
        );
        const unindex = db.prepare('DELETE FROM kb_fts WHERE rowid = ?');
        const index = db.prepare('INSERT INTO kb_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)');
        const untomb = db.prepare('DELETE FROM kb_tombstones WHERE slug = ?');
        const df = new TermCounts();
        let seq = this.lastSeq();
        const results: UpsertResult[] = [];
        for (const a of clean) {
          const hash = contentHash(a);
          const existing = find.get(a.slug) as ArticleRow | undefined;
          if (existing && existing.content_hash === hash) {
            results.push({article: toArticle(existing), outcome: 'unchanged'});
            continue;
          }
          seq++;
          const updatedAt = a.updatedAt ?? this.now();
          const tags = JSON.stringify(a.tags);
          let id: number;
          if (existing) {
            id = existing.id;
            update.run(a.locale, tags, a.url ?? null, hash, updatedAt, seq, a.title, deflate(a.body), id);
            unindex.run(id);
            df.add(analyse(toArticle(existing)), -1);
          } else {
            id = Number(insert.run(a.slug, a.locale, tags, a.url ?? null, hash, updatedAt, seq, a.title, deflate(a.body)).lastInsertRowid);
            untomb.run(a.slug);
          }
          const fields = analyse(a);
          index.run(id, ...fields);
          df.add(fields, 1);
          results.push({
            article: {id: String(id), slug: a.slug, title: a.title, body: a.body, tags: a.tags, locale: a.locale, updatedAt: iso(updatedAt), ...(a.url ? {url: a.url} : {})},
            outcome: existing ? 'updated' : 'created',
          });
        }
        df.save(db);
        this.setMeta('change_seq', String(seq));
        return results;
      }),
    );
  }

  /** By numeric id or by slug. */
  find(idOrSlug: string): (Article & {locale: KbLocale}) | undefined {
    const key = idOrSlug.trim();
    const row = this.store.guard(() =>
      /^\d{1,15}$/.test(key)
        ? this.store.db.prepare('SELECT * FROM kb_articles WHERE id = ?').get(Number(key))
        : this.store.db.prepare('SELECT * FROM kb_articles WHERE slug = ?').get(key.toLowerCase()),
    ) as ArticleRow | undefined;
    return row ? toArticle(row) : undefined;
  }

  get(idOrSlug: string): Article & {locale: KbLocale} {
    const article = this.find(idOrSlug);
    if (!article) throw notFound(idOrSlug);
    return article;
  }

  /** Removes an article and leaves a tombstone for syncs. */
  delete(idOrSlug: string): Article & {locale: KbLocale} {
    const article = this.get(idOrSlug);
    const {db} = this.store;
    this.store.guard(() =>
      writeTransaction(db, () => {
        const seq = this.lastSeq() + 1;
        db.prepare('DELETE FROM kb_fts WHERE rowid = ?').run(Number(article.id));
        const df = new TermCounts();
        df.add(analyse(article), -1);
        df.save(db);
        db.prepare('DELETE FROM kb_articles WHERE id = ?').run(Number(article.id));
        db.prepare('INSERT OR REPLACE INTO kb_tombstones (slug, id, deleted_at, change_seq) VALUES (?, ?, ?, ?)').run(
          article.slug,
          Number(article.id),
          this.now(),
          seq,
        );
        this.setMeta('change_seq', String(seq));
      }),
    );
    return article;
  }

  /** Articles written and deleted after `since` (0 for everything), oldest change first. */
  changes(since = 0, limit = 500): KbChanges {
    const {db} = this.store;
    return this.store.guard(() => {
      const rows = db.prepare('SELECT * FROM kb_articles WHERE change_seq > ? ORDER BY change_seq LIMIT ?').all(since, limit + 1) as unknown as ArticleRow[];
      const dead = db
        .prepare('SELECT slug, id, deleted_at, change_seq FROM kb_tombstones WHERE change_seq > ? ORDER BY change_seq LIMIT ?')
        .all(since, limit + 1) as {slug: string; id: number; deleted_at: number; change_seq: number}[];
      // Merge both lists by sequence and cut at `limit`, so that the next page starts right after.
      const merged = [...rows.map((r) => ({seq: r.change_seq, row: r})), ...dead.map((d) => ({seq: d.change_seq, dead: d}))]
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit + 1);
      const more = merged.length > limit;
      const page = merged.slice(0, limit);
      return {
        articles: page.flatMap((c) => ('row' in c && c.row ? [toArticle(c.row)] : [])),
        deleted: page.flatMap((c) => ('dead' in c && c.dead ? [{id: String(c.dead.id), slug: c.dead.slug, deletedAt: iso(c.dead.deleted_at)}] : [])),
        seq: page.at(-1)?.seq ?? since,
        more,
      };
    });
  }

  /** Whether an article with this slug was deleted (and not written again since). */
  wasDeleted(slug: string): boolean {
    return this.store.guard(() => this.store.db.prepare('SELECT 1 FROM kb_tombstones WHERE slug = ?').get(slug) !== undefined);
  }

  count(): number {
    return this.store.guard(() => (this.store.db.prepare('SELECT count(*) AS n FROM kb_articles').get() as {n: number}).n);
  }

  /**
   * Ranked hits. Every word must match (AND) first; when that finds fewer than `limit`, the
   * articles matching only some words follow (OR), ranked after them. An empty result is a
   * valid answer: a query of only stop words or punctuation finds nothing.
   */
  search(query: KbSearchQuery): KbHit[] {
    if (!query.text.trim()) throw new UsageError('The search query is empty.', {hint: 'Give some words to search for: support kb search "proxy setup".'});
    const limit = Math.min(Math.max(1, Math.floor(query.limit || DEFAULT_KB_LIMIT)), MAX_KB_LIMIT);
    const locale = query.locale ? parseLocale(query.locale) : undefined;
    const tags = query.tags ? normalizeArticleTags(query.tags) : [];
    const plan = planSearch(parseQuery(query.text), locale, {
      frequencies: (terms) => this.documentFrequencies(terms),
      completions: (prefix, max) => this.completions(prefix, max),
    });
    if (!plan.and) return [];
    return this.store.guard(() => {
      const ranked = this.rankTiered(plan.and!, plan.andMatches, locale, tags, limit);
      if (ranked.length < limit && plan.or) {
        const seen = new Set(ranked.map((r) => r.id));
        // OR results come after every AND result, whatever their own bm25 says.
        let floor = ranked.length ? ranked.at(-1)!.score : Number.POSITIVE_INFINITY;
        for (const r of this.rankTiered(plan.or, plan.orMatches, locale, tags, limit + ranked.length)) {
          if (ranked.length >= limit) break;
          if (seen.has(r.id)) continue;
          floor = Math.min(r.score, floor - 0.001);
          ranked.push({id: r.id, score: floor});
        }
      }
      return this.hits(ranked, plan);
    });
  }

  private rankTiered(match: string, matches: number, locale: KbLocale | undefined, tags: string[], limit: number): {id: number; score: number}[] {
    if (matches > this.broadQueryMatches) {
      const narrow = this.rank(`{title tags} : (${match})`, locale, tags, limit);
      if (narrow.length >= limit) return narrow;
    }
    return this.rank(match, locale, tags, limit);
  }

  private rank(match: string, locale: KbLocale | undefined, tags: string[], limit: number): {id: number; score: number}[] {
    const where: string[] = ['kb_fts MATCH ?'];
    const params: (string | number)[] = [match];
    if (locale) {
      where.push('a.locale = ?');
      params.push(locale);
    }
    if (tags.length > 0) {
      where.push('NOT EXISTS (SELECT 1 FROM json_each(?) want WHERE want.value NOT IN (SELECT value FROM json_each(a.tags)))');
      params.push(JSON.stringify(tags));
    }
    const join = locale || tags.length ? 'JOIN kb_articles a ON a.id = kb_fts.rowid' : '';
    const rows = this.store.db
      .prepare(`SELECT kb_fts.rowid AS id, ${BM25} AS rank FROM kb_fts ${join} WHERE ${where.join(' AND ')} ORDER BY rank LIMIT ?`)
      .all(...params, limit) as {id: number; rank: number}[];
    // bm25() is lower-is-better and negative; users expect higher-is-better.
    return rows.map((r) => ({id: r.id, score: -r.rank}));
  }

  private hits(ranked: {id: number; score: number}[], plan: SearchPlan): KbHit[] {
    if (ranked.length === 0) return [];
    const rows = this.store.db
      .prepare(`SELECT * FROM kb_articles WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ranked.map((r) => r.id))) as unknown as ArticleRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ranked.flatMap(({id, score}) => {
      const row = byId.get(id);
      if (!row) return [];
      const locale = row.locale as KbLocale;
      return [
        {
          id: String(row.id),
          slug: row.slug,
          title: row.title,
          snippet: makeSnippet(withoutTitleHeading(inflate(row.body_z), row.title), {terms: plan.terms, prefixes: plan.prefixes, locale}),
          score: Math.round(score * 1000) / 1000,
          locale,
          tags: JSON.parse(row.tags) as string[],
          url: row.url,
        },
      ];
    });
  }

  /** How many articles hold each term, for the terms that any article holds. */
  private documentFrequencies(terms: readonly string[]): Map<string, number> {
    if (terms.length === 0) return new Map();
    const rows = this.store.db
      .prepare('SELECT term, df FROM kb_terms WHERE term IN (SELECT value FROM json_each(?)) AND df > 0')
      .all(JSON.stringify(terms)) as {term: string; df: number}[];
    return new Map(rows.map((r) => [r.term, r.df]));
  }

  /** The most common terms that start with `prefix`: a bounded stand-in for FTS5's `prefix*`. */
  private completions(prefix: string, max: number): Map<string, number> {
    // Terms are [a-z0-9], so '{' (after 'z') closes the range.
    const rows = this.store.db
      .prepare('SELECT term, df FROM kb_terms WHERE term >= ? AND term < ? AND df > 0 ORDER BY df DESC LIMIT ?')
      .all(prefix, `${prefix}{`, max) as {term: string; df: number}[];
    return new Map(rows.map((r) => [r.term, r.df]));
  }

  getMeta(key: string): string | undefined {
    const row = this.store.db.prepare('SELECT value FROM kb_meta WHERE key = ?').get(key) as {value: string} | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.store.db.prepare('INSERT INTO kb_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private lastSeq(): number {
    return Number(this.getMeta('change_seq') ?? 0);
  }
}

/** A body that opens with its own title as "# Title" would show the title twice in a snippet. */
function withoutTitleHeading(body: string, title: string): string {
  const match = /^\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|$)/.exec(body);
  return match && match[1]!.trim() === title.trim() ? body.slice(match[0].length) : body;
}

/** The three FTS5 columns of an article: analysed title, body and tags. */
function analyse(a: {title: string; body: string; tags: string[]; locale: KbLocale}): [string, string, string] {
  return [indexTerms(a.title, a.locale), indexTerms(a.body, a.locale), indexTerms(a.tags.join(' '), a.locale)];
}

/** Changes to kb_terms.df gathered over a transaction, written once per term. */
class TermCounts {
  private readonly deltas = new Map<string, number>();

  add(fields: readonly string[], delta: 1 | -1): void {
    const seen = new Set<string>();
    for (const field of fields) for (const term of field.split(' ')) if (term) seen.add(term);
    for (const term of seen) this.deltas.set(term, (this.deltas.get(term) ?? 0) + delta);
  }

  save(db: LocalStore['db']): void {
    const upsert = db.prepare('INSERT INTO kb_terms (term, df) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df');
    for (const [term, delta] of this.deltas) if (delta !== 0) upsert.run(term, delta);
    this.deltas.clear();
  }
}

/** Checks an article before it is written: a store never holds what an import could not parse. */
function validateInput(input: ArticleInput): ArticleInput & {tags: string[]} {
  const title = input.title?.trim();
  if (!title) throw new UsageError(`Article ${input.slug} has no title.`);
  if (!input.body?.trim()) throw new UsageError(`Article ${input.slug} has no text.`);
  return {
    slug: validateSlug(input.slug),
    title,
    body: input.body,
    tags: normalizeArticleTags(input.tags ?? []),
    locale: parseLocale(input.locale),
    ...(input.url ? {url: input.url} : {}),
    ...(input.updatedAt === undefined ? {} : {updatedAt: input.updatedAt}),
  };
}
