import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, expect} from 'vitest';

import {createRestBackend} from '../../../src/backends/rest/index.js';
import {isolatedDirs} from '../../helpers/env.js';
import {startTestServer, startValidatingProxy} from '../../helpers/servers.js';
import {describeSlaConformance} from './sla-suite.js';

let proxy: Awaited<ReturnType<typeof startValidatingProxy>> | undefined;

// The same SLA suite as the local backend, against a real `support serve` on loopback; every
// response passes through a proxy that checks it against openapi.yaml.
describeSlaConformance('rest', async () => {
  const dirs = isolatedDirs();
  const scratch = join(dirs.root, 'files');
  mkdirSync(scratch, {recursive: true});
  const server = await startTestServer(dirs.root);
  const agentToken = server.token('agent', 'alice');
  const adminToken = server.token('admin', 'root');
  proxy = await startValidatingProxy(server.url);
  const options = {
    url: proxy.url,
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    identity: {name: 'ignored', role: 'customer' as const},
    http: {retry: {limit: 1, baseDelayMs: 10}},
  };
  const backend = await createRestBackend({...options, profile: 'conformance', token: async () => agentToken});
  const admin = await createRestBackend({...options, profile: 'conformance-admin', token: async () => adminToken});
  const p = proxy;
  return {
    backend,
    admin,
    scratch,
    close: async () => {
      await backend.close();
      await admin.close();
      await p.close();
      await server.close();
      dirs.cleanup();
    },
  };
});

afterAll(() => {
  // Runs after the suite's own afterAll: every response the server gave must match the spec.
  expect(proxy!.checked()).toBeGreaterThan(20);
  expect(proxy!.violations).toEqual([]);
});
