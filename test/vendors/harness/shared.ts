import {existsSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** The repository root, and ../shared beside it, where the full vendor descriptions live (not committed). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHARED_SPECS = join(REPO_ROOT, '..', 'shared', 'vendors', 'specs');

/** The full description of a vendor in ../shared, or undefined where ../shared is absent (CI elsewhere). */
export function sharedSpec(file: string): string | undefined {
  const path = join(SHARED_SPECS, file);
  return existsSync(path) ? path : undefined;
}
