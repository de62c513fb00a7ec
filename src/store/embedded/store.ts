import type {DatabaseSync} from 'node:sqlite';
import {closeSync, copyFileSync, constants, linkSync, mkdirSync, openSync, rmSync, statSync, writeSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import {dirname, join} from 'node:path';
import {pathToFileURL} from 'node:url';

import {UnavailableError} from '../../domain/errors.js';
import {describeWriteFailure} from '../../store/atomic-file.js';
import {migrate, SCHEMA_VERSION} from './schema.js';
import {describeSqliteError, loadSqlite, readOnlyError} from './sqlite.js';

export interface LocalStore {
  db: DatabaseSync;
  /** Directory that holds the database file and the attachments beside it. */
  root: string;
  file: string;
  /**
   * Why the store is open for reading only ("/x is on a read-only file system"); undefined when
   * it can be written. Reads work either way; every write fails with one sentence naming the file.
   */
  readOnly?: string;
  /** Runs `fn` and turns SQLite failures into errors about the user's database file. */
  guard<T>(fn: () => T): T;
  /** Throws the read-only error before a write that would only fail later (an upload read to its end). */
  assertWritable(): void;
  close(): void;
}

/** Milliseconds another writer may hold the lock before we give up with a clear error. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens the store in `root`, creating it when there is none. A file that is there is never
 * replaced: an empty one (0 bytes), one that is not a database, or one of a newer schema is
 * reported with its path and left as it is. When the directory cannot be written (a read-only
 * mount, a full disk) an existing store opens for reading: WAL mode needs a writable directory
 * for its -wal and -shm files, so it is opened immutable instead, and writes say why they fail.
 */
export async function openLocalStore(root: string, options: {busyTimeoutMs?: number} = {}): Promise<LocalStore> {
  const {DatabaseSync} = await loadSqlite();
  const file = join(root, 'support.db');
  let readOnly: string | undefined;
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(error, file, readOnly);
    }
  };
  const info = statFile(file);
  if (info && !info.isFile()) {
    throw new UnavailableError(`The local database ${file} is not a regular file, so it was left as it is.`, {
      hint: 'Move it aside, or set SUPPORT_DATA_DIR to another directory.',
    });
  }
  if (info?.size === 0) {
    throw new UnavailableError(`The local database ${file} is empty (0 bytes), so it was left as it is: a store always holds its schema, so this one was cut short (a full disk, a failed copy) or emptied.`, {
      hint: `Restore it from a backup; to start a new, empty store instead, move it aside: mv "${file}" "${file}.empty".`,
    });
  }
  if (!info) createStore(file, DatabaseSync);

  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file);
    db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    // Before anything is written (WAL mode is written into the file): a newer store stays byte for byte as it is.
    checkSchemaVersion(db, file);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (error) {
    if (db?.isOpen) db.close();
    if (error instanceof UnavailableError) throw error;
    // The file is there but cannot be opened to write: read it if the directory is the reason.
    readOnly = whyNotWritable(root);
    if (!readOnly) throw describeSqliteError(error, file);
    db = openReadOnly(file, readOnly, DatabaseSync);
  }
  const opened = db;
  const close = () => {
    if (opened.isOpen) opened.close();
  };
  return {
    db: opened,
    root,
    file,
    readOnly,
    guard,
    assertWritable: () => {
      if (readOnly) throw readOnlyError(file, readOnly);
    },
    close,
  };
}

function statFile(file: string) {
  try {
    return statSync(file, {throwIfNoEntry: false});
  } catch (error) {
    throw new UnavailableError(`The local database ${file} cannot be reached: ${describeWriteFailure(error, file) ?? (error as Error).message}.`, {
      hint: 'Check the data directory, or set SUPPORT_DATA_DIR to another directory.',
      cause: error,
    });
  }
}

function checkSchemaVersion(db: DatabaseSync, file: string): void {
  const {user_version: version} = db.prepare('PRAGMA user_version').get() as {user_version: number};
  if (version > SCHEMA_VERSION) {
    throw new UnavailableError(`The local database ${file} was written by a newer version of supportkit (schema ${version}; this version knows up to ${SCHEMA_VERSION}), so it was left as it is.`, {
      hint: 'Upgrade supportkit (npm install -g supportkit-cli@latest), or set SUPPORT_DATA_DIR to another directory.',
    });
  }
}

/**
 * A new store is made complete under a temporary name and then linked into place, so that a
 * support.db is never a half-made file: a crash or a full disk leaves no store, or a whole one.
 * A process that linked first wins; this one's copy is dropped.
 */
function createStore(file: string, DatabaseSync: typeof import('node:sqlite').DatabaseSync): void {
  const root = dirname(file);
  const temp = `${file}.${randomBytes(6).toString('hex')}.new`;
  const cannot = (error: unknown) =>
    new UnavailableError(`Could not create the local database ${file}: ${whyNotWritable(root) ?? describeWriteFailure(error, file) ?? (error as Error).message}.`, {
      hint: 'Make that directory writable (or free space on its disk), or set SUPPORT_DATA_DIR to another directory.',
      cause: error,
    });
  try {
    mkdirSync(root, {recursive: true, mode: 0o700});
  } catch (error) {
    throw cannot(error);
  }
  try {
    const db = new DatabaseSync(temp);
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA foreign_keys = ON');
      migrate(db);
    } finally {
      // Closing the last connection folds the WAL into the file and removes -wal and -shm.
      db.close();
    }
    try {
      linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      // File systems without hard links: copy, still refusing to replace a store made meanwhile.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
      try {
        copyFileSync(temp, file, constants.COPYFILE_EXCL);
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') return;
        rmSync(file, {force: true});
        throw copyError;
      }
    }
  } catch (error) {
    throw cannot(error);
  } finally {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, {force: true});
  }
}

/** Why files cannot be made in `dir`, found by making one: root ignores modes, so asking access() is not enough. */
function whyNotWritable(dir: string): string | undefined {
  const probe = join(dir, `.write-test-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(probe, 'wx', 0o600);
    // A full disk still lets a file be made; it refuses the first page written into it.
    writeSync(fd, Buffer.alloc(4096));
    return undefined;
  } catch (error) {
    return describeWriteFailure(error, probe) ?? `${dir} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(probe, {force: true});
  }
}

/**
 * Opens the store for reading in a directory where no -wal or -shm file can be made. With no
 * WAL left behind, `immutable` reads the file as it is; a WAL left by a process that did not
 * close cleanly holds changes only a writable directory can fold back in, so that is said.
 */
function openReadOnly(file: string, reason: string, DatabaseSync: typeof import('node:sqlite').DatabaseSync): DatabaseSync {
  const wal = statSync(`${file}-wal`, {throwIfNoEntry: false});
  let db: DatabaseSync;
  try {
    if (wal && wal.size > 0) {
      // SQLite reads a WAL without writing when its -shm is there too; otherwise this fails.
      db = new DatabaseSync(file, {readOnly: true});
      db.prepare('PRAGMA user_version').get();
    } else {
      db = new DatabaseSync(`${pathToFileURL(file).href}?immutable=1`, {readOnly: true});
    }
  } catch (error) {
    if (wal && wal.size > 0) {
      throw new UnavailableError(`The local database ${file} cannot be read: its latest changes are in ${file}-wal, which only a writable directory lets SQLite read, and ${reason}.`, {
        hint: `Make ${dirname(file)} writable once so that a support command can fold them in, or copy the store with its -wal file to a writable SUPPORT_DATA_DIR.`,
        cause: error,
      });
    }
    throw describeSqliteError(error, file);
  }
  try {
    checkSchemaVersion(db, file);
    const {user_version: version} = db.prepare('PRAGMA user_version').get() as {user_version: number};
    if (version < SCHEMA_VERSION) {
      throw new UnavailableError(`The local database ${file} needs an upgrade to this version of supportkit, which needs a writable directory, and ${reason}.`, {
        hint: `Make ${dirname(file)} writable for one support command, or set SUPPORT_DATA_DIR to a writable directory.`,
      });
    }
  } catch (error) {
    db.close();
    throw error instanceof UnavailableError ? error : describeSqliteError(error, file);
  }
  return db;
}
