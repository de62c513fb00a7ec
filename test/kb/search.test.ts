import {afterEach, beforeEach, describe, expect, test} from 'vitest';

import {MATCH_END, MATCH_START, stripMatchMarks, type ArticleInput} from '../../src/domain/article.js';
import {NotFoundError, UsageError} from '../../src/domain/errors.js';
import {LocalKb} from '../../src/store/embedded/kb/store.js';
import {openTempKb, type TempKb} from './helpers.js';

const ARTICLES: ArticleInput[] = [
  {slug: 'proxy-setup', locale: 'en', title: 'Use the CLI behind a proxy', tags: ['network'], body: 'Set HTTPS_PROXY to the address of your proxy server. Corporate networks often require it.'},
  {slug: 'proxy-einstellungen', locale: 'de', title: 'Proxyeinstellungen', tags: ['netzwerk'], body: 'So konfigurieren Sie den Proxyserver für die Kommandozeile.'},
  {slug: 'konfiguration', locale: 'de', title: 'Konfiguration sichern', tags: ['cli'], body: 'Die Konfiguration liegt im Konfigurationsverzeichnis. Die Übertragung auf einen neuen Rechner ist einfach.'},
  {slug: 'anschrift', locale: 'de', title: 'Rechnungsanschrift ändern', tags: ['abrechnung'], body: 'Tragen Sie Straße, Hausnummer und Postleitzahl ein.'},
  {slug: 'sign-in', locale: 'en', title: 'Sign-in problems', tags: ['login'], body: 'If you cannot sign in, check the email address. Signing in with SSO needs the SSO button.'},
  {slug: 'in-app-signs', locale: 'en', title: 'Road signs on the map', tags: ['misc'], body: 'Signs appear on the map view. Zoom in to read them.'},
  {slug: 'rate-limits', locale: 'en', title: 'Rate limits', tags: ['api'], body: 'Too many requests return 429. NEAR the limit, slow down: use a backoff. title: notes - and more *stars*.'},
  {slug: 'billing', locale: 'en', title: 'Invoices', tags: ['billing'], body: 'Download invoices as PDF. Proxy payments by a reseller are invoiced to the reseller.'},
  {slug: 'einstellungen', locale: 'de', title: 'Einstellungen des Profils', tags: ['profil'], body: 'Proxy Einstellungen finden Sie im Profil unter Netzwerk.'},
];

let t: TempKb;
beforeEach(async () => {
  t = await openTempKb();
  t.kb.upsertMany(ARTICLES);
});
afterEach(() => t.close());

const slugs = (text: string, extra: {locale?: 'en' | 'de'; prefer?: 'en' | 'de'; tags?: string[]; limit?: number} = {}) =>
  t.kb.search({text, limit: extra.limit ?? 10, ...extra}).map((h) => t.kb.get(h.id).slug);

describe('language', () => {
  test('English stemming: "proxies" finds "proxy"', () => {
    expect(slugs('proxies', {locale: 'en'})[0]).toBe('proxy-setup');
  });

  test('German stemming: "konfiguriere" finds "Konfiguration" and "konfigurieren"', () => {
    const found = slugs('konfiguriere ');
    expect(found).toContain('konfiguration');
    expect(found).toContain('proxy-einstellungen');
  });

  test('umlauts fold both ways: Ubertragung, Uebertragung and Übertragung find each other', () => {
    for (const q of ['Ubertragung ', 'Uebertragung ', 'Übertragung ', 'UBERTRAGUNG ']) expect(slugs(q)).toEqual(['konfiguration']);
  });

  test('ß folds to ss: "strasse" finds "Straße"', () => {
    expect(slugs('strasse ')).toEqual(['anschrift']);
    expect(slugs('Straße ')).toEqual(['anschrift']);
    expect(slugs('aendern', {locale: 'de'})).toEqual(['anschrift']);
  });

  test('one typo is forgiven in words of five letters or more', () => {
    expect(slugs('invoises ')).toEqual(['billing']); // substitution
    expect(slugs('corprate ')).toEqual(['proxy-setup']); // deletion
    expect(slugs('konfigurtion ')).toContain('konfiguration');
    expect(slugs('reqeusts ')).toEqual(['rate-limits']); // transposition
  });

  test('short words are not fuzzed: "prxy" is no typo of "proxy"', () => {
    expect(slugs('prxy ')).toEqual([]);
  });

  test('the last word is a prefix while it is being typed, not after a space', () => {
    expect(slugs('konfig')).toContain('konfiguration');
    expect(slugs('konfig ')).toEqual([]);
    expect(slugs('download invo')).toEqual(['billing']);
  });

  test('a quoted phrase ranks its exact matches first and hides nothing that matches its words', () => {
    expect(slugs('"sign in"')).toEqual(['sign-in', 'in-app-signs']);
    expect(slugs('sign in')).toEqual(expect.arrayContaining(['sign-in', 'in-app-signs']));
    expect(slugs('„Postleitzahl ein“')).toEqual(['anschrift']);
  });

  test('quotes inside a question do not hide the answer', () => {
    t.kb.upsert({slug: 'battery', locale: 'en', title: 'Battery care', body: 'Tips: keep the battery above a fifth of its charge and away from heat.'});
    const hits = slugs('Tips such as "Do not let the battery run low"');
    expect(hits[0]).toBe('battery');
  });

  test('an article missing one of the words is still found, and a strong partial match beats a weak full one', () => {
    t.kb.upsertMany([
      {slug: 'export-csv', locale: 'en', title: 'Export tickets as CSV', tags: [], body: 'Choose Export, then CSV. The file lists every ticket.'},
      {slug: 'weak-all', locale: 'en', title: 'Release notes', tags: [], body: 'This release improves many things. A spreadsheet option exists somewhere. Tickets load faster. CSV files open. Export is unchanged.'},
    ]);
    // Only the release notes hold every word, in passing; the article about it misses one.
    const hits = slugs('export tickets spreadsheet csv', {locale: 'en'});
    expect(hits).toContain('weak-all');
    expect(hits[0]).toBe('export-csv');
  });

  test('a word in the title ranks above the same word in a body', () => {
    expect(slugs('proxy', {locale: 'en'})).toEqual(['proxy-setup', 'billing']);
  });

  test('German compounds meet their parts in both directions', () => {
    expect(slugs('Proxy Einstellungen', {locale: 'de'})).toEqual(['einstellungen', 'proxy-einstellungen']);
    expect(slugs('Proxyeinstellungen ', {locale: 'de'})).toEqual(expect.arrayContaining(['proxy-einstellungen', 'einstellungen']));
    expect(slugs('Proxy-Einstellungen ', {locale: 'de'})).toEqual(expect.arrayContaining(['proxy-einstellungen', 'einstellungen']));
  });

  test('locale, tags and limit filter the hits', () => {
    // A part alone does not find the compound ("Proxy" misses "Proxyserver"): no index-side splitting.
    expect(slugs('proxy ', {locale: 'de'})).toEqual(['einstellungen']);
    expect(slugs('proxy ', {locale: 'de'})).not.toContain('proxy-setup');
    expect(slugs('proxy ', {tags: ['Network']})).toEqual(['proxy-setup']);
    expect(slugs('proxy ', {tags: ['network', 'api']})).toEqual([]);
    expect(slugs('proxy ', {limit: 1})).toHaveLength(1);
  });

  test('an article holding more of the words ranks first; the others still follow', () => {
    const hits = slugs('proxy invoices ');
    expect(hits[0]).toBe('billing');
    expect(hits).toContain('proxy-setup');
  });
});

describe('the user\'s language', () => {
  const both = [
    {slug: 'vpn-en', locale: 'en' as const, title: 'VPN client', tags: [], body: 'Connect the VPN client before you sign in.'},
    {slug: 'vpn-de', locale: 'de' as const, title: 'VPN', tags: [], body: 'VPN verbinden.'},
  ];

  test('comes first, and the other language is still found', () => {
    t.kb.upsertMany(both);
    // The German article is shorter, so plain bm25 alone puts it first.
    expect(slugs('vpn', {prefer: 'en'})).toEqual(['vpn-en', 'vpn-de']);
    expect(slugs('vpn', {prefer: 'de'})).toEqual(['vpn-de', 'vpn-en']);
  });

  test('gives way when the other language matches what was typed much better', () => {
    t.kb.upsertMany(both);
    expect(slugs('vpn verbinden', {prefer: 'en'})[0]).toBe('vpn-de');
    expect(slugs('Konfiguration sichern', {prefer: 'en'})[0]).toBe('konfiguration');
  });

  test('a locale filter finds that language only', () => {
    t.kb.upsertMany(both);
    expect(slugs('vpn', {locale: 'en'})).toEqual(['vpn-en']);
  });
});

describe('pruning', () => {
  test('finds exactly the hits and scores of scoring every article', async () => {
    const seed = Number(process.env.SUPPORT_TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`pruning test seed: ${seed} (SUPPORT_TEST_SEED=${seed} repeats it)`);
    let state = seed || 1;
    const random = () => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647;
    };
    // Words that share prefixes (completions) and are long enough for typo corrections.
    const words = Array.from({length: 400}, (_, i) => `word${i.toString(36)}${'abcdefghij'[i % 10]}`);
    const word = () => words[Math.floor(words.length * random() ** 3)]!;
    const text = (n: number) => Array.from({length: n}, word).join(' ');
    const big = await openTempKb();
    try {
      big.kb.upsertMany(
        Array.from({length: 1500}, (_, i) => ({slug: `a-${i}`, locale: random() < 0.5 ? ('en' as const) : ('de' as const), title: text(2 + Math.floor(random() * 5)), body: text(20 + Math.floor(random() * 200)), tags: []})),
      );
      for (let q = 0; q < 60; q++) {
        const typo = (w: string) => `${w.slice(0, 2)}${w[3]}${w[2]}${w.slice(4)}`;
        const typed = `${text(1 + Math.floor(random() * 4))}${q % 5 === 2 ? ` ${typo(word())}` : ''}${q % 3 === 0 ? ` "${word()} ${word()}"` : ''}`;
        // Without a space at the end, the last word is also a prefix: more alternatives per word.
        const query = {text: q % 4 === 1 ? typed.slice(0, -1) : `${typed} `, limit: 1 + (q % 12), ...(q % 2 ? {prefer: 'de' as const} : {})};
        const pruned = big.kb.search(query).map((h) => [h.slug, h.score]);
        const exhaustive = big.kb.search(query, {prune: false}).map((h) => [h.slug, h.score]);
        expect(pruned, `${JSON.stringify(query)} (seed ${seed})`).toEqual(exhaustive);
      }
    } finally {
      big.close();
    }
  });
});

describe('the ranking index', () => {
  test('is built for a store written before it, and kept through updates and deletions', () => {
    // As a store of the previous version: no ranking index yet.
    t.store.db.exec("DELETE FROM kb_postings; DELETE FROM kb_norms; DELETE FROM kb_meta WHERE key = 'rank_index'");
    const again = new LocalKb(t.store);
    expect(again.search({text: 'corporate', limit: 5}).map((h) => h.slug)).toEqual(['proxy-setup']);
    again.upsert({...ARTICLES[0]!, body: 'Nothing about networks now.'});
    expect(again.search({text: 'corporate', limit: 5})).toEqual([]);
    again.delete('billing');
    expect(again.search({text: 'reseller', limit: 5})).toEqual([]);
    expect(again.search({text: 'invoices', limit: 5})).toEqual([]);
    expect(again.search({text: 'Straße', limit: 5}).map((h) => h.slug)).toEqual(['anschrift']);
  });
  test('built for an older store, ranks exactly as one written with it', () => {
    const words = ['proxy', 'invoice', 'token', 'export', 'login', 'network', 'billing', 'report', 'server', 'upload'];
    t.kb.upsertMany(
      Array.from({length: 1200}, (_, i) => ({
        slug: `many-${i}`,
        locale: i % 3 ? ('en' as const) : ('de' as const),
        title: `${words[i % 10]} ${words[(i * 7) % 10]}`,
        body: Array.from({length: 30}, (_, j) => words[(i * j + j) % 10]).join(' '),
      })),
    );
    const queries = ['proxy invoice', 'token export login', 'network', '"billing report" server', 'uplod'];
    const before = queries.map((text) => t.kb.search({text, limit: 20, prefer: 'de'}).map((h) => [h.slug, h.score]));
    t.store.db.exec("DELETE FROM kb_postings; DELETE FROM kb_norms; DELETE FROM kb_meta WHERE key = 'rank_index'");
    const again = new LocalKb(t.store);
    expect(queries.map((text) => again.search({text, limit: 20, prefer: 'de'}).map((h) => [h.slug, h.score]))).toEqual(before);
  });
});

describe('hits', () => {
  test('carry id, title, locale, tags, url and a snippet with the matched words marked', () => {
    const [hit] = t.kb.search({text: 'corporate networks', limit: 5});
    expect(hit).toMatchObject({title: 'Use the CLI behind a proxy', locale: 'en', tags: ['network'], url: null});
    expect(hit!.score).toBeGreaterThan(0);
    expect(hit!.snippet).toContain(`${MATCH_START}Corporate${MATCH_END} ${MATCH_START}networks${MATCH_END}`);
    expect(stripMatchMarks(hit!.snippet)).toContain('HTTPS_PROXY');
  });

  test('snippets show text, not Markdown syntax', async () => {
    t.kb.upsert({slug: 'md', locale: 'en', title: 'Markdown', body: '## Heading\n\nSee [the **guide**](https://example.com/x) for `tokens`.\n\n```sh\nsupport auth login\n```\n'});
    const [hit] = t.kb.search({text: 'guide', limit: 1});
    expect(stripMatchMarks(hit!.snippet)).toBe('Heading See the guide for tokens. support auth login');
  });

  test('snippets drop emphasis underscores at a word\'s edge and keep those inside a word', () => {
    t.kb.upsert({slug: 'under', locale: 'en', title: 'Underscores', body: 'Set __always__ _both_ NO_PROXY and __init__ here.'});
    const [hit] = t.kb.search({text: 'always', limit: 1});
    expect(stripMatchMarks(hit!.snippet)).toBe('Set always both NO_PROXY and init here.');
  });

  test('scores descend', () => {
    const hits = t.kb.search({text: 'proxy server', limit: 10});
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });
});

describe('bad input', () => {
  test('an empty query is a usage error', () => {
    expect(() => t.kb.search({text: '  ', limit: 5})).toThrow(UsageError);
  });

  test.each([
    '"',
    '""',
    '"""proxy',
    '*',
    'proxy*',
    '-proxy',
    'proxy - server',
    'NEAR',
    'NEAR(proxy server)',
    'proxy NEAR/2 server',
    'title:proxy',
    ':',
    'proxy AND OR NOT',
    '^proxy',
    '(proxy',
    "proxy'); DROP TABLE kb_articles; --",
    'x" OR "a',
    '{title body}: proxy',
    'proxy\u0000server',
  ])('FTS syntax in %j is text, never an error', (text) => {
    expect(() => t.kb.search({text, limit: 5})).not.toThrow();
    expect(t.kb.count()).toBe(ARTICLES.length);
  });

  test('syntax characters are separators around real words', () => {
    expect(slugs('title:proxy', {locale: 'en'})[0]).toBe('proxy-setup');
    expect(slugs('NEAR', {locale: 'en'})).toEqual(['rate-limits']);
    expect(slugs('"NEAR the limit"')).toEqual(['rate-limits']);
    expect(slugs('-proxy', {locale: 'en'})).toContain('proxy-setup');
  });

  test.each(['the', 'the and of to', 'der die das und', '!!! ??? ...', '"', '* - : ()', '…'])('%j finds nothing, without an error', (text) => {
    expect(t.kb.search({text, limit: 5})).toEqual([]);
  });

  test('a 10,000-character query is answered, from its first words', () => {
    const words = ['proxy', 'server', 'invoice', 'lorem', 'ipsum', 'dolor', 'configuration'];
    let text = 'Corporate networks ';
    while (text.length < 10_000) text += `${words[text.length % words.length]} `;
    text = text.slice(0, 10_000);
    const hits = t.kb.search({text, limit: 5});
    expect(hits.length).toBeGreaterThan(0);
    expect(t.kb.search({text: 'x'.repeat(10_000), limit: 5})).toEqual([]);
    expect(t.kb.search({text: 'a '.repeat(5_000), limit: 5})).toEqual([]);
    expect(t.kb.search({text: '"'.repeat(10_000), limit: 5})).toEqual([]);
  });

  test('a bad locale is a usage error', () => {
    expect(() => t.kb.search({text: 'proxy', limit: 5, locale: 'fr' as 'en'})).toThrow(UsageError);
  });
});

describe('store', () => {
  test('upsert by slug updates in place and never duplicates', () => {
    const before = t.kb.get('billing');
    expect(t.kb.upsert({...ARTICLES[7]!}).outcome).toBe('unchanged');
    const result = t.kb.upsert({...ARTICLES[7]!, title: 'Invoices and receipts', body: 'Receipts are emailed monthly.'});
    expect(result.outcome).toBe('updated');
    expect(result.article.id).toBe(before.id);
    expect(t.kb.count()).toBe(ARTICLES.length);
    expect(slugs('receipts')).toEqual(['billing']);
    expect(slugs('reseller')).toEqual([]);
  });

  test('get by id or slug, and a clear not-found error', () => {
    const bySlug = t.kb.get('sign-in');
    expect(t.kb.get(bySlug.id)).toEqual(bySlug);
    expect(bySlug).toMatchObject({slug: 'sign-in', title: 'Sign-in problems', locale: 'en', tags: ['login']});
    expect(bySlug.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(() => t.kb.get('no-such-article')).toThrow(NotFoundError);
    expect(() => t.kb.get('99999')).toThrow(NotFoundError);
  });

  test('changes since a sequence number list writes and deletions in order, page by page', () => {
    const all = t.kb.changes(0, 100);
    expect(all.articles).toHaveLength(ARTICLES.length);
    expect(all.more).toBe(false);
    const mark = all.seq;
    expect(t.kb.changes(mark)).toEqual({articles: [], deleted: [], seq: mark, more: false});

    t.kb.upsert({...ARTICLES[0]!, body: 'Changed body.'});
    const deleted = t.kb.delete('rate-limits');
    const next = t.kb.changes(mark);
    expect(next.articles.map((a) => a.slug)).toEqual(['proxy-setup']);
    expect(next.deleted).toEqual([{id: deleted.id, slug: 'rate-limits', deletedAt: expect.any(String)}]);
    expect(slugs('requests')).toEqual([]);

    const pages: string[] = [];
    let seq = 0;
    for (;;) {
      const page = t.kb.changes(seq, 3);
      pages.push(...page.articles.map((a) => a.slug), ...page.deleted.map((d) => `-${d.slug}`));
      seq = page.seq;
      if (!page.more) break;
    }
    expect(pages).toHaveLength(ARTICLES.length);
    expect(pages).toContain('-rate-limits');
  });

  test('re-creating a deleted slug clears its tombstone', () => {
    t.kb.delete('billing');
    t.kb.upsert(ARTICLES[7]!);
    expect(t.kb.changes(0, 100).deleted).toEqual([]);
  });

  test('articles that cannot be stored are refused', () => {
    expect(() => t.kb.upsert({slug: 'Bad Slug', locale: 'en', title: 'x', body: 'y'})).toThrow(UsageError);
    expect(() => t.kb.upsert({slug: 'ok', locale: 'fr' as 'en', title: 'x', body: 'y'})).toThrow(UsageError);
    expect(() => t.kb.upsert({slug: 'ok', locale: 'en', title: ' ', body: 'y'})).toThrow(UsageError);
    expect(t.kb.count()).toBe(ARTICLES.length);
  });
});
