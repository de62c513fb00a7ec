import {readFile, stat} from 'node:fs/promises';

import {UsageError} from '../domain/errors.js';

const decoder = new TextDecoder('utf-8', {fatal: true});

function decode(bytes: Uint8Array, source: string): string {
  try {
    return decoder.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new UsageError(`${source} is not valid UTF-8 text.`, {
      hint: 'Convert it first (e.g. iconv -f latin1 -t utf-8), or send binary data with --attach FILE.',
    });
  }
}

export async function readStdin(stdin: NodeJS.ReadableStream & {isTTY?: boolean}, limitBytes: number): Promise<string> {
  if (stdin.isTTY) {
    throw new UsageError('Reading from standard input, but it is a terminal.', {
      hint: 'Pipe the text in (echo "..." | support ...), or use --body "..." instead of -.',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    // Read a little past the limit so that the size error can say how far over it is.
    if (size > limitBytes * 8) break;
    chunks.push(buf);
  }
  return decode(Buffer.concat(chunks), 'Standard input');
}

/** The text of `--body-file`: a path, or `-` for standard input. */
export async function readTextFile(path: string, stdin: NodeJS.ReadableStream & {isTTY?: boolean}, limitBytes: number): Promise<string> {
  if (path === '-') return readStdin(stdin, limitBytes);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(`The file ${path} does not exist.`, {hint: 'Check the path, or use - to read standard input.'});
  }
  if (!info.isFile()) throw new UsageError(`${path} is not a regular file.`, {hint: 'Give the path of a text file.'});
  if (info.size > limitBytes * 8) {
    throw new UsageError(`The file ${path} is too large to be a message body.`, {hint: 'Attach it with --attach FILE instead.'});
  }
  return decode(await readFile(path), `The file ${path}`);
}

/** The text given by `--body` or `--body-file` (a path, or - for stdin); undefined when neither. */
export async function textFromFlags(
  inline: string | undefined,
  file: string | undefined,
  stdin: NodeJS.ReadableStream & {isTTY?: boolean},
  limitBytes: number,
): Promise<string | undefined> {
  if (inline !== undefined) return inline === '-' ? readStdin(stdin, limitBytes) : inline;
  if (file !== undefined) return readTextFile(file, stdin, limitBytes);
  return undefined;
}
