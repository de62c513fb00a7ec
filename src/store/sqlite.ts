import type * as Sqlite from 'node:sqlite';

type SqliteModule = typeof Sqlite;
let sqlite: SqliteModule | undefined;

/**
 * node:sqlite, loaded on first use: the one loader, shared by the local store and the bulk
 * journal. Node 22 warns on every run that it is experimental; users cannot act on that.
 */
export async function loadSqlite(): Promise<SqliteModule> {
  if (sqlite) return sqlite;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/i.test(text)) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    sqlite = await import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
  return sqlite;
}
