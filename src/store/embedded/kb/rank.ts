import type {KbLocale} from '../../../domain/article.js';
import type {LocalStore} from '../store.js';
import {NORM_SHIFT, POSTING_SHIFT, TITLE_KEY, type IndexStats} from './postings.js';
import type {WordGroup} from './query.js';

/**
 * Scores articles for a planned query: BM25+ (Lv and Zhai, 2011: bm25 whose term-frequency
 * part never drops below delta for a match, so long articles are not punished for length) per
 * field, the fields weighted, summed over the query's words, each word through its best
 * alternative (stem, typo correction, completion, compound parts). Words are OR'ed: an article
 * missing one still ranks, and the share of the words it holds multiplies its score (the
 * coverage boost), so that no "all words first" tier puts a weak full match above a strong
 * partial one. The user's language is preferred by a factor, not a filter.
 *
 * Top-k is exact, without a shortcut: block at a time (the 1,024 articles of one row of
 * kb_postings, postings.ts), MaxScore (Turtle and Flood, 1995) over the query's posting lists.
 * Within a block, the lists that could lift an article above the k-th best score found so far
 * are scored whole, and the rest only looked up for the articles those found that can still
 * make the top; an article is left out only when an upper bound of its score is below a score
 * already reached. Accumulators are a block wide, so a query touches a few kilobytes of
 * memory whatever the size of the knowledge base: a command runs one query, in a fresh
 * process, where the pages of arrays as large as the article count cost more than scoring.
 */
export interface RankingParams {
  /** Weight of the title field against the body (chosen on bench/kb-relevance.js's dev queries). */
  titleWeight: number;
  tagsWeight: number;
  /** Exponent of the coverage boost: the score is multiplied by (matched words / words) ** coverage. */
  coverage: number;
  k1: number;
  b: number;
  /** BM25+'s lower bound of a match's term-frequency part. */
  delta: number;
  /** Multiplies the score of an article in another language than the preferred one. */
  otherLocale: number;
  /** Multiplies the score of an article holding a quoted phrase exactly (at least 1: pruning counts on it). */
  phrase: number;
  /** MaxScore pruning; the hits are the same without it, only slower (test/kb/search.test.ts checks). */
  prune: boolean;
}

/**
 * Title weight and coverage were chosen on the dev half of bench/kb-relevance.js's queries
 * (LibreOffice's help, English and German): MRR@10 is flat, within 0.005, for title weights
 * 1 to 2 with coverage 0.5 to 0.75, and falls off past that (x4: -0.01, x6: -0.03; no coverage
 * boost: -0.03 to -0.09); these sit in the middle of the plateau. k1, b and delta are the
 * usual values; the expansion weights (query.ts) and the language factor are judgement.
 */
export const DEFAULT_RANKING: RankingParams = {
  titleWeight: 2,
  tagsWeight: 2,
  coverage: 0.75,
  k1: 1.2,
  b: 0.75,
  delta: 0.5,
  otherLocale: 0.5,
  phrase: 1.5,
  prune: true,
};

export interface RankOptions {
  groups: readonly WordGroup[];
  /** Term -> number of articles that hold it, and the fields it occurs in (1 title, 2 body, 4 tags). */
  terms: ReadonlyMap<string, TermStats>;
  /** Every article's norms, from readNorms. */
  norms: NormRows;
  stats: IndexStats;
  /** Largest article id: the last block. */
  maxId: number;
  /** Only articles in this language. */
  only?: KbLocale | undefined;
  /** Articles in this language first. */
  prefer?: KbLocale | undefined;
  /** Ids of the articles that hold a quoted phrase exactly. */
  phraseMatches?: ReadonlySet<number> | undefined;
  /** Whether an article may be shown (tags); asked best first, until `limit` are found. */
  accept?: ((ids: number[]) => Set<number>) | undefined;
  limit: number;
  params: RankingParams;
  /** Adds the work done, for benchmarks. */
  counters?: RankCounters | undefined;
}

export interface TermStats {
  df: number;
  fields: number;
}

export interface Ranked {
  id: number;
  score: number;
}

/** The work a query did: rows read from kb_postings, postings scored in passes over a row, postings looked up alone, articles scored whole. */
export interface RankCounters {
  rows: number;
  postings: number;
  lookups: number;
  scored: number;
}

/** kb_norms' rows by their number (postings.ts): an article's norms are at (id & 4095) * 4 of row id >> 12. */
export type NormRows = readonly (Uint8Array | undefined)[];

const BLOCK = 1 << POSTING_SHIFT;
const NORM_MASK = (1 << NORM_SHIFT) - 1;

/**
 * One posting list of the query, as MaxScore orders them: by the most it can add to a score.
 * A word's alternative of one term has two (postings.ts: title or tags, and body only); a
 * compound's parts make one list of the articles holding all of them.
 */
interface List {
  word: number;
  bound: number;
  /** A single term's list: its rows by block, and the weight (times idf) of its scores. */
  rows: (Uint8Array | undefined)[] | undefined;
  w: number;
  /** A compound's parts: each part's two lists' rows by block, and its weight. */
  parts: {rows: (Uint8Array | undefined)[][]; w: number}[] | undefined;
}

/** What the loops over one block read and write: passed whole so that they live outside rank() and compile once. */
interface Block {
  /** The block's first article id, its norms row and where the block starts in it. */
  first: number;
  nrow: Uint8Array;
  nbase: number;
  /** Best score of each word (word * BLOCK + offset), their running sum, and how many words matched. */
  best: Float64Array;
  total: Float64Array;
  matched: Uint8Array;
  /** Offsets of the articles credited in this block, in order. */
  touched: Uint16Array;
  nTouched: number;
  /** Candidates still in the running, and a mark of them by offset. */
  cands: Uint16Array;
  nCands: number;
  alive: Uint8Array;
  onlyFlag: number;
  k1: number;
  base: number;
  bTitle: number;
  bBody: number;
  bTags: number;
  tw: number;
  gw: number;
  delta: number;
  counters: RankCounters;
  /** A compound's scores in the block (compoundScores): parts held so far and the running sum by offset, and the articles holding all of them, in the order found. */
  compParts: Uint8Array;
  compSum: Float64Array;
  compFound: Uint16Array;
  /** The articles holding a compound's first part: the marks to clear. */
  compFirst: Uint16Array;
  nFirst: number;
}

export function rank(db: LocalStore['db'], o: RankOptions): Ranked[] {
  const {params: p, stats} = o;
  if (o.groups.length === 0 || stats.docs <= 0) return [];
  const n = stats.docs;
  const G = o.groups.length;
  const k1 = p.k1;
  const tw = p.titleWeight;
  const gw = p.tagsWeight;
  const idfOf = (term: string) => idf(o.terms.get(term)?.df ?? 0, n);
  // A term's score is at most its idf times the ceiling of each field it occurs in; in the list
  // of articles holding it in the body only, the body's ceiling.
  const fieldsOf = (term: string) => o.terms.get(term)?.fields || 7;
  const ceiling = (f: number) => ((f & 1 ? tw : 0) + (f & 2 ? 1 : 0) + (f & 4 ? gw : 0)) * (k1 + 1 + p.delta);

  // Every row of every list, in one statement.
  const keys = new Set<string>();
  for (const g of o.groups) {
    for (const a of g.alternatives) for (const t of a.terms) keys.add(t).add(t + TITLE_KEY);
  }
  const byKey = new Map<string, (Uint8Array | undefined)[]>();
  for (const key of keys) byKey.set(key, []);
  const counters: RankCounters = o.counters ?? {rows: 0, postings: 0, lookups: 0, scored: 0};
  let lastBlock = -1;
  const read = db.prepare('SELECT term, blk, data FROM kb_postings WHERE term IN (SELECT value FROM json_each(?))');
  // Rows as arrays, not objects: a command's fresh process pays for each object it makes.
  read.setReturnArrays(true);
  for (const [term, blk, data] of read.all(JSON.stringify([...keys])) as unknown as [string, number, Uint8Array][]) {
    byKey.get(term)![blk] = data;
    if (blk > lastBlock) lastBlock = blk;
    counters.rows++;
  }

  const lists: List[] = o.groups
    .flatMap((g, word) =>
      g.alternatives.flatMap((a): List[] => {
        if (a.terms.length > 1) {
          const bound = a.terms.reduce((sum, t) => sum + a.weight * idfOf(t) * ceiling(fieldsOf(t)), 0) / a.terms.length;
          const parts = a.terms.map((t) => ({rows: [byKey.get(t)!, byKey.get(t + TITLE_KEY)!], w: a.weight * idfOf(t)}));
          return [{word, bound, rows: undefined, w: 0, parts}];
        }
        const term = a.terms[0]!;
        const f = fieldsOf(term);
        const w = a.weight * idfOf(term);
        const out: List[] = [];
        if (f & 5) out.push({word, bound: w * ceiling(f), rows: byKey.get(term + TITLE_KEY)!, w, parts: undefined});
        if (f & 2) out.push({word, bound: w * ceiling(2), rows: byKey.get(term)!, w, parts: undefined});
        return out;
      }),
    )
    .sort((x, y) => y.bound - x.bound);
  const L = lists.length;

  const coverage = new Float64Array(G + 1);
  for (let m = 1; m <= G; m++) coverage[m] = (m / G) ** p.coverage;
  const phrase = o.phraseMatches;
  const phraseMax = phrase ? Math.max(p.phrase, 1) : 1;
  const preferFlag = o.prefer === undefined ? -1 : o.prefer === 'de' ? 2 : 0;
  const localeMax = preferFlag >= 0 ? Math.max(p.otherLocale, 1) : 1;
  // What the lists from j on can add at most (each word through its best list among them), and how many words they hold.
  const restFrom = new Float64Array(L + 1);
  const wordsFrom = new Uint8Array(L + 1);
  {
    const wordMax = new Float64Array(G);
    for (let j = L - 1; j >= 0; j--) {
      const list = lists[j]!;
      const before = wordMax[list.word]!;
      if (list.bound > before) wordMax[list.word] = list.bound;
      restFrom[j] = restFrom[j + 1]! + (wordMax[list.word]! - before);
      wordsFrom[j] = wordsFrom[j + 1]! + (before === 0 ? 1 : 0);
    }
  }

  const b: Block = {
    first: 0,
    nrow: new Uint8Array(0),
    nbase: 0,
    best: new Float64Array(G * BLOCK),
    total: new Float64Array(BLOCK),
    matched: new Uint8Array(BLOCK),
    touched: new Uint16Array(BLOCK),
    nTouched: 0,
    cands: new Uint16Array(BLOCK),
    nCands: 0,
    alive: new Uint8Array(BLOCK),
    onlyFlag: o.only === undefined ? -1 : o.only === 'de' ? 2 : 0,
    k1,
    base: k1 * (1 - p.b),
    bTitle: (k1 * p.b) / Math.max(stats.title / n, 1),
    bBody: (k1 * p.b) / Math.max(stats.body / n, 1),
    bTags: (k1 * p.b) / Math.max(stats.tags / n, 1),
    tw,
    gw,
    delta: p.delta,
    counters,
    compParts: new Uint8Array(BLOCK),
    compSum: new Float64Array(BLOCK),
    compFound: new Uint16Array(BLOCK),
    compFirst: new Uint16Array(BLOCK),
    nFirst: 0,
  };

  // The best `limit` so far, best first (ties: the older article first); or, to filter by
  // tags, every article scored.
  const pruning = p.prune && !o.accept;
  const k = o.limit;
  const topIds = new Int32Array(k);
  const topScores = new Float64Array(k);
  let size = 0;
  const allIds: number[] = [];
  const allScores: number[] = [];
  /** The k-th best score so far: an article whose upper bound is below it cannot make the top. */
  let theta = 0;
  // Lists before `essential` are scored whole in a block; the rest only looked up for their candidates.
  let essential = L;
  const split = () => {
    let j = 0;
    while (j < L && restFrom[j]! * coverage[wordsFrom[j]!]! * phraseMax * localeMax >= theta) j++;
    return j;
  };

  for (let blk = 0; blk <= lastBlock; blk++) {
    const first = blk << POSTING_SHIFT;
    const nrow = o.norms[first >> NORM_SHIFT];
    if (!nrow) continue;
    b.first = first;
    b.nrow = nrow;
    b.nbase = (first & NORM_MASK) << 2;
    b.nTouched = 0;
    for (let j = 0; j < essential; j++) {
      const list = lists[j]!;
      if (list.rows) {
        const data = list.rows[blk];
        if (data) scoreRow(b, data, list.w, list.word * BLOCK, false);
      } else {
        const found = compoundScores(b, list.parts!, blk);
        const whole = list.parts!.length;
        for (let x = 0; x < found; x++) {
          const offset = b.compFound[x]!;
          credit(b, list.word * BLOCK, offset, b.compSum[offset]! / whole);
        }
        clearCompound(b);
      }
    }
    if (b.nTouched === 0) continue;

    // The candidates that can still make the top, looked up in the other lists.
    const {touched, total, matched, cands, alive} = b;
    let nCands = 0;
    for (let x = 0; x < b.nTouched; x++) {
      const offset = touched[x]!;
      if (essential < L && upperBound(b, offset, restFrom[essential]!, wordsFrom[essential]!, G, coverage, phraseMax, preferFlag, p.otherLocale) < theta) continue;
      cands[nCands++] = offset;
    }
    for (let j = essential; j < L && nCands > 0; j++) {
      const list = lists[j]!;
      if (list.rows) {
        const data = list.rows[blk];
        if (data) {
          b.nCands = nCands;
          if (nCands * 12 > data.length >> 2) {
            for (let x = 0; x < nCands; x++) alive[cands[x]!] = 1;
            scoreRow(b, data, list.w, list.word * BLOCK, true);
            for (let x = 0; x < nCands; x++) alive[cands[x]!] = 0;
          } else lookUp(b, data, list.w, list.word * BLOCK);
        }
      } else {
        compoundScores(b, list.parts!, blk);
        const whole = list.parts!.length;
        for (let x = 0; x < nCands; x++) {
          const offset = cands[x]!;
          if (b.compParts[offset] === whole) credit(b, list.word * BLOCK, offset, b.compSum[offset]! / whole);
        }
        clearCompound(b);
      }
      if (j + 1 === L) break;
      let kept = 0;
      for (let x = 0; x < nCands; x++) {
        const offset = cands[x]!;
        if (upperBound(b, offset, restFrom[j + 1]!, wordsFrom[j + 1]!, G, coverage, phraseMax, preferFlag, p.otherLocale) >= theta) cands[kept++] = offset;
      }
      nCands = kept;
    }

    // Final scores: the words' best summed in word order (the same however the lists were read), coverage, language, phrase.
    const {best} = b;
    for (let x = 0; x < nCands; x++) {
      const offset = cands[x]!;
      let sum = 0;
      for (let g = 0; g < G; g++) sum += best[g * BLOCK + offset]!;
      let s = sum * coverage[matched[offset]!]!;
      const id = first + offset;
      if (preferFlag >= 0 && (nrow[b.nbase + (offset << 2) + 3]! & 2) !== preferFlag) s *= p.otherLocale;
      if (phrase !== undefined && phrase.has(id)) s *= p.phrase;
      counters.scored++;
      if (o.accept) {
        allIds.push(id);
        allScores.push(s);
        continue;
      }
      // Into the top when better than the worst there; ids only grow, so a tie stays out.
      if (size === k) {
        if (s <= topScores[k - 1]!) continue;
      } else size++;
      let i = size - 1;
      while (i > 0 && topScores[i - 1]! < s) {
        topScores[i] = topScores[i - 1]!;
        topIds[i] = topIds[i - 1]!;
        i--;
      }
      topScores[i] = s;
      topIds[i] = id;
      if (pruning && size === k && topScores[k - 1]! > theta) {
        theta = topScores[k - 1]!;
        essential = split();
      }
    }

    for (let x = 0; x < b.nTouched; x++) {
      const offset = touched[x]!;
      total[offset] = 0;
      matched[offset] = 0;
      for (let g = 0; g < G; g++) b.best[g * BLOCK + offset] = 0;
    }
  }

  if (o.accept) return top(allIds, allScores, o.limit, o.accept);
  const out: Ranked[] = [];
  for (let i = 0; i < size; i++) out.push({id: topIds[i]!, score: topScores[i]!});
  return out;
}

/** Keeps an article's best score for a word, and the running total and count of words matched. */
function credit(b: Block, at: number, offset: number, s: number): void {
  const old = b.best[at + offset]!;
  if (s <= old) return;
  b.best[at + offset] = s;
  b.total[offset]! += s - old;
  if (old === 0) {
    if (b.matched[offset] === 0) b.touched[b.nTouched++] = offset;
    b.matched[offset]!++;
  }
}

/** An upper bound of an article's final score when lists worth `rest`, holding `words` words, are still to be read. */
function upperBound(b: Block, offset: number, rest: number, words: number, G: number, coverage: Float64Array, phraseMax: number, preferFlag: number, otherLocale: number): number {
  let upper = (b.total[offset]! + rest) * coverage[Math.min(G, b.matched[offset]! + words)]! * phraseMax;
  if (preferFlag >= 0 && (b.nrow[b.nbase + (offset << 2) + 3]! & 2) !== preferFlag) upper *= otherLocale;
  return upper;
}

/**
 * Scores one row of a list and credits each article to the word at `at` (rank()'s inner loop,
 * written out: no calls per posting). With `onlyAlive`, only the candidates marked alive.
 */
function scoreRow(b: Block, data: Uint8Array, w: number, at: number, onlyAlive: boolean): void {
  const {nrow, nbase, best, total, matched, touched, alive, onlyFlag, k1, base, bTitle, bBody, bTags, tw, gw, delta} = b;
  const k11 = k1 + 1;
  let nTouched = b.nTouched;
  for (let i = 0; i < data.length; i += 4) {
    const offset = data[i]! | (data[i + 1]! << 8);
    if (onlyAlive && alive[offset] === 0) continue;
    const n = nbase + (offset << 2);
    const flags = nrow[n + 3]!;
    if ((flags & 1) === 0 || (onlyFlag >= 0 && (flags & 2) !== onlyFlag)) continue;
    const packed = data[i + 3]!;
    const body = data[i + 2]!;
    const title = packed >> 4;
    const tags = packed & 15;
    let s = 0;
    if (title > 0) s += tw * ((title * k11) / (title + base + bTitle * nrow[n]!) + delta);
    if (body > 0) s += (body * k11) / (body + base + bBody * (nrow[n + 1]! | (nrow[n + 2]! << 8))) + delta;
    if (tags > 0) s += gw * ((tags * k11) / (tags + base + bTags * (flags >> 2)) + delta);
    s *= w;
    const old = best[at + offset]!;
    if (s <= old) continue;
    best[at + offset] = s;
    total[offset]! += s - old;
    if (old === 0) {
      if (matched[offset] === 0) touched[nTouched++] = offset;
      matched[offset]!++;
    }
  }
  b.nTouched = nTouched;
  b.counters.postings += data.length >> 2;
}

/** Looks up each candidate in a row (binary search: postings are in id order) and credits those found. */
function lookUp(b: Block, data: Uint8Array, w: number, at: number): void {
  const {cands, nCands} = b;
  for (let x = 0; x < nCands; x++) {
    const offset = cands[x]!;
    let lo = 0;
    let hi = (data.length >> 2) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const i = mid << 2;
      const v = data[i]! | (data[i + 1]! << 8);
      if (v < offset) lo = mid + 1;
      else if (v > offset) hi = mid - 1;
      else {
        const s = postingScore(b, offset, data[i + 3]!, data[i + 2]!);
        if (s >= 0) credit(b, at, offset, s * w);
        break;
      }
    }
  }
  b.counters.lookups += nCands;
}

/** One posting's score before its weight; -1 for an article that is not to be found (deleted, or another language than asked). */
function postingScore(b: Block, offset: number, packed: number, body: number): number {
  const {nrow, k1, base, tw, gw, delta} = b;
  const n = b.nbase + (offset << 2);
  const flags = nrow[n + 3]!;
  if ((flags & 1) === 0 || (b.onlyFlag >= 0 && (flags & 2) !== b.onlyFlag)) return -1;
  const title = packed >> 4;
  const tags = packed & 15;
  const k11 = k1 + 1;
  let s = 0;
  if (title > 0) s += tw * ((title * k11) / (title + base + b.bTitle * nrow[n]!) + delta);
  if (body > 0) s += (body * k11) / (body + base + b.bBody * (nrow[n + 1]! | (nrow[n + 2]! << 8))) + delta;
  if (tags > 0) s += gw * ((tags * k11) / (tags + base + b.bTags * (flags >> 2)) + delta);
  return s;
}

/**
 * A compound's score in a block for each article holding all its parts: the parts' scores
 * averaged (compSum / parts). Fills compFound with those articles, in the order found (the
 * last part's lists, each in id order), and returns how many; clearCompound() must follow.
 * Typed arrays a block wide rather than maps: a command runs one query, in a fresh process,
 * where a map costs far more per posting than an array.
 */
function compoundScores(b: Block, parts: {rows: (Uint8Array | undefined)[][]; w: number}[], blk: number): number {
  const {compParts, compSum, compFound, compFirst} = b;
  const last = parts.length - 1;
  let nFirst = 0;
  let found = 0;
  for (let pi = 0; pi <= last; pi++) {
    const part = parts[pi]!;
    for (const rows of part.rows) {
      const data = rows[blk];
      if (!data) continue;
      for (let i = 0; i < data.length; i += 4) {
        const offset = data[i]! | (data[i + 1]! << 8);
        // Only the articles holding every part before this one (an article is in one of a term's two lists).
        if (compParts[offset] !== pi) continue;
        const s = postingScore(b, offset, data[i + 3]!, data[i + 2]!);
        if (s < 0) continue;
        compSum[offset] = (pi === 0 ? 0 : compSum[offset]!) + s * part.w;
        compParts[offset] = pi + 1;
        if (pi === 0) compFirst[nFirst++] = offset;
        if (pi === last) compFound[found++] = offset;
      }
      b.counters.postings += data.length >> 2;
    }
  }
  b.nFirst = nFirst;
  return found;
}

/** Clears the marks compoundScores() left. */
function clearCompound(b: Block): void {
  for (let x = 0; x < b.nFirst; x++) b.compParts[b.compFirst[x]!] = 0;
  b.nFirst = 0;
}

/** kb_norms' rows up to the one holding `maxId` (postings.ts). */
export function readNorms(db: LocalStore['db'], maxId: number): NormRows {
  const rows: (Uint8Array | undefined)[] = [];
  for (const row of db.prepare('SELECT blk, data FROM kb_norms WHERE blk <= ?').iterate(maxId >> NORM_SHIFT) as Iterable<{blk: number; data: Uint8Array}>) rows[row.blk] = row.data;
  return rows;
}

/** idf as Lucene's bm25 has it: never negative, however common the term. */
function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The best `limit` of the articles scored, best first, that `accept` lets through: asked in batches, best candidates first. */
function top(ids: number[], scores: number[], limit: number, accept: (ids: number[]) => Set<number>): Ranked[] {
  const out: Ranked[] = [];
  let want = Math.max(limit * 4, 64);
  let rest = ids.map((_, i) => i);
  while (out.length < limit && rest.length > 0) {
    const batch = selectTop(rest, scores, ids, want);
    const ok = accept(batch.map((i) => ids[i]!));
    for (const i of batch) if (ok.has(ids[i]!) && out.length < limit) out.push({id: ids[i]!, score: scores[i]!});
    const taken = new Set(batch);
    rest = rest.filter((i) => !taken.has(i));
    want *= 4;
  }
  return out;
}

/** The `k` best of `items` (indexes into `scores` and `ids`), best first (ties: the older article first). */
function selectTop(items: readonly number[], scores: readonly number[], ids: readonly number[], k: number): number[] {
  const heap: number[] = [];
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && ids[a]! < ids[b]!);
  for (const item of items) {
    if (heap.length === k && !better(item, heap[k - 1]!)) continue;
    if (heap.length < k) heap.push(item);
    let i = heap.length - 1;
    while (i > 0 && better(item, heap[i - 1]!)) {
      heap[i] = heap[i - 1]!;
      i--;
    }
    heap[i] = item;
  }
  return heap;
}
