import {stemmer as stemEnglish} from '@orama/stemmers/english';
import {stemmer as stemGerman} from '@orama/stemmers/german';

import type {KbLocale} from '../../../domain/article.js';

/**
 * Text analysis shared by indexing and querying. SQLite cannot run a JavaScript tokenizer
 * inside FTS5, so we analyse here and hand FTS5 a stream of terms made of [a-z0-9] only,
 * one term per source word, so that positions (and with them phrases) survive.
 */

export interface Token {
  /** The word as written. */
  text: string;
  /** Lowercase, without diacritics, ß as ss. */
  folded: string;
  start: number;
  end: number;
}

/** Longer "words" are hashes, base64 or minified code: never worth a term. */
export const MAX_WORD_LENGTH = 48;

const WORD = /[\p{L}\p{N}]+/gu;
/**
 * The same pattern, for one character: V8 compiles a pattern once per source and flags, and
 * compiling Unicode classes costs a cold process about a millisecond each.
 */
const WORD_CHAR = /[\p{L}\p{N}]+/gu;

/** Whether a character (one code point) belongs to a word as tokenize() reads words. */
export function isWordText(char: string): boolean {
  WORD_CHAR.lastIndex = 0;
  return WORD_CHAR.test(char);
}

/** Lowercase, diacritics removed, ß -> ss, so "Übertragung" and "Ubertragung" meet. */
export function fold(word: string): string {
  const lower = word.toLowerCase();
  // ASCII words, by far the most common, skip the Unicode normalisation.
  if (/^[a-z0-9]*$/.test(lower)) return lower;
  return lower
    .replace(/ß/g, 'ss')
    .replace(/æ/g, 'ae')
    .replace(/œ/g, 'oe')
    .replace(/ø/g, 'o')
    .replace(/ł/g, 'l')
    .replace(/đ/g, 'd')
    .replace(/ı/g, 'i')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9]+/g, '');
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    const folded = fold(match[0]);
    if (!folded) continue;
    tokens.push({text: match[0], folded: folded.slice(0, MAX_WORD_LENGTH), start: match.index, end: match.index + match[0].length});
  }
  return tokens;
}

/**
 * German derivations that Snowball leaves apart: konfigurieren / Konfiguration / konfiguriert
 * all become "konfigur", installieren / Installation "install". Only when a stem of four or
 * more letters is left, so "Station" stays itself.
 */
const GERMAN_DERIVATION = /(?:ierungen|ierung|ierend|ierten|iertes|ierter|ierte|iert|ieren|iere|ierst|ationen|ation)$/;

/**
 * German is also written without umlauts as ae, oe, ue ("Uebertragung"). German terms fold
 * those pairs too, in the index and in the query alike, so all three spellings meet; the odd
 * word that has such a pair natively ("aktuell") folds the same way on both sides.
 */
export const germanDigraphs = (word: string) => word.replace(/ae/g, 'a').replace(/oe/g, 'o').replace(/ue/g, 'u');

function stemGermanWord(folded: string): string {
  const word = germanDigraphs(folded);
  const root = word.replace(GERMAN_DERIVATION, '');
  if (root !== word && root.length >= 4) return root;
  return stemGerman(word);
}

const cache = new Map<string, string>();

/** The index term of a folded word in a language. Digits and short words stay as they are. */
export function stem(folded: string, locale: KbLocale): string {
  if (folded.length < 3 || /\d/.test(folded)) return folded;
  const key = locale + folded;
  let term = cache.get(key);
  if (term === undefined) {
    term = locale === 'de' ? stemGermanWord(folded) : stemEnglish(folded);
    // Stemmers may return non-ASCII (Snowball keeps umlauts it did not see); terms must be [a-z0-9].
    term = fold(term) || folded;
    if (cache.size > 50_000) cache.clear();
    cache.set(key, term);
  }
  return term;
}

/**
 * Words that carry no meaning on their own in a support question. They stay in the index
 * (phrases such as "log in" need them) but are dropped from queries outside quotes.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    // English
    'a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its ' +
    'me my no not of on or our should so than that the their them then there these they this those to too was we ' +
    'were what when where which while who why will with would you your yours am any all also just about after before ' +
    'get got want need please help hi hello thanks ' +
    // German (folded)
    'der die das den dem des ein eine einer eines einem einen und oder aber auch als am an auf aus bei bin bis bist da ' +
    'dass du er es fur hat habe haben hatte ich ihr im in ist ja kann konnen man mein meine mich mir mit nach nicht noch ' +
    'nur ob sich sie sind so um uns unser von vom vor war was wie wir wird werden wo zu zum zur uber dies diese dieser ' +
    'dieses bitte hallo danke mochte will soll'
  ).split(' '),
);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** Every string one edit (delete, transpose, replace, insert) away from `word`. */
export function oneEditVariants(word: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i <= word.length; i++) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    if (tail) out.add(head + tail.slice(1));
    if (tail.length > 1) out.add(head + tail[1] + tail[0] + tail.slice(2));
    for (const c of ALPHABET) {
      if (tail) out.add(head + c + tail.slice(1));
      out.add(head + c + tail);
    }
  }
  out.delete(word);
  return out;
}
