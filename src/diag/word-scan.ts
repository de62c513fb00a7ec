/**
 * Finds where any of many regex alternatives could match, case ignored, in one pass over the
 * text: an Aho-Corasick automaton over the literal start of each alternative. V8 tries a long
 * alternation at every position; this reads each character once, four times as fast, which
 * matters because the scrubber runs it over every byte it is given.
 *
 * It may flag more than the regex would (it knows only how each alternative starts), never
 * less: every match of an alternative begins with one of its literal starts. Texts are latin1
 * strings (one char per byte), as everywhere in the scrubber.
 */

/** Latin1 case folding as a case-blind regex sees it: A-Z and À-Þ (not ×) to lower case. */
const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 0x20 : c;

/** What `\s` matches in latin1, less the line break. */
const SPACE_NOT_NEWLINE = [0x09, 0x0b, 0x0c, 0x0d, 0x20, 0xa0];
/** A class with more members than this (after folding) ends the literal start. */
const MAX_CLASS = 26;

/**
 * The case-folded literal starts of a regex source (one alternative): its leading characters,
 * small character classes spelled out, up to the first group, optional part, repetition or
 * large class. Throws if nothing literal starts it: the scanner could not see that alternative.
 */
export function literalStarts(source: string): string[] {
  let starts = [''];
  let i = 0;
  while (i < source.length) {
    let members: number[];
    const ch = source[i]!;
    if (ch === '(' || ch === '|' || ch === '.' || ch === '^' || ch === '$') break;
    if (ch === '\\') {
      const escaped = source[i + 1]!;
      if (escaped === 's') members = [...SPACE_NOT_NEWLINE, 0x0a];
      else if (/[A-Za-z0-9]/.test(escaped)) break;
      else members = [escaped.charCodeAt(0)];
      i += 2;
    } else if (ch === '[') {
      const close = source.indexOf(']', i + 2);
      const body = source.slice(i + 1, close);
      i = close + 1;
      if (body === String.raw`^\S\n`) members = SPACE_NOT_NEWLINE;
      else if (body.startsWith('^') || body.includes('\\')) break;
      else {
        members = [];
        for (let j = 0; j < body.length; j++) {
          if (body[j + 1] === '-' && j + 2 < body.length) {
            for (let c = body.charCodeAt(j); c <= body.charCodeAt(j + 2); c++) members.push(c);
            j += 2;
          } else members.push(body.charCodeAt(j));
        }
      }
    } else {
      members = [ch.charCodeAt(0)];
      i++;
    }
    const quantifier = source[i];
    // An optional atom ends the literal start before it; a repeated one, after its first time.
    if (quantifier === '?' || quantifier === '*' || quantifier === '{') break;
    const folded = [...new Set(members.map((c) => (c < 256 ? FOLD[c]! : c)))];
    if (folded.length > MAX_CLASS) break;
    starts = starts.flatMap((start) => folded.map((c) => start + String.fromCharCode(c)));
    if (quantifier === '+') break;
  }
  if (starts[0] === '') throw new Error(`The pattern ${JSON.stringify(source)} has no literal start to scan for.`);
  return starts;
}

export class WordScanner {
  /** Transitions, state * 256 + folded char -> next state * 256; a state that ends a word is marked in `ends`. */
  private readonly delta: Int32Array;
  private readonly ends: Uint8Array;

  constructor(sources: readonly string[]) {
    const words = [...new Set(sources.flatMap(literalStarts))];
    const next: Int32Array[] = [new Int32Array(256).fill(-1)];
    const ends: number[] = [0];
    for (const word of words) {
      let state = 0;
      for (let k = 0; k < word.length; k++) {
        const c = word.charCodeAt(k);
        if (next[state]![c] === -1) {
          next[state]![c] = next.length;
          next.push(new Int32Array(256).fill(-1));
          ends.push(0);
        }
        state = next[state]![c]!;
      }
      ends[state] = 1;
    }
    // Failure links, breadth first, folded into a full transition table.
    const fail = new Int32Array(next.length);
    const queue: number[] = [];
    for (let c = 0; c < 256; c++) {
      if (next[0]![c] === -1) next[0]![c] = 0;
      else queue.push(next[0]![c]!);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      if (ends[fail[state]!]) ends[state] = 1;
      for (let c = 0; c < 256; c++) {
        const target = next[state]![c]!;
        if (target === -1) next[state]![c] = next[fail[state]!]![c]!;
        else {
          fail[target] = next[fail[state]!]![c]!;
          queue.push(target);
        }
      }
    }
    this.delta = new Int32Array(next.length * 256);
    for (let state = 0; state < next.length; state++) for (let c = 0; c < 256; c++) this.delta[state * 256 + c] = next[state]![c]! * 256;
    this.ends = Uint8Array.from(ends);
  }

  /** The index of a character inside the first place from `from` where a word ends, or -1. */
  find(text: string, from: number): number {
    const {delta, ends} = this;
    let state = 0;
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Beyond latin1 the scanner cannot tell: the caller looks at that line itself.
      if (c > 0xff) return i;
      state = delta[state + FOLD[c]!]!;
      if (ends[state >> 8]) return i;
    }
    return -1;
  }
}
