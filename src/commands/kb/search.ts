import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {renderKbHits} from '../../cli/render/kb.js';
import {DEFAULT_KB_LIMIT, KB_LOCALES, MAX_KB_LIMIT, stripMatchMarks, userKbLocale} from '../../domain/article.js';
import {SupportError} from '../../domain/errors.js';
import {requireKb, searchKb, type KbSource} from '../../services/kb.js';

/** Exactly these fields: scripts rely on them. The snippet is plain text. */
export type KbSearchResult = {
  query: string;
  hits: {id: string; title: string; snippet: string; score: number; locale: string; tags: string[]; url: string | null}[];
};

export default class KbSearch extends BaseCommand<typeof KbSearch> {
  static override summary = 'Search the knowledge base.';
  static override description =
    'Finds articles in English and German: inflections ("proxies" finds "proxy"), umlauts typed or not, one typo in longer words, ' +
    'and the last word as a prefix. Articles holding more of the words rank higher, but one missing a word is still found; a quoted ' +
    'phrase ranks its exact matches first. Articles in your language come first (--locale, else LC_ALL, LC_MESSAGES or LANG, else ' +
    'English) and the other language follows. With --offline, searches the copy made by `support kb sync`.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> proxy setup',
    '<%= config.bin %> <%= command.id %> "Proxy einrichten" --locale de',
    '<%= config.bin %> <%= command.id %> login --tag sso --limit 3 --json',
    '<%= config.bin %> <%= command.id %> diagnostic bundle --offline',
  ];

  static override strict = false;
  static override args = {query: Args.string({description: 'Words to search for (several words need no quotes).', required: true})};
  static override flags = {
    limit: Flags.integer({description: `Most hits to show (1-${MAX_KB_LIMIT}).`, default: DEFAULT_KB_LIMIT, min: 1, max: MAX_KB_LIMIT}),
    locale: Flags.option({options: KB_LOCALES, description: 'Your language: its articles first, the other language after them (default: from LC_ALL, LC_MESSAGES or LANG, else en).'})(),
    tag: Flags.string({description: 'Only articles with this tag (repeatable; all must match).', multiple: true}),
    offline: Flags.boolean({description: 'Search the offline copy made by `support kb sync` instead of the backend.'}),
    ...pagerFlags,
  };

  async run(): Promise<KbSearchResult> {
    const {flags, ctx} = this;
    const query = this.positionals.join(' ');
    let source: KbSource;
    let close = () => {};
    const {profile} = await ctx.activeProfile();
    if (flags.offline && profile.backend !== 'local') {
      const cache = await ctx.kbCache();
      if (!cache) {
        throw new SupportError('There is no offline copy of the knowledge base yet.', {hint: 'Run `support kb sync` while online, then search with --offline.'});
      }
      source = cache;
      close = () => cache.close();
    } else {
      // The local backend is on this machine already: --offline changes nothing there.
      source = requireKb(await ctx.backend());
    }
    let hits;
    try {
      hits = await searchKb(source, {query, limit: flags.limit, prefer: flags.locale ?? userKbLocale(ctx.env), tags: flags.tag});
    } finally {
      close();
    }
    if (hits.length === 0) this.note(`No articles match "${query.length > 80 ? `${query.slice(0, 79)}…` : query}".`);
    else await this.printPaged(() => renderKbHits(hits, ctx.mode));
    return {
      query,
      hits: hits.map((h) => ({id: h.id, title: h.title, snippet: stripMatchMarks(h.snippet), score: h.score, locale: h.locale, tags: h.tags, url: h.url})),
    };
  }
}
