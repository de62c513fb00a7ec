import {MATCH_END, MATCH_START, type KbLocale} from '../../../domain/article.js';
import {fold, germanDigraphs, isWordText, MAX_WORD_LENGTH, stem} from './text.js';

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
  if (text.includes('_')) text = withoutEmphasisUnderscores(text);
  if (text.includes('|')) text = text.replace(/\|/g, ' ');
  return (
    text
      // eslint-disable-next-line no-control-regex -- strips control characters from snippets on purpose
      .replace(/[\u0000-\u0008\u000B-\u001F]/g, '')
      .replace(/[ \t]+/g, ' ')
      .replace(/\n{2,}/g, '\n')
  );
}

/** Runs of underscores at a word's edge removed (not inside a word): what a pattern with Unicode classes does, without compiling one. */
function withoutEmphasisUnderscores(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('_'); at >= 0; at = text.indexOf('_', at)) {
    let end = at;
    while (text.charCodeAt(end) === 95) end++;
    const before = at === 0 ? -1 : text.codePointAt(at >= 2 && isLowSurrogate(text.charCodeAt(at - 1)) ? at - 2 : at - 1)!;
    const after = end < text.length ? text.codePointAt(end)! : -1;
    if (before < 0 || !isWordChar(before) || after < 0 || !isWordChar(after)) {
      out += text.slice(from, at);
      from = end;
    }
    at = end;
  }
  return out + text.slice(from);
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c < 0xe000;

export interface SnippetOptions {
  terms: ReadonlySet<string>;
  prefixes: readonly string[];
  locale: KbLocale;
  /** Words around the best match. */
  words?: number;
}

const wordChars = new Map<number, boolean>();

/** Whether a code point belongs to a word as tokenize() reads words ([\p{L}\p{N}]). */
function isWordChar(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57);
  let yes = wordChars.get(cp);
  if (yes === undefined) {
    yes = isWordText(String.fromCodePoint(cp));
    if (wordChars.size < 10_000) wordChars.set(cp, yes);
  }
  return yes;
}

/** What \s matches in a pattern: white space and line terminators. */
function isSpace(cp: number): boolean {
  if (cp < 128) return cp === 32 || (cp >= 9 && cp <= 13);
  return cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000 || cp === 0xfeff;
}

/** An ASCII letter or digit, lowercased; 0 for anything else. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 48; c < 58; c++) ASCII_WORD[c] = c;
for (let c = 97; c < 123; c++) ASCII_WORD[c] = ASCII_WORD[c - 32] = c;

const AE = (97 << 7) | 101;
const OE = (111 << 7) | 101;
const UE = (117 << 7) | 101;

/** A term's first two characters ([a-z0-9]) as a number; a one-character term's as its code. */
const headOf = (term: string) => (term.length > 1 ? (term.charCodeAt(0) << 7) | term.charCodeAt(1) : term.charCodeAt(0));

/**
 * The passage with the most distinct matched terms, matched words between the match marks.
 * Built for the hits shown only, and cheaply: words are found by a scan of character codes,
 * and only those that start as a term or prefix starts are folded and stemmed.
 */
export function makeSnippet(markdown: string, options: SnippetOptions): string {
  const text = markdownToPlain(markdown);
  const size = options.words ?? 24;
  // Stemming rewrites a word's ending only (Porter for English, Snowball for German, after
  // German's ae/oe/ue folding), so a term starts with the first two letters of the words that
  // stem to it: a word that starts as no term or prefix does cannot match, and is not stemmed.
  // Most words of a body are not (a cold process pays dearly for each stemming).
  const heads = new Set<number>();
  let shortTerms = false;
  for (const t of [...options.terms, ...options.prefixes]) {
    heads.add(headOf(t));
    if (t.length < 2) shortTerms = true;
  }
  const german = options.locale === 'de';
  const starts: number[] = [];
  const ends: number[] = [];
  const matchedTerm: (string | null)[] = [];
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    let first: number;
    if (c < 128) {
      first = ASCII_WORD[c]!;
      if (first === 0) {
        i++;
        continue;
      }
    } else {
      const cp = text.codePointAt(i)!;
      if (!isWordChar(cp)) {
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
      first = -1;
    }
    const start = i;
    i += first < 0 && c >= 0xd800 && c < 0xdc00 ? 2 : 1;
    const c2 = i < n ? text.charCodeAt(i) : 0;
    const second = c2 < 128 ? ASCII_WORD[c2]! : -1;
    for (;;) {
      if (i >= n) break;
      const d = text.charCodeAt(i);
      if (d < 128) {
        if (ASCII_WORD[d] === 0) break;
        i++;
        continue;
      }
      const cp = text.codePointAt(i)!;
      if (!isWordChar(cp)) break;
      i += cp > 0xffff ? 2 : 1;
    }
    let folded: string | undefined;
    let head: number;
    if (first > 0 && second >= 0) head = second > 0 ? (first << 7) | second : first;
    else {
      folded = fold(text.slice(start, i)).slice(0, MAX_WORD_LENGTH);
      head = folded ? headOf(folded) : -1;
    }
    let candidate = heads.has(head) || (shortTerms && heads.has(head >> 7));
    if (!candidate && german && (head === AE || head === OE || head === UE)) {
      folded ??= fold(text.slice(start, i)).slice(0, MAX_WORD_LENGTH);
      candidate = heads.has(headOf(germanDigraphs(folded.slice(0, 4))));
    }
    let term: string | null = null;
    if (candidate) {
      folded ??= fold(text.slice(start, i)).slice(0, MAX_WORD_LENGTH);
      const stemmed = stem(folded, options.locale);
      if (options.terms.has(stemmed)) term = stemmed;
      else {
        const prefix = options.prefixes.find((p) => folded!.startsWith(p) || stemmed.startsWith(p));
        if (prefix !== undefined) term = `${prefix}*`;
      }
    }
    starts.push(start);
    ends.push(i);
    matchedTerm.push(term);
  }
  const count = starts.length;
  if (count === 0) return '';

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
  for (let i = 0; i < Math.min(size, count); i++) add(i, 1);
  for (let start = 0; ; start++) {
    const score = counts.size * 1000 + matches;
    if (score > bestScore) {
      bestScore = score;
      best = start;
    }
    if (start + size >= count) break;
    add(start, -1);
    add(start + size, 1);
  }
  // Start a little before the first match, so the match has some context.
  let first = best;
  while (first < best + size && first < count && !matchedTerm[first]) first++;
  const from = first < count && matchedTerm[first] ? Math.max(0, Math.min(best, first - 4)) : best;
  const to = Math.min(count, from + size);

  let out = '';
  let cursor = starts[from]!;
  for (let i = from; i < to; i++) {
    const word = text.slice(starts[i]!, ends[i]!);
    out += text.slice(cursor, starts[i]!);
    out += matchedTerm[i] ? `${MATCH_START}${word}${MATCH_END}` : word;
    cursor = ends[i]!;
  }
  // Keep the punctuation that closes the last word (a full stop, a closing parenthesis).
  let end = cursor;
  while (end < text.length) {
    const cp = text.codePointAt(end)!;
    if (isSpace(cp) || isWordChar(cp)) break;
    end += cp > 0xffff ? 2 : 1;
  }
  out += text.slice(cursor, end);
  out = out.replace(/\s+/g, ' ').trim();
  const lead = from > 0 ? '…' : '';
  const trail = to < count ? '…' : '';
  return `${lead}${out}${trail}`;
}
