import {execFileSync} from 'node:child_process';
import {appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {text} from 'node:stream/consumers';

import {afterAll, beforeAll, describe, expect, test} from 'vitest';

import {encodeArchivePath} from '../../src/diag/archive-path.js';
import {createBundleWriter, inspectBundle, readBundleFile, type Manifest} from '../../src/diag/bundle.js';
import {collectFiles} from '../../src/diag/collect-files.js';
import {findFiles, isSkipped, openCapped} from '../../src/diag/files.js';
import {createScrubber} from '../../src/diag/scrubber.js';
import {secretlintBundle} from './secretlint.js';

const MB = 1024 * 1024;

describe('hostile files', () => {
  let work: string;
  let root: string;
  let socketServer: Server;
  let manifest: Manifest;
  let bundlePath: string;

  const newlineName = Buffer.from('bad\nname.log');
  const invalidName = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x6c, 0x6f, 0x67]); // f\xff\xfe.log

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'diag-hostile-'));
    root = join(work, 'root');
    mkdirSync(join(root, 'dir'), {recursive: true});
    writeFileSync(join(work, 'outside.log'), 'OUTSIDE-THE-ROOT\n');
    writeFileSync(join(root, 'normal.log'), 'an ordinary line\n');
    symlinkSync('/etc/passwd', join(root, 'passwd-link'));
    symlinkSync('../outside.log', join(root, 'outside-link.log'));
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
    symlinkSync('..', join(root, 'dir', 'self'));
    symlinkSync('/dev/zero', join(root, 'zero-link'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(join(root, 'socket'), resolve));
    execFileSync('truncate', ['-s', '5G', join(root, 'sparse.log')]);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), newlineName]), 'newline in my name\n');
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), invalidName]), 'invalid utf-8 in my name\n');
    writeFileSync(join(root, 'big.log'), Array.from({length: 40_000}, (_, i) => `line ${i} of a big log\n`).join(''));
    writeFileSync(join(root, 'image.bin'), Buffer.concat([Buffer.from('PNG'), Buffer.alloc(64), Buffer.from('data')]));
    writeFileSync(join(root, 'unreadable.log'), 'you cannot read me\n');
    chmodSync(join(root, 'unreadable.log'), 0o000);
    mkdirSync(join(root, 'out'));
    // A bundle from an earlier run, with the name about to be written again.
    writeFileSync(join(root, 'out', 'bundle.tar.gz'), 'an old bundle');
    bundlePath = join(root, 'out', 'bundle.tar.gz');

    const writer = await createBundleWriter({path: bundlePath, toolkitVersion: '0.1.0'});
    // Root ignores file permissions; drop to nobody while reading so "unreadable" is real.
    const asNobody = process.getuid?.() === 0;
    if (asNobody) {
      chmodSync(work, 0o755);
      process.seteuid!(65534);
    }
    try {
      await collectFiles({
        writer,
        scrubber: createScrubber(),
        root,
        include: ['**'],
        excludePaths: [bundlePath],
        maxFileSize: 64 * 1024,
        maxTotalSize: 10 * MB,
      });
    } finally {
      if (asNobody) process.seteuid!(0);
    }
    manifest = (await writer.finish()).manifest;
  });

  afterAll(async () => {
    await new Promise((resolve) => socketServer.close(resolve));
    rmSync(work, {recursive: true, force: true});
  });

  const reasonOf = (source: string) => manifest.skipped.find((item) => item.source === source)?.reason;

  test('symbolic links are reported, never followed: to /etc/passwd, out of the root, loops, to /dev/zero', () => {
    expect(reasonOf('passwd-link')).toBe('symlink');
    expect(reasonOf('outside-link.log')).toBe('symlink');
    expect(reasonOf('loop-a')).toBe('symlink');
    expect(reasonOf('loop-b')).toBe('symlink');
    expect(reasonOf('dir/self')).toBe('symlink');
    expect(reasonOf('zero-link')).toBe('symlink');
  });

  test('FIFOs, sockets and an unreadable file are reported', () => {
    expect(reasonOf('pipe')).toBe('fifo');
    expect(reasonOf('socket')).toBe('socket');
    expect(reasonOf('unreadable.log')).toBe('unreadable');
  });

  test('a 5 GB sparse file is looked at, not read, and reported', () => {
    expect(reasonOf('sparse.log')).toBe('binary');
    expect(manifest.files.some((file) => file.source === 'sparse.log')).toBe(false);
  });

  test('a binary file is left out', () => {
    expect(reasonOf('image.bin')).toBe('binary');
  });

  test('a glob that matches the bundle being written leaves it out', () => {
    expect(reasonOf('out/bundle.tar.gz')).toBe('excluded');
    const partials = manifest.skipped.filter((item) => item.source.startsWith('out/.bundle.tar.gz.'));
    expect(partials.map((item) => item.reason)).toEqual(['excluded']);
    expect(manifest.files.some((file) => file.path.startsWith('files/out/'))).toBe(false);
  });

  test('a log over the per-file cap is tailed and marked truncated', async () => {
    const big = manifest.files.find((file) => file.source === 'big.log')!;
    expect(big.truncated).toBe(true);
    expect(big.size).toBeLessThanOrEqual(64 * 1024);
    const content = (await readBundleFile(bundlePath, 'files/big.log'))!.toString('utf8');
    expect(content.endsWith('line 39999 of a big log\n')).toBe(true);
    expect(content.startsWith('line ')).toBe(true); // the partial first line was dropped
  });

  test('names with newlines and invalid UTF-8 are escaped into safe archive paths', async () => {
    const paths = manifest.files.map((file) => file.path);
    expect(paths).toContain('files/bad%0Aname.log');
    expect(paths).toContain('files/f%FF%FE.log');
    expect(encodeArchivePath(newlineName)).toBe('bad%0Aname.log');
    const listing = execFileSync('tar', ['-tzf', bundlePath], {encoding: 'utf8'}).trim().split('\n');
    expect(listing.every((path) => !path.startsWith('/') && !path.split('/').includes('..'))).toBe(true);
    expect(listing).toContain('files/bad%0Aname.log');
    expect(listing).toContain('manifest.json');
  });

  test('nothing outside the root reached the bundle, and the bundle verifies', async () => {
    const inspection = await inspectBundle(bundlePath);
    const lint = await secretlintBundle(bundlePath);
    expect(lint.findings, lint.report).toBe(0);
    expect(inspection.problems).toEqual([]);
    const passwd = readFileSync('/etc/passwd', 'utf8').split('\n')[0]!;
    for (const entry of manifest.files) {
      const content = (await readBundleFile(bundlePath, entry.path))!.toString('latin1');
      expect(content).not.toContain('OUTSIDE-THE-ROOT');
      expect(content).not.toContain(passwd);
    }
    expect(manifest.files.map((file) => file.source).sort()).toEqual(
      ['bad%0Aname.log', 'big.log', 'f%FF%FE.log', 'normal.log'].sort(),
    );
    expect(statSync(bundlePath).mode & 0o777).toBe(0o600);
  });

  test('a device is reported, not read', async () => {
    const found = await findFiles({root: '/dev', include: ['zero', 'null']});
    expect(found.files).toEqual([]);
    expect(found.skipped.map((item) => item.reason)).toEqual(['device', 'device']);
  });

  test('a file swapped for a symlink between listing and opening is refused', async () => {
    const swapRoot = join(work, 'swap');
    mkdirSync(swapRoot);
    writeFileSync(join(swapRoot, 'app.log'), 'harmless\n');
    const found = await findFiles({root: swapRoot});
    expect(found.files).toHaveLength(1);
    unlinkSync(join(swapRoot, 'app.log'));
    symlinkSync('/etc/passwd', join(swapRoot, 'app.log'));
    const opened = await openCapped(found.files[0]!, {maxBytes: MB});
    expect(isSkipped(opened) && opened.reason).toBe('symlink');
  });

  test('a file swapped for a FIFO between listing and opening is refused without hanging', async () => {
    const swapRoot = join(work, 'swap-fifo');
    mkdirSync(swapRoot);
    writeFileSync(join(swapRoot, 'app.log'), 'harmless\n');
    const found = await findFiles({root: swapRoot});
    unlinkSync(join(swapRoot, 'app.log'));
    execFileSync('mkfifo', [join(swapRoot, 'app.log')]);
    const opened = await openCapped(found.files[0]!, {maxBytes: MB});
    expect(isSkipped(opened) && opened.reason).toBe('fifo');
  });

  test('a file that grows while read is read up to the size seen at open', async () => {
    const growRoot = join(work, 'grow');
    mkdirSync(growRoot);
    const file = join(growRoot, 'growing.log');
    writeFileSync(file, 'first line\n'.repeat(10_000));
    const found = await findFiles({root: growRoot});
    const opened = await openCapped(found.files[0]!, {maxBytes: 10 * MB});
    if (isSkipped(opened)) throw new Error(`skipped: ${opened.reason}`);
    for (let i = 0; i < 100; i++) appendFileSync(file, 'appended while reading\n'.repeat(100));
    const content = await text(opened.stream);
    expect(content.length).toBe(opened.size);
    expect(content).not.toContain('appended');
  });
});
