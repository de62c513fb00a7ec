import {spawn} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {createLocalBackend} from '../../src/backends/local/index.js';
import {SCHEMA_VERSION} from '../../src/store/embedded/schema.js';
import {loadSqlite} from '../../src/store/embedded/sqlite.js';
import {openLocalStore} from '../../src/store/embedded/store.js';
import {LocalTickets} from '../../src/store/embedded/tickets.js';
import {RejectedError, UnavailableError} from '../../src/domain/errors.js';
import {ROOT, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const identity = {name: 'tester', role: 'customer' as const};
const open = (dataDir = box.env.SUPPORT_DATA_DIR) =>
  createLocalBackend({profile: 'default', dataDir, cacheDir: box.env.SUPPORT_CACHE_DIR, identity});

describe('local backend store', () => {
  it('creates a WAL database at the current schema version', async () => {
    const store = await openLocalStore(join(box.dir, 'db'));
    expect((store.db.prepare('PRAGMA journal_mode').get() as {journal_mode: string}).journal_mode).toBe('wal');
    expect((store.db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version).toBe(SCHEMA_VERSION);
    store.close();
    // opening again migrates nothing and keeps the data
    const again = await openLocalStore(join(box.dir, 'db'));
    expect((again.db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('refuses a database written by a newer version, saying which schemas, and leaves it as it is', async () => {
    const root = join(box.dir, 'db');
    mkdirSync(root, {recursive: true});
    const {DatabaseSync} = await loadSqlite();
    const file = join(root, 'support.db');
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    const before = readFileSync(file);
    const error = await openLocalStore(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toBe(
      `The local database ${file} was written by a newer version of supportkit (schema ${SCHEMA_VERSION + 5}; this version knows up to ${SCHEMA_VERSION}), so it was left as it is.`,
    );
    expect((error as UnavailableError).hint).toMatch(/Upgrade supportkit/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('reports a file that is not a database with a hint to move it aside, and does not touch it', async () => {
    const root = join(box.env.SUPPORT_DATA_DIR, 'local');
    mkdirSync(root, {recursive: true});
    const file = join(root, 'support.db');
    const text = 'this is not a database at all, just text '.repeat(200);
    writeFileSync(file, text);
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toBe(`The local database ${file} is not an SQLite database, so it was left as it is.`);
    expect((error as UnavailableError).hint).toContain(`mv "${file}" "${file}.broken"`);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readdirSync(root)).toEqual(['support.db']);
  });

  it('never replaces an empty (0-byte) support.db with a new store: it says so and keeps the file', async () => {
    const root = join(box.env.SUPPORT_DATA_DIR, 'local');
    mkdirSync(root, {recursive: true});
    const file = join(root, 'support.db');
    writeFileSync(file, '');
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toMatch(new RegExp(`^The local database ${file.replace(/[.]/g, '\\.')} is empty \\(0 bytes\\), so it was left as it is`));
    expect((error as UnavailableError).hint).toContain(`mv "${file}" "${file}.empty"`);
    expect(statSync(file).size).toBe(0);
    expect(readdirSync(root)).toEqual(['support.db']);
    // Moved aside as the hint says, a new store starts and the empty file stays where it was put.
    renameSync(file, `${file}.empty`);
    const backend = await open();
    expect((await backend.tickets.create({title: 't', body: 'b'})).id).toBe('1');
    await backend.close();
    expect(statSync(`${file}.empty`).size).toBe(0);
  });

  it('makes a new store whole before it is in place: no temporary file is left beside it', async () => {
    const backend = await open();
    await backend.close();
    expect(readdirSync(join(box.env.SUPPORT_DATA_DIR, 'local')).filter((f) => !/^support\.db(-wal|-shm)?$/.test(f))).toEqual([]);
  });

  it('waits for a lock held by another process, then fails clearly', async () => {
    const root = join(box.dir, 'db');
    const holder = await openLocalStore(root);
    const store = await openLocalStore(root, {busyTimeoutMs: 200});
    holder.db.exec('BEGIN EXCLUSIVE');
    const tickets = new LocalTickets(store, identity);
    const error = await tickets.create({title: 't', body: 'b'}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toContain('is locked by another process');
    holder.db.exec('ROLLBACK');
    await expect(tickets.create({title: 't', body: 'b'})).resolves.toMatchObject({id: '1'});
    holder.close();
    store.close();
  });

  it('returns the first ticket for a repeated idempotency key, and rejects the key for another body', async () => {
    const backend = await open();
    const a = await backend.tickets.create({title: 'once', body: 'b'}, {idempotencyKey: 'k1'});
    const b = await backend.tickets.create({title: 'once', body: 'b'}, {idempotencyKey: 'k1'});
    expect(b.id).toBe(a.id);
    await expect(backend.tickets.create({title: 'other', body: 'b'}, {idempotencyKey: 'k1'})).rejects.toThrow(RejectedError);
    expect((await backend.tickets.list({})).tickets).toHaveLength(1);
    await backend.close();
  });

  it('records the history the SLA engine reads', async () => {
    const backend = await open();
    const t = await backend.tickets.create({title: 'h', body: 'b'});
    await backend.tickets.comment(t.id, {body: 'reply'});
    await backend.tickets.update(t.id, {status: 'pending', priority: 'high'});
    const events = await backend.tickets.events(t.id);
    expect(events.map((e) => e.type)).toEqual(['created', 'comment', 'status_changed', 'updated']);
    expect(events[2]!.data).toEqual({from: 'new', to: 'pending'});
    expect(events[1]).toMatchObject({actor: 'tester', actorRole: 'customer', data: {public: true}});
    await backend.close();
  });

  it('loses no write when several processes create tickets at once', async () => {
    // The built module: `npm test` builds before it runs the tests.
    const module = pathToFileURL(join(ROOT, 'dist/backends/local/index.js')).href;
    const script = `
      const {createLocalBackend} = await import(${JSON.stringify(module)});
      const b = await createLocalBackend({profile: 'p', dataDir: process.argv[1], cacheDir: process.argv[1], identity: {name: 'w' + process.argv[2], role: 'customer'}});
      for (let i = 0; i < 40; i++) {
        const t = await b.tickets.create({title: 'w' + process.argv[2] + '-' + i, body: 'b'});
        await b.tickets.comment(t.id, {body: 'c'});
      }
      await b.close();`;
    const workers = [1, 2, 3, 4].map(
      (n) =>
        new Promise<number>((resolve) => {
          const args = ['--no-warnings', '--input-type=module', '-e', script, box.env.SUPPORT_DATA_DIR, String(n)];
          const child = spawn(process.execPath, args, {stdio: 'inherit'});
          child.on('close', (code: number | null) => resolve(code ?? 1));
        }),
    );
    expect(await Promise.all(workers)).toEqual([0, 0, 0, 0]);
    const backend = await open();
    const page = await backend.tickets.list({limit: 1000});
    expect(page.tickets).toHaveLength(160);
    expect(new Set(page.tickets.map((t) => t.title)).size).toBe(160);
    await backend.close();
  });
});
