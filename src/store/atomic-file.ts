import {randomBytes} from 'node:crypto';
import {closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';

import {ConfigError} from '../domain/errors.js';

interface FsError extends Error {
  code?: string;
  path?: string;
}

/**
 * Why a file under the CLI's own directories could not be written, as the end of one sentence
 * ("the disk is full", "/x is on a read-only file system"); undefined when there is no plain
 * cause to name.
 */
export function describeWriteFailure(error: unknown, file: string): string | undefined {
  const dir = dirname(file);
  switch ((error as FsError)?.code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EFBIG':
      return 'the file size limit of this process (ulimit -f) was reached';
    case 'EROFS':
      return `${dir} is on a read-only file system`;
    case 'EACCES':
    case 'EPERM':
      return `${dir} is not writable by this user`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${fileInTheWay(dir) ?? dir} is a file where a directory is expected`;
    case 'EISDIR':
      return `${file} is a directory`;
    case 'EIO':
      return 'the disk reported an I/O error';
    default:
      return undefined;
  }
}

/** Why a file of the CLI's could not be read, as the end of one sentence. */
export function describeReadFailure(error: unknown, file: string): string {
  const code = (error as FsError)?.code;
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return `${fileInTheWay(dirname(file)) ?? dirname(file)} is a file where a directory is expected`;
  if (code === 'EIO') return 'the disk reported an I/O error';
  return (error as Error).message;
}

/** The first path on the way to `dir` that exists and is not a directory. */
function fileInTheWay(dir: string): string | undefined {
  const parts: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    parts.unshift(p);
    if (dirname(p) === p) break;
  }
  try {
    for (const p of parts) {
      const info = statSync(p, {throwIfNoEntry: false});
      if (!info) return undefined;
      if (!info.isDirectory()) return p;
    }
  } catch {
    // cannot look: say the directory itself
  }
  return undefined;
}

export interface AtomicWriteOptions {
  /** The file's mode, for a new file and the replaced one alike. */
  mode: number;
  /** Mode of directories made on the way. */
  dirMode?: number;
  /** What the file is, for the message: "the settings file", "the credentials file". */
  what: string;
  /** What to do about it. */
  hint?: string;
}

/**
 * Replaces a file whole or not at all: a temporary file beside it, every byte written (a short
 * write on a full disk is an error here, never a shorter file), flushed to disk, renamed over
 * the old one, and the directory flushed. On any failure the temporary file is removed and the
 * old file is as it was; the error is one sentence naming the file and why.
 *
 * Written by hand because the libraries made for it (atomically, under conf; write-file-atomic)
 * issue one write and ignore a short count, so a full disk publishes a truncated file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    mkdirSync(dir, {recursive: true, mode: options.dirMode ?? 0o700});
    fd = openSync(temp, 'wx', options.mode);
    // Node loops over short writes here and throws the error (ENOSPC) that ends them.
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    const expected = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (statSync(temp).size !== expected) throw Object.assign(new Error('short write'), {code: 'EIO'});
    renameSync(temp, path);
    syncDirectory(dir);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the write's own error is the one to report
      }
    }
    rmSync(temp, {force: true});
    const why = describeWriteFailure(error, path);
    throw new ConfigError(`Could not save ${options.what} ${path}: ${why ?? (error as Error).message}; the file was left as it was.`, {
      hint: options.hint ?? hintFor(error, dir),
      cause: error,
    });
  }
}

function hintFor(error: unknown, dir: string): string {
  const code = (error as FsError)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `Free some space on the disk that holds ${dir}, then run the command again.`;
  if (code === 'EFBIG') return 'Raise the limit (ulimit -f unlimited), then run the command again.';
  return `Make ${dir} a writable directory, or point SUPPORT_CONFIG_DIR at one, then run the command again.`;
}

/** The rename is durable only once the directory is flushed; some file systems cannot, which costs only that. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here (some network and Windows file systems)
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
