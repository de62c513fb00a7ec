import type {Backend, KbApi} from '../backends/backend.js';
import {
  DEFAULT_KB_LIMIT,
  MAX_KB_LIMIT,
  MAX_KB_QUERY_CHARS,
  normalizeArticleTags,
  type Article,
  type KbHit,
  type KbLocale,
} from '../domain/article.js';
import {requireCapability, unsupported} from '../backends/capabilities.js';
import {SupportError, UsageError} from '../domain/errors.js';
import {importArticles, type ImportReport} from './kb-import.js';

/** The backend's knowledge base, or the sentence that says it has none. */
export function requireKb(backend: Backend): KbApi {
  if (!backend.kb || !backend.capabilities.has('kb')) throw unsupported({kind: backend.kind, hints: {kb: 'Use a profile whose backend has one (local, rest, zendesk or jsm): support profile list.', ...backend.hints}}, 'kb');
  return backend.kb;
}

/** Where searches and views read from: a backend's knowledge base, or the offline copy of one. */
export type KbSource = Pick<KbApi, 'search' | 'get'>;

export interface SearchKbInput {
  query: string;
  limit?: number;
  /** Only articles in this language. */
  locale?: KbLocale;
  /** Articles in this language first, the other language after them (see userKbLocale). */
  prefer?: KbLocale;
  tags?: string[];
}

/**
 * Searches a knowledge base. An empty query is a usage error; a query longer than any question
 * is cut at a word boundary (the engine reads only its first words anyway, and servers cap it).
 */
export function searchKb(source: KbSource, input: SearchKbInput): Promise<KbHit[]> {
  const text = clipQuery(input.query);
  if (!text.trim()) throw new UsageError('The search query is empty.', {hint: 'Give some words to search for: support kb search "proxy setup".'});
  const limit = input.limit ?? DEFAULT_KB_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KB_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_KB_LIMIT}.`);
  }
  const tags = input.tags?.length ? normalizeArticleTags(input.tags) : undefined;
  return source.search({text, limit, ...(input.locale ? {locale: input.locale} : {}), ...(input.prefer ? {prefer: input.prefer} : {}), ...(tags?.length ? {tags} : {})});
}

function clipQuery(query: string): string {
  if (query.length <= MAX_KB_QUERY_CHARS) return query;
  const cut = query.slice(0, MAX_KB_QUERY_CHARS);
  const space = cut.search(/\s\S*$/);
  // Cut at the last space, so that the last word is whole (and not taken for a prefix).
  return space > 0 ? `${cut.slice(0, space)} ` : cut;
}

export function viewArticle(source: KbSource, idOrSlug: string): Promise<Article> {
  if (!idOrSlug.trim()) throw new UsageError('Give the id or slug of an article.', {hint: 'Find one with `support kb search WORDS`.'});
  return source.get(idOrSlug);
}

export function importKb(backend: Backend, paths: readonly string[], onProgress?: (done: number, total: number) => void): Promise<ImportReport> {
  if (paths.length === 0) throw new UsageError('Give at least one Markdown file or directory to import.', {hint: 'support kb import ./articles'});
  const kb = requireKb(backend);
  requireCapability(backend, 'kb-write');
  return importArticles(kb, paths, onProgress ? {onProgress} : {});
}

/** The articles that may answer a new ticket, best first; none when the backend has no knowledge base or it fails. */
export async function suggestArticles(backend: Backend, title: string, limit = 3, prefer?: KbLocale): Promise<KbHit[]> {
  if (!backend.kb || !backend.capabilities.has('kb') || !title.trim()) return [];
  try {
    // A trailing space: the title is finished, its last word is not a prefix being typed.
    return await searchKb(backend.kb, {query: `${title.trim()} `, limit, ...(prefer ? {prefer} : {})});
  } catch (error) {
    if (error instanceof SupportError) return [];
    throw error;
  }
}

/** The offline copy that `kb sync` writes; implemented by the local engine (see the registry). */
export interface KbCacheTarget extends KbSource {
  readonly cursor: string | undefined;
  count(): number;
  apply(page: Awaited<ReturnType<KbApi['changes']>>): {created: number; updated: number; unchanged: number; deleted: number};
  /** Drops every article whose slug is not named; says how many went. */
  keepOnly(slugs: ReadonlySet<string>): number;
  finish(at: Date): void;
}

export interface KbSyncResult {
  /** True when this was the first sync: everything was copied. */
  full: boolean;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Articles in the offline copy after the sync. */
  articles: number;
  syncedAt: string;
}

/**
 * Copies what changed on the backend since the last sync (everything the first time) into the
 * offline copy that `openCache` opens (and this closes).
 */
export async function syncKb(
  backend: Backend,
  openCache: () => Promise<KbCacheTarget & {close(): void}>,
  options: {onProgress?: (received: number) => void; now?: () => Date} = {},
): Promise<KbSyncResult> {
  if (backend.kind === 'local') {
    throw new UsageError('The local backend keeps its articles on this machine already; there is nothing to sync.', {
      hint: 'kb sync copies the knowledge base of a remote profile: support kb sync --profile NAME.',
    });
  }
  const kb = requireKb(backend);
  requireCapability(backend, 'kb-sync');
  const cache = await openCache();
  try {
    const full = cache.cursor === undefined;
    const result: KbSyncResult = {full, created: 0, updated: 0, unchanged: 0, deleted: 0, articles: 0, syncedAt: ''};
    let cursor = cache.cursor;
    let received = 0;
    // The slugs a full listing named, from its first page on (see KbChangesPage.listing). A
    // listing this sync joined halfway (the last one was cut short) names too few: the next
    // sync, which lists from the start, drops what went.
    let listed: Set<string> | undefined;
    for (;;) {
      const page = await kb.changes(cursor);
      const applied = cache.apply(page);
      result.created += applied.created;
      result.updated += applied.updated;
      result.unchanged += applied.unchanged;
      result.deleted += applied.deleted;
      if (page.listing === 'first') listed = new Set();
      if (page.listing === undefined) listed = undefined;
      for (const a of page.articles) listed?.add(a.slug);
      received += page.articles.length + page.deleted.length;
      options.onProgress?.(received);
      if (!page.more) {
        if (listed) result.deleted += cache.keepOnly(listed);
        break;
      }
      // A page that does not move the cursor would loop forever: a server bug, but not our hang.
      if (page.cursor === cursor) break;
      cursor = page.cursor;
    }
    const at = (options.now ?? (() => new Date()))();
    cache.finish(at);
    return {...result, articles: cache.count(), syncedAt: at.toISOString()};
  } finally {
    cache.close();
  }
}
