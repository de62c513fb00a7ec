import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {Contract} from '../harness/contract.js';
import {REPO_ROOT} from '../harness/shared.js';
import {cutSpec} from '../harness/spec-cut.js';
import {applySupplement} from '../harness/supplement.js';
import {DESCRIPTION_FILE, DESCRIPTION_PACKAGE, GITHUB_OPERATIONS} from './operations.js';
import {githubSupplement} from './supplement.js';

/** Where node_modules keeps GitHub's description (13 MB), or undefined before `npm install`. */
export const GITHUB_SPEC = ((path) => (existsSync(path) ? path : undefined))(join(REPO_ROOT, 'node_modules', DESCRIPTION_PACKAGE, DESCRIPTION_FILE));

const NOTE =
  'A cut of GitHub\'s OpenAPI description of api.github.com, as the @octokit/openapi package ships it: only the ' +
  'operations the github backend calls, and the components they use, without examples. Made in memory by ' +
  'test/vendors/github/contract.ts and kept only in node_modules/.cache.';

export function makeCut(full: Record<string, unknown>): Record<string, unknown> {
  return cutSpec(full, GITHUB_OPERATIONS, NOTE);
}

/**
 * The cut of GitHub's description to what the adapter calls. The description is read from the
 * dev dependency and never copied into the project; parsing its 13 MB costs most of a second,
 * so each test process reads the cut from a cache under node_modules/.cache, keyed by the
 * description's hash and the list of operations.
 */
export function githubCut(): Record<string, unknown> {
  if (!GITHUB_SPEC) throw new Error(`${DESCRIPTION_PACKAGE}/${DESCRIPTION_FILE} is absent: run npm install.`);
  const stamp = readFileSync(join(REPO_ROOT, 'node_modules', DESCRIPTION_PACKAGE, 'package.json'), 'utf8');
  const key = createHash('sha256').update(stamp).update(readFileSync(new URL('./operations.ts', import.meta.url))).digest('hex').slice(0, 16);
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'supportkit-vendors');
  const cached = join(dir, `github-${key}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as Record<string, unknown>;
  } catch {
    const cut = makeCut(JSON.parse(readFileSync(GITHUB_SPEC, 'utf8')) as Record<string, unknown>);
    mkdirSync(dir, {recursive: true});
    const temp = `${cached}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(cut));
    renameSync(temp, cached);
    return cut;
  }
}

let loaded: Promise<Contract> | undefined;

/** GitHub's contract: its description, cut, with the supplement of what its docs say beside it. Loaded once per process. */
export function githubContract(): Promise<Contract> {
  loaded ??= Contract.load([applySupplement(githubCut(), githubSupplement())]);
  return loaded;
}
