import type {KbLocale} from '../../../domain/article.js';
import {oneEditVariants, stem, STOP_WORDS, tokenize} from './text.js';

/**
 * Turns what a user typed into the terms to rank by (rank.ts) and the phrases to look up in
 * FTS5. User text never reaches FTS5 as syntax: every term we emit is [a-z0-9]+ inside double
 * quotes, so `"`, `*`, NEAR, AND, `-` and `:` in the input are only ever words or separators.
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

/**
 * How much a match through each kind of expansion counts against a match of the word itself:
 * a guess at what the user meant is worth less than what they typed.
 */
export const EXPANSION_WEIGHTS = {prefix: 0.8, typo: 0.7, compound: 0.8, joined: 0.6} as const;

/** One way a query word can match: all of `terms` in one article (two for a compound's parts). */
export interface Alternative {
  terms: string[];
  weight: number;
}

/** One word of the query: an article matches it through its best alternative. */
export interface WordGroup {
  word: string;
  alternatives: Alternative[];
}

export interface SearchPlan {
  /** The query's words that the index knows, each with the terms it may match. */
  groups: WordGroup[];
  /** FTS5 MATCH expressions of the quoted phrases: their exact matches rank higher. */
  phrases: string[];
  /** Exact terms that a snippet should mark. */
  terms: Set<string>;
  /** Prefixes that a snippet should mark (a term starting with one is a match). */
  prefixes: string[];
}

const quote = (term: string) => `"${term}"`;

function stems(folded: string, locales: readonly KbLocale[]): string[] {
  return [...new Set(locales.map((l) => stem(folded, l)))];
}

/**
 * Expands each word of the query into the index terms it may match: its stems in each
 * language searched, for a word the index does not know its one-typo corrections, for the last
 * word while it is being typed its completions, for a German compound its parts, and for two
 * words in a row the compound they make. Quoted phrases contribute their words like any other
 * (a phrase ranks its exact matches higher, never hides the rest) and an FTS5 phrase.
 */
export function planSearch(parsed: ParsedQuery, locales: readonly KbLocale[], lookup: VocabularyLookup): SearchPlan {
  const terms = new Set<string>();
  const prefixes: string[] = [];
  const phrases: string[] = [];

  const words: {folded: string; prefix: boolean}[] = [];
  for (const item of parsed.items) {
    if (item.kind === 'word') {
      words.push({folded: item.folded, prefix: item.last && parsed.prefixLast});
      continue;
    }
    const variants = new Set(locales.map((l) => item.words.map((w) => stem(w, l)).join(' ')));
    phrases.push(alt([...variants].map(quote)));
    for (const w of item.words) if (!STOP_WORDS.has(w)) words.push({folded: w, prefix: false});
  }

  // One lookup for every exact stem, compound part and joined pair we may need.
  const candidates = new Set<string>();
  for (const word of words) {
    for (const s of stems(word.folded, locales)) candidates.add(s);
    for (const [left, right] of compoundSplits(word.folded)) {
      for (const s of stems(left, locales)) candidates.add(s);
      for (const s of stems(right, locales)) candidates.add(s);
    }
  }
  for (let i = 0; i + 1 < words.length; i++) for (const s of stems(words[i]!.folded + words[i + 1]!.folded, locales)) candidates.add(s);
  const known = lookup.frequencies([...candidates]);
  const has = (term: string) => (known.get(term) ?? 0) > 0;

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
    }
  }

  const groups: WordGroup[] = [];
  for (const [i, {folded, prefix}] of words.entries()) {
    const alternatives = new Map<string, Alternative>();
    const offer = (list: string[], weight: number) => {
      const key = list.join(' ');
      const existing = alternatives.get(key);
      if (!existing || existing.weight < weight) alternatives.set(key, {terms: list, weight});
      for (const t of list) terms.add(t);
    };
    for (const s of stems(folded, locales)) if (has(s)) offer([s], 1);
    for (const s of fuzzy.get(folded) ?? []) offer([s], EXPANSION_WEIGHTS.typo);
    if (prefix) {
      // Terms are stems, and a stem may be shorter than the word ("proxy" -> "proxi"), so the
      // prefix is the folded word itself, and German's folded pairs too.
      for (const p of new Set([folded, stemPrefix(folded)])) {
        if (p.length < PREFIX_MIN_LENGTH) continue;
        for (const term of lookup.completions(p, MAX_COMPLETIONS).keys()) offer([term], EXPANSION_WEIGHTS.prefix);
        prefixes.push(p);
      }
    }
    // German compounds: "Proxyeinstellungen" also matches "Proxy-Einstellungen".
    const split = compoundSplits(folded).find(([l, r]) => stems(l, locales).some(has) && stems(r, locales).some(has));
    if (split) {
      const l = stems(split[0], locales).find(has)!;
      const r = stems(split[1], locales).find(has)!;
      if (l !== r) offer([l, r], EXPANSION_WEIGHTS.compound);
    }
    // "Proxy Einstellungen" also matches "Proxyeinstellungen", through either word.
    for (const j of [words[i - 1], words[i + 1]]) {
      if (!j) continue;
      const joined = j === words[i - 1] ? j.folded + folded : folded + j.folded;
      for (const s of stems(joined, locales)) if (has(s)) offer([s], EXPANSION_WEIGHTS.joined);
    }
    if (alternatives.size > 0) groups.push({word: folded, alternatives: [...alternatives.values()]});
  }
  return {groups, phrases, terms, prefixes};
}

/** Joins FTS5 expressions with OR. */
function alt(items: readonly string[]): string {
  return items.length === 1 ? items[0]! : `(${items.join(' OR ')})`;
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
