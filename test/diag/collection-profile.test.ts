import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {describe, expect, it} from 'vitest';

import {loadCollectionProfile, parseCollectionProfile} from '../../src/diag/collection-profile.js';
import {parseByteSize, parseSince, parseSpan} from '../../src/diag/units.js';

describe('the collection profile', () => {
  it('reads files, logs, commands, excludes and scrub patterns', async () => {
    const now = Date.parse('2024-05-02T00:00:00Z');
    const profile = await parseCollectionProfile(
      [
        'root: ..',
        'files: [config/*.yml]',
        'logs:',
        '  - var/log/app.log',
        '  - {path: "logs/**/*.log", tail: 5MB, since: 24h}',
        'commands:',
        '  - {name: disk usage, run: df -h, timeout: 10s}',
        '  - {run: "ps aux | grep app", shell: true}',
        'exclude: ["**/*.pem"]',
        'scrub: ["ORD-\\\\d+", {id: ticket, pattern: "T-[0-9]+", flags: i}]',
      ].join('\n'),
      '/srv/app/etc/support-diag.yml',
      now,
    );
    expect(profile).toEqual({
      file: '/srv/app/etc/support-diag.yml',
      root: '/srv/app',
      files: ['config/*.yml'],
      logs: [{path: 'var/log/app.log'}, {path: 'logs/**/*.log', tailBytes: 5 * 1024 * 1024, since: new Date('2024-05-01T00:00:00Z')}],
      commands: [
        {name: 'disk-usage', argv: ['df', '-h'], shell: false, timeoutMs: 10_000},
        {name: 'ps', argv: ['ps aux | grep app'], shell: true, timeoutMs: 30_000},
      ],
      exclude: ['**/*.pem'],
      scrub: [{id: '1', pattern: 'ORD-\\d+'}, {id: 'ticket', pattern: 'T-[0-9]+', flags: 'i'}],
    });
  });

  it.each([
    ['logs: [', 'is not valid YAML'],
    ['files: config', 'needs a list under "files"'],
    ['secrets: []', 'unknown key "secrets"'],
    ['logs: [{path: a.log, tail: lots}]', 'bad value at logs[0].tail'],
    ['commands: [{name: x}]', 'commands[0].run'],
  ])('refuses %j with a usage error', async (text, message) => {
    await expect(parseCollectionProfile(text, '/p.yml')).rejects.toThrow(message);
  });
});

describe('sizes and durations', () => {
  it('reads sizes in powers of 1024', () => {
    expect(parseByteSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('512k')).toBe(512 * 1024);
    expect(parseByteSize('1.5 GB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('100')).toBe(100);
    expect(() => parseByteSize('0MB')).toThrow();
    expect(() => parseByteSize('ten')).toThrow();
  });

  it('reads spans and --since values', () => {
    expect(parseSpan('1d12h')).toBe(36 * 3600_000);
    expect(parseSince('24h', Date.parse('2024-05-02T00:00:00Z')).toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(parseSince('2024-05-01T08:00Z').toISOString()).toBe('2024-05-01T08:00:00.000Z');
    expect(() => parseSince('yesterday')).toThrow('--since');
  });
});

describe('the collection root', () => {
  it('must exist: a missing one is one clear usage error naming the file, not a bundle of "missing" files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supportkit-profile-'));
    try {
      writeFileSync(join(dir, 'support-diag.yml'), 'root: /nonexistent/myapp\nfiles: [config/*.yml]\n');
      const error = await loadCollectionProfile(undefined, dir).catch((e: Error & {exitCode?: number}) => e);
      expect(error).toMatchObject({message: 'The collection root /nonexistent/myapp does not exist.', exitCode: 2});
      expect((error as {hint?: string}).hint).toContain(join(dir, 'support-diag.yml'));
      // Relative to the file, wherever the command runs.
      mkdirSync(join(dir, 'myapp'));
      writeFileSync(join(dir, 'support-diag.yml'), 'root: ./myapp\n');
      expect((await loadCollectionProfile(join(dir, 'support-diag.yml'), tmpdir()))?.root).toBe(join(dir, 'myapp'));
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
