import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/** A temp home for one test file: the CLI's config, data and cache dirs, never the developer's. */
export function isolatedDirs(prefix = 'supportkit-test-'): {root: string; configDir: string; dataDir: string; cacheDir: string; cleanup: () => void} {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {root, configDir: join(root, 'config'), dataDir: join(root, 'data'), cacheDir: join(root, 'cache')};
  process.env.SUPPORT_CONFIG_DIR = dirs.configDir;
  process.env.SUPPORT_DATA_DIR = dirs.dataDir;
  process.env.SUPPORT_CACHE_DIR = dirs.cacheDir;
  return {...dirs, cleanup: () => rmSync(root, {recursive: true, force: true})};
}

/** Environment for a child `support` process: its own dirs, no keyring, no proxy, no token from the outside. */
export function childEnv(dirs: {configDir: string; dataDir: string; cacheDir: string}, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env};
  for (const key of Object.keys(env)) {
    if (/^(SUPPORT_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$|DBUS_SESSION_BUS_ADDRESS$|GH_TOKEN$|GITHUB_TOKEN$|GH_ENTERPRISE_TOKEN$|GITHUB_ENTERPRISE_TOKEN$)/i.test(key)) delete env[key];
  }
  return {
    ...env,
    SUPPORT_CONFIG_DIR: dirs.configDir,
    SUPPORT_DATA_DIR: dirs.dataDir,
    SUPPORT_CACHE_DIR: dirs.cacheDir,
    SUPPORT_CREDENTIAL_STORE: 'file',
    SUPPORT_NO_UPDATE_NOTIFIER: '1',
    NO_COLOR: '1',
    ...extra,
  };
}
