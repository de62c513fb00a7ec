import {createHash, randomUUID} from 'node:crypto';
import {createReadStream, createWriteStream, type WriteStream} from 'node:fs';
import {mkdir, open, rm, stat} from 'node:fs/promises';
import {extname, join} from 'node:path';
import {finished} from 'node:stream/promises';

import type {BulkFormat, RowValues} from '../domain/bulk.js';
import {UsageError} from '../domain/errors.js';
import {formatCsvRecord, parseCsv} from './csv.js';

/** One row as read, before it is checked: its values, or why it could not be read. */
export interface SourceRow {
  /** Line of the input the row starts on (1-based); for a selection, its position in it. */
  line: number;
  /** What the journal knows the row by. */
  key: string;
  values?: RowValues;
  error?: string;
  /** The row as the input had it, to write it back to a --failures file. */
  raw: string | string[];
}

/** Rows that can be read twice: once to check them all, once to apply them. */
export interface RowSource {
  /** For messages: the file name, "standard input" or "the selection". */
  readonly label: string;
  readonly format: BulkFormat;
  /** CSV header, once read. */
  header?: string[];
  rows(): AsyncIterable<SourceRow>;
  /** What identifies the input for the journal: the hash of its bytes, known after one full pass of rows(). */
  identity(): string | undefined;
  close(): Promise<void>;
}

const decoderFor = () => new TextDecoder('utf-8', {fatal: true});

async function* decodeFile(path: string, label: string, onChunk?: (chunk: Buffer) => void): AsyncGenerator<string> {
  const decoder = decoderFor();
  try {
    for await (const chunk of createReadStream(path, {highWaterMark: 64 * 1024})) {
      onChunk?.(chunk as Buffer);
      yield decoder.decode(chunk as Buffer, {stream: true});
    }
    yield decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) {
      throw new UsageError(`${label} is not valid UTF-8 text.`, {hint: 'Convert it first, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8.csv.'});
    }
    throw error;
  }
}

async function* jsonlRows(chunks: AsyncIterable<string>): AsyncGenerator<SourceRow> {
  let rest = '';
  let line = 0;
  const rowOf = (text: string, n: number): SourceRow | undefined => {
    const trimmed = text.replace(/\r$/, '');
    if (!trimmed.trim()) return undefined;
    const key = `line:${n}`;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      return {line: n, key, raw: trimmed, error: `not valid JSON (${(error as Error).message}).`};
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {line: n, key, raw: trimmed, error: 'not a JSON object.'};
    return {line: n, key, raw: trimmed, values: value as RowValues};
  };
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    if (chunk) first = false;
    rest += chunk;
    let start = 0;
    let at: number;
    while ((at = rest.indexOf('\n', start)) !== -1) {
      const row = rowOf(rest.slice(start, at), ++line);
      start = at + 1;
      if (row) yield row;
    }
    rest = rest.slice(start);
  }
  const last = rowOf(rest, line + 1);
  if (last) yield last;
}

async function* csvRows(chunks: AsyncIterable<string>, source: {header?: string[]}): AsyncGenerator<SourceRow> {
  let header: string[] | undefined;
  for await (const record of parseCsv(chunks)) {
    if (!header) {
      if (record.error) throw new UsageError(`The CSV header on line ${record.line} cannot be read: ${record.error}.`);
      header = record.cells.map((h) => h.trim());
      const seen = new Set<string>();
      for (const name of header) {
        if (!name) throw new UsageError(`The CSV header on line ${record.line} has an empty column name.`, {hint: 'Name every column: title,body,priority,...'});
        if (seen.has(name)) throw new UsageError(`The CSV header names the column "${name}" twice.`);
        seen.add(name);
      }
      source.header = header;
      continue;
    }
    const key = `line:${record.line}`;
    if (record.error) {
      yield {line: record.line, key, raw: record.cells, error: `malformed CSV: ${record.error}.`};
    } else if (record.cells.length !== header.length) {
      yield {line: record.line, key, raw: record.cells, error: `malformed CSV: ${record.cells.length} cells, but the header has ${header.length} columns.`};
    } else {
      const values: RowValues = {};
      header.forEach((name, i) => (values[name] = record.cells[i]));
      yield {line: record.line, key, raw: record.cells, values};
    }
  }
}

export function formatFromName(name: string): BulkFormat | undefined {
  const ext = extname(name).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return undefined;
}

/** A JSONL file starts with "{"; anything else is taken for CSV. */
async function sniffFormat(path: string): Promise<BulkFormat> {
  const handle = await open(path, 'r');
  try {
    const {buffer, bytesRead} = await handle.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return head.startsWith('{') ? 'jsonl' : 'csv';
  } finally {
    await handle.close();
  }
}

export interface OpenInputOptions {
  /** A path, or "-" for standard input. */
  input: string;
  format?: BulkFormat;
  /** Standard input, which "-" reads: the command's own. */
  stdin?: NodeJS.ReadableStream & {isTTY?: boolean};
  /** Where standard input is spooled so that it can be read twice. */
  spoolDir: string;
}

/**
 * Opens the input of a bulk command. Standard input is copied to a file first (streaming, as it
 * arrives), since the rows are read twice: every row is checked before the first one is sent.
 */
export async function openInput(options: OpenInputOptions): Promise<RowSource> {
  let path = options.input;
  let label = `The file ${path}`;
  let spooled: string | undefined;
  if (path === '-') {
    if (!options.stdin) throw new Error('openInput: "-" was given without a standard input to read.');
    if (options.stdin.isTTY) {
      throw new UsageError('Reading rows from standard input, but it is a terminal.', {hint: 'Pipe the rows in (cat rows.csv | support ...), or give --input FILE.'});
    }
    await mkdir(options.spoolDir, {recursive: true, mode: 0o700});
    spooled = join(options.spoolDir, `stdin-${randomUUID()}`);
    const out = createWriteStream(spooled, {mode: 0o600});
    for await (const chunk of options.stdin) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
    path = spooled;
    label = 'Standard input';
  } else {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`The file ${path} does not exist.`, {hint: 'Check the path, or use --input - to read standard input.'});
    }
    if (!info.isFile()) throw new UsageError(`${path} is not a regular file.`, {hint: 'Give the path of a CSV or JSONL file.'});
  }
  const format = options.format ?? (spooled ? undefined : formatFromName(path)) ?? (await sniffFormat(path));
  let identity: string | undefined;
  const source: RowSource = {
    label,
    format,
    async *rows() {
      const hash = createHash('sha256');
      const chunks = decodeFile(path, label, (chunk) => hash.update(chunk));
      yield* format === 'csv' ? csvRows(chunks, source) : jsonlRows(chunks);
      identity = hash.digest('hex');
    },
    identity: () => identity,
    close: async () => {
      if (spooled) await rm(spooled, {force: true});
    },
  };
  return source;
}

/** Writes rows that failed, in the input's own format, so the file can be fixed and fed back. */
export class FailureWriter {
  private out?: WriteStream;
  private headerWritten = false;
  count = 0;

  constructor(
    private readonly path: string,
    private readonly source: Pick<RowSource, 'format' | 'header'>,
  ) {}

  write(row: SourceRow): void {
    this.out ??= createWriteStream(this.path, {mode: 0o600});
    if (this.source.format === 'csv') {
      if (!this.headerWritten && this.source.header) this.out.write(formatCsvRecord(this.source.header));
      this.headerWritten = true;
      this.out.write(formatCsvRecord(Array.isArray(row.raw) ? row.raw : [row.raw]));
    } else {
      this.out.write(`${Array.isArray(row.raw) ? JSON.stringify(row.values ?? {}) : row.raw}\n`);
    }
    this.count++;
  }

  /**
   * When nothing failed there is no file: an empty one would only fail as the next input. A file
   * left at that path by an earlier run is removed, since its rows have now succeeded and feeding
   * it back would apply them twice.
   */
  async close(): Promise<void> {
    if (!this.out) {
      await rm(this.path, {force: true}).catch(() => undefined);
      return;
    }
    this.out.end();
    await finished(this.out);
  }
}
