import {createReadStream} from 'node:fs';
import {stat} from 'node:fs/promises';
import {basename, extname} from 'node:path';

import type {AttachmentSource} from '../backends/backend.js';
import {UsageError} from '../domain/errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
};

/** Checks a file to attach before anything is sent; the stream is opened anew for each attempt. */
export async function fileAttachmentSource(path: string): Promise<AttachmentSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`The file to attach, ${path}, does not exist.`, {hint: 'Check the path given to --attach.'});
  }
  if (info.isDirectory()) {
    throw new UsageError(`${path} is a directory, not a file.`, {
      hint: 'Attach files one by one, or pack the directory first: tar czf logs.tgz DIR.',
    });
  }
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file.`, {hint: 'Attach a regular file.'});
  return {
    name: basename(path),
    size: info.size,
    contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    open: () => createReadStream(path),
  };
}
