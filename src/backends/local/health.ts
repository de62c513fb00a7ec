import {existsSync} from 'node:fs';
import {join} from 'node:path';

import {loadSqlite} from '../../store/embedded/sqlite.js';
import {localStoreRoot} from './index.js';

export interface LocalStoreHealth {
  file: string;
  exists: boolean;
  /** What SQLite's integrity check found; empty when the file is sound. */
  problems: string[];
}

/**
 * SQLite's own integrity check of the local store, opened read-only: a check changes nothing,
 * and a store that does not exist yet is not created by it.
 */
export async function inspectLocalStore(dataDir: string): Promise<LocalStoreHealth> {
  const file = join(localStoreRoot(dataDir), 'support.db');
  if (!existsSync(file)) return {file, exists: false, problems: []};
  const {DatabaseSync} = await loadSqlite();
  let db;
  try {
    db = new DatabaseSync(file, {readOnly: true});
    const rows = db.prepare('PRAGMA integrity_check').all() as {integrity_check: string}[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    return {file, exists: true, problems};
  } catch (error) {
    return {file, exists: true, problems: [(error as Error).message]};
  } finally {
    db?.close();
  }
}
