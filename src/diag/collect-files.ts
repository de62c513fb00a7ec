import type {BundleWriter, ManifestFile} from './bundle.js';
import {findFiles, isSkipped, openCapped, type FindFilesOptions, type SkippedFile} from './files.js';
import type {Scrubber} from './scrubber.js';

export interface CollectFilesOptions extends FindFilesOptions {
  writer: BundleWriter;
  scrubber: Scrubber;
  /** Name recorded in the manifest for each file. Default 'files'. */
  collector?: string;
  /** Folder in the archive the files go under. Default 'files'. */
  prefix?: string;
  maxFileSize: number;
  maxTotalSize: number;
  since?: Date;
  includeBinary?: boolean;
  /** Over the per-file cap, take the tail (default) or leave the file out. */
  tail?: boolean;
  signal?: AbortSignal;
}

export interface CollectFilesResult {
  files: ManifestFile[];
  skipped: SkippedFile[];
  /** Bytes read from the sources, before scrubbing. */
  bytesRead: number;
}

/**
 * Finds, reads, scrubs and adds files to a bundle, newest first so that the total cap keeps
 * the recent logs support asks for. Every file left out is recorded in the manifest.
 */
export async function collectFiles(options: CollectFilesOptions): Promise<CollectFilesResult> {
  const collector = options.collector ?? 'files';
  const prefix = (options.prefix ?? 'files').replace(/\/+$/, '');
  const excludePaths = [...(options.excludePaths ?? []), options.writer.partialPath];
  const found = await findFiles({...options, excludePaths});
  const skipped: SkippedFile[] = [...found.skipped];
  const files: ManifestFile[] = [];
  let used = 0;
  const candidates = [...found.files].sort((a, b) => b.mtimeMs - a.mtimeMs || a.relative.localeCompare(b.relative));
  for (const candidate of candidates) {
    options.signal?.throwIfAborted();
    const remaining = options.maxTotalSize - used;
    if (remaining <= 0) {
      skipped.push({source: candidate.relative, reason: 'too-large', detail: `the ${options.maxTotalSize}-byte total cap was reached`});
      continue;
    }
    const maxBytes = Math.min(options.maxFileSize, remaining);
    const opened = await openCapped(candidate, {maxBytes, tail: options.tail ?? true, since: options.since, includeBinary: options.includeBinary});
    if (isSkipped(opened)) {
      skipped.push(opened);
      continue;
    }
    used += opened.size - opened.start;
    const path = prefix ? `${prefix}/${candidate.relative}` : candidate.relative;
    try {
      if (opened.binary) {
        files.push(await options.writer.addFile({path, content: opened.stream, collector, binary: true, truncated: () => opened.truncated, source: candidate.relative, sourceSize: opened.size}));
      } else {
        const scrub = options.scrubber.stream({name: candidate.relative});
        opened.stream.on('error', (error) => scrub.destroy(error));
        files.push(
          await options.writer.addFile({
            path,
            content: opened.stream.pipe(scrub),
            collector,
            truncated: () => opened.truncated,
            redactions: () => scrub.redactions(),
            source: candidate.relative,
            sourceSize: opened.size,
          }),
        );
      }
    } catch (error) {
      opened.stream.destroy();
      skipped.push({source: candidate.relative, reason: 'error', detail: (error as Error).message});
    }
  }
  for (const item of skipped) options.writer.skip({...item, collector});
  return {files, skipped, bytesRead: used};
}
