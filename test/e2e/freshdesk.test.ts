import {afterAll, beforeAll, expect, it} from 'vitest';

import {startFreshdeskFake, type FreshdeskFake} from '../vendors/freshdesk/fake.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

let fake: FreshdeskFake;
let dirs: Sandbox;
beforeAll(async () => {
  fake = await startFreshdeskFake();
  dirs = sandbox();
});
afterAll(async () => {
  expect(fake.server.violations).toEqual([]);
  await fake.close();
  dirs.cleanup();
});

it('the built CLI works a Freshdesk ticket and reads its solution articles with --profile fd', async () => {
  const env = dirs.env;
  const cli = (args: string[], input?: string) => runBin(args, {env, stdin: input});
  expect((await cli(['profile', 'add', 'fd', '--backend', 'freshdesk', '--url', fake.url])).exitCode).toBe(0);
  const login = await cli(['auth', 'login', '--profile', 'fd', '--with-token'], 'alice-api-key\n');
  expect(login.stderr).toContain('Logged in to fd as alice@acme.test');
  const id = (await cli(['ticket', 'create', '--profile', 'fd', '--title', 'Login fails with 502', '--body', 'Since 9:00 every login returns 502.', '--priority', 'urgent', '--no-input'])).stdout.trim();
  expect(id).toMatch(/^\d+$/);
  const view = await cli(['ticket', 'view', id, '--profile', 'fd', '--json']);
  expect(JSON.parse(view.stdout)).toMatchObject({id, title: 'Login fails with 502', body: 'Since 9:00 every login returns 502.', requester: 'alice@acme.test', status: 'new', priority: 'urgent'});
  const listed = await cli(['ticket', 'list', '--profile', 'fd', '--status', 'new', '--json']);
  expect((JSON.parse(listed.stdout) as {tickets: {id: string}[]}).tickets.map((t) => t.id)).toContain(id);
  const article = fake.addArticle({title: 'Login returns 502', description: '<p>Clear the <code>session</code> cookie.</p>', language: 'en', tags: []});
  const kb = await cli(['kb', 'view', String(article.id), '--profile', 'fd', '--raw']);
  expect(kb.stdout).toBe('Clear the `session` cookie.\n');
  const status = await cli(['auth', 'status', '--profile', 'fd']);
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toContain('alice@acme.test\tsupport_agent');
});
