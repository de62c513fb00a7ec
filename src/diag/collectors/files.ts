import {collectFiles} from '../collect-files.js';
import type {LogSpec} from '../collection-profile.js';
import type {Collector} from './collector.js';

/** The total size cap, shared by every collector that adds files. */
export interface SizeBudget {
  remaining: number;
}

export interface FileCollectorOptions {
  root: string;
  /** Files and globs under root, taken whole up to the per-file cap (config files, say). */
  files: string[];
  logs: LogSpec[];
  exclude: string[];
  /** Never collected whatever the globs say: the bundle being written, its final path. */
  excludePaths: string[];
  maxFileSize: number;
  budget: SizeBudget;
  since?: Date;
  includeBinary?: boolean;
}

/**
 * Files and globs from the profile and --include: under files/ in the bundle. They are read
 * as they are (a tail over the per-file cap), scrubbed, and every one left out is recorded.
 */
export function filesCollector(options: FileCollectorOptions): Collector {
  return {
    name: 'files',
    timeoutMs: 10 * 60_000,
    async run(ctx) {
      const result = await collectFiles({
        writer: ctx.writer,
        scrubber: ctx.scrubber,
        root: options.root,
        include: options.files,
        exclude: options.exclude,
        excludePaths: options.excludePaths,
        collector: 'files',
        prefix: 'files',
        maxFileSize: options.maxFileSize,
        maxTotalSize: Math.max(0, options.budget.remaining),
        includeBinary: options.includeBinary,
        signal: ctx.signal,
      });
      options.budget.remaining -= result.bytesRead;
    },
  };
}

/** Log tails under logs/: the last N bytes of each, from --since (or the entry's own since) on. */
export function logsCollector(options: FileCollectorOptions): Collector {
  return {
    name: 'logs',
    timeoutMs: 10 * 60_000,
    async run(ctx) {
      for (const spec of options.logs) {
        ctx.signal.throwIfAborted();
        const result = await collectFiles({
          writer: ctx.writer,
          scrubber: ctx.scrubber,
          root: options.root,
          include: [spec.path],
          exclude: options.exclude,
          excludePaths: options.excludePaths,
          collector: 'logs',
          prefix: 'logs',
          maxFileSize: Math.min(spec.tailBytes ?? options.maxFileSize, options.maxFileSize),
          maxTotalSize: Math.max(0, options.budget.remaining),
          since: spec.since ?? options.since,
          includeBinary: options.includeBinary,
          tail: true,
          signal: ctx.signal,
        });
        options.budget.remaining -= result.bytesRead;
      }
    },
  };
}
