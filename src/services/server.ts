import {join} from 'node:path';

import type {RunningServer} from '../server/app.js';
import type {CreatedToken, TokenInfo, TokenRole} from '../server/state.js';

/** The server keeps its own store apart from the CLI's local backend, unless told otherwise. */
export const defaultServerDir = (cliDataDir: string) => join(cliDataDir, 'server');

export interface StartServerInput {
  dataDir: string;
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
    host: input.host,
    port: input.port,
    rateLimit: input.rateLimit,
    maxUploadBytes: input.maxUploadBytes,
    log: input.log,
  });
}

async function withState<T>(dataDir: string, fn: (state: import('../server/state.js').ServerState) => T): Promise<T> {
  const {ServerState} = await import('../server/state.js');
  const state = await ServerState.open(dataDir);
  try {
    return fn(state);
  } finally {
    state.close();
  }
}

export function createServerToken(dataDir: string, name: string, role: TokenRole): Promise<CreatedToken> {
  return withState(dataDir, (s) => s.createToken(name, role));
}

export function listServerTokens(dataDir: string): Promise<TokenInfo[]> {
  return withState(dataDir, (s) => s.listTokens());
}

export function revokeServerToken(dataDir: string, idOrName: string): Promise<TokenInfo> {
  return withState(dataDir, (s) => s.revokeToken(idOrName));
}
