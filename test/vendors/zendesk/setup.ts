import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import type {Backend} from '../../../src/backends/backend.js';
import {createZendeskBackend} from '../../../src/backends/zendesk/index.js';
import {startZendeskFake, type ZendeskFake, type ZendeskFakeOptions} from './fake.js';
import {sandbox} from '../../helpers.js';

export interface ZendeskTarget {
  fake: ZendeskFake;
  backend: Backend;
  scratch: string;
  open(options?: {email?: string; token?: string; settings?: Record<string, string>; retries?: number}): Promise<Backend>;
  close(): Promise<void>;
}

/** The fake Zendesk on loopback and the zendesk backend signed in to it as alice (an admin), retrying quickly. */
export async function startZendeskTarget(fakeOptions: ZendeskFakeOptions = {}): Promise<ZendeskTarget> {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const fake = await startZendeskFake(fakeOptions);
  const opened: Backend[] = [];
  const open: ZendeskTarget['open'] = async (o = {}) => {
    const backend = await createZendeskBackend({
      profile: 'work',
      url: fake.url,
      email: o.email === undefined ? 'alice@acme.test' : o.email || undefined,
      token: async () => o.token ?? 'alice-api-token',
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
