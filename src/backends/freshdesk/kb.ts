import {MAX_KB_QUERY_CHARS, type Article, type KbHit, type KbSearchQuery} from '../../domain/article.js';
import {NotFoundError} from '../../domain/errors.js';
import {unsupported} from '../capabilities.js';
import type {Backend, KbApi, KbChangesPage, KbUpsertOutcome} from '../backend.js';
import {nextLink, PAGE, pageOf, type FreshdeskApi} from './api.js';
import {articleIn, articleLocale, articleTitleSlug, hitIn, type FdArticle} from './map.js';

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
 * Where `kb sync` is in a listing of the Solutions: the folders still to list (the one being
 * listed first) and the page of it to ask for next. Freshdesk lists articles only folder by
 * folder, so a listing walks categories > folders > subfolders once, then each folder's pages.
 */
interface SyncCursor {
  folders: number[];
  page?: number;
}

interface FdFolder {
  id: number;
  sub_folders_count?: number;
}

const CURSOR_PREFIX = 'fdsol1.';
const encodeCursor = (c: SyncCursor) => CURSOR_PREFIX + Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(since: string | undefined): SyncCursor | undefined {
  if (!since?.startsWith(CURSOR_PREFIX)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(since.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')) as Partial<SyncCursor>;
    const folders = Array.isArray(c.folders) && c.folders.every((f) => Number.isSafeInteger(f) && f > 0) ? c.folders : undefined;
    const page = c.page === undefined || (Number.isSafeInteger(c.page) && c.page > 1) ? c.page : undefined;
    return folders ? {folders, ...(page ? {page} : {})} : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Freshdesk's Solutions (categories > folders > articles) as the knowledge base: search ranked by
 * Freshdesk, published articles only, read by id or slug, and listed for `kb sync`. Articles are
 * written in Freshdesk, so importing says that this backend cannot.
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
      const match = results.find((a) => articleTitleSlug(a) === slug.toLowerCase());
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

  /**
   * One page of a full listing of the Solutions, for `kb sync`. Freshdesk tells no deletions and
   * has no list of changes: a deleted article just leaves its folder's list. So every sync lists
   * everything (`listing`), and the sync drops what the listing no longer names. The first page
   * walks the categories, their folders and subfolders (GET /api/v2/solutions/categories,
   * .../categories/{id}/folders, .../folders/{id}/subfolders); each page then is one page of a
   * folder's articles (GET /api/v2/solutions/folders/{id}/articles, 100 a page, Link: rel="next").
   * These are the account's primary-language versions, as the view and search answer them; drafts
   * are not published, so they are not copied.
   */
  async changes(since?: string): Promise<KbChangesPage> {
    const resumed = decodeCursor(since);
    const listing = resumed?.folders.length ? 'next' : 'first';
    const folders = resumed?.folders.length ? resumed.folders : await this.allFolders();
    const page = resumed?.folders.length ? (resumed.page ?? 1) : 1;
    const folder = folders[0];
    if (folder === undefined) return {articles: [], deleted: [], cursor: encodeCursor({folders: []}), more: false, listing};
    let listed: FdArticle[] = [];
    let nextPage: number | undefined;
    try {
      const res = await this.api.send(
        {method: 'GET', path: `api/v2/solutions/folders/${folder}/articles`, query: {per_page: PAGE, page}},
        {subject: `solution folder ${folder}`, action: `list the articles of solution folder ${folder}`},
      );
      listed = (res.body as FdArticle[] | undefined) ?? [];
      const next = nextLink(res.headers);
      const n = next ? pageOf(next) : undefined;
      nextPage = n !== undefined && n > page ? n : undefined;
    } catch (error) {
      // A folder deleted since the listing began: its articles went with it.
      if (!(error instanceof NotFoundError)) throw error;
    }
    const rest = nextPage ? folders : folders.slice(1);
    const more = rest.length > 0;
    const markdown = await htmlToMarkdown();
    return {
      articles: listed.filter((a) => a.status === PUBLISHED).map((a) => articleIn(a, markdown(a.description ?? ''), this.settings.locale, this.url(a))),
      deleted: [],
      // The listing's end leaves a cursor that starts the next sync's listing afresh.
      cursor: encodeCursor(more ? {folders: rest, ...(nextPage ? {page: nextPage} : {})} : {folders: []}),
      more,
      listing,
    };
  }

  /** Every folder of the Solutions, subfolders after their parent: the categories' folders, then down each that has subfolders. */
  private async allFolders(): Promise<number[]> {
    const categories = await this.api.all<{id: number}>({method: 'GET', path: 'api/v2/solutions/categories'}, {action: 'list the solution categories'});
    const out: number[] = [];
    const walk = async (folders: FdFolder[]) => {
      for (const f of folders) {
        out.push(f.id);
        // Nested folders are not in their category's list; only ask when the folder says it has some.
        if ((f.sub_folders_count ?? 0) > 0) {
          await walk(await this.api.all<FdFolder>({method: 'GET', path: `api/v2/solutions/folders/${f.id}/subfolders`}, {subject: `solution folder ${f.id}`, action: `list the subfolders of solution folder ${f.id}`}));
        }
      }
    };
    for (const c of categories) {
      await walk(await this.api.all<FdFolder>({method: 'GET', path: `api/v2/solutions/categories/${c.id}/folders`}, {subject: `solution category ${c.id}`, action: `list the folders of solution category ${c.id}`}));
    }
    return [...new Set(out)];
  }
}
