import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import type {Backend} from '../../src/backends/backend.js';
import KbImport, {type KbImportResult} from '../../src/commands/kb/import.js';
import KbSearch, {type KbSearchResult} from '../../src/commands/kb/search.js';
import KbSync from '../../src/commands/kb/sync.js';
import KbView from '../../src/commands/kb/view.js';
import type {Article} from '../../src/domain/article.js';
import {UnsupportedError} from '../../src/domain/errors.js';
import type {KbSyncResult} from '../../src/services/kb.js';
import {requireKb} from '../../src/services/kb.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';
import {api} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

// eslint-disable-next-line no-control-regex -- control characters are what these tests look for
const CONTROL = /[\u0000-\u0008\u000B-\u001F]/;

const article = (slug: string, title: string, body: string, extra = '') => `---\ntitle: ${title}\nslug: ${slug}\ntags: [howto, network]\nlocale: en\n${extra}---\n\n${body}\n`;

for (const kind of ['local', 'rest'] as const) {
  describe(`kb commands on ${kind}`, () => {
    let box: Sandbox;
    let server: TestServer | undefined;
    let env: Record<string, string>;
    let adminToken = '';

    beforeEach(async () => {
      box = sandbox();
      env = {...box.env};
      if (kind === 'rest') {
        server = await startTestServer(box.dir);
        adminToken = await server.token('admin', 'root');
        env = {...env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: adminToken};
      }
    });
    afterEach(async () => {
      await server?.close();
      server = undefined;
      box.cleanup();
    });

    const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
      runCommand<T>(cmd, argv, {...options, env: {...env, ...options.env}});

    const writeArticles = (files: Record<string, string | Buffer>) => {
      const dir = join(box.dir, `articles-${Math.random().toString(36).slice(2)}`);
      mkdirSync(dir);
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      return dir;
    };

    it('searches the built-in articles on a fresh machine and prints exactly the documented JSON', async () => {
      const r = await run(KbSearch, ['proxy', 'setup', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const result = parseJson<KbSearchResult>(r.stdout);
      expect(Object.keys(result)).toEqual(['query', 'hits']);
      expect(result.query).toBe('proxy setup');
      expect(result.hits.length).toBeGreaterThan(0);
      for (const hit of result.hits) {
        expect(Object.keys(hit).sort()).toEqual(['id', 'locale', 'score', 'snippet', 'tags', 'title', 'url']);
        expect(hit.snippet).not.toMatch(CONTROL);
      }
      expect(result.hits.map((h) => h.title).join('\n')).toMatch(/proxy/i);
    });

    it('prints tab-separated rows without marks when piped, and bold matches on a terminal', async () => {
      const piped = await run(KbSearch, ['proxy', '--limit', '2']);
      expect(piped.exitCode, piped.stderr).toBe(0);
      const rows = piped.stdout.trim().split('\n');
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.split('\t')).toHaveLength(6);
        expect(row).not.toMatch(CONTROL);
      }
      const tty = await run(KbSearch, ['proxy', '--limit', '2'], {tty: true});
      expect(tty.stdout).toContain('\u001B[1m');
      expect(tty.stdout.toLowerCase()).toContain('\u001B[1mproxy\u001B[22m');
      expect(tty.stdout).not.toContain('\u0001');
      expect(tty.stdout).not.toContain('\u0002');
      const noColor = await run(KbSearch, ['proxy', '--limit', '2', '--no-color'], {tty: true});
      expect(noColor.stdout).not.toMatch(CONTROL);
    });

    it("puts the user's language first (--locale, else LC_ALL, LC_MESSAGES, LANG, else English) and still finds the other", async () => {
      const noLocale = {LC_ALL: undefined, LC_MESSAGES: undefined, LANG: undefined};
      const locales = async (argv: string[], localeEnv: Record<string, string | undefined>) => {
        const r = await run(KbSearch, ['proxy', ...argv, '--json'], {env: {...noLocale, ...localeEnv}});
        expect(r.exitCode, r.stderr).toBe(0);
        return parseJson<KbSearchResult>(r.stdout).hits.map((h) => h.locale);
      };
      const german = await locales(['--locale', 'de'], {});
      expect(german[0]).toBe('de');
      expect(german).toContain('en');
      const english = await locales([], {});
      expect(english[0]).toBe('en');
      expect(english).toContain('de');
      expect((await locales([], {LANG: 'de_DE.UTF-8'}))[0]).toBe('de');
      expect((await locales([], {LANG: 'de_DE.UTF-8', LC_MESSAGES: 'C'}))[0]).toBe('en');
      expect((await locales([], {LANG: 'en_GB.UTF-8', LC_ALL: 'de_AT.UTF-8'}))[0]).toBe('de');
      expect((await locales([], {LANG: 'fr_FR.UTF-8'}))[0]).toBe('en');
      expect((await locales(['--locale', 'en'], {LC_ALL: 'de_DE.UTF-8'}))[0]).toBe('en');
    });

    it('filters by tag, and caps the hits with --limit', async () => {
      const tagged = parseJson<KbSearchResult>((await run(KbSearch, ['proxy', '--tag', 'netzwerk', '--json'])).stdout);
      expect(tagged.hits.every((h) => h.tags.includes('netzwerk'))).toBe(true);
      expect(parseJson<KbSearchResult>((await run(KbSearch, ['proxy', '--limit', '1', '--json'])).stdout).hits).toHaveLength(1);
    });

    it.each([[['']], [['   ']], [[]]])('refuses an empty query %j with exit 2', async (argv) => {
      const r = await run(KbSearch, argv);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });

    it('treats FTS syntax in the query as text', async () => {
      for (const q of ['"proxy', 'proxy NEAR login', 'prox*', '-proxy', 'title:proxy', 'proxy AND OR NOT', '"" * - : ( )']) {
        // A leading - would be a flag: after --, it is the query.
        const r = await run(KbSearch, ['--json', '--', q]);
        expect(r.exitCode, `${q}: ${r.stderr}`).toBe(0);
        expect(parseJson<KbSearchResult>(r.stdout).query).toBe(q);
      }
      expect(parseJson<KbSearchResult>((await run(KbSearch, ['title:proxy', '--json'])).stdout).hits.length).toBeGreaterThan(0);
    });

    it('finds nothing, and exits 0, for a query of only stop words or punctuation', async () => {
      for (const q of ['the and of', 'der die das und', '?!... ---']) {
        const r = await run(KbSearch, [q, '--json']);
        expect(r.exitCode).toBe(0);
        expect(parseJson<KbSearchResult>(r.stdout).hits).toEqual([]);
      }
      const human = await run(KbSearch, ['the and of'], {tty: true});
      expect(human.stderr).toContain('No articles match');
    });

    it('answers a 10,000-character query', async () => {
      const q = `proxy ${'x'.repeat(20)} `.repeat(400).slice(0, 10_000);
      expect(q).toHaveLength(10_000);
      const r = await run(KbSearch, [q, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(parseJson<KbSearchResult>(r.stdout).hits.length).toBeGreaterThan(0);
    });

    it('imports Markdown files, updates them on re-import without duplicates, and views them', async () => {
      const dir = writeArticles({
        'vpn.md': article('vpn-split-tunnel', 'Split tunnelling with the quuxvpn client', 'Enable split tunnelling in the **quuxvpn** settings.\n\n## Steps\n\n1. Open settings\n2. Choose *Network*\n\n```sh\nquuxvpn --split\n```\n\nSee [the guide](https://example.com/vpn).'),
        'nested.md': article('quux-reset', 'Reset quuxvpn', 'Run the reset.'),
      });
      const first = await run<KbImportResult>(KbImport, [dir, '--json']);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(parseJson<KbImportResult>(first.stdout)).toEqual({created: ['quux-reset', 'vpn-split-tunnel'], updated: [], unchanged: [], failed: []});

      writeFileSync(join(dir, 'nested.md'), article('quux-reset', 'Reset quuxvpn', 'Run the reset twice.'));
      const again = await run(KbImport, [dir]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stderr).toContain('0 new, 1 updated, 1 unchanged');
      const hits = parseJson<KbSearchResult>((await run(KbSearch, ['quuxvpn', '--json'])).stdout).hits;
      expect(hits.map((h) => h.title).sort()).toEqual(['Reset quuxvpn', 'Split tunnelling with the quuxvpn client']);

      const json = parseJson<Article>((await run(KbView, ['vpn-split-tunnel', '--json'])).stdout);
      expect(json).toMatchObject({slug: 'vpn-split-tunnel', title: 'Split tunnelling with the quuxvpn client', tags: ['howto', 'network'], locale: 'en'});
      const byId = parseJson<Article>((await run(KbView, [json.id, '--json'])).stdout);
      expect(byId).toEqual(json);

      const raw = await run(KbView, ['vpn-split-tunnel', '--raw']);
      expect(raw.stdout).toBe(`${json.body.trimEnd()}\n`);
      const piped = await run(KbView, ['vpn-split-tunnel']);
      expect(piped.stdout).toMatch(/^id:\t\d+\nslug:\tvpn-split-tunnel\ntitle:\t/);
      expect(piped.stdout).toContain('--\nEnable split tunnelling');

      const tty = await run(KbView, ['vpn-split-tunnel', '--no-pager', '--no-color'], {tty: true});
      expect(tty.exitCode, tty.stderr).toBe(0);
      expect(tty.stdout).toContain('Steps\n-----');
      expect(tty.stdout).toContain('1. Open settings');
      expect(tty.stdout).toContain('    quuxvpn --split');
      expect(tty.stdout).toContain('the guide (https://example.com/vpn)');
      expect(tty.stdout).not.toContain('```');
      expect(tty.stdout).not.toContain('**');
    });

    it('reports a file with invalid YAML by name and line, a binary file by name, imports the rest, and exits 1', async () => {
      const dir = writeArticles({
        'a-good.md': article('good-one', 'Good one', 'Fine text about frobnicators.'),
        'b-bad.md': '---\ntitle: Broken\ntags: [one, two\nlocale: en\n---\n\nBody.\n',
        'c-good.md': article('good-two', 'Good two', 'More text about frobnicators.'),
      });
      const binary = join(box.dir, 'image.md');
      writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
      const r = await run(KbImport, [dir, binary]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('Imported 2 articles: 2 new');
      expect(r.stderr).toMatch(/b-bad\.md:[345]: the front matter is not valid YAML/);
      expect(r.stderr).toContain(`${binary}: is a binary file`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const found = parseJson<KbSearchResult>((await run(KbSearch, ['frobnicators', '--json'])).stdout);
      expect(found.hits).toHaveLength(2);

      const json = await run(KbImport, [dir, binary, '--json']);
      expect(json.exitCode).toBe(1);
      const report = parseJson<KbImportResult>(json.stdout);
      expect(report.unchanged.sort()).toEqual(['good-one', 'good-two']);
      expect(report.failed.map((f) => f.file).sort()).toEqual([binary, join(dir, 'b-bad.md')].sort());
      expect(report.failed.find((f) => f.file.endsWith('b-bad.md'))!.line).toBeGreaterThanOrEqual(3);
    });

    it('says that an article does not exist with exit 3', async () => {
      const r = await run(KbView, ['no-such-article']);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain('no-such-article');
    });

    if (kind === 'local') {
      it('pages an article longer than the screen through $PAGER on a terminal, and not with --no-pager', async () => {
        const long = Array.from({length: 60}, (_, i) => `- Step ${i + 1} of the long procedure.`).join('\n');
        const dir = writeArticles({'long.md': article('long-one', 'A long procedure', long)});
        expect((await run(KbImport, [dir])).exitCode).toBe(0);
        const paged = join(box.dir, 'paged.txt');
        const pagerEnv = {PAGER: `cat > '${paged}'`, NO_COLOR: '1'};
        const viaPager = await run(KbView, ['long-one'], {tty: true, env: pagerEnv});
        expect(viaPager.exitCode, viaPager.stderr).toBe(0);
        expect(viaPager.stdout).toBe('');
        const {readFileSync} = await import('node:fs');
        expect(readFileSync(paged, 'utf8')).toContain('• Step 60 of the long procedure.');
        const direct = await run(KbView, ['long-one', '--no-pager'], {tty: true, env: pagerEnv});
        expect(direct.stdout).toContain('• Step 60 of the long procedure.');
      });

      it('has nothing to sync, and --offline searches the store itself', async () => {
        const sync = await run(KbSync, []);
        expect(sync.exitCode).toBe(2);
        expect(sync.stderr).toContain('nothing to sync');
        const offline = await run(KbSearch, ['proxy', '--offline', '--json']);
        expect(offline.exitCode, offline.stderr).toBe(0);
        expect(parseJson<KbSearchResult>(offline.stdout).hits.length).toBeGreaterThan(0);
      });
    }

    if (kind === 'rest') {
      it('refuses an import with a token that is not an admin’s, naming what is needed', async () => {
        const dir = writeArticles({'x.md': article('agent-try', 'Agent try', 'Text.')});
        const r = await run(KbImport, [dir], {env: {SUPPORT_TOKEN: await server!.token('agent', 'alice')}});
        expect(r.exitCode).toBe(5);
        expect(r.stderr).toMatch(/admin token/);
      });

      it('syncs for offline search: everything first, then only what changed, deletions included', async () => {
        const agent = {SUPPORT_TOKEN: await server!.token('customer', 'carol')};
        const before = await run(KbSearch, ['proxy', '--offline'], {env: agent});
        expect(before.exitCode).toBe(1);
        expect(before.stderr).toContain('support kb sync');

        const dir = writeArticles({
          'keep.md': article('keep-me', 'Keep the wobblefrotz', 'The wobblefrotz stays.'),
          'drop.md': article('drop-me', 'Drop the wobblefrotz', 'The wobblefrotz goes.'),
        });
        expect((await run(KbImport, [dir])).exitCode).toBe(0);

        const first = await run<KbSyncResult>(KbSync, ['--json'], {env: agent});
        expect(first.exitCode, first.stderr).toBe(0);
        const firstResult = parseJson<KbSyncResult>(first.stdout);
        expect(firstResult).toMatchObject({full: true, updated: 0, deleted: 0});
        expect(firstResult.created).toBe(firstResult.articles);
        expect(firstResult.articles).toBeGreaterThanOrEqual(12);

        const online = parseJson<KbSearchResult>((await run(KbSearch, ['wobblefrotz', '--json'], {env: agent})).stdout);
        // The server is gone for the offline search: it must not be asked.
        await server!.close();
        const offline = parseJson<KbSearchResult>((await run(KbSearch, ['wobblefrotz', '--offline', '--json'], {env: agent})).stdout);
        expect(offline.hits.map((h) => [h.id, h.title])).toEqual(online.hits.map((h) => [h.id, h.title]));
        const viewed = parseJson<Article>((await run(KbView, [offline.hits[0]!.id, '--offline', '--json'], {env: agent})).stdout);
        expect(viewed.id).toBe(offline.hits[0]!.id);

        // The same address: a cache belongs to one server, and a profile pointed elsewhere starts afresh.
        const port = Number(new URL(env.SUPPORT_URL!).port);
        server = await startTestServer(box.dir, {port});
        const admin = await server.token('admin', 'root2');
        writeFileSync(join(dir, 'keep.md'), article('keep-me', 'Keep the wobblefrotz', 'The wobblefrotz stays, changed.'));
        expect((await run(KbImport, [dir], {env: {SUPPORT_URL: server.url, SUPPORT_TOKEN: admin}})).exitCode).toBe(0);
        expect((await api(server.url, 'DELETE', '/v1/kb/articles/drop-me', {token: admin})).status).toBe(204);

        const second = await run<KbSyncResult>(KbSync, ['--json'], {env: {SUPPORT_URL: server.url, ...agent}});
        expect(second.exitCode, second.stderr).toBe(0);
        expect(parseJson<KbSyncResult>(second.stdout)).toMatchObject({full: false, created: 0, updated: 1, deleted: 1, articles: firstResult.articles - 1});
        const after = parseJson<KbSearchResult>((await run(KbSearch, ['wobblefrotz', '--offline', '--json'], {env: {SUPPORT_URL: server.url, ...agent}})).stdout);
        expect(after.hits.map((h) => h.title)).toEqual(['Keep the wobblefrotz']);
        expect(after.hits[0]!.snippet).toContain('changed');

        const third = await run(KbSync, [], {env: {SUPPORT_URL: server.url, ...agent}});
        expect(third.stderr).toContain('Already up to date');
      });

      it('treats an offline copy cut short as no copy, and the next sync builds it again', async () => {
        const agent = {SUPPORT_TOKEN: await server!.token('customer', 'dora')};
        const dir = writeArticles({'cut.md': article('cut-short', 'The quibblewick guide', 'Quibblewick steps.')});
        expect((await run(KbImport, [dir])).exitCode).toBe(0);
        expect((await run(KbSync, [], {env: agent})).exitCode).toBe(0);
        // A full disk or a failed copy leaves the cache's database empty.
        writeFileSync(join(env.SUPPORT_CACHE_DIR!, 'kb', 'default', 'support.db'), '');

        const offline = await run(KbSearch, ['quibblewick', '--offline'], {env: agent});
        expect(offline.exitCode).toBe(1);
        expect(offline.stderr).toContain('support kb sync');

        const sync = await run<KbSyncResult>(KbSync, ['--json'], {env: agent});
        expect(sync.exitCode, sync.stderr).toBe(0);
        expect(parseJson<KbSyncResult>(sync.stdout)).toMatchObject({full: true});
        const again = parseJson<KbSearchResult>((await run(KbSearch, ['quibblewick', '--offline', '--json'], {env: agent})).stdout);
        expect(again.hits.map((h) => h.title)).toEqual(['The quibblewick guide']);
      });
    }
  });
}

describe('a backend without a knowledge base', () => {
  it('says so in one sentence', () => {
    const github = {kind: 'github', capabilities: new Set(['tickets'])} as unknown as Backend;
    const error = (() => {
      try {
        return requireKb(github);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toBe('The github backend has no knowledge base.');
  });
});
