import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {buffer} from 'node:stream/consumers';

import {afterEach, describe, expect, test} from 'vitest';

import {detectBinary} from '../../src/diag/binary.js';
import {createBundleWriter, inspectBundle} from '../../src/diag/bundle.js';
import {Pseudonymizer} from '../../src/diag/pseudonyms.js';
import {createScrubber} from '../../src/diag/scrubber.js';
import {secretlintBundle} from './secretlint.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'diag-unit-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true});
});

const PEM = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 'QyNTUxOQAAACDs0S0wZYcVmh8ZyvdZBe3xkHxiiIUPuqvsCHBTzx8AQQAAAJgAbcdeAG3H', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

describe('the scrubber', () => {
  test('gives the same result whatever the chunk boundaries, PEM blocks included', async () => {
    const text = `user=bob\npassword=hunter2-secret\n${PEM}\nafter the key\ntoken: abcdefghijklmnop\n`;
    const whole = createScrubber().scrubText(text);
    expect(whole.text).not.toContain('hunter2');
    expect(whole.text).not.toContain('b3BlbnNzaC1rZXktdjE');
    expect(whole.text).toContain('after the key');
    // One byte at a time through the stream.
    const stream = createScrubber().stream();
    const out = await buffer(Readable.from([...Buffer.from(text)].map((b) => Buffer.from([b]))).pipe(stream));
    expect(out.toString('utf8')).toBe(whole.text);
    expect(stream.redactions()).toEqual(whole.redactions);
  });

  test('leaves near misses alone', () => {
    const lines = [
      `GITHUB_TOKEN=ghp_${'x'.repeat(36)}`,
      'container 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 started',
      'commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
      'trace_id=123e4567-e89b-12d3-a456-426614174000',
      'primary_key: id',
      'password: ${DB_PASSWORD}',
      'password_file: /run/secrets/db',
    ].join('\n');
    const result = createScrubber().scrubText(lines);
    expect(result.text).toBe(lines);
    expect(result.redactions).toEqual({});
  });

  test('keeps bytes that are not UTF-8 as they were', () => {
    const input = Buffer.concat([Buffer.from('caf\xe9 '), Buffer.from([0xff, 0xfe]), Buffer.from(' password=s3cr3t!\n')]);
    const stream = createScrubber().stream();
    return buffer(Readable.from([input]).pipe(stream)).then((out) => {
      expect(out.subarray(0, 7)).toEqual(input.subarray(0, 7));
      expect(out.toString('latin1')).toContain('password=REDACTED');
    });
  });

  test('applies user patterns, whole match or the `secret` group, counted under their id', () => {
    const scrubber = createScrubber({patterns: [{id: 'ticket-pin', pattern: 'PIN-(?<secret>\\d{6})'}, {pattern: 'internal-[a-z]+', flags: 'i'}]});
    const result = scrubber.scrubText('ref PIN-123456 host INTERNAL-alpha');
    expect(result.text).toBe('ref PIN-REDACTED host REDACTED');
    expect(result.redactions).toEqual({'custom:2': 1, 'custom:ticket-pin': 1});
    expect(() => createScrubber({patterns: [{pattern: '('}]})).toThrow(/not a valid regular expression/);
  });

  test('gives consistent pseudonyms with a per-machine key, and keeps the mapping on disk', () => {
    const dir = tempDir();
    const options = {keyFile: join(dir, 'key'), mapFile: join(dir, 'map.json'), hostnames: ['build-box-7']};
    const first = new Pseudonymizer(options);
    const scrubber = createScrubber({pseudonymizer: first});
    const text = 'alice@corp.example.org from 10.1.2.3 and fe80::1ff:fe23:4567:890a on build-box-7 via https://git.corp.example.org/x, loopback 127.0.0.1';
    const a = scrubber.scrubText(text);
    expect(a.text).not.toMatch(/alice|10\.1\.2\.3|fe80::1ff|build-box-7|git\.corp/);
    expect(a.text).toContain('127.0.0.1');
    expect(a.redactions).toMatchObject({'pseudonym-email': 1, 'pseudonym-ipv4': 1, 'pseudonym-ipv6': 1, 'pseudonym-hostname': 2});
    first.save();
    expect(statSync(options.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(options.mapFile).mode & 0o777).toBe(0o600);
    const map = JSON.parse(readFileSync(options.mapFile, 'utf8')) as {entries: Record<string, string>};
    expect(Object.values(map.entries)).toContain('alice@corp.example.org');
    // Another run on the same machine gives the same stand-ins.
    const b = createScrubber({pseudonymizer: new Pseudonymizer(options)}).scrubText(text);
    expect(b.text).toBe(a.text);
    // Another machine (key) gives different ones.
    const other = tempDir();
    const c = createScrubber({pseudonymizer: new Pseudonymizer({keyFile: join(other, 'key'), hostnames: ['build-box-7']})}).scrubText(text);
    expect(c.text).not.toBe(a.text);
  });
});

describe('binary detection', () => {
  test('NUL bytes or mostly invalid UTF-8 make a file binary; accented text does not', () => {
    expect(detectBinary(Buffer.from('plain text\n')).binary).toBe(false);
    expect(detectBinary(Buffer.from('héllo wörld, ça va?\n'.repeat(20))).binary).toBe(false);
    expect(detectBinary(Buffer.from('abc\0def')).binary).toBe(true);
    expect(detectBinary(Buffer.from(Array.from({length: 512}, (_, i) => 0x80 + (i % 64)))).binary).toBe(true);
    // A multi-byte character cut by the end of the sample is not held against the file.
    expect(detectBinary(Buffer.from('a'.repeat(1023) + 'é').subarray(0, 1024)).binary).toBe(false);
  });
});

describe('bundle inspection', () => {
  test('reports a file whose bytes no longer match the manifest', async () => {
    const dir = tempDir();
    const path = join(dir, 'bundle.tar.gz');
    const writer = await createBundleWriter({path, toolkitVersion: '0.1.0'});
    await writer.addFile({path: 'logs/app.log', content: 'original content\n', collector: 'files'});
    await writer.addFile({path: 'system.json', content: '{"os":"linux"}\n', collector: 'system'});
    await writer.finish();
    expect((await inspectBundle(path)).ok).toBe(true);
    expect((await secretlintBundle(path)).findings).toBe(0);

    // Tamper: extract, change one file, pack again with the same manifest.
    const unpacked = join(dir, 'unpacked');
    execFileSync('mkdir', [unpacked]);
    execFileSync('tar', ['-xzf', path, '-C', unpacked]);
    writeFileSync(join(unpacked, 'logs', 'app.log'), 'altered content!\n');
    writeFileSync(join(unpacked, 'extra.txt'), 'not in the manifest\n');
    const tampered = join(dir, 'tampered.tar.gz');
    execFileSync('tar', ['-czf', tampered, '-C', unpacked, 'manifest.json', 'logs/app.log', 'extra.txt']);
    const inspection = await inspectBundle(tampered);
    expect(inspection.ok).toBe(false);
    expect(inspection.problems.map((p) => [p.kind, p.path])).toEqual([
      ['checksum-mismatch', 'logs/app.log'],
      ['missing', 'system.json'],
      ['unexpected', 'extra.txt'],
    ]);
  });

  test('refuses unsafe archive paths', async () => {
    const dir = tempDir();
    const writer = await createBundleWriter({path: join(dir, 'b.tar.gz'), toolkitVersion: '0.1.0'});
    await expect(writer.addFile({path: '../escape', content: 'x', collector: 't'})).rejects.toThrow(/climbs out/);
    await expect(writer.addFile({path: '/etc/passwd', content: 'x', collector: 't'})).rejects.toThrow(/absolute/);
    await writer.abort();
  });
});
