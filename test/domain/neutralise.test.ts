import fc from 'fast-check';
import {describe, expect, test} from 'vitest';

import {neutralise, terminalSafeJson} from '../../src/domain/neutralise.js';
import {plainRow} from '../../src/cli/shown.js';

/** Every character a terminal may act on, or that hides text: what must never come out raw. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const JOINABLE = /(?![ -~])[\p{L}\p{M}\p{N}\p{S}]/u;

/** The documented notation, read back: what a script or a person decoding the output would do. */
const ESCAPE_LOOKING = /^(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/;
const fromHex = (escape: string) => String.fromCodePoint(Number.parseInt(escape.slice(1), 16));

function decodeText(out: string): string {
  let result = '';
  let i = 0;
  while (i < out.length) {
    if (out[i] !== '\\') {
      result += out[i++];
      continue;
    }
    let run = 0;
    while (out[i + run] === '\\') run++;
    const escape = ESCAPE_LOOKING.exec(out.slice(i + run))?.[0];
    if (escape === undefined) {
      result += '\\'.repeat(run);
      i += run;
    } else if (run % 2 === 0) {
      result += '\\'.repeat(run / 2) + escape;
      i += run + escape.length;
    } else {
      result += '\\'.repeat((run - 1) / 2) + fromHex(escape);
      i += run + escape.length;
    }
  }
  return result;
}

const NAMED: Record<string, string> = {'\\': '\\', t: '\t', n: '\n', r: '\r'};

function decodeField(out: string): string {
  let result = '';
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== '\\') {
      result += out[i];
      continue;
    }
    const next = out[i + 1]!;
    if (NAMED[next] !== undefined) {
      result += NAMED[next];
      i++;
      continue;
    }
    const escape = ESCAPE_LOOKING.exec(out.slice(i + 1))?.[0];
    if (escape === undefined) throw new Error(`a lone backslash at ${i} in ${JSON.stringify(out)}`);
    result += fromHex(escape);
    i += escape.length;
  }
  return result;
}

/** Strings made mostly of what is hard to escape: controls, escapes' look-alikes, backslashes, joiners, surrogate halves. */
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', 'x', 'u', 'U', '1', 'b', 'e', 'F', '0', '{', '\t', '\n', '\r', '\u001b', '\u009b', '\u0000', '\u007f', '\u202e', '\u2066', '\u200b', '\u200c', '\u200d', '\ufeff', '\u2028', 'ش', '👨', '\u{e0041}', ']', ';', '\u0007'),
    fc.integer({min: 0, max: 0xffff}).map((n) => String.fromCharCode(n)),
    fc.integer({min: 0, max: 0x10ffff}).map((n) => String.fromCodePoint(n)),
  ),
  maxLength: 40,
});

/** The characters of `out` a terminal would see raw, apart from the ones a form keeps. */
function rawHidden(out: string, keep: (ch: string, i: number) => boolean): string[] {
  const found: string[] = [];
  const chars = [...out];
  chars.forEach((ch, i) => {
    if (!HIDDEN.test(ch) || keep(ch, i)) return;
    const joiner = ch === '\u200c' || ch === '\u200d';
    if (joiner && JOINABLE.test(chars[i - 1] ?? '') && JOINABLE.test(chars[i + 1] ?? '')) return;
    found.push(ch);
  });
  return found;
}

describe('neutralise', () => {
  test.each([
    ['a window title (OSC 0)', 'x\u001b]0;pwned\u0007y', 'x\\x1b]0;pwned\\x07y'],
    ['a clipboard write (OSC 52)', '\u001b]52;c;cm0gLXJm\u001b\\', '\\x1b]52;c;cm0gLXJm\\x1b\\'],
    ['a CSI through the C1 byte', '\u009b2J', '\\x9b2J'],
    ['a right-to-left override', 'invoice\u202efdp.exe', 'invoice\\u202efdp.exe'],
    ['an invisible tag character', 'ok\u{e0041}', 'ok\\U000e0041'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['a lone carriage return, which would overwrite the line', 'safe\rrm -rf', 'safe\\x0drm -rf'],
    ['a literal escape in the text, doubled so that it cannot pass for one', 'echo -e "\\x1b[31m"', 'echo -e "\\\\x1b[31m"'],
    ['a Windows path, unchanged', 'C:\\Users\\me\\new', 'C:\\Users\\me\\new'],
  ])('shows %s visibly', (_what, input, expected) => {
    expect(neutralise(input)).toBe(expected);
  });

  test('keeps lines, tabs, Windows line ends, emoji sequences and Persian joiners in a document', () => {
    const text = 'first\tcell\r\nsecond 👨\u200d👩\u200d👧 می\u200cخواهم';
    expect(neutralise(text)).toBe(text);
    expect(neutralise('pay\u200cpal')).toBe('pay\\u200cpal');
  });

  test('one line: line breaks become spaces', () => {
    expect(neutralise('two\nlines\r\n\tand a tab', 'line')).toBe('two lines and a tab');
  });

  test('a field: tabs, newlines and backslashes are escaped, so a row stays one row', () => {
    expect(neutralise('a\tb\nc\\d\u001b', 'field')).toBe('a\\tb\\nc\\\\d\\x1b');
  });

  test('property: a document decodes back to exactly its input, and nothing but tabs, newlines and CR-LF comes out raw', () => {
    fc.assert(
      fc.property(tricky, (input) => {
        const out = neutralise(input, 'text');
        expect(decodeText(out)).toBe(input);
        expect(rawHidden(out, (ch, i) => ch === '\t' || ch === '\n' || (ch === '\r' && [...out][i + 1] === '\n'))).toEqual([]);
      }),
      {numRuns: 5000},
    );
  });

  test('property: a field decodes back to exactly its input and holds no control character at all', () => {
    fc.assert(
      fc.property(tricky, (input) => {
        const out = neutralise(input, 'field');
        expect(decodeField(out)).toBe(input);
        expect(rawHidden(out, () => false)).toEqual([]);
      }),
      {numRuns: 5000},
    );
  });

  test('property: different inputs stay different', () => {
    fc.assert(
      fc.property(tricky, tricky, (a, b) => {
        fc.pre(a !== b);
        expect(neutralise(a)).not.toBe(neutralise(b));
        expect(neutralise(a, 'field')).not.toBe(neutralise(b, 'field'));
      }),
      {numRuns: 5000},
    );
  });

  test('property: one line has no line break and nothing raw', () => {
    fc.assert(
      fc.property(tricky, (input) => {
        const out = neutralise(input, 'line');
        expect(out).not.toMatch(/[\r\n\t]/);
        expect(rawHidden(out, () => false)).toEqual([]);
      }),
      {numRuns: 2000},
    );
  });

  test('property: a plain row has one tab per column and no line break, whatever the values', () => {
    fc.assert(
      fc.property(fc.array(tricky, {minLength: 1, maxLength: 6}), (values) => {
        const row = plainRow(values).text;
        expect(row.split('\t')).toHaveLength(values.length);
        expect(row).not.toMatch(/[\r\n]/);
        expect(row.split('\t').map(decodeField)).toEqual(values);
      }),
      {numRuns: 2000},
    );
  });

  test('property: terminal-safe JSON parses to the exact same value and is pure ASCII-printable outside the escapes', () => {
    fc.assert(
      fc.property(tricky, (input) => {
        const json = terminalSafeJson(JSON.stringify({title: input}, null, 2));
        expect(JSON.parse(json)).toEqual({title: input});
        expect(rawHidden(json, (ch) => ch === '\n')).toEqual([]);
        expect(json).not.toMatch(/[\u0080-\u009f]/);
      }),
      {numRuns: 3000},
    );
  });
});
