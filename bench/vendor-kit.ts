// What the vendor benches (zendesk, github, jsm, freshdesk) share: their flags, a home of their
// own for the built CLI, the CLI in a child process, and the figures of a paced bulk run.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'run.js');

/** `--name VALUE` of the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
}

export const numberArg = (name: string, fallback: number): number => Number(arg(name, String(fallback)));

export interface BenchCli {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The CLI, waiting for it (nothing else may answer it meanwhile); its stdout, or it throws. */
  cli(args: string[], input?: string): string;
  /** The CLI in a child process without blocking this one: the fake answers from this process's event loop. */
  cliAsync(args: string[], input?: string): Promise<{ms: number; stdout: string}>;
  /** Median wall time of `runs` runs, after one warm-up. */
  median(args: string[], runs: number): Promise<number>;
  /** `count` tickets in the local backend of this home, written through the backend itself. */
  seedLocalTickets(count: number): void;
  cleanup(): void;
}

/**
 * A home of its own (config, data, cache, credentials in a file) for the built CLI; the caller's
 * proxies, NODE_ENV and whatever `drop` matches are left out of its environment.
 */
export function benchCli(name: string, extraEnv: Record<string, string> = {}, drop?: RegExp): BenchCli {
  const dir = mkdtempSync(join(tmpdir(), `supportkit-bench-${name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SUPPORT_CONFIG_DIR: join(dir, 'config'),
    SUPPORT_DATA_DIR: join(dir, 'data'),
    SUPPORT_CACHE_DIR: join(dir, 'cache'),
    SUPPORT_CREDENTIAL_STORE: 'file',
    SUPPORT_USER: 'bench',
    NO_COLOR: '1',
  };
  for (const k of Object.keys(env)) if (/^(https?_proxy|no_proxy|all_proxy)$/i.test(k) || drop?.test(k)) delete env[k];
  delete env.NODE_ENV;
  Object.assign(env, extraEnv);

  const cliAsync = (args: string[], input?: string) =>
    new Promise<{ms: number; stdout: string}>((resolve, reject) => {
      const start = performance.now();
      const child = spawn(process.execPath, [BIN, ...args], {env});
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => (code === 0 ? resolve({ms: performance.now() - start, stdout}) : reject(new Error(`support ${args.join(' ')} exited ${code}: ${stderr}`))));
      child.stdin.end(input ?? '');
    });

  return {
    dir,
    env,
    cli(args, input) {
      const r = spawnSync(process.execPath, [BIN, ...args], {env, input, maxBuffer: 64 * 1024 * 1024});
      if (r.status !== 0) throw new Error(`support ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return r.stdout.toString();
    },
    cliAsync,
    async median(args, runs) {
      await cliAsync(args);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await cliAsync(args)).ms);
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length / 2)]!;
    },
    seedLocalTickets(count) {
      const seed = `
        const {createLocalBackend} = await import(${JSON.stringify(join(root, 'dist/backends/local/index.js'))});
        const b = await createLocalBackend({profile: 'bench', dataDir: process.argv[1], cacheDir: process.argv[1], identity: {name: 'bench', role: 'customer'}});
        for (let i = 0; i < ${count}; i++) await b.tickets.create({title: 'Ticket ' + i, body: 'Body', tags: ['bench', 't' + (i % 7)]});
        await b.close();`;
      spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', seed, env.SUPPORT_DATA_DIR!], {stdio: 'inherit'});
    },
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  };
}

/** The most requests at any `windowMs` (times sorted, in ms). */
export function busiest(times: readonly number[], windowMs = 60_000): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** "0s:120 10s:118 ...": requests in each 10 seconds after the start (times in ms from it). */
export function perTenSeconds(times: readonly number[]): string {
  const buckets = new Map<number, number>();
  for (const at of times) buckets.set(Math.floor(at / 10_000), (buckets.get(Math.floor(at / 10_000)) ?? 0) + 1);
  return [...buckets.entries()].map(([b, n]) => `${b * 10}s:${n}`).join(' ');
}
