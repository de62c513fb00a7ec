import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import type {Backend, Identity} from '../../../src/backends/backend.js';
import type {HttpClientOptions} from '../../../src/http/client.js';
import {sandbox} from '../../helpers.js';

/** What a test may change when it opens a vendor backend; each vendor adds its own (email, repo). */
export interface VendorOpenOptions {
  token?: string;
  settings?: Record<string, string>;
  retries?: number;
}

/** A vendor's fake on loopback, a backend signed in to it, and a folder for files to attach. */
export interface VendorTarget<F, O extends VendorOpenOptions = VendorOpenOptions> {
  fake: F;
  backend: Backend;
  scratch: string;
  /** Another backend on the same fake, closed with the target. */
  open(options?: O): Promise<Backend>;
  close(): Promise<void>;
}

/** What every vendor backend of a test opens with: the fake's URL, a sandbox's directories, quick retries. */
export interface VendorOpenCommon {
  url: string;
  dataDir: string;
  cacheDir: string;
  identity: Identity;
  http: Pick<HttpClientOptions, 'retry' | 'sleep'>;
}

/**
 * Opens the first backend on `fake` through `create` (the vendor's factory with its profile,
 * login and default token), in a sandbox of its own; `close` closes every backend opened, the
 * fake and the sandbox.
 */
export async function startVendorTarget<F extends {url: string; close(): Promise<void>}, O extends VendorOpenOptions>(
  fake: F,
  create: (options: O, common: VendorOpenCommon) => Promise<Backend>,
): Promise<VendorTarget<F, O>> {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const opened: Backend[] = [];
  const open = async (options = {} as O) => {
    const backend = await create(options, {
      url: fake.url,
      dataDir: dirs.dataDir,
      cacheDir: dirs.cacheDir,
      identity: {name: 'ignored', role: 'customer'},
      http: {retry: {limit: options.retries ?? 3, baseDelayMs: 5, maxDelayMs: 20}, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50)))},
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
