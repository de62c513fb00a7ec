import {existsSync, rmSync} from 'node:fs';
import {join} from 'node:path';

import {kbLanguage, type Article, type KbHit, type KbSearchQuery} from '../../../domain/article.js';
import {UnavailableError} from '../../../domain/errors.js';
import {writeTransaction} from '../sqlite.js';
import {openLocalStore, type LocalStore} from '../store.js';
import type {KbChangesPage} from '../../../backends/backend.js';
import {LocalKb} from './store.js';

export interface KbCacheApplied {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

/**
 * An offline copy of a remote knowledge base: the same engine (LocalKb) over its own store in
 * the cache directory. Articles keep the remote's ids, so that an id found offline is the one
 * `kb view` takes online.
 */
export interface KbCache {
  /** The cursor of the last sync; undefined when the cache was never synced. */
  readonly cursor: string | undefined;
  /** When the last sync finished (ISO-8601), if ever. */
  readonly syncedAt: string | undefined;
  count(): number;
  search(query: KbSearchQuery): Promise<KbHit[]>;
  get(idOrSlug: string): Promise<Article>;
  /** Writes one page of remote changes and its cursor in one go. */
  apply(page: KbChangesPage): KbCacheApplied;
  /** Drops every article whose slug is not named (after a full listing); says how many went. */
  keepOnly(slugs: ReadonlySet<string>): number;
  /** Records that a sync finished. */
  finish(at: Date): void;
  close(): void;
}

const CURSOR = 'sync_cursor';
const SYNCED_AT = 'synced_at';
const SOURCE = 'sync_source';

class LocalKbCache implements KbCache {
  private readonly kb: LocalKb;

  constructor(private readonly store: LocalStore) {
    this.kb = new LocalKb(store);
    store.guard(() => store.db.exec('CREATE TABLE IF NOT EXISTS kb_cache_ids (slug TEXT PRIMARY KEY, remote_id TEXT NOT NULL UNIQUE)'));
  }

  get cursor(): string | undefined {
    return this.kb.getMeta(CURSOR);
  }

  get syncedAt(): string | undefined {
    return this.kb.getMeta(SYNCED_AT);
  }

  source(): string | undefined {
    return this.kb.getMeta(SOURCE);
  }

  setSource(source: string): void {
    this.kb.setMeta(SOURCE, source);
  }

  count(): number {
    return this.kb.count();
  }

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    const hits = this.kb.search(query);
    if (hits.length === 0) return hits;
    const rows = this.store.guard(() =>
      this.store.db
        .prepare('SELECT a.id AS id, c.remote_id AS remote FROM kb_articles a JOIN kb_cache_ids c ON c.slug = a.slug WHERE a.id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(hits.map((h) => Number(h.id)))),
    ) as {id: number; remote: string}[];
    const remote = new Map(rows.map((r) => [String(r.id), r.remote]));
    return hits.map((h) => ({...h, id: remote.get(h.id) ?? h.id}));
  }

  async get(idOrSlug: string): Promise<Article> {
    const key = idOrSlug.trim();
    const row = this.store.guard(() => this.store.db.prepare('SELECT slug FROM kb_cache_ids WHERE remote_id = ?').get(key)) as {slug: string} | undefined;
    // Remote ids win over slugs: a slug is never all digits, an id may be anything.
    const article = this.kb.get(row ? row.slug : key.toLowerCase());
    return {...article, id: this.remoteId(article.slug) ?? article.id};
  }

  private remoteId(slug: string): string | undefined {
    const row = this.store.db.prepare('SELECT remote_id FROM kb_cache_ids WHERE slug = ?').get(slug) as {remote_id: string} | undefined;
    return row?.remote_id;
  }

  apply(page: KbChangesPage): KbCacheApplied {
    const applied: KbCacheApplied = {created: 0, updated: 0, unchanged: 0, deleted: 0};
    const results = this.kb.upsertMany(
      page.articles.map((a) => ({slug: a.slug, title: a.title, body: a.body, tags: a.tags, locale: kbLanguage(a.locale) ?? 'en', ...(a.url ? {url: a.url} : {}), updatedAt: Date.parse(a.updatedAt)})),
    );
    for (const r of results) applied[r.outcome]++;
    for (const d of page.deleted) {
      if (this.kb.find(d.slug)) {
        this.kb.delete(d.slug);
        applied.deleted++;
      }
    }
    const {db} = this.store;
    this.store.guard(() =>
      writeTransaction(db, () => {
        const ids = db.prepare('INSERT INTO kb_cache_ids (slug, remote_id) VALUES (?, ?) ON CONFLICT (slug) DO UPDATE SET remote_id = excluded.remote_id');
        const drop = db.prepare('DELETE FROM kb_cache_ids WHERE slug = ? OR remote_id = ?');
        for (const d of page.deleted) drop.run(d.slug, d.id);
        for (const a of page.articles) {
          db.prepare('DELETE FROM kb_cache_ids WHERE remote_id = ? AND slug <> ?').run(a.id, a.slug);
          ids.run(a.slug, a.id);
        }
        this.kb.setMeta(CURSOR, page.cursor);
      }),
    );
    return applied;
  }

  keepOnly(slugs: ReadonlySet<string>): number {
    const {db} = this.store;
    const gone = (this.store.guard(() => db.prepare('SELECT slug FROM kb_articles').all()) as {slug: string}[]).map((r) => r.slug).filter((slug) => !slugs.has(slug));
    for (const slug of gone) this.kb.delete(slug);
    this.store.guard(() => db.prepare('DELETE FROM kb_cache_ids WHERE slug NOT IN (SELECT slug FROM kb_articles)').run());
    return gone.length;
  }

  finish(at: Date): void {
    this.kb.setMeta(SYNCED_AT, at.toISOString());
  }

  close(): void {
    this.store.close();
  }
}

/**
 * Opens the offline copy kept in `root`. Without `source` it only opens an existing cache
 * (undefined when there is none); with it, it creates one, and starts afresh when the cache
 * holds another server's articles.
 */
export async function openKbCache(root: string, source?: string): Promise<KbCache | undefined> {
  if (source === undefined && !existsSync(join(root, 'support.db'))) return undefined;
  let cache: LocalKbCache;
  try {
    cache = new LocalKbCache(await openLocalStore(root));
  } catch (error) {
    // A copy, not the user's data: one that cannot be opened (cut short, not a database) is
    // no copy for a search, and a sync builds it again from the server.
    if (!(error instanceof UnavailableError)) throw error;
    if (source === undefined) return undefined;
    rmSync(root, {recursive: true, force: true});
    cache = new LocalKbCache(await openLocalStore(root));
  }
  if (source === undefined) {
    if (cache.cursor === undefined) {
      cache.close();
      return undefined;
    }
    return cache;
  }
  const previous = cache.source();
  if (previous !== undefined && previous !== source) {
    cache.close();
    rmSync(root, {recursive: true, force: true});
    cache = new LocalKbCache(await openLocalStore(root));
  }
  cache.setSource(source);
  return cache;
}
