import {constants} from 'node:fs';
import {access, rm, stat, statfs, writeFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';

import type {Backend} from '../backends/backend.js';
import {backendNeedsUrl, inspectLocalStore, openKbCache} from '../backends/registry.js';
import {AuthError, RateLimitError, SupportError, UnavailableError} from '../domain/errors.js';
import {networkSettings} from '../http/network.js';
import type {CredentialStore} from '../store/credentials.js';
import type {Paths} from '../store/paths.js';
import type {Profile, ProfileStore} from '../store/profiles.js';
import {listProfiles} from './profiles.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `support doctor`: what was checked, what was found, and what to do about it. */
export interface DoctorCheck {
  /** Stable: node, config-dir, data-dir, cache-dir, settings, local-store, profile, token, clock, network, kb-cache. */
  check: string;
  /** The profile the check is about, or null. */
  profile: string | null;
  status: CheckStatus;
  /** What was found, in one sentence. */
  detail: string;
  /** The next step when the status is not ok; null when there is nothing to do. */
  fix: string | null;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorDeps {
  paths: Paths;
  env: NodeJS.ProcessEnv;
  profiles: ProfileStore;
  credentials: CredentialStore;
  /** "engines" of package.json, e.g. ">=22.16.0". */
  nodeRange: string;
  /** Opens a profile's backend with its stored token; the caller closes it. */
  open: (name: string, profile: Profile) => Promise<Backend>;
  now?: number;
}

const MB = 1024 * 1024;
/** Below this, writes (a bundle, an attachment, the store's journal) start failing. */
const LOW_SPACE = 100 * MB;
const VERY_LOW_SPACE = 10 * MB;
/** The server's clock may be this far off before it shows (SLA times, token expiry, TLS). */
const SKEW_WARN_MS = 60_000;
const SKEW_FAIL_MS = 5 * 60_000;
const KB_STALE_MS = 7 * 24 * 60 * 60 * 1000;

const ok = (check: string, detail: string, profile: string | null = null): DoctorCheck => ({check, profile, status: 'ok', detail, fix: null});
const warn = (check: string, detail: string, fix: string, profile: string | null = null): DoctorCheck => ({check, profile, status: 'warn', detail, fix});
const fail = (check: string, detail: string, fix: string, profile: string | null = null): DoctorCheck => ({check, profile, status: 'fail', detail, fix});

function formatBytes(n: number): string {
  return n >= 1024 * MB ? `${(n / (1024 * MB)).toFixed(1)} GB` : `${Math.round(n / MB)} MB`;
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours ago` : `${Math.round(hours / 24)} days ago`;
}

export function checkNode(version: string, range: string, viaOwnNode: boolean): DoctorCheck {
  const want = /(\d+)\.(\d+)\.(\d+)/.exec(range)!.slice(1).map(Number);
  const have = version.replace(/^v/, '').split('.').map(Number);
  let supported = true;
  for (let i = 0; i < 3; i++) {
    if (have[i] !== want[i]) {
      supported = have[i]! > want[i]!;
      break;
    }
  }
  const own = viaOwnNode ? ' (its own, as the system Node is older)' : '';
  return supported
    ? ok('node', `Node.js ${version}${own} meets ${range}.`)
    : fail('node', `Node.js ${version} is older than ${range}.`, 'Install a current Node.js (https://nodejs.org), or reinstall support with npm so that it brings its own.');
}

/** Writable (or creatable) and with room to spare. */
export async function checkDirectory(check: string, dir: string, envVar: string): Promise<DoctorCheck> {
  let existing = dir;
  for (;;) {
    try {
      await access(existing, constants.F_OK);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  const fix = `Make ${dir} writable for you, or set ${envVar} to a directory that is.`;
  if (!(await stat(existing).catch(() => undefined))?.isDirectory()) {
    return fail(check, `${dir} cannot be created: ${existing} is not a directory.`, fix);
  }
  try {
    if (existing === dir) {
      const probe = join(dir, `.doctor-${process.pid}`);
      await writeFile(probe, '');
      await rm(probe, {force: true});
    } else {
      await access(existing, constants.W_OK);
    }
  } catch (error) {
    return fail(check, `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, fix);
  }
  const what = existing === dir ? `${dir} is writable` : `${dir} does not exist yet and can be created`;
  try {
    const s = await statfs(existing);
    const free = Number(s.bavail) * Number(s.bsize);
    if (free < VERY_LOW_SPACE) return fail(check, `${what}, but only ${formatBytes(free)} is free.`, `Free some space on that disk, or set ${envVar} to another disk.`);
    if (free < LOW_SPACE) return warn(check, `${what}; ${formatBytes(free)} free.`, `Free some space on that disk, or set ${envVar} to another disk.`);
    return ok(check, `${what}; ${formatBytes(free)} free.`);
  } catch {
    return ok(check, `${what}.`);
  }
}

export async function checkLocalStore(dataDir: string): Promise<DoctorCheck> {
  const health = await inspectLocalStore(dataDir);
  if (!health.exists) return ok('local-store', `No local store yet (${health.file} is made on first use).`);
  if (!health.problems.length) return ok('local-store', `${health.file} passed SQLite's integrity check.`);
  return fail(
    'local-store',
    `${health.file} is damaged: ${health.problems.slice(0, 3).join('; ')}.`,
    `Move it aside (mv "${health.file}" "${health.file}.broken") to start a fresh store, or restore it from a backup.`,
  );
}

async function checkProfile(deps: DoctorDeps, name: string, profile: Profile): Promise<DoctorCheck[]> {
  let remote: boolean;
  try {
    remote = backendNeedsUrl(profile.backend);
  } catch (error) {
    return [fail('profile', (error as Error).message, `Remove it (support profile remove ${name}) and add it again with a known backend.`, name)];
  }
  if (!remote) return [ok('profile', `${profile.backend}: nothing to reach.`, name)];
  const checks: DoctorCheck[] = [];
  const url = profile.url ?? '';

  const net = await networkSettings(url, deps.env);
  const via = net.proxy ? `through the proxy ${net.proxy}` : 'directly (no proxy applies)';
  const ca = net.caFile ? (net.caProblem ? '' : `, trusting ${net.caCertificates} extra CA certificate(s) from ${net.caFile}`) : '';
  if (net.caProblem) checks.push(fail('network', net.caProblem, 'Point NODE_EXTRA_CA_CERTS at a readable PEM file of your CA, or unset it.', name));
  else checks.push(ok('network', `Requests to ${url} go ${via}${ca}.`, name));

  const token = await deps.credentials.get(name).catch((error: Error) => error);
  if (token instanceof Error) {
    checks.push(fail('token', token.message, (token as SupportError).hint ?? `Run support auth login --profile ${name}.`, name));
    return checks;
  }
  if (!token) {
    checks.push(fail('token', 'No token is stored, and SUPPORT_TOKEN is not set.', `Run support auth login --profile ${name}.`, name));
    return checks;
  }
  const source = {env: 'SUPPORT_TOKEN', keyring: 'the system keyring', file: 'the credentials file, unencrypted'}[token.source];

  let backend: Backend | undefined;
  try {
    backend = await deps.open(name, profile);
    const who = await backend.whoami();
    checks.push(ok('profile', `${url} answers; the token (from ${source}) belongs to ${who.name} (${who.role}).`, name));
    if (token.source === 'file') {
      checks.push(warn('token', `The token is stored unencrypted in ${deps.credentials.file} (readable only by you).`, 'Start a keyring (the Secret Service, e.g. gnome-keyring) and run support auth login again to move it there.', name));
    }
    const clock = backend.serverClock?.();
    if (clock) {
      const skew = clock.serverDate - clock.receivedAt;
      const seconds = Math.round(Math.abs(skew) / 1000);
      const side = skew > 0 ? 'behind' : 'ahead of';
      const detail = `This machine's clock is ${seconds} s ${side} the server's.`;
      const fix = 'Set the clock right (timedatectl set-ntp true, or your system settings): SLA times and token expiry depend on it.';
      if (Math.abs(skew) >= SKEW_FAIL_MS) checks.push(fail('clock', detail, fix, name));
      else if (Math.abs(skew) >= SKEW_WARN_MS) checks.push(warn('clock', detail, fix, name));
      else checks.push(ok('clock', `The server's clock agrees with this machine's (within ${Math.max(seconds, 1)} s).`, name));
    }
  } catch (error) {
    if (error instanceof AuthError) {
      checks.push(fail('profile', `${url} answers, but refused the token from ${source}: ${error.message.replace(/^The server refused the token of profile "[^"]*": /, '')}`, `Run support auth login --profile ${name} with a valid token.`, name));
    } else if (error instanceof UnavailableError || error instanceof RateLimitError) {
      checks.push(fail('profile', error.message, error.hint ?? `Check the URL (support profile list), your network and any HTTPS_PROXY setting.`, name));
    } else if (error instanceof SupportError) {
      checks.push(fail('profile', error.message, error.hint ?? 'Run the command again with --debug.', name));
    } else {
      throw error;
    }
  } finally {
    await backend?.close().catch(() => undefined);
  }

  const cache = await openKbCache(join(deps.paths.cacheDir, 'kb', name)).catch(() => undefined);
  try {
    const synced = cache?.syncedAt ? Date.parse(cache.syncedAt) : undefined;
    if (synced !== undefined) {
      const age = (deps.now ?? Date.now()) - synced;
      if (age > KB_STALE_MS) checks.push(warn('kb-cache', `The offline knowledge base was synced ${ago(age)}.`, `Run support kb sync --profile ${name}.`, name));
      else checks.push(ok('kb-cache', `The offline knowledge base was synced ${ago(age)}.`, name));
    }
  } finally {
    cache?.close();
  }
  return checks;
}

/** Every check, in a fixed order; profiles are checked side by side. */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [
    checkNode(process.versions.node, deps.nodeRange, Boolean(deps.env.SUPPORT_NODE_REEXEC)),
    await checkDirectory('config-dir', deps.paths.configDir, 'SUPPORT_CONFIG_DIR'),
    await checkDirectory('data-dir', deps.paths.dataDir, 'SUPPORT_DATA_DIR'),
    await checkDirectory('cache-dir', deps.paths.cacheDir, 'SUPPORT_CACHE_DIR'),
    await checkLocalStore(deps.paths.dataDir),
  ];
  let profiles;
  try {
    profiles = await listProfiles(deps.profiles);
    checks.push(ok('settings', `${deps.profiles.file}: ${profiles.length} profile(s), current: ${profiles.find((p) => p.current)?.name ?? 'default'}.`));
  } catch (error) {
    checks.push(fail('settings', (error as Error).message, (error as SupportError).hint ?? `Fix or move aside ${deps.profiles.file}.`));
    return {ok: false, checks};
  }
  const all = await deps.profiles.read();
  const perProfile = await Promise.all(
    profiles.map((p) => checkProfile(deps, p.name, all.profiles[p.name] ?? {backend: p.backend})),
  );
  checks.push(...perProfile.flat());
  return {ok: !checks.some((c) => c.status === 'fail'), checks};
}
