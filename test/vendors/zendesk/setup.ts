import {createZendeskBackend} from '../../../src/backends/zendesk/index.js';
import {startVendorTarget, type VendorOpenOptions, type VendorTarget} from '../harness/target.js';
import {startZendeskFake, type ZendeskFake, type ZendeskFakeOptions} from './fake.js';

export type ZendeskTarget = VendorTarget<ZendeskFake, VendorOpenOptions & {email?: string}>;

/** The fake Zendesk on loopback and the zendesk backend signed in to it as alice (an admin), retrying quickly. */
export async function startZendeskTarget(fakeOptions: ZendeskFakeOptions = {}): Promise<ZendeskTarget> {
  return startVendorTarget(await startZendeskFake(fakeOptions), (o: VendorOpenOptions & {email?: string}, common) =>
    createZendeskBackend({
      ...common,
      profile: 'work',
      email: o.email === undefined ? 'alice@acme.test' : o.email || undefined,
      token: async () => o.token ?? 'alice-api-token',
      settings: o.settings ?? {},
    }),
  );
}
