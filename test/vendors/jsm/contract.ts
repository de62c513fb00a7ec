import {readFileSync} from 'node:fs';

import {parse} from 'yaml';

import {Contract} from '../harness/contract.js';
import {applySupplement, type Supplement} from '../harness/supplement.js';

const read = (name: string) => parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/**
 * What every Atlassian API answers besides an operation's own responses: rate limits and
 * transient failures (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/: 429
 * with Retry-After, and "some transient 5XX errors are accompanied by a Retry-After header").
 */
const COMMON: Supplement = {
  allOperations: {
    responses: {
      '429': {description: 'Rate limited; Retry-After says when to come back.', 'x-source': 'https://developer.atlassian.com/cloud/jira/platform/rate-limiting/', content: {'application/json': {schema: {type: 'object'}}}},
      '500': {description: 'Internal error.', 'x-source': 'https://developer.atlassian.com/cloud/jira/service-desk/rest/intro/#status', content: {'application/json': {schema: {type: 'object'}}}},
      '503': {description: 'A resource limit was reached; may carry Retry-After.', 'x-source': 'https://developer.atlassian.com/cloud/jira/platform/rate-limiting/', content: {'application/json': {schema: {type: 'object'}}}},
    },
  },
};

/** The rule files (each written from Atlassian's description or reference, see their headers). */
export const RULE_FILES = ['service-desk.yaml', 'platform.yaml', 'confluence.yaml'] as const;

let loaded: Promise<Contract> | undefined;

/**
 * JSM's contract: the Service Desk API, the Jira platform API and the one Confluence call, as the
 * rule files in this folder state them. Loaded once per test process. They are the project's
 * own, so CI always checks them; test/vendors/jsm/full-description.test.ts checks the same
 * requests against Atlassian's full descriptions too, where those are on this machine.
 */
export function jsmContract(): Promise<Contract> {
  loaded ??= Contract.load(RULE_FILES.map((file) => applySupplement(read(file), COMMON)));
  return loaded;
}
