import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {TicketWithComments} from '../../src/domain/ticket.js';
import {HOSTILE, HOSTILE_SHOWN, expectNeutralised} from '../cli/hostile.js';
import {parseJson, runBin, runInTerminal, sandbox, type Sandbox} from '../helpers.js';
import {api} from '../helpers/api.js';
import {startFaultProxy, startTestServer, type FaultProxy, type TestServer} from '../helpers/servers.js';

/**
 * A customer's hostile ticket on a real `support serve`, read by an agent with the built CLI:
 * piped, on a real terminal (with colour), and with a server whose error messages are hostile.
 */
let box: Sandbox;
let server: TestServer;
let env: Record<string, string>;
let ticketId: string;

beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  const customer = await server.token('customer', 'carol');
  const created = await api(server.url, 'POST', '/v1/tickets', {
    token: customer,
    json: {title: HOSTILE, body: `Hello\n${HOSTILE}\nbye`, fields: {region: HOSTILE}},
  });
  expect(created.status, created.text).toBe(201);
  ticketId = created.json.id;
  const agent = await server.token('agent', 'alice');
  const comment = await api(server.url, 'POST', `/v1/tickets/${ticketId}/comments`, {token: customer, json: {body: `More: ${HOSTILE}`}});
  expect(comment.status, comment.text).toBe(201);
  const article = await api(server.url, 'PUT', '/v1/kb/articles/printer-setup', {
    token: await server.token('admin', 'root'),
    json: {title: `Printer setup ${HOSTILE.replace('\u0000', '')}`, body: `# Printer\n\n${HOSTILE}\n`},
  });
  expect(article.status, article.text).toBe(201);
  env = {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: agent};
});

afterAll(async () => {
  await server.close();
  box.cleanup();
});

describe('text from a server never drives the terminal', () => {
  it('ticket view and list, piped: escaped, one row per ticket; --json is exact', async () => {
    const view = await runBin(['ticket', 'view', ticketId], {env});
    expect(view.exitCode, view.stderr).toBe(0);
    expectNeutralised(view.stdout + view.stderr);
    expect(view.stdout).toContain(`title:\t${HOSTILE_SHOWN.field}`);
    expect(view.stdout).toContain(`More: ${HOSTILE_SHOWN.text}`);

    const list = await runBin(['ticket', 'list'], {env});
    expectNeutralised(list.stdout + list.stderr);
    expect(list.stdout.replace(/\n$/, '').split('\n').map((row) => row.split('\t')[3])).toEqual([HOSTILE_SHOWN.field]);

    const json = parseJson<TicketWithComments>((await runBin(['ticket', 'view', ticketId, '--json'], {env})).stdout);
    expect(json.title).toBe(HOSTILE);
    expect(json.fields.region).toBe(HOSTILE);
    expect(json.comments[0]!.body).toBe(`More: ${HOSTILE}`);
  });

  it('kb search and view, piped: escaped', async () => {
    for (const argv of [['kb', 'search', 'printer'], ['kb', 'view', 'printer-setup']]) {
      const r = await runBin(argv, {env});
      expect(r.exitCode, r.stderr).toBe(0);
      expectNeutralised(r.stdout + r.stderr);
      expect(r.stdout).toContain('\\x1b]0;pwned');
    }
  });

  it('on a real terminal with colour: our styling, and the data shown escaped', async () => {
    const terminalEnv = {...env, FORCE_COLOR: '1'};
    for (const argv of [['ticket', 'view', ticketId], ['ticket', 'list'], ['kb', 'view', 'printer-setup', '--no-pager']]) {
      const {screen, exitCode} = await runInTerminal(argv, {env: terminalEnv});
      expect(exitCode, screen).toBe(0);
      // The terminal line discipline turns each newline into CR LF.
      const output = screen.replaceAll('\r\n', '\n');
      expectNeutralised(output);
      expect(output).toContain('\\x1b]52;c;cm0gLXJmIH4=\\x07');
      expect(output).toContain('\u001b[1m');
    }
  });

  it('a server error whose message carries escapes is shown escaped, with the documented exit code', async () => {
    let proxy: FaultProxy | undefined;
    try {
      proxy = await startFaultProxy(server.url, () => ({
        kind: 'respond',
        status: 422,
        body: {type: 'urn:supportkit:problem:validation', title: `Bad ${HOSTILE}`, status: 422, detail: `Rejected: ${HOSTILE.replace('\u0000', '')}`},
      }));
      const r = await runBin(['ticket', 'view', ticketId], {env: {...env, SUPPORT_URL: proxy.url}});
      expect(r.exitCode, r.stderr).toBe(5);
      expectNeutralised(r.stdout + r.stderr);
      expect(r.stderr).toContain('\\x1b]0;pwned');
    } finally {
      await proxy?.close();
    }
  });
});

describe('the article suggestions before ticket create', () => {
  it('show a hostile article title escaped on the terminal', async () => {
    const local = sandbox();
    try {
      mkdirSync(join(local.dir, 'kb'));
      const title = `Printer jams ${HOSTILE.replace('\u0000', '')}`;
      const yaml = `"${[...title].map((ch) => (/[ -~]/.test(ch) && ch !== '"' && ch !== '\\' ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}"`;
      writeFileSync(join(local.dir, 'kb', 'jam.md'), `---\ntitle: ${yaml}\nslug: printer-jams\ntags: [printer]\nlocale: en\n---\n\nOpen the tray.\n`);
      expect((await runBin(['kb', 'import', join(local.dir, 'kb')], {env: local.env})).exitCode).toBe(0);
      const {screen, exitCode} = await runInTerminal(['ticket', 'create', '--title', 'printer jams'], {
        env: local.env,
        steps: [[/solve your problem/, 'y\r']],
      });
      expect(exitCode, screen).toBe(0);
      expect(screen).toContain('Printer jams Invoice \\x1b]0;pwned\\x07');
      // Prompts draw with their own escape sequences; none of the data's gets through.
      for (const raw of ['\u001b]', '\u009b', '\u202e', '\u001bP', '\u001b_', '\u0007', '\u007f', '\u001b[5;8m']) expect(screen.includes(raw), JSON.stringify(raw)).toBe(false);
    } finally {
      local.cleanup();
    }
  });
});
