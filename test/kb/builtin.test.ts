import {afterEach, beforeEach, expect, test} from 'vitest';

import {BUILTIN_DIR, loadBuiltinArticles, seedBuiltinArticles} from '../../src/store/embedded/kb/builtin.js';
import {openTempKb, type TempKb} from './helpers.js';

let t: TempKb;
beforeEach(async () => {
  t = await openTempKb();
});
afterEach(() => t.close());

test('the built-in articles cover the basics in English and German', async () => {
  const articles = await loadBuiltinArticles();
  expect(articles.filter((a) => a.locale === 'en')).toHaveLength(5);
  expect(articles.filter((a) => a.locale === 'de')).toHaveLength(5);
  expect(new Set(articles.map((a) => a.slug)).size).toBe(articles.length);
  for (const a of articles) expect(a.tags).toContain('supportkit');
});

test('a fresh store is seeded once, and search answers the basic questions', async () => {
  expect(await seedBuiltinArticles(t.kb)).toBe(10);
  expect(await seedBuiltinArticles(t.kb)).toBe(0);
  const top = (text: string, locale?: 'en' | 'de') => t.kb.get(t.kb.search({text, limit: 1, ...(locale ? {locale} : {})})[0]!.id).slug;
  expect(top('how do I file a ticket', 'en')).toBe('supportkit-file-a-ticket');
  expect(top('attach diagnostic bundle', 'en')).toBe('supportkit-diagnostic-bundle');
  expect(top('sla status', 'en')).toBe('supportkit-sla-status');
  expect(top('proxy', 'en')).toBe('supportkit-proxy-setup');
  expect(top('log in', 'en')).toBe('supportkit-log-in');
  expect(top('Ticket erstellen', 'de')).toBe('supportkit-ticket-erstellen');
  expect(top('Diagnosepaket anhangen')).toBe('supportkit-diagnosepaket');
  expect(top('Proxy einrichten')).toBe('supportkit-proxy-einrichten');
  expect(top('anmelden', 'de')).toBe('supportkit-anmelden');
  expect(top('SLA Status lesen', 'de')).toBe('supportkit-sla-status-lesen');
  // The articles open with their title as a heading; the snippet does not repeat it.
  const [hit] = t.kb.search({text: 'Proxy einrichten', limit: 1});
  expect(hit!.snippet).not.toContain('einrichten');
  expect(hit!.snippet).toContain('Firmenproxy teilen Sie');
});

test('a built-in article the user deleted stays deleted when the toolkit is updated', async () => {
  await seedBuiltinArticles(t.kb);
  t.kb.delete('supportkit-proxy-setup');
  t.kb.setMeta('builtin_hash', 'an older version');
  expect(await seedBuiltinArticles(t.kb)).toBe(0);
  expect(t.kb.find('supportkit-proxy-setup')).toBeUndefined();
  expect(BUILTIN_DIR.endsWith('/builtin/')).toBe(true);
});
