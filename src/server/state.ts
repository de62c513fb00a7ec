import {createHash, randomBytes} from 'node:crypto';
import {chmodSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {DatabaseSync} from 'node:sqlite';

import {describeSqliteError, loadSqlite, writeTransaction} from '../backends/local/sqlite.js';
import {NotFoundError, UsageError} from '../domain/errors.js';

export const TOKEN_ROLES = ['customer', 'agent', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenInfo {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret: returned once, never stored. */
  token: string;
}

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: string;
}

/** Tokens look like `spt_` + 32 random base64url characters; the prefix lets scanners spot leaks. */
export const TOKEN_PREFIX = 'spt_';
const TOKEN_NAME = /^[A-Za-z0-9._@-]{1,100}$/;
/** Idempotency keys are kept at least this long, as the protocol promises. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Writing last-used on every request would cost a write per read; once a minute is enough. */
const LAST_USED_EVERY_MS = 60_000;

const MIGRATIONS = [
  `
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
  );
  CREATE TABLE idempotent_responses (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  `,
];

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toInfo = (row: TokenRow): TokenInfo => ({
  id: row.id,
  name: row.name,
  role: row.role as TokenRole,
  createdAt: iso(row.created_at)!,
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
});

/**
 * The server's own state beside the ticket store: token hashes and stored responses of
 * idempotent requests. A separate file, so that the ticket store stays exactly the `local`
 * backend's and `support serve token ...` can run while the server is up.
 */
export class ServerState {
  private readonly lastUsedWritten = new Map<string, number>();

  private constructor(
    private readonly db: DatabaseSync,
    readonly file: string,
    private readonly now: () => number,
  ) {}

  static async open(dir: string, now: () => number = Date.now): Promise<ServerState> {
    const {DatabaseSync} = await loadSqlite();
    mkdirSync(dir, {recursive: true, mode: 0o700});
    const file = join(dir, 'server.db');
    try {
      const db = new DatabaseSync(file);
      // Token hashes are not tokens, but nobody else needs to read them.
      if (process.platform !== 'win32') chmodSync(file, 0o600);
      db.exec('PRAGMA busy_timeout = 10000');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      const version = () => (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version;
      if (version() < MIGRATIONS.length) {
        writeTransaction(db, () => {
          for (let v = version(); v < MIGRATIONS.length; v++) {
            db.exec(MIGRATIONS[v]!);
            db.exec(`PRAGMA user_version = ${v + 1}`);
          }
        });
      }
      return new ServerState(db, file, now);
    } catch (error) {
      throw describeSqliteError(error, file);
    }
  }

  createToken(name: string, role: TokenRole): CreatedToken {
    if (!TOKEN_NAME.test(name)) {
      throw new UsageError(`"${name}" is not a valid token name.`, {hint: 'Use letters, digits and . _ @ -, at most 100 characters.'});
    }
    if (!(TOKEN_ROLES as readonly string[]).includes(role)) {
      throw new UsageError(`"${role}" is not a valid role.`, {hint: `Use one of: ${TOKEN_ROLES.join(', ')}.`});
    }
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    const id = randomBytes(6).toString('hex');
    const at = this.now();
    this.db.prepare('INSERT INTO tokens (id, hash, name, role, created_at) VALUES (?, ?, ?, ?, ?)').run(id, hashToken(token), name, role, at);
    return {id, name, role, createdAt: iso(at)!, lastUsedAt: null, revokedAt: null, token};
  }

  listTokens(): TokenInfo[] {
    const rows = this.db.prepare('SELECT id, name, role, created_at, last_used_at, revoked_at FROM tokens ORDER BY created_at, id').all();
    return (rows as unknown as TokenRow[]).map(toInfo);
  }

  /** Revokes by id, or by name when exactly one live token has it. */
  revokeToken(idOrName: string): TokenInfo {
    let row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(idOrName) as TokenRow | undefined;
    if (!row) {
      const byName = this.db.prepare('SELECT * FROM tokens WHERE name = ? AND revoked_at IS NULL').all(idOrName) as unknown as TokenRow[];
      if (byName.length > 1) {
        throw new UsageError(`${byName.length} tokens are named "${idOrName}".`, {hint: 'Revoke by id: support serve token list shows them.'});
      }
      row = byName[0];
    }
    if (!row) throw new NotFoundError(`No token has the id or name "${idOrName}".`, {hint: 'Run `support serve token list` to see them.'});
    if (row.revoked_at === null) {
      const at = this.now();
      this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, row.id);
      row = {...row, revoked_at: at};
    }
    return toInfo(row);
  }

  /** The live token with this secret, or undefined: unknown and revoked look the same. */
  verify(token: string): TokenInfo | undefined {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    const row = this.db.prepare('SELECT id, name, role, created_at, last_used_at, revoked_at FROM tokens WHERE hash = ?').get(hashToken(token)) as
      | TokenRow
      | undefined;
    if (!row || row.revoked_at !== null) return undefined;
    const at = this.now();
    if (at - (this.lastUsedWritten.get(row.id) ?? 0) > LAST_USED_EVERY_MS) {
      this.lastUsedWritten.set(row.id, at);
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, row.id);
    }
    return toInfo(row);
  }

  storedResponse(scope: string, key: string): StoredResponse | undefined {
    const row = this.db
      .prepare('SELECT request_hash, status, body, created_at FROM idempotent_responses WHERE scope = ? AND key = ?')
      .get(scope, key) as {request_hash: string; status: number; body: string; created_at: number} | undefined;
    if (!row || this.now() - row.created_at > IDEMPOTENCY_TTL_MS) return undefined;
    return {requestHash: row.request_hash, status: row.status, body: row.body};
  }

  storeResponse(scope: string, key: string, response: StoredResponse): void {
    const at = this.now();
    this.db.prepare('DELETE FROM idempotent_responses WHERE created_at < ?').run(at - IDEMPOTENCY_TTL_MS);
    this.db
      .prepare('INSERT OR REPLACE INTO idempotent_responses (scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(scope, key, response.requestHash, response.status, response.body, at);
  }

  close(): void {
    this.db.close();
  }
}
