import {join} from 'node:path';

import {UsageError} from '../domain/errors.js';
import type {RunningServer} from '../server/app.js';
import type {CreatedToken, CreatedWebhook, DeliveryPage, DeliveryState, TokenInfo, TokenRole, Webhook} from '../server/store/store.js';

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

export interface NewServerToken {
  /** How long the token works, like `30d`, `12h`, `90m` or `2w`; absent: for good. */
  expiresIn?: string | undefined;
  /** Reading only: every write with it is refused (403 insufficient-scope). */
  readOnly?: boolean | undefined;
}

const LIFETIME_UNITS = {m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000} as const;

/** A token's lifetime in milliseconds, from `30d`, `12h`, `90m`, `2w`. */
export function parseLifetime(text: string): number {
  const match = /^(\d{1,6})\s*([mhdw])$/i.exec(text.trim());
  const ms = match ? Number(match[1]) * LIFETIME_UNITS[match[2]!.toLowerCase() as keyof typeof LIFETIME_UNITS] : 0;
  if (ms <= 0) throw new UsageError(`"${text}" is not a lifetime.`, {hint: 'Give a number and a unit: 90m, 12h, 30d or 2w.'});
  return ms;
}

export function createServerToken(where: ServerStoreLocation, name: string, role: TokenRole, options: NewServerToken = {}, now = Date.now()): Promise<CreatedToken> {
  const expiresAt = options.expiresIn === undefined ? undefined : now + parseLifetime(options.expiresIn);
  return withTokens(where, (t) =>
    t.create(name, role, {...(expiresAt === undefined ? {} : {expiresAt}), ...(options.readOnly ? {scopes: ['read' as const]} : {})}),
  );
}

export function listServerTokens(where: ServerStoreLocation): Promise<TokenInfo[]> {
  return withTokens(where, (t) => t.list());
}

export function revokeServerToken(where: ServerStoreLocation, idOrName: string): Promise<TokenInfo> {
  return withTokens(where, (t) => t.revoke(idOrName));
}

async function withWebhooks<T>(where: ServerStoreLocation, fn: (webhooks: import('../server/store/store.js').WebhookStore) => Promise<T>): Promise<T> {
  const {openWebhookStore} = await import('../server/store/open.js');
  const store = await openWebhookStore(where);
  try {
    return await fn(store.webhooks);
  } finally {
    await store.close();
  }
}

export interface NewServerWebhook {
  url: string;
  /** Event types; none: all. */
  events?: readonly string[] | undefined;
  description?: string | undefined;
}

/** Subscribes a receiver; a running server delivers to it from the next event on. */
export async function addServerWebhook(where: ServerStoreLocation, input: NewServerWebhook): Promise<CreatedWebhook> {
  const {checkWebhookEvents, checkWebhookUrl} = await import('../server/webhooks/payload.js');
  const url = checkWebhookUrl(input.url);
  const events = checkWebhookEvents(input.events);
  return withWebhooks(where, (w) => w.create({url, events, description: input.description ?? null}));
}

export function listServerWebhooks(where: ServerStoreLocation): Promise<Webhook[]> {
  return withWebhooks(where, (w) => w.list());
}

export function removeServerWebhook(where: ServerStoreLocation, id: string): Promise<Webhook> {
  return withWebhooks(where, (w) => w.remove(id));
}

export function listServerDeliveries(where: ServerStoreLocation, query: {webhookId?: string | undefined; state?: DeliveryState | undefined; limit: number}): Promise<DeliveryPage> {
  return withWebhooks(where, (w) =>
    w.deliveries({limit: query.limit, ...(query.webhookId === undefined ? {} : {webhookId: query.webhookId}), ...(query.state === undefined ? {} : {state: query.state})}),
  );
}
