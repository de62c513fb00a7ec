import type {Backend} from '../backends/backend.js';
import {userKbLocale} from '../domain/article.js';
import {suggestArticles} from '../services/kb.js';
import type {Context} from './context.js';
import {renderKbHits} from './render/kb.js';
import {joinShown, shown, writeText} from './shown.js';

/**
 * Before a ticket is filed on a terminal: shows the three articles that best match its title
 * and asks whether one of them answers it. True when it did (the caller files nothing). Says
 * nothing when the backend has no knowledge base or nothing matches.
 */
export async function offerArticles(ctx: Context, backend: Backend, title: string): Promise<boolean> {
  const hits = await suggestArticles(backend, title, 3, userKbLocale(ctx.env));
  if (hits.length === 0) return false;
  const color = Boolean(ctx.options.io.stderr.isTTY) && !ctx.options.noColor && ctx.env.NO_COLOR === undefined && ctx.env.TERM !== 'dumb';
  writeText(ctx.options.io.stderr, joinShown([shown``, shown`These articles may already answer it:`, shown``, await renderKbHits(hits, {tty: true, color, width: ctx.options.io.stderr.columns || undefined}), shown``, shown`Read one with: support kb view ID`, shown``]));
  return ctx.prompter.confirm('Did one of these solve your problem?', {default: false});
}
