/**
 * CSV as RFC 4180 writes it and spreadsheets export it: comma-separated, fields in double quotes
 * may hold commas, line breaks and "" for a quote; records end with CRLF, LF or CR; a leading
 * BOM is dropped. Streaming: records are yielded as the text arrives, so a file of any size is
 * read in constant memory.
 *
 * Our own parser rather than csv-parse, because bulk input needs the line each record starts on
 * and must carry on after a malformed record with the rest intact. csv-parse 7 (tried with
 * skip_records_with_error, on_skip, info and raw) cannot: after a stray quote (`bad,"x"y`) it
 * does not start again at the next line but keeps reading in quoted mode, so the good rows after
 * it are swallowed into one long failed record (lost, not reported as rows), and the line it
 * reports counts CRLF as two lines.
 */

export interface CsvRecord {
  /** The physical line the record starts on, 1-based. */
  line: number;
  cells: string[];
  /** Why the record cannot be read; its cells are then incomplete. */
  error?: string;
}

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

type State = 'start' | 'unquoted' | 'quoted' | 'quote-in-quoted' | 'skip-line';

export async function* parseCsv(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<CsvRecord> {
  let state: State = 'start';
  let line = 1;
  let recordLine = 1;
  let cells: string[] = [];
  let field = '';
  let error: string | undefined;
  let afterCr = false;
  /** Inside quotes: the last character was a CR, so an LF next is the same line break. */
  let quotedCr = false;
  let first = true;
  /** Whether the current record has any content: a blank line is no record. */
  let started = false;

  const endRecord = (): CsvRecord | undefined => {
    const record = started ? {line: recordLine, cells, ...(error ? {error} : {})} : undefined;
    cells = [];
    field = '';
    error = undefined;
    started = false;
    return record;
  };

  for await (let chunk of chunks) {
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = chunk.length === 0;
    }
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const code = chunk.charCodeAt(i);
      // A CR already ended the line; the LF of its CRLF only completes it.
      if (afterCr) {
        afterCr = false;
        if (code === LF) {
          i++;
          continue;
        }
      }
      if (!started && state === 'start') recordLine = line;
      switch (state) {
        case 'start':
        case 'unquoted': {
          if (state === 'start' && code === QUOTE) {
            started = true;
            state = 'quoted';
            i++;
            break;
          }
          // Take a run of ordinary characters in one slice.
          let j = i;
          while (j < n) {
            const c = chunk.charCodeAt(j);
            if (c === COMMA || c === CR || c === LF || c === QUOTE) break;
            j++;
          }
          if (j > i) {
            field += chunk.slice(i, j);
            started = true;
            state = 'unquoted';
            i = j;
            break;
          }
          if (code === COMMA) {
            cells.push(field);
            field = '';
            started = true;
            state = 'start';
            i++;
          } else if (code === QUOTE) {
            error = 'a double quote inside a field that does not start with one (quote the whole field and double the inner quote: "a ""b"" c")';
            state = 'skip-line';
            i++;
          } else {
            // CR or LF ends the record.
            if (started) cells.push(field);
            line++;
            afterCr = code === CR;
            state = 'start';
            i++;
            const record = endRecord();
            if (record) yield record;
          }
          break;
        }
        case 'quoted': {
          let j = i;
          while (j < n) {
            const c = chunk.charCodeAt(j);
            if (c === QUOTE) break;
            if (c === CR || (c === LF && !quotedCr)) line++;
            quotedCr = c === CR;
            j++;
          }
          field += chunk.slice(i, j);
          i = j;
          if (i < n) {
            quotedCr = false;
            state = 'quote-in-quoted';
            i++;
          }
          break;
        }
        case 'quote-in-quoted': {
          if (code === QUOTE) {
            field += '"';
            state = 'quoted';
            i++;
          } else if (code === COMMA) {
            cells.push(field);
            field = '';
            state = 'start';
            i++;
          } else if (code === CR || code === LF) {
            cells.push(field);
            line++;
            afterCr = code === CR;
            state = 'start';
            i++;
            const record = endRecord();
            if (record) yield record;
          } else {
            error = 'text after the closing quote of a field';
            state = 'skip-line';
          }
          break;
        }
        case 'skip-line': {
          // Recover at the next line break: the rest of this physical line belongs to the bad record.
          let j = i;
          while (j < n && chunk.charCodeAt(j) !== CR && chunk.charCodeAt(j) !== LF) j++;
          i = j;
          if (i < n) {
            line++;
            afterCr = chunk.charCodeAt(i) === CR;
            i++;
            state = 'start';
            const record = endRecord();
            if (record) yield record;
          }
          break;
        }
      }
    }
  }
  if (state === 'quoted') {
    error = `a quoted field opened on line ${recordLine} is never closed`;
    cells.push(field);
  } else if (state === 'quote-in-quoted' || state === 'unquoted' || (state === 'start' && started)) {
    cells.push(field);
  }
  const record = endRecord();
  if (record) yield record;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV record, CRLF-terminated as RFC 4180 writes it. */
export function formatCsvRecord(cells: readonly string[]): string {
  return `${cells.map((cell) => (NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',')}\r\n`;
}
