import {join} from 'node:path';

import {afterAll, beforeAll, expect, it} from 'vitest';

import {UnavailableError} from '../../src/domain/errors.js';
import {openServerStore} from '../../src/server/store/open.js';
import {MIGRATIONS} from '../../src/server/store/postgres/migrations.js';
import {createTestDatabase} from '../helpers/postgres.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
beforeAll(() => {
  dirs = sandbox();
});
afterAll(() => dirs.cleanup());

async function migrationsOf(url: string): Promise<number[]> {
  const {default: pg} = await import('pg');
  const client = new pg.Client({connectionString: url});
  await client.connect();
  try {
    return (await client.query<{version: number}>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

it('migrates a new database once, however many instances start on it at the same moment', async () => {
  const url = await createTestDatabase();
  const stores = await Promise.all([1, 2, 3].map((n) => openServerStore({dataDir: join(dirs.dir, `m${n}`), databaseUrl: url})));
  try {
    expect(await migrationsOf(url)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    // What one instance wrote, the others read.
    const token = await stores[0]!.tokens.create('root', 'admin');
    expect((await stores[2]!.tokens.verify(token.token))?.name).toBe('root');
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
  const again = await openServerStore({dataDir: join(dirs.dir, 'm4'), databaseUrl: url});
  await again.close();
  expect(await migrationsOf(url)).toEqual(MIGRATIONS.map((_, i) => i + 1));
});

it('refuses to start on a database that a newer version migrated, and changes nothing in it', async () => {
  const url = await createTestDatabase();
  const first = await openServerStore({dataDir: join(dirs.dir, 'n1'), databaseUrl: url});
  await first.close();
  const {default: pg} = await import('pg');
  const client = new pg.Client({connectionString: url});
  await client.connect();
  await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
  await client.end();
  const error = await openServerStore({dataDir: join(dirs.dir, 'n2'), databaseUrl: url}).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnavailableError);
  expect((error as Error).message).toMatch(/migrated by a newer version of supportkit/);
  expect((error as UnavailableError).hint).toMatch(/Upgrade supportkit/);
  expect(await migrationsOf(url)).toEqual([...MIGRATIONS.map((_, i) => i + 1), MIGRATIONS.length + 1]);
});
