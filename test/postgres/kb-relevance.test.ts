import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, expect, test} from 'vitest';

import type {KbLocale} from '../../src/domain/article.js';
import {openServerStore} from '../../src/server/store/open.js';
import type {ServerStore} from '../../src/server/store/store.js';
import {importArticles} from '../../src/services/kb-import.js';
import {createTestDatabase} from '../helpers/postgres.js';
import {FIXTURES} from '../kb/helpers.js';
import {sandbox, type Sandbox} from '../helpers.js';

interface LabelledQuery {
  query: string;
  locale?: KbLocale;
  relevant: string[];
}

/**
 * The labelled queries of test/kb/relevance.test.ts, asked of a server's knowledge base on
 * SQLite and on PostgreSQL with the same articles: recall must agree within 2 points.
 */
const queries = JSON.parse(readFileSync(join(FIXTURES, 'queries.json'), 'utf8')) as LabelledQuery[];
let dirs: Sandbox;
const stores: Record<'sqlite' | 'postgres', ServerStore> = {} as never;

beforeAll(async () => {
  dirs = sandbox();
  stores.sqlite = await openServerStore({dataDir: join(dirs.dir, 'sqlite')});
  stores.postgres = await openServerStore({dataDir: join(dirs.dir, 'postgres'), databaseUrl: await createTestDatabase()});
  for (const store of Object.values(stores)) {
    // One at a time, as an admin's import over the protocol writes them.
    const sink = {
      upsert: async (articles: readonly Parameters<ServerStore['kb']['upsert']>[0][]) => {
        const results = [];
        for (const a of articles) results.push({slug: a.slug, outcome: (await store.kb.upsert(a)).outcome});
        return results;
      },
    };
    const report = await importArticles(sink, [join(FIXTURES, 'articles')]);
    expect(report.failed).toEqual([]);
  }
}, 120_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store?.close();
  dirs?.cleanup();
});

async function recallAt3(store: ServerStore): Promise<{recall: number; ranked: string[][]}> {
  let sum = 0;
  const ranked: string[][] = [];
  for (const q of queries) {
    const hits = await store.kb.search({text: q.query, limit: 3, ...(q.locale ? {locale: q.locale} : {})});
    const slugs = hits.map((h) => h.slug);
    ranked.push(slugs);
    sum += slugs.filter((s) => q.relevant.includes(s)).length / q.relevant.length;
  }
  return {recall: sum / queries.length, ranked};
}

test('search on PostgreSQL finds what search on SQLite finds: recall at 3 within 2 points', async () => {
  const sqlite = await recallAt3(stores.sqlite);
  const postgres = await recallAt3(stores.postgres);
  console.log(`kb recall@3 over ${queries.length} queries: SQLite ${sqlite.recall.toFixed(3)}, PostgreSQL ${postgres.recall.toFixed(3)}`);
  expect(sqlite.recall).toBeGreaterThanOrEqual(0.9);
  expect(Math.abs(postgres.recall - sqlite.recall)).toBeLessThanOrEqual(0.02);
  // The same engine on the same articles: the same slugs in the same order.
  expect(postgres.ranked).toEqual(sqlite.ranked);
});
