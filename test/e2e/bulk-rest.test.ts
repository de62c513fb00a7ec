import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {BIN, childEnv, parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';

/**
 * Bulk work through the built binary against `support serve` in its own process, on 127.0.0.1:
 * the CLI killed mid-run, the server killed and started again on the same port and directory.
 * Exactly once is checked on the server: through its API and in its store.
 */

let box: Sandbox;
let serverDir: string;
let token: string;
let server: Serve | undefined;

interface Serve {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

const envWith = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => childEnv({...box.env, ...extra});

/** `support serve` as a user starts it; port 0 picks a free one, which a restart then reuses. */
async function serve(port = 0, args: string[] = []): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--data-dir', serverDir, '--rate-limit', '0', '--quiet', ...args], {
    env: envWith(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve(line.trim());
    });
    void exited.then(() => reject(new Error(`support serve exited: ${stderr}`)));
  });
  return {url, port: Number(new URL(url).port), child, exited, stderr: () => stderr};
}

async function stop(s: Serve | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill(signal);
  await s.exited;
}

beforeEach(async () => {
  box = sandbox();
  serverDir = join(box.dir, 'server');
  const made = await runBin(['serve', 'token', 'create', '--role', 'agent', '--name', 'migrator', '--data-dir', serverDir, '--json'], {env: box.env});
  expect(made.exitCode, made.stderr).toBe(0);
  token = parseJson<{token: string}>(made.stdout).token;
  server = await serve();
});
afterEach(async () => {
  await stop(server);
  box.cleanup();
});

const restEnv = () => ({...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server!.url, SUPPORT_TOKEN: token});
const support = (argv: string[], timeoutMs = 150_000) => runBin(argv, {env: restEnv(), timeoutMs});

/** Reads the server's store the way a second process would, while the server writes to it. */
function count(sql: string): number {
  const file = join(serverDir, 'support.db');
  if (!existsSync(file)) return 0;
  const db = new DatabaseSync(file, {readOnly: true});
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    return (db.prepare(sql).get() as {n: number}).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Every ticket with the tag, through the server's API and its cursor. */
async function listed(tag: string): Promise<{id: string; title: string}[]> {
  const all: {id: string; title: string}[] = [];
  let cursor: string | undefined;
  do {
    const url = `${server!.url}/v1/tickets?tag=${tag}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(url, {headers: {authorization: `Bearer ${token}`}});
    expect(res.status).toBe(200);
    const page = (await res.json()) as {tickets: {id: string; title: string}[]; nextCursor?: string | null};
    all.push(...page.tickets);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

const until = async (what: () => boolean, done: () => boolean) => {
  while (!done() && !what()) await new Promise((resolve) => setTimeout(resolve, 20));
};

/** Starts `support argv` in the background. */
function start(argv: string[]) {
  const child = spawn(process.execPath, [BIN, ...argv], {env: envWith(restEnv()), stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let finished = false;
  const exited = new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) =>
    child.on('close', (code) => {
      finished = true;
      resolve({code, stdout, stderr});
    }),
  );
  return {child, exited, finished: () => finished};
}

const csvRows = (tag: string, rows: number) => `title,body,tags\r\n${Array.from({length: rows}, (_, i) => `${tag} row ${i + 1},"Body ${i + 1}, with a comma",${tag}`).join('\r\n')}\r\n`;

/** Exactly once, on the server: one ticket per row, each title once, in the store and through the API. */
async function expectOnceEach(tag: string, rows: number): Promise<void> {
  const tickets = await listed(tag);
  expect(tickets).toHaveLength(rows);
  expect(new Set(tickets.map((t) => t.title)).size).toBe(rows);
  expect(count('SELECT COUNT(*) AS n FROM tickets')).toBe(rows);
  expect(count('SELECT COUNT(DISTINCT title) AS n FROM tickets')).toBe(rows);
}

describe('bulk create against support serve, killed and run again', () => {
  it('the CLI killed with SIGKILL mid-run: the rerun applies every row exactly once, checked on the server', async () => {
    const rows = 1000;
    const input = join(box.dir, 'rows.csv');
    writeFileSync(input, csvRows('crash', rows));
    const first = start(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8']);
    await until(() => count('SELECT COUNT(*) AS n FROM tickets') >= 300, first.finished);
    expect(first.finished(), 'the run ended before it could be killed').toBe(false);
    first.child.kill('SIGKILL');
    await first.exited;
    const partial = count('SELECT COUNT(*) AS n FROM tickets');
    expect(partial).toBeGreaterThanOrEqual(300);
    expect(partial).toBeLessThan(rows);

    const rerun = await support(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8', '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const result = parseJson(rerun.stdout);
    expect(result).toMatchObject({total: rows, failed: 0});
    expect(result.succeeded + result.skipped).toBe(rows);
    expect(result.skipped).toBeGreaterThan(0);
    // Each result names its own ticket; rows cut off mid-call were found again by their key.
    expect(new Set(result.results.map((r: {id: string}) => r.id)).size).toBe(rows);
    await expectOnceEach('crash', rows);
    expect(count('SELECT COUNT(*) AS n FROM idempotency_keys')).toBe(rows);
  }, 240_000);

  it('the server killed with SIGKILL mid-run and started again on the same port: the run finishes, every row once', async () => {
    const rows = 600;
    const input = join(box.dir, 'rows.csv');
    writeFileSync(input, csvRows('restart', rows));
    const run = start(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8', '--json']);
    await until(() => count('SELECT COUNT(*) AS n FROM tickets') >= 150, run.finished);
    expect(run.finished(), 'the run ended before the server could be killed').toBe(false);
    await stop(server, 'SIGKILL');
    const atKill = count('SELECT COUNT(*) AS n FROM tickets');
    // Down long enough that the HTTP layer's own retries run out: the engine's backoff carries the run.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    server = await serve(server!.port);
    let outcome = await run.exited;
    if (outcome.code !== 0) {
      // Allowed: a clear failure, and the same command then completes.
      expect(outcome.code, outcome.stderr).toBe(1);
      outcome = {...(await support(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8', '--json'])), code: 0};
    }
    const result = parseJson(outcome.stdout);
    expect(result).toMatchObject({total: rows, failed: 0});
    expect(result.succeeded + result.skipped).toBe(rows);
    expect(atKill).toBeLessThan(rows);
    await expectOnceEach('restart', rows);
  }, 240_000);

  it('the server stopped with SIGTERM in the middle of an update with comments: one comment per ticket', async () => {
    const rows = 300;
    const seed = join(box.dir, 'seed.csv');
    writeFileSync(seed, csvRows('upd', rows));
    const seeded = await support(['ticket', 'bulk', 'create', '--input', seed, '--concurrency', '8', '--json']);
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    const ids = parseJson(seeded.stdout).results.map((r: {id: string}) => r.id) as string[];
    const input = join(box.dir, 'changes.jsonl');
    writeFileSync(input, ids.map((id) => JSON.stringify({id, status: 'pending', addTags: ['migrated'], comment: `Migrated ${id}.`})).join('\n'));
    const run = start(['ticket', 'bulk', 'update', '--input', input, '--concurrency', '8', '--json']);
    await until(() => count('SELECT COUNT(*) AS n FROM comments') >= 80, run.finished);
    expect(run.finished(), 'the run ended before the server could be stopped').toBe(false);
    await stop(server, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server = await serve(server!.port);
    let outcome = await run.exited;
    if (outcome.code !== 0) {
      expect(outcome.code, outcome.stderr).toBe(1);
      outcome = {...(await support(['ticket', 'bulk', 'update', '--input', input, '--concurrency', '8', '--json'])), code: 0};
    }
    expect(parseJson(outcome.stdout)).toMatchObject({total: rows, failed: 0});
    expect(count('SELECT COUNT(*) AS n FROM comments')).toBe(rows);
    expect(count('SELECT COUNT(DISTINCT ticket_id) AS n FROM comments')).toBe(rows);
    expect(count("SELECT COUNT(*) AS n FROM tickets WHERE status = 'pending'")).toBe(rows);
    expect(await listed('migrated')).toHaveLength(rows);
  }, 240_000);
});
