/**
 * The tests' one helper module: a clean environment, a temp home, a command class run on
 * streams of the test's own, and the built binary run in a child process or a terminal.
 * Separate concerns have modules of their own beside it: test/helpers/servers.ts (the reference
 * server, fault and validating proxies), postgres.ts, spec.ts, api.ts, registry.ts.
 *
 * Only node: modules are imported at the top: test/setup.ts imports this file into every test
 * file, and a test of pure logic should not pay for oclif.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {PassThrough, Writable, type Readable} from 'node:stream';
import {fileURLToPath} from 'node:url';

import type {Config} from '@oclif/core';

import type {CommandIO} from '../src/cli/io.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'run.js');

// ---------------------------------------------------------------------------------------------
// The environment

/**
 * What of a developer's (or a CI machine's) environment would change what the CLI or a test
 * does: none of it reaches a test. test/setup.ts removes it from every test file's
 * process.env before the file runs, and so from every child process a test starts.
 */
const LEAKS: readonly (string | RegExp)[] = [
  // Every setting of ours (profile, backend, URL, token, dirs, debug, pager, no-input, the
  // update notifier...); SUPPORT_TEST_* configure the test run itself (test/helpers/postgres.ts).
  /^SUPPORT_(?!TEST_)/,
  // GitHub's tools' tokens and settings, which a github profile uses (GH_CONFIG_DIR is the sandbox's).
  'GH_TOKEN',
  'GITHUB_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'GH_HOST',
  'GH_CONFIG_DIR',
  // The locale: kb search prefers the user's language.
  'LANG',
  'LANGUAGE',
  /^LC_/,
  // Colour and the terminal.
  'NO_COLOR',
  'FORCE_COLOR',
  'CLICOLOR',
  'CLICOLOR_FORCE',
  'COLORTERM',
  'TERM',
  'COLUMNS',
  'LINES',
  // CI turns the update notice off; chalk looks at the CI service too.
  'CI',
  /^(CONTINUOUS_INTEGRATION|BUILD_NUMBER|RUN_ID|GITHUB_ACTIONS|GITEA_ACTIONS|GITLAB_CI|BUILDKITE|CIRCLECI|TRAVIS|APPVEYOR|DRONE|TF_BUILD|AGENT_NAME|TEAMCITY_VERSION)$/,
  // Pagers and editors.
  'PAGER',
  'LESS',
  'LV',
  'EDITOR',
  'VISUAL',
  // The network: proxies (npm's too, which proxy-from-env reads) and certificates. Tests talk to
  // 127.0.0.1 only, with certificates of their own.
  /^(https?|all|no)_proxy$/i,
  /^npm_config_(https?_|no)?proxy$/i,
  /^npm_config_noproxy$/i,
  'NODE_USE_ENV_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Node options of the developer's (a --require, an inspector) in every child.
  'NODE_OPTIONS',
  // The keyring: the Secret Service on the session bus.
  'DBUS_SESSION_BUS_ADDRESS',
  // PostgreSQL clients' defaults (PGHOST, PGSSLMODE, ...); tests name their database in full.
  /^PG[A-Z]+$/,
];

const leaks = (name: string) => LEAKS.some((p) => (typeof p === 'string' ? p === name : p.test(name)));

/** What every test runs with, whatever the machine: the time zone of the assertions. */
const BASE_ENV = {TZ: 'UTC'};

/** A temp home's settings: never the developer's config, data, cache, keyring, gh login or the registry. */
function homeEnv(dir: string): SandboxEnv {
  return {
    SUPPORT_CONFIG_DIR: join(dir, 'config'),
    SUPPORT_DATA_DIR: join(dir, 'data'),
    SUPPORT_CACHE_DIR: join(dir, 'cache'),
    SUPPORT_CREDENTIAL_STORE: 'file',
    SUPPORT_USER: 'tester',
    // Tests talk to 127.0.0.1 only: the daily update check would ask the real registry.
    SUPPORT_NO_UPDATE_NOTIFIER: '1',
    // `gh auth token` finds no login of the developer's.
    GH_CONFIG_DIR: join(dir, 'gh'),
  };
}

/**
 * Cleans this process's environment of everything in LEAKS and points it at a temp home of
 * its own, so that code a test runs in-process never sees the developer's settings or home.
 * test/setup.ts calls it once per test file; the returned function removes the home.
 */
export function isolateProcess(): () => void {
  for (const name of Object.keys(process.env)) if (leaks(name)) delete process.env[name];
  const dir = mkdtempSync(join(tmpdir(), 'supportkit-file-'));
  Object.assign(process.env, BASE_ENV, homeEnv(dir));
  return () => rmSync(dir, {recursive: true, force: true});
}

/**
 * The environment of a child `support` process: this (clean) process's, with the test's on
 * top; an undefined value removes a variable. Children run as users run them: not under
 * vitest's NODE_ENV=test, which would send oclif looking for TypeScript sources.
 */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {...process.env};
  delete out.NODE_ENV;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A temp home

export interface SandboxEnv extends Record<string, string> {
  SUPPORT_CONFIG_DIR: string;
  SUPPORT_DATA_DIR: string;
  SUPPORT_CACHE_DIR: string;
}

export interface Sandbox {
  /** The temp directory; scratch files of the test's go here too. */
  dir: string;
  configDir: string;
  dataDir: string;
  cacheDir: string;
  /** The variables that point the CLI at this home: for runCommand, runBin and spawned servers. */
  env: SandboxEnv;
  cleanup(): void;
}

/** A temp home for a test: config, data and cache dirs that are never the developer's. */
export function sandbox(prefix = 'supportkit-test-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = homeEnv(dir);
  return {
    dir,
    configDir: env.SUPPORT_CONFIG_DIR,
    dataDir: env.SUPPORT_DATA_DIR,
    cacheDir: env.SUPPORT_CACHE_DIR,
    env,
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  };
}

// ---------------------------------------------------------------------------------------------
// A command class, in this process, on the test's own streams

export interface RunResult<T = unknown> {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** What run() returned. */
  result?: T;
}

export interface RunOptions {
  /** Set for the run on top of the file's clean environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Text (or bytes) on standard input; absent means an empty one. Never a terminal. */
  stdin?: string | Buffer;
  /** stdout is a terminal: tables, relative times, paging (colour as chalk decides: FORCE_COLOR=1). */
  tty?: boolean;
  /** stderr is a terminal too: progress bars, the update notice. */
  stderrTty?: boolean;
  /** The terminal's size (with tty); unset, the CLI assumes 80 columns. */
  columns?: number;
  rows?: number;
  /** Sees each chunk as it is written to stdout (to stop a --watch once it has drawn). */
  onStdout?: (chunk: string) => void;
}

/** A stream that keeps what is written to it, and says it is a terminal when asked to. */
class CapturedOutput extends Writable {
  private readonly chunks: string[] = [];

  constructor(
    readonly isTTY: boolean,
    readonly columns: number | undefined,
    readonly rows: number | undefined,
    private readonly onChunk?: (chunk: string) => void,
  ) {
    super({decodeStrings: false});
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.chunks.push(text);
    this.onChunk?.(text);
    done();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** Standard input for a run: the given bytes, then the end. */
function inputOf(bytes: string | Buffer | undefined): Readable & {isTTY: false} {
  const input = new PassThrough() as PassThrough & {isTTY: false};
  input.isTTY = false;
  input.end(bytes ?? '');
  return input;
}

/** A command class, as oclif's manifest-less load gives it. */
export type RunnableCommand = {runWith(argv: string[], config: Config, io: CommandIO): Promise<unknown>};

/**
 * Runs a command class in this process as `support ...` would, on streams of the test's own:
 * what it printed, its exit code and what run() returned. Nothing of the process is patched
 * but its environment, which is the CLI's environment too (oclif reads SUPPORT_CONFIG_DIR
 * from it), set for the run and put back after.
 */
export async function runCommand<T>(command: RunnableCommand, argv: string[], options: RunOptions = {}): Promise<RunResult<T>> {
  const saved = {...process.env};
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const stdout = new CapturedOutput(Boolean(options.tty), options.tty ? options.columns : undefined, options.tty ? options.rows : undefined, options.onStdout);
  const stderr = new CapturedOutput(Boolean(options.stderrTty), options.stderrTty ? options.columns : undefined, options.stderrTty ? options.rows : undefined);
  const io: CommandIO = {stdin: inputOf(options.stdin), stdout, stderr, exitCode: undefined};
  let exitCode: number;
  let result: T | undefined;
  try {
    const {Config} = await import('@oclif/core');
    const config = await Config.load({root: ROOT});
    result = (await command.runWith(argv, config, io)) as T;
    // A command that prints its result and still fails (bulk: some rows failed) sets an exit code.
    exitCode = io.exitCode ?? 0;
  } catch (error) {
    const e = error as {oclif?: {exit?: number}};
    if (e.oclif?.exit === undefined) {
      stderr.write(String((error as Error).stack));
      exitCode = 1;
    } else {
      exitCode = e.oclif.exit;
    }
  } finally {
    process.env = saved;
  }
  return {stdout: stdout.text, stderr: stderr.text, exitCode, result};
}

// ---------------------------------------------------------------------------------------------
// The built binary, as users run it

export interface BinResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface BinOptions {
  /** On top of the file's clean environment (childEnv); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer;
  cwd?: string;
  /** Killed with SIGKILL after this long (20 s by default). */
  timeoutMs?: number;
}

/** Runs the built `bin/run.js` (npm run build first) in a child process, with pipes for its streams. */
export function runBin(argv: string[], options: BinOptions = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {env: childEnv(options.env), cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({stdout, stderr, exitCode: code ?? (signal ? 128 : 1)});
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
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
  options: {env: Record<string, string | undefined>; cwd?: string; steps?: [RegExp, string][]; timeoutMs?: number; nodeArgs?: string[]; cols?: number; rows?: number},
): Promise<{screen: string; exitCode: number}> {
  const pty = await import('@lydell/node-pty');
  const steps = options.steps ?? [];
  const env = childEnv({...options.env, TERM: 'xterm'}) as Record<string, string>;
  const child = pty.spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...argv], {cols: options.cols ?? 160, rows: options.rows ?? 60, cwd: options.cwd, env});
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
