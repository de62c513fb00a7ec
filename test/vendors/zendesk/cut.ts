/**
 * Cuts Zendesk's full description (../shared/vendors/specs) to the operations the zendesk
 * backend calls and the components they use, without examples. The cut lives only in a cache
 * (contract.ts): the description is not copied into the project.
 */
import {parse, stringify} from 'yaml';

import {cutSpec} from '../harness/spec-cut.js';
import {FULL_SPEC_FILE, SUPPORT_OPERATIONS} from './operations.js';

const NOTE =
  'A cut of Zendesk\'s "Support API" OpenAPI description (the file Zendesk offers as "Download OpenAPI file" on ' +
  'developer.zendesk.com): only the operations the zendesk backend calls, and the components they use, without ' +
  'examples. Made by test/vendors/zendesk/cut.ts from ../shared/vendors/specs/' + FULL_SPEC_FILE + '.';

export function makeCut(fullText: string): string {
  const full = parse(fullText, {maxAliasCount: -1}) as Record<string, unknown>;
  return stringify(cutSpec(full, SUPPORT_OPERATIONS, NOTE), {lineWidth: 0, aliasDuplicateObjects: false});
}
