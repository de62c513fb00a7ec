import {MATCH_END, MATCH_START, type KbLocale} from '../../../domain/article.js';
import {fold, MAX_WORD_LENGTH, stem} from './text.js';

/**
 * Markdown reduced to the text a reader sees: no fences, heading marks, link targets,
 * emphasis or HTML tags. Snippets are cut from this, so they never show "](https://".
 */
export function markdownToPlain(markdown: string): string {
  let text = markdown.replace(/\r\n?/g, '\n');
  // Each rule only when its characters occur: most bodies need few of them, and the snippet of
  // every hit shown passes through here.
  if (text.includes('```') || text.includes('~~~')) text = text.replace(/^\s*(```|~~~).*$/gm, '');
  if (text.includes('<')) text = text.replace(/<[^>\n]+>/g, ' ');
  if (text.includes('](')) text = text.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
  text = text.replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '');
  if (/[*`~]/.test(text)) text = text.replace(/[*`]+|~~/g, '');
  // Underscores mark emphasis only at a word's edge; HTTPS_PROXY keeps its own.
  if (text.includes('_')) text = text.replace(/(^|[^\p{L}\p{N}])_+|_+(?=[^\p{L}\p{N}_]|$)/gmu, '$1');
  if (text.includes('|')) text = text.replace(/\|/g, ' ');
  return (
    text
      // eslint-disable-next-line no-control-regex -- strips control characters from snippets on purpose
      .replace(/[\u0000-\u0008\u000B-\u001F]/g, '')
      .replace(/[ \t]+/g, ' ')
      .replace(/\n{2,}/g, '\n')
  );
}

export interface SnippetOptions {
  terms: ReadonlySet<string>;
  prefixes: readonly string[];
  locale: KbLocale;
  /** Words around the best match. */
  words?: number;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const wordChars = new Map<number, boolean>();

/** Whether a code point belongs to a word as tokenize() reads words ([\p{L}\p{N}]). */
function isWordChar(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57);
  let yes = wordChars.get(cp);
  if (yes === undefined) {
    yes = LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
    if (wordChars.size < 10_000) wordChars.set(cp, yes);
  }
  return yes;
}

/**
 * The passage with the most distinct matched terms, matched words between the match marks.
 * Built for the hits shown only, and cheaply: words are found by a scan of character codes
 * and only those whose first letter starts a term or prefix are folded and stemmed.
 */
export function makeSnippet(markdown: string, options: SnippetOptions): string {
  const text = markdownToPlain(markdown);
  const size = options.words ?? 24;
  // Stemming keeps a word's first letter, so a word whose first letter starts no term or
  // prefix cannot match: most words of a body are never stemmed (a cold start pays for each).
  const initials = new Set([...options.terms, ...options.prefixes].map((t) => t[0]));
  const tokens: {start: number; end: number}[] = [];
  const matchedTerm: (string | null)[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (!isWordChar(cp)) {
      i += width;
      continue;
    }
    const start = i;
    i += width;
    for (;;) {
      const next = text.codePointAt(i);
      if (next === undefined || !isWordChar(next)) break;
      i += next > 0xffff ? 2 : 1;
    }
    const initial = cp < 128 ? String.fromCharCode(cp | (cp >= 65 && cp <= 90 ? 32 : 0)) : fold(String.fromCodePoint(cp))[0];
    let term: string | null = null;
    if (initial !== undefined && initials.has(initial)) {
      const folded = fold(text.slice(start, i)).slice(0, MAX_WORD_LENGTH);
      const stemmed = stem(folded, options.locale);
      if (options.terms.has(stemmed)) term = stemmed;
      else {
        const prefix = options.prefixes.find((p) => folded.startsWith(p) || stemmed.startsWith(p));
        if (prefix !== undefined) term = `${prefix}*`;
      }
    }
    tokens.push({start, end: i});
    matchedTerm.push(term);
  }
  if (tokens.length === 0) return '';

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
    const word = text.slice(t.start, t.end);
    out += text.slice(cursor, t.start);
    out += matchedTerm[i] ? `${MATCH_START}${word}${MATCH_END}` : word;
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
