import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {parse} from 'yaml';

import {Contract} from '../harness/contract.js';
import {REPO_ROOT, sharedSpec} from '../harness/shared.js';
import {applySupplement, type Supplement} from '../harness/supplement.js';
import {makeCut} from './cut.js';
import {FULL_SPEC_FILE} from './operations.js';

const read = (name: string) => parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** Where ../shared keeps Zendesk's description, or undefined where ../shared is absent. */
export const ZENDESK_SPEC = sharedSpec(FULL_SPEC_FILE);

/**
 * The cut of Zendesk's description to the operations the adapter calls. The description is
 * read from ../shared and never copied into the project; parsing its megabyte of YAML costs a
 * second, so each test process reads the cut from a cache under node_modules/.cache, keyed by
 * the full file's hash.
 */
function supportApiCut(): Record<string, unknown> {
  if (!ZENDESK_SPEC) throw new Error(`../shared/vendors/specs/${FULL_SPEC_FILE} is absent: the zendesk contract cannot be checked here.`);
  const full = readFileSync(ZENDESK_SPEC, 'utf8');
  const key = createHash('sha256').update(full).update(readFileSync(new URL('./operations.ts', import.meta.url))).digest('hex').slice(0, 16);
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'supportkit-vendors');
  const cached = join(dir, `zendesk-${key}.yaml`);
  try {
    return parse(readFileSync(cached, 'utf8')) as Record<string, unknown>;
  } catch {
    const cut = makeCut(full);
    mkdirSync(dir, {recursive: true});
    const temp = `${cached}.${process.pid}`;
    writeFileSync(temp, cut);
    renameSync(temp, cached);
    return parse(cut) as Record<string, unknown>;
  }
}

let loaded: Promise<Contract> | undefined;

/**
 * Zendesk's contract: its Support API description (cut to what the adapter calls) with the
 * supplement of what its reference documents beside it, and the Help Center description written
 * out from its reference. Loaded once per test process.
 */
export function zendeskContract(): Promise<Contract> {
  loaded ??= Contract.load([applySupplement(supportApiCut(), read('supplement.yaml') as Supplement), read('help-center.yaml')]);
  return loaded;
}
