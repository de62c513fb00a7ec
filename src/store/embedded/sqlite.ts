import {dirname} from 'node:path';
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
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/**
 * Turns an SQLite failure into one sentence about the user's database file and what to do.
 * `readOnly` is why the store was opened for reading only, when it was.
 */
export function describeSqliteError(error: unknown, file: string, readOnly?: string): Error {
  const e = error as SqliteError;
  if (e?.code !== 'ERR_SQLITE_ERROR' && !/^(database|file is not|disk I\/O|attempt to write)/i.test(e?.message ?? '')) return e as Error;
  const primary = (e.errcode ?? 0) & 0xff;
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
    return new UnavailableError(`The local database ${file} is locked by another process.`, {
      hint: 'Wait for the other support command to finish, then try again.',
      cause: e,
    });
  }
  if (primary === SQLITE_READONLY) return readOnlyError(file, readOnly ?? 'the file itself is not writable', e);
  if (primary === SQLITE_FULL) {
    return new UnavailableError(`The disk that holds the local database ${file} is full, so nothing was changed.`, {
      hint: 'Free some space on that disk, then run the command again.',
      cause: e,
    });
  }
  if (primary === SQLITE_NOTADB) {
    return new UnavailableError(`The local database ${file} is not an SQLite database, so it was left as it is.`, {
      hint: `If it should be one, restore it from a backup; to start a new, empty store, move it aside: mv "${file}" "${file}.broken".`,
      cause: e,
    });
  }
  if (primary === SQLITE_CORRUPT) {
    return new UnavailableError(`The local database ${file} is damaged, so it was left as it is.`, {
      hint: `Restore it from a backup, or move it aside (mv "${file}" "${file}.broken") to start a new, empty store.`,
      cause: e,
    });
  }
  if (primary === SQLITE_CANTOPEN) {
    return new UnavailableError(`The local database ${file} cannot be opened.`, {
      hint: 'Check that its directory exists and is writable, or set SUPPORT_DATA_DIR to another directory.',
      cause: e,
    });
  }
  if (primary === SQLITE_IOERR) {
    return new UnavailableError(`The local database ${file} could not be written or read (${e.errstr ?? e.message}); nothing was changed.`, {
      hint: 'Check the disk that holds it: is it full, read-only or failing? Then run the command again.',
      cause: e,
    });
  }
  return new UnavailableError(`The local database ${file} failed: ${e.errstr ?? e.message}.`, {cause: e});
}

/** The one sentence for a write to a store that can only be read (`reason`: why). */
export function readOnlyError(file: string, reason: string, cause?: unknown): UnavailableError {
  return new UnavailableError(`The local database ${file} can only be read here, because ${reason}; nothing was changed.`, {
    hint: `Reading tickets still works. To change them, make ${dirname(file)} writable (or free space on its disk), or set SUPPORT_DATA_DIR to a writable directory.`,
    cause,
  });
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
