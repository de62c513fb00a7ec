import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import type {Backend} from '../../../src/backends/backend.js';
import {createFreshdeskBackend} from '../../../src/backends/freshdesk/index.js';
import {startFreshdeskFake, type FreshdeskFake, type FreshdeskFakeOptions} from './fake.js';
import {sandbox} from '../../helpers.js';

export interface FreshdeskTarget {
  fake: FreshdeskFake;
  backend: Backend;
  scratch: string;
  open(options?: {token?: string; settings?: Record<string, string>; retries?: number}): Promise<Backend>;
  close(): Promise<void>;
}

/** The fake Freshdesk on loopback and the freshdesk backend signed in to it as alice, retrying quickly. */
export async function startFreshdeskTarget(fakeOptions: FreshdeskFakeOptions = {}): Promise<FreshdeskTarget> {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const fake = await startFreshdeskFake(fakeOptions);
  const opened: Backend[] = [];
  const open: FreshdeskTarget['open'] = async (o = {}) => {
    const backend = await createFreshdeskBackend({
      profile: 'fd',
      url: fake.url,
      token: async () => o.token ?? 'alice-api-key',
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
