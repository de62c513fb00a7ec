import {MATCH_END, MATCH_START, type KbLocale} from '../../../domain/article.js';
import {stem, tokenize} from './text.js';

/**
 * Markdown reduced to the text a reader sees: no fences, heading marks, link targets,
 * emphasis or HTML tags. Snippets are cut from this, so they never show "](https://".
 */
export function markdownToPlain(markdown: string): string {
  return markdown
    .replace(/\r\n?/g, '\n')
    .replace(/^\s*(```|~~~).*$/gm, '')
    .replace(/<[^>\n]+>/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*`]+|~~/g, '')
    // Underscores mark emphasis only at a word's edge; HTTPS_PROXY keeps its own.
    .replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}_]|$)/gmu, '$1')
    .replace(/\|/g, ' ')
  // eslint-disable-next-line no-control-regex -- strips control characters from snippets on purpose
    .replace(/[\u0000-\u0008\u000B-\u001F]/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n');
}

export interface SnippetOptions {
  terms: ReadonlySet<string>;
  prefixes: readonly string[];
  locale: KbLocale;
  /** Words around the best match. */
  words?: number;
}

/** The passage with the most distinct matched terms, matched words between the match marks. */
export function makeSnippet(markdown: string, options: SnippetOptions): string {
  const text = markdownToPlain(markdown);
  const tokens = tokenize(text);
  const size = options.words ?? 24;
  if (tokens.length === 0) return '';
  // Stemming keeps a word's first letter, so a word whose first letter starts no term or
  // prefix cannot match: most words of a body are never stemmed (a cold start pays for each).
  const initials = new Set([...options.terms, ...options.prefixes].map((t) => t[0]));
  const matchedTerm = tokens.map((t) => {
    if (!initials.has(t.folded[0])) return null;
    const term = stem(t.folded, options.locale);
    if (options.terms.has(term)) return term;
    const prefix = options.prefixes.find((p) => t.folded.startsWith(p) || term.startsWith(p));
    return prefix === undefined ? null : `${prefix}*`;
  });

  // Slide a window over the tokens: most distinct terms wins, then most matches, then earliest.
  let best = 0;
  let bestScore = -1;
  const counts = new Map<string, number>();
  let matches = 0;
  const add = (i: number, delta: number) => {
    const term = matchedTerm[i];
    if (!term) return;
    matches += delta;
    const n = (counts.get(term) ?? 0) + delta;
    if (n === 0) counts.delete(term);
    else counts.set(term, n);
  };
  for (let i = 0; i < Math.min(size, tokens.length); i++) add(i, 1);
  for (let start = 0; ; start++) {
    const score = counts.size * 1000 + matches;
    if (score > bestScore) {
      bestScore = score;
      best = start;
    }
    if (start + size >= tokens.length) break;
    add(start, -1);
    add(start + size, 1);
  }
  // Start a little before the first match, so the match has some context.
  let first = best;
  while (first < best + size && first < tokens.length && !matchedTerm[first]) first++;
  const from = first < tokens.length && matchedTerm[first] ? Math.max(0, Math.min(best, first - 4)) : best;
  const to = Math.min(tokens.length, from + size);

  let out = '';
  let cursor = tokens[from]!.start;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    out += text.slice(cursor, t.start);
    out += matchedTerm[i] ? `${MATCH_START}${t.text}${MATCH_END}` : t.text;
    cursor = t.end;
  }
  // Keep the punctuation that closes the last word (a full stop, a closing parenthesis).
  const tail = /^[^\s\p{L}\p{N}]*/u.exec(text.slice(cursor))![0];
  out += tail;
  out = out.replace(/\s+/g, ' ').trim();
  const lead = from > 0 ? '…' : '';
  const trail = to < tokens.length ? '…' : '';
  return `${lead}${out}${trail}`;
}
