import {UsageError} from '../../domain/errors.js';
import type {ServerStore} from './store.js';

export interface OpenStoreOptions {
  /** The server's own directory: the SQLite store, or with PostgreSQL the knowledge-base search index. */
  dataDir: string;
  /** postgres://user:password@host:port/database (or postgresql://); absent: SQLite in dataDir. */
  databaseUrl?: string | undefined;
  now?: () => number;
  log?: (line: string) => void;
  /** Connections per instance (PostgreSQL). */
  poolSize?: number;
}

/** Whether a --database value names PostgreSQL. */
export const isPostgresUrl = (url: string) => /^postgres(?:ql)?:\/\//i.test(url);

/**
 * Opens the store a server runs on: SQLite in `dataDir` unless a PostgreSQL URL is given. Each
 * implementation is imported only when it is chosen, so the PostgreSQL client costs nothing to
 * a server on SQLite.
 */
export async function openServerStore(options: OpenStoreOptions): Promise<ServerStore> {
  const now = options.now ?? Date.now;
  if (options.databaseUrl) {
    if (!isPostgresUrl(options.databaseUrl)) {
      throw new UsageError('--database takes a PostgreSQL URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE.', {
        hint: 'Leave it out to keep the embedded SQLite store in --data-dir.',
      });
    }
    const {openPostgresServerStore} = await import('./postgres/index.js');
    return openPostgresServerStore({url: options.databaseUrl, dataDir: options.dataDir, now, log: options.log, poolSize: options.poolSize});
  }
  const {openSqliteServerStore} = await import('./sqlite/index.js');
  return openSqliteServerStore({dataDir: options.dataDir, now, log: options.log});
}

/**
 * Only the tokens of a server's store, for `support serve token ...`: with SQLite just server.db
 * (the server may be running), with PostgreSQL the database (migrated first, like a server would).
 */
export async function openTokenStore(options: OpenStoreOptions): Promise<{tokens: ServerStore['tokens']; close(): Promise<void>}> {
  if (options.databaseUrl) return openServerStore({...options, poolSize: 1});
  const {ServerState} = await import('./sqlite/state.js');
  const state = await ServerState.open(options.dataDir, options.now);
  return {
    tokens: {
      create: async (name, role, options) => state.createToken(name, role, options),
      list: async () => state.listTokens(),
      revoke: async (idOrName) => state.revokeToken(idOrName),
      verify: async (secret) => state.verify(secret),
    },
    close: async () => state.close(),
  };
}

/**
 * Only the webhooks of a server's store, for `support serve webhook ...`: with SQLite just
 * server.db (the server may be running, and delivers what is added at once), with PostgreSQL the
 * database.
 */
export async function openWebhookStore(options: OpenStoreOptions): Promise<{webhooks: ServerStore['webhooks']; close(): Promise<void>}> {
  if (options.databaseUrl) return openServerStore({...options, poolSize: 1});
  const {ServerState} = await import('./sqlite/state.js');
  const {sqliteWebhooks} = await import('./sqlite/webhooks.js');
  const state = await ServerState.open(options.dataDir, options.now);
  return {webhooks: sqliteWebhooks(state, options.now ?? Date.now), close: async () => state.close()};
}
