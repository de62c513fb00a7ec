import {mkdirSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, expect, it} from 'vitest';

import {createRestBackend} from '../../../src/backends/rest/index.js';
import {RejectedError} from '../../../src/domain/errors.js';
import {startTestServer, startValidatingProxy} from '../../helpers/servers.js';
import {describeBackendConformance} from './suite.js';
import {sandbox} from '../../helpers.js';

let proxy: Awaited<ReturnType<typeof startValidatingProxy>> | undefined;

// The same suite as the local backend, against a real `support serve` on loopback; every
// response passes through a proxy that checks it against openapi.yaml.
describeBackendConformance('rest', async () => {
  const dirs = sandbox();
  const scratch = join(dirs.dir, 'files');
  mkdirSync(scratch, {recursive: true});
  const server = await startTestServer(dirs.dir);
  const token = await server.token('agent', 'alice');
  const adminToken = await server.token('admin', 'root');
  proxy = await startValidatingProxy(server.url);
  const options = {
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    identity: {name: 'ignored', role: 'customer' as const},
    http: {retry: {limit: 1, baseDelayMs: 10}},
  };
  const kbWriter = await createRestBackend({...options, profile: 'conformance-admin', url: proxy.url, token: async () => adminToken});
  const backend = await createRestBackend({
    profile: 'conformance',
    url: proxy.url,
    token: async () => token,
    dataDir: dirs.dataDir,
    cacheDir: dirs.cacheDir,
    identity: {name: 'ignored', role: 'customer'},
    http: {retry: {limit: 1, baseDelayMs: 10}},
  });
  const p = proxy;
  return {
    backend,
    kbWriter,
    scratch,
    close: async () => {
      await backend.close();
      await kbWriter.close();
      await p.close();
      await server.close();
      dirs.cleanup();
    },
  };
});

afterAll(() => {
  // Runs after the suite's own afterAll: every response the server gave must match the spec.
  expect(proxy!.checked()).toBeGreaterThan(30);
  expect(proxy!.violations).toEqual([]);
});

it('refuses knowledge-base writes without an admin token', async () => {
  const dirs = sandbox();
  const server = await startTestServer(dirs.dir);
  try {
    const agent = await createRestBackend({profile: 'agent', url: server.url, token: async () => server.token('agent', 'bob'), dataDir: dirs.dataDir, cacheDir: dirs.cacheDir, identity: {name: 'x', role: 'agent'}});
    const error = await agent.kb!.upsert([{slug: 'nope', title: 'No', body: 'No.', locale: 'en'}]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).hint).toMatch(/admin token/);
    await expect(agent.kb!.delete('nope')).rejects.toBeInstanceOf(RejectedError);
    await agent.close();
  } finally {
    await server.close();
    dirs.cleanup();
  }
});

it('is registered under the name rest', async () => {
  const {describeBackendKinds} = await import('../../../src/backends/registry.js');
  expect(describeBackendKinds().find((k) => k.kind === 'rest')).toMatchObject({needsUrl: true});
});
