import {afterAll, beforeAll, expect, it} from 'vitest';

import {startGithubFake, type GithubFake} from '../vendors/github/fake.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

let fake: GithubFake;
let dirs: Sandbox;
beforeAll(async () => {
  fake = await startGithubFake();
  dirs = sandbox();
});
afterAll(async () => {
  expect(fake.server.violations).toEqual([]);
  await fake.close();
  dirs.cleanup();
});

it('the built CLI works a repository’s issues with --profile oss and a token from the environment', async () => {
  // An Enterprise Server's variable, since the fake is not github.com; no gh on PATH to ask.
  const env = {...dirs.env, GH_ENTERPRISE_TOKEN: 'alice-token', PATH: '/nonexistent'};
  const cli = (args: string[], input?: string) => runBin(args, {env, stdin: input});
  expect((await cli(['profile', 'add', 'oss', '--backend', 'github', '--repo', 'acme/support', '--url', fake.url])).exitCode).toBe(0);
  const status = await cli(['auth', 'status', '--profile', 'oss']);
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toContain('alice\tadmin');
  expect(status.stdout).toContain('GH_ENTERPRISE_TOKEN');
  const id = (await cli(['ticket', 'create', '--profile', 'oss', '--title', 'Crash on start', '--body', 'Since 2.4.0 it segfaults.', '--priority', 'high', '--tag', 'crash', '--no-input'])).stdout.trim();
  expect(id).toMatch(/^\d+$/);
  const list = await cli(['ticket', 'list', '--profile', 'oss', '--tag', 'crash', '--json']);
  expect(JSON.parse(list.stdout)).toMatchObject({tickets: [{id, title: 'Crash on start', priority: 'high', tags: ['crash'], requester: 'alice', status: 'new'}], nextCursor: null});
  const attach = await cli(['diag', 'attach', './none.tar.gz', '--ticket', id, '--profile', 'oss']);
  expect(attach.exitCode).toBe(1);
  expect(attach.stderr).toContain(`${fake.url}/acme/support/issues/${id}`);
});
