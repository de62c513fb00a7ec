import {assertBackendKind, backendNeedsUrl} from '../backends/registry.js';
import {UsageError} from '../domain/errors.js';
import type {Role} from '../domain/ticket.js';
import type {CredentialStore} from '../store/credentials.js';
import {DEFAULT_PROFILE, IMPLICIT_DEFAULT, validateProfileName, type Profile, type ProfileStore} from '../store/profiles.js';

export interface ProfileSummary {
  name: string;
  backend: string;
  url: string | null;
  as: Role;
  current: boolean;
}

const summarize = (name: string, profile: Profile, current: string): ProfileSummary => ({
  name,
  backend: profile.backend,
  url: profile.url ?? null,
  as: profile.as ?? 'customer',
  current: name === current,
});

export interface AddProfileInput {
  name: string;
  backend: string;
  url?: string;
  as?: Role;
  user?: string;
}

export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL.`, {hint: 'Give the backend address with its scheme, e.g. --url https://support.example.com.'});
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`"${url}" is not an http or https URL.`, {hint: 'Use an https:// address.'});
  }
  if (parsed.username || parsed.password) {
    throw new UsageError('The URL contains a user name or password.', {
      hint: 'Leave credentials out of the URL and run `support auth login` instead.',
    });
  }
  return parsed.toString().replace(/\/$/, '');
}

export async function addProfile(store: ProfileStore, input: AddProfileInput): Promise<ProfileSummary> {
  const name = validateProfileName(input.name);
  assertBackendKind(input.backend);
  if (backendNeedsUrl(input.backend) && !input.url) {
    throw new UsageError(`The ${input.backend} backend needs a URL.`, {hint: `Add --url https://... to the command.`});
  }
  const settings = await store.read();
  if (settings.profiles[name]) {
    throw new UsageError(`A profile named "${name}" already exists.`, {
      hint: `Remove it first with \`support profile remove ${name}\`, or choose another name.`,
    });
  }
  const profile: Profile = {backend: input.backend};
  if (input.url) profile.url = normalizeUrl(input.url);
  if (input.as) profile.as = input.as;
  if (input.user) profile.user = input.user;
  settings.profiles[name] = profile;
  await store.write(settings);
  return summarize(name, profile, settings.currentProfile);
}

export async function listProfiles(store: ProfileStore): Promise<ProfileSummary[]> {
  const {currentProfile, profiles} = await store.read();
  const all = {...profiles};
  all[DEFAULT_PROFILE] ??= IMPLICIT_DEFAULT;
  return Object.keys(all)
    .sort()
    .map((name) => summarize(name, all[name]!, currentProfile));
}

export async function useProfile(store: ProfileStore, name: string): Promise<ProfileSummary> {
  const profile = await store.get(validateProfileName(name));
  const settings = await store.read();
  settings.currentProfile = name;
  await store.write(settings);
  return summarize(name, profile, name);
}

/** Removes the profile and its stored token; the current profile falls back to `default`. */
export async function removeProfile(store: ProfileStore, credentials: CredentialStore, name: string): Promise<ProfileSummary> {
  const profile = await store.get(validateProfileName(name));
  const settings = await store.read();
  if (!settings.profiles[name]) {
    throw new UsageError(`The "${name}" profile is built in and cannot be removed.`, {
      hint: 'Switch to another profile with `support profile use NAME` instead.',
    });
  }
  delete settings.profiles[name];
  if (settings.currentProfile === name) settings.currentProfile = DEFAULT_PROFILE;
  await store.write(settings);
  await credentials.delete(name);
  return summarize(name, profile, settings.currentProfile);
}
