import {createHash, randomBytes} from 'node:crypto';

import {RejectedError, UsageError} from '../../domain/errors.js';
import {TOKEN_ROLES, TOKEN_SCOPES, type NewTokenOptions, type TokenInfo, type TokenRole, type TokenScope} from './store.js';

/** Tokens look like `spt_` + 32 random base64url characters; the prefix lets scanners spot leaks. */
export const TOKEN_PREFIX = 'spt_';
/** `@` may not start a name: `@me` in a filter means the caller. */
const TOKEN_NAME = /^[A-Za-z0-9._-][A-Za-z0-9._@-]{0,99}$/;
/** Writing last-used on every request would cost a write per read; once a minute per instance is enough. */
export const LAST_USED_EVERY_MS = 60_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Whether a bearer value can be a token at all, before any lookup. */
export const looksLikeToken = (token: string) => token.startsWith(TOKEN_PREFIX) && token.length <= 200;

/** A principal's kind on tickets: an admin writes as an agent. */
export const principalKind = (role: TokenRole) => (role === 'customer' ? 'customer' : 'agent');

/** A token's scopes as stored: null for every scope (what tokens made before scopes have). */
export function storedScopes(scopes: readonly TokenScope[] | undefined): TokenScope[] | null {
  if (scopes === undefined) return null;
  const set = new Set(scopes);
  // Writing includes reading: a token that may change tickets may read them.
  if (set.has('write')) set.add('read');
  return TOKEN_SCOPES.every((s) => set.has(s)) ? null : TOKEN_SCOPES.filter((s) => set.has(s));
}

/** The scopes a stored value stands for. */
export const scopesOf = (stored: readonly string[] | null): TokenScope[] =>
  stored === null ? [...TOKEN_SCOPES] : TOKEN_SCOPES.filter((s) => stored.includes(s));

/** Whether a token may change anything (every method but GET and HEAD). */
export const canWrite = (token: Pick<TokenInfo, 'scopes'>) => token.scopes.includes('write');

/** Checks a new token's name, role and options; answers the new secret and ids. */
export function newToken(name: string, role: TokenRole, options: NewTokenOptions = {}, now = Date.now()): {token: string; id: string; principalId: string} {
  if (!TOKEN_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid token name.`, {hint: 'Use letters, digits and . _ @ -, at most 100 characters, not starting with @.'});
  }
  if (!(TOKEN_ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`"${role}" is not a valid role.`, {hint: `Use one of: ${TOKEN_ROLES.join(', ')}.`});
  }
  for (const scope of options.scopes ?? []) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) throw new UsageError(`"${scope}" is not a valid scope.`, {hint: `Use one of: ${TOKEN_SCOPES.join(', ')}.`});
  }
  if (options.scopes !== undefined && options.scopes.length === 0) throw new UsageError('A token needs at least one scope.', {hint: 'Give read, or read and write.'});
  if (options.expiresAt !== undefined && !(Number.isSafeInteger(options.expiresAt) && options.expiresAt > now)) {
    throw new UsageError('A token’s expiry must be in the future.', {hint: 'Give a later time, or a positive duration like 30d.'});
  }
  return {token: `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`, id: randomBytes(6).toString('hex'), principalId: randomBytes(8).toString('hex')};
}

export const nameTaken = (name: string, live: readonly TokenInfo[]) =>
  new RejectedError(`A token named "${name}" already exists (${live.map((t) => `${t.id}, ${t.role}`).join('; ')}); token names are unique.`, {
    hint: 'Choose another --name; `support serve token list` shows the names in use.',
  });

export const nameRetired = (name: string) =>
  new RejectedError(`The name "${name}" belonged to a token that was revoked; a name is never given to someone else, so that its tickets stay its own.`, {
    hint: 'Choose another --name.',
  });

export const ambiguousName = (name: string, count: number) =>
  new UsageError(`${count} tokens are named "${name}".`, {hint: 'Revoke by id: support serve token list shows them.'});
