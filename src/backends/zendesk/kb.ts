import {kbLanguage, MAX_KB_QUERY_CHARS, type Article, type KbHit, type KbSearchQuery} from '../../domain/article.js';
import {NotFoundError} from '../../domain/errors.js';
import {unsupported} from '../capabilities.js';
import type {Backend, KbApi, KbChangesPage, KbUpsertOutcome} from '../backend.js';
import type {ZendeskApi} from './api.js';
import {articleIn, articleTitleSlug, hitIn, type ZdArticle} from './map.js';

let turndownLoaded: Promise<(html: string) => string> | undefined;

/** Help Center articles are HTML; the toolkit's are Markdown (turndown, loaded on first use). */
function htmlToMarkdown(): Promise<(html: string) => string> {
  turndownLoaded ??= import('turndown').then(({default: TurndownService}) => {
    const service = new TurndownService({headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-'});
    // Scripts and styles are not text, and a terminal must never receive them.
    service.remove(['script', 'style', 'iframe', 'object', 'embed'] as never);
    return (html: string) => `${service.turndown(html).trim()}\n`;
  });
  return turndownLoaded;
}

/** Articles a listing page asks for (cursor pagination allows at most 100). */
const LIST_PAGE = 100;

/** Where `kb sync` is in a listing of the Help Center: the locale it lists, and Zendesk's cursor after the last page applied. */
interface SyncCursor {
  locale: string;
  after?: string;
}

const CURSOR_PREFIX = 'zdhc1.';
const encodeCursor = (c: SyncCursor) => CURSOR_PREFIX + Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(since: string | undefined): SyncCursor | undefined {
  if (!since?.startsWith(CURSOR_PREFIX)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(since.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')) as Partial<SyncCursor>;
    return typeof c.locale === 'string' && (c.after === undefined || typeof c.after === 'string') ? {locale: c.locale, ...(c.after ? {after: c.after} : {})} : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The knowledge base of Zendesk's Help Center: search (ranked by Zendesk), read by id, and list
 * for `kb sync`. Articles are written in Zendesk Guide, so importing says this backend cannot.
 */
export class ZendeskKb implements KbApi {
  private locales?: Promise<string[]>;

  constructor(
    private readonly api: ZendeskApi,
    private readonly settings: {locale?: string; brand?: string},
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  /** The Help Center's enabled locales, its default one first. */
  private enabledLocales(): Promise<string[]> {
    this.locales ??= this.api
      .call<{locales: string[]; default_locale: string}>({method: 'GET', path: 'api/v2/help_center/locales'}, {action: 'read the Help Center locales'})
      .then(({locales, default_locale}) => [default_locale, ...locales.filter((l) => l !== default_locale)]);
    return this.locales;
  }

  /** The Help Center locale for a language (en -> en-us): the profile's `locale` option when it fits, else the first enabled one. */
  private async helpCenterLocale(language: string): Promise<string | undefined> {
    if (this.settings.locale && kbLanguage(this.settings.locale) === language) return this.settings.locale;
    return (await this.enabledLocales()).find((l) => kbLanguage(l) === language);
  }

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    const text = query.text.trim().slice(0, MAX_KB_QUERY_CHARS);
    if (!text) return [];
    let locale: string | undefined;
    if (query.locale) {
      locale = await this.helpCenterLocale(query.locale);
      // The Help Center has no articles in that language.
      if (!locale) return [];
    } else if (query.prefer) {
      // The Help Center searches one locale at a time: the user's language when it has it,
      // else its default one.
      locale = await this.helpCenterLocale(query.prefer);
    }
    const {results} = await this.api.call<{results: ZdArticle[]}>(
      {
        method: 'GET',
        path: 'api/v2/help_center/articles/search',
        query: {query: text, per_page: query.limit, locale, label_names: query.tags?.length ? query.tags.join(',') : undefined, brand_id: this.settings.brand},
      },
      {action: 'search the Help Center'},
    );
    const hits = results.map((a, i) => hitIn(a, i, results.length));
    // Labels: an article must carry every one asked for, as in the toolkit's own search.
    return (query.tags?.length ? hits.filter((h) => query.tags!.every((t) => h.tags.map((x) => x.toLowerCase()).includes(t))) : hits).slice(0, query.limit);
  }

  async get(idOrSlug: string): Promise<Article> {
    const key = idOrSlug.trim();
    // Help Center URLs carry the id in front of the title: 360026053-Fixing-a-printer.
    const id = /^(\d{1,15})(?:-|$)/.exec(key)?.[1];
    if (!id) return this.bySlug(key);
    const {article} = await this.api.call<{article: ZdArticle}>(
      {method: 'GET', path: `api/v2/help_center/articles/${id}`},
      {subject: `article ${id}`, action: `read article ${id}`},
    );
    return articleIn(article, (await htmlToMarkdown())(article.body ?? ''));
  }

  /** A slug is the title in the article's URL: search its words, and take the article whose slug it is. */
  private async bySlug(slug: string): Promise<Article> {
    const words = slug.replace(/[-_]+/g, ' ').trim();
    if (words) {
      const {results} = await this.api.call<{results: ZdArticle[]}>(
        {method: 'GET', path: 'api/v2/help_center/articles/search', query: {query: words, per_page: 25, brand_id: this.settings.brand}},
        {action: 'search the Help Center'},
      );
      const match = results.find((a) => articleTitleSlug(a) === slug.toLowerCase());
      if (match) return this.get(String(match.id));
    }
    throw new NotFoundError(`There is no Help Center article "${slug}".`, {hint: 'Find its id with `support kb search WORDS`, then `support kb view ID`.'});
  }

  upsert(): Promise<{slug: string; outcome: KbUpsertOutcome}[]> {
    return Promise.reject(unsupported(this.backend(), 'kb-write'));
  }

  delete(): Promise<void> {
    return Promise.reject(unsupported(this.backend(), 'kb-write'));
  }

  /**
   * One page of a full listing of the Help Center in the profile's locale (its `locale` option,
   * else the Help Center's default one): GET /api/v2/help_center/{locale}/articles, cursor
   * pagination. Zendesk tells no deletions: an archived article just leaves its lists and its
   * incremental export. So every sync lists everything (`listing`), and the sync drops what the
   * listing no longer names. Drafts are not published, so they are not copied either.
   */
  async changes(since?: string): Promise<KbChangesPage> {
    const resumed = decodeCursor(since);
    const locale = resumed?.after ? resumed.locale : (this.settings.locale ?? (await this.enabledLocales())[0]!);
    const {articles, meta} = await this.api.call<{articles: (ZdArticle & {draft?: boolean})[]; meta?: {has_more?: boolean; after_cursor?: string | null}}>(
      {method: 'GET', path: `api/v2/help_center/${encodeURIComponent(locale)}/articles`, query: {'page[size]': LIST_PAGE, 'page[after]': resumed?.after}},
      {action: 'list the Help Center articles'},
    );
    const markdown = await htmlToMarkdown();
    const more = meta?.has_more === true && Boolean(meta.after_cursor);
    return {
      articles: articles.filter((a) => !a.draft).map((a) => articleIn(a, markdown(a.body ?? ''))),
      deleted: [],
      cursor: encodeCursor(more ? {locale, after: meta!.after_cursor!} : {locale}),
      more,
      listing: resumed?.after ? 'next' : 'first',
    };
  }
}
