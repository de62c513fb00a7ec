import {constants, type Dirent, type Stats} from 'node:fs';
import {lstat, open, readdir, realpath, type FileHandle} from 'node:fs/promises';
import {isAbsolute, relative as relativePath, resolve, sep} from 'node:path';
import {Readable, Transform, type TransformCallback} from 'node:stream';

import {encodeArchivePath} from './archive-path.js';
import {BINARY_SAMPLE_SIZE, detectBinary} from './binary.js';
import type {SkipReason} from './bundle.js';

export interface FindFilesOptions {
  /** Nothing outside it is listed or read; symbolic links are never followed. */
  root: string;
  /** Globs or plain paths, relative to root (absolute ones must lie inside it). Default: everything. */
  include?: string[];
  exclude?: string[];
  /** Files never collected whatever the globs say: the bundle being written and its partial file. */
  excludePaths?: string[];
  /** A walk stops listing after this many entries, so a huge tree cannot stall collection. */
  maxEntries?: number;
}

/** A regular file found by the walk, as lstat saw it. */
export interface FileCandidate {
  /** Absolute path as raw bytes: names need not be UTF-8. */
  path: Buffer;
  /** Path relative to the root, encoded for archives and manifests. */
  relative: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface SkippedFile {
  /** Relative to the root, encoded like archive paths. */
  source: string;
  reason: SkipReason;
  detail?: string;
}

export interface FoundFiles {
  files: FileCandidate[];
  skipped: SkippedFile[];
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Lists the files the globs select under root. It uses lstat only: a symbolic link is
 * reported, never followed (to /etc/passwd, out of the root, or round in a loop), and so are
 * FIFOs, sockets and devices, which can block or never end when read.
 */
export async function findFiles(options: FindFilesOptions): Promise<FoundFiles> {
  const {default: picomatch} = await import('picomatch');
  // The root is the user's choice, so a link there (/tmp -> /private/tmp) is resolved once.
  const root = await realpath(resolve(options.root)).catch(() => resolve(options.root));
  const includes = (options.include?.length ? options.include : ['**']).map((pattern) => toRelativePattern(root, pattern));
  const skipped: SkippedFile[] = [];
  const files = new Map<string, FileCandidate>();
  const excludedPaths = new Set((options.excludePaths ?? []).map((p) => resolve(p)));
  const excludedIds = new Set<string>();
  for (const path of excludedPaths) {
    const info = await lstat(path).catch(() => undefined);
    if (info) excludedIds.add(`${info.dev}:${info.ino}`);
  }
  const isExcluded = options.exclude?.length ? picomatch(options.exclude, {dot: true}) : () => false;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  let listed = 0;
  const reported = new Set<string>();
  const skip = (rel: Buffer, reason: SkipReason, detail?: string) => {
    const source = encodeArchivePath(rel);
    if (reported.has(source)) return;
    reported.add(source);
    skipped.push(detail === undefined ? {source, reason} : {source, reason, detail});
  };

  for (const pattern of includes) {
    if (pattern.outside) {
      skipped.push({source: pattern.original, reason: 'excluded', detail: 'outside the collection root'});
      continue;
    }
    const scan = picomatch.scan(pattern.relative);
    const matches = scan.isGlob ? picomatch(pattern.relative, {dot: true}) : undefined;
    const base = scan.isGlob ? scan.base : pattern.relative;
    // Walk from the glob's fixed prefix; a plain path is taken as it is (a directory: everything in it).
    const stack: Buffer[] = [Buffer.from(base === '.' ? '' : base, 'utf8')];
    // Without `**` a glob cannot match deeper than its own segments: do not walk below them.
    const maxDepth = !scan.isGlob || pattern.relative.includes('**') ? Infinity : pattern.relative.split('/').length;
    const plainMatch = (rel: string) => !matches && (rel === pattern.relative || pattern.relative === '' || rel.startsWith(`${pattern.relative}/`));
    while (stack.length > 0) {
      const rel = stack.pop()!;
      const abs = rel.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(root === sep ? '' : root), Buffer.from(sep), rel]);
      // Globs see the encoded name: picomatch's `*` does not cross a newline, and bytes that
      // are not UTF-8 would otherwise all decode to the same replacement character.
      const relText = encodeArchivePath(rel);
      const selected = matches ? matches(relText) : plainMatch(relText);
      let info: Stats;
      try {
        info = await lstat(abs);
      } catch (error) {
        if (selected || rel.length === 0 || relText === base) skip(rel, errorReason(error), errorDetail(error));
        continue;
      }
      if (++listed > maxEntries) {
        skipped.push({source: encodeArchivePath(rel), reason: 'excluded', detail: `more than ${maxEntries} entries under the root; the walk stopped here`});
        break;
      }
      if (info.isDirectory()) {
        let entries: Dirent<Buffer>[];
        try {
          entries = await readdir(abs, {withFileTypes: true, encoding: 'buffer'});
        } catch (error) {
          skip(rel, errorReason(error), errorDetail(error));
          continue;
        }
        for (const entry of entries.reverse()) {
          const childRel = rel.length === 0 ? Buffer.from(entry.name) : Buffer.concat([rel, Buffer.from('/'), entry.name]);
          if (depthOf(childRel) <= maxDepth) stack.push(childRel);
        }
        continue;
      }
      if (!selected) continue;
      if (isExcluded(relText)) {
        skip(rel, 'excluded', 'matches an exclude pattern');
        continue;
      }
      if (excludedPaths.has(abs.toString('utf8')) || excludedIds.has(`${info.dev}:${info.ino}`) || /\.tar\.gz\.[0-9a-f]+\.partial$/.test(relText)) {
        skip(rel, 'excluded', 'the bundle being written');
        continue;
      }
      const kind = fileKind(info);
      if (kind !== 'file') {
        skip(rel, kind, kindDetail(kind));
        continue;
      }
      const key = rel.toString('hex');
      if (!files.has(key)) {
        files.set(key, {path: abs, relative: encodeArchivePath(rel), size: info.size, mtimeMs: info.mtimeMs, dev: info.dev, ino: info.ino});
      }
    }
  }
  return {files: [...files.values()], skipped};
}

function depthOf(rel: Buffer): number {
  let depth = 1;
  for (const byte of rel) if (byte === 0x2f) depth++;
  return depth;
}

interface RelativePattern {
  original: string;
  relative: string;
  outside: boolean;
}

function toRelativePattern(root: string, pattern: string): RelativePattern {
  if (!isAbsolute(pattern)) {
    const cleaned = pattern.replace(/^\.\/+/, '').replace(/\/+$/, '');
    return {original: pattern, relative: cleaned === '.' ? '' : cleaned, outside: cleaned.split('/').includes('..')};
  }
  const rel = relativePath(root, pattern);
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return {original: pattern, relative: rel.split(sep).join('/'), outside};
}

type FileKind = 'file' | 'symlink' | 'fifo' | 'device' | 'socket' | 'directory';

function fileKind(info: Stats): FileKind {
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFIFO()) return 'fifo';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  if (info.isSocket()) return 'socket';
  if (info.isDirectory()) return 'directory';
  return 'file';
}

function kindDetail(kind: FileKind): string {
  switch (kind) {
    case 'symlink':
      return 'symbolic links are not followed';
    case 'fifo':
      return 'a named pipe: reading it could wait forever';
    case 'device':
      return 'a device: reading it could never end';
    case 'socket':
      return 'a socket';
    default:
      return kind;
  }
}

function errorReason(error: unknown): SkipReason {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ELOOP') return 'symlink';
  if (code === 'ENOENT') return 'error';
  return 'error';
}

function errorDetail(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'does not exist (or vanished while collecting)';
  if (code === 'ELOOP') return 'replaced by a symbolic link after it was listed; not followed';
  return (error as Error).message;
}

export interface ReadLimits {
  /** At most this many bytes are read. */
  maxBytes: number;
  /** Over the cap, take the last maxBytes (logs) rather than leaving the file out. Default true. */
  tail?: boolean;
  /** Keep only log lines from this time on, where the lines' timestamps can be read. */
  since?: Date;
  includeBinary?: boolean;
}

export interface OpenedFile {
  /** The selected bytes: up to the size seen at open, from `start`. */
  stream: Readable;
  /** Size when the file was opened; a file that grows meanwhile is read up to here. */
  size: number;
  start: number;
  /** The first KB looked binary (only returned so when includeBinary is set). */
  binary: boolean;
  /** True when less than the whole file is taken (tail, size cap or --since). Read after the stream ends. */
  readonly truncated: boolean;
}

/**
 * Opens a listed file without following links and without blocking, then checks the opened
 * descriptor: a file swapped for a symlink, a FIFO or another file between listing and
 * opening is refused rather than read.
 */
export async function openCapped(file: FileCandidate, limits: ReadLimits): Promise<OpenedFile | SkippedFile> {
  const skipped = (reason: SkipReason, detail: string): SkippedFile => ({source: file.relative, reason, detail});
  let handle: FileHandle;
  try {
    handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') return skipped('symlink', 'replaced by a symbolic link after it was listed; not followed');
    if (code === 'ENXIO') return skipped('socket', 'a socket');
    return skipped(errorReason(error), errorDetail(error));
  }
  let handed = false;
  try {
    const info = await handle.stat();
    const kind = fileKind(info);
    if (kind !== 'file') return skipped(kind, `became ${kindDetail(kind)} after it was listed`);
    if (info.dev !== file.dev || info.ino !== file.ino) return skipped('changed', 'replaced by another file after it was listed');
    const size = info.size;
    const tail = limits.tail ?? true;
    if (size > limits.maxBytes && !tail) return skipped('too-large', `${size} bytes, over the ${limits.maxBytes}-byte cap`);
    const start = size > limits.maxBytes ? size - limits.maxBytes : 0;
    let binary = false;
    if (size > start) {
      const sample = Buffer.alloc(Math.min(BINARY_SAMPLE_SIZE, size - start));
      const {bytesRead} = await handle.read(sample, 0, sample.length, start);
      const verdict = detectBinary(sample.subarray(0, bytesRead));
      binary = verdict.binary;
      if (binary && !limits.includeBinary) return skipped('binary', verdict.reason ?? 'binary content');
    }
    let truncated = start > 0;
    // end is inclusive; a file that grows while it is read is read up to the size seen at open.
    const raw = size === 0 ? Readable.from([]) : handle.createReadStream({start, end: size - 1, autoClose: true});
    if (size === 0) await handle.close();
    handed = true;
    let stream: Readable = raw;
    if (start > 0 && !binary) stream = stream.pipe(new DropFirstLine());
    if (limits.since && !binary) {
      const filter = new SinceFilter(limits.since);
      stream = stream.pipe(filter);
      stream.on('end', () => {
        if (filter.dropped) truncated = true;
      });
    }
    if (stream !== raw) raw.on('error', (error: Error) => stream.destroy(error));
    return {
      stream,
      size,
      start,
      binary,
      get truncated() {
        return truncated;
      },
    };
  } finally {
    if (!handed) await handle.close();
  }
}

export function isSkipped(value: OpenedFile | SkippedFile): value is SkippedFile {
  return 'reason' in value;
}

/** A tail starts mid-line; the partial first line is dropped so no half token is shown. */
class DropFirstLine extends Transform {
  private dropping = true;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.dropping) return callback(null, chunk);
    const nl = chunk.indexOf(0x0a);
    if (nl === -1) return callback();
    this.dropping = false;
    callback(null, chunk.subarray(nl + 1));
  }
}

const ISO_TIME = /^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG_TIME = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}:\d{2}:\d{2})/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The time at the start of a log line (ISO 8601 or syslog), if there is one. */
export function parseLineTime(line: string, now = new Date()): number | undefined {
  const iso = ISO_TIME.exec(line);
  if (iso) {
    const zone = iso[3] ? (iso[3] === 'Z' ? 'Z' : iso[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : '';
    const ms = Date.parse(`${iso[1]}T${iso[2]!.replace(',', '.')}${zone}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const sys = SYSLOG_TIME.exec(line);
  if (sys) {
    const month = MONTHS.indexOf(sys[1]!);
    if (month === -1) return undefined;
    const [h, m, s] = sys[3]!.split(':').map(Number) as [number, number, number];
    const date = new Date(now.getFullYear(), month, Number(sys[2]), h, m, s);
    // Syslog has no year: a date ahead of now belongs to last year.
    if (date.getTime() > now.getTime() + 86_400_000) date.setFullYear(date.getFullYear() - 1);
    return date.getTime();
  }
  return undefined;
}

/**
 * Drops log lines older than `since`. Lines without a time (stack traces) go with the last
 * timed line before them; once a line at or after `since` is seen, the rest passes as is,
 * since logs are written in order. A file with no readable times is kept whole.
 */
class SinceFilter extends Transform {
  dropped = false;
  private passing = false;
  private dropUntimed = false;
  private partial = '';
  private readonly since: number;

  constructor(since: Date) {
    super();
    this.since = since.getTime();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.passing) return callback(null, chunk);
    const text = this.partial + chunk.toString('latin1');
    let out = '';
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const line = text.slice(start, nl + 1);
      start = nl + 1;
      if (this.keep(line)) out += line;
      if (this.passing) {
        out += text.slice(start);
        start = text.length;
        break;
      }
    }
    this.partial = text.slice(start);
    // A line longer than a megabyte is no log line with a time prefix worth waiting for.
    if (this.partial.length > 1024 * 1024) {
      this.passing = true;
      out += this.partial;
      this.partial = '';
    }
    callback(null, out ? Buffer.from(out, 'latin1') : undefined);
  }

  override _flush(callback: TransformCallback): void {
    if (this.partial && this.keep(this.partial)) this.push(Buffer.from(this.partial, 'latin1'));
    callback();
  }

  private keep(line: string): boolean {
    const time = parseLineTime(line);
    if (time === undefined) {
      if (this.dropUntimed) this.dropped = true;
      return !this.dropUntimed;
    }
    if (time >= this.since) {
      this.passing = true;
      return true;
    }
    this.dropUntimed = true;
    this.dropped = true;
    return false;
  }
}
