import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {parseJson, runBin, runInTerminal, sandbox, type Sandbox} from '../helpers.js';
import {startRegistryStub, type RegistryStub} from '../helpers/registry.js';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {name: string; version: string};

describe('a typo', () => {
  it.each([
    [['ticket', 'craete', '--title', 'x'], 'support ticket create', 'support ticket --help'],
    [['tickt', 'list'], 'support ticket list', 'support --help'],
    [['sla', 'polcy', 'list'], 'support sla policy list', 'support sla --help'],
  ])('in a command (%j) gets the nearest command, a hint and exit 2', async (argv, suggestion, hint) => {
    const {stderr, stdout, exitCode} = await runBin(argv);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`is not a support command. Did you mean "${suggestion}"?`);
    expect(stderr).toContain(`Hint: Run \`${hint}\``);
    expect(stderr.trim().split('\n')).toHaveLength(2);
  });

  it('with nothing near says so, and --json gets the error as JSON', async () => {
    const far = await runBin(['frobnicate']);
    expect(far.exitCode).toBe(2);
    expect(far.stderr).toContain('"frobnicate" is not a support command.');
    expect(far.stderr).not.toContain('Did you mean');
    const json = await runBin(['ticket', 'craete', '--json']);
    expect(json.exitCode).toBe(2);
    expect(parseJson(json.stdout)).toMatchObject({error: {code: 'usage', exitCode: 2, message: expect.stringContaining('"support ticket create"')}});
  });

  it('in a flag gets the nearest flag of that command', async () => {
    const {stderr, exitCode} = await runBin(['ticket', 'create', '--titel', 'x', '--body', 'y']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('Error: Nonexistent flag: --titel. Did you mean --title?');
    expect(stderr).toContain('Hint: Run `support ticket create --help` to see its usage.');
  });
});

describe("oclif's own messages", () => {
  it('are one sentence on the Error line, with the hint only on the Hint line', async () => {
    const missing = await runBin(['ticket', 'view']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('Error: Missing 1 required arg: id (Ticket id).');
    expect(missing.stderr).toContain('Hint: Run `support ticket view --help` to see its usage.');
    expect(missing.stderr).not.toContain('See more help');
    const extra = await runBin(['ticket', 'view', '1', '2']);
    expect(extra.stderr).toContain('Error: Unexpected argument: 2.');
  });
});

describe('the update notice', () => {
  let box: Sandbox;
  let registry: RegistryStub;
  let delayMs = 0;
  const newer = '99.0.0';
  const stateFile = () => join(box.env.SUPPORT_CACHE_DIR, 'update-check.json');
  const env = () => ({...box.env, SUPPORT_NO_UPDATE_NOTIFIER: '', CI: '', SUPPORT_UPDATE_REGISTRY: registry.url});
  const checks = () => registry.requests.filter((r) => r === `GET /${pkg.name}/latest`).length;
  const waitFor = async (what: () => boolean, label: string) => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(what(), label).toBe(true);
  };

  beforeEach(async () => {
    box = sandbox();
    delayMs = 0;
    registry = await startRegistryStub({
      packages: new Map([[pkg.name, [{name: pkg.name, version: newer}]]]),
      fault: () => (delayMs ? {delayMs} : undefined),
    });
  });
  afterEach(async () => {
    await registry.close();
    box.cleanup();
  });

  it('comes from the registry, at most once a day, after the command on a terminal', async () => {
    const first = await runInTerminal(['ticket', 'list'], {env: env()});
    expect(first.exitCode).toBe(0);
    expect(first.screen).not.toContain('A new version');
    // The check ran in the background and recorded what it found.
    await waitFor(() => existsSync(stateFile()) && readFileSync(stateFile(), 'utf8').includes(newer), 'the background check recorded the version');
    expect(checks()).toBe(1);

    const second = await runInTerminal(['ticket', 'list'], {env: env()});
    // This copy runs from a clone (npm link): the way to update it is git's.
    expect(second.screen).toContain(`A new version of support is available: ${pkg.version} → ${newer}. Update with: cd `);
    expect(second.screen).toContain('&& git pull && npm ci');
    const third = await runInTerminal(['ticket', 'list'], {env: env()});
    expect(third.screen).not.toContain('A new version');
    expect(checks()).toBe(1);
  });

  it('never keeps a command waiting for a slow registry', async () => {
    delayMs = 60_000;
    const run = await runInTerminal(['ticket', 'list'], {env: env()});
    expect(run.exitCode).toBe(0);
    // The command is over while the registry has not answered yet.
    await waitFor(() => checks() === 1, 'the check was sent');
    expect(readFileSync(stateFile(), 'utf8')).not.toContain(newer);
  });

  it.each([
    ['SUPPORT_NO_UPDATE_NOTIFIER is set', {SUPPORT_NO_UPDATE_NOTIFIER: '1'}],
    ['CI is set', {CI: 'true'}],
  ])('is off when %s', async (_label, extra) => {
    const run = await runInTerminal(['ticket', 'list'], {env: {...env(), ...extra}});
    expect(run.exitCode).toBe(0);
    // A check would have been recorded before the command ended.
    expect(existsSync(stateFile())).toBe(false);
    expect(checks()).toBe(0);
  });

  it('is off without a terminal', async () => {
    const piped = await runBin(['ticket', 'list'], {env: env()});
    expect(piped.exitCode).toBe(0);
    expect(existsSync(stateFile())).toBe(false);
    expect(checks()).toBe(0);
    expect(piped.stderr).not.toContain('A new version');
  });
});
