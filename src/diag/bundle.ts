import {createHash, randomBytes} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {chmod, mkdtemp, open, rename, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {basename, dirname, join} from 'node:path';
import {Readable, type Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {once} from 'node:events';
import type {Gzip} from 'node:zlib';

import {SupportError, UsageError} from '../domain/errors.js';
import {assertSafeArchivePath, unsafeArchivePath} from './archive-path.js';
import {manifestProblem, MAX_MANIFEST_BYTES} from './manifest.js';
import type {RedactionCounts} from './scrubber.js';
import {TAR_END, tarFileHeader, tarPadding} from './tar.js';

export const BUNDLE_FORMAT_VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';

/** Why an item was left out of the bundle. */
export type SkipReason =
  | 'symlink'
  | 'device'
  | 'fifo'
  | 'socket'
  | 'directory'
  | 'unreadable'
  | 'too-large'
  | 'binary'
  | 'excluded'
  | 'changed'
  | 'error';

export interface ManifestFile {
  /** Relative path inside the archive (see archive-path.ts for how odd names are written). */
  path: string;
  /** Bytes in the archive, after scrubbing. */
  size: number;
  sha256: string;
  collector: string;
  /** Only part of the source was taken (a log tail, a size cap). */
  truncated: boolean;
  redactions: RedactionCounts;
  /** Added as it is, unscrubbed, because binaries were asked for. */
  binary?: boolean;
  /** Where it came from, encoded like archive paths; absent for generated content. */
  source?: string;
  /** The source's size when it was opened. */
  sourceSize?: number;
}

export interface ManifestSkip {
  /** The path left out, encoded like archive paths. */
  source: string;
  reason: SkipReason;
  detail?: string;
  collector?: string;
}

/** How a collector went: each runs alone, so one failing leaves the others' output intact. */
export interface ManifestCollector {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface Manifest {
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  toolkit: {name: string; version: string};
  createdAt: string;
  files: ManifestFile[];
  skipped: ManifestSkip[];
  collectors: ManifestCollector[];
  /** Totals over all files, per rule. */
  redactions: RedactionCounts;
}

export interface BundleWriterOptions {
  /** The .tar.gz to write; it appears only when finish() succeeds. */
  path: string;
  toolkitVersion: string;
  toolkitName?: string;
  createdAt?: Date;
  /** Where streamed entries are spooled to learn their size (defaults to the OS temp dir). */
  tempDir?: string;
  /** gzip level, 1 (fast) to 9 (small). */
  level?: number;
}

export interface NewBundleFile {
  path: string;
  /** A stream is spooled to a private temp file first: a tar header needs the size up front. */
  content: Readable | NodeJS.ReadableStream | Buffer | string;
  collector: string;
  /** A function is called once the content has been read (a --since filter knows only then). */
  truncated?: boolean | (() => boolean);
  /** Binary content added as it is, without scrubbing (--include-binary). */
  binary?: boolean;
  /** A function is called once the content has been read, when a scrub stream knows its counts. */
  redactions?: RedactionCounts | (() => RedactionCounts);
  source?: string;
  sourceSize?: number;
}

export interface FinishedBundle {
  path: string;
  /** Compressed size on disk. */
  size: number;
  manifest: Manifest;
}

/**
 * Writes a diagnostic bundle as a stream: entries go through gzip to a 0600 temp file beside
 * the target as they are added, and manifest.json is written last, when every checksum is
 * known. The temp file is renamed into place only when the bundle is complete.
 */
export class BundleWriter {
  private readonly files: ManifestFile[] = [];
  private readonly skipped: ManifestSkip[] = [];
  private readonly collectors: ManifestCollector[] = [];
  private readonly names = new Set<string>([MANIFEST_PATH]);
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private spoolDir: string | undefined;

  private constructor(
    private readonly options: BundleWriterOptions,
    private readonly tempPath: string,
    private readonly gzip: Gzip,
    private readonly done: Promise<void>,
  ) {}

  static async create(options: BundleWriterOptions): Promise<BundleWriter> {
    const {createGzip} = await import('node:zlib');
    const tempPath = join(dirname(options.path), `.${basename(options.path)}.${randomBytes(6).toString('hex')}.partial`);
    // O_EXCL with 0600 from the first byte: no window in which another user can open it.
    const handle = await open(tempPath, 'wx', 0o600);
    const gzip = createGzip({level: options.level ?? 6});
    const out = handle.createWriteStream();
    const done = pipeline(gzip, out);
    done.catch(() => undefined); // reported by finish() or abort()
    return new BundleWriter(options, tempPath, gzip, done);
  }

  /** The temp file being written, so file collection can leave it out. */
  get partialPath(): string {
    return this.tempPath;
  }

  /** Adds one file. Calls are queued, so entries never interleave. */
  addFile(file: NewBundleFile): Promise<ManifestFile> {
    if (this.closed) return Promise.reject(new SupportError('The bundle is already finished.'));
    try {
      assertSafeArchivePath(file.path);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.names.has(file.path)) return Promise.reject(new UsageError(`The bundle already has a file named ${file.path}.`));
    this.names.add(file.path);
    const next = this.queue.then(() => this.writeFile(file));
    this.queue = next.catch(() => undefined);
    return next;
  }

  skip(item: ManifestSkip): void {
    this.skipped.push(item);
  }

  recordCollector(result: ManifestCollector): void {
    this.collectors.push(result);
  }

  /** What has been recorded so far: the consent summary is built from it. */
  snapshot(): Pick<Manifest, 'files' | 'skipped' | 'collectors'> {
    return {files: [...this.files], skipped: [...this.skipped], collectors: [...this.collectors]};
  }

  async finish(): Promise<FinishedBundle> {
    await this.queue;
    this.closed = true;
    const manifest: Manifest = {
      formatVersion: BUNDLE_FORMAT_VERSION,
      toolkit: {name: this.options.toolkitName ?? 'supportkit', version: this.options.toolkitVersion},
      createdAt: (this.options.createdAt ?? new Date()).toISOString(),
      files: this.files,
      skipped: this.skipped,
      collectors: this.collectors,
      redactions: totalRedactions(this.files),
    };
    try {
      const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
      await this.put(tarFileHeader({path: MANIFEST_PATH, size: body.length, mtime: new Date(manifest.createdAt)}));
      await this.put(body);
      await this.put(tarPadding(body.length));
      await this.put(TAR_END);
      this.gzip.end();
      await this.done;
      await chmod(this.tempPath, 0o600);
      await rename(this.tempPath, this.options.path);
      const {size} = await (await import('node:fs/promises')).stat(this.options.path);
      return {path: this.options.path, size, manifest};
    } catch (error) {
      await this.abort();
      throw error;
    } finally {
      await this.removeSpool();
    }
  }

  /** Stops writing and removes the partial file. */
  async abort(): Promise<void> {
    this.closed = true;
    this.gzip.destroy();
    await this.done.catch(() => undefined);
    await rm(this.tempPath, {force: true});
    await this.removeSpool();
  }

  private async writeFile(file: NewBundleFile): Promise<ManifestFile> {
    const mtime = new Date(this.options.createdAt ?? Date.now());
    let size: number;
    let sha256: string;
    if (typeof file.content === 'string' || Buffer.isBuffer(file.content)) {
      const body = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      size = body.length;
      sha256 = createHash('sha256').update(body).digest('hex');
      await this.put(tarFileHeader({path: file.path, size, mtime}));
      await this.put(body);
    } else {
      const spooled = await this.spool(file.content);
      size = spooled.size;
      sha256 = spooled.sha256;
      try {
        await this.put(tarFileHeader({path: file.path, size, mtime}));
        let written = 0;
        for await (const chunk of createReadStream(spooled.path)) {
          written += (chunk as Buffer).length;
          await this.put(chunk as Buffer);
        }
        if (written !== size) throw new SupportError(`The spooled copy of ${file.path} changed while it was added.`);
      } finally {
        await rm(spooled.path, {force: true});
      }
    }
    await this.put(tarPadding(size));
    const redactions = typeof file.redactions === 'function' ? file.redactions() : (file.redactions ?? {});
    const truncated = typeof file.truncated === 'function' ? file.truncated() : (file.truncated ?? false);
    const entry: ManifestFile = {path: file.path, size, sha256, collector: file.collector, truncated, redactions};
    if (file.binary) entry.binary = true;
    if (file.source !== undefined) entry.source = file.source;
    if (file.sourceSize !== undefined) entry.sourceSize = file.sourceSize;
    this.files.push(entry);
    return entry;
  }

  private async spool(content: Readable | NodeJS.ReadableStream): Promise<{path: string; size: number; sha256: string}> {
    this.spoolDir ??= await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'support-diag-'));
    const path = join(this.spoolDir, randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(path, 'wx', 0o600);
    const sink = handle.createWriteStream();
    await pipeline(
      content as Readable,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const chunk of source) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          hash.update(buffer);
          size += buffer.length;
          yield buffer;
        }
      },
      sink,
    );
    return {path, size, sha256: hash.digest('hex')};
  }

  private async put(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    if (this.gzip.destroyed) throw new SupportError('The bundle could not be written.', {cause: this.gzip.errored});
    if (!this.gzip.write(chunk)) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }

  private async removeSpool(): Promise<void> {
    if (this.spoolDir) await rm(this.spoolDir, {recursive: true, force: true});
    this.spoolDir = undefined;
  }
}

export function createBundleWriter(options: BundleWriterOptions): Promise<BundleWriter> {
  return BundleWriter.create(options);
}

function totalRedactions(files: ManifestFile[]): RedactionCounts {
  const totals = new Map<string, number>();
  for (const file of files) {
    for (const [rule, n] of Object.entries(file.redactions)) totals.set(rule, (totals.get(rule) ?? 0) + n);
  }
  return Object.fromEntries([...totals].sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------
// Reading

export type BundleProblemKind =
  | 'no-manifest'
  | 'bad-manifest'
  | 'missing'
  | 'unexpected'
  | 'checksum-mismatch'
  | 'size-mismatch'
  | 'duplicate'
  | 'unsafe-path'
  | 'not-a-file'
  | 'corrupt';

export interface BundleProblem {
  kind: BundleProblemKind;
  path?: string;
  detail: string;
}

export interface BundleEntry {
  path: string;
  size: number;
  sha256: string;
  type: string;
}

export interface BundleInspection {
  /** True when every file matches the manifest and nothing else is in the archive. */
  ok: boolean;
  /**
   * Why the file is not a valid bundle at all (no manifest, an unreadable archive, a manifest
   * of the wrong shape), in words; then nothing else can be checked and `manifest` is absent.
   */
  invalid?: string;
  /** Present only when it passed the checks of manifest.ts. */
  manifest?: Manifest;
  entries: BundleEntry[];
  problems: BundleProblem[];
}

/**
 * Reads a bundle in one streaming pass, hashing each entry as it goes by, then checks every
 * entry against the manifest: what support runs before trusting a bundle.
 */
export async function inspectBundle(path: string): Promise<BundleInspection> {
  const {Parser} = await import('tar');
  const entries: BundleEntry[] = [];
  const problems: BundleProblem[] = [];
  /** null: there is one, but it is too large to read. */
  let manifestText: string | null | undefined;
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];

  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      const entryPath = entry.path;
      const unsafe = unsafeArchivePath(entryPath);
      if (unsafe) problems.push({kind: 'unsafe-path', path: entryPath, detail: unsafe});
      if (seen.has(entryPath)) problems.push({kind: 'duplicate', path: entryPath, detail: 'the archive holds this path more than once'});
      seen.add(entryPath);
      if (entry.type !== 'File' && entry.type !== 'OldFile') {
        problems.push({kind: 'not-a-file', path: entryPath, detail: `the archive holds a ${entry.type} entry`});
        entry.resume();
        return;
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      const isManifest = entryPath === MANIFEST_PATH;
      pending.push(
        new Promise<void>((resolve) => {
          entry.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            size += chunk.length;
            if (isManifest && size <= MAX_MANIFEST_BYTES) chunks.push(chunk);
          });
          entry.on('end', () => {
            entries.push({path: entryPath, size, sha256: hash.digest('hex'), type: entry.type});
            if (isManifest) manifestText = size > MAX_MANIFEST_BYTES ? null : Buffer.concat(chunks).toString('utf8');
            resolve();
          });
        }),
      );
    },
  });

  try {
    await pipeline(createReadStream(path), parser as unknown as Writable);
    await Promise.all(pending);
  } catch (error) {
    problems.push({kind: 'corrupt', detail: `the archive cannot be read to the end: ${(error as Error).message}`});
  }

  let manifest: Manifest | undefined;
  let invalid: string | undefined;
  if (manifestText === undefined) {
    const corrupt = problems.find((p) => p.kind === 'corrupt');
    invalid = corrupt ? corrupt.detail : `the archive has no ${MANIFEST_PATH}`;
    if (!corrupt) problems.push({kind: 'no-manifest', detail: invalid});
  } else if (manifestText === null) {
    invalid = `its ${MANIFEST_PATH} is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB`;
    problems.push({kind: 'bad-manifest', detail: invalid});
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestText);
      invalid = await manifestProblem(parsed, BUNDLE_FORMAT_VERSION);
    } catch (error) {
      invalid = `${MANIFEST_PATH} is not valid JSON: ${(error as Error).message}`;
    }
    if (invalid) problems.push({kind: 'bad-manifest', detail: invalid});
    else manifest = parsed as Manifest;
  }

  if (manifest) {
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    const listed = new Set<string>();
    for (const file of manifest.files) {
      listed.add(file.path);
      const entry = byPath.get(file.path);
      if (!entry) problems.push({kind: 'missing', path: file.path, detail: 'listed in the manifest but not in the archive'});
      else if (entry.size !== file.size) {
        problems.push({kind: 'size-mismatch', path: file.path, detail: `the manifest says ${file.size} bytes, the archive has ${entry.size}`});
      } else if (entry.sha256 !== file.sha256) {
        problems.push({kind: 'checksum-mismatch', path: file.path, detail: 'the sha256 differs from the manifest'});
      }
    }
    for (const entry of entries) {
      if (entry.path !== MANIFEST_PATH && !listed.has(entry.path)) {
        problems.push({kind: 'unexpected', path: entry.path, detail: 'in the archive but not in the manifest'});
      }
    }
  }

  const result: BundleInspection = {ok: problems.length === 0, entries, problems};
  if (invalid) result.invalid = invalid;
  if (manifest) result.manifest = manifest;
  return result;
}

/** Reads one file of a bundle into memory (for tests and `diag inspect --show`); small files only. */
export async function readBundleFile(path: string, archivePath: string): Promise<Buffer | undefined> {
  const {Parser} = await import('tar');
  let found: Buffer | undefined;
  const parser = new Parser({
    onReadEntry: (entry) => {
      if (entry.path !== archivePath) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        found = Buffer.concat(chunks);
      });
    },
  });
  await pipeline(Readable.from(createReadStream(path)), parser as unknown as Writable);
  return found;
}
