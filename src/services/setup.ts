import type {Backend, Identity} from '../backends/backend.js';
import {describeBackendKinds} from '../backends/registry.js';
import {AuthError, UnavailableError, UsageError} from '../domain/errors.js';
import type {Role} from '../domain/ticket.js';
import type {CredentialSource, CredentialStore} from '../store/credentials.js';
import {validateProfileName, type Profile, type ProfileStore} from '../store/profiles.js';
import {addProfile, normalizeUrl, useProfile, type AddProfileInput} from './profiles.js';
import {validateToken} from './auth.js';

/** A profile setting of a backend kind, each with its own flag of `init` and `profile add`. */
export type SetupField = 'url' | 'email';

/**
 * What `support init` asks of a backend kind, read from the registry's description of it: the
 * kinds, their settings and whether they need a token are data there, so a new adapter shows
 * up here without a change to this file.
 */
export interface KindNeeds {
  kind: string;
  description: string;
  fields: Partial<Record<SetupField, 'required' | 'optional'>>;
  needsToken: boolean;
  urlExample?: string;
  tokenHelp?: string;
  /** Names of the `--option key=value` settings the kind declares. */
  options: string[];
}

type KindInfo = ReturnType<typeof describeBackendKinds>[number] & {
  fields?: Partial<Record<string, 'required' | 'optional'>>;
  needsToken?: boolean;
  urlExample?: string;
  tokenHelp?: string;
  options?: readonly {name: string}[];
};

export function setupKinds(): KindNeeds[] {
  return (describeBackendKinds() as KindInfo[]).map((info) => {
    const fields: KindNeeds['fields'] = {};
    for (const field of ['url', 'email'] as const) {
      const rule = info.fields?.[field] ?? (field === 'url' && info.needsUrl ? 'required' : undefined);
      if (rule) fields[field] = rule;
    }
    return {
      kind: info.kind,
      description: info.description,
      fields,
      needsToken: info.needsToken ?? info.needsUrl,
      urlExample: info.urlExample,
      tokenHelp: info.tokenHelp,
      options: (info.options ?? []).map((o) => o.name),
    };
  });
}

export function kindNeeds(kind: string): KindNeeds {
  const found = setupKinds().find((k) => k.kind === kind);
  if (!found) {
    throw new UsageError(`"${kind}" is not a known backend.`, {hint: `Use one of: ${setupKinds().map((k) => k.kind).join(', ')}.`});
  }
  return found;
}

/** The name `init` offers for a new profile: `default` for this machine's store, else the kind. */
export function suggestedProfileName(kind: string, existing: readonly string[]): string {
  if (kind === 'local') return 'default';
  let name = kind;
  for (let i = 2; existing.includes(name); i++) name = `${kind}-${i}`;
  return name;
}

export interface SetupInput {
  name: string;
  backend: string;
  url?: string;
  email?: string;
  /** `key=value` backend settings, for kinds that declare them. */
  options?: string[];
  token?: string;
  /** False when the token came from SUPPORT_TOKEN: it is used, never stored. */
  storeToken: boolean;
  /** Replace a profile of the same name. */
  replace: boolean;
}

export interface SetupResult {
  profile: string;
  backend: string;
  url: string | null;
  /** Who the backend says this is (the local store: who the profile acts as). */
  user: string;
  role: Role;
  /** Tickets the check could see: 0 or 1 (it lists one ticket only). */
  ticketsSeen: number;
  tokenStoredIn: Exclude<CredentialSource, 'env'> | null;
  current: true;
}

export interface SetupDeps {
  profiles: ProfileStore;
  credentials: CredentialStore;
  /** Opens a backend for a profile that is not saved yet, with the token given. */
  open: (name: string, profile: Profile, token: string | undefined) => Promise<Backend>;
}

/**
 * Checks the settings against the backend (who am I, then a harmless read: one ticket), and only
 * then saves the profile, stores the token and makes the profile current. Nothing is saved when
 * a check fails.
 */
export async function setUp(deps: SetupDeps, input: SetupInput): Promise<SetupResult> {
  const needs = kindNeeds(input.backend);
  const name = validateProfileName(input.name);
  for (const field of ['url', 'email'] as const) {
    if (input[field] !== undefined && !needs.fields[field]) {
      throw new UsageError(`The ${needs.kind} backend takes no --${field}.`, {hint: `Leave --${field} out, or choose another backend.`});
    }
  }
  if (input.options?.length && !needs.options.length) {
    throw new UsageError(`The ${needs.kind} backend takes no --option.`, {hint: 'Leave --option out, or choose another backend.'});
  }
  const token = needs.needsToken ? validateToken(input.token ?? '') : undefined;
  const settings = await deps.profiles.read();
  if (settings.profiles[name] && !input.replace) {
    throw new UsageError(`A profile named "${name}" already exists.`, {
      hint: `Add --force to replace it, or choose another name with --profile NAME.`,
    });
  }
  const profile: Profile & {email?: string} = {backend: needs.kind};
  if (input.url !== undefined) profile.url = normalizeUrl(input.url);
  if (input.email !== undefined) profile.email = input.email.trim();

  let who: Identity;
  let ticketsSeen: number;
  const backend = await deps.open(name, profile, token);
  try {
    who = await backend.whoami();
    ticketsSeen = (await backend.tickets.list({limit: 1})).tickets.length;
  } catch (error) {
    // Nothing is saved yet: the way on is to run init again, not to log in to a profile that is not there.
    if (error instanceof AuthError) throw new AuthError(error.message, {hint: 'Check the token and run support init again; nothing was saved.', cause: error});
    if (error instanceof UnavailableError) throw new UnavailableError(error.message, {hint: `${error.hint ?? 'Check the URL and your network.'} Nothing was saved.`, cause: error});
    throw error;
  } finally {
    await backend.close();
  }

  const previous = settings.profiles[name];
  if (previous) {
    delete settings.profiles[name];
    await deps.profiles.write(settings);
  }
  // Settings that later kinds declare (an email, --option) travel to addProfile, which checks them.
  const add: AddProfileInput & {email?: string; options?: string[]} = {name, backend: needs.kind, url: input.url, email: input.email, options: input.options};
  if (add.email === undefined) delete add.email;
  if (add.options === undefined) delete add.options;
  let saved;
  try {
    saved = await addProfile(deps.profiles, add);
  } catch (error) {
    if (previous) await deps.profiles.write({...settings, profiles: {...settings.profiles, [name]: previous}});
    throw error;
  }
  await useProfile(deps.profiles, name);
  let tokenStoredIn: SetupResult['tokenStoredIn'] = null;
  if (token !== undefined && input.storeToken) tokenStoredIn = await deps.credentials.set(name, token);
  // A replaced profile's token must not outlive it.
  else if (previous) await deps.credentials.delete(name);
  return {profile: name, backend: saved.backend, url: saved.url, user: who.name, role: who.role, ticketsSeen, tokenStoredIn, current: true};
}
