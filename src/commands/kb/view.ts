import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {block} from '../../cli/shown.js';
import {htmlToMarkdown} from '../../cli/render/html.js';
import {renderArticle} from '../../cli/render/kb.js';
import type {Article} from '../../domain/article.js';
import {SupportError} from '../../domain/errors.js';
import {requireKb, viewArticle} from '../../services/kb.js';

export type KbViewResult = Article;

export default class KbView extends BaseCommand<typeof KbView> {
  static override summary = 'Show a knowledge-base article.';
  static override description =
    'On a terminal the Markdown is rendered (headings, lists, code, links) and shown through $PAGER when it is longer than the screen. ' +
    'When piped, prints key: value lines, then the Markdown as written. An HTML article (Jira Service Management) is shown as text, and kept as HTML in --json and --raw. Control characters in the article are shown as escapes such as \\x1b, never sent to the terminal; --raw into a file or pipe is exact.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> proxy-setup',
    '<%= config.bin %> <%= command.id %> 12 --raw > proxy.md',
    '<%= config.bin %> <%= command.id %> proxy-setup --json',
  ];

  static override args = {article: Args.string({description: 'Article id or slug.', required: true})};
  static override flags = {
    raw: Flags.boolean({description: 'Print the Markdown as written.'}),
    ...pagerFlags,
    offline: Flags.boolean({description: 'Read the offline copy made by `support kb sync`.'}),
  };

  async run(): Promise<KbViewResult> {
    const {flags, ctx} = this;
    const {profile} = await ctx.activeProfile();
    let article: Article;
    if (flags.offline && profile.backend !== 'local') {
      const cache = await ctx.kbCache();
      if (!cache) throw new SupportError('There is no offline copy of the knowledge base yet.', {hint: 'Run `support kb sync` while online.'});
      try {
        article = await viewArticle(cache, this.args.article);
      } finally {
        cache.close();
      }
    } else {
      article = await viewArticle(requireKb(await ctx.backend()), this.args.article);
    }
    if (this.jsonEnabled()) return article;
    // An HTML article (Jira Service Management's) stays HTML in --json and --raw; it is read as text.
    const readable = article.format === 'html' && !flags.raw ? {...article, body: await htmlToMarkdown(article.body)} : article;
    if (flags.raw) {
      const raw = article.body.replace(/\n+$/, '');
      // Into a file or a pipe the Markdown is exact, as with --json; on a terminal it is neutralised.
      if (this.io.stdout.isTTY) this.print(block(raw));
      else if (raw) this.io.stdout.write(`${raw}\n`);
      return article;
    }
    const mode = ctx.mode;
    const width = Math.min(this.io.stdout.columns || 80, 100);
    const text = await renderArticle(readable, mode, {width});
    await this.printPaged(text);
    return article;
  }
}
