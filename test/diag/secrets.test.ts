import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, onTestFailed, test} from 'vitest';

import {createBundleWriter, inspectBundle, type FinishedBundle} from '../../src/diag/bundle.js';
import {collectFiles} from '../../src/diag/collect-files.js';
import {loadScrubber, type Scrubber} from '../../src/diag/scrubber.js';
import {generateNearMisses, generateSecrets, renderCorpus, useSeed, type NearMisses, type Secrets} from './corpus.js';
import {Gen, KEYED_SYNTAXES, nearMisses, plantAll, SECRET_KEYS, seededRng, seedFromEnv, type Planted} from './generator.js';
import {secretlintDir as secretlint} from './secretlint.js';

// One seed for the whole file: printed when a test fails, replayed with SCRUB_SEED=<seed>.
const SEED = seedFromEnv();
const printSeed = () => onTestFailed(() => console.error(`replay with SCRUB_SEED=${SEED}`));

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
    useSeed(SEED);
    secrets = generateSecrets();
    near = generateNearMisses();
    corpus = renderCorpus(secrets, near);
    const source = join(work, 'source');
    mkdirSync(source);
    for (const [name, content] of Object.entries(corpus)) writeFileSync(join(source, name), content);
    writeFileSync(join(source, 'near-misses.txt'), nearMissText(near));

    const writer = await createBundleWriter({path: join(work, 'bundle.tar.gz'), toolkitVersion: '0.1.0'});
    await collectFiles({writer, scrubber: await loadScrubber(), root: source, maxFileSize: 1024 * 1024, maxTotalSize: 10 * 1024 * 1024});
    bundle = await writer.finish();
    extracted = join(work, 'extracted');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', bundle.path, '-C', extracted]);
  });

  afterAll(() => rmSync(work, {recursive: true, force: true}));

  test('the corpus covers at least ten syntaxes and the detector sees its secrets before scrubbing', async () => {
    printSeed();
    expect(Object.keys(corpus).length).toBeGreaterThanOrEqual(10);
    const before = await secretlint(join(work, 'source'));
    expect(before.findings).toBeGreaterThan(10);
  });

  test('no generated secret survives in any file of the bundle', () => {
    printSeed();
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
      expect(totals[rule] ?? 0, rule).toBeGreaterThan(0);
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

/** Files from the seeded generator, collected into a real bundle and read back. */
describe(`fresh secrets in every supported syntax (seed ${SEED})`, () => {
  let work: string;
  let planted: Planted[];
  let bundle: FinishedBundle;
  let extracted: string;
  const read = (p: Planted) => readFileSync(join(extracted, 'files', p.path), 'latin1');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'diag-generated-'));
    planted = plantAll(new Gen(seededRng(SEED)));
    const source = join(work, 'home');
    for (const p of planted) {
      mkdirSync(join(source, p.path, '..'), {recursive: true});
      writeFileSync(join(source, p.path), p.content);
    }
    const writer = await createBundleWriter({path: join(work, 'bundle.tar.gz'), toolkitVersion: '0.1.0'});
    // Chunks of 7 bytes: every value crosses chunk boundaries somewhere.
    const scrubber = await loadScrubber();
    await collectFiles({writer, scrubber, root: source, maxFileSize: 1024 * 1024, maxTotalSize: 10 * 1024 * 1024});
    bundle = await writer.finish();
    extracted = join(work, 'extracted');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', bundle.path, '-C', extracted]);
  });

  afterAll(() => rmSync(work, {recursive: true, force: true}));

  test('at least 25 syntaxes, and secretlint sees secrets in them before scrubbing', async () => {
    printSeed();
    expect(new Set(planted.map((p) => p.syntax.replace(/ \(.*/, ''))).size).toBeGreaterThanOrEqual(25);
    expect((await secretlint(join(work, 'home'))).findings).toBeGreaterThan(5);
  });

  test('every planted secret is gone and every near miss is kept', () => {
    printSeed();
    const survivors: string[] = [];
    const lost: string[] = [];
    let secrets = 0;
    let kept = 0;
    for (const p of planted) {
      const out = read(p);
      for (const secret of p.secrets) {
        secrets++;
        if (out.includes(secret)) survivors.push(`${p.syntax}: ${JSON.stringify(secret)} in\n${out}`);
      }
      for (const near of p.keep) {
        if (out.includes(near)) kept++;
        else lost.push(`${p.syntax}: ${JSON.stringify(near)} lost from\n${out}`);
      }
    }
    console.log(`scrubber generator, seed ${SEED}: ${planted.length} files in ${new Set(planted.map((p) => p.syntax.replace(/ \(.*/, ''))).size} syntaxes; ` +
      `${secrets} secrets planted, ${secrets - survivors.length} removed; ${kept} of ${kept + lost.length} near misses kept`);
    expect(survivors).toEqual([]);
    expect(lost).toEqual([]);
  });

  test('secretlint finds nothing in the bundle', async () => {
    printSeed();
    const after = await secretlint(extracted);
    expect(after.findings, after.report).toBe(0);
  });

  test('the manifest counts are true: every file with a secret counts it, near-miss files count nothing', async () => {
    printSeed();
    const inspection = await inspectBundle(bundle.path);
    expect(inspection.problems).toEqual([]);
    for (const p of planted) {
      const entry = inspection.manifest!.files.find((file) => file.path === `files/${p.path}`)!;
      const total = Object.values(entry.redactions).reduce((a, b) => a + b, 0);
      if (p.secrets.length === 0) expect(entry.redactions, p.syntax).toEqual({});
      else expect(total, p.syntax).toBeGreaterThan(0);
    }
  });

  test('structured files keep every byte but the secrets, and still parse', async () => {
    printSeed();
    const {parse: parseYaml, parseAllDocuments} = await import('yaml');
    const {XMLValidator} = await import('fast-xml-parser');
    const {parseTOML: parseToml} = await import('toml-eslint-parser');
    for (const p of planted) {
      const out = read(p);
      // Outside the redacted values, the text is what the customer had, byte for byte.
      const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const original = Buffer.from(p.content, 'utf8').toString('latin1');
      expect(new RegExp(`^${out.split(/\$\{REDACTED\}|REDACTED/).map(escape).join('[\\s\\S]*?')}$`).test(original), p.syntax).toBe(true);
      if (p.path.endsWith('.json')) expect(() => JSON.parse(out), p.syntax).not.toThrow();
      if (/\.ya?ml$/.test(p.path)) expect(parseAllDocuments(out).every((d: {errors: unknown[]}) => d.errors.length === 0), p.syntax).toBe(true);
      if (/\.(?:xml|config)$/.test(p.path)) expect(XMLValidator.validate(out), p.syntax).toBe(true);
      if (p.path.endsWith('.toml') && parseToml) expect(() => parseToml(out), p.syntax).not.toThrow();
    }
    expect(parseYaml(read(planted.find((p) => p.path === 'home/.kube/config')!))).toMatchObject({users: [{user: {token: 'REDACTED'}}, {user: {'client-key-data': 'REDACTED'}}]});
  });
});

describe('a property: a random secret under any secret-looking key, in any keyed syntax, never survives', () => {
  let scrubber: Scrubber;
  beforeAll(async () => {
    scrubber = await loadScrubber();
  });

  test('fast-check, seeded', () => {
    printSeed();
    const near = nearMisses(new Gen(seededRng(SEED)));
    const secret = fc.stringMatching(/^[A-Za-z0-9!*_.~+^-]{12,40}$/).filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s));
    fc.assert(
      fc.property(fc.constantFrom(...KEYED_SYNTAXES), fc.constantFrom(...SECRET_KEYS), secret, fc.integer({min: 1, max: 64}), (syntax, key, value, chunk) => {
        const text = syntax.render(key, value, near);
        // Through the stream API in chunks of every size, as files are read.
        const session = scrubber.session({name: syntax.path});
        const bytes = Buffer.from(text, 'utf8').toString('latin1');
        let out = '';
        for (let i = 0; i < bytes.length; i += chunk) out += session.write(bytes.slice(i, i + chunk));
        out += session.end();
        return !out.includes(value) && out.includes(near.commitSha) === text.includes(near.commitSha);
      }),
      {seed: SEED, numRuns: 300},
    );
  });
});

describe('secrets at the edges of what is read at once', () => {
  test('a secret straddling the per-line cut is still removed', async () => {
    printSeed();
    const g = new Gen(seededRng(SEED));
    const scrubber = await loadScrubber({maxLineLength: 4096});
    for (const filler of [' ', ',', '']) {
      for (let shift = -40; shift <= 40; shift += 3) {
        const secret = g.password();
        const token = `ghp_${g.mixed('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 36)}`;
        const pad = 'x'.repeat(4096 + shift);
        const line = `${filler ? `${'word '.repeat(700)}${pad.slice(3500)}` : pad} "password": "${secret}" api=${token} -a ${secret}\n`;
        const {text} = scrubber.scrubText(`redis-cli ${line}`);
        expect(text.includes(secret), `shift ${shift}, filler ${JSON.stringify(filler)}`).toBe(false);
        expect(text.includes(token)).toBe(false);
      }
    }
  });

  test('one byte at a time gives the same bytes and counts as the whole file, for every syntax', async () => {
    printSeed();
    const scrubber = await loadScrubber();
    for (const p of plantAll(new Gen(seededRng(SEED)))) {
      const whole = scrubber.session({name: p.path});
      const text = Buffer.from(p.content, 'utf8').toString('latin1');
      const expected = whole.write(text) + whole.end();
      const bytewise = scrubber.session({name: p.path});
      let out = '';
      for (const ch of text) out += bytewise.write(ch);
      out += bytewise.end();
      expect(out, p.syntax).toBe(expected);
      expect(bytewise.redactions(), p.syntax).toEqual(whole.redactions());
    }
  });
});
