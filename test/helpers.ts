import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {Readable} from 'node:stream';
import {format} from 'node:util';
import {fileURLToPath} from 'node:url';

import {Config} from '@oclif/core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'run.js');

export interface SandboxEnv extends Record<string, string> {
  SUPPORT_CONFIG_DIR: string;
  SUPPORT_DATA_DIR: string;
  SUPPORT_CACHE_DIR: string;
}

export interface Sandbox {
  dir: string;
  env: SandboxEnv;
  cleanup(): void;
}

/** A temp home for one test: config, data and cache dirs that are never the developer's. */
export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'supportkit-test-'));
  const env = {
    SUPPORT_CONFIG_DIR: join(dir, 'config'),
    SUPPORT_DATA_DIR: join(dir, 'data'),
    SUPPORT_CACHE_DIR: join(dir, 'cache'),
    SUPPORT_CREDENTIAL_STORE: 'file',
    SUPPORT_USER: 'tester',
    // Tests talk to 127.0.0.1 only: the daily update check would ask the real registry.
    SUPPORT_NO_UPDATE_NOTIFIER: '1',
  };
  return {dir, env, cleanup: () => rmSync(dir, {recursive: true, force: true})};
}

export interface RunResult<T = unknown> {
  stdout: string;
  stderr: string;
  exitCode: number;
  result?: T;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Text (or bytes) on standard input; absent means an empty, non-terminal stdin. */
  stdin?: string | Buffer;
  /** Pretend stdout is a terminal (tables, colour off unless asked). */
  tty?: boolean;
}

// GitHub's token variables too: a developer's own must not reach a github profile under test.
const ENV_KEYS = ['SUPPORT_PROFILE', 'SUPPORT_BACKEND', 'SUPPORT_URL', 'SUPPORT_TOKEN', 'SUPPORT_NO_INPUT', 'SUPPORT_DEBUG', 'NO_COLOR', 'GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN'];

/** Runs a command class in this process as `support ...` would, capturing what it prints. */
export type RunnableCommand = {run(argv?: string[], opts?: Config): Promise<unknown>};

export async function runCommand<T>(
  command: RunnableCommand,
  argv: string[],
  options: RunOptions = {},
): Promise<RunResult<T>> {
  const saved = {...process.env};
  for (const key of ENV_KEYS) delete process.env[key];
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // oclif prints through console.log/console.error, which vitest replaces with its own.
  const {log, error: logError} = console;
  console.log = (...args: unknown[]) => void out.push(`${format(...args)}\n`);
  console.error = (...args: unknown[]) => void err.push(`${format(...args)}\n`);
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin');
  const ttyBefore = process.stdout.isTTY;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  const input = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]) as Readable & {isTTY?: boolean};
  Object.defineProperty(process, 'stdin', {value: input, configurable: true});
  process.stdout.isTTY = Boolean(options.tty);
  let exitCode: number;
  let result: T | undefined;
  try {
    const config = await Config.load({root: ROOT});
    result = (await command.run(argv, config)) as T;
    // A command that prints its result and still fails (bulk: some rows failed) sets process.exitCode.
    exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const e = error as {oclif?: {exit?: number}};
    if (e.oclif?.exit === undefined) {
      err.push(String((error as Error).stack));
      exitCode = 1;
    } else {
      exitCode = e.oclif.exit;
    }
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    console.log = log;
    console.error = logError;
    if (stdinDescriptor) Object.defineProperty(process, 'stdin', stdinDescriptor);
    process.stdout.isTTY = ttyBefore;
    process.env = saved;
    process.exitCode = undefined;
  }
  return {stdout: out.join(''), stderr: err.join(''), exitCode, result};
}

/** Runs the built `bin/run.js` in a child process, with exactly the environment given. */
export function spawnBin(
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: {stdin?: string | Buffer; timeoutMs?: number} = {},
): Promise<{stdout: string; stderr: string; exitCode: number}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {env, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({stdout, stderr, exitCode: code ?? (signal ? 128 : 1)});
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs the built `bin/run.js` in a child process: this machine's environment with the test's on top. */
export function runBin(
  argv: string[],
  options: {env?: Record<string, string>; stdin?: string | Buffer; timeoutMs?: number} = {},
): Promise<{stdout: string; stderr: string; exitCode: number}> {
  const env: NodeJS.ProcessEnv = {...process.env, ...options.env};
  for (const key of ENV_KEYS) if (!(options.env && key in options.env)) delete env[key];
  // vitest sets NODE_ENV=test, which sends oclif looking for TypeScript sources; users have no such thing.
  delete env.NODE_ENV;
  // Tests talk to loopback only: no proxy of the machine's may stand in between.
  for (const key of Object.keys(env)) if (/^(https?_proxy|no_proxy|all_proxy)$/i.test(key) && !(options.env && key in options.env)) delete env[key];
  return spawnBin(argv, env, {stdin: options.stdin, timeoutMs: options.timeoutMs ?? 20_000});
}

export function parseJson<T = any>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * Runs the built binary in a real pseudo-terminal and types each answer once its prompt
 * (the pattern) is on the screen, as a person would.
 */
export async function runInTerminal(
  argv: string[],
  options: {env: Record<string, string>; cwd?: string; steps?: [RegExp, string][]; timeoutMs?: number; nodeArgs?: string[]},
): Promise<{screen: string; exitCode: number}> {
  const pty = await import('@lydell/node-pty');
  const steps = options.steps ?? [];
  const env = {...process.env, NODE_ENV: 'production', ...options.env, TERM: 'xterm'};
  const child = pty.spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...argv], {cols: 160, rows: 60, cwd: options.cwd, env});
  let screen = '';
  let step = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out waiting for ${steps[step]?.[0]}; screen so far:\n${screen}`));
    }, options.timeoutMs ?? 20_000);
    child.onData((data) => {
      screen += data;
      while (step < steps.length && steps[step]![0].test(screen)) child.write(steps[step++]![1]);
    });
    child.onExit(({exitCode}) => {
      clearTimeout(timer);
      resolve({screen, exitCode});
    });
  });
}

/**
 * Node options that make Node say it is 20.0.0: what an older system Node looks like to
 * bin/run.js, which must then hand the command to the project's own Node.
 */
export const PRETEND_NODE_20 = `--import=data:text/javascript,${encodeURIComponent(
  'Object.defineProperty(process,"version",{value:"v20.0.0"});Object.defineProperty(process.versions,"node",{value:"20.0.0"});',
)}`;
