import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, expect, it} from 'vitest';

import {createRestBackend} from '../../../src/backends/rest/index.js';
import {SlaPolicyFileError} from '../../../src/domain/sla/policy-file.js';
import {startTestServer, startValidatingProxy} from '../../helpers/servers.js';
import {describeSlaConformance} from './sla-suite.js';
import {sandbox} from '../../helpers.js';

let proxy: Awaited<ReturnType<typeof startValidatingProxy>> | undefined;

// The same SLA suite as the local backend, against a real `support serve` on loopback; every
// response passes through a proxy that checks it against openapi.yaml.
describeSlaConformance('rest', async () => {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const server = await startTestServer(dirs.dir);
  const agentToken = await server.token('agent', 'alice');
  const adminToken = await server.token('admin', 'root');
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

it('reads the server’s 422 invalid-policy as a policy-file error with the file’s paths', async () => {
  const dirs = sandbox();
  const server = await startTestServer(dirs.dir);
  try {
    const admin = await createRestBackend({profile: 'admin', url: server.url, token: async () => server.token('admin', 'root'), dataDir: dirs.dataDir, cacheDir: dirs.cacheDir, identity: {name: 'x', role: 'agent'}});
    // A set the CLI would never send (it checks files first), as another client might.
    const error = await admin
      .sla!.importPolicies({calendars: [], policies: [{name: 'p', match: {}, calendar: 'nowhere', targets: {firstResponse: 0}, pauseOn: []}]}, {source: 'raw.json'})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlaPolicyFileError);
    expect((error as SlaPolicyFileError).exitCode).toBe(2);
    expect((error as SlaPolicyFileError).problems.map((p) => p.path)).toEqual(['policies[0].calendar', 'policies[0].targets.firstResponse']);
    expect((error as SlaPolicyFileError).message).toContain('raw.json (checked by the server)');
    expect((await admin.sla!.policyVersions()).map((v) => v.version)).toEqual([1]);
    await admin.close();
  } finally {
    await server.close();
    dirs.cleanup();
  }
});
