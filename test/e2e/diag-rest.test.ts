import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {secretlintBundle} from '../diag/secretlint.js';
import {parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

let box: Sandbox;
let server: TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  env = {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: await server.token('customer', 'carol')};
});

afterAll(async () => {
  await server.close();
  box.cleanup();
});

describe('a customer sends a diagnostic bundle to a rest backend', () => {
  it('collects, attaches to their ticket on the server, and the server holds the same bytes', async () => {
    const root = join(box.dir, 'app');
    mkdirSync(join(root, 'logs'), {recursive: true});
    writeFileSync(join(root, 'logs', 'app.log'), 'started\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\nready\n');
    writeFileSync(join(root, 'support-diag.yml'), 'logs:\n  - logs/*.log\n');

    const created = await runBin(['ticket', 'create', '--title', 'App will not start', '--body', 'See the bundle.', '--json'], {env});
    expect(created.exitCode, created.stderr).toBe(0);
    const ticketId = parseJson<{id: string}>(created.stdout).id;

    const bundle = join(box.dir, 'bundle.tar.gz');
    const collect = await runBin(
      ['diag', 'collect', '--yes', '--output', bundle, '--profile-file', join(root, 'support-diag.yml'), '--ticket', ticketId, '--json'],
      {env},
    );
    expect(collect.exitCode, collect.stderr).toBe(0);
    const lint = await secretlintBundle(bundle);
    expect(lint.findings, lint.report).toBe(0);
    const digest = createHash('sha256').update(readFileSync(bundle)).digest('hex');

    const view = parseJson<{attachments: {name: string; sha256: string; size: number}[]}>(
      (await runBin(['ticket', 'view', ticketId, '--json'], {env})).stdout,
    );
    expect(view.attachments).toEqual([expect.objectContaining({name: 'bundle.tar.gz', sha256: digest, size: readFileSync(bundle).length})]);

    const inspect = await runBin(['diag', 'inspect', bundle], {env});
    expect(inspect.exitCode, inspect.stderr).toBe(0);
  });

  it('refuses to attach to a ticket the customer cannot see, without uploading anything', async () => {
    const other = {...env, SUPPORT_TOKEN: await server.token('customer', 'dave')};
    const theirs = parseJson<{id: string}>((await runBin(['ticket', 'create', '--title', 'Dave’s', '--body', 'x', '--json'], {env: other})).stdout);
    const bundle = join(box.dir, 'bundle.tar.gz');
    const attach = await runBin(['diag', 'attach', bundle, '--ticket', theirs.id], {env});
    expect(attach.exitCode).toBe(3);
    const view = parseJson<{attachments: unknown[]}>((await runBin(['ticket', 'view', theirs.id, '--json'], {env: other})).stdout);
    expect(view.attachments).toEqual([]);
  });
});
