import {chmodSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {DatabaseSync} from 'node:sqlite';

import {NotFoundError} from '../../../domain/errors.js';
import {describeSqliteError, loadSqlite, writeTransaction} from '../../../store/embedded/sqlite.js';
import {IDEMPOTENCY_TTL_MS, type CreatedToken, type NewTokenOptions, type StoredResponse, type TokenInfo, type TokenRole} from '../store.js';
import {ambiguousName, hashToken, LAST_USED_EVERY_MS, looksLikeToken, nameRetired, nameTaken, newToken, principalKind, scopesOf, storedScopes} from '../tokens.js';

export {hashToken};

const TOKEN_COLUMNS = 'id, principal_id, name, role, created_at, last_used_at, revoked_at, expires_at, scopes';

/** What a principal is on tickets: an admin writes as an agent. */
export type PrincipalKind = 'customer' | 'agent';

export interface Principal {
  id: string;
  name: string;
  kind: PrincipalKind;
}

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
  // 2: principals. Before, a token's name was its user: a customer token and an agent token
  // named alike shared tickets. Now every token acts as a principal with a stable id, and a name
  // belongs to one principal for good. Existing tokens become principals by name and kind
  // (customer, or agent for agent and admin tokens), the two things the old store recorded of
  // whoever wrote a ticket, comment or event; those are `legacy` (attributeLegacyOwners in
  // owners.ts gives the old rows their ids) and may share a name across kinds. New names are unique.
  `
  CREATE TABLE principals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    legacy INTEGER NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX principals_by_name ON principals (name) WHERE legacy = 0;
  CREATE UNIQUE INDEX principals_by_legacy_name ON principals (name, kind) WHERE legacy = 1;
  INSERT INTO principals (id, name, kind, created_at, legacy)
    SELECT lower(hex(randomblob(8))), name, kind, MIN(created_at), 1
    FROM (SELECT name, CASE role WHEN 'customer' THEN 'customer' ELSE 'agent' END AS kind, created_at FROM tokens)
    GROUP BY name, kind;
  ALTER TABLE tokens ADD COLUMN principal_id TEXT REFERENCES principals (id);
  UPDATE tokens SET principal_id = (
    SELECT p.id FROM principals p
    WHERE p.name = tokens.name AND p.kind = CASE tokens.role WHEN 'customer' THEN 'customer' ELSE 'agent' END
  );
  CREATE INDEX tokens_by_principal ON tokens (principal_id);
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: room for token expiry and scopes (NULL: none), as the PostgreSQL store has them.
  `
  ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
  ALTER TABLE tokens ADD COLUMN scopes TEXT;
  `,
  // 4: webhooks (protocol 1.1). A delivery is one event for one subscription, made once (the
  // pair is unique) and attempted under a lease; meta 'webhook-cursor' is where in the change
  // feed deliveries were last made from. The payload is stored so that every attempt posts the
  // same bytes.
  `
  CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT,
    description TEXT,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_attempt_at INTEGER,
    delivered_at INTEGER,
    last_status INTEGER,
    last_error TEXT,
    lease_owner TEXT,
    lease_until INTEGER,
    UNIQUE (webhook_id, event_id)
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
  CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id);
  CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at) WHERE state <> 'pending';
  `,
];

export const SERVER_STATE_VERSION = MIGRATIONS.length;

/** Brings server.db to `target` (the latest by default; the tests build older files with a lower one). */
export function migrateServerState(db: DatabaseSync, target = SERVER_STATE_VERSION): void {
  const version = () => (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version;
  if (version() >= target) return;
  writeTransaction(db, () => {
    for (let v = version(); v < target; v++) {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    }
  });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

interface TokenRow {
  id: string;
  principal_id: string;
  name: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
  /** A comma-separated list; NULL: every scope. */
  scopes: string | null;
}

const toInfo = (row: TokenRow): TokenInfo => ({
  id: row.id,
  principalId: row.principal_id,
  name: row.name,
  role: row.role as TokenRole,
  createdAt: iso(row.created_at)!,
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
  expiresAt: iso(row.expires_at),
  scopes: scopesOf(row.scopes === null ? null : row.scopes.split(',')),
});

/**
 * The server's own state beside the ticket store: token hashes and stored responses of
 * idempotent requests. A separate file, so that the ticket store stays exactly the `local`
 * backend's and `support serve token ...` can run while the server is up.
 */
export class ServerState {
  private readonly lastUsedWritten = new Map<string, number>();

  private constructor(
    /** For the webhook store beside it (webhooks.ts); nothing else writes here. */
    readonly db: DatabaseSync,
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
      migrateServerState(db);
      return new ServerState(db, file, now);
    } catch (error) {
      throw describeSqliteError(error, file);
    }
  }

  /**
   * A new token acting as a new principal named `name`. Names are unique for good, revoked
   * tokens' names included: a name that once stood for someone never comes to stand for
   * someone else, so that nobody inherits another person's tickets by taking their name.
   */
  createToken(name: string, role: TokenRole, options: NewTokenOptions = {}): CreatedToken {
    const {token, id, principalId} = newToken(name, role, options, this.now());
    const at = this.now();
    const scopes = storedScopes(options.scopes);
    writeTransaction(this.db, () => {
      const holders = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE name = ? ORDER BY created_at`).all(name) as unknown as TokenRow[];
      const live = holders.filter((t) => t.revoked_at === null);
      if (live.length > 0) throw nameTaken(name, live.map(toInfo));
      if (holders.length > 0 || this.db.prepare('SELECT 1 FROM principals WHERE name = ?').get(name)) throw nameRetired(name);
      this.db.prepare('INSERT INTO principals (id, name, kind, created_at) VALUES (?, ?, ?, ?)').run(principalId, name, principalKind(role), at);
      this.db
        .prepare('INSERT INTO tokens (id, principal_id, hash, name, role, created_at, expires_at, scopes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, principalId, hashToken(token), name, role, at, options.expiresAt ?? null, scopes === null ? null : scopes.join(','));
    });
    return {
      id,
      principalId,
      name,
      role,
      createdAt: iso(at)!,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: iso(options.expiresAt ?? null),
      scopes: scopesOf(scopes),
      token,
    };
  }

  listTokens(): TokenInfo[] {
    const rows = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`).all();
    return (rows as unknown as TokenRow[]).map(toInfo);
  }

  /**
   * The principal a name stands for, for an assignee given by name: unique for names given since
   * principals exist; of the two a store from before may have (see migration 2), the agent.
   */
  principalNamed(name: string): Principal | undefined {
    return this.db.prepare("SELECT id, name, kind FROM principals WHERE name = ? ORDER BY kind = 'agent' DESC LIMIT 1").get(name) as Principal | undefined;
  }

  /** The principals made from the tokens of a store from before principals existed. */
  legacyPrincipals(): Principal[] {
    return this.db.prepare('SELECT id, name, kind FROM principals WHERE legacy = 1 ORDER BY name, kind').all() as unknown as Principal[];
  }

  meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /**
   * Idempotency records written before keys were scoped by principal were scoped by name:
   * moves each to the principal of its name, or drops it when the name stood for two.
   */
  rescopeStoredResponses(principalOfName: (name: string) => string | undefined): void {
    const rows = this.db.prepare('SELECT scope, key FROM idempotent_responses').all() as {scope: string; key: string}[];
    // Scoped by a principal already (moved by an earlier run that stopped before it was recorded).
    const principals = new Set((this.db.prepare('SELECT id FROM principals').all() as {id: string}[]).map((p) => p.id));
    const move = this.db.prepare('UPDATE idempotent_responses SET scope = ? WHERE scope = ? AND key = ?');
    const drop = this.db.prepare('DELETE FROM idempotent_responses WHERE scope = ? AND key = ?');
    writeTransaction(this.db, () => {
      for (const {scope, key} of rows) {
        const cut = scope.indexOf('\n');
        if (cut < 0 || principals.has(scope.slice(0, cut))) continue;
        const id = principalOfName(scope.slice(0, cut));
        if (id) move.run(`${id}${scope.slice(cut)}`, scope, key);
        else drop.run(scope, key);
      }
    });
  }

  /** Revokes by id, or by name when exactly one live token has it. */
  revokeToken(idOrName: string): TokenInfo {
    let row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`).get(idOrName) as TokenRow | undefined;
    if (!row) {
      const byName = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE name = ? AND revoked_at IS NULL`).all(idOrName) as unknown as TokenRow[];
      if (byName.length > 1) throw ambiguousName(idOrName, byName.length);
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
    if (!looksLikeToken(token)) return undefined;
    const row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`).get(hashToken(token)) as TokenRow | undefined;
    if (!row || row.revoked_at !== null) return undefined;
    if (row.expires_at !== null && row.expires_at <= this.now()) return undefined;
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
