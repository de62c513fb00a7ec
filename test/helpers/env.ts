/**
 * @deprecated Moved into test/helpers.ts (sandbox, childEnv). Kept, as a thin adapter, only
 * until branches that began before the move are merged; new tests import test/helpers.ts.
 */
import {childEnv as cleanChildEnv, sandbox} from '../helpers.js';

/** @deprecated sandbox() in test/helpers.ts: `root` is its `dir`. */
export function isolatedDirs(prefix = 'supportkit-test-'): {root: string; configDir: string; dataDir: string; cacheDir: string; cleanup: () => void} {
  const box = sandbox(prefix);
  Object.assign(process.env, box.env);
  return {root: box.dir, configDir: box.configDir, dataDir: box.dataDir, cacheDir: box.cacheDir, cleanup: box.cleanup};
}

/** @deprecated childEnv({...box.env, ...extra}) in test/helpers.ts, or runBin and spawnServer, which take the sandbox's env. */
export function childEnv(dirs: {configDir: string; dataDir: string; cacheDir: string}, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanChildEnv({SUPPORT_CONFIG_DIR: dirs.configDir, SUPPORT_DATA_DIR: dirs.dataDir, SUPPORT_CACHE_DIR: dirs.cacheDir, NO_COLOR: '1', ...extra});
}
