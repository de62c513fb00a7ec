import {afterAll, beforeAll, expect, it} from 'vitest';

import {startZendeskFake, type ZendeskFake} from '../vendors/zendesk/fake.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

let fake: ZendeskFake;
let dirs: Sandbox;
beforeAll(async () => {
  fake = await startZendeskFake();
  dirs = sandbox();
});
afterAll(async () => {
  expect(fake.server.violations).toEqual([]);
  await fake.close();
  dirs.cleanup();
});

it('the built CLI works a Zendesk ticket and reads its Help Center with --profile work', async () => {
  const env = dirs.env;
  const cli = (args: string[], input?: string) => runBin(args, {env, stdin: input});
  expect((await cli(['profile', 'add', 'work', '--backend', 'zendesk', '--url', fake.url, '--email', 'alice@acme.test'])).exitCode).toBe(0);
  const login = await cli(['auth', 'login', '--profile', 'work', '--with-token'], 'alice-api-token\n');
  expect(login.stderr).toContain('Logged in to work as alice@acme.test');
  const id = (await cli(['ticket', 'create', '--profile', 'work', '--title', 'Login fails with 502', '--body', 'Since 9:00 every login returns 502.', '--no-input'])).stdout.trim();
  expect(id).toMatch(/^\d+$/);
  const view = await cli(['ticket', 'view', id, '--profile', 'work', '--json']);
  expect(JSON.parse(view.stdout)).toMatchObject({id, title: 'Login fails with 502', requester: 'alice@acme.test', status: 'new'});
  const article = fake.addArticle({title: 'Login returns 502', body: '<p>Clear the <code>session</code> cookie.</p>', locale: 'en-us', label_names: []});
  const kb = await cli(['kb', 'view', String(article.id), '--profile', 'work', '--raw']);
  expect(kb.stdout).toBe('Clear the `session` cookie.\n');
  // An offline copy of the Help Center: kb sync, kb search --offline, and a second sync after
  // one article was edited and another archived in Guide.
  const archived = fake.addArticle({title: 'Legacy VPN client', body: '<p>Use the old client.</p>', locale: 'en-us', label_names: []});
  const sync = await cli(['kb', 'sync', '--profile', 'work']);
  expect(sync.exitCode).toBe(0);
  expect(sync.stderr).toContain('Copied 2 articles for offline search.');
  const offline = await cli(['kb', 'search', 'session', 'cookie', '--offline', '--profile', 'work', '--json']);
  expect(JSON.parse(offline.stdout).hits.map((h: {id: string}) => h.id)).toEqual([String(article.id)]);
  fake.editArticle(article.id, {body: '<p>Clear the <code>session</code> cookie, then sign in again.</p>'});
  fake.archiveArticle(archived.id);
  const again = await cli(['kb', 'sync', '--profile', 'work']);
  expect(again.exitCode).toBe(0);
  expect(again.stderr).toContain('Synced: 0 new, 1 updated, 1 deleted (1 article).');
  expect((await cli(['kb', 'view', String(article.id), '--offline', '--profile', 'work', '--raw'])).stdout).toBe('Clear the `session` cookie, then sign in again.\n');
  const status = await cli(['auth', 'status', '--profile', 'work']);
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toContain('alice@acme.test\tadmin');
});
