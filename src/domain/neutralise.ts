/**
 * Text written by other people (ticket fields, comments, article text, server messages,
 * bundle manifests, file names) must never drive the terminal that shows it: an `ESC ] 0;`
 * retitles the window, OSC 52 writes the clipboard, a CSI moves the cursor over what was
 * printed, a right-to-left override makes `exe.txt` read as `txt.exe`. This is the one
 * function that makes such text safe to show; everything the CLI prints that it did not
 * write itself passes through it (src/cli/shown.ts is the boundary).
 *
 * What is escaped: C0 controls, DEL and C1 controls (Unicode category Cc), format characters
 * such as the bidirectional overrides and isolates, zero-width spaces, the byte-order mark,
 * soft hyphens and the invisible tag characters (Cf), the line and paragraph separators
 * (Zl, Zp), and lone surrogates (Cs). The zero-width joiner and non-joiner stay when they sit
 * between two non-ASCII letters, marks, digits or symbols, where emoji sequences and Persian or
 * Indic text need them; elsewhere they only hide things and are escaped too.
 *
 * The notation is that of C, Python and bash's `printf %b`: `\xHH` below U+0100 (`\x1b` for
 * ESC, `\x9b` for the C1 CSI), `\uHHHH` in the Basic Multilingual Plane (`\u202e`), and
 * `\UHHHHHHHH` above it, lowercase hex. The forms:
 *
 * - `text`: a document (a ticket body, a comment, an article). Tabs and newlines stay, and a
 *   carriage return stays right before a newline (Windows line ends); a lone one is escaped,
 *   since it returns the cursor to overwrite the line. A backslash is doubled only where the
 *   text would otherwise read as one of the escapes above (a literal `\x1b` in the data shows
 *   as `\\x1b`), so the output decodes back to exactly the input.
 * - `line`: one line of a terminal layout (a title in a heading, a table cell). As `text`, but
 *   each run of tabs and line breaks becomes one space, as a table must show it.
 * - `field`: one value of tab-separated plain output. Every backslash is doubled, a tab is
 *   `\t`, a newline `\n`, a carriage return `\r`, everything else as above: a row stays one
 *   row with one tab per column, and `printf '%b'` (or any C-style unescape) gives the
 *   original value back.
 */

export type TextForm = 'text' | 'line' | 'field';

const ASCII = '\\u0000-\\u007f';
const HIDDEN = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}`;
/** A letter, mark, digit or symbol outside ASCII: what a joiner may sit between. */
const JOINABLE = String.raw`(?![${ASCII}])[\p{L}\p{M}\p{N}\p{S}]`;
const JOINER = String.raw`[\u200c\u200d]`;
/** Any character that is escaped, wherever it is: the joiners only when out of place. */
const UNSAFE = String.raw`${JOINER}(?!${JOINABLE})|(?<!${JOINABLE})${JOINER}|(?![\u200c\u200d])[${HIDDEN}]`;
/** What reads as an escape after a backslash. */
const ESCAPE_LOOKING = String.raw`x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}`;

/** Tab, newline and a carriage return before a newline are kept in a document. */
const TEXT_UNSAFE = String.raw`(?![\t\n]|\r\n)(?:${UNSAFE})`;

const TEXT = new RegExp(String.raw`(\\+)(?=${ESCAPE_LOOKING}|${TEXT_UNSAFE})|${TEXT_UNSAFE}`, 'gu');
const FIELD = new RegExp(String.raw`\\|${UNSAFE}`, 'gu');
const LINE_BREAKS = /[\t\r\n]+/g;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function escapeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

const FIELD_NAMED: Record<string, string> = {'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'};

/** Text from outside the process, made safe to show: see the comment at the top for the forms. */
export function neutralise(value: string, form: TextForm = 'text'): string {
  if (form === 'field') return value.replace(FIELD, (ch) => FIELD_NAMED[ch] ?? escapeChar(ch));
  const text = form === 'line' ? value.replace(LINE_BREAKS, ' ') : value;
  return text.replace(TEXT, (match, backslashes: string | undefined) => (backslashes ? backslashes + backslashes : escapeChar(match)));
}

/** Characters JSON leaves as they are but a terminal may act on (C1, bidi, invisible format characters). */
const JSON_UNSAFE = new RegExp(String.raw`[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]`, 'gu');

/**
 * JSON text with every character a terminal might act on written as a `\uXXXX` escape. The
 * JSON encoder already escapes C0 controls and lone surrogates; this adds DEL, C1 and the
 * format characters. The value a parser reads is exactly the same.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(JSON_UNSAFE, (ch) => {
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${hex(ch.charCodeAt(i), 4)}`;
    return out;
  });
}
