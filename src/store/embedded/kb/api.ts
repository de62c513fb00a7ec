import type {Article, ArticleInput, KbHit, KbSearchQuery} from '../../../domain/article.js';
import {UsageError} from '../../../domain/errors.js';
import type {KbApi, KbChangesPage, KbUpsertOutcome} from '../../../backends/backend.js';
import type {LocalKb} from './store.js';

/** Changes per page of a sync. */
const CHANGES_PAGE = 500;

/** A sync cursor of a local store is its change sequence number. */
export function parseSeqCursor(since: string | undefined): number {
  if (since === undefined || since === '') return 0;
  if (!/^\d{1,15}$/.test(since)) throw new UsageError(`"${since}" is not a knowledge-base sync cursor.`, {hint: 'Pass the cursor of the previous page unchanged.'});
  return Number(since);
}

/**
 * The KbApi over a LocalKb. The LocalKb is opened on the first call, so that a ticket command
 * never pays for checking the built-in articles.
 */
export class LocalKbApi implements KbApi {
  private opened?: Promise<LocalKb>;

  constructor(private readonly open: () => Promise<LocalKb>) {}

  private kb(): Promise<LocalKb> {
    this.opened ??= this.open();
    return this.opened;
  }

  async search(query: KbSearchQuery): Promise<KbHit[]> {
    return (await this.kb()).search(query);
  }

  async get(idOrSlug: string): Promise<Article> {
    return (await this.kb()).get(idOrSlug);
  }

  async upsert(articles: readonly ArticleInput[]): Promise<{slug: string; outcome: KbUpsertOutcome}[]> {
    return (await this.kb()).upsertMany(articles).map((r) => ({slug: r.article.slug, outcome: r.outcome}));
  }

  async delete(idOrSlug: string): Promise<void> {
    (await this.kb()).delete(idOrSlug);
  }

  async changes(since?: string): Promise<KbChangesPage> {
    const page = (await this.kb()).changes(parseSeqCursor(since), CHANGES_PAGE);
    return {articles: page.articles, deleted: page.deleted, cursor: String(page.seq), more: page.more};
  }
}
