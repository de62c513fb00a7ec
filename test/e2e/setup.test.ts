import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {parseJson, runBin, runInTerminal, sandbox, type Sandbox} from '../helpers.js';
import {startFaultProxy, startTestServer, type TestServer} from '../helpers/servers.js';

let box: Sandbox;
let server: TestServer;

beforeEach(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
});
afterEach(async () => {
  await server.close();
  box.cleanup();
});

const support = (argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) =>
  runBin(argv, {env: {...box.env, ...options.env}, stdin: options.stdin});
const profiles = async () =>
  parseJson<{profiles: {name: string; backend: string; url: string | null; current: boolean}[]}>((await support(['profile', 'list', '--json'])).stdout).profiles;

describe('support init, scripted', () => {
  it('sets up the local store with flags alone, and the next command uses it', async () => {
    const init = await support(['init', '--backend', 'local', '--no-input', '--json']);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(parseJson(init.stdout)).toMatchObject({profile: 'default', backend: 'local', current: true, tokenStoredIn: null});
    expect((await support(['ticket', 'create', '--title', 'First', '--body', 'ticket'])).stdout).toBe('1\n');
  });

  it('checks a server and its token, saves the profile, makes it current and says what to try next', async () => {
    const token = await server.token('agent', 'alice');
    const init = await support(['init', '--profile', 'team', '--backend', 'rest', '--url', server.url, '--with-token', '--no-input'], {stdin: `${token}\n`});
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stderr).toContain(`Profile "team" is set up: rest at ${server.url}, as alice (agent)`);
    expect(init.stderr).toMatch(/Try next:\n {2}support ticket create/);
    expect(await profiles()).toContainEqual(expect.objectContaining({name: 'team', backend: 'rest', url: server.url, current: true}));
    // The first ticket goes to the server, with no --profile.
    const id = (await support(['ticket', 'create', '--title', 'On the server', '--body', 'via init'])).stdout.trim();
    const onServer = await fetch(`${server.url}/v1/tickets/${id}`, {headers: {authorization: `Bearer ${token}`}});
    expect(await onServer.json()).toMatchObject({title: 'On the server'});
  });

  it('saves nothing when the server refuses the token (exit 4) or cannot be reached (exit 7)', async () => {
    const refused = await support(['init', '--profile', 'team', '--backend', 'rest', '--url', server.url, '--with-token', '--no-input'], {stdin: 'spt_wrong\n'});
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('nothing was saved');
    const down = await startFaultProxy(undefined, () => ({kind: 'respond', status: 503, body: {title: 'down'}}));
    await down.close();
    const unreachable = await support(['init', '--profile', 'team', '--backend', 'rest', '--url', down.url, '--with-token', '--no-input'], {stdin: `${await server.token('agent', 'a')}\n`});
    expect(unreachable.exitCode).toBe(7);
    expect((await profiles()).map((p) => p.name)).toEqual(['default']);
  });

  it('names the missing flags under --no-input, and will not replace a profile without --force', async () => {
    const none = await support(['init', '--no-input']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('Missing --backend.');
    const rest = await support(['init', '--backend', 'rest', '--no-input']);
    expect(rest.exitCode).toBe(2);
    expect(rest.stderr).toContain('Missing --url, --with-token (the token on standard input).');
    expect((await support(['init', '--backend', 'local', '--no-input'])).exitCode).toBe(0);
    const again = await support(['init', '--backend', 'local', '--no-input']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('A profile named "default" already exists.');
    expect((await support(['init', '--backend', 'local', '--no-input', '--force'])).exitCode).toBe(0);
  });
});

describe('support init on a terminal', () => {
  it('asks where tickets go, the URL, a name and the token, checks them against a real server and saves', async () => {
    const token = await server.token('customer', 'bob');
    const {exitCode, screen} = await runInTerminal(['init'], {
      env: box.env,
      steps: [
        [/Where should tickets go\?/, '\u001B[B\r'], // the second kind: rest
        [/Profile name/, 'helpdesk\r'],
        [/URL/, `${server.url}\r`],
        [/Token/, `${token}\r`],
      ],
    });
    expect(exitCode, screen).toBe(0);
    expect(screen).toContain('Profile "helpdesk" is set up');
    expect(screen).toContain('as bob (customer)');
    expect(await profiles()).toContainEqual(expect.objectContaining({name: 'helpdesk', backend: 'rest', url: server.url, current: true}));
    // The token was stored, not just checked: the next command logs in with it.
    const list = await support(['ticket', 'list', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
  });
});

describe('support doctor', () => {
  type Report = {ok: boolean; checks: {check: string; profile: string | null; status: string; detail: string; fix: string | null}[]};
  const doctor = async (env: Record<string, string> = {}) => {
    const r = await support(['doctor', '--json'], {env});
    return {exitCode: r.exitCode, report: parseJson<Report>(r.stdout)};
  };

  it('passes on a fresh machine, one check per line with its status', async () => {
    const {exitCode, report} = await doctor();
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['node', 'config-dir', 'data-dir', 'cache-dir', 'local-store', 'settings']));
    const piped = await support(['doctor']);
    expect(piped.stdout.trim().split('\n').every((line) => /^(ok|warn|fail)\t/.test(line))).toBe(true);
  });

  it('fails on a revoked token at a real server, with the fix', async () => {
    const token = await server.token('agent', 'carol');
    expect((await support(['init', '--profile', 'team', '--backend', 'rest', '--url', server.url, '--with-token', '--no-input'], {stdin: token})).exitCode).toBe(0);
    const before = await doctor();
    expect(before.exitCode).toBe(0);
    expect(before.report.checks).toContainEqual(expect.objectContaining({check: 'profile', profile: 'team', status: 'ok', detail: expect.stringContaining('carol (agent)')}));
    expect(before.report.checks).toContainEqual(expect.objectContaining({check: 'clock', profile: 'team', status: 'ok'}));
    expect(before.report.checks).toContainEqual(expect.objectContaining({check: 'token', profile: 'team', status: 'warn', detail: expect.stringContaining('unencrypted')}));

    await server.store.tokens.revoke('carol');
    const after = await doctor();
    expect(after.exitCode).toBe(1);
    expect(after.report.ok).toBe(false);
    expect(after.report.checks).toContainEqual(
      expect.objectContaining({check: 'profile', profile: 'team', status: 'fail', detail: expect.stringContaining('refused the token'), fix: 'Run support auth login --profile team with a valid token.'}),
    );
  });

  it('fails on a URL nothing answers at, and on a server clock far off', async () => {
    const gone = await startFaultProxy(undefined, () => ({kind: 'forward'}));
    await gone.close();
    expect((await support(['profile', 'add', 'gone', '--backend', 'rest', '--url', gone.url])).exitCode).toBe(0);
    const skewed = await startFaultProxy(undefined, () => ({
      kind: 'respond',
      status: 200,
      headers: {'content-type': 'application/json', date: new Date(Date.now() - 20 * 60_000).toUTCString()},
      body: {name: 'dave', role: 'agent'},
    }));
    try {
      expect((await support(['profile', 'add', 'skewed', '--backend', 'rest', '--url', skewed.url])).exitCode).toBe(0);
      const {exitCode, report} = await doctor({SUPPORT_TOKEN: 'spt_any'});
      expect(exitCode).toBe(1);
      expect(report.checks).toContainEqual(expect.objectContaining({check: 'profile', profile: 'gone', status: 'fail', detail: expect.stringMatching(/Could not reach/)}));
      expect(report.checks).toContainEqual(expect.objectContaining({check: 'clock', profile: 'skewed', status: 'fail', detail: expect.stringMatching(/clock is 1[12]\d\d s ahead of the server's/)}));
    } finally {
      await skewed.close();
    }
  });

  it('fails on a damaged local store, and leaves the file as it was', async () => {
    expect((await support(['ticket', 'create', '--title', 't', '--body', 'b'])).exitCode).toBe(0);
    const file = join(box.env.SUPPORT_DATA_DIR, 'local', 'support.db');
    writeFileSync(file, Buffer.alloc(8192, 'x'));
    const {exitCode, report} = await doctor();
    expect(exitCode).toBe(1);
    expect(report.checks).toContainEqual(expect.objectContaining({check: 'local-store', status: 'fail', fix: expect.stringContaining(`mv "${file}"`)}));
  });

  it('fails on a data directory that cannot be written', async () => {
    const blocked = join(box.dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the directory should be');
    const {exitCode, report} = await doctor({SUPPORT_DATA_DIR: join(blocked, 'data')});
    expect(exitCode).toBe(1);
    expect(report.checks).toContainEqual(expect.objectContaining({check: 'data-dir', status: 'fail', fix: expect.stringContaining('SUPPORT_DATA_DIR')}));
  });
});
