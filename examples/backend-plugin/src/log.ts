import {mkdir, open, readFile} from 'node:fs/promises';
import {dirname} from 'node:path';

import lockfile from 'proper-lockfile';
import {SupportError, UnavailableError} from 'supportkit-cli/backend';

/**
 * The JSON Lines file: one record a line, only ever appended to. Writers take a lock beside the
 * file (`FILE.lock`, a directory: atomic on every file system) for reading the end of the log and
 * appending to it, so two processes never give out the same id. Readers take no lock: a line
 * still being written, or left half-written by a writer that died, has no newline yet and is
 * not read; the next writer cuts it off before it appends.
 */
export class JsonLinesLog<R> {
  constructor(readonly path: string) {}

  /** Every complete record, oldest first. */
  async read(): Promise<R[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.unusable(error);
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: nothing, or a torn line
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as R;
      } catch {
        throw new UnavailableError(`Line ${i + 1} of ${this.path} is not a JSON record, so the tickets in it cannot be read.`, {
          hint: 'Restore the file from a copy, or remove that line by hand if you know what it held.',
        });
      }
    });
  }

  /**
   * Under the lock: reads the log, lets `decide` choose the records to append (or throw), and
   * appends them in one write, synced to disk before the lock is let go. Answers what decide did.
   */
  async append<T>(decide: (records: R[]) => {append: R[]; result: T}): Promise<T> {
    try {
      await mkdir(dirname(this.path), {recursive: true});
    } catch (error) {
      throw this.unusable(error);
    }
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.path, {realpath: false, stale: 10_000, retries: {retries: 50, minTimeout: 10, maxTimeout: 200, randomize: true}});
    } catch (error) {
      throw new UnavailableError(`Another process has held the lock on ${this.path} for too long.`, {
        hint: `Try again; if no other support command is running, remove ${this.path}.lock.`,
        cause: error,
      });
    }
    try {
      await this.cutTornTail();
      const {append, result} = decide(await this.read());
      if (append.length) {
        const file = await open(this.path, 'a', 0o600);
        try {
          await file.write(append.map((r) => `${JSON.stringify(r)}\n`).join(''));
          await file.datasync();
        } finally {
          await file.close();
        }
      }
      return result;
    } catch (error) {
      if (error instanceof SupportError) throw error;
      throw this.unusable(error);
    } finally {
      await release().catch(() => {});
    }
  }

  /** A line without its newline, left by a writer that died mid-write: the lock says none is writing now. */
  private async cutTornTail(): Promise<void> {
    let file;
    try {
      file = await open(this.path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const {size} = await file.stat();
      if (size === 0) return;
      const last = Buffer.alloc(1);
      await file.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
      // Find the last newline, reading backwards in blocks.
      const block = Buffer.alloc(64 * 1024);
      let end = size;
      while (end > 0) {
        const start = Math.max(0, end - block.length);
        const {bytesRead} = await file.read(block, 0, end - start, start);
        const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (at !== -1) {
          await file.truncate(start + at + 1);
          return;
        }
        end = start;
      }
      await file.truncate(0);
    } finally {
      await file.close();
    }
  }

  private unusable(error: unknown): UnavailableError {
    const e = error as NodeJS.ErrnoException;
    return new UnavailableError(`Could not use ${this.path}: ${e.code ?? e.message}.`, {
      hint: 'Check that the file and its folder exist and that you may write them (--option path= of the profile).',
      cause: error,
    });
  }
}
