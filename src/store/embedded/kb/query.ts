import type {KbLocale} from '../../../domain/article.js';
import {KB_LOCALES} from '../../../domain/article.js';
import {oneEditVariants, stem, STOP_WORDS, tokenize} from './text.js';

/**
 * Turns what a user typed into an FTS5 MATCH expression. User text never reaches FTS5 as
 * syntax: every term we emit is [a-z0-9]+ inside double quotes, so `"`, `*`, NEAR, AND, `-`
 * and `:` in the input are only ever words or separators.
 */

/** Past this many words a query is a pasted log, not a question: the rest adds only cost. */
export const MAX_QUERY_WORDS = 24;
/** Typo expansion costs a vocabulary lookup of a few hundred variants per word. */
const MAX_FUZZY_WORDS = 8;
const FUZZY_MIN_LENGTH = 5;
const PREFIX_MIN_LENGTH = 3;
const COMPOUND_MIN_LENGTH = 8;

type Item = {kind: 'word'; folded: string; last: boolean} | {kind: 'phrase'; words: string[]};

export interface ParsedQuery {
  items: Item[];
  /** The query ended inside a word (no space after it): that word is also a prefix. */
  prefixLast: boolean;
}

// Straight and typographic quotes (German „…“ and English “…”) delimit phrases.
const QUOTES = /["\u201C\u201D\u201E\u201F\u00AB\u00BB]/;

export function parseQuery(text: string): ParsedQuery {
  const items: Item[] = [];
  let words = 0;
  const segments = text.split(QUOTES);
  // An odd quote count leaves the last segment unclosed: it is plain words, not a phrase.
  const closed = segments.length % 2 === 1 ? segments.length : segments.length - 1;
  for (let i = 0; i < segments.length && words < MAX_QUERY_WORDS; i++) {
    const tokens = tokenize(segments[i]!).slice(0, MAX_QUERY_WORDS - words);
    const inPhrase = i % 2 === 1 && i < closed;
    if (inPhrase && tokens.length > 1) {
      items.push({kind: 'phrase', words: tokens.map((t) => t.folded)});
      words += tokens.length;
      continue;
    }
    for (const token of tokens) {
      words++;
      // A quoted single word is kept even when it is a stop word: the user asked for it.
      if (!inPhrase && STOP_WORDS.has(token.folded)) continue;
      items.push({kind: 'word', folded: token.folded, last: false});
    }
  }
  const lastToken = tokenize(text).at(-1);
  const endsInWord = lastToken !== undefined && lastToken.end === text.length && words <= MAX_QUERY_WORDS;
  const last = items.at(-1);
  let prefixLast = false;
  if (endsInWord && last?.kind === 'word' && last.folded === lastToken.folded && !QUOTES.test(text.slice(-1))) {
    last.last = true;
    prefixLast = last.folded.length >= PREFIX_MIN_LENGTH;
  }
  return {items, prefixLast};
}

export interface VocabularyLookup {
  /** Document frequency of each term that the index holds; absent terms are missing from the map. */
  frequencies(terms: readonly string[]): Map<string, number>;
  /** Up to `max` indexed terms starting with `prefix`, most common first, with their frequencies. */
  completions(prefix: string, max: number): Map<string, number>;
}

/** A prefix stands for its most common completions only: "a*" must not read half the index. */
const MAX_COMPLETIONS = 12;

export interface SearchPlan {
  /** Groups that must all match; each group is an OR of alternatives. */
  and: string | null;
  /** The same groups, any of which may match: the fallback when AND finds too little. */
  or: string | null;
  /** Exact terms that a snippet should mark. */
  terms: Set<string>;
  /** Prefixes that a snippet should mark (a term starting with one is a match). */
  prefixes: string[];
  /**
   * Upper bounds of the articles each query can match, from term frequencies: bm25 costs about
   * a microsecond per matched article, so the caller narrows very broad queries first.
   */
  andMatches: number;
  orMatches: number;
}

const quote = (term: string) => `"${term}"`;

function stems(folded: string, locales: readonly KbLocale[]): string[] {
  return [...new Set(locales.map((l) => stem(folded, l)))];
}

export function planSearch(parsed: ParsedQuery, locale: KbLocale | undefined, lookup: VocabularyLookup): SearchPlan {
  const locales: readonly KbLocale[] = locale ? [locale] : KB_LOCALES;
  const terms = new Set<string>();
  const prefixes: string[] = [];

  // One lookup for every exact stem and compound part we may need.
  const candidates = new Set<string>();
  const words = parsed.items.filter((i) => i.kind === 'word');
  for (const word of words) {
    for (const s of stems(word.folded, locales)) candidates.add(s);
    for (const [left, right] of compoundSplits(word.folded)) {
      for (const s of stems(left, locales)) candidates.add(s);
      for (const s of stems(right, locales)) candidates.add(s);
    }
  }
  for (let i = 0; i + 1 < parsed.items.length; i++) {
    const a = parsed.items[i]!;
    const b = parsed.items[i + 1]!;
    if (a.kind === 'word' && b.kind === 'word') for (const s of stems(a.folded + b.folded, locales)) candidates.add(s);
  }
  const known = lookup.frequencies([...candidates]);
  const has = (term: string) => (known.get(term) ?? 0) > 0;
  const df = (term: string) => known.get(term) ?? 0;

  // Typo candidates for words the index does not know, in one more lookup.
  const fuzzy = new Map<string, string[]>();
  const fuzzyWords = words.filter((w) => w.folded.length >= FUZZY_MIN_LENGTH && !/\d/.test(w.folded) && !stems(w.folded, locales).some(has));
  const variantStems = new Map<string, Set<string>>();
  for (const word of fuzzyWords.slice(0, MAX_FUZZY_WORDS)) {
    const set = new Set<string>();
    for (const variant of oneEditVariants(word.folded)) for (const s of stems(variant, locales)) set.add(s);
    variantStems.set(word.folded, set);
  }
  if (variantStems.size > 0) {
    const all = new Set<string>();
    for (const set of variantStems.values()) for (const s of set) all.add(s);
    const found = lookup.frequencies([...all]);
    for (const [word, set] of variantStems) {
      // The most common corrections first; a handful is plenty.
      const hits = [...set].filter((s) => (found.get(s) ?? 0) > 0).sort((x, y) => found.get(y)! - found.get(x)!);
      fuzzy.set(word, hits.slice(0, 6));
      for (const h of hits.slice(0, 6)) known.set(h, found.get(h)!);
    }
  }

  const wordGroup = (folded: string, isPrefix: boolean): {expr: string; df: number} | null => {
    const alternatives = new Set<string>();
    let matches = 0;
    const exact = stems(folded, locales);
    for (const s of [...exact, ...(fuzzy.get(folded) ?? [])]) {
      if (!alternatives.has(quote(s))) matches += df(s);
      alternatives.add(quote(s));
      terms.add(s);
    }
    if (isPrefix) {
      // Terms are stems, and a stem may be shorter than the word ("proxy" -> "proxi"), so the
      // prefix is the folded word itself, and German's folded pairs too.
      for (const p of new Set([folded, stemPrefix(folded)])) {
        if (p.length < PREFIX_MIN_LENGTH) continue;
        for (const [term, n] of lookup.completions(p, MAX_COMPLETIONS)) {
          if (!alternatives.has(quote(term))) matches += n;
          alternatives.add(quote(term));
          terms.add(term);
        }
        prefixes.push(p);
      }
    }
    // German compounds: "Proxyeinstellungen" also matches "Proxy-Einstellungen".
    const split = compoundSplits(folded).find(([l, r]) => stems(l, locales).some(has) && stems(r, locales).some(has));
    if (split) {
      const [left, right] = split;
      const l = stems(left, locales).filter(has);
      const r = stems(right, locales).filter(has);
      for (const s of [...l, ...r]) terms.add(s);
      alternatives.add(`(${alt(l)} AND ${alt(r)})`);
      matches += Math.min(...l.map(df), ...r.map(df));
    }
    return alternatives.size ? {expr: alt([...alternatives], true), df: matches} : null;
  };

  const groups: string[] = [];
  const groupMatches: number[] = [];
  for (let i = 0; i < parsed.items.length; i++) {
    const item = parsed.items[i]!;
    if (item.kind === 'phrase') {
      const variants = new Set(locales.map((l) => item.words.map((w) => stem(w, l)).join(' ')));
      for (const v of variants) for (const t of v.split(' ')) terms.add(t);
      groups.push(alt([...variants].map(quote), true));
      // Unknown without a lookup; a phrase is rarely broad, and bm25 runs only on its matches.
      groupMatches.push(0);
      continue;
    }
    const group = wordGroup(item.folded, item.last && parsed.prefixLast);
    if (!group) continue;
    const next = parsed.items[i + 1];
    // "Proxy Einstellungen" also matches "Proxyeinstellungen".
    if (next?.kind === 'word') {
      const joined = stems(item.folded + next.folded, locales).filter(has);
      const nextGroup = wordGroup(next.folded, next.last && parsed.prefixLast);
      if (joined.length > 0 && nextGroup) {
        for (const s of joined) terms.add(s);
        groups.push(`((${group.expr} AND ${nextGroup.expr}) OR ${alt(joined.map(quote), true)})`);
        groupMatches.push(Math.min(group.df, nextGroup.df) + joined.reduce((n, j) => n + df(j), 0));
        i++;
        continue;
      }
    }
    groups.push(group.expr);
    groupMatches.push(group.df);
  }
  if (groups.length === 0) return {and: null, or: null, terms, prefixes, andMatches: 0, orMatches: 0};
  return {
    and: groups.join(' AND '),
    or: groups.length > 1 ? groups.join(' OR ') : null,
    terms,
    prefixes,
    andMatches: Math.min(...groupMatches),
    orMatches: groupMatches.reduce((a, b) => a + b, 0),
  };
}

/** Joins alternatives with OR; `quoted` says the items are already FTS5 expressions. */
function alt(items: readonly string[], quoted = false): string {
  const parts = quoted ? items : items.map(quote);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** The prefix as a German term would spell it (ae -> a and the like), which a stem may start with. */
function stemPrefix(folded: string): string {
  return folded.replace(/ae/g, 'a').replace(/oe/g, 'o').replace(/ue/g, 'u');
}

/**
 * Candidate splits of a compound, longest head first: "proxyeinstellungen" ->
 * ["proxy", "einstellungen"], and with a linking s: "sicherheitseinstellungen" ->
 * ["sicherheit", "einstellungen"].
 */
function compoundSplits(folded: string): [string, string][] {
  if (folded.length < COMPOUND_MIN_LENGTH || /\d/.test(folded)) return [];
  const out: [string, string][] = [];
  for (let i = 3; i <= folded.length - 4; i++) {
    const left = folded.slice(0, i);
    const right = folded.slice(i);
    out.push([left, right]);
    if (left.endsWith('s') && left.length > 4) out.push([left.slice(0, -1), right]);
  }
  // Prefer the most even split: a four-letter tail is more often a suffix than a word.
  return out.sort((a, b) => Math.min(b[0].length, b[1].length) - Math.min(a[0].length, a[1].length));
}
