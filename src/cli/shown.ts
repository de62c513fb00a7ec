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

/** Outside text as one line, cut to `width` characters (with an ellipsis): cut before it is styled. */
export function cut(value: string, width: number): Shown {
  const text = neutralise(value, 'line');
  return made(text.length > width ? `${text.slice(0, width - 1)}…` : text);
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
