import {NotFoundError} from '../../../domain/errors.js';
import {
  IDEMPOTENCY_CLAIM_TTL_MS,
  IDEMPOTENCY_TTL_MS,
  RATE_WINDOW_MS,
  type IdempotencyStore,
  type NewTokenOptions,
  type RateLimitStore,
  type TokenInfo,
  type TokenRole,
  type TokenStore,
} from '../store.js';
import {ambiguousName, hashToken, LAST_USED_EVERY_MS, looksLikeToken, nameRetired, nameTaken, newToken, principalKind, scopesOf, storedScopes} from '../tokens.js';
import {LOCKS, type Database} from './db.js';

const TOKEN_COLUMNS = 'id, principal_id, name, role, created_at, last_used_at, revoked_at, expires_at, scopes';

interface TokenRow {
  id: string;
  principal_id: string;
  name: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
  /** NULL: every scope. */
  scopes: string[] | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const toInfo = (row: TokenRow): TokenInfo => ({
  id: row.id,
  principalId: row.principal_id,
  name: row.name,
  role: row.role as TokenRole,
  createdAt: iso(row.created_at)!,
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
  expiresAt: iso(row.expires_at),
  scopes: scopesOf(row.scopes),
});

export function postgresTokens(db: Database, now: () => number): TokenStore {
  const lastUsedWritten = new Map<string, number>();
  return {
    async create(name, role, options: NewTokenOptions = {}) {
      const {token, id, principalId} = newToken(name, role, options, now());
      const at = now();
      const scopes = storedScopes(options.scopes);
      await db.tx(async (c) => {
        // One name check at a time across instances: two creates of one name make one token.
        await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.tokens]);
        const {rows: holders} = await c.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE name = $1 ORDER BY created_at`, [name]);
        const live = holders.filter((t) => t.revoked_at === null);
        if (live.length > 0) throw nameTaken(name, live.map(toInfo));
        if (holders.length > 0 || (await c.query('SELECT 1 FROM principals WHERE name = $1', [name])).rowCount) throw nameRetired(name);
        await c.query('INSERT INTO principals (id, name, kind, created_at) VALUES ($1, $2, $3, $4)', [principalId, name, principalKind(role), at]);
        await c.query('INSERT INTO tokens (id, principal_id, hash, name, role, created_at, expires_at, scopes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          id,
          principalId,
          hashToken(token),
          name,
          role,
          at,
          options.expiresAt ?? null,
          scopes,
        ]);
      });
      return {id, principalId, name, role, createdAt: iso(at)!, lastUsedAt: null, revokedAt: null, expiresAt: iso(options.expiresAt ?? null), scopes: scopesOf(scopes), token};
    },

    async list() {
      const {rows} = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`);
      return rows.map(toInfo);
    },

    async revoke(idOrName) {
      let row = (await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = $1`, [idOrName])).rows[0];
      if (!row) {
        const byName = (await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE name = $1 AND revoked_at IS NULL`, [idOrName])).rows;
        if (byName.length > 1) throw ambiguousName(idOrName, byName.length);
        row = byName[0];
      }
      if (!row) throw new NotFoundError(`No token has the id or name "${idOrName}".`, {hint: 'Run `support serve token list` to see them.'});
      if (row.revoked_at === null) {
        const {rows} = await db.query<TokenRow>(`UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING ${TOKEN_COLUMNS}`, [row.id, now()]);
        row = rows[0]!;
      }
      return toInfo(row);
    },

    async verify(secret) {
      if (!looksLikeToken(secret)) return undefined;
      const at = now();
      const {rows} = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hashToken(secret)]);
      const row = rows[0];
      if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= at)) return undefined;
      if (at - (lastUsedWritten.get(row.id) ?? 0) > LAST_USED_EVERY_MS) {
        lastUsedWritten.set(row.id, at);
        await db.query('UPDATE tokens SET last_used_at = GREATEST(COALESCE(last_used_at, 0), $2) WHERE id = $1', [row.id, at]);
      }
      return toInfo(row);
    },
  };
}

/**
 * Keys claimed in the database: a request with a key that another instance is running now gets
 * `busy`, one that ran gets its stored answer. A claim left by an instance that stopped
 * mid-request expires after IDEMPOTENCY_CLAIM_TTL_MS; a stored answer after IDEMPOTENCY_TTL_MS.
 */
export function postgresIdempotency(db: Database, now: () => number): IdempotencyStore {
  let lastSweep = 0;
  return {
    async claim(scope, key) {
      const at = now();
      if (at - lastSweep > 60_000) {
        lastSweep = at;
        await db.query('DELETE FROM idempotent_responses WHERE created_at < $1 AND status IS NOT NULL', [at - IDEMPOTENCY_TTL_MS]);
      }
      const inserted = await db.query(
        'INSERT INTO idempotent_responses (scope, key, claimed_at, created_at) VALUES ($1, $2, $3, $3) ON CONFLICT (scope, key) DO NOTHING',
        [scope, key, at],
      );
      if (inserted.rowCount === 1) return {state: 'claimed'};
      const {rows} = await db.query<{request_hash: string | null; status: number | null; body: string | null; claimed_at: number; created_at: number}>(
        'SELECT request_hash, status, body, claimed_at, created_at FROM idempotent_responses WHERE scope = $1 AND key = $2',
        [scope, key],
      );
      const row = rows[0];
      const expired = row && (row.status === null ? at - row.claimed_at >= IDEMPOTENCY_CLAIM_TTL_MS : at - row.created_at > IDEMPOTENCY_TTL_MS);
      if (row && !expired) {
        return row.status === null ? {state: 'busy'} : {state: 'done', response: {requestHash: row.request_hash!, status: row.status, body: row.body!}};
      }
      // Gone meanwhile, or expired: take it over, unless another instance just did.
      const taken = row
        ? await db.query(
            'UPDATE idempotent_responses SET request_hash = NULL, status = NULL, body = NULL, claimed_at = $3, created_at = $3 WHERE scope = $1 AND key = $2 AND claimed_at = $4',
            [scope, key, at, row.claimed_at],
          )
        : await db.query('INSERT INTO idempotent_responses (scope, key, claimed_at, created_at) VALUES ($1, $2, $3, $3) ON CONFLICT (scope, key) DO NOTHING', [scope, key, at]);
      return taken.rowCount === 1 ? {state: 'claimed'} : {state: 'busy'};
    },
    async complete(scope, key, response) {
      await db.query('UPDATE idempotent_responses SET request_hash = $3, status = $4, body = $5, created_at = $6 WHERE scope = $1 AND key = $2', [
        scope,
        key,
        response.requestHash,
        response.status,
        response.body,
        now(),
      ]);
    },
    async release(scope, key) {
      await db.query('DELETE FROM idempotent_responses WHERE scope = $1 AND key = $2 AND status IS NULL', [scope, key]);
    },
  };
}

/**
 * One counter per token and minute, shared by every instance: windows start on the minute, so
 * that all instances agree on which window a request falls in without talking to each other.
 */
export function postgresRateLimits(db: Database): RateLimitStore {
  let lastSweep = 0;
  return {
    async hit(key, at) {
      const windowStart = at - (at % RATE_WINDOW_MS);
      if (windowStart !== lastSweep) {
        lastSweep = windowStart;
        await db.query('DELETE FROM rate_windows WHERE window_start < $1', [windowStart - RATE_WINDOW_MS]);
      }
      const {rows} = await db.query<{count: number}>(
        'INSERT INTO rate_windows (key, window_start, count) VALUES ($1, $2, 1) ON CONFLICT (key, window_start) DO UPDATE SET count = rate_windows.count + 1 RETURNING count',
        [key, windowStart],
      );
      return {count: rows[0]!.count, windowStart};
    },
  };
}
