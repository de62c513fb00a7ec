import {MAX_KB_QUERY_CHARS, type Article, type KbHit, type KbSearchQuery} from '../../domain/article.js';
import {NotFoundError} from '../../domain/errors.js';
import {unsupported} from '../capabilities.js';
import type {Backend, KbApi, KbChangesPage, KbUpsertOutcome} from '../backend.js';
import type {FreshdeskApi} from './api.js';
import {articleIn, articleLocale, articleSlug, hitIn, type FdArticle} from './map.js';

let turndownLoaded: Promise<(html: string) => string> | undefined;

/** Solution articles are HTML; the toolkit's are Markdown (turndown, loaded on first use). */
function htmlToMarkdown(): Promise<(html: string) => string> {
  turndownLoaded ??= import('turndown').then(({default: TurndownService}) => {
    const service = new TurndownService({headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-'});
    // Scripts and styles are not text, and a terminal must never receive them.
    service.remove(['script', 'style', 'iframe', 'object', 'embed'] as never);
    return (html: string) => `${service.turndown(html).trim()}\n`;
  });
  return turndownLoaded;
}

/** Freshdesk publishes solution articles as 2; 1 is a draft, which no customer sees. */
const PUBLISHED = 2;

/**
 * Freshdesk's Solutions (categories > folders > articles) as the knowledge base: search ranked by
 * Freshdesk, published articles only, and read by id or slug. Articles are written in Freshdesk,
 * so importing and syncing say that this backend cannot.
 */
export class FreshdeskKb implements KbApi {
  private readonly articles = new Map<number, Promise<FdArticle>>();

  constructor(
    private readonly api: FreshdeskApi,
    private readonly settings: {locale: string; portal: string},
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  private url(a: FdArticle): string {
    return `${this.settings.portal}/support/solutions/articles/${a.id}`;
  }

  /** One article (GET /api/v2/solutions/articles/{id}), read once per run. */
  private article(id: number): Promise<FdArticle> {
    let loaded = this.articles.get(id);
    if (!loaded) {
      loaded = this.api.call<FdArticle>({method: 'GET', path: `api/v2/solutions/articles/${id}`}, {subject: `solution article ${id}`, action: `read solution article ${id}`});
      this.articles.set(id, loaded);
    }
    return loaded;
  }

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    const text = query.text.trim().slice(0, MAX_KB_QUERY_CHARS);
    if (!text) return [];
    const results = await this.api.call<FdArticle[]>({method: 'GET', path: 'api/v2/search/solutions', query: {term: text}}, {action: 'search the solution articles'});
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const published = results.filter((a) => a.status === PUBLISHED && (!query.locale || articleLocale(a, this.settings.locale) === query.locale));
    // The user's language first, each language in Freshdesk's order (search takes no language).
    const preferred = (a: FdArticle) => (query.prefer && articleLocale(a, this.settings.locale) !== query.prefer ? 1 : 0);
    const kept = query.prefer ? [...published].sort((a, b) => preferred(a) - preferred(b)) : published;
    const hits: KbHit[] = [];
    for (const [rank, found] of kept.entries()) {
      if (hits.length >= query.limit) break;
      // Search answers no tags: the article itself has them.
      const a = found.tags ? found : {...found, tags: (await this.article(found.id)).tags ?? []};
      const hit = hitIn(a, rank, kept.length, words, this.settings.locale, this.url(a));
      if (query.tags?.length && !query.tags.every((t) => hit.tags.map((x) => x.toLowerCase()).includes(t))) continue;
      hits.push(hit);
    }
    return hits;
  }

  async get(idOrSlug: string): Promise<Article> {
    const key = idOrSlug.trim();
    // Portal URLs carry the id in front of the title: /support/solutions/articles/12-reset-a-password.
    const id = /^(\d{1,15})(?:-|$)/.exec(key)?.[1];
    if (!id) return this.bySlug(key);
    const a = await this.article(Number(id));
    return articleIn(a, (await htmlToMarkdown())(a.description ?? ''), this.settings.locale, this.url(a));
  }

  /** A slug is the title part of the article's path: search its words, and take the article whose slug it is. */
  private async bySlug(slug: string): Promise<Article> {
    const words = slug.replace(/[-_]+/g, ' ').trim();
    if (words) {
      const results = await this.api.call<FdArticle[]>({method: 'GET', path: 'api/v2/search/solutions', query: {term: words}}, {action: 'search the solution articles'});
      const match = results.find((a) => articleSlug(a) === slug.toLowerCase());
      if (match) return this.get(String(match.id));
    }
    throw new NotFoundError(`There is no solution article "${slug}" in Freshdesk.`, {hint: 'Find its id with `support kb search WORDS`, then `support kb view ID`.'});
  }

  upsert(): Promise<{slug: string; outcome: KbUpsertOutcome}[]> {
    return Promise.reject(unsupported(this.backend(), 'kb-write'));
  }

  delete(): Promise<void> {
    return Promise.reject(unsupported(this.backend(), 'kb-write'));
  }

  changes(): Promise<KbChangesPage> {
    return Promise.reject(unsupported(this.backend(), 'kb-sync'));
  }
}
