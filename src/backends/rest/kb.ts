import {highlightsToSnippet, MAX_KB_QUERY_CHARS, type Article, type ArticleInput, type KbHit, type KbLocale, type KbSearchQuery} from '../../domain/article.js';
import {RejectedError} from '../../domain/errors.js';
import type {HttpRequest} from '../../http/client.js';
import type {KbApi, KbChangesPage, KbUpsertOutcome} from '../backend.js';

interface WireHit {
  id: string;
  slug: string;
  title: string;
  snippet: string;
  highlights?: [number, number][];
  score: number;
  locale: KbLocale;
  tags: string[];
  url: string | null;
}

const articlePath = (idOrSlug: string) => `v1/kb/articles/${encodeURIComponent(idOrSlug)}`;

/** Parallel PUTs of an import: enough to hide latency, few enough to stay under rate limits. */
const UPSERT_CONCURRENCY = 4;

/** The knowledge base over the supportkit REST protocol (src/server/openapi.yaml, tag kb). */
export class RestKb implements KbApi {
  constructor(private readonly call: <T>(req: HttpRequest) => Promise<T>) {}

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    const {hits} = await this.call<{hits: WireHit[]}>({
      method: 'GET',
      path: 'v1/kb/articles',
      query: {q: query.text.slice(0, MAX_KB_QUERY_CHARS), limit: query.limit, locale: query.locale, prefer: query.prefer, tag: query.tags},
    });
    return hits.map((h) => ({
      id: h.id,
      slug: h.slug,
      title: h.title,
      snippet: highlightsToSnippet(h.snippet, h.highlights),
      score: h.score,
      locale: h.locale,
      tags: h.tags,
      url: h.url ?? null,
    }));
  }

  get(idOrSlug: string): Promise<Article> {
    return this.call({method: 'GET', path: articlePath(idOrSlug.trim())});
  }

  async upsert(articles: readonly ArticleInput[]): Promise<{slug: string; outcome: KbUpsertOutcome}[]> {
    const results: {slug: string; outcome: KbUpsertOutcome}[] = new Array(articles.length);
    let next = 0;
    const worker = async () => {
      while (next < articles.length) {
        const i = next++;
        const {slug, updatedAt, ...rest} = articles[i]!;
        try {
          const {outcome} = await this.call<{outcome: KbUpsertOutcome}>({
            method: 'PUT',
            path: articlePath(slug),
            json: {...rest, ...(updatedAt === undefined ? {} : {updatedAt: new Date(updatedAt).toISOString()})},
          });
          results[i] = {slug, outcome};
        } catch (error) {
          if (error instanceof RejectedError && /role/.test(error.message)) {
            throw new RejectedError(`The server refused to store articles: ${error.message}`, {
              hint: 'Importing into a server needs an admin token (support serve token create --role admin).',
              cause: error,
            });
          }
          throw error;
        }
      }
    };
    await Promise.all(Array.from({length: Math.min(UPSERT_CONCURRENCY, articles.length)}, worker));
    return results;
  }

  async delete(idOrSlug: string): Promise<void> {
    await this.call({method: 'DELETE', path: articlePath(idOrSlug.trim())});
  }

  changes(since?: string): Promise<KbChangesPage> {
    return this.call({method: 'GET', path: 'v1/kb/changes', query: {since: since || undefined}});
  }
}
