import {createJsmBackend} from '../../../src/backends/jsm/index.js';
import {startVendorTarget, type VendorOpenOptions, type VendorTarget} from '../harness/target.js';
import {startJsmFake, type JsmFake, type JsmFakeOptions} from './fake.js';

/** The profile options the README shows: the ITSM desk, and the request type of each --type. */
export const SETTINGS = {
  'service-desk': 'ITSM',
  'type-map': 'question:Get IT help,incident:Report an incident,problem:Investigate a problem,task:Request a change',
};

export type JsmTarget = VendorTarget<JsmFake, VendorOpenOptions & {email?: string}>;

/** The fake JSM site on loopback and the jsm backend signed in to it as alice (an agent), retrying quickly. */
export async function startJsmTarget(fakeOptions: JsmFakeOptions = {}): Promise<JsmTarget> {
  return startVendorTarget(await startJsmFake(fakeOptions), (o: VendorOpenOptions & {email?: string}, common) =>
    createJsmBackend({
      ...common,
      profile: 'it',
      email: o.email === undefined ? 'alice@acme.test' : o.email || undefined,
      token: async () => o.token ?? 'alice-api-token',
      settings: o.settings ?? SETTINGS,
    }),
  );
}
