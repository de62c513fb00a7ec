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
 * Every article holding any term is scored: the postings of a query's terms are read whole and
 * accumulated in typed arrays (term at a time), so nothing is dropped by a shortcut; at 100,000
 * articles that costs a few milliseconds (bench/kb.js and bench/kb-relevance.js).
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
  norms: Uint8Array;
  stats: IndexStats;
  /** Largest article id, to size the accumulators. */
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
}

export interface TermStats {
  df: number;
  fields: number;
}

export interface Ranked {
  id: number;
  score: number;
}

/**
 * Accumulators, kept between queries (a server answers many): allocating and zeroing arrays
 * of 100,000 entries per query costs more than scoring. Each query leaves them zeroed.
 */
const scratch = {size: 0, total: new Float64Array(0), final: new Float64Array(0), matched: new Uint8Array(0), alive: new Uint8Array(0), words: [] as Float64Array[]};

function ensureScratch(size: number, words: number): void {
  if (scratch.size < size) {
    const room = Math.ceil(size * 1.25) + 1024;
    scratch.size = room;
    scratch.total = new Float64Array(room);
    scratch.final = new Float64Array(room);
    scratch.matched = new Uint8Array(room);
    scratch.alive = new Uint8Array(room);
    scratch.words = [];
  }
  while (scratch.words.length < words) scratch.words.push(new Float64Array(scratch.size));
}

/** One alternative of one word (one of its term's two lists), as MaxScore orders them: by the most it can add to a score. */
interface List {
  word: number;
  terms: string[];
  /** The posting list of a single term: the term, or the term with TITLE_KEY (postings.ts). */
  key: string;
  weight: number;
  bound: number;
}

export function rank(db: LocalStore['db'], o: RankOptions): Ranked[] {
  const {params: p, stats} = o;
  if (o.groups.length === 0 || stats.docs <= 0) return [];
  const n = stats.docs;
  const size = o.maxId + 1;
  const G = o.groups.length;
  const norms = o.norms;
  ensureScratch(size, G);
  const {total, matched, alive} = scratch;
  const wordBest = scratch.words;
  const onlyFlag = o.only === undefined ? -1 : o.only === 'de' ? 2 : 0;
  const preferFlag = o.prefer === undefined ? -1 : o.prefer === 'de' ? 2 : 0;
  const selectRows = db.prepare('SELECT blk, data FROM kb_postings WHERE term = ?');
  const k1 = p.k1;
  const bTitle = (p.k1 * p.b) / Math.max(stats.title / n, 1);
  const bBody = (p.k1 * p.b) / Math.max(stats.body / n, 1);
  const bTags = (p.k1 * p.b) / Math.max(stats.tags / n, 1);
  const base = p.k1 * (1 - p.b);
  const tw = p.titleWeight;
  const gw = p.tagsWeight;
  const delta = p.delta;
  const weightOf = (term: string, weight: number) => weight * idf(o.terms.get(term)?.df ?? 0, n);
  // A term's score is at most its idf times the ceiling of each field it occurs in; in the list
  // of articles holding it in the body only, the body's ceiling.
  const fieldsOf = (term: string) => o.terms.get(term)?.fields || 7;
  const ceiling = (f: number) => ((f & 1 ? tw : 0) + (f & 2 ? 1 : 0) + (f & 4 ? gw : 0)) * (k1 + 1 + delta);
  const lists: List[] = o.groups
    .flatMap((g, word) =>
      g.alternatives.flatMap((a): List[] => {
        if (a.terms.length > 1) {
          const bound = a.terms.reduce((sum, t) => sum + weightOf(t, a.weight) * ceiling(fieldsOf(t)), 0) / a.terms.length;
          return [{word, terms: a.terms, key: '', weight: a.weight, bound}];
        }
        const term = a.terms[0]!;
        const f = fieldsOf(term);
        const out: List[] = [];
        if (f & 5) out.push({word, terms: a.terms, key: term + TITLE_KEY, weight: a.weight, bound: weightOf(term, a.weight) * ceiling(f)});
        if (f & 2) out.push({word, terms: a.terms, key: term, weight: a.weight, bound: weightOf(term, a.weight) * ceiling(2)});
        return out;
      }),
    )
    .sort((x, y) => y.bound - x.bound);
  const coverage = new Float64Array(G + 1);
  for (let m = 1; m <= G; m++) coverage[m] = (m / G) ** p.coverage;
  const phraseMax = o.phraseMatches ? Math.max(p.phrase, 1) : 1;

  const touched: number[] = [];
  /** Once set, only these articles (by row) can still make the top: the rest is not read. */
  let survivorsByRow: Map<number, number[]> | undefined;

  const score = (id: number, packed: number, body: number, w: number) => {
    const at = id << 2;
    const title = packed >> 4;
    const tags = packed & 15;
    let s = 0;
    if (title > 0) s += tw * ((title * (k1 + 1)) / (title + base + bTitle * norms[at]!) + delta);
    if (body > 0) s += (body * (k1 + 1)) / (body + base + bBody * (norms[at + 1]! | (norms[at + 2]! << 8))) + delta;
    if (tags > 0) s += gw * ((tags * (k1 + 1)) / (tags + base + bTags * (norms[at + 3]! >> 2)) + delta);
    return s * w;
  };
  const usable = (id: number) => {
    const flags = norms[(id << 2) + 3]!;
    return (flags & 1) !== 0 && (onlyFlag < 0 || (flags & 2) === onlyFlag);
  };
  /** An article's score for a word is its best alternative's; the total follows. */
  const credit = (word: number, id: number, s: number) => {
    const best = wordBest[word]!;
    const old = best[id]!;
    if (s <= old) return;
    best[id] = s;
    total[id]! += s - old;
    if (old === 0) {
      if (matched[id] === 0) touched.push(id);
      matched[id]!++;
    }
  };

  const consts: Consts = {norms, total, matched, touched, alive, onlyFlag, k1, base, bTitle, bBody, bTags, tw, gw, delta};

  /**
   * Hands each (usable and, while pruning, surviving) article holding `term` to `visit` with
   * its score; without `visit`, credits it to `word` in a loop of its own (rowPass), which a
   * fresh process compiles quickly: a command runs one query, cold.
   */
  const scan = (key: string, term: string, weight: number, visit?: (id: number, s: number) => void, word = 0) => {
    const w = weightOf(term, weight);
    for (const row of selectRows.iterate(key) as Iterable<{blk: number; data: Uint8Array}>) {
      const data = row.data;
      const first = row.blk << POSTING_SHIFT;
      if (survivorsByRow) {
        const wanted = survivorsByRow.get(row.blk);
        if (!wanted) continue;
        const count = data.length >> 2;
        if (wanted.length * 12 > count) {
          // Many survivors in the row: one pass, skipping the others.
          if (!visit) {
            rowPass(data, first, w, wordBest[word]!, consts, true);
            continue;
          }
          for (let at = 0; at < data.length; at += 4) {
            const id = first + (data[at]! | (data[at + 1]! << 8));
            if (alive[id]) visit(id, score(id, data[at + 3]!, data[at + 2]!, w));
          }
          continue;
        }
        // A few: binary search for each, a handful of reads instead of a thousand.
        for (const id of wanted) {
          const offset = id - first;
          let lo = 0;
          let hi = (data.length >> 2) - 1;
          while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            const at = mid << 2;
            const v = data[at]! | (data[at + 1]! << 8);
            if (v < offset) lo = mid + 1;
            else if (v > offset) hi = mid - 1;
            else {
              const s = score(id, data[at + 3]!, data[at + 2]!, w);
              if (visit) visit(id, s);
              else credit(word, id, s);
              break;
            }
          }
        }
        continue;
      }
      if (!visit) {
        rowPass(data, first, w, wordBest[word]!, consts, false);
        continue;
      }
      for (let at = 0; at < data.length; at += 4) {
        const id = first + (data[at]! | (data[at + 1]! << 8));
        if (usable(id)) visit(id, score(id, data[at + 3]!, data[at + 2]!, w));
      }
    }
  };

  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!;
    if (list.terms.length === 1) scan(list.key, list.terms[0]!, list.weight, undefined, list.word);
    else {
      // A compound's parts: an article must hold all of them.
      let partial: Map<number, number> | undefined;
      for (const term of list.terms) {
        const next = new Map<number, number>();
        const previous = partial;
        const add = (id: number, s: number) => {
          if (!previous) next.set(id, s);
          else if (previous.has(id)) next.set(id, previous.get(id)! + s);
        };
        scan(term, term, list.weight, add);
        scan(term + TITLE_KEY, term, list.weight, add);
        partial = next;
      }
      for (const [id, sum] of partial ?? []) credit(list.word, id, sum / list.terms.length);
    }
    if (i === lists.length - 1 || o.accept || !p.prune) continue;

    // MaxScore (Turtle and Flood, 1995), term at a time: the lists left can add at most the
    // best bound left of each word. Once an article found in none of the lists so far could
    // not reach the k-th best score already reached, the rest are only looked up for the
    // articles found; and of those, any that could not reach it either is dropped. Exact: an
    // article is dropped only when an upper bound of its score is below a score reached.
    const restOfWord = new Float64Array(G);
    for (let r = i + 1; r < lists.length; r++) restOfWord[lists[r]!.word] = Math.max(restOfWord[lists[r]!.word]!, lists[r]!.bound);
    let rest = 0;
    let wordsLeft = 0;
    for (let g = 0; g < G; g++) {
      rest += restOfWord[g]!;
      if (restOfWord[g]! > 0) wordsLeft++;
    }
    const candidates = survivorsByRow ? [...survivorsByRow.values()].flat() : touched;
    // Pruning costs a pass over the candidates: not worth it when the lists left are shorter.
    let restPostings = 0;
    for (let r = i + 1; r < lists.length; r++) for (const t of lists[r]!.terms) restPostings += o.terms.get(t)?.df ?? 0;
    if (restPostings < candidates.length) continue;
    const kth = kthLowerBound(candidates, consts, coverage, preferFlag, p.otherLocale, o.limit);
    if (kth <= 0 || (!survivorsByRow && rest * coverage[wordsLeft]! * phraseMax >= kth)) continue;
    const next = new Map<number, number[]>();
    for (let x = 0; x < candidates.length; x++) {
      const id = candidates[x]!;
      let upper = (total[id]! + rest) * coverage[Math.min(G, matched[id]! + wordsLeft)]! * phraseMax;
      if (preferFlag >= 0 && (norms[(id << 2) + 3]! & 2) !== preferFlag) upper *= p.otherLocale;
      if (upper < kth) continue;
      const blk = id >> POSTING_SHIFT;
      let ids = next.get(blk);
      if (!ids) next.set(blk, (ids = []));
      ids.push(id);
    }
    for (const ids of next.values()) ids.sort((a, b) => a - b);
    if (survivorsByRow) for (const id of candidates) alive[id] = 0;
    for (const ids of next.values()) for (const id of ids) alive[id] = 1;
    survivorsByRow = next;
  }

  // Final scores: coverage, language, phrase; over the survivors once pruning began.
  const finalists = survivorsByRow ? [...survivorsByRow.values()].flat() : touched;
  const final = scratch.final;
  const phrase = o.phraseMatches;
  for (let x = 0; x < finalists.length; x++) {
    const id = finalists[x]!;
    let s = total[id]! * coverage[matched[id]!]!;
    if (preferFlag >= 0 && (norms[(id << 2) + 3]! & 2) !== preferFlag) s *= p.otherLocale;
    if (phrase !== undefined && phrase.has(id)) s *= p.phrase;
    final[id] = s;
  }
  try {
    return top(finalists, final, o.limit, o.accept);
  } finally {
    for (const id of touched) {
      total[id] = 0;
      final[id] = 0;
      matched[id] = 0;
      alive[id] = 0;
      for (let g = 0; g < G; g++) wordBest[g]![id] = 0;
    }
  }
}

/** What the hot loops read, passed whole so that they can live outside rank() and compile once. */
interface Consts {
  norms: Uint8Array;
  total: Float64Array;
  matched: Uint8Array;
  touched: number[];
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
}

/**
 * Scores one row of a term's postings and keeps each article's best score for the word in
 * `best`, updating its total: rank()'s inner loop, written out (no calls per posting).
 * With `onlyAlive`, articles not marked alive are skipped.
 */
function rowPass(data: Uint8Array, first: number, w: number, best: Float64Array, c: Consts, onlyAlive: boolean): void {
  const {norms, total, matched, touched, alive, onlyFlag, k1, base, bTitle, bBody, bTags, tw, gw, delta} = c;
  const k11 = k1 + 1;
  for (let at = 0; at < data.length; at += 4) {
    const id = first + (data[at]! | (data[at + 1]! << 8));
    if (onlyAlive && alive[id] === 0) continue;
    const n = id << 2;
    const flags = norms[n + 3]!;
    if ((flags & 1) === 0 || (onlyFlag >= 0 && (flags & 2) !== onlyFlag)) continue;
    const packed = data[at + 3]!;
    const body = data[at + 2]!;
    const title = packed >> 4;
    const tags = packed & 15;
    let s = 0;
    if (title > 0) s += tw * ((title * k11) / (title + base + bTitle * norms[n]!) + delta);
    if (body > 0) s += (body * k11) / (body + base + bBody * (norms[n + 1]! | (norms[n + 2]! << 8))) + delta;
    if (tags > 0) s += gw * ((tags * k11) / (tags + base + bTags * (flags >> 2)) + delta);
    s *= w;
    const old = best[id]!;
    if (s <= old) continue;
    best[id] = s;
    total[id]! += s - old;
    if (old === 0) {
      if (matched[id] === 0) touched.push(id);
      matched[id]!++;
    }
  }
}

/** The k-th largest lower bound of a final score among `ids` (0 when there are fewer than k). */
function kthLowerBound(ids: readonly number[], c: Consts, coverage: Float64Array, preferFlag: number, otherLocale: number, k: number): number {
  if (ids.length < k) return 0;
  const {total, matched, norms} = c;
  const heap = new Float64Array(k); // ascending once full
  let size = 0;
  for (let x = 0; x < ids.length; x++) {
    const id = ids[x]!;
    let v = total[id]! * coverage[matched[id]!]!;
    if (preferFlag >= 0 && (norms[(id << 2) + 3]! & 2) !== preferFlag) v *= otherLocale;
    if (size === k) {
      if (v <= heap[0]!) continue;
      let i = 0;
      while (i + 1 < k && heap[i + 1]! < v) {
        heap[i] = heap[i + 1]!;
        i++;
      }
      heap[i] = v;
    } else {
      let i = size++;
      while (i > 0 && heap[i - 1]! > v) {
        heap[i] = heap[i - 1]!;
        i--;
      }
      heap[i] = v;
    }
  }
  return heap[0]!;
}

/** Every article's norms (postings.ts) in one array indexed by id * 4; zeros where none is. */
export function readNorms(db: LocalStore['db'], size: number): Uint8Array {
  const out = new Uint8Array(size * 4 + 4);
  for (const row of db.prepare('SELECT blk, data FROM kb_norms WHERE blk <= ?').iterate((size - 1) >> NORM_SHIFT) as Iterable<{blk: number; data: Uint8Array}>) {
    const at = (row.blk << NORM_SHIFT) * 4;
    out.set(at + row.data.length <= out.length ? row.data : row.data.subarray(0, out.length - at), at);
  }
  return out;
}

/** idf as Lucene's bm25 has it: never negative, however common the term. */
function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The best `limit` of `ids` by `scores`, best first; `accept` filters them, best candidates first. */
function top(ids: number[], scores: Float64Array, limit: number, accept?: (ids: number[]) => Set<number>): Ranked[] {
  if (!accept) return selectTop(ids, scores, limit).map((id) => ({id, score: scores[id]!}));
  const out: Ranked[] = [];
  let want = Math.max(limit * 4, 64);
  let rest = ids;
  while (out.length < limit && rest.length > 0) {
    const batch = selectTop(rest, scores, want);
    const ok = accept(batch);
    for (const id of batch) if (ok.has(id) && out.length < limit) out.push({id, score: scores[id]!});
    const taken = new Set(batch);
    rest = rest.filter((id) => !taken.has(id));
    want *= 4;
  }
  return out;
}

/** The `k` best ids, best first (ties: the older article first), by a bounded insertion. */
function selectTop(ids: readonly number[], scores: Float64Array, k: number): number[] {
  // Best first; ties: the older article (lower id) first. Written out: it runs over every candidate.
  const heap: number[] = [];
  let worst = -1;
  for (let x = 0; x < ids.length; x++) {
    const id = ids[x]!;
    const v = scores[id]!;
    if (heap.length === k) {
      const w = scores[worst]!;
      if (v < w || (v === w && id > worst)) continue;
      heap[k - 1] = id;
    } else heap.push(id);
    let i = heap.length - 1;
    while (i > 0) {
      const prev = heap[i - 1]!;
      const pv = scores[prev]!;
      if (v > pv || (v === pv && id < prev)) {
        heap[i] = prev;
        i--;
      } else break;
    }
    heap[i] = id;
    worst = heap[heap.length - 1]!;
  }
  return heap;
}
