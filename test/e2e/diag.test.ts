import {existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {secretlintBundle} from '../diag/secretlint.js';
import {parseJson, runBin, runInTerminal, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
let root: string;
beforeEach(() => {
  box = sandbox();
  root = join(box.dir, 'app');
  mkdirSync(join(root, 'logs'), {recursive: true});
  writeFileSync(join(root, 'logs', 'app.log'), '2024-05-01T10:00:00Z ERROR sync failed token=ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\n');
  writeFileSync(join(root, 'support-diag.yml'), 'logs: [logs/*.log]\ncommands:\n  - {name: uname, run: [uname, -a]}\n');
});
afterEach(() => box.cleanup());

const inTerminal = (argv: string[], steps: [RegExp, string][]) => runInTerminal(argv, {env: box.env, cwd: root, steps});

describe('support diag through the built binary', () => {
  it('collects with --yes and the bundle passes inspect', async () => {
    const output = join(box.dir, 'bundle.tar.gz');
    const collected = await runBin(['diag', 'collect', '--yes', '--output', output, '--profile-file', join(root, 'support-diag.yml')], {env: box.env});
    expect(collected.exitCode, collected.stderr).toBe(0);
    expect(collected.stdout).toBe(`${output}\n`);
    expect(statSync(output).mode & 0o777).toBe(0o600);
    const lint = await secretlintBundle(output);
    expect(lint.findings, lint.report).toBe(0);
    const inspected = await runBin(['diag', 'inspect', output, '--json'], {env: box.env});
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    const result = parseJson(inspected.stdout);
    expect(result).toMatchObject({ok: true, redactions: {'github-token': 1}});
    expect(result.files.map((f: {path: string}) => f.path)).toEqual(
      expect.arrayContaining(['system.json', 'runtime.json', 'network.json', 'environment.json', 'logs/logs/app.log', 'commands/uname.txt']),
    );
  });

  it('on a terminal shows the summary and writes only after the user agrees', async () => {
    const agreed = await inTerminal(['diag', 'collect', '--output', 'yes.tar.gz'], [[/Write this bundle/, 'y\r']]);
    expect(agreed.exitCode, agreed.screen).toBe(0);
    expect(agreed.screen).toContain('logs/logs/app.log');
    expect(agreed.screen).toMatch(/github-token/);
    expect(agreed.screen).toContain('Wrote ');
    expect(existsSync(join(root, 'yes.tar.gz'))).toBe(true);

    const refused = await inTerminal(['diag', 'collect', '--output', 'no.tar.gz'], [[/Write this bundle/, 'n\r']]);
    expect(refused.exitCode, refused.screen).toBe(130);
    expect(refused.screen).toContain('Nothing was written.');
    expect(readdirSync(root).filter((n) => n.startsWith('no.') || n.includes('.partial'))).toEqual([]);
  });
});
