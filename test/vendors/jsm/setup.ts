import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import type {Backend} from '../../../src/backends/backend.js';
import {createJsmBackend} from '../../../src/backends/jsm/index.js';
import {startJsmFake, type JsmFake, type JsmFakeOptions} from './fake.js';
import {sandbox} from '../../helpers.js';

/** The profile options the README shows: the ITSM desk, and the request type of each --type. */
export const SETTINGS = {
  'service-desk': 'ITSM',
  'type-map': 'question:Get IT help,incident:Report an incident,problem:Investigate a problem,task:Request a change',
};

export interface JsmTarget {
  fake: JsmFake;
  backend: Backend;
  scratch: string;
  open(options?: {email?: string; token?: string; settings?: Record<string, string>; retries?: number}): Promise<Backend>;
  close(): Promise<void>;
}

/** The fake JSM site on loopback and the jsm backend signed in to it as alice (an agent), retrying quickly. */
export async function startJsmTarget(fakeOptions: JsmFakeOptions = {}): Promise<JsmTarget> {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const fake = await startJsmFake(fakeOptions);
  const opened: Backend[] = [];
  const open: JsmTarget['open'] = async (o = {}) => {
    const backend = await createJsmBackend({
      profile: 'it',
      url: fake.url,
      email: o.email === undefined ? 'alice@acme.test' : o.email || undefined,
      token: async () => o.token ?? 'alice-api-token',
      settings: o.settings ?? SETTINGS,
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
