import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, onTestFailed, test} from 'vitest';

import {Gen, plantAll, seededRng, seedFromEnv, type Planted} from '../diag/generator.js';
import {secretlintDir} from '../diag/secretlint.js';
import {parseJson, runBin, sandbox, type Sandbox} from '../helpers.js';

const SEED = seedFromEnv();

/**
 * What a careful customer would try: a realistic home directory (cloud credentials, kubeconfig,
 * .netrc, .pgpass, JSON-lines logs, Kubernetes manifests, shell history, Java properties, XML
 * and TOML configs, keys in logs) collected by the built `support diag collect` into a real
 * tar.gz, which is then opened again and read as a reviewer would.
 */
describe(`a fresh home directory through support diag collect (seed ${SEED})`, () => {
  let box: Sandbox;
  let planted: Planted[];
  let extracted: string;
  let inspected: {ok: boolean; redactions: Record<string, number>};

  beforeAll(async () => {
    box = sandbox();
    const home = join(box.dir, 'home');
    planted = plantAll(new Gen(seededRng(SEED)));
    for (const p of planted) {
      mkdirSync(join(home, p.path, '..'), {recursive: true});
      writeFileSync(join(home, p.path), p.content);
    }
    writeFileSync(join(box.dir, 'support-diag.yml'), `root: ${home}\nfiles:\n  - "**"\n`);
    const output = join(box.dir, 'bundle.tar.gz');
    const collected = await runBin(['diag', 'collect', '--yes', '--output', output, '--profile-file', join(box.dir, 'support-diag.yml')], {env: box.env});
    expect(collected.exitCode, collected.stderr).toBe(0);
    const inspect = await runBin(['diag', 'inspect', output, '--json'], {env: box.env});
    expect(inspect.exitCode, inspect.stderr).toBe(0);
    inspected = parseJson(inspect.stdout);
    extracted = join(box.dir, 'extracted');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', output, '-C', extracted]);
  }, 120_000);

  afterAll(() => box.cleanup());

  test('no planted secret is anywhere in the bundle, and every near miss is', () => {
    onTestFailed(() => console.error(`replay with SCRUB_SEED=${SEED}`));
    const survivors: string[] = [];
    const lost: string[] = [];
    for (const p of planted) {
      const text = readFileSync(join(extracted, 'files', p.path), 'latin1');
      for (const secret of p.secrets) if (text.includes(secret)) survivors.push(`${p.syntax}: ${secret}`);
      for (const near of p.keep) if (!text.includes(near)) lost.push(`${p.syntax}: ${near}`);
    }
    expect(survivors).toEqual([]);
    expect(lost).toEqual([]);
    expect(inspected.ok).toBe(true);
    expect(inspected.redactions).toMatchObject({'private-key': expect.any(Number), 'credential-file': expect.any(Number), 'kubernetes-secret': expect.any(Number), 'command-line-password': expect.any(Number)});
  });

  test('secretlint, run over the unpacked bundle, finds nothing', async () => {
    onTestFailed(() => console.error(`replay with SCRUB_SEED=${SEED}`));
    const before = await secretlintDir(join(box.dir, 'home'));
    expect(before.findings).toBeGreaterThan(5);
    const after = await secretlintDir(extracted);
    expect(after.findings, after.report).toBe(0);
  });
});
