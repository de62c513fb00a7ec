import {statSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {openLocalStore} from '../../src/store/embedded/store.js';
import {LocalTickets} from '../../src/store/embedded/tickets.js';
import {spawnServer} from '../helpers/servers.js';
import {type BinResult, runBin, sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let env: Record<string, string>;
let serverDir: string;
let server: Awaited<ReturnType<typeof spawnServer>>;
const runs: BinResult[] = [];
const tokens: string[] = [];

async function cli(args: string[], options: {input?: string; env?: Record<string, string>} = {}): Promise<BinResult> {
  const run = await runBin(args, {env: {...env, ...options.env}, stdin: options.input});
  runs.push(run);
  return run;
}

beforeAll(async () => {
  dirs = sandbox();
  env = dirs.env;
  serverDir = join(dirs.dir, 'srv');
  server = await spawnServer(env, ['--data-dir', serverDir]);
});

afterAll(async () => {
  if (server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  dirs.cleanup();
});

describe('support serve, tokens and the rest profile, end to end', () => {
  let agentToken: string;
  let agentId: string;

  it('creates a token printed once, as {"token": ...} under --json', async () => {
    const run = await cli(['serve', 'token', 'create', '--role', 'agent', '--name', 'alice', '--data-dir', serverDir, '--json']);
    expect(run.exitCode).toBe(0);
    const parsed = JSON.parse(run.stdout) as {token: string};
    expect(Object.keys(parsed)).toEqual(['token']);
    expect(parsed.token).toMatch(/^spt_[A-Za-z0-9_-]{32}$/);
    agentToken = parsed.token;
    tokens.push(agentToken);
    const list = await cli(['serve', 'token', 'list', '--data-dir', serverDir, '--json']);
    const listed = JSON.parse(list.stdout).tokens as {id: string}[];
    expect(listed).toEqual([expect.objectContaining({name: 'alice', role: 'agent', revokedAt: null})]);
    agentId = listed[0]!.id;
  });

  it('refuses a second token with a name in use: one sentence, exit 5', async () => {
    const twin = await cli(['serve', 'token', 'create', '--role', 'customer', '--name', 'alice', '--data-dir', serverDir]);
    expect(twin.exitCode).toBe(5);
    expect(twin.stdout).toBe('');
    expect(twin.stderr).toContain(`A token named "alice" already exists (${agentId}, agent); token names are unique.`);
    expect(twin.stderr).toMatch(/choose another --name/i);
    const json = await cli(['serve', 'token', 'create', '--role', 'agent', '--name', 'alice', '--data-dir', serverDir, '--json']);
    expect(json.exitCode).toBe(5);
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'rejected', exitCode: 5});
    const list = JSON.parse((await cli(['serve', 'token', 'list', '--data-dir', serverDir, '--json'])).stdout).tokens as {name: string}[];
    expect(list.map((t) => t.name)).toEqual(['alice']);
  });

  it('logs in to a rest profile after checking the token, into a 0600 file in a private directory', async () => {
    expect((await cli(['profile', 'add', 'work', '--backend', 'rest', '--url', server.url])).exitCode).toBe(0);
    const bad = await cli(['auth', 'login', '--profile', 'work', '--with-token'], {input: 'spt_wrongwrongwrongwrongwrongwrongwron\n'});
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/support auth login/);
    const login = await cli(['auth', 'login', '--profile', 'work', '--with-token', '--debug'], {input: `${agentToken}\n`});
    expect(login.exitCode).toBe(0);
    expect(login.stderr).toMatch(/Logged in to work as alice/);
    const file = join(dirs.configDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirs.configDir).mode & 0o077).toBe(0);
  });

  it('shows where the token comes from, prints it only through auth token, and logs out', async () => {
    // auth status asks the server's who-am-I: the user, role and account of the token.
    const status = await cli(['auth', 'status', '--profile', 'work', '--json']);
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout).profiles).toEqual([
      expect.objectContaining({profile: 'work', backend: 'rest', url: server.url, needsToken: true, loggedIn: true, tokenSource: 'file', state: 'ok', role: 'agent', backendRole: 'agent', account: new URL(server.url).host, problem: null}),
    ]);
    const plain = await cli(['auth', 'status', '--profile', 'work']);
    expect(plain.stdout).toContain('\tok\t');
    expect(plain.stdout).toContain('file (unencrypted)');
    // The one command that prints a token; kept out of the runs the leak check greps.
    const token = await runBin(['auth', 'token', '--profile', 'work'], {env});
    expect(token.stdout.trim()).toBe(agentToken);
    // A token the server does not know: said after the table, with exit code 4.
    const fromEnv = await cli(['auth', 'status', '--profile', 'work', '--json'], {env: {SUPPORT_TOKEN: 'spt_from_the_environment'}});
    expect(fromEnv.exitCode).toBe(4);
    expect(JSON.parse(fromEnv.stdout).profiles[0]).toMatchObject({tokenSource: 'env', state: 'invalid'});

    expect((await cli(['profile', 'add', 'spare', '--backend', 'rest', '--url', server.url])).exitCode).toBe(0);
    expect((await cli(['auth', 'login', '--profile', 'spare', '--with-token'], {input: `${agentToken}\n`})).exitCode).toBe(0);
    expect((await cli(['profile', 'use', 'spare'])).exitCode).toBe(0);
    const profiles = JSON.parse((await cli(['profile', 'list', '--json'])).stdout).profiles as {name: string; current: boolean}[];
    expect(profiles.filter((p) => p.current).map((p) => p.name)).toEqual(['spare']);
    const out = await cli(['auth', 'logout']);
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toContain('Logged out of spare');
    const after = await cli(['auth', 'token']);
    expect(after.exitCode).toBe(4);
    expect(after.stderr).toContain('support auth login --profile spare');
    expect((await cli(['profile', 'remove', 'spare'])).exitCode).toBe(0);
    const left = JSON.parse((await cli(['profile', 'list', '--json'])).stdout).profiles as {name: string; current: boolean}[];
    expect(left.map((p) => [p.name, p.current])).toEqual([['default', true], ['work', false]]);
  });

  it('creates, lists and views tickets through the server, with a --debug trace', async () => {
    const created = await cli(['ticket', 'create', '--profile', 'work', '--title', 'Printer on fire', '--body', 'Smoke everywhere.', '--json', '--debug']);
    expect(created.exitCode).toBe(0);
    const ticket = JSON.parse(created.stdout) as {id: string; requester: string};
    expect(ticket.requester).toBe('alice');
    expect(created.stderr).toMatch(/\[debug\] http POST http:\/\/127\.0\.0\.1:\d+\/v1\/tickets 201 \d+ms/);
    const list = await cli(['ticket', 'list', '--profile', 'work', '--debug']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain('Printer on fire');
    const view = await cli(['ticket', 'view', ticket.id, '--profile', 'work']);
    expect(view.stdout).toContain('Smoke everywhere.');
    const missing = await cli(['ticket', 'view', '424242', '--profile', 'work']);
    expect(missing.exitCode).toBe(3);
  });

  it('exits 4 with a hint to log in for a wrong token, no token, and a revoked token', async () => {
    const wrong = await cli(['ticket', 'list', '--profile', 'work'], {env: {SUPPORT_TOKEN: 'spt_not-the-right-token-not-the-right'}});
    expect(wrong.exitCode).toBe(4);
    expect(wrong.stderr).toMatch(/support auth login --profile work/);
    expect((await cli(['profile', 'add', 'fresh', '--backend', 'rest', '--url', server.url])).exitCode).toBe(0);
    const none = await cli(['ticket', 'list', '--profile', 'fresh', '--json']);
    expect(none.exitCode).toBe(4);
    expect(JSON.parse(none.stdout).error).toMatchObject({code: 'auth', exitCode: 4, hint: expect.stringMatching(/support auth login/)});
    expect((await cli(['serve', 'token', 'revoke', agentId, '--data-dir', serverDir])).exitCode).toBe(0);
    const revoked = await cli(['ticket', 'list', '--profile', 'work']);
    expect(revoked.exitCode).toBe(4);
    expect(revoked.stderr).toMatch(/support auth login/);
  });

  it('prints no token in any output, log or --debug trace', async () => {
    const everything = [...runs.flatMap((r) => [r.stdout, r.stderr]), server.stderr()].join('\n');
    // The one sanctioned place is `token create`'s own output, checked above; leave it out.
    const others = runs.filter((r) => !r.stdout.includes('"token"')).flatMap((r) => [r.stdout, r.stderr]).join('\n') + server.stderr();
    expect(everything.length).toBeGreaterThan(1000);
    for (const token of tokens) expect(others).not.toContain(token);
    expect(others).not.toMatch(/spt_[A-Za-z0-9_-]{32}/);
    expect(server.stderr()).toMatch(/GET \/v1\/tickets\S* 200/);
  });
});

describe('graceful shutdown', () => {
  it('finishes requests in flight on SIGTERM and loses no acknowledged write', async () => {
    const dir = join(dirs.dir, 'shutdown');
    const made = await runBin(['serve', 'token', 'create', '--role', 'agent', '--name', 'bulk', '--data-dir', dir], {env});
    const token = made.stdout.trim();
    tokens.push(token);
    const srv = await spawnServer(env, ['--data-dir', dir, '--quiet']);
    const acknowledged: string[] = [];
    let refused = 0;
    const send = async (i: number) => {
      try {
        const res = await fetch(`${srv.url}/v1/tickets`, {
          method: 'POST',
          headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
          body: JSON.stringify({title: `bulk ${i}`, body: 'x'}),
        });
        if (res.status === 201) acknowledged.push(((await res.json()) as {id: string}).id);
        else refused++;
      } catch {
        refused++;
      }
    };
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      inFlight.push(send(i));
      if (i === 60) srv.child.kill('SIGTERM');
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
    expect(acknowledged.length + refused).toBe(200);
    expect(await srv.exited).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(srv.stderr()).toMatch(/SIGTERM: finishing requests in flight/);
    const store = await openLocalStore(dir);
    try {
      const tickets = new LocalTickets(store, {name: 'check', role: 'agent'});
      for (const id of acknowledged) expect((await tickets.get(id)).id).toBe(id);
    } finally {
      store.close();
    }
  });
});

describe('support serve --database', () => {
  it('names an unreachable PostgreSQL without its password and exits 7; refuses another kind of URL with exit 2', async () => {
    const unreachable = await cli(['serve', '--port', '0', '--database', 'postgres://support:hunter2secret@127.0.0.1:1/support']);
    expect(unreachable.exitCode).toBe(7);
    expect(unreachable.stderr).toContain('Cannot reach the PostgreSQL database at postgres://***:***@127.0.0.1:1/support');
    expect(unreachable.stderr).not.toContain('hunter2secret');
    // The token commands read the same variable as the server.
    const tokens = await cli(['serve', 'token', 'list'], {env: {SUPPORT_DATABASE_URL: 'postgres://support:hunter2secret@127.0.0.1:1/support'}});
    expect(tokens.exitCode).toBe(7);
    expect(tokens.stderr).not.toContain('hunter2secret');
    const other = await cli(['serve', '--port', '0', '--database', 'mysql://support:pw@127.0.0.1/support']);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain('--database takes a PostgreSQL URL');
  });
});
