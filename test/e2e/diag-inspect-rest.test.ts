import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {createBundleWriter} from '../../src/diag/bundle.js';
import {parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';
import {api} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/**
 * Support receives a bundle on a real `support serve` and checks that the file in hand is the
 * one the customer uploaded: the server's record of the sha256, made from the bytes it
 * received, against the file.
 */
let box: Sandbox;
let server: TestServer;
let customer: Record<string, string>;
let agent: Record<string, string>;

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  const base = {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url};
  customer = {...base, SUPPORT_TOKEN: await server.token('customer', 'carol')};
  agent = {...base, SUPPORT_TOKEN: await server.token('agent', 'alice')};
});

afterAll(async () => {
  await server.close();
  box.cleanup();
});

describe('diag inspect --ticket against a real server', () => {
  it('the server records the sha256 of the bytes it received, whatever digest the client claims', async () => {
    const token = customer.SUPPORT_TOKEN!;
    const ticket = await api(server.url, 'POST', '/v1/tickets', {token, json: {title: 'Digest', body: 'x'}});
    const bytes = Buffer.from('the real bytes\n');
    const claimed = sha256('other bytes');
    const upload = await api(server.url, 'POST', `/v1/tickets/${ticket.json.id}/attachments?name=log.txt`, {
      token,
      body: bytes,
      headers: {
        'content-type': 'text/plain',
        'content-digest': `sha-256=:${Buffer.from(claimed, 'hex').toString('base64')}:`,
        'repr-digest': `sha-256=:${Buffer.from(claimed, 'hex').toString('base64')}:`,
      },
    });
    expect(upload.status, upload.text).toBe(201);
    expect(upload.json.sha256).toBe(sha256(bytes));
    const download = await fetch(`${server.url}/v1/tickets/${ticket.json.id}/attachments/${upload.json.id}/content`, {headers: {authorization: `Bearer ${token}`}});
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(upload.json.sha256);
  });

  it('a customer attaches a bundle; the agent checks the file: match exits 0, a rebuilt one exits 1', async () => {
    const root = join(box.dir, 'app');
    mkdirSync(join(root, 'logs'), {recursive: true});
    writeFileSync(join(root, 'logs', 'app.log'), 'started\nready\n');
    writeFileSync(join(root, 'support-diag.yml'), 'logs:\n  - logs/*.log\n');
    const ticketId = parseJson<{id: string}>((await runBin(['ticket', 'create', '--title', 'App will not start', '--body', 'Bundle attached.', '--json'], {env: customer})).stdout).id;
    const bundle = join(box.dir, 'bundle.tar.gz');
    const collected = await runBin(['diag', 'collect', '--yes', '--output', bundle, '--profile-file', join(root, 'support-diag.yml'), '--ticket', ticketId], {env: customer});
    expect(collected.exitCode, collected.stderr).toBe(0);

    const matched = await runBin(['diag', 'inspect', bundle, '--ticket', ticketId, '--json'], {env: agent});
    expect(matched.exitCode, matched.stderr).toBe(0);
    expect(parseJson(matched.stdout)).toMatchObject({ok: true, upload: {ticketId, match: {name: 'bundle.tar.gz', sha256: sha256(readFileSync(bundle))}}});

    // Someone rebuilds the bundle with the same name: it is whole, but not what was uploaded.
    const writer = await createBundleWriter({path: bundle, toolkitVersion: '0.1.0'});
    await writer.addFile({path: 'logs/logs/app.log', content: 'started\nall fine, nothing to see\n', collector: 'logs'});
    await writer.finish();
    expect((await runBin(['diag', 'inspect', bundle], {env: agent})).exitCode).toBe(0);
    const altered = await runBin(['diag', 'inspect', bundle, '--ticket', ticketId], {env: agent});
    expect(altered.exitCode).toBe(1);
    expect(altered.stderr).toContain(`The file is not the bundle attached to ticket #${ticketId}`);
    expect(altered.stdout).toMatch(/^problem\tupload-mismatch\t\tticket #\d+'s attachment bundle\.tar\.gz \(id \d+, [^)]+\) has sha256 [0-9a-f]{64}; this file has [0-9a-f]{64}: it is not what was uploaded$/m);
  });

  it('a ticket the caller cannot see is not found: exit 3', async () => {
    const bundle = join(box.dir, 'other.tar.gz');
    const writer = await createBundleWriter({path: bundle, toolkitVersion: '0.1.0'});
    await writer.addFile({path: 'a.txt', content: 'a\n', collector: 'files'});
    await writer.finish();
    const theirs = parseJson<{id: string}>((await runBin(['ticket', 'create', '--title', 'Dave’s', '--body', 'x', '--json'], {env: {...customer, SUPPORT_TOKEN: await server.token('customer', 'dave')}})).stdout);
    const r = await runBin(['diag', 'inspect', bundle, '--ticket', theirs.id], {env: customer});
    expect(r.exitCode, r.stderr).toBe(3);
  });
});
