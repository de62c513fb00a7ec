import {MAX_KB_QUERY_CHARS, slugify, type Article, type KbHit, type KbSearchQuery} from '../../domain/article.js';
import {NotFoundError, RateLimitError, SupportError, UnavailableError, UsageError} from '../../domain/errors.js';
import {unsupported} from '../capabilities.js';
import type {Backend, KbApi, KbChangesPage, KbUpsertOutcome} from '../backend.js';
import type {JsmApi} from './api.js';
import {ARTICLE_LOCALE, decodeEntities, hitIn, type SdArticle, type SdPage} from './map.js';

interface ConfluencePage {
  id: string;
  title?: string;
  spaceId?: string;
  version?: {createdAt?: string};
  _links?: {webui?: string; base?: string};
}

/**
 * JSM's knowledge base: Confluence pages linked to the service desk, searched through the Service
 * Desk API (ranked by JSM, highlights marked) and read as the HTML JSM renders
 * (knowledgebase/article/view/{pageId}). The title and the date of a page come from Confluence
 * (GET /wiki/api/v2/pages/{id}); where Confluence will not say, the first heading stands in.
 * Articles are HTML: `kb view` renders them as text, `--json` keeps the HTML (format: html).
 */
export class JsmKb implements KbApi {
  constructor(
    private readonly api: JsmApi,
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  private pageUrl(a: SdArticle): string | null {
    const {pageId, spaceKey} = a.source ?? {};
    return pageId && spaceKey ? `${this.api.http.baseUrl}/wiki/spaces/${encodeURIComponent(spaceKey)}/pages/${encodeURIComponent(pageId)}` : null;
  }

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    if (query.locale) throw new UsageError('Articles of Jira Service Management’s knowledge base carry no language.', {hint: 'Leave out --locale.'});
    if (query.tags?.length) throw new UsageError('Jira Service Management’s knowledge base search cannot filter by tag.', {hint: 'Leave out --tag, and put the word in the query instead.'});
    const text = query.text.trim().slice(0, MAX_KB_QUERY_CHARS);
    if (!text) return [];
    const page = await this.api.call<SdPage<SdArticle>>(
      {method: 'GET', path: 'rest/servicedeskapi/knowledgebase/article', query: {query: text, highlight: 'true', limit: query.limit}},
      {action: 'search the knowledge base'},
    );
    const values = page.values.filter((a) => a.source?.pageId).slice(0, query.limit);
    return values.map((a, i) => hitIn(a, i, values.length, slugify(decodeEntities((a.title ?? '').replace(/@@@(end)?hl@@@/g, ''))), this.pageUrl(a)));
  }

  async get(idOrSlug: string): Promise<Article> {
    const key = idOrSlug.trim();
    if (!/^\d{1,18}$/.test(key)) return this.bySlug(key);
    const view = await this.api.send({method: 'GET', path: `rest/servicedeskapi/knowledgebase/article/view/${key}`}, {subject: `article ${key}`, action: `read article ${key}`});
    const html = typeof view.body === 'string' ? view.body : (view.text ?? '');
    const page = await this.api
      .call<ConfluencePage>({method: 'GET', path: `wiki/api/v2/pages/${key}`}, {action: `read the Confluence page ${key}`})
      // A user without Confluence access still reads the article; its first heading is the title then.
      .catch((error: unknown) => {
        if (error instanceof SupportError && !(error instanceof UnavailableError || error instanceof RateLimitError)) return undefined;
        throw error;
      });
    const heading = /<h[1-3][^>]*>([\s\S]*?)<\/h[1-3]>/i.exec(html)?.[1]?.replace(/<[^>]*>/g, '').trim();
    const title = page?.title ?? (heading ? decodeEntities(heading) : `Article ${key}`);
    const url = page?._links?.webui ? `${page._links.base ?? `${this.api.http.baseUrl}/wiki`}${page._links.webui}` : undefined;
    return {
      id: key,
      slug: slugify(title),
      title,
      body: html,
      format: 'html',
      tags: [],
      locale: ARTICLE_LOCALE,
      updatedAt: new Date(Date.parse(page?.version?.createdAt ?? '') || 0).toISOString(),
      ...(url ? {url} : {}),
    };
  }

  /** A slug is the title's: search its words, and take the article whose slug it is. */
  private async bySlug(slug: string): Promise<Article> {
    const words = slug.replace(/[-_]+/g, ' ').trim();
    if (words) {
      const hits = await this.search({text: words, limit: 25});
      const match = hits.find((h) => h.slug === slug.toLowerCase());
      if (match) return this.get(match.id);
    }
    throw new NotFoundError(`There is no knowledge-base article "${slug}" in Jira Service Management.`, {hint: 'Find its id with `support kb search WORDS`, then `support kb view ID`.'});
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
