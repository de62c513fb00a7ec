import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, expect, test} from 'vitest';

import type {KbLocale} from '../../src/domain/article.js';
import {importArticles} from '../../src/services/kb-import.js';
import {FIXTURES, openTempKb, type TempKb} from './helpers.js';

interface LabelledQuery {
  query: string;
  locale?: KbLocale;
  relevant: string[];
}

const queries = JSON.parse(readFileSync(join(FIXTURES, 'queries.json'), 'utf8')) as LabelledQuery[];
let t: TempKb;

beforeAll(async () => {
  t = await openTempKb();
  const report = await importArticles(t.sink, [join(FIXTURES, 'articles')]);
  expect(report.failed).toEqual([]);
});
afterAll(() => t.close());

test('the labelled set is big enough to mean something', () => {
  expect(queries.length).toBeGreaterThanOrEqual(40);
  expect(t.kb.count()).toBeGreaterThanOrEqual(60);
});

test('precision at 1 and recall at 3 over the labelled queries meet the bars', () => {
  let hitsAt1 = 0;
  let recallSum = 0;
  const misses: string[] = [];
  for (const q of queries) {
    const hits = t.kb.search({text: q.query, limit: 3, ...(q.locale ? {locale: q.locale} : {})});
    const slugs = hits.map((h) => t.kb.get(h.id).slug);
    const relevant = new Set(q.relevant);
    if (slugs[0] && relevant.has(slugs[0])) hitsAt1++;
    const found = slugs.filter((s) => relevant.has(s)).length;
    recallSum += found / relevant.size;
    if (!slugs[0] || !relevant.has(slugs[0]) || found < relevant.size) {
      misses.push(`  ${JSON.stringify(q.query)}${q.locale ? ` [${q.locale}]` : ''} -> ${slugs.join(', ') || '(nothing)'}; wanted ${q.relevant.join(', ')}`);
    }
  }
  const p1 = hitsAt1 / queries.length;
  const r3 = recallSum / queries.length;
  console.log(`kb relevance over ${queries.length} queries: P@1 = ${p1.toFixed(3)}, R@3 = ${r3.toFixed(3)}`);
  if (misses.length) console.log(`not perfect:\n${misses.join('\n')}`);
  expect(p1).toBeGreaterThanOrEqual(0.8);
  expect(r3).toBeGreaterThanOrEqual(0.9);
});
