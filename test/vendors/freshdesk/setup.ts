import {createFreshdeskBackend} from '../../../src/backends/freshdesk/index.js';
import {startVendorTarget, type VendorOpenOptions, type VendorTarget} from '../harness/target.js';
import {startFreshdeskFake, type FreshdeskFake, type FreshdeskFakeOptions} from './fake.js';

export type FreshdeskTarget = VendorTarget<FreshdeskFake>;

/** The fake Freshdesk on loopback and the freshdesk backend signed in to it as alice, retrying quickly. */
export async function startFreshdeskTarget(fakeOptions: FreshdeskFakeOptions = {}): Promise<FreshdeskTarget> {
  return startVendorTarget(await startFreshdeskFake(fakeOptions), (o: VendorOpenOptions, common) =>
    createFreshdeskBackend({...common, profile: 'fd', token: async () => o.token ?? 'alice-api-key', settings: o.settings ?? {}}),
  );
}
