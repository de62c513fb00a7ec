import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import AuthLogin from '../../src/commands/auth/login.js';
import AuthStatusCommand from '../../src/commands/auth/status.js';
import ProfileAdd from '../../src/commands/profile/add.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import {api} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

/**
 * `ticket update` on a rest profile reads the ticket, then changes that version of it (If-Match):
 * a change someone else made in between is never overwritten.
 */
let box: Sandbox;
let server: TestServer;
let alice: string;
let bob: string;
let proxy: Server;
let proxyUrl: string;
/** Runs once, between the CLI's read of a ticket and its change, when set. */
let between: (() => Promise<void>) | undefined;
const seen: string[] = [];

beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir, {webhooks: false});
  alice = await server.token('agent', 'alice');
  bob = await server.token('agent', 'bob');
  // Forwards to the server; after answering a GET of a ticket it lets `between` run first.
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      seen.push(`${req.method} ${req.url} ${String(req.headers['if-match'] ?? '-')}`);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      const answer = await fetch(`${server.url}${req.url}`, {method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined});
      const body = Buffer.from(await answer.arrayBuffer());
      if (req.method === 'GET' && /^\/v1\/tickets\/\d+$/.test(req.url!) && between) {
        const run = between;
        between = undefined;
        await run();
      }
      const out = Object.fromEntries([...answer.headers].filter(([k]) => !['content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)));
      res.writeHead(answer.status, out);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await server.close();
  box.cleanup();
});

const asAlice = (cmd: Parameters<typeof runCommand>[0], argv: string[], token = alice) =>
  runCommand(cmd, argv, {env: {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: proxyUrl, SUPPORT_TOKEN: token}});

describe('ticket update against a server that keeps versions', () => {
  it('sends the version it read as If-Match', async () => {
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'Printer jams', body: 'b'}})).json;
    seen.length = 0;
    const run = await asAlice(TicketUpdate, [ticket.id, '--priority', 'high']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(seen).toEqual([`GET /v1/tickets/${ticket.id} -`, `PATCH /v1/tickets/${ticket.id} "${ticket.version}"`]);
  });

  it('refuses to overwrite a change made after its read: one sentence, exit 5, a hint, nothing changed', async () => {
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'VPN drops', body: 'b'}})).json;
    between = async () => {
      await api(server.url, 'PATCH', `/v1/tickets/${ticket.id}`, {token: bob, json: {assignee: 'bob'}});
    };
    const run = await asAlice(TicketUpdate, [ticket.id, '--assignee', 'alice']);
    expect(run.exitCode).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `Ticket ${ticket.id} was changed by someone else after it was read (your change was based on version ${ticket.version}; it is now at version ${ticket.version + 1}), so your change was not applied.`,
    );
    expect(run.stderr).toContain(`Run the command again to apply it to the ticket as it is now; \`support ticket view ${ticket.id}\` shows what changed.`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket.id}`, {token: alice})).json.assignee).toBe('bob');

    const json = await asAlice(TicketUpdate, [ticket.id, '--assignee', 'alice', '--json']);
    expect(json.exitCode).toBe(0);
    expect(parseJson<{assignee: string}>(json.stdout).assignee).toBe('alice');
  });
});

describe('auth status on a server with token expiry and scopes', () => {
  it('shows when the token expires and that it is read-only', async () => {
    const token = (await server.store.tokens.create('auditor', 'agent', {scopes: ['read'], expiresAt: Date.parse('2099-01-01T00:00:00Z')})).token;
    expect((await runCommand(ProfileAdd, ['audit', '--backend', 'rest', '--url', server.url], {env: box.env})).exitCode).toBe(0);
    const login = await runCommand(AuthLogin, ['--profile', 'audit', '--with-token'], {env: box.env, stdin: `${token}\n`});
    expect(login.exitCode, login.stderr).toBe(0);
    const run = await runCommand(AuthStatusCommand, ['--profile', 'audit', '--json'], {env: box.env});
    expect(run.exitCode, run.stderr).toBe(0);
    expect(parseJson<{profiles: unknown[]}>(run.stdout).profiles[0]).toMatchObject({state: 'ok', user: 'auditor', expiresAt: '2099-01-01T00:00:00.000Z', readOnly: true});
    const plain = await runCommand(AuthStatusCommand, ['--profile', 'audit'], {env: box.env});
    expect(plain.stdout.split('\t')).toEqual(expect.arrayContaining(['agent (read-only)', '2099-01-01T00:00:00.000Z']));
  });
});
