import {MATCH_END, MATCH_START, stripMatchMarks, type Article, type KbHit} from '../../domain/article.js';
import {timeCell, type OutputMode} from '../output.js';
import {renderMarkdown} from './markdown.js';

const bold = (text: string) => `\u001B[1m${text}\u001B[22m`;
const gray = (text: string) => `\u001B[90m${text}\u001B[39m`;
const cyan = (text: string) => `\u001B[36m${text}\u001B[39m`;

/** Matched words in bold on a colour terminal; the marks removed everywhere else. */
export function renderSnippet(snippet: string, mode: OutputMode): string {
  if (!mode.color) return stripMatchMarks(snippet);
  const marked = snippet.replace(new RegExp(`${MATCH_START}([^${MATCH_END}]*)${MATCH_END}`, 'gu'), (_m, word: string) => bold(word));
  return stripMatchMarks(marked);
}

const oneLine = (text: string) => text.replace(/[\t\r\n]+/g, ' ');

/** Search hits: a numbered list with snippets on a terminal; `id, title, locale, tags, score, snippet` rows when piped. */
export function renderKbHits(hits: readonly KbHit[], mode: OutputMode): string {
  if (!mode.tty) {
    return hits.map((h) => [h.id, h.title, h.locale, h.tags.join(','), String(h.score), stripMatchMarks(h.snippet)].map(oneLine).join('\t')).join('\n');
  }
  const style = (f: (t: string) => string) => (mode.color ? f : (t: string) => t);
  return hits
    .map((h, i) => {
      const meta = [`#${h.id}`, h.locale, ...(h.tags.length ? [h.tags.join(', ')] : [])].join(' · ');
      const lines = [`${String(i + 1).padStart(2)}. ${style(bold)(oneLine(h.title))}  ${style(gray)(meta)}`];
      if (h.snippet) lines.push(`    ${renderSnippet(oneLine(h.snippet), mode)}`);
      return lines.join('\n');
    })
    .join('\n\n');
}

export interface ArticleRenderOptions {
  width: number;
}

/** One article: rendered Markdown under a header on a terminal; `key:\tvalue` lines, `--`, then the Markdown when piped. */
export function renderArticle(article: Article, mode: OutputMode, options: ArticleRenderOptions): string {
  if (!mode.tty) {
    return [
      `id:\t${article.id}`,
      `slug:\t${article.slug}`,
      `title:\t${oneLine(article.title)}`,
      `locale:\t${article.locale}`,
      `tags:\t${article.tags.join(',')}`,
      `updated:\t${article.updatedAt}`,
      ...(article.url ? [`url:\t${article.url}`] : []),
      '--',
      article.body,
    ].join('\n');
  }
  const style = (f: (t: string) => string) => (mode.color ? f : (t: string) => t);
  const meta = [`#${article.id}`, article.slug, article.locale, ...(article.tags.length ? [article.tags.join(', ')] : []), `updated ${timeCell(article.updatedAt, mode)}`];
  const body = withoutTitleHeading(article.body, article.title);
  const out = [style(bold)(article.title), style(gray)(meta.join(' · ')), '', renderMarkdown(body, {color: mode.color, width: options.width})];
  if (article.url) out.push('', `${style(gray)('View it on the web:')} ${style(cyan)(article.url)}`);
  return out.join('\n');
}

/** The header already shows the title; a body that opens with it as "# Title" would show it twice. */
function withoutTitleHeading(body: string, title: string): string {
  const match = /^\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|$)/.exec(body);
  return match && match[1]!.trim() === title.trim() ? body.slice(match[0].length) : body;
}
