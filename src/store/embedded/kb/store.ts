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
  KB_LOCALES,
} from '../../../domain/article.js';
import {NotFoundError, UsageError} from '../../../domain/errors.js';
import {writeTransaction} from '../sqlite.js';
import type {LocalStore} from '../store.js';
import {IndexWriter, readStats, type ArticleTerms} from './postings.js';
import {parseQuery, planSearch, type SearchPlan} from './query.js';
import {DEFAULT_RANKING, rank, readNorms, type NormRows, type RankCounters, type RankingParams, type TermStats} from './rank.js';
import {makeSnippet} from './snippet.js';
import {stem, tokenize} from './text.js';


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

export const contentHash = (a: {title: string; body: string; tags: string[]; locale: string; url?: string | undefined}) =>
  createHash('sha256').update(JSON.stringify([a.title, a.body, a.tags, a.locale, a.url ?? null])).digest('hex');

const notFound = (idOrSlug: string) =>
  new NotFoundError(`There is no article ${idOrSlug}.`, {hint: 'Search with `support kb search WORDS` to find its id or slug.'});

export interface LocalKbOptions {
  /** Ranking parameters other than the defaults: for benchmarks that tune them. */
  ranking?: Partial<RankingParams>;
}

/** Articles re-indexed per transaction when the ranking index is built for an existing store. */
const REINDEX_BATCH = 500;

/**
 * The knowledge base of the local store: articles in kb_articles, their analysed terms (see
 * text.ts) in the ranking index (postings.ts, rank.ts) and, with positions for phrases, in the
 * FTS5 table kb_fts; query.ts reads what the user typed.
 */
export class LocalKb {
  private readonly ranking: RankingParams;
  /** Writes through this connection, which PRAGMA data_version does not count. */
  private writes = 0;
  private normsCache: {key: string; norms: NormRows} | undefined;

  constructor(
    private readonly store: LocalStore,
    private readonly now: () => number = Date.now,
    options: LocalKbOptions = {},
  ) {
    this.ranking = {...DEFAULT_RANKING, ...options.ranking};
    this.store.guard(() => this.ensureIndex());
  }

  /** Builds the ranking index of a store written before it existed (schema 5), once. */
  private ensureIndex(): void {
    const {db} = this.store;
    if (readStats(db)) return;
    writeTransaction(db, () => {
      if (readStats(db)) return;
      // kb_terms is right already: only the postings are new.
      const writer = new IndexWriter(false);
      let last = 0;
      for (;;) {
        const rows = db.prepare('SELECT * FROM kb_articles WHERE id > ? ORDER BY id LIMIT ?').all(last, REINDEX_BATCH) as unknown as ArticleRow[];
        // In id order onto empty rows: every batch appends, as an import does.
        for (const row of rows) writer.add(row.id, analyse(toArticle(row)), row.locale as KbLocale, true);
        if (rows.length < REINDEX_BATCH) break;
        last = rows.at(-1)!.id;
        writer.save(db);
      }
      writer.save(db);
    });
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
        const postings = new IndexWriter();
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
            postings.remove(id, analyse(toArticle(existing)), existing.locale as KbLocale);
          } else {
            id = Number(insert.run(a.slug, a.locale, tags, a.url ?? null, hash, updatedAt, seq, a.title, deflate(a.body)).lastInsertRowid);
            untomb.run(a.slug);
          }
          const fields = analyse(a);
          index.run(id, fields[0].join(' '), fields[1].join(' '), fields[2].join(' '));
          postings.add(id, fields, a.locale, !existing);
          results.push({
            article: {id: String(id), slug: a.slug, title: a.title, body: a.body, tags: a.tags, locale: a.locale, updatedAt: iso(updatedAt), ...(a.url ? {url: a.url} : {})},
            outcome: existing ? 'updated' : 'created',
          });
        }
        postings.save(db);
        this.writes++;
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
        const postings = new IndexWriter();
        postings.remove(Number(article.id), analyse(article), article.locale);
        postings.save(db);
        this.writes++;
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
   * Ranked hits, best first (see rank.ts): every article holding any of the query's words is
   * scored, more of the words and better-placed ones count more, quoted phrases matched exactly
   * count more still, and with `prefer` articles in that language come first while the other
   * language is still found. `locale` and `tags` filter. An empty result is a valid answer: a
   * query of only stop words or punctuation finds nothing.
   */
  search(query: KbSearchQuery, ranking?: Partial<RankingParams>, counters?: RankCounters): KbHit[] {
    if (!query.text.trim()) throw new UsageError('The search query is empty.', {hint: 'Give some words to search for: support kb search "proxy setup".'});
    const limit = Math.min(Math.max(1, Math.floor(query.limit || DEFAULT_KB_LIMIT)), MAX_KB_LIMIT);
    const locale = query.locale ? parseLocale(query.locale) : undefined;
    const prefer = query.prefer ? parseLocale(query.prefer) : undefined;
    const tags = query.tags ? normalizeArticleTags(query.tags) : [];
    return this.store.guard(() => {
      const plan = planSearch(parseQuery(query.text), locale ? [locale] : KB_LOCALES, {
        frequencies: (terms) => this.documentFrequencies(terms),
        completions: (prefix, max) => this.completions(prefix, max),
      });
      if (plan.groups.length === 0) return [];
      const stats = readStats(this.store.db);
      if (!stats) return [];
      const all = new Set(plan.groups.flatMap((g) => g.alternatives.flatMap((a) => a.terms)));
      const maxId = (this.store.db.prepare('SELECT max(id) AS n FROM kb_articles').get() as {n: number | null}).n ?? 0;
      const ranked = rank(this.store.db, {
        groups: plan.groups,
        terms: this.termStats([...all]),
        norms: this.norms(maxId),
        stats,
        maxId,
        only: locale,
        prefer,
        phraseMatches: plan.phrases.length ? this.phraseMatches(plan.phrases) : undefined,
        accept: tags.length ? (ids) => this.withTags(ids, tags) : undefined,
        limit,
        params: ranking ? {...this.ranking, ...ranking} : this.ranking,
        counters,
      });
      return this.hits(ranked, plan);
    });
  }

  /**
   * The articles holding any of the phrases exactly. FTS5 keeps the positions and answers a
   * phrase in one pass over its doclists in a few milliseconds at 100,000 articles, where
   * looking up candidates one rowid at a time takes a hundred times longer.
   */
  private phraseMatches(phrases: readonly string[]): Set<number> {
    const rows = this.store.db.prepare('SELECT rowid AS id FROM kb_fts WHERE kb_fts MATCH ?').all(phrases.join(' OR ')) as {id: number}[];
    return new Set(rows.map((r) => r.id));
  }

  /** Those of `ids` that carry every one of `tags`. */
  private withTags(ids: number[], tags: string[]): Set<number> {
    const rows = this.store.db
      .prepare(
        `SELECT a.id AS id FROM kb_articles a WHERE a.id IN (SELECT value FROM json_each(?))
         AND NOT EXISTS (SELECT 1 FROM json_each(?) want WHERE want.value NOT IN (SELECT value FROM json_each(a.tags)))`,
      )
      .all(JSON.stringify(ids), JSON.stringify(tags)) as {id: number}[];
    return new Set(rows.map((r) => r.id));
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

  /**
   * Every article's norms, kept while nothing is written: a server answers many queries, and
   * reading them costs more than ranking (PRAGMA data_version tells of other connections' writes).
   */
  private norms(maxId: number): NormRows {
    const version = (this.store.db.prepare('PRAGMA data_version').get() as {data_version: number}).data_version;
    const key = `${version}:${this.writes}:${maxId}`;
    if (this.normsCache?.key !== key) this.normsCache = {key, norms: readNorms(this.store.db, maxId)};
    return this.normsCache.norms;
  }

  private termStats(terms: readonly string[]): Map<string, TermStats> {
    const rows = this.store.db
      .prepare('SELECT term, df, fields FROM kb_terms WHERE term IN (SELECT value FROM json_each(?)) AND df > 0')
      .all(JSON.stringify(terms)) as {term: string; df: number; fields: number}[];
    return new Map(rows.map((r) => [r.term, {df: r.df, fields: r.fields}]));
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

/** The analysed terms of an article's title, body and tags (see text.ts): what both indexes hold. */
function analyse(a: {title: string; body: string; tags: string[]; locale: KbLocale}): ArticleTerms {
  const terms = (text: string) => tokenize(text).map((t) => stem(t.folded, a.locale));
  return [terms(a.title), terms(a.body), terms(a.tags.join(' '))];
}

/** Checks an article before it is written: a store never holds what an import could not parse. */
export function validateInput(input: ArticleInput): ArticleInput & {tags: string[]} {
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
