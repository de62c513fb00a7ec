import {afterAll, beforeAll, expect, it} from 'vitest';

import {startJsmFake, type JsmFake} from '../vendors/jsm/fake.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

let fake: JsmFake;
let dirs: Sandbox;
beforeAll(async () => {
  fake = await startJsmFake();
  dirs = sandbox();
});
afterAll(async () => {
  expect(fake.server.violations).toEqual([]);
  await fake.close();
  dirs.cleanup();
});

it('the built CLI works a Jira Service Management request and reads its knowledge base with --profile it', async () => {
  const env = dirs.env;
  const cli = (args: string[], input?: string) => runBin(args, {env, stdin: input});
  expect((await cli(['profile', 'add', 'it', '--backend', 'jsm', '--url', fake.url, '--email', 'alice@acme.test', '--option', 'service-desk=ITSM', '--option', 'request-type=Get IT help'])).exitCode).toBe(0);
  const login = await cli(['auth', 'login', '--profile', 'it', '--with-token'], 'alice-api-token\n');
  expect(login.stderr).toContain('Logged in to it as alice@acme.test');
  const id = (await cli(['ticket', 'create', '--profile', 'it', '--title', 'Login fails with 502', '--body', 'Since 9:00 every login returns 502.', '--no-input'])).stdout.trim();
  expect(id).toMatch(/^ITSM-\d+$/);
  const view = await cli(['ticket', 'view', id, '--profile', 'it', '--json']);
  expect(JSON.parse(view.stdout)).toMatchObject({id, title: 'Login fails with 502', requester: 'alice@acme.test', status: 'new'});
  const closed = await cli(['ticket', 'close', id, '--profile', 'it']);
  expect(closed.exitCode).toBe(0);
  const article = fake.addArticle({title: 'Login returns 502', html: '<p>Clear the <code>session</code> cookie.</p>'});
  const kb = await cli(['kb', 'view', article.pageId, '--profile', 'it']);
  expect(kb.stdout).toContain('Clear the `session` cookie.');
  const status = await cli(['auth', 'status', '--profile', 'it']);
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toContain('alice@acme.test\tatlassian');
});
