import type {LocalStore} from '../store.js';
import type {KbLocale} from '../../../domain/article.js';

/**
 * The ranking index: for each analysed term, the articles that hold it and how often in each
 * field, in rows of 256 consecutive ids (kb_postings), and each article's field lengths and
 * language in rows of 4,096 (kb_norms). A query reads the rows of its few terms and scores
 * every article they hold in JavaScript (rank.ts), so nothing is dropped by a shortcut and the
 * ranking is ours to choose; FTS5 (kb_fts) keeps positions, for quoted phrases.
 *
 * A posting is varint(id - previous id, from the row's first id), varint(body count), then
 * one byte: title count (4 bits, capped at 15) and tags count (4 bits).
 */
export const POSTING_SHIFT = 8;
export const NORM_SHIFT = 12;
const NORM_BYTES = 4;

export interface FieldCounts {
  title: number;
  body: number;
  tags: number;
}

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

/** Decodes one row of postings, calling `each` with the id and its counts in id order. */
export function decodePostings(blk: number, data: Uint8Array, each: (id: number, title: number, body: number, tags: number) => void): void {
  let id = blk << POSTING_SHIFT;
  let i = 0;
  const n = data.length;
  while (i < n) {
    let delta = 0;
    let shift = 0;
    let b: number;
    do {
      b = data[i++]!;
      delta |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    id += delta;
    let body = 0;
    shift = 0;
    do {
      b = data[i++]!;
      body |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    const packed = data[i++]!;
    each(id, packed >> 4, body, packed & 15);
  }
}

function encodePostings(blk: number, entries: Map<number, FieldCounts>): Uint8Array {
  const ids = [...entries.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  const varint = (v: number) => {
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
  };
  let previous = blk << POSTING_SHIFT;
  for (const id of ids) {
    const c = entries.get(id)!;
    varint(id - previous);
    varint(Math.min(c.body, 0xfffffff));
    out.push((Math.min(c.title, 15) << 4) | Math.min(c.tags, 15));
    previous = id;
  }
  return Uint8Array.from(out);
}

/** Reads norms rows on demand and caches them for one query. */
export class NormReader {
  private readonly rows = new Map<number, Uint8Array | null>();
  private readonly select;

  constructor(db: Db) {
    this.select = db.prepare('SELECT data FROM kb_norms WHERE blk = ?');
  }

  /** The row holding `id`: bytes [title length, body length (2 bytes), tags length << 2 | locale << 1 | present]. */
  row(id: number): Uint8Array | null {
    const blk = id >> NORM_SHIFT;
    let row = this.rows.get(blk);
    if (row === undefined) {
      row = ((this.select.get(blk) as {data: Uint8Array} | undefined)?.data) ?? null;
      this.rows.set(blk, row);
    }
    return row;
  }
}

export const normOffset = (id: number) => (id & ((1 << NORM_SHIFT) - 1)) * NORM_BYTES;

/**
 * Changes to the ranking index gathered over a write transaction and written once per row, so
 * that importing a thousand articles rewrites each touched row once, not once per article.
 */
export class IndexWriter {
  private readonly postings = new Map<string, Map<number, FieldCounts | null>>();
  private readonly norms = new Map<number, Norm | null>();
  private readonly stats = {docs: 0, title: 0, body: 0, tags: 0};

  add(id: number, fields: readonly [string, string, string], locale: KbLocale): void {
    this.change(id, fields, locale, 1);
  }

  remove(id: number, fields: readonly [string, string, string], locale: KbLocale): void {
    this.change(id, fields, locale, -1);
  }

  private change(id: number, fields: readonly [string, string, string], locale: KbLocale, sign: 1 | -1): void {
    const counts = new Map<string, FieldCounts>();
    const lengths = [0, 0, 0];
    fields.forEach((field, f) => {
      for (const term of field.split(' ')) {
        if (!term) continue;
        lengths[f]!++;
        let c = counts.get(term);
        if (!c) counts.set(term, (c = {title: 0, body: 0, tags: 0}));
        if (f === 0) c.title++;
        else if (f === 1) c.body++;
        else c.tags++;
      }
    });
    for (const [term, c] of counts) {
      let byId = this.postings.get(term);
      if (!byId) this.postings.set(term, (byId = new Map()));
      // In call order: an update removes the old version's postings, then adds the new one's.
      byId.set(id, sign > 0 ? c : null);
    }
    this.norms.set(id, sign > 0 ? {titleLength: lengths[0]!, bodyLength: lengths[1]!, tagsLength: lengths[2]!, locale} : null);
    this.stats.docs += sign;
    this.stats.title += sign * lengths[0]!;
    this.stats.body += sign * lengths[1]!;
    this.stats.tags += sign * lengths[2]!;
  }

  save(db: Db): void {
    const read = db.prepare('SELECT data FROM kb_postings WHERE term = ? AND blk = ?');
    const write = db.prepare('INSERT OR REPLACE INTO kb_postings (term, blk, data) VALUES (?, ?, ?)');
    const drop = db.prepare('DELETE FROM kb_postings WHERE term = ? AND blk = ?');
    for (const [term, byId] of this.postings) {
      const byBlock = new Map<number, [number, FieldCounts | null][]>();
      for (const [id, c] of byId) {
        const blk = id >> POSTING_SHIFT;
        let list = byBlock.get(blk);
        if (!list) byBlock.set(blk, (list = []));
        list.push([id, c]);
      }
      for (const [blk, changes] of byBlock) {
        const entries = new Map<number, FieldCounts>();
        const existing = read.get(term, blk) as {data: Uint8Array} | undefined;
        if (existing) decodePostings(blk, existing.data, (id, title, body, tags) => entries.set(id, {title, body, tags}));
        for (const [id, c] of changes) {
          if (c) entries.set(id, c);
          else entries.delete(id);
        }
        if (entries.size === 0) drop.run(term, blk);
        else write.run(term, blk, encodePostings(blk, entries));
      }
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
}
