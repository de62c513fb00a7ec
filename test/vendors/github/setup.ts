import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import type {Backend} from '../../../src/backends/backend.js';
import {createGithubBackend} from '../../../src/backends/github/index.js';
import {OWNER, REPO, startGithubFake, type GithubFake, type GithubFakeOptions} from './fake.js';
import {sandbox} from '../../helpers.js';

export interface GithubTarget {
  fake: GithubFake;
  backend: Backend;
  scratch: string;
  open(options?: {token?: string; settings?: Record<string, string>; retries?: number; repo?: string}): Promise<Backend>;
  close(): Promise<void>;
}

/** The fake GitHub on loopback and the github backend signed in to it as alice (an admin of acme/support), retrying quickly. */
export async function startGithubTarget(fakeOptions: GithubFakeOptions = {}): Promise<GithubTarget> {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const fake = await startGithubFake(fakeOptions);
  const opened: Backend[] = [];
  const open: GithubTarget['open'] = async (o = {}) => {
    const backend = await createGithubBackend({
      profile: 'oss',
      url: fake.url,
      repo: o.repo ?? `${OWNER}/${REPO}`,
      token: async () => o.token ?? 'alice-token',
      settings: o.settings ?? {},
      dataDir: dirs.dataDir,
      cacheDir: dirs.cacheDir,
      identity: {name: 'ignored', role: 'customer'},
      http: {retry: {limit: o.retries ?? 3, baseDelayMs: 5, maxDelayMs: 20}, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50)))},
    });
    opened.push(backend);
    return backend;
  };
  const backend = await open();
  return {
    fake,
    backend,
    scratch,
    open,
    close: async () => {
      for (const b of opened) await b.close();
      await fake.close();
      dirs.cleanup();
    },
  };
}
