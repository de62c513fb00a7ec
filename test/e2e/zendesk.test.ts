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
  const status = await cli(['auth', 'status', '--profile', 'work']);
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toContain('alice@acme.test\tadmin');
});
