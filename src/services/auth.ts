import type {Backend, Identity} from '../backends/backend.js';
import {backendKind, backendNeedsToken, findExternalToken} from '../backends/registry.js';
import {AuthError, RateLimitError, SupportError, UnavailableError, UsageError} from '../domain/errors.js';
import type {CredentialSource, CredentialStore} from '../store/credentials.js';
import type {Profile} from '../store/profiles.js';

/**
 * What `auth status` found for one profile:
 * - `ok`: the backend knows the token (or needs none) and said who it belongs to;
 * - `not-logged-in`: no token is stored and SUPPORT_TOKEN is not set;
 * - `invalid`: the backend refused the token (revoked, expired, wrong email);
 * - `unreachable`: the backend could not be asked;
 * - `error`: anything else, such as a profile whose settings cannot be used.
 */
export type AuthState = 'ok' | 'not-logged-in' | 'invalid' | 'unreachable' | 'error';

export interface AuthStatus {
  profile: string;
  backend: string;
  url: string | null;
  /** The email that goes with the token (Zendesk API tokens), or null. */
  email: string | null;
  /** False for backends that need no token, such as the local store. */
  needsToken: boolean;
  loggedIn: boolean;
  /** env (an environment variable), keyring, file, or external (a vendor's tool, such as gh). */
  tokenSource: TokenSource | null;
  /** Exactly where the token in use comes from: SUPPORT_TOKEN, keyring, file, GH_TOKEN, gh auth token... */
  tokenOrigin: string | null;
  state: AuthState;
  /** Who the backend says the token belongs to (for local: who the profile acts as). */
  user: string | null;
  /** customer or agent, as the toolkit sees it. */
  role: string | null;
  /** The backend's own name for the role (Zendesk: admin, agent), when it has one. */
  backendRole: string | null;
  /** The account or server (acme.zendesk.com). */
  account: string | null;
  /** When the token stops working, where the backend says; null: never, or not said. */
  expiresAt: string | null;
  /** True for a token the backend says may only read; null where it does not say. */
  readOnly: boolean | null;
  /** Why the state is not ok, in one sentence. */
  problem: string | null;
}

export type TokenSource = CredentialSource | 'external';

export interface FoundToken {
  token: string;
  source: TokenSource;
  origin: string;
}

const ORIGINS: Record<CredentialSource, string> = {env: 'SUPPORT_TOKEN', keyring: 'keyring', file: 'file'};

/**
 * The token a profile uses: SUPPORT_TOKEN, then the one `auth login` stored (keyring, file), then
 * one the backend kind's vendor tools hold (GitHub: GH_TOKEN, GITHUB_TOKEN, `gh auth token`).
 */
export async function findToken(credentials: CredentialStore, profileName: string, profile: Profile, env: NodeJS.ProcessEnv): Promise<FoundToken | undefined> {
  const stored = await credentials.get(profileName);
  if (stored) return {token: stored.token, source: stored.source, origin: ORIGINS[stored.source]};
  return findExternalToken(profile.backend, {url: profile.url}, env);
}

export interface LoginInput {
  credentials: CredentialStore;
  profileName: string;
  profile: Profile;
  token: string;
  /** Checks the token against the backend before it is stored (e.g. GET /v1/me). */
  verify: (token: string) => Promise<Identity>;
}

export interface LoginResult {
  profile: string;
  backend: string;
  user: string;
  storedIn: Exclude<CredentialSource, 'env'>;
}

function assertNeedsToken(profileName: string, profile: Profile): void {
  if (!backendNeedsToken(profile.backend)) {
    throw new UsageError(`The profile "${profileName}" uses the ${profile.backend} backend, which needs no login.`, {
      hint: 'Log in on a profile of a remote backend: support auth login --profile NAME.',
    });
  }
}

export function validateToken(token: string): string {
  const trimmed = token.trim();
  if (!trimmed) throw new UsageError('The token is empty.', {hint: 'Paste the token, or pipe it in: support auth login --with-token < token.txt.'});
  if (/\s/.test(trimmed)) throw new UsageError('The token contains white space.', {hint: 'Give the token alone, on one line.'});
  return trimmed;
}

export async function login(input: LoginInput): Promise<LoginResult> {
  assertNeedsToken(input.profileName, input.profile);
  const token = validateToken(input.token);
  const identity = await input.verify(token);
  const storedIn = await input.credentials.set(input.profileName, token);
  return {profile: input.profileName, backend: input.profile.backend, user: identity.name, storedIn};
}

export interface AuthStatusInput {
  credentials: CredentialStore;
  profiles: readonly {name: string; profile: Profile}[];
  /** Opens the profile's backend with the stored token (the caller's context knows how). */
  open: (name: string, profile: Profile) => Promise<Backend>;
  /** Who a profile of a backend without login acts as. */
  identity: (profile: Profile) => Identity;
  /** Where tokens of vendor tools are looked for (GH_TOKEN...). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Asks each profile's backend who its token belongs to (all at once), so that a revoked or
 * mistyped token shows here rather than in the middle of the next command. A backend that needs
 * no login is not opened: it acts as the profile says.
 */
export async function authStatus(input: AuthStatusInput): Promise<AuthStatus[]> {
  return Promise.all(input.profiles.map(({name, profile}) => statusOf(input, name, profile)));
}

async function statusOf(input: AuthStatusInput, name: string, profile: Profile): Promise<AuthStatus> {
  const base = {profile: name, backend: profile.backend, url: profile.url ?? null, email: profile.email ?? null};
  const empty = {user: null, role: null, backendRole: null, account: null, expiresAt: null, readOnly: null, problem: null};
  let needsToken: boolean;
  try {
    needsToken = backendNeedsToken(profile.backend);
  } catch (error) {
    return {...base, ...empty, needsToken: false, loggedIn: false, tokenSource: null, tokenOrigin: null, state: 'error', problem: (error as Error).message};
  }
  if (!needsToken) {
    const who = input.identity(profile);
    return {...base, ...empty, needsToken, loggedIn: true, tokenSource: null, tokenOrigin: null, state: 'ok', user: who.name, role: who.role};
  }
  const stored = await findToken(input.credentials, name, profile, input.env ?? process.env);
  if (!stored) {
    return {...base, ...empty, needsToken, loggedIn: false, tokenSource: null, tokenOrigin: null, state: 'not-logged-in', problem: `No token is stored for the profile "${name}"${externalHint(profile.backend)}.`};
  }
  const known = {...base, needsToken, loggedIn: true, tokenSource: stored.source, tokenOrigin: stored.origin};
  let backend: Backend | undefined;
  try {
    backend = await input.open(name, profile);
    const who = await backend.whoami();
    return {
      ...known,
      ...empty,
      state: 'ok',
      user: who.name,
      role: who.role,
      backendRole: who.backendRole ?? null,
      account: who.account ?? null,
      expiresAt: who.expiresAt ?? null,
      readOnly: who.scopes === undefined ? null : !who.scopes.includes('write'),
    };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    const state: AuthState = error instanceof AuthError ? 'invalid' : error instanceof UnavailableError || error instanceof RateLimitError ? 'unreachable' : 'error';
    if (!(error instanceof SupportError) && state === 'error') throw error;
    return {...known, ...empty, state, problem};
  } finally {
    await backend?.close().catch(() => undefined);
  }
}

/** For kinds that also look elsewhere: say where, so "not logged in" is not a puzzle. */
function externalHint(kind: string): string {
  const elsewhere = backendKind(kind).externalTokens;
  return elsewhere ? `, and none was found in ${elsewhere}` : '';
}

export async function logout(credentials: CredentialStore, profileName: string): Promise<{profile: string; removed: boolean}> {
  return {profile: profileName, removed: await credentials.delete(profileName)};
}

export async function readToken(credentials: CredentialStore, profileName: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  assertNeedsToken(profileName, profile);
  const stored = await findToken(credentials, profileName, profile, env);
  if (!stored) {
    throw new AuthError(`No token is stored for the profile "${profileName}".`, {
      hint: `Run \`support auth login --profile ${profileName}\`.`,
    });
  }
  return stored.token;
}
