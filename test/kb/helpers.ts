import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {LocalKb, type LocalKbOptions} from '../../src/store/embedded/kb/store.js';
import {openLocalStore, type LocalStore} from '../../src/store/embedded/store.js';
import type {ArticleSink} from '../../src/services/kb-import.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'kb');

export interface TempKb {
  kb: LocalKb;
  store: LocalStore;
  dir: string;
  sink: ArticleSink;
  close(): void;
}

/** A real store in a temp directory, removed by close(). */
export async function openTempKb(now?: () => number, options?: LocalKbOptions): Promise<TempKb> {
  const dir = mkdtempSync(join(tmpdir(), 'support-kb-'));
  const store = await openLocalStore(join(dir, 'local'));
  const kb = new LocalKb(store, now, options);
  const sink: ArticleSink = {
    upsert: async (articles) => kb.upsertMany(articles).map((r) => ({slug: r.article.slug, outcome: r.outcome})),
  };
  return {
    kb,
    store,
    dir,
    sink,
    close: () => {
      store.close();
      rmSync(dir, {recursive: true, force: true});
    },
  };
}
