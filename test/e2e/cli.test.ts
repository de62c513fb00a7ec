import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {BIN, childEnv, parseJson, ROOT, runBin, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const support = (argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) =>
  runBin(argv, {stdin: options.stdin, env: {...box.env, ...options.env}});

describe('the built support binary', () => {
  it('stops quietly with exit 0 when the reader of its output goes away (| head -1)', async () => {
    // The whole help, read up to its first line, as `support --help | head -1` does.
    const child = spawn(process.execPath, [BIN, '--help'], {env: childEnv(box.env), stdio: ['ignore', 'pipe', 'pipe']});
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('prints its version and help without touching the data dir', async () => {
    const version = await support(['--version']);
    expect(version.exitCode).toBe(0);
    const {Config} = await import('@oclif/core');
    expect(version.stdout).toBe(`${(await Config.load({root: ROOT})).userAgent}\n`);
    const help = await support(['--help']);
    expect(help.exitCode).toBe(0);
    for (const topic of ['ticket', 'profile', 'auth', 'autocomplete']) expect(help.stdout).toContain(topic);
    const topicHelp = await support(['ticket', 'create', '--help']);
    expect(topicHelp.stdout).toContain('--title');
    expect(topicHelp.stdout).toContain('GLOBAL FLAGS');
    expect(topicHelp.stdout).toContain('--no-input');
    // A developer's shell often has NODE_ENV=development: the built CLI says nothing of TypeScript sources.
    for (const NODE_ENV of ['development', 'test']) {
      const devHelp = await support(['ticket', '--help'], {env: {NODE_ENV}});
      expect(devHelp).toMatchObject({exitCode: 0, stderr: ''});
    }
    expect(existsSync(box.env.SUPPORT_DATA_DIR)).toBe(false);
    expect(existsSync(box.env.SUPPORT_CONFIG_DIR)).toBe(false);
  });

  it('files, lists, comments, updates, closes and reopens a ticket end to end', async () => {
    const created = await support(['ticket', 'create', '--title', 'E2E', '--body-file', '-', '--priority', 'high'], {stdin: 'from a pipe'});
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('1');
    expect(created.stderr).not.toContain('ExperimentalWarning');

    const listed = await support(['ticket', 'ls', '--json']);
    expect(parseJson(listed.stdout)).toMatchObject({tickets: [{id: '1', title: 'E2E', body: 'from a pipe', priority: 'high'}], nextCursor: null});

    expect((await support(['ticket', 'comment', '1', '--body', 'on it', '--internal'])).exitCode).toBe(0);
    expect((await support(['ticket', 'update', '1', '--status', 'pending', '--add-tag', 'e2e'])).exitCode).toBe(0);
    expect((await support(['ticket', 'close', '1'])).stdout.trim()).toBe('1');
    const reopened = parseJson((await support(['ticket', 'reopen', '1', '--json'])).stdout);
    expect(reopened).toMatchObject({status: 'open', tags: ['e2e']});

    const view = parseJson((await support(['ticket', 'view', '1', '--json'])).stdout);
    expect(view.comments).toMatchObject([{body: 'on it', public: false}]);
  });

  it('exits with the documented codes, one sentence and a hint, and a stack only with --debug', async () => {
    const missing = await support(['ticket', 'view', '42']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toBe('Error: Ticket 42 does not exist.\nHint: Run `support ticket list` to see ticket ids.\n');

    const debug = await support(['ticket', 'view', '42', '--debug']);
    expect(debug.exitCode).toBe(3);
    expect(debug.stderr).toMatch(/NotFoundError: Ticket 42 does not exist\.\n\s+at /);

    const json = await support(['ticket', 'view', '42', '--json']);
    expect(json.exitCode).toBe(3);
    expect(parseJson(json.stdout)).toEqual({error: {code: 'not_found', message: 'Ticket 42 does not exist.', hint: expect.any(String), exitCode: 3}});

    const badFlag = await support(['ticket', 'list', '--colour']);
    expect(badFlag.exitCode).toBe(2);
    expect(badFlag.stderr).toContain('--colour');

    const noInput = await support(['ticket', 'create']);
    expect(noInput.exitCode).toBe(2);
    expect(noInput.stderr).toContain('Missing --title, --body.');
  });

  it('reports a corrupt database with exit 7 and leaves the file in place', async () => {
    const {mkdirSync, writeFileSync, readFileSync} = await import('node:fs');
    const {join} = await import('node:path');
    const dir = join(box.env.SUPPORT_DATA_DIR, 'local');
    mkdirSync(dir, {recursive: true});
    writeFileSync(join(dir, 'support.db'), 'not sqlite '.repeat(500));
    const r = await support(['ticket', 'list']);
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toContain('is not an SQLite database, so it was left as it is.');
    expect(readFileSync(join(dir, 'support.db'), 'utf8')).toBe('not sqlite '.repeat(500));
  });
});
