import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, test} from 'vitest';

import {createBundleWriter, inspectBundle, type FinishedBundle} from '../../src/diag/bundle.js';
import {collectFiles} from '../../src/diag/collect-files.js';
import {createScrubber} from '../../src/diag/scrubber.js';
import {generateNearMisses, generateSecrets, renderCorpus, type NearMisses, type Secrets} from './corpus.js';

/** secretlint with its recommended preset: a detector written by other people, run on the files themselves. */
async function secretlint(dir: string): Promise<{findings: number; report: string}> {
  const {createEngine} = await import('@secretlint/node');
  const engine = await createEngine({
    cwd: dir,
    formatter: 'json',
    color: false,
    configFileJSON: {rules: [{id: '@secretlint/secretlint-rule-preset-recommend'}]},
  });
  const files = readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  const result = await engine.executeOnFiles({filePathList: files});
  const parsed = JSON.parse(result.output) as {messages: unknown[]}[];
  return {findings: parsed.reduce((n, file) => n + file.messages.length, 0), report: result.output};
}

function secretValues(s: Secrets): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(s)) {
    if (name === 'basicUser') continue;
    if (name.endsWith('Pem')) {
      // Each base64 line of a key is secret material on its own.
      for (const line of value.split('\n').filter((l: string) => l && !l.startsWith('-----'))) pairs.push([`${name} line`, line]);
    } else pairs.push([name, value]);
  }
  pairs.push(['basic credentials', Buffer.from(`${s.basicUser}:${s.basicPassword}`).toString('base64')]);
  return pairs;
}

describe('a generated corpus of secrets, collected into a bundle', () => {
  let work: string;
  let secrets: Secrets;
  let near: NearMisses;
  let corpus: Record<string, string>;
  let bundle: FinishedBundle;
  let extracted: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'diag-secrets-'));
    secrets = generateSecrets();
    near = generateNearMisses();
    corpus = renderCorpus(secrets, near);
    const source = join(work, 'source');
    mkdirSync(source);
    for (const [name, content] of Object.entries(corpus)) writeFileSync(join(source, name), content);
    writeFileSync(join(source, 'near-misses.txt'), nearMissText(near));

    const writer = await createBundleWriter({path: join(work, 'bundle.tar.gz'), toolkitVersion: '0.1.0'});
    await collectFiles({writer, scrubber: createScrubber(), root: source, maxFileSize: 1024 * 1024, maxTotalSize: 10 * 1024 * 1024});
    bundle = await writer.finish();
    extracted = join(work, 'extracted');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', bundle.path, '-C', extracted]);
  });

  afterAll(() => rmSync(work, {recursive: true, force: true}));

  test('the corpus covers at least ten syntaxes and the detector sees its secrets before scrubbing', async () => {
    expect(Object.keys(corpus).length).toBeGreaterThanOrEqual(10);
    const before = await secretlint(join(work, 'source'));
    expect(before.findings).toBeGreaterThan(10);
  });

  test('no generated secret survives in any file of the bundle', () => {
    const files = readdirSync(join(extracted, 'files'));
    expect(files.sort()).toEqual([...Object.keys(corpus), 'near-misses.txt'].sort());
    const all = files.map((name) => readFileSync(join(extracted, 'files', name), 'latin1')).join('\n');
    const survivors = secretValues(secrets).filter(([, value]) => all.includes(value));
    expect(survivors.map(([name]) => name)).toEqual([]);
  });

  test('secretlint finds nothing in the extracted bundle', async () => {
    const after = await secretlint(extracted);
    expect(after.findings, after.report).toBe(0);
  });

  test('structured files still parse after scrubbing', async () => {
    const {parse: parseYaml} = await import('yaml');
    const {XMLValidator} = await import('fast-xml-parser');
    const read = (name: string) => readFileSync(join(extracted, 'files', name), 'utf8');
    const json = JSON.parse(read('config.json')) as {database: {password: string; pin: string}; build: {commit: string}};
    expect(json.database.password).toBe('REDACTED');
    expect(json.database.pin).toBe('REDACTED');
    expect(json.build.commit).toBe(near.commitSha);
    const yaml = parseYaml(read('settings.yaml')) as {database: {password: string}; tls: {private_key: string; ca_cert: string}; auth: {user: string}};
    expect(yaml.database.password).toBe('REDACTED');
    expect(yaml.tls.private_key).toMatch(/REDACTED/);
    expect(yaml.tls.ca_cert).toBe('not-a-secret-line\n');
    expect(yaml.auth.user).toBe('bob');
    expect(XMLValidator.validate(read('app.config'))).toBe(true);
    for (const url of read('urls.txt').trim().split('\n')) expect(() => new URL(url)).not.toThrow();
  });

  test('near misses are kept exactly as they were', () => {
    expect(readFileSync(join(extracted, 'files', 'near-misses.txt'), 'utf8')).toBe(nearMissText(near));
    const log = readFileSync(join(extracted, 'files', 'app.log'), 'utf8');
    expect(log).toContain(`commit=${near.commitSha} container=${near.containerId}`);
    expect(log).toContain(`placeholder ${near.placeholderShort} kept`);
    expect(readFileSync(join(extracted, 'files', '.env'), 'utf8')).toContain(`PLACEHOLDER_TOKEN=${near.placeholderShort}`);
  });

  test('the manifest counts redactions per rule and the bundle verifies', async () => {
    const inspection = await inspectBundle(bundle.path);
    expect(inspection.problems).toEqual([]);
    expect(inspection.ok).toBe(true);
    const totals = inspection.manifest!.redactions;
    for (const rule of ['aws-access-key-id', 'aws-secret-access-key', 'github-token', 'gitlab-token', 'slack-token', 'slack-webhook',
      'stripe-key', 'google-api-key', 'npm-token', 'jwt', 'private-key', 'zendesk-api-token', 'atlassian-api-token',
      'freshdesk-api-key', 'http-authorization', 'http-cookie', 'http-token-header', 'url-userinfo', 'url-query-secret',
      'secret-key-name', 'high-entropy-value', 'command-line-password']) {
      expect(totals[rule], rule).toBeGreaterThan(0);
    }
    const nearMissEntry = inspection.manifest!.files.find((file) => file.path === 'files/near-misses.txt');
    expect(nearMissEntry?.redactions).toEqual({});
  });
});

function nearMissText(near: NearMisses): string {
  return [
    `GITHUB_TOKEN=${near.placeholderShort}`,
    'example: GITHUB_TOKEN=ghp_XXXXXXXXXXXX',
    `container ${near.containerId} started`,
    `HEAD is now at ${near.commitSha}`,
    `request_id=${near.uuid}`,
    `image: sha256:${near.checksum}`,
    'password: ${DB_PASSWORD}',
    'token_url: https://auth.example.org/token',
    'cache_key = users_list',
    'password_file = /run/secrets/db',
    '',
  ].join('\n');
}
