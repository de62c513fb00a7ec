import type {LocalStore} from '../store.js';
import type {KbLocale} from '../../../domain/article.js';

/**
 * The ranking index: for each analysed term, the articles that hold it and how often in each
 * field, in rows of 1,024 consecutive ids (kb_postings), and each article's field lengths and
 * language in rows of 4,096 (kb_norms). A query reads the rows of its few terms and scores
 * every article they hold in JavaScript (rank.ts), so nothing is dropped by a shortcut and the
 * ranking is ours to choose; FTS5 (kb_fts) keeps positions, for quoted phrases.
 *
 * A posting is four bytes: the id's offset in its row (16 bits, little-endian), the body count
 * (8 bits, capped at 255) and the title and tags counts (4 bits each, capped at 15), in id
 * order. Fixed-width postings decode in a tight loop and can be binary-searched, which is what
 * lets rank.ts look up only the articles still in the running for the commonest words.
 */
export const POSTING_SHIFT = 10;
export const NORM_SHIFT = 12;
const NORM_BYTES = 4;

export interface Norm {
  titleLength: number;
  bodyLength: number;
  tagsLength: number;
  locale: KbLocale;
}

/** Totals over all articles: the average field lengths of bm25. */
export interface IndexStats {
  docs: number;
  title: number;
  body: number;
  tags: number;
}

export const STATS_KEY = 'rank_index';

type Db = LocalStore['db'];

export function readStats(db: Db): IndexStats | undefined {
  const row = db.prepare('SELECT value FROM kb_meta WHERE key = ?').get(STATS_KEY) as {value: string} | undefined;
  return row ? (JSON.parse(row.value) as IndexStats) : undefined;
}

export const POSTING_BYTES = 4;

/**
 * A term's postings are kept in two lists: articles that hold it in the title or tags, under
 * the term with this mark appended, and articles that hold it in the body only, under the
 * term itself. The second list, by far the longer for a common word, can add at most a body's
 * share to a score, so pruning (rank.ts) can often skip most of it.
 */
export const TITLE_KEY = '^';

/** Where an article's norms start in its kb_norms row: [title length, body length (2 bytes), tags length << 2 | German << 1 | present]. */
const normOffset = (id: number) => (id & ((1 << NORM_SHIFT) - 1)) * NORM_BYTES;

/**
 * An article's counts of one term packed in one number, as the writer keeps them: title in
 * bits 0-3, tags in bits 4-7, body in bits 8-15, each capped where the posting caps it.
 */
const TITLE = 1;
const TAGS = 16;
const BODY = 256;

function encodePosting(out: Uint8Array, at: number, offset: number, packed: number): void {
  out[at] = offset & 0xff;
  out[at + 1] = offset >> 8;
  out[at + 2] = packed >> 8;
  out[at + 3] = ((packed & 15) << 4) | ((packed >> 4) & 15);
}

/** A row's postings as a map from id to packed counts. */
function decodeRow(blk: number, data: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  const first = blk << POSTING_SHIFT;
  for (let i = 0; i + POSTING_BYTES <= data.length; i += POSTING_BYTES) {
    out.set(first + (data[i]! | (data[i + 1]! << 8)), (data[i + 2]! << 8) | ((data[i + 3]! & 15) << 4) | (data[i + 3]! >> 4));
  }
  return out;
}

function encodeRow(blk: number, entries: Map<number, number>): Uint8Array {
  const first = blk << POSTING_SHIFT;
  const ids = [...entries.keys()].sort((a, b) => a - b);
  const out = new Uint8Array(ids.length * POSTING_BYTES);
  ids.forEach((id, i) => encodePosting(out, i * POSTING_BYTES, id - first, entries.get(id)!));
  return out;
}

/** The analysed terms of an article's title, body and tags. */
export type ArticleTerms = readonly [readonly string[], readonly string[], readonly string[]];

/** One term's changes in a write: ids and packed counts in call order (-1: removed). */
interface Part {
  ids: number[];
  packed: number[];
  /** Only additions of new articles: the rows can be appended to without reading them. */
  appendOnly: boolean;
}

interface TermChanges {
  /** Articles holding the term in the body only, and those holding it in the title or tags. */
  body: Part;
  title: Part;
  /** Change of the number of articles holding the term. */
  df: number;
  /** The fields it was added in: 1 title, 2 body, 4 tags. */
  fields: number;
}

/**
 * Changes to the ranking index (and to kb_terms' document frequencies) gathered over a write
 * transaction and written once per row. New articles take ids above every existing one
 * (AUTOINCREMENT), so their postings are appended to the rows in SQL, without reading them:
 * importing a thousand articles costs a statement per term and row they touch.
 */
export class IndexWriter {
  private readonly postings = new Map<string, TermChanges>();
  private readonly norms = new Map<number, Norm | null>();
  private readonly stats = {docs: 0, title: 0, body: 0, tags: 0};

  /** `countTerms`: false when kb_terms is already right (building the index of an existing store). */
  constructor(private readonly countTerms = true) {}

  /** `fresh`: the article is new in this write, its id above every indexed one. */
  add(id: number, fields: ArticleTerms, locale: KbLocale, fresh: boolean): void {
    this.change(id, fields, locale, fresh ? 1 : 0);
  }

  remove(id: number, fields: ArticleTerms, locale: KbLocale): void {
    this.change(id, fields, locale, -1);
  }

  /** kind: 1 adds a new article, 0 adds an existing one's new version, -1 removes. */
  private change(id: number, fields: ArticleTerms, locale: KbLocale, kind: 1 | 0 | -1): void {
    const counts = new Map<string, number>();
    const [title, body, tags] = fields;
    for (const term of title) {
      const v = counts.get(term) ?? 0;
      counts.set(term, (v & 15) < 15 ? v + TITLE : v);
    }
    for (const term of tags) {
      const v = counts.get(term) ?? 0;
      counts.set(term, ((v >> 4) & 15) < 15 ? v + TAGS : v);
    }
    for (const term of body) {
      const v = counts.get(term) ?? 0;
      counts.set(term, v >> 8 < 255 ? v + BODY : v);
    }
    const sign = kind < 0 ? -1 : 1;
    for (const [term, packed] of counts) {
      let c = this.postings.get(term);
      if (!c) this.postings.set(term, (c = {body: {ids: [], packed: [], appendOnly: true}, title: {ids: [], packed: [], appendOnly: true}, df: 0, fields: 0}));
      if (kind >= 0) c.fields |= (packed & 15 ? 1 : 0) | (packed >> 8 ? 2 : 0) | ((packed >> 4) & 15 ? 4 : 0);
      const part = packed & 0xff ? c.title : c.body;
      part.ids.push(id);
      part.packed.push(kind < 0 ? -1 : packed);
      if (kind !== 1) part.appendOnly = false;
      c.df += sign;
    }
    this.norms.set(id, kind < 0 ? null : {titleLength: title.length, bodyLength: body.length, tagsLength: tags.length, locale});
    this.stats.docs += sign;
    this.stats.title += sign * title.length;
    this.stats.body += sign * body.length;
    this.stats.tags += sign * tags.length;
  }

  save(db: Db): void {
    const read = db.prepare('SELECT data FROM kb_postings WHERE term = ? AND blk = ?');
    const write = db.prepare('INSERT OR REPLACE INTO kb_postings (term, blk, data) VALUES (?, ?, ?)');
    // hex() keeps the blob a blob: || alone would make it text.
    const append = db.prepare(
      'INSERT INTO kb_postings (term, blk, data) VALUES (?, ?, ?) ON CONFLICT (term, blk) DO UPDATE SET data = unhex(hex(kb_postings.data) || hex(excluded.data))',
    );
    const drop = db.prepare('DELETE FROM kb_postings WHERE term = ? AND blk = ?');
    const statements = {read, write, append, drop};
    for (const [term, t] of this.postings) {
      if (t.body.ids.length > 0) this.savePart(term, t.body, statements);
      if (t.title.ids.length > 0) this.savePart(term + TITLE_KEY, t.title, statements);
    }
    // Fields are only ever added: a bound that is too high is still a bound.
    const upsertTerm = this.countTerms
      ? db.prepare('INSERT INTO kb_terms (term, df, fields) VALUES (?, ?, ?) ON CONFLICT (term) DO UPDATE SET df = df + excluded.df, fields = fields | excluded.fields')
      : db.prepare('INSERT INTO kb_terms (term, df, fields) VALUES (?, 0, ?) ON CONFLICT (term) DO UPDATE SET fields = fields | excluded.fields');
    for (const [term, c] of this.postings) {
      if (c.df === 0 && c.fields === 0) continue;
      if (this.countTerms) upsertTerm.run(term, c.df, c.fields);
      else upsertTerm.run(term, c.fields);
    }
    const readNorms = db.prepare('SELECT data FROM kb_norms WHERE blk = ?');
    const writeNorms = db.prepare('INSERT OR REPLACE INTO kb_norms (blk, data) VALUES (?, ?)');
    const byBlock = new Map<number, [number, Norm | null][]>();
    for (const [id, norm] of this.norms) {
      const blk = id >> NORM_SHIFT;
      let list = byBlock.get(blk);
      if (!list) byBlock.set(blk, (list = []));
      list.push([id, norm]);
    }
    for (const [blk, changes] of byBlock) {
      const existing = readNorms.get(blk) as {data: Uint8Array} | undefined;
      const data = new Uint8Array(NORM_BYTES << NORM_SHIFT);
      if (existing) data.set(existing.data);
      for (const [id, norm] of changes) {
        const at = normOffset(id);
        if (!norm) {
          data.fill(0, at, at + NORM_BYTES);
          continue;
        }
        const body = Math.min(norm.bodyLength, 0xffff);
        data[at] = Math.min(norm.titleLength, 0xff);
        data[at + 1] = body & 0xff;
        data[at + 2] = body >> 8;
        data[at + 3] = (Math.min(norm.tagsLength, 63) << 2) | (norm.locale === 'de' ? 2 : 0) | 1;
      }
      writeNorms.run(blk, data);
    }
    const stats = readStats(db) ?? {docs: 0, title: 0, body: 0, tags: 0};
    const next: IndexStats = {
      docs: stats.docs + this.stats.docs,
      title: stats.title + this.stats.title,
      body: stats.body + this.stats.body,
      tags: stats.tags + this.stats.tags,
    };
    db.prepare('INSERT INTO kb_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(STATS_KEY, JSON.stringify(next));
    this.postings.clear();
    this.norms.clear();
    this.stats.docs = this.stats.title = this.stats.body = this.stats.tags = 0;
  }

  /** Writes one list's changes: appended in SQL after an import, else read, changed and written back. */
  private savePart(key: string, c: Part, {read, write, append, drop}: Record<'read' | 'write' | 'append' | 'drop', ReturnType<Db['prepare']>>): void {
    if (c.appendOnly) {
      // Ids arrive in increasing order: cut the list where the row changes.
      for (let i = 0; i < c.ids.length; ) {
        const blk = c.ids[i]! >> POSTING_SHIFT;
        let j = i;
        while (j < c.ids.length && c.ids[j]! >> POSTING_SHIFT === blk) j++;
        const out = new Uint8Array((j - i) * POSTING_BYTES);
        for (let k = i; k < j; k++) encodePosting(out, (k - i) * POSTING_BYTES, c.ids[k]! - (blk << POSTING_SHIFT), c.packed[k]!);
        append.run(key, blk, out);
        i = j;
      }
      return;
    }
    const byBlock = new Map<number, number[]>();
    c.ids.forEach((id, k) => {
      const blk = id >> POSTING_SHIFT;
      let list = byBlock.get(blk);
      if (!list) byBlock.set(blk, (list = []));
      list.push(k);
    });
    for (const [blk, changes] of byBlock) {
      const existing = (read.get(key, blk) as {data: Uint8Array} | undefined)?.data;
      const entries = existing ? decodeRow(blk, existing) : new Map<number, number>();
      for (const k of changes) {
        if (c.packed[k]! < 0) entries.delete(c.ids[k]!);
        else entries.set(c.ids[k]!, c.packed[k]!);
      }
      if (entries.size === 0) drop.run(key, blk);
      else write.run(key, blk, encodeRow(blk, entries));
    }
  }
}
