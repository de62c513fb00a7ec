import {execFileSync, spawn} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';

import {BIN, childEnv, parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/**
 * The CLI's own files on disks that fail for real: a read-only mount, a full tmpfs, a file size
 * limit, a file where a directory should be. Tests run as root here, and root writes through
 * chmod, so the read-only and full disks are real mounts, made in a private mount namespace
 * (`unshare -rm`, which needs no privilege where user namespaces are allowed); the built CLI
 * runs inside it. Where a machine allows no such namespace those tests are skipped, saying
 * why; the ulimit and file-in-the-way tests run everywhere.
 */

const NODE = process.execPath;

function namespacesWork(): string | undefined {
  const probe = mkdtempSync('/tmp/supportkit-ns-');
  try {
    execFileSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=16k tmpfs '${probe}' && mount --bind '${probe}' '${probe}' && mount -o remount,bind,ro '${probe}'`], {stdio: 'pipe'});
    return undefined;
  } catch (error) {
    return `this machine lets no process mount a tmpfs or a read-only bind mount in a user namespace (unshare -rm: ${String((error as {stderr?: Buffer}).stderr ?? (error as Error).message).trim()})`;
  } finally {
    rmSync(probe, {recursive: true, force: true});
  }
}
const noNamespaces = namespacesWork();
if (noNamespaces) console.warn(`store-faults: the mount tests are skipped: ${noNamespaces}.`);

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A run of `support ARGV` inside the namespace, or a shell line between runs (fill the disk). */
type Step = {argv: string[]; stdin?: string; env?: Record<string, string>} | {sh: string};
interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `setup` (shell, as root of a private mount namespace), then each step inside it: a
 * `support` run, whose result comes back, or a shell line. Outputs are kept outside the mounts.
 */
async function inNamespace(box: Sandbox, setup: string, steps: Step[]): Promise<StepResult[]> {
  const out = mkdtempSync(join(box.dir, 'ns-out-'));
  const lines = ['set -e', setup, 'set +e'];
  const runs: number[] = [];
  steps.forEach((step, i) => {
    if ('sh' in step) {
      lines.push(step.sh);
      return;
    }
    runs.push(i);
    const stdin = join(out, `${i}.in`);
    writeFileSync(stdin, step.stdin ?? '');
    const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${quote(v)} `).join('');
    lines.push(`${env}${quote(NODE)} ${quote(BIN)} ${step.argv.map(quote).join(' ')} <${quote(stdin)} >${quote(join(out, `${i}.out`))} 2>${quote(join(out, `${i}.err`))}; echo $? >${quote(join(out, `${i}.code`))}`);
  });
  const env = childEnv({...box.env, NO_COLOR: '1'});
  const child = spawn('unshare', ['-rm', 'bash', '-c', lines.join('\n')], {env, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the namespace script failed (${code}): ${stderr}`);
  return runs.map((i) => ({
    code: Number(readFileSync(join(out, `${i}.code`), 'utf8')),
    stdout: readFileSync(join(out, `${i}.out`), 'utf8'),
    stderr: readFileSync(join(out, `${i}.err`), 'utf8'),
  }));
}

/** Fills the file system that holds `dir` to the last byte. */
const fill = (dir: string) => ({sh: `head -c 100000000 /dev/zero > ${quote(join(dir, '.fill'))} 2>/dev/null; true`});
/** Copies what `dir` holds to `to`, outside the namespace's mounts, to be looked at afterwards. */
const keep = (dir: string, to: string) => ({sh: `mkdir -p ${quote(to)}; cp -a ${quote(dir)}/. ${quote(to)}/ 2>/dev/null; rm -f ${quote(join(to, '.fill'))}; true`});

/** One sentence and a hint: no stack, no "Unexpected error", no JSON parse error for a file that is fine. */
function expectOneSentence(r: StepResult, code: number, sentence: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const [first, second, ...rest] = r.stderr.trimEnd().split('\n');
  if (typeof sentence === 'string') expect(first).toBe(`Error: ${sentence}`);
  else expect(first).toMatch(sentence);
  expect(second).toMatch(/^Hint: /);
  expect(rest).toEqual([]);
  expect(r.stderr).not.toMatch(/Unexpected error|not valid JSON|\n\s+at /);
}

let box: Sandbox;
let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer(mkdtempSync('/tmp/supportkit-faults-server-'));
  token = await server.token('agent', 'alice');
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const support = async (argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) => {
  const r = await runBin(argv, {stdin: options.stdin, env: {...box.env, ...options.env}});
  return {...r, code: r.exitCode};
};

/** A settings file with a rest profile on the test server, and a stored (older) token for it. */
async function configured(): Promise<{settings: string; credentials: string}> {
  expect((await support(['profile', 'add', 'work', '--backend', 'rest', '--url', server.url])).exitCode).toBe(0);
  const login = await support(['auth', 'login', '--profile', 'work', '--with-token'], {stdin: `${token}\n`});
  expect(login.exitCode, login.stderr).toBe(0);
  const dir = box.env.SUPPORT_CONFIG_DIR;
  return {settings: readFileSync(join(dir, 'config.json'), 'utf8'), credentials: readFileSync(join(dir, 'credentials.json'), 'utf8')};
}

const LONG_URL = () => `${server.url}/${'a'.repeat(8000)}`;

describe.skipIf(Boolean(noNamespaces))('the local store on a read-only mount and on a full disk', () => {
  it('a read-only data directory: reads work, every write fails in one sentence naming the file, nothing changes', async () => {
    for (const title of ['First', 'Second']) expect((await support(['ticket', 'create', '--title', title, '--body', 'x'])).exitCode).toBe(0);
    expect((await support(['ticket', 'comment', '1', '--body', 'Seen.'])).exitCode).toBe(0);
    expect((await support(['kb', 'search', 'proxy'])).exitCode).toBe(0);
    const data = box.env.SUPPORT_DATA_DIR;
    const file = join(data, 'local', 'support.db');
    const [list, view, kb, create, comment, update] = await inNamespace(
      box,
      `mount --bind ${quote(data)} ${quote(data)}; mount -o remount,bind,ro ${quote(data)}`,
      [
        {argv: ['ticket', 'list', '--json']},
        {argv: ['ticket', 'view', '1', '--json']},
        {argv: ['kb', 'search', 'proxy', '--json']},
        {argv: ['ticket', 'create', '--title', 'Third', '--body', 'x']},
        {argv: ['ticket', 'comment', '1', '--body', 'Again.']},
        {argv: ['ticket', 'update', '2', '--status', 'solved']},
      ],
    );
    expect(list!.code, list!.stderr).toBe(0);
    expect(parseJson<{tickets: {title: string}[]}>(list!.stdout).tickets.map((t) => t.title)).toEqual(['Second', 'First']);
    expect(parseJson<{comments: {body: string}[]}>(view!.stdout).comments.map((c) => c.body)).toEqual(['Seen.']);
    expect(kb!.code, kb!.stderr).toBe(0);
    expect(parseJson<{hits: unknown[]}>(kb!.stdout).hits.length).toBeGreaterThan(0);
    const sentence = `The local database ${file} can only be read here, because ${join(data, 'local')} is on a read-only file system; nothing was changed.`;
    for (const write of [create!, comment!, update!]) expectOneSentence(write, 7, sentence);
    // Outside the namespace the same files are writable again: nothing was changed.
    const after = parseJson<{tickets: {title: string; status: string}[]}>((await support(['ticket', 'list', '--json'])).stdout);
    expect(after.tickets.map((t) => [t.title, t.status])).toEqual([['Second', 'new'], ['First', 'new']]);
  });

  it('a full disk: a write says the disk is full, reads still work, and a new store is never left half made', async () => {
    const data = box.env.SUPPORT_DATA_DIR;
    mkdirSync(data, {recursive: true});
    const kept = join(box.dir, 'kept');
    const [before, full, list, fresh] = await inNamespace(box, `mount -t tmpfs -o size=1m tmpfs ${quote(data)}`, [
      {argv: ['ticket', 'create', '--title', 'Before', '--body', 'x']},
      fill(data),
      {argv: ['ticket', 'create', '--title', 'Full', '--body', 'x'.repeat(20_000)]},
      {argv: ['ticket', 'list', '--json']},
      {argv: ['ticket', 'list'], env: {SUPPORT_DATA_DIR: join(data, 'second')}},
      keep(data, kept),
    ]);
    expect(before!.code, before!.stderr).toBe(0);
    const file = join(data, 'local', 'support.db');
    // Full before the open (the store opens for reading) or during the write: either way, said plainly.
    const f = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expectOneSentence(full!, 7, new RegExp(`^Error: (The local database ${f} can only be read here, because the disk is full; nothing was changed|The disk that holds the local database ${f} is full, so nothing was changed)\\.$`));
    expect(parseJson<{tickets: {title: string}[]}>(list!.stdout).tickets.map((t) => t.title)).toEqual(['Before']);
    expectOneSentence(fresh!, 7, `Could not create the local database ${join(data, 'second', 'local', 'support.db')}: the disk is full.`);
    // No half-made store, no temporary one left behind.
    expect(readdirSync(join(kept, 'second', 'local'))).toEqual([]);
    expect(readdirSync(join(kept, 'local')).filter((f) => !/^support\.db(-wal|-shm)?$/.test(f))).toEqual([]);
  });
});

describe.skipIf(Boolean(noNamespaces))('profiles and credentials on a full disk and a read-only mount', () => {
  it('a full disk: profile add and auth login say so with the path, and the old files are whole', async () => {
    const old = await configured();
    const config = box.env.SUPPORT_CONFIG_DIR;
    const copy = join(box.dir, 'config-copy');
    const kept = join(box.dir, 'kept');
    execFileSync('cp', ['-a', `${config}/.`, copy]);
    const [add, login, list] = await inNamespace(box, `mount -t tmpfs -o size=64k tmpfs ${quote(config)}; cp -a ${quote(copy)}/. ${quote(config)}/`, [
      fill(config),
      {argv: ['profile', 'add', 'big', '--backend', 'rest', '--url', LONG_URL()]},
      {argv: ['auth', 'login', '--profile', 'work', '--with-token'], stdin: `${await server.token('agent', 'bob')}\n`},
      {argv: ['profile', 'list', '--json']},
      keep(config, kept),
    ]);
    expectOneSentence(add!, 1, `Could not save the settings file ${join(config, 'config.json')}: the disk is full; the file was left as it was.`);
    expectOneSentence(login!, 1, `Could not save the credentials file ${join(config, 'credentials.json')}: the disk is full; the file was left as it was.`);
    expect(list!.code, list!.stderr).toBe(0);
    expect(readFileSync(join(kept, 'config.json'), 'utf8')).toBe(old.settings);
    expect(readFileSync(join(kept, 'credentials.json'), 'utf8')).toBe(old.credentials);
    expect(readdirSync(kept).sort()).toEqual(['config.json', 'credentials.json']);
  });

  it('a read-only config directory: profile add and auth login name it; reading profiles and tokens still works', async () => {
    const old = await configured();
    const config = box.env.SUPPORT_CONFIG_DIR;
    const [add, login, list, status] = await inNamespace(box, `mount --bind ${quote(config)} ${quote(config)}; mount -o remount,bind,ro ${quote(config)}`, [
      {argv: ['profile', 'add', 'other', '--backend', 'local']},
      {argv: ['auth', 'login', '--profile', 'work', '--with-token'], stdin: `${token}\n`},
      {argv: ['profile', 'list', '--json']},
      {argv: ['auth', 'status', '--profile', 'work', '--json']},
    ]);
    expectOneSentence(add!, 1, `Could not save the settings file ${join(config, 'config.json')}: ${config} is on a read-only file system; the file was left as it was.`);
    expectOneSentence(login!, 1, `Could not save the credentials file ${join(config, 'credentials.json')}: ${config} is on a read-only file system; the file was left as it was.`);
    expect(list!.code, list!.stderr).toBe(0);
    expect(status!.code, status!.stderr).toBe(0);
    expect(parseJson(status!.stdout).profiles[0]).toMatchObject({loggedIn: true, tokenSource: 'file', state: 'ok'});
    expect(readFileSync(join(config, 'config.json'), 'utf8')).toBe(old.settings);
    expect(readFileSync(join(config, 'credentials.json'), 'utf8')).toBe(old.credentials);
  });
});

describe('a local store that cannot be used as it is, on any machine', () => {
  it('an empty support.db: ticket list exits 7 in one sentence with the path and a hint, and the file stays', async () => {
    const root = join(box.env.SUPPORT_DATA_DIR, 'local');
    mkdirSync(root, {recursive: true});
    writeFileSync(join(root, 'support.db'), '');
    const r = await support(['ticket', 'list']);
    expectOneSentence(r, 7, /^Error: The local database .*support\.db is empty \(0 bytes\), so it was left as it is: /);
    expect(r.stderr).toContain(`mv "${join(root, 'support.db')}" "${join(root, 'support.db')}.empty"`);
    expect(readdirSync(root)).toEqual(['support.db']);
    expect(readFileSync(join(root, 'support.db')).length).toBe(0);
  });
});

describe('profiles and credentials when a write cannot finish, on any machine', () => {
  it('a file size limit (ulimit -f) cuts the write short: one sentence with the path, the old file whole, no temporary file left', async () => {
    const old = await configured();
    const config = box.env.SUPPORT_CONFIG_DIR;
    const env = childEnv(box.env);
    const limited = (argv: string[], stdin = '') => {
      const child = spawn('bash', ['-c', `ulimit -f 4; exec ${quote(NODE)} ${quote(BIN)} ${argv.map(quote).join(' ')}`], {env, stdio: ['pipe', 'pipe', 'pipe']});
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(stdin);
      return new Promise<StepResult>((resolve) => child.on('close', (code) => resolve({code: code ?? 1, stdout, stderr})));
    };
    const add = await limited(['profile', 'add', 'big', '--backend', 'rest', '--url', LONG_URL()]);
    expectOneSentence(add, 1, `Could not save the settings file ${join(config, 'config.json')}: the file size limit of this process (ulimit -f) was reached; the file was left as it was.`);
    expect(readFileSync(join(config, 'config.json'), 'utf8')).toBe(old.settings);
    expect(readdirSync(config).sort()).toEqual(['config.json', 'credentials.json']);
  });

  it('a file where the config directory should be: one sentence naming it, never "not valid JSON"', async () => {
    const blocker = join(box.dir, 'not-a-dir');
    writeFileSync(blocker, 'just a file');
    const env = {SUPPORT_CONFIG_DIR: join(blocker, 'supportkit')};
    const add = await support(['profile', 'add', 'x', '--backend', 'local'], {env});
    expectOneSentence(add, 1, `The settings file ${join(blocker, 'supportkit', 'config.json')} cannot be read: ${blocker} is a file where a directory is expected.`);
    expect(readFileSync(blocker, 'utf8')).toBe('just a file');
  });

  it('a directory where the credentials file should be: it cannot be read, said as such', async () => {
    expect((await support(['profile', 'add', 'work', '--backend', 'rest', '--url', server.url])).exitCode).toBe(0);
    mkdirSync(join(box.env.SUPPORT_CONFIG_DIR, 'credentials.json'), {mode: 0o700});
    chmodSync(join(box.env.SUPPORT_CONFIG_DIR, 'credentials.json'), 0o700);
    const login = await support(['auth', 'login', '--profile', 'work', '--with-token'], {stdin: `${token}\n`});
    expectOneSentence(login, 1, `The credentials file ${join(box.env.SUPPORT_CONFIG_DIR, 'credentials.json')} cannot be read: it is a directory.`);
    expect(existsSync(join(box.env.SUPPORT_CONFIG_DIR, 'credentials.json'))).toBe(true);
  });
});
