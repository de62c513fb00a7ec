import type {KbLocale} from '../../../domain/article.js';
import type {LocalStore} from '../store.js';
import {decodePostings, NormReader, normOffset, type IndexStats} from './postings.js';
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
  /** Multiplies the score of an article holding a quoted phrase exactly. */
  phrase: number;
}

export const DEFAULT_RANKING: RankingParams = {
  titleWeight: 3,
  tagsWeight: 2,
  coverage: 1,
  k1: 1.2,
  b: 0.75,
  delta: 0.5,
  otherLocale: 0.5,
  phrase: 1.5,
};

export interface RankOptions {
  groups: readonly WordGroup[];
  /** Term -> number of articles that hold it. */
  df: ReadonlyMap<string, number>;
  stats: IndexStats;
  /** Largest article id, to size the accumulators. */
  maxId: number;
  /** Only articles in this language. */
  only?: KbLocale | undefined;
  /** Articles in this language first. */
  prefer?: KbLocale | undefined;
  /** Ids of articles that hold a quoted phrase exactly. */
  phraseMatches?: ReadonlySet<number> | undefined;
  /** Whether an article may be shown (tags); asked best first, until `limit` are found. */
  accept?: ((ids: number[]) => Set<number>) | undefined;
  limit: number;
  params: RankingParams;
}

export interface Ranked {
  id: number;
  score: number;
}

export function rank(db: LocalStore['db'], o: RankOptions): Ranked[] {
  const {params: p, stats} = o;
  if (o.groups.length === 0 || stats.docs <= 0) return [];
  const n = stats.docs;
  const avgTitle = Math.max(stats.title / n, 1);
  const avgBody = Math.max(stats.body / n, 1);
  const avgTags = Math.max(stats.tags / n, 1);
  const size = o.maxId + 1;
  const total = new Float64Array(size);
  const matched = new Uint8Array(size);
  const best = new Float64Array(size);
  const touched: number[] = [];
  const norms = new NormReader(db);
  const onlyFlag = o.only === undefined ? -1 : o.only === 'de' ? 2 : 0;
  const select = db.prepare('SELECT blk, data FROM kb_postings WHERE term = ?');

  // The per-field BM25+ part of one posting, without idf and weight.
  const fieldScore = (id: number, title: number, body: number, tags: number): number => {
    const row = norms.row(id);
    if (!row) return -1;
    const at = normOffset(id);
    const flags = row[at + 3]!;
    if (!(flags & 1) || (onlyFlag >= 0 && (flags & 2) !== onlyFlag)) return -1;
    let s = 0;
    if (title > 0) s += p.titleWeight * bm25Part(title, row[at]!, avgTitle, p);
    if (body > 0) s += bm25Part(body, row[at + 1]! | (row[at + 2]! << 8), avgBody, p);
    if (tags > 0) s += p.tagsWeight * bm25Part(tags, flags >> 2, avgTags, p);
    return s;
  };

  for (const group of o.groups) {
    const groupTouched: number[] = [];
    const credit = (id: number, score: number) => {
      if (score <= best[id]!) return;
      if (best[id] === 0) groupTouched.push(id);
      best[id] = score;
    };
    for (const alternative of group.alternatives) {
      if (alternative.terms.length === 1) {
        const term = alternative.terms[0]!;
        const w = alternative.weight * idf(o.df.get(term) ?? 0, n);
        for (const row of select.iterate(term) as Iterable<{blk: number; data: Uint8Array}>) {
          decodePostings(row.blk, row.data, (id, title, body, tags) => {
            const s = fieldScore(id, title, body, tags);
            if (s > 0) credit(id, w * s);
          });
        }
        continue;
      }
      // A compound's parts: an article must hold all of them.
      let partial: Map<number, number> | undefined;
      for (const term of alternative.terms) {
        const w = alternative.weight * idf(o.df.get(term) ?? 0, n);
        const next = new Map<number, number>();
        for (const row of select.iterate(term) as Iterable<{blk: number; data: Uint8Array}>) {
          decodePostings(row.blk, row.data, (id, title, body, tags) => {
            if (partial && !partial.has(id)) return;
            const s = fieldScore(id, title, body, tags);
            if (s > 0) next.set(id, (partial?.get(id) ?? 0) + w * s);
          });
        }
        partial = next;
      }
      for (const [id, s] of partial ?? []) credit(id, s / alternative.terms.length);
    }
    for (const id of groupTouched) {
      if (matched[id] === 0) touched.push(id);
      total[id]! += best[id]!;
      matched[id]!++;
      best[id] = 0;
    }
  }

  const groups = o.groups.length;
  const preferFlag = o.prefer === undefined ? -1 : o.prefer === 'de' ? 2 : 0;
  const scored: Ranked[] = [];
  for (const id of touched) {
    let score = total[id]! * (matched[id]! / groups) ** p.coverage;
    if (preferFlag >= 0 && ((norms.row(id)![normOffset(id) + 3]! & 2) !== preferFlag)) score *= p.otherLocale;
    if (o.phraseMatches?.has(id)) score *= p.phrase;
    scored.push({id, score});
  }
  return top(scored, o.limit, o.accept);
}

/** idf as Lucene's bm25 has it: never negative, however common the term. */
function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

function bm25Part(tf: number, length: number, avgLength: number, p: RankingParams): number {
  return (tf * (p.k1 + 1)) / (tf + p.k1 * (1 - p.b + (p.b * length) / avgLength)) + p.delta;
}

const better = (a: Ranked, b: Ranked) => a.score > b.score || (a.score === b.score && a.id < b.id);

/** The best `limit`, best first, without sorting everything; `accept` filters them in batches. */
function top(scored: Ranked[], limit: number, accept?: (ids: number[]) => Set<number>): Ranked[] {
  if (!accept) return select(scored, limit);
  // Filters (tags) are checked on the best candidates first, a batch at a time.
  const out: Ranked[] = [];
  let want = Math.max(limit * 4, 64);
  let rest = scored;
  while (out.length < limit && rest.length > 0) {
    const batch = select(rest, want);
    const ok = accept(batch.map((r) => r.id));
    for (const r of batch) if (ok.has(r.id) && out.length < limit) out.push(r);
    const taken = new Set(batch.map((r) => r.id));
    rest = rest.filter((r) => !taken.has(r.id));
    want *= 4;
  }
  return out;
}

/** The `k` best of `list`, best first: a bounded insertion, linear while k is small. */
function select(list: Ranked[], k: number): Ranked[] {
  if (list.length <= k) return [...list].sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
  const heap: Ranked[] = [];
  for (const r of list) {
    if (heap.length < k) heap.push(r);
    else if (better(r, heap[k - 1]!)) heap[k - 1] = r;
    else continue;
    for (let i = heap.length - 1; i > 0 && better(heap[i]!, heap[i - 1]!); i--) [heap[i], heap[i - 1]] = [heap[i - 1]!, heap[i]!];
  }
  return heap;
}
