import type {ChalkInstance} from 'chalk';

import {neutralise, type TextForm} from '../domain/neutralise.js';

let made!: (text: string) => Shown;

/**
 * Text that is safe to write to a terminal: every part that came from outside the process has
 * been through `neutralise`, and the only escape sequences in it are our own styling. It can be
 * made only by this module's functions, each of which neutralises what it is given, so a
 * renderer cannot forget: whatever reaches `writeText` as a plain string is neutralised there,
 * whole, and a styled result is a Shown built from neutralised parts.
 */
export class Shown {
  static {
    made = (text) => new Shown(text);
  }

  private constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type ShowValue = string | number | Shown;

function show(value: ShowValue, form: TextForm): string {
  if (value instanceof Shown) return value.text;
  return typeof value === 'number' ? String(value) : neutralise(value, form);
}

/** Outside text, neutralised for one line of a terminal layout (line breaks become spaces). */
export const line = (value: ShowValue): Shown => (value instanceof Shown ? value : made(show(value, 'line')));

/** Outside text that is a document (a body, a comment): its lines and tabs are kept. */
export const block = (value: ShowValue): Shown => (value instanceof Shown ? value : made(show(value, 'text')));

/**
 * A template whose literal parts are ours and whose values are outside text: each value is
 * neutralised for one line, unless it is already Shown (a styled part, a block).
 *
 *     shown`${p.bold(ticket.title)} #${ticket.id}`
 */
export function shown(strings: TemplateStringsArray, ...values: ShowValue[]): Shown {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += show(values[i]!, 'line') + strings[i + 1]!;
  return made(out);
}

/** Parts joined, by default one per line; plain-string parts are neutralised for one line. */
export function joinShown(parts: readonly ShowValue[], separator: ShowValue = '\n'): Shown {
  return made(parts.map((part) => show(part, 'line')).join(show(separator, 'text')));
}

/** One row of tab-separated plain output: each value escaped so that the row stays one row with one tab per column. */
export function plainRow(values: readonly (string | number)[]): Shown {
  return made(values.map((value) => show(value, 'field')).join('\t'));
}

/** `key:\tvalue` lines, as `ticket view` prints when piped; each value is one field. */
export function fieldLines(pairs: readonly (readonly [string, string | number])[]): Shown {
  return made(pairs.map(([key, value]) => `${show(key, 'field')}:\t${show(value, 'field')}`).join('\n'));
}

/** Columns a string takes on a terminal (escape sequences count nothing, wide characters two): string-width's. */
export type Measure = (text: string) => number;

/**
 * What neutralise writes for one character it escapes, and a doubled backslash: each is one unit,
 * never cut or wrapped apart, so a cut cannot leave half an escape (`\x1` then `…`).
 */
const ESCAPE_UNIT = /(\\\\|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8})/;
let graphemes: Intl.Segmenter | undefined;

/** Neutralised text in the pieces a cut may fall between: whole escapes and whole graphemes (an emoji with its joiners, a letter with its marks). */
export function* textUnits(safe: string): Generator<string> {
  graphemes ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'});
  const parts = safe.split(ESCAPE_UNIT);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) yield parts[i]!;
    else for (const {segment} of graphemes.segment(parts[i]!)) yield segment;
  }
}

/** The columns outside text takes as one line of a layout, once neutralised. */
export const lineWidth = (value: string, measure: Measure): number => measure(neutralise(value, 'line'));

/**
 * Outside text as one line of at most `width` columns: neutralised first, then cut between
 * units with an ellipsis, by display width (a CJK character or an emoji takes two columns).
 * Cut before it is styled.
 */
export function cut(value: string, width: number, measure: Measure): Shown {
  const text = neutralise(value, 'line');
  if (measure(text) <= width) return made(text);
  let out = '';
  let used = 0;
  for (const unit of textUnits(text)) {
    const w = measure(unit);
    if (used + w > width - 1) break;
    out += unit;
    used += w;
  }
  return made(width > 0 ? `${out}…` : '');
}

/**
 * For layout code only (the table): arranges Shown parts, and sees nothing but their text.
 * Lint allows it in src/cli/output.ts alone.
 */
export function layout(parts: readonly Shown[], arrange: (texts: string[]) => string): Shown {
  return made(arrange(parts.map((part) => part.text)));
}

/**
 * Renders outside text that has been neutralised first (`form`): the renderer sees only safe
 * text and may add styling, as the Markdown renderer does. Lint allows it in
 * src/cli/render/markdown.ts alone.
 */
export function renderNeutralised(value: string, form: TextForm, render: (safe: string) => string): Shown {
  return made(render(neutralise(value, form)));
}

export const STYLES = ['bold', 'dim', 'italic', 'underline', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'gray'] as const;
export type StyleName = (typeof STYLES)[number];

/** chalk's styles over Shown text: a plain string is neutralised (for one line) before it is styled. */
export type Painter = Record<StyleName, (value: ShowValue) => Shown>;

export function painter(chalk: ChalkInstance): Painter {
  const entries = STYLES.map((name) => [name, (value: ShowValue) => made(chalk[name](show(value, 'line')))] as const);
  return Object.fromEntries(entries) as Painter;
}

/**
 * The one way text reaches stdout or stderr: Shown text as it is, anything else neutralised
 * (as a document) first.
 */
export function writeText(stream: NodeJS.WritableStream, text: ShowValue, end = '\n'): void {
  stream.write(`${show(text, 'text')}${end}`);
}

/** Neutralised as a document, for APIs that need a string (prompts, a pager's stdin). */
export const textOf = (value: ShowValue): string => show(value, 'text');
