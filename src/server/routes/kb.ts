import {snippetToHighlights, type ArticleInput, type KbLocale} from '../../domain/article.js';
import {UsageError} from '../../domain/errors.js';
import {Problem} from '../problem.js';
import type {Handlers, RouteContext} from './context.js';

/** A sync cursor is the store's change sequence number. */
function parseSeqCursor(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  if (!/^\d{1,15}$/.test(since)) throw new UsageError(`"${since}" is not a knowledge-base sync cursor.`, {hint: 'Pass the cursor of the previous page unchanged.'});
  return Number(since);
}

/** The knowledge base: search and read for every token, writes for admins, and the sync feed. */
export function kbHandlers(ctx: RouteContext): Handlers {
  const {store, requireRole} = ctx;
  return {
    searchArticles: async (req) => {
      const q = req.query as {q: string; limit?: number; locale?: KbLocale; prefer?: KbLocale; tag?: string[]};
      const hits = await store.kb.search({text: q.q, limit: q.limit ?? 10, locale: q.locale, prefer: q.prefer, tags: q.tag});
      return {
        status: 200,
        body: {
          hits: hits.map((h) => {
            const {text, highlights} = snippetToHighlights(h.snippet);
            return {id: h.id, slug: h.slug, title: h.title, snippet: text, highlights, score: h.score, locale: h.locale, tags: h.tags, url: h.url};
          }),
        },
      };
    },
    getArticle: async (req) => ({status: 200, body: await store.kb.get((req.params as {idOrSlug: string}).idOrSlug)}),
    upsertArticle: async (req, caller) => {
      requireRole(caller, 'admin');
      const slug = (req.params as {idOrSlug: string}).idOrSlug;
      const body = req.body as Omit<ArticleInput, 'slug' | 'updatedAt' | 'locale'> & {locale?: KbLocale; updatedAt?: string};
      const input: ArticleInput = {
        slug,
        title: body.title,
        body: body.body,
        tags: body.tags ?? [],
        locale: body.locale ?? 'en',
        ...(body.url ? {url: body.url} : {}),
        ...(body.updatedAt ? {updatedAt: Date.parse(body.updatedAt)} : {}),
      };
      const {article, outcome} = await store.kb.upsert(input);
      return outcome === 'created'
        ? {status: 201, body: {outcome, article}, headers: {location: `/v1/kb/articles/${encodeURIComponent(article.slug)}`}}
        : {status: 200, body: {outcome, article}};
    },
    deleteArticle: async (req, caller) => {
      requireRole(caller, 'admin');
      await store.kb.delete((req.params as {idOrSlug: string}).idOrSlug);
      return {status: 204};
    },
    listArticleChanges: async (req) => {
      const q = req.query as {since?: string; limit?: number};
      let since: number;
      try {
        since = parseSeqCursor(q.since);
      } catch (error) {
        throw new Problem('invalid-cursor', (error as UsageError).message, {hint: (error as UsageError).hint});
      }
      const page = await store.kb.changes(since, q.limit ?? 500);
      return {status: 200, body: {articles: page.articles, deleted: page.deleted, cursor: String(page.seq), more: page.more}};
    },
  };
}
