import {MATCH_END, MATCH_START, stripMatchMarks, type Article, type KbHit} from '../../domain/article.js';
import {DEFAULT_WIDTH, timeCell, wrapProse, type OutputMode} from '../output.js';
import {block, fieldLines, joinShown, line, plainRow, shown, type Shown} from '../shown.js';
import {renderMarkdown} from './markdown.js';

const bold = (text: Shown) => shown`\u001B[1m${text}\u001B[22m`;
const gray = (text: Shown) => shown`\u001B[90m${text}\u001B[39m`;
const cyan = (text: Shown) => shown`\u001B[36m${text}\u001B[39m`;

/** Matched words in bold on a colour terminal; the marks removed everywhere else. */
export function renderSnippet(snippet: string, mode: OutputMode): Shown {
  if (!mode.color) return line(stripMatchMarks(snippet));
  // The marks are split off before the text is neutralised (they are control characters), and the matched words styled after.
  const parts = snippet.split(MATCH_START).flatMap((chunk, i) => {
    if (i === 0) return [line(stripMatchMarks(chunk))];
    const end = chunk.indexOf(MATCH_END);
    if (end < 0) return [line(stripMatchMarks(chunk))];
    return [bold(line(stripMatchMarks(chunk.slice(0, end)))), line(stripMatchMarks(chunk.slice(end + 1)))];
  });
  return joinShown(parts, '');
}

/**
 * Search hits: a numbered list with snippets wrapped to the terminal's width on a terminal;
 * `id, title, locale, tags, score, snippet` rows when piped.
 */
export async function renderKbHits(hits: readonly KbHit[], mode: OutputMode): Promise<Shown> {
  if (!mode.tty) {
    return joinShown(hits.map((h) => plainRow([h.id, h.title, h.locale, h.tags.join(','), String(h.score), stripMatchMarks(h.snippet)])));
  }
  const style = (f: (t: Shown) => Shown) => (mode.color ? f : (t: Shown) => t);
  const width = mode.width ?? DEFAULT_WIDTH;
  const blocks = await Promise.all(
    hits.map(async (h, i) => {
      const meta = line([`#${h.id}`, h.locale, ...(h.tags.length ? [h.tags.join(', ')] : [])].join(' · '));
      const lines = [shown`${String(i + 1).padStart(2)}. ${style(bold)(line(h.title))}  ${style(gray)(meta)}`];
      if (h.snippet) lines.push(await wrapProse(renderSnippet(h.snippet, mode), width, '    '));
      return joinShown(lines);
    }),
  );
  return joinShown(blocks, '\n\n');
}

export interface ArticleRenderOptions {
  width: number;
}

/** One article: rendered Markdown under a header on a terminal; `key:\tvalue` lines, `--`, then the Markdown when piped. */
export async function renderArticle(article: Article, mode: OutputMode, options: ArticleRenderOptions): Promise<Shown> {
  if (!mode.tty) {
    return joinShown([
      fieldLines([
        ['id', article.id],
        ['slug', article.slug],
        ['title', article.title],
        ['locale', article.locale],
        ['tags', article.tags.join(',')],
        ['updated', article.updatedAt],
        ...(article.url ? [['url', article.url] as const] : []),
      ]),
      shown`--`,
      block(article.body),
    ]);
  }
  const style = (f: (t: Shown) => Shown) => (mode.color ? f : (t: Shown) => t);
  const meta = [`#${article.id}`, article.slug, article.locale, ...(article.tags.length ? [article.tags.join(', ')] : []), `updated ${timeCell(article.updatedAt, mode)}`];
  const body = withoutTitleHeading(article.body, article.title);
  const out = [style(bold)(line(article.title)), style(gray)(line(meta.join(' · '))), shown``, await renderMarkdown(body, {color: mode.color, width: options.width})];
  if (article.url) out.push(shown``, shown`${style(gray)(shown`View it on the web:`)} ${style(cyan)(line(article.url))}`);
  return joinShown(out);
}

/** The header already shows the title; a body that opens with it as "# Title" would show it twice. */
function withoutTitleHeading(body: string, title: string): string {
  const match = /^\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|$)/.exec(body);
  return match && match[1]!.trim() === title.trim() ? body.slice(match[0].length) : body;
}
