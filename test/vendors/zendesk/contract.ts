import {readFileSync} from 'node:fs';

import {parse} from 'yaml';

import {Contract} from '../harness/contract.js';
import {applySupplement, type Supplement} from '../harness/supplement.js';

const read = (name: string) => parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

let loaded: Promise<Contract> | undefined;

/**
 * Zendesk's contract: its Support API description (the committed cut) with the supplement of
 * what its reference documents beside it, and the Help Center description written out from its
 * reference. Loaded once per test process.
 */
export function zendeskContract(): Promise<Contract> {
  loaded ??= Contract.load([applySupplement(read('support-api.cut.yaml'), read('supplement.yaml') as Supplement), read('help-center.yaml')]);
  return loaded;
}
