import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_UPDATE_REGISTRY = 'https://registry.npmjs.org';

/** What the last check found, in `<cacheDir>/update-check.json`. */
export interface UpdateState {
  /** When a check last started (epoch ms): at most one a day. */
  checkedAt?: number;
  /** The registry's `latest` version, when a check got an answer. */
  latest?: string;
  /** When the notice was last shown: at most once a day. */
  notifiedAt?: number;
}

const truthy = (value: string | undefined) => value !== undefined && !/^(0|false|no|)$/i.test(value.trim());

/** Off with SUPPORT_NO_UPDATE_NOTIFIER, in CI, and without a person at a terminal to read it. */
export function updateNoticeWanted(env: NodeJS.ProcessEnv, stderrIsTTY: boolean): boolean {
  return stderrIsTTY && !truthy(env.SUPPORT_NO_UPDATE_NOTIFIER) && !truthy(env.CI);
}

/** True when `candidate` is a release (no pre-release tag) newer than `current`. */
export function isNewer(candidate: string, current: string): boolean {
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)(-.+)?$/.exec(v.trim());
  const a = parse(candidate);
  const b = parse(current);
  if (!a || !b || a[4]) return false;
  for (let i = 1; i <= 3; i++) if (Number(a[i]) !== Number(b[i])) return Number(a[i]) > Number(b[i]);
  return false;
}

export function readUpdateState(file: string): UpdateState {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as UpdateState) : {};
  } catch {
    return {};
  }
}

export function writeUpdateState(file: string, state: UpdateState): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`);
  renameSync(temp, file);
}

/**
 * How to update this copy of support, by how it was installed: the self-contained tarball
 * (`npm run pack:standalone`: a NODE_VERSION file beside bin/support), a clone (`npm link`), or
 * npm's global packages.
 */
export function updateAdvice(root: string, packageName: string, latest: string): string {
  if (existsSync(join(root, 'NODE_VERSION')) && existsSync(join(root, 'bin', 'support'))) {
    const platform = process.platform === 'win32' ? 'win' : process.platform;
    return `Update by unpacking support-${latest}-${platform}-${process.arch}.tar.gz in place of ${root}`;
  }
  const quoted = /^[\w@%+=:,./-]+$/.test(root) ? root : `'${root.replaceAll("'", "'\\''")}'`;
  if (existsSync(join(root, '.git'))) return `Update with: cd ${quoted} && git pull && npm ci`;
  return `Update with: npm install -g ${packageName}`;
}

export interface UpdateNoticeOptions {
  /** Where this copy of support is installed (oclif's config.root). */
  root: string;
  packageName: string;
  version: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
  now?: number;
}

/**
 * After a command: says once a day that a newer version is out, from what an earlier check
 * found; and, once a day, starts the next check in a detached process of its own, so that no
 * command ever waits for the registry.
 */
export function updateNotice(options: UpdateNoticeOptions): void {
  const now = options.now ?? Date.now();
  const file = join(options.cacheDir, 'update-check.json');
  const state = readUpdateState(file);
  try {
    mkdirSync(options.cacheDir, {recursive: true});
    if (state.latest && isNewer(state.latest, options.version) && !(state.notifiedAt && now - state.notifiedAt < DAY_MS)) {
      options.write(
        `A new version of support is available: ${options.version} → ${state.latest}. ${updateAdvice(options.root, options.packageName, state.latest)}\n`,
      );
      state.notifiedAt = now;
      writeUpdateState(file, state);
    }
    if (!state.checkedAt || now - state.checkedAt >= DAY_MS || now < state.checkedAt) {
      writeUpdateState(file, {...state, checkedAt: now});
      const registry = (options.env.SUPPORT_UPDATE_REGISTRY || DEFAULT_UPDATE_REGISTRY).replace(/\/+$/, '');
      const worker = fileURLToPath(new URL('update-check.js', import.meta.url));
      const env = {...options.env};
      // Node's fetch uses HTTPS_PROXY and friends only when asked to.
      if (env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy) env.NODE_USE_ENV_PROXY = '1';
      spawn(process.execPath, [worker, `${registry}/${encodeURIComponent(options.packageName).replace('%40', '@')}/latest`, file], {
        detached: true,
        stdio: 'ignore',
        env,
      }).unref();
    }
  } catch {
    // A cache directory that cannot be written: no notice, and the command is not the worse for it.
  }
}
