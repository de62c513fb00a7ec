import type {Pool, PoolClient, QueryResultRow} from 'pg';

import {UnavailableError} from '../../../domain/errors.js';
import {redactUrl} from '../../../domain/redact.js';
import {MIGRATIONS} from './migrations.js';

/** One connection's queries, inside a transaction or not. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{rows: R[]; rowCount: number | null}>;
}

/**
 * Advisory lock keys (pg_advisory_xact_lock): each serialises one kind of write across every
 * instance, held until the transaction ends.
 */
export const LOCKS = {
  /** Migrations at start-up. */
  migrate: 7_734_001,
  /** Knowledge-base change_seq, the same for the sync feed. */
  kb: 7_734_003,
  /** Token names: unique for good, checked and taken in one step. */
  tokens: 7_734_004,
  /** Seeding the built-in articles. */
  seed: 7_734_005,
  /** Making webhook deliveries from the feed: one instance at a time (the others skip, not wait). */
  webhooks: 7_734_006,
} as const;

/** SQLSTATE classes and codes that mean the database is away, not that the request is wrong. */
const UNAVAILABLE = /^(08|53|57P0[1-3]|58)/;

/** pg's failures as errors a user can act on; anything else is a bug and stays as it is. */
export function describePgError(error: unknown, url: string): Error {
  const e = error as {code?: string; message?: string};
  const where = redactUrl(url);
  if (e?.code && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN)$/.test(e.code)) {
    return new UnavailableError(`Cannot reach the PostgreSQL database at ${where}: ${e.message}.`, {
      hint: 'Check that PostgreSQL runs and that host, port and network allow the connection.',
      cause: error,
    });
  }
  if (e?.code === '28P01' || e?.code === '28000') {
    return new UnavailableError(`PostgreSQL refused the login to ${where}: ${e.message}.`, {hint: 'Check the user name and password in the URL.', cause: error});
  }
  if (e?.code === '3D000') {
    return new UnavailableError(`The database of ${where} does not exist: ${e.message}.`, {hint: 'Create it first: createdb, or CREATE DATABASE in psql.', cause: error});
  }
  if (e?.code && UNAVAILABLE.test(e.code)) return new UnavailableError(`The PostgreSQL database at ${where} is unavailable: ${e.message}.`, {cause: error});
  if (e?.message && /Connection terminated|timeout exceeded when trying to connect/i.test(e.message)) {
    return new UnavailableError(`The PostgreSQL database at ${where} is unavailable: ${e.message}.`, {cause: error});
  }
  return error as Error;
}

export interface Database {
  pool: Pool;
  url: string;
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{rows: R[]; rowCount: number | null}>;
  /** Runs `fn` in a transaction on one connection: COMMIT when it returns, ROLLBACK when it throws. */
  tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Connects (pg, loaded only now) and brings the schema up to date. */
export async function openDatabase(url: string, poolSize: number): Promise<Database> {
  const {default: pg} = await import('pg');
  // bigint columns hold epoch milliseconds and ids, all far below 2^53: numbers, not strings.
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({connectionString: url, max: poolSize, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000});
  // An idle connection that the server drops (a restart, a failover) must not crash the process.
  pool.on('error', () => undefined);
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw describePgError(error, url);
    }
  };
  const db: Database = {
    pool,
    url,
    query: (text, values) => wrap(() => pool.query(text, values)),
    tx: (fn) =>
      wrap(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      }),
    close: () => pool.end(),
  };
  try {
    await migrate(db);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return db;
}

/** Applies the migrations not applied yet, in one transaction, under the migration lock. */
export async function migrate(db: Database, target = MIGRATIONS.length): Promise<number> {
  return db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrate]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const {rows} = await c.query<{version: number | null}>('SELECT max(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new UnavailableError(`The PostgreSQL database at ${redactUrl(db.url)} was migrated by a newer version of supportkit (schema ${current}; this one knows ${MIGRATIONS.length}).`, {
        hint: 'Upgrade supportkit on this machine to the version the other instances run.',
      });
    }
    for (let v = current; v < target; v++) {
      await c.query(MIGRATIONS[v]!);
      await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
    }
    return Math.max(current, target);
  });
}
