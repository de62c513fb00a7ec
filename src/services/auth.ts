import type {Identity} from '../backends/backend.js';
import {backendNeedsUrl} from '../backends/registry.js';
import {AuthError, UsageError} from '../domain/errors.js';
import type {CredentialSource, CredentialStore} from '../store/credentials.js';
import type {Profile} from '../store/profiles.js';

export interface AuthStatus {
  profile: string;
  backend: string;
  url: string | null;
  /** False for backends that need no token, such as the local store. */
  needsToken: boolean;
  loggedIn: boolean;
  tokenSource: CredentialSource | null;
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
  if (!backendNeedsUrl(profile.backend)) {
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

export async function authStatus(credentials: CredentialStore, profileName: string, profile: Profile): Promise<AuthStatus> {
  const needsToken = backendNeedsUrl(profile.backend);
  const stored = needsToken ? await credentials.get(profileName) : undefined;
  return {
    profile: profileName,
    backend: profile.backend,
    url: profile.url ?? null,
    needsToken,
    loggedIn: needsToken ? Boolean(stored) : true,
    tokenSource: stored?.source ?? null,
  };
}

export async function logout(credentials: CredentialStore, profileName: string): Promise<{profile: string; removed: boolean}> {
  return {profile: profileName, removed: await credentials.delete(profileName)};
}

export async function readToken(credentials: CredentialStore, profileName: string, profile: Profile): Promise<string> {
  assertNeedsToken(profileName, profile);
  const stored = await credentials.get(profileName);
  if (!stored) {
    throw new AuthError(`No token is stored for the profile "${profileName}".`, {
      hint: `Run \`support auth login --profile ${profileName}\`.`,
    });
  }
  return stored.token;
}
