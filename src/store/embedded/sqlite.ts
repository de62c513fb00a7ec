import type {DatabaseSync} from 'node:sqlite';

import {UnavailableError} from '../../domain/errors.js';

export {loadSqlite} from '../../store/sqlite.js';

interface SqliteError extends Error {
  code?: string;
  errcode?: number;
  errstr?: string;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** Turns an SQLite failure into one sentence about the user's database file and what to do. */
export function describeSqliteError(error: unknown, file: string): Error {
  const e = error as SqliteError;
  if (e?.code !== 'ERR_SQLITE_ERROR' && !/^(database|file is not|disk I\/O)/i.test(e?.message ?? '')) return e as Error;
  const primary = (e.errcode ?? 0) & 0xff;
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
    return new UnavailableError(`The local database ${file} is locked by another process.`, {
      hint: 'Wait for the other support command to finish, then try again.',
      cause: e,
    });
  }
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) {
    return new UnavailableError(`The local database ${file} is damaged or is not an SQLite database.`, {
      hint: `Move it aside (mv "${file}" "${file}.broken") to start a fresh store, or restore it from a backup.`,
      cause: e,
    });
  }
  if (primary === SQLITE_CANTOPEN) {
    return new UnavailableError(`The local database ${file} cannot be opened.`, {
      hint: 'Check that its directory exists and is writable, or set SUPPORT_DATA_DIR to another directory.',
      cause: e,
    });
  }
  return new UnavailableError(`The local database ${file} failed: ${e.errstr ?? e.message}.`, {cause: e});
}

/** Runs `fn` in a write transaction taken up front, so that two processes queue instead of deadlocking. */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
