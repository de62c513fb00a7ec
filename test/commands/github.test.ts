import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';

import {findGithubToken} from '../../src/backends/github/token.js';
import AuthLogin from '../../src/commands/auth/login.js';
import AuthStatusCommand, {type AuthStatusResult} from '../../src/commands/auth/status.js';
import AuthToken from '../../src/commands/auth/token.js';
import DiagAttach from '../../src/commands/diag/attach.js';
import DiagCollect from '../../src/commands/diag/collect.js';
import KbSearch from '../../src/commands/kb/search.js';
import ProfileAdd from '../../src/commands/profile/add.js';
import ProfileList, {type ProfileListResult} from '../../src/commands/profile/list.js';
import SlaStatus from '../../src/commands/sla/status.js';
import TicketBulkCreate from '../../src/commands/ticket/bulk/create.js';
import TicketBulkUpdate from '../../src/commands/ticket/bulk/update.js';
import TicketClose from '../../src/commands/ticket/close.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketExport from '../../src/commands/ticket/export.js';
import TicketList from '../../src/commands/ticket/list.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import TicketView from '../../src/commands/ticket/view.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';
import {startGithubFake, type GithubFake} from '../vendors/github/fake.js';

let fake: GithubFake;
let box: Sandbox;
beforeAll(async () => {
  fake = await startGithubFake();
});
afterAll(async () => {
  // Every request the CLI sent, and every answer, fit GitHub's description.
  expect(fake.server.violations).toEqual([]);
  await fake.close();
});
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

/** A PATH with no gh on it, so that a gh on the developer's machine is never asked. */
const noGh = () => {
  const dir = join(box.dir, 'empty-bin');
  mkdirSync(dir, {recursive: true});
  return dir;
};

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: {stdin?: string; env?: Record<string, string | undefined>} = {}) =>
  runCommand<T>(cmd, argv, {stdin: options.stdin, env: {PATH: noGh(), ...box.env, ...options.env} as Record<string, string>});

const addProfile = (...extra: string[]) => run(ProfileAdd, ['oss', '--backend', 'github', '--repo', 'acme/support', '--url', fake.url, ...extra]);

/** `support profile add oss --backend github --repo ...` and `support auth login --with-token`, as the README says. */
async function logIn(token = 'alice-token') {
  expect((await addProfile()).exitCode).toBe(0);
  const login = await run(AuthLogin, ['--profile', 'oss', '--with-token'], {stdin: `${token}\n`});
  expect(login.stderr).toContain('Logged in to oss as alice');
  expect(login.exitCode).toBe(0);
}

describe('profiles for github', () => {
  it('stores the repository, the API root of an Enterprise Server, and the label options', async () => {
    expect((await run(ProfileAdd, ['gh', '--backend', 'github', '--repo', 'octo-org/widgets'])).exitCode).toBe(0);
    const added = await run(ProfileAdd, ['ghe', '--backend', 'github', '--repo', 'platform/tools.git', '--url', 'https://github.example.com/api/v3/', '--option', 'priority-labels=high=P1,urgent=P0']);
    expect(added.exitCode).toBe(0);
    expect(added.stderr).toContain('support auth login --profile ghe');
    const listed = parseJson<ProfileListResult>((await run(ProfileList, ['--json'])).stdout);
    expect(listed.profiles.find((p) => p.name === 'gh')).toMatchObject({backend: 'github', url: null, repo: 'octo-org/widgets', email: null});
    expect(listed.profiles.find((p) => p.name === 'ghe')).toMatchObject({url: 'https://github.example.com/api/v3', repo: 'platform/tools', options: {'priority-labels': 'high=P1,urgent=P0'}});
  });

  it.each([
    [['w', '--backend', 'github'], 'The github backend needs a repository.', '--repo OWNER/NAME'],
    [['w', '--backend', 'github', '--repo', 'widgets'], '"widgets" is not a repository name.', 'owner/name'],
    [['w', '--backend', 'github', '--repo', 'a/b', '--email', 'a@b.co'], 'The github backend takes no --email.', 'Leave --email out'],
    [['w', '--backend', 'zendesk', '--url', 'https://acme.zendesk.com', '--repo', 'a/b'], 'The zendesk backend takes no --repo.', 'Leave --repo out'],
    [['w', '--backend', 'github', '--repo', 'a/b', '--url', 'http://github.example.com/api/v3'], 'The github backend needs an https:// URL', 'https://'],
    [['w', '--backend', 'github', '--repo', 'a/b', '--option', 'labels=x'], '"labels" is not an option of the github backend.', 'priority-labels (e.g. priority-labels=high=P1,urgent=P0)'],
  ])('refuses %j with a sentence and a hint (exit 2)', async (argv, message, hint) => {
    const r = await run(ProfileAdd, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
  });
});

describe('tokens for github', () => {
  it('checks a token before storing it; auth status says who you are, your role, and where the token comes from', async () => {
    await logIn();
    const status = await run<AuthStatusResult>(AuthStatusCommand, ['--profile', 'oss', '--json']);
    expect(status.exitCode).toBe(0);
    expect(parseJson<AuthStatusResult>(status.stdout).profiles[0]).toMatchObject({backend: 'github', state: 'ok', user: 'alice', role: 'agent', backendRole: 'admin', account: `${new URL(fake.url).host}/acme/support`, tokenSource: 'file', tokenOrigin: 'file'});
    expect(`${status.stdout}${status.stderr}`).not.toContain('alice-token');
  });

  it('uses GH_ENTERPRISE_TOKEN for an Enterprise Server when none is stored, and says so', async () => {
    expect((await addProfile()).exitCode).toBe(0);
    const status = await run(AuthStatusCommand, ['--profile', 'oss'], {env: {GH_ENTERPRISE_TOKEN: 'bob-token', GH_TOKEN: 'alice-token'}});
    expect(status.exitCode).toBe(0);
    // A github.com token (GH_TOKEN) never goes to another host.
    expect(status.stdout).toBe(`oss\tgithub\t${fake.url}\tok\tbob\twrite\t${new URL(fake.url).host}/acme/support\t\tGH_ENTERPRISE_TOKEN\n`);
    expect((await run(AuthToken, ['--profile', 'oss'], {env: {GH_ENTERPRISE_TOKEN: 'bob-token'}})).stdout).toBe('bob-token\n');
  });

  it('asks gh for its token when nothing else has one, naming the host', async () => {
    expect((await addProfile()).exitCode).toBe(0);
    const bin = join(box.dir, 'bin');
    mkdirSync(bin);
    const asked = join(box.dir, 'gh-args');
    writeFileSync(join(bin, 'gh'), `#!/bin/sh\necho "$@" > "${asked}"\necho bob-token\n`);
    chmodSync(join(bin, 'gh'), 0o755);
    const status = await run<AuthStatusResult>(AuthStatusCommand, ['--profile', 'oss', '--json'], {env: {PATH: bin}});
    expect(parseJson<AuthStatusResult>(status.stdout).profiles[0]).toMatchObject({state: 'ok', user: 'bob', tokenSource: 'external', tokenOrigin: 'gh auth token'});
    expect(readFileSync(asked, 'utf8').trim()).toBe(`auth token --hostname ${new URL(fake.url).host}`);
    // A stored token wins over gh's.
    expect((await run(AuthLogin, ['--profile', 'oss', '--with-token'], {stdin: 'alice-token\n', env: {PATH: bin}})).exitCode).toBe(0);
    expect(parseJson<AuthStatusResult>((await run(AuthStatusCommand, ['--profile', 'oss', '--json'], {env: {PATH: bin}})).stdout).profiles[0]).toMatchObject({user: 'alice', tokenOrigin: 'file'});
  });

  it('says where it looked when no token is found anywhere, exit 4', async () => {
    expect((await addProfile()).exitCode).toBe(0);
    const status = await run(AuthStatusCommand, ['--profile', 'oss']);
    expect(status.exitCode).toBe(4);
    expect(status.stderr).toContain('oss: No token is stored for the profile "oss", and none was found in GH_TOKEN, GITHUB_TOKEN or `gh auth token`.');
    const list = await run(TicketList, ['--profile', 'oss']);
    expect(list.exitCode).toBe(4);
  });

  it('takes GH_TOKEN, then GITHUB_TOKEN, for github.com', async () => {
    const env = {PATH: noGh()};
    expect(await findGithubToken({}, {...env, GITHUB_TOKEN: 'b', GH_TOKEN: 'a'})).toEqual({token: 'a', source: 'env', origin: 'GH_TOKEN'});
    expect(await findGithubToken({url: 'https://api.github.com'}, {...env, GITHUB_TOKEN: 'b'})).toEqual({token: 'b', source: 'env', origin: 'GITHUB_TOKEN'});
    expect(await findGithubToken({url: 'https://github.example.com/api/v3'}, {...env, GH_TOKEN: 'a'})).toBeUndefined();
  });
});

describe('the README with --profile oss', () => {
  it('creates, lists, views, comments on, updates and closes issues', async () => {
    await logIn();
    const created = await run(TicketCreate, ['--profile', 'oss', '--title', 'Export broken', '--body', 'CSV export returns 500.', '--priority', 'high', '--type', 'incident', '--tag', 'export', '--json']);
    expect(created.exitCode).toBe(0);
    const id = parseJson<{id: string}>(created.stdout).id;
    expect(fake.issues.get(Number(id))!.labels).toHaveLength(3);
    const listed = await run(TicketList, ['--profile', 'oss', '--priority', 'high', '--tag', 'export']);
    expect(listed.stdout.split('\n').map((l) => l.split('\t')[0])).toContain(id);
    expect((await run(TicketComment, ['--profile', 'oss', id, '--body', 'Restarting fixed it.'])).exitCode).toBe(0);
    const internal = await run(TicketComment, ['--profile', 'oss', id, '--body', 'Customer on the old plan.', '--internal']);
    expect(internal.exitCode).toBe(1);
    expect(internal.stderr).toContain('The github backend cannot add internal comments.');
    expect((await run(TicketUpdate, ['--profile', 'oss', id, '--status', 'pending', '--assignee', 'bob', '--add-tag', 'vip', '--remove-tag', 'export'])).exitCode).toBe(0);
    const view = parseJson<{status: string; assignee: string; tags: string[]; comments: {body: string}[]}>((await run(TicketView, ['--profile', 'oss', id, '--json'])).stdout);
    expect(view).toMatchObject({status: 'pending', assignee: 'bob', tags: ['vip']});
    expect(view.comments.map((c) => c.body)).toEqual(['Restarting fixed it.']);
    expect((await run(TicketClose, ['--profile', 'oss', id])).exitCode).toBe(0);
    expect(fake.issues.get(Number(id))).toMatchObject({state: 'closed', state_reason: 'completed'});
  });

  it('exports issues, and a bulk update of the unedited export sends no change', async () => {
    await logIn();
    for (const title of ['Printer on fire', 'VPN drops']) await run(TicketCreate, ['--profile', 'oss', '--title', title, '--body', 'x', '--tag', 'hardware']);
    const exported = await run(TicketExport, ['--profile', 'oss', '--tag', 'hardware', '--format', 'jsonl']);
    expect(exported.exitCode).toBe(0);
    const file = join(box.dir, 'hardware.jsonl');
    writeFileSync(file, exported.stdout);
    const updatesBefore = fake.server.received('issues/update').length;
    const bulk = await run(TicketBulkUpdate, ['--profile', 'oss', '--input', file, '--json']);
    expect(bulk.exitCode).toBe(0);
    expect(parseJson<{succeeded: number}>(bulk.stdout).succeeded).toBe(2);
    expect(fake.server.received('issues/update').length).toBe(updatesBefore);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    rows[0]!.priority = 'urgent';
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    expect((await run(TicketBulkUpdate, ['--profile', 'oss', '--input', file, '--fresh', '--json'])).exitCode).toBe(0);
    const sent = fake.server.received('issues/update').slice(updatesBefore).map((r) => r.body);
    expect(sent).toEqual([{labels: ['hardware', 'priority: urgent']}]);
  });

  it('bulk-creates each row once, even when GitHub’s answer to a create is lost', async () => {
    await logIn();
    const file = join(box.dir, 'new.jsonl');
    writeFileSync(file, ['Printer jams', 'VPN drops', 'Disk full'].map((title) => JSON.stringify({title, body: 'x', tags: ['migrated']})).join('\n'));
    const before = fake.issues.size;
    fake.server.inject({match: (r) => r.operationId === 'issues/create' && (r.body as {title?: string}).title === 'VPN drops', fault: {kind: 'commit-then-drop'}});
    const looks = () => fake.server.received('issues/list-for-repo').filter((r) => r.query.creator === 'alice').length;
    const looked = looks();
    const bulk = await run(TicketBulkCreate, ['--profile', 'oss', '--input', file, '--json']);
    expect(bulk.exitCode).toBe(0);
    expect(parseJson<{succeeded: number}>(bulk.stdout).succeeded).toBe(3);
    expect(fake.issues.size).toBe(before + 3);
    // Once for markers before the first create, once more after the lost answer.
    expect(looks() - looked).toBe(2);
    // A rerun does nothing twice.
    expect((await run(TicketBulkCreate, ['--profile', 'oss', '--input', file, '--json'])).exitCode).toBe(0);
    expect(fake.issues.size).toBe(before + 3);
    const titles = [...fake.issues.values()].slice(-3).map((i) => i.title);
    expect(titles.sort()).toEqual(['Disk full', 'Printer jams', 'VPN drops']);
  });

  it('writes a bundle for an issue and says where to put it; diag attach says GitHub takes no files', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'oss', '--title', 'Crash', '--body', 'x', '--json'])).stdout).id;
    const issueUrl = `${fake.url}/acme/support/issues/${id}`;
    const output = join(box.dir, 'bundle.tar.gz');
    const collected = await run(DiagCollect, ['--profile', 'oss', '--ticket', id, '--yes', '--output', output, '--json']);
    expect(collected.exitCode).toBe(0);
    expect(parseJson<{path: string; attachment: unknown}>(collected.stdout)).toMatchObject({path: output, attachment: null});
    expect(collected.stderr).toContain(`The github backend cannot attach files to tickets, so ${output} was written but not attached to ticket ${id}.`);
    expect(collected.stderr).toContain(issueUrl);
    const attached = await run(DiagAttach, ['--profile', 'oss', output, '--ticket', id]);
    expect(attached.exitCode).toBe(1);
    expect(attached.stderr).toContain('The github backend cannot attach files to tickets.');
    expect(attached.stderr).toContain(`Drag the file into a comment of ${issueUrl} in the browser, or upload it as a gist or a release asset`);
  });

  it.each([
    [KbSearch, ['proxy'], 'The github backend has no knowledge base.'],
    [SlaStatus, [], 'The github backend cannot report SLA clocks.'],
  ])('%o says in one sentence what GitHub does not have', async (cmd, argv, message) => {
    await logIn();
    const r = await run(cmd, ['--profile', 'oss', ...argv]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`Error: ${message}`);
  });
});
