import type {DatabaseSync} from 'node:sqlite';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import {UnavailableError} from '../../domain/errors.js';
import {migrate, SCHEMA_VERSION} from './schema.js';
import {describeSqliteError, loadSqlite} from './sqlite.js';

export interface LocalStore {
  db: DatabaseSync;
  /** Directory that holds the database file and the attachments beside it. */
  root: string;
  file: string;
  /** Runs `fn` and turns SQLite failures into errors about the user's database file. */
  guard<T>(fn: () => T): T;
  close(): void;
}

/** Milliseconds another writer may hold the lock before we give up with a clear error. */
const BUSY_TIMEOUT_MS = 10_000;

export async function openLocalStore(root: string, options: {busyTimeoutMs?: number} = {}): Promise<LocalStore> {
  const {DatabaseSync} = await loadSqlite();
  const file = join(root, 'support.db');
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(error, file);
    }
  };
  mkdirSync(root, {recursive: true, mode: 0o700});
  const db = guard(() => new DatabaseSync(file));
  guard(() => {
    db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    const {user_version: version} = db.prepare('PRAGMA user_version').get() as {user_version: number};
    if (version > SCHEMA_VERSION) {
      throw new UnavailableError(`The local database ${file} was written by a newer version of supportkit.`, {
        hint: 'Upgrade supportkit (npm install -g supportkit-cli@latest), or set SUPPORT_DATA_DIR to another directory.',
      });
    }
    migrate(db);
  });
  return {db, root, file, guard, close: () => db.close()};
}
