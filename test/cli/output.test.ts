import fc from 'fast-check';
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';

import {jsonShape} from '../../src/cli/json-output.js';
import {fitColumns, measurer, renderTable, wrapProse, type Column} from '../../src/cli/output.js';
import {cut, line, shown, textUnits} from '../../src/cli/shown.js';
import {neutralise} from '../../src/domain/neutralise.js';

const measure = (text: string) => stringWidth(text);
// eslint-disable-next-line no-control-regex -- the styling a table adds
const plain = (text: string) => text.replace(/\u001B\[[0-9;]*m/g, '');

interface Row {
  id: string;
  title: string;
  tags: string;
}

const columns: Column<Row>[] = [
  {header: 'ID', get: (r) => r.id, truncate: false},
  {header: 'TITLE', get: (r) => r.title},
  {header: 'TAGS', get: (r) => r.tags},
];

const rows: Row[] = [
  {id: '1', title: 'Login fails with 502 when the proxy is set up behind the corporate gateway', tags: 'network, proxy'},
  {id: '22', title: '中文标题很长很长很长很长很长很长很长很长很长很长', tags: 'a'},
  {id: '333', title: 'evil \u001B]0;pwned\u0007 title \u001B[31mred and a few more words', tags: ''},
  {id: '4', title: 'family 👨‍👩‍👧 and flags 🇩🇪 in a title that is long enough to be cut', tags: 'emoji'},
];

describe('tables on a terminal', () => {
  it.each([40, 60, 80, 120])('fit %i columns: the widest text column is cut with an ellipsis, ids never', async (width) => {
    const table = String(await renderTable(rows, columns, {tty: true, color: false, width}));
    const lines = table.split('\n');
    expect(lines).toHaveLength(rows.length + 1);
    for (const l of lines) expect(measure(l), l).toBeLessThanOrEqual(width);
    for (const row of rows) expect(lines.some((l) => l.startsWith(`${row.id} `))).toBe(true);
    if (width < 100) expect(table).toContain('…');
  });

  it('keep their columns aligned by display width, with wide characters counted as two', async () => {
    const lines = String(await renderTable(rows, columns, {tty: true, color: false, width: 70})).split('\n');
    const tagsAt = (l: string, tag: string) => measure(l.slice(0, l.indexOf(tag)));
    const header = lines[0]!;
    expect(tagsAt(lines[1]!, 'network'), lines.join('\n')).toBe(tagsAt(header, 'TAGS'));
    expect(tagsAt(lines[4]!, 'emoji'), lines.join('\n')).toBe(tagsAt(header, 'TAGS'));
  });

  it('show control characters as escapes and never cut one in half', async () => {
    for (let width = 30; width <= 90; width++) {
      const table = String(await renderTable(rows, columns, {tty: true, color: true, width}));
      // eslint-disable-next-line no-control-regex -- only our own SGR styling may reach the terminal
      expect(table.replace(/\u001B\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
      const titleCell = plain(table).split('\n')[3]!;
      expect(titleCell, `width ${width}`).not.toMatch(/\\(?:x[0-9a-f]?|u[0-9a-f]{0,3}|U[0-9a-f]{0,7})…/);
    }
  });

  it('leave piped rows whole, one tab-separated line per row', async () => {
    const out = String(await renderTable(rows, columns, {tty: false, color: false}));
    expect(out.split('\n')[0]).toBe(`1\t${rows[0]!.title}\tnetwork, proxy`);
    expect(out).not.toContain('…');
  });
});

describe('fitting columns', () => {
  it('takes columns from the widest one that may shrink, down to its floor', () => {
    expect(fitColumns([2, 50, 20, 8], [2, 8, 8, 8], 60)).toEqual([2, 24, 20, 8]);
    expect(fitColumns([2, 50, 20, 8], [2, 8, 8, 8], 40)).toEqual([2, 12, 12, 8]);
    expect(fitColumns([2, 50, 20], [2, 8, 8], 200)).toEqual([2, 50, 20]);
    // Nothing left to take: the floors stay, wider than the terminal.
    expect(fitColumns([10, 10], [10, 10], 5)).toEqual([10, 10]);
  });

  it('never gives a table wider than the terminal when the floors allow it (random widths; seed printed)', () => {
    const seed = Date.now() % 1_000_000;
    console.log(`fitColumns property seed: ${seed}`);
    fc.assert(
      fc.property(fc.array(fc.nat(120), {minLength: 1, maxLength: 8}), fc.integer({min: 20, max: 300}), (natural, available) => {
        const floors = natural.map((w) => Math.min(w, 8));
        const widths = fitColumns(natural, floors, available);
        const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
        const minimum = floors.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
        expect(total).toBeLessThanOrEqual(Math.max(available, minimum));
        widths.forEach((w, i) => {
          expect(w).toBeGreaterThanOrEqual(floors[i]!);
          expect(w).toBeLessThanOrEqual(natural[i]!);
        });
      }),
      {seed},
    );
  });
});

describe('cutting one line of outside text', () => {
  it('cuts between whole escapes and whole graphemes, within the width (random text; seed printed)', () => {
    const seed = (Date.now() >> 3) % 1_000_000;
    console.log(`cut property seed: ${seed}`);
    const pieces = fc.constantFrom('a', ' ', '\u001B', '\u0007', '\u202E', '\\', 'x1b', '中', '👨‍👩‍👧', 'é', '\u200B', '\n', '\\x1b', 'u202e');
    fc.assert(
      fc.property(fc.array(pieces, {maxLength: 40}).map((p) => p.join('')), fc.integer({min: 1, max: 40}), (value, width) => {
        const full = neutralise(value, 'line');
        const out = String(cut(value, width, measure));
        expect(measure(out)).toBeLessThanOrEqual(width);
        if (measure(full) <= width) {
          expect(out).toBe(full);
          return;
        }
        expect(out.endsWith('…')).toBe(true);
        const kept = out.slice(0, -1);
        expect(full.startsWith(kept)).toBe(true);
        // What was kept is whole units of the full text: the cut fell on a boundary.
        const units = [...textUnits(full)];
        let joined = '';
        for (const u of units) {
          if (joined.length >= kept.length) break;
          joined += u;
        }
        expect(joined).toBe(kept);
      }),
      {seed},
    );
  });
});

describe('prose', () => {
  it('wraps at spaces to the width, keeping words and escapes whole', async () => {
    const text = shown`Behind a corporate proxy set HTTPS_PROXY and the evil ${'\u001B[2J'} sequence stays visible as text, 中文 too.`;
    const out = String(await wrapProse(text, 30, '    '));
    const lines = out.split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) {
      expect(l.startsWith('    ')).toBe(true);
      expect(measure(l)).toBeLessThanOrEqual(30);
    }
    expect(out.replace(/\n {4}/g, ' ').trim()).toBe(String(text));
  });

  it('leaves a word longer than the line whole', async () => {
    const url = `https://example.com/${'a'.repeat(60)}`;
    expect(String(await wrapProse(line(`see ${url} now`), 30))).toBe(`see\n${url}\nnow`);
  });

  it('measures with string-width', async () => {
    expect((await measurer())('中文 😀')).toBe(7);
  });
});

describe('the fields --json chooses from', () => {
  it('are found by command id, and by the class name a command run directly has', async () => {
    const shape = await jsonShape('ticket:list');
    expect(shape?.fields).toEqual(['nextCursor', 'tickets']);
    expect(shape?.lists.tickets).toEqual(expect.arrayContaining(['id', 'title', 'updatedAt']));
    expect(await jsonShape('ticketlist')).toBe(shape);
    expect(await jsonShape('ticketbulkcreate')).toBe(await jsonShape('ticket:bulk:create'));
  });
});
