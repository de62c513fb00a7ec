import {describe, expect, it} from 'vitest';

import {formatCsvRecord, parseCsv, type CsvRecord} from '../../src/services/csv.js';

async function parse(chunks: string[]): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const record of parseCsv(chunks)) out.push(record);
  return out;
}

const SAMPLE = '\uFEFFtitle,body,tags\r\n"Printer, on fire","Line 1\r\nLine 2",hw office\r\n\r\nplain,"He said ""hi""",\nlast,no newline at end,x';

describe('parseCsv', () => {
  it('reads RFC 4180: BOM, CRLF, quoted commas, quotes and line breaks, blank lines, the line each record starts on', async () => {
    expect(await parse([SAMPLE])).toEqual([
      {line: 1, cells: ['title', 'body', 'tags']},
      {line: 2, cells: ['Printer, on fire', 'Line 1\r\nLine 2', 'hw office']},
      {line: 5, cells: ['plain', 'He said "hi"', '']},
      {line: 6, cells: ['last', 'no newline at end', 'x']},
    ]);
  });

  it('gives the same records however the text is split into chunks', async () => {
    const whole = await parse([SAMPLE]);
    for (let cut = 1; cut < SAMPLE.length; cut++) {
      expect(await parse([SAMPLE.slice(0, cut), SAMPLE.slice(cut)]), `split at ${cut}`).toEqual(whole);
    }
    expect(await parse([...SAMPLE])).toEqual(whole);
  });

  it('reports a malformed record with its line and carries on with the next one', async () => {
    const records = await parse(['a,b\n1,x"y\n2,"ok"\n3,"closed"junk\n4,fine\n']);
    expect(records.map((r) => [r.line, r.error ? 'error' : r.cells.join('|')])).toEqual([
      [1, 'a|b'],
      [2, 'error'],
      [3, '2|ok'],
      [4, 'error'],
      [5, '4|fine'],
    ]);
    expect(records[1]!.error).toContain('double quote');
  });

  it('reports a quote that is never closed at the line it opened', async () => {
    const records = await parse(['a,b\n1,"never closed\n2,x\n']);
    expect(records[1]).toMatchObject({line: 2, error: expect.stringContaining('opened on line 2 is never closed')});
  });

  it('writes records that read back the same', async () => {
    const cells = ['plain', 'with, comma', 'with "quotes"', 'two\nlines', ' padded ', ''];
    expect(formatCsvRecord(cells)).toBe('plain,"with, comma","with ""quotes""","two\nlines"," padded ",\r\n');
    expect((await parse([formatCsvRecord(cells)]))[0]!.cells).toEqual(cells);
  });
});
