import {backendKind, parseBackendOptions, type ProfileField} from '../backends/registry.js';
import {UsageError} from '../domain/errors.js';
import type {Role} from '../domain/ticket.js';
import type {CredentialStore} from '../store/credentials.js';
import {DEFAULT_PROFILE, IMPLICIT_DEFAULT, validateProfileName, type Profile, type ProfileStore} from '../store/profiles.js';

export interface ProfileSummary {
  name: string;
  backend: string;
  url: string | null;
  /** The login email that goes with the token (Zendesk's API tokens), or null. */
  email: string | null;
  /** The repository (owner/name) of a github profile, or null. */
  repo: string | null;
  /** `--option key=value` settings of the backend. */
  options: Record<string, string>;
  as: Role;
  current: boolean;
}

const summarize = (name: string, profile: Profile, current: string): ProfileSummary => ({
  name,
  backend: profile.backend,
  url: profile.url ?? null,
  email: profile.email ?? null,
  repo: profile.repo ?? null,
  options: {...profile.options},
  as: profile.as ?? 'customer',
  current: name === current,
});

export interface AddProfileInput {
  name: string;
  backend: string;
  url?: string;
  email?: string;
  repo?: string;
  /** `key=value` pairs of --option, checked against what the backend kind declares. */
  options?: readonly string[];
  as?: Role;
  user?: string;
}

const FIELD_FLAGS: Record<ProfileField, string> = {url: '--url', email: '--email', repo: '--repo'};
const FIELD_NAMES: Record<ProfileField, string> = {url: 'URL', email: 'email', repo: 'repository'};
const FIELD_EXAMPLES: Partial<Record<ProfileField, string>> = {repo: 'OWNER/NAME'};

/** A repository as GitHub names it: owner/name, letters, digits, hyphens, underscores and dots. */
export function validateRepo(repo: string): string {
  const trimmed = repo.trim().replace(/\.git$/, '');
  if (!/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/.test(trimmed) || /\/\.\.?$/.test(trimmed)) {
    throw new UsageError(`"${repo}" is not a repository name.`, {hint: 'Give it as owner/name, e.g. --repo octo-org/widgets.'});
  }
  return trimmed;
}

/** An email address as Zendesk and Jira take them for API tokens: one @, no spaces. */
export function validateEmail(email: string): string {
  const trimmed = email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
    throw new UsageError(`"${email}" is not an email address.`, {hint: 'Give the email you log in with, e.g. --email agent@example.com.'});
  }
  return trimmed;
}

/** Plain http only to this machine: a token must not cross a network in the clear. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

function assertHttpsUnlessLoopback(kind: string, url: string): void {
  const parsed = new URL(url);
  const loopback = LOOPBACK.test(parsed.hostname);
  if (parsed.protocol !== 'https:' && !loopback) {
    throw new UsageError(`The ${kind} backend needs an https:// URL, not ${url}.`, {hint: 'Use the https:// address of your account.'});
  }
}

function assertHostUnlessLoopback(kind: string, url: string, rule: {suffix: string; reason: string}, example?: string): void {
  const host = new URL(url).hostname.toLowerCase();
  if (LOOPBACK.test(host) || (host.endsWith(rule.suffix) && host.length > rule.suffix.length)) return;
  throw new UsageError(`The ${kind} backend needs a URL on ${rule.suffix.replace(/^\./, '')}, not ${url}.`, {hint: `${rule.reason}: use ${example ?? `https://...${rule.suffix}`}.`});
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
  const kind = backendKind(input.backend);
  const given: Record<ProfileField, string | undefined> = {url: input.url, email: input.email, repo: input.repo};
  for (const field of Object.keys(FIELD_FLAGS) as ProfileField[]) {
    const rule = kind.fields[field];
    if (given[field] !== undefined && !rule) {
      throw new UsageError(`The ${kind.kind} backend takes no ${FIELD_FLAGS[field]}.`, {hint: `Leave ${FIELD_FLAGS[field]} out, or choose another backend.`});
    }
    if (given[field] === undefined && rule === 'required') {
      const example = field === 'url' ? ` ${kind.urlExample ?? 'https://...'}` : ` ${FIELD_EXAMPLES[field] ?? '...'}`;
      throw new UsageError(`The ${kind.kind} backend needs a ${FIELD_NAMES[field]}.`, {hint: `Add ${FIELD_FLAGS[field]}${example} to the command.`});
    }
  }
  const options = parseBackendOptions(kind.kind, input.options ?? []);
  const settings = await store.read();
  if (settings.profiles[name]) {
    throw new UsageError(`A profile named "${name}" already exists.`, {
      hint: `Remove it first with \`support profile remove ${name}\`, or choose another name.`,
    });
  }
  const profile: Profile = {backend: input.backend};
  if (input.url) profile.url = normalizeUrl(input.url);
  if (profile.url && kind.httpsOnly) assertHttpsUnlessLoopback(kind.kind, profile.url);
  if (profile.url && kind.urlHost) assertHostUnlessLoopback(kind.kind, profile.url, kind.urlHost, kind.urlExample);
  if (input.email !== undefined) profile.email = validateEmail(input.email);
  if (input.repo !== undefined) profile.repo = validateRepo(input.repo);
  if (Object.keys(options).length) profile.options = options;
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
