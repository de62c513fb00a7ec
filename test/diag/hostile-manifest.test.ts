import {createHash, randomBytes} from 'node:crypto';
import {rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';

import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {renderInspection} from '../../src/cli/render/diag.js';
import DiagInspect from '../../src/commands/diag/inspect.js';
import {TAR_END, tarFileHeader, tarPadding} from '../../src/diag/tar.js';
import {RejectedError} from '../../src/domain/errors.js';
import {inspectDiagBundle} from '../../src/services/diag.js';
import {expectNeutralised, HOSTILE} from '../cli/hostile.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

/**
 * `diag inspect` of a bundle someone else made: a manifest with nulls, wrong types, missing
 * fields, escape sequences, huge values or paths that climb out is "not a valid bundle", with
 * the reason and exit 5 — never "Unexpected error" — and nothing from it drives the terminal.
 */
let box: Sandbox;
let n = 0;

const LOG = 'INFO started\n';
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** A manifest as `diag collect` writes it, for one file. */
function goodManifest(): Record<string, any> {
  return {
    formatVersion: 1,
    toolkit: {name: 'supportkit', version: '0.1.0'},
    createdAt: '2026-01-01T00:00:00.000Z',
    files: [{path: 'logs/app.log', size: Buffer.byteLength(LOG), sha256: sha(LOG), collector: 'logs', truncated: false, redactions: {}}],
    skipped: [{source: 'secret.pem', reason: 'excluded', detail: 'matched an exclude glob'}],
    collectors: [{name: 'logs', ok: true, durationMs: 3}],
    redactions: {},
  };
}

const NO_MANIFEST = Symbol('no manifest');

/** A real .tar.gz on disk holding these entries, manifest.json last as the writer puts it. */
function bundle(manifest: unknown, entries: Record<string, string> = {'logs/app.log': LOG}): string {
  const parts: Buffer[] = [];
  const all: [string, string | Buffer][] = Object.entries(entries);
  if (manifest !== NO_MANIFEST) {
    all.push(['manifest.json', Buffer.isBuffer(manifest) ? manifest : Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest))]);
  }
  for (const [path, content] of all) {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(tarFileHeader({path, size: bytes.length, mtime: new Date(0)}), bytes, tarPadding(bytes.length));
  }
  parts.push(TAR_END);
  const file = join(box.dir, `bundle-${++n}.tar.gz`);
  writeFileSync(file, gzipSync(Buffer.concat(parts)));
  return file;
}

const withChange = (change: (m: Record<string, any>) => void) => {
  const m = goodManifest();
  change(m);
  return m;
};

beforeAll(() => {
  box = sandbox();
});
afterAll(() => box.cleanup());

const run = (argv: string[], tty = false) => runCommand(DiagInspect, argv, {env: box.env, tty});

describe('diag inspect of a hostile or malformed manifest', () => {
  it('accepts the well-formed bundle these cases start from', async () => {
    const r = await run([bundle(goodManifest())]);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  const cases: [string, () => string, RegExp][] = [
    ['a null manifest', () => bundle('null'), /does not hold a JSON object/],
    ['an array for a manifest', () => bundle('[1,2]'), /does not hold a JSON object/],
    ['text that is not JSON', () => bundle('{"formatVersion": 1, '), /manifest\.json is not valid JSON/],
    ['a format version of null', () => bundle(withChange((m) => (m.formatVersion = null))), /format version \("null"\) is not one this toolkit reads/],
    ['a newer format version', () => bundle(withChange((m) => (m.formatVersion = 2))), /format version \(2\) is not one this toolkit reads/],
    ['files: null', () => bundle(withChange((m) => (m.files = null))), /files must be array/],
    ['a null file entry', () => bundle(withChange((m) => (m.files[0] = null))), /files\[0\] must be object/],
    ['a size as a string', () => bundle(withChange((m) => (m.files[0].size = '12'))), /files\[0\]\.size must be integer/],
    ['a negative redaction count', () => bundle(withChange((m) => (m.files[0].redactions = {'aws-key': -1}))), /files\[0\]\.redactions\.aws-key must be >= 0/],
    ['a missing sha256', () => bundle(withChange((m) => delete m.files[0].sha256)), /files\[0\] must have required property 'sha256'/],
    ['a sha256 that is not one', () => bundle(withChange((m) => (m.files[0].sha256 = 'zz'))), /files\[0\]\.sha256 must match pattern/],
    ['no collectors list', () => bundle(withChange((m) => delete m.collectors)), /must have required property 'collectors'/],
    ['a creation time that is not a time', () => bundle(withChange((m) => (m.createdAt = 'yesterday\u001b]0;x\u0007'))), /createdAt must match format "date-time"/],
    ['a toolkit of the wrong type', () => bundle(withChange((m) => (m.toolkit = 'supportkit'))), /toolkit must be object/],
    ['a size beyond any file', () => bundle(withChange((m) => (m.files[0].size = 1e300))), /files\[0\]\.size must be <= 9007199254740991/],
    ['a 100,000-character detail', () => bundle(withChange((m) => (m.skipped[0].detail = 'x'.repeat(100_000)))), /skipped\[0\]\.detail must NOT have more than 65536 characters/],
    ['a path that climbs out', () => bundle(withChange((m) => (m.files[0].path = '../../etc/passwd'))), /files\[0\]\.path "\.\.\/\.\.\/etc\/passwd" is not a safe archive path: the path climbs out with \.\./],
    ['an absolute path', () => bundle(withChange((m) => (m.files[0].path = '/etc/passwd'))), /is not a safe archive path: the path is absolute/],
    ['a path with an escape sequence', () => bundle(withChange((m) => (m.files[0].path = 'logs/\u001b]0;pwned\u0007.log'))), /is not a safe archive path: the path has control characters/],
    ['the same path twice', () => bundle(withChange((m) => m.files.push({...m.files[0]}))), /files\[1\]\.path "logs\/app\.log" repeats files\[0\]\.path/],
    ['no manifest at all', () => bundle(NO_MANIFEST), /the archive has no manifest\.json/],
    ['a text file', () => {
      const file = join(box.dir, `notes-${++n}.tar.gz`);
      writeFileSync(file, `just some notes ${HOSTILE}\n`);
      return file;
    }, /the archive cannot be read to the end/],
    ['a decompression bomb', () => bundle(goodManifest(), {'logs/app.log': '\u0000'.repeat(50 * 1024 * 1024)}), /max decompression ratio exceeded/],
    ['an empty file', () => {
      const file = join(box.dir, `empty-${++n}.tar.gz`);
      writeFileSync(file, '');
      return file;
    }, /the archive has no manifest\.json|cannot be read/],
  ];

  it.each(cases)('%s: "not a valid bundle", the reason, exit 5', async (_what, make, reason) => {
    const file = make();
    for (const tty of [false, true]) {
      const r = await run([file], tty);
      expect(r.exitCode, r.stderr).toBe(5);
      expect(r.stderr).toContain(`${file} is not a valid bundle: `);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).not.toContain('Unexpected error');
      expect(r.stdout).toBe('');
      expectNeutralised(r.stderr);
    }
    const json = await run([file, '--json']);
    expect(json.exitCode).toBe(5);
    const error = parseJson<{error: {code: string; message: string; exitCode: number}}>(json.stdout).error;
    expect(error).toMatchObject({code: 'rejected', exitCode: 5});
    expect(error.message).toMatch(reason);
  });

  it('a manifest.json over 64 MiB is refused without being read whole', async () => {
    // Text that does not compress much: the archive reader refuses a zip bomb before this check.
    const noise = Buffer.from(randomBytes(8 * 1024 * 1024).toString('hex'));
    const big = Buffer.concat([Buffer.from('{"formatVersion": 1, "files": ["'), noise, noise, noise, noise, noise]);
    const r = await run([bundle(big, {})]);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toContain('is not a valid bundle: its manifest.json is larger than 64 MiB');
  });

  it('escape sequences in a well-formed manifest are shown escaped, piped and on a terminal', async () => {
    const hostile = withChange((m) => {
      m.toolkit.name = HOSTILE;
      m.files[0].collector = HOSTILE;
      m.files[0].redactions = {[HOSTILE]: 2};
      m.skipped[0].detail = HOSTILE;
      m.skipped[0].source = `x${HOSTILE}`;
      m.collectors.push({name: HOSTILE, ok: false, durationMs: 1, error: `failed: ${HOSTILE}`});
      m.redactions = {[HOSTILE]: 2};
    });
    const file = bundle(hostile, {'logs/app.log': LOG, [`evil\u001b]0;t\u0007.log`]: 'x'});
    for (const tty of [false, true]) {
      const r = await run([file], tty);
      // The extra entry is not in the manifest: a mismatch (exit 1), named escaped.
      expect(r.exitCode, r.stderr).toBe(1);
      expectNeutralised(r.stdout + r.stderr);
      expect(r.stdout).toContain('\\x1b]0;pwned\\x07');
      expect(r.stdout).toContain('evil\\x1b]0;t\\x07.log');
    }
    const json = parseJson<{collectors: {name: string}[]}>((await run([file, '--json'])).stdout);
    expect(json.collectors.at(-1)!.name).toBe(HOSTILE);
  });

  it('property: any change to any field of the manifest is either a valid bundle or "not a valid bundle", never a crash', async () => {
    const leaves = (value: unknown, path: (string | number)[] = []): (string | number)[][] =>
      value !== null && typeof value === 'object'
        ? [path, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]))]
        : [path];
    const paths = leaves(goodManifest()).filter((p) => p.length > 0);
    const hostileValue = fc.oneof(
      fc.jsonValue({maxDepth: 3}),
      fc.constantFrom(null, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, '', HOSTILE, '../x', '/abs', 'x'.repeat(70_000), {}, []),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), hostileValue, fc.boolean(), async (path, value, remove) => {
        const manifest = goodManifest();
        let parent: any = manifest;
        for (const key of path.slice(0, -1)) parent = parent[key];
        if (remove) delete parent[path.at(-1)!];
        else parent[path.at(-1)!] = value;
        const file = bundle(manifest);
        try {
          const result = await inspectDiagBundle(file);
          for (const mode of [{tty: false, color: false}, {tty: true, color: true}]) {
            const shown = (await renderInspection(result, mode)).text;
            expectNeutralised(shown);
          }
        } catch (error) {
          expect(error, String((error as Error).stack)).toBeInstanceOf(RejectedError);
          expect((error as Error).message).toContain('is not a valid bundle: ');
        } finally {
          rmSync(file, {force: true});
        }
      }),
      {numRuns: 300},
    );
  });
});
