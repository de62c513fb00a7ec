import {join} from 'node:path';

import type {RunningServer} from '../server/app.js';
import type {CreatedToken, TokenInfo, TokenRole} from '../server/store/store.js';

/** The server keeps its own store apart from the CLI's local backend, unless told otherwise. */
export const defaultServerDir = (cliDataDir: string) => join(cliDataDir, 'server');

/** Where a server's store is: SQLite in `dataDir`, or the PostgreSQL database of `databaseUrl`. */
export interface ServerStoreLocation {
  dataDir: string;
  databaseUrl?: string | undefined;
}

export interface StartServerInput extends ServerStoreLocation {
  host: string;
  port: number;
  rateLimit: number;
  maxUploadBytes?: number;
  log?: (line: string) => void;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const isLoopback = (host: string) => LOOPBACK.test(host);

export async function startSupportServer(input: StartServerInput): Promise<RunningServer> {
  const {startServer} = await import('../server/app.js');
  return startServer({
    dataDir: input.dataDir,
    databaseUrl: input.databaseUrl,
    host: input.host,
    port: input.port,
    rateLimit: input.rateLimit,
    maxUploadBytes: input.maxUploadBytes,
    log: input.log,
  });
}

async function withTokens<T>(where: ServerStoreLocation, fn: (tokens: import('../server/store/store.js').TokenStore) => Promise<T>): Promise<T> {
  const {openTokenStore} = await import('../server/store/open.js');
  const store = await openTokenStore(where);
  try {
    return await fn(store.tokens);
  } finally {
    await store.close();
  }
}

export function createServerToken(where: ServerStoreLocation, name: string, role: TokenRole): Promise<CreatedToken> {
  return withTokens(where, (t) => t.create(name, role));
}

export function listServerTokens(where: ServerStoreLocation): Promise<TokenInfo[]> {
  return withTokens(where, (t) => t.list());
}

export function revokeServerToken(where: ServerStoreLocation, idOrName: string): Promise<TokenInfo> {
  return withTokens(where, (t) => t.revoke(idOrName));
}
