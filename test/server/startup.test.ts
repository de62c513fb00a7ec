import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {createServer, connect, type Server, type Socket} from 'node:net';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {ServerState} from '../../src/server/store/sqlite/state.js';
import {spawnServer} from '../helpers/servers.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let env: Record<string, string>;

beforeAll(() => {
  dirs = sandbox();
  env = dirs.env;
});

afterAll(() => dirs.cleanup());

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`Gave up waiting until ${what}.`);
}

describe('support serve on a port that is taken', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as {port: number}).port;
  });

  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('says so in one sentence, names --port, and exits 7', async () => {
    const run = await runBin(['serve', '--port', String(port), '--data-dir', join(dirs.dir, 'taken')], {env});
    expect(run.exitCode).toBe(7);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`Cannot listen on 127.0.0.1:${port}: the port is already in use.`);
    expect(run.stderr).toContain('--port');
    expect(run.stderr).not.toMatch(/\n\s+at |EADDRINUSE/);
    const json = await runBin(['serve', '--port', String(port), '--data-dir', join(dirs.dir, 'taken'), '--json'], {env});
    expect(json.exitCode).toBe(7);
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'unavailable', exitCode: 7, hint: expect.stringContaining('--port')});
  });
});

describe('support serve after it was killed in the middle of an upload', () => {
  it('removes the partial files of dead processes at start, and keeps those of a live one', async () => {
    const dir = join(dirs.dir, 'killed');
    const state = await ServerState.open(dir);
    const token = state.createToken('uploader', 'agent').token;
    state.close();
    const first = await spawnServer(env, ['--data-dir', dir]);
    const auth = {authorization: `Bearer ${token}`};
    const ticket = (await (await fetch(`${first.url}/v1/tickets`, {method: 'POST', headers: {...auth, 'content-type': 'application/json'}, body: '{"title":"big upload","body":"x"}'})).json()) as {
      id: string;
    };
    const attachments = join(dir, 'attachments', ticket.id);
    const incoming = () => (existsSync(attachments) ? readdirSync(attachments).filter((n) => n.startsWith('.incoming-')) : []);

    // An upload of 50 MB, of which the server gets a little before it is killed.
    const socket: Socket = connect(Number(new URL(first.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /v1/tickets/${ticket.id}/attachments?name=big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.authorization}\r\n` +
        'Content-Type: application/octet-stream\r\nContent-Length: 50000000\r\n\r\n',
    );
    socket.write(Buffer.alloc(256 * 1024, 1));
    await until('the upload streams to disk', () => incoming().length === 1);
    const left = incoming()[0]!;
    expect(left).toMatch(new RegExp(`^\\.incoming-${first.child.pid}-`));
    first.child.kill('SIGKILL');
    await first.exited;
    socket.destroy();
    expect(incoming()).toEqual([left]);

    // Beside it: an upload of an older version (no process id), one of a process that cannot
    // exist, and one of a live process (this test) that must survive the start.
    const live = `.incoming-${process.pid}-still-uploading`;
    mkdirSync(join(dir, 'attachments', '9'), {recursive: true});
    writeFileSync(join(dir, 'attachments', '9', '.incoming-0b6c9f0e-older-version'), 'x');
    writeFileSync(join(dir, 'attachments', '9', '.incoming-2147483646-dead'), 'x');
    writeFileSync(join(dir, 'attachments', '9', live), 'x');

    const second = await spawnServer(env, ['--data-dir', dir]);
    try {
      expect(incoming()).toEqual([]);
      expect(readdirSync(join(dir, 'attachments', '9'))).toEqual([live]);
      await until('the start-up note', () => /removed 3 unfinished uploads left by a server that stopped mid-upload/.test(second.stderr()));
      const after = (await (await fetch(`${second.url}/v1/tickets/${ticket.id}`, {headers: auth})).json()) as {attachments: unknown[]};
      expect(after.attachments).toEqual([]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
