import {spawn} from 'node:child_process';
import {existsSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {BIN, childEnv, parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const support = (argv: string[], timeoutMs = 120_000) => runBin(argv, {env: box.env, timeoutMs});

/** Reads the store the way a second process would, while the CLI writes to it. */
function query<T>(sql: string): T[] {
  const file = join(box.env.SUPPORT_DATA_DIR, 'local', 'support.db');
  if (!existsSync(file)) return [];
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    return db.prepare(sql).all() as T[];
  } catch {
    return [];
  } finally {
    db.close();
  }
}
const count = (sql: string) => (query<{n: number}>(sql)[0]?.n ?? 0);

/** Starts `support argv`, and SIGKILLs it once `ready()` says enough has happened. */
async function killMidway(argv: string[], ready: () => boolean): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...argv], {env: childEnv(box.env), stdio: 'ignore'});
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !ready()) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(done, 'the run ended before it could be killed').toBe(false);
  child.kill('SIGKILL');
  await exited;
}

describe('bulk work killed with SIGKILL and run again', () => {
  it('creates every row exactly once', async () => {
    const rows = 2000;
    const input = join(box.dir, 'rows.csv');
    writeFileSync(input, `title,body,tags\r\n${Array.from({length: rows}, (_, i) => `Row ${i + 1},"Body ${i + 1}, with a comma",crash`).join('\r\n')}\r\n`);
    await killMidway(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8'], () => count('SELECT COUNT(*) AS n FROM tickets') >= 300);
    const partial = count('SELECT COUNT(*) AS n FROM tickets');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(rows);

    const rerun = await support(['ticket', 'bulk', 'create', '--input', input, '--concurrency', '8', '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const result = parseJson(rerun.stdout);
    expect(result.total).toBe(rows);
    expect(result.failed).toBe(0);
    expect(result.succeeded + result.skipped).toBe(rows);
    expect(result.skipped).toBeGreaterThan(0);

    expect(count('SELECT COUNT(*) AS n FROM tickets')).toBe(rows);
    expect(count('SELECT COUNT(DISTINCT title) AS n FROM tickets')).toBe(rows);
    // Each result names its own ticket.
    expect(new Set(result.results.map((r: {id: string}) => r.id)).size).toBe(rows);
  }, 180_000);

  it('updates every row exactly once: one comment per ticket', async () => {
    const rows = 800;
    const seed = join(box.dir, 'seed.jsonl');
    writeFileSync(seed, Array.from({length: rows}, (_, i) => JSON.stringify({title: `T${i + 1}`, body: 'b'})).join('\n'));
    expect((await support(['ticket', 'bulk', 'create', '--input', seed])).exitCode).toBe(0);
    const input = join(box.dir, 'changes.jsonl');
    writeFileSync(input, Array.from({length: rows}, (_, i) => JSON.stringify({id: String(i + 1), status: 'pending', addTags: ['migrated'], comment: `Migrated row ${i + 1}.`})).join('\n'));
    await killMidway(['ticket', 'bulk', 'update', '--input', input], () => count('SELECT COUNT(*) AS n FROM comments') >= 100);
    expect(count('SELECT COUNT(*) AS n FROM comments')).toBeLessThan(rows);

    const rerun = await support(['ticket', 'bulk', 'update', '--input', input, '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(parseJson(rerun.stdout)).toMatchObject({total: rows, failed: 0});
    expect(count('SELECT COUNT(*) AS n FROM comments')).toBe(rows);
    expect(count('SELECT COUNT(DISTINCT ticket_id) AS n FROM comments')).toBe(rows);
    expect(count("SELECT COUNT(*) AS n FROM tickets WHERE status = 'pending'")).toBe(rows);
    expect(count("SELECT COUNT(*) AS n FROM ticket_tags WHERE tag = 'migrated'")).toBe(rows);
  }, 180_000);

  it('prints the --json summary and exits 1 when a row fails, from the built binary', async () => {
    const input = join(box.dir, 'rows.jsonl');
    writeFileSync(input, '{"title":"a","body":"b"}\n');
    expect((await support(['ticket', 'bulk', 'create', '--input', input])).exitCode).toBe(0);
    const update = join(box.dir, 'update.csv');
    writeFileSync(update, 'id,status\n1,solved\n42,solved\n');
    const r = await support(['ticket', 'bulk', 'update', '--input', update, '--json']);
    expect(r.exitCode).toBe(1);
    expect(parseJson(r.stdout)).toEqual({
      total: 2,
      succeeded: 1,
      failed: 1,
      skipped: 0,
      results: [
        {line: 2, id: '1', ok: true, error: null},
        {line: 3, id: '42', ok: false, error: 'Ticket 42 does not exist.'},
      ],
    });
    const help = await support(['ticket', 'bulk', '--help']);
    expect(help.stdout).toContain('ticket bulk create');
  });
});
