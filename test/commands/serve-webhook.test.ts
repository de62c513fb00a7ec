import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import ServeTokenCreate from '../../src/commands/serve/token/create.js';
import ServeTokenList from '../../src/commands/serve/token/list.js';
import ServeWebhookAdd from '../../src/commands/serve/webhook/add.js';
import ServeWebhookDeliveries from '../../src/commands/serve/webhook/deliveries.js';
import ServeWebhookList from '../../src/commands/serve/webhook/list.js';
import ServeWebhookRemove from '../../src/commands/serve/webhook/remove.js';
import {api} from '../helpers/api.js';
import {startReceiver, until, type Receiver} from '../helpers/receiver.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

/** `support serve webhook ...` and the new `serve token create` flags, over a running server's store. */
let box: Sandbox;
let server: TestServer;
let serverDir: string;
let receiver: Receiver;
let agent: string;

beforeAll(async () => {
  box = sandbox();
  serverDir = join(box.dir, 'server-store');
  // The commands open the server's own files while it runs, as an operator would.
  server = await startTestServer(box.dir, {databaseUrl: undefined, dataDir: serverDir, webhooks: {pollMs: 25, retryBaseMs: 20}});
  agent = await server.token('agent', 'alice');
  receiver = await startReceiver(({body}) => (JSON.parse(body).type === 'status_changed' ? 500 : 200));
});

afterAll(async () => {
  await server.close();
  await receiver.close();
  box.cleanup();
});

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[]) => runCommand<T>(cmd, [...argv, '--data-dir', serverDir], {env: box.env});

describe('support serve webhook', () => {
  let id: string;

  it('adds a subscription and prints its secret once on stdout, the rest on stderr', async () => {
    const added = await run(ServeWebhookAdd, ['--url', receiver.url, '--event', 'created', '--event', 'status_changed', '--description', 'CRM']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^whsec_[A-Za-z0-9_-]{32}\n$/);
    expect(added.stderr).toMatch(/Webhook wh_[a-f0-9]{16} posts created, status_changed events to http:\/\/127\.0\.0\.1:\d+\/hook\./);
    expect(added.stderr).toContain('shown once');
    id = /Webhook (wh_[a-f0-9]{16})/.exec(added.stderr)![1]!;
  });

  it('refuses a URL that is not http or https: one sentence, exit 2, nothing added', async () => {
    const bad = await run(ServeWebhookAdd, ['--url', 'file:///etc/passwd']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('A webhook URL must be http or https, not file.');
    const listed = await run<{webhooks: unknown[]}>(ServeWebhookList, ['--json']);
    expect(parseJson<{webhooks: unknown[]}>(listed.stdout).webhooks).toHaveLength(1);
  });

  it('lists subscriptions without their secrets, as tab-separated rows when piped', async () => {
    const plain = await run(ServeWebhookList, []);
    expect(plain.stdout.trim().split('\t').slice(0, 4)).toEqual([id, receiver.url, 'created status_changed', 'CRM']);
    expect(plain.stdout).not.toContain('whsec_');
  });

  it('shows the delivery log of what the running server posted', async () => {
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title: 'Hooked', body: 'b'}})).json.id as string;
    await api(server.url, 'PATCH', `/v1/tickets/${ticket}`, {token: agent, json: {status: 'open'}});
    await until(() => receiver.received.some((r) => JSON.parse(r.body).ticketId === ticket && r.status === 200), 'the created event was accepted');
    type Delivery = {ticketId: string; eventType: string; state: string; lastStatus: number | null; lastError: string | null};
    const deliveries = async () => parseJson<{deliveries: Delivery[]}>((await run(ServeWebhookDeliveries, ['--json'])).stdout).deliveries;
    // The server records each answer just after the receiver gives it.
    await until(async () => {
      const mine = (await deliveries()).filter((d) => d.ticketId === ticket);
      return mine.some((d) => d.eventType === 'created' && d.state === 'delivered') && mine.some((d) => d.eventType === 'status_changed' && d.lastStatus === 500);
    }, 'the created event was delivered and the status change attempted');
    const log = await deliveries();
    expect(log.filter((d) => d.ticketId === ticket).map((d) => [d.eventType, d.state])).toEqual([
      ['status_changed', 'pending'],
      ['created', 'delivered'],
    ]);
    expect(log.find((d) => d.eventType === 'status_changed')).toMatchObject({lastStatus: 500, lastError: 'the receiver answered 500'});
    const none = await run(ServeWebhookDeliveries, [id, '--state', 'failed']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('No failed deliveries.');
  });

  it('removes a subscription; an unknown id is exit 3', async () => {
    const removed = await run(ServeWebhookRemove, [id]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stderr).toContain(`Removed webhook ${id} (${receiver.url}).`);
    expect(parseJson<{webhooks: unknown[]}>((await run(ServeWebhookList, ['--json'])).stdout).webhooks).toEqual([]);
    const again = await run(ServeWebhookRemove, [id]);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toContain(`No webhook has the id "${id}".`);
  });
});

describe('support serve token create --read-only --expires-in', () => {
  it('makes a read-only token that expires, and lists both', async () => {
    const made = await run(ServeTokenCreate, ['--role', 'agent', '--name', 'reports', '--read-only', '--expires-in', '30d']);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stderr).toMatch(/\(agent, read-only, expires \d{4}-\d{2}-\d{2}T/);
    const token = made.stdout.trim();
    const me = await api(server.url, 'GET', '/v1/me', {token});
    expect(me.json.scopes).toEqual(['read']);
    const days = (Date.parse(me.json.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const listed = parseJson<{tokens: {name: string; scopes: string[]; expiresAt: string | null}[]}>((await run(ServeTokenList, ['--json'])).stdout).tokens;
    expect(listed.find((t) => t.name === 'reports')).toMatchObject({scopes: ['read'], expiresAt: me.json.expiresAt});
    const plain = (await run(ServeTokenList, [])).stdout.split('\n').find((l) => l.includes('reports'))!;
    expect(plain.split('\t')).toContain('read-only');
  });

  it('refuses a lifetime it cannot read: one sentence, exit 2', async () => {
    const bad = await run(ServeTokenCreate, ['--role', 'agent', '--name', 'later', '--expires-in', '30 days']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('"30 days" is not a lifetime.');
    expect(bad.stderr).toContain('90m, 12h, 30d or 2w');
  });
});
