import {createGithubBackend} from '../../../src/backends/github/index.js';
import {startVendorTarget, type VendorOpenOptions, type VendorTarget} from '../harness/target.js';
import {OWNER, REPO, startGithubFake, type GithubFake, type GithubFakeOptions} from './fake.js';

export type GithubTarget = VendorTarget<GithubFake, VendorOpenOptions & {repo?: string}>;

/** The fake GitHub on loopback and the github backend signed in to it as alice (an admin of acme/support), retrying quickly. */
export async function startGithubTarget(fakeOptions: GithubFakeOptions = {}): Promise<GithubTarget> {
  return startVendorTarget(await startGithubFake(fakeOptions), (o: VendorOpenOptions & {repo?: string}, common) =>
    createGithubBackend({
      ...common,
      profile: 'oss',
      repo: o.repo ?? `${OWNER}/${REPO}`,
      token: async () => o.token ?? 'alice-token',
      settings: o.settings ?? {},
    }),
  );
}
