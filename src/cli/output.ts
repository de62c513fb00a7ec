import type {ChalkInstance} from 'chalk';

import {cut, joinShown, layout, line, lineWidth, painter, plainRow, type Measure, type Painter, type Shown} from './shown.js';

/** How the command's output should look, decided once per run. */
export interface OutputMode {
  /** stdout is a terminal: tables, colour, relative times. Otherwise plain tab-separated rows. */
  tty: boolean;
  color: boolean;
  /** The terminal's width in columns, on a terminal (80 when it cannot be told). */
  width?: number;
}

export interface Column<T> {
  header: string;
  /** The cell's text as it is: the table neutralises every cell (src/domain/neutralise.ts). */
  get: (row: T) => string;
  /** Styling for the terminal only; plain output never carries escape codes. */
  style?: (text: Shown, row: T, p: Painter) => Shown;
  /**
   * Whether the column may be cut (with an ellipsis) to fit the terminal: text such as titles
   * and paths may, short values such as ids, states and times may not. Default true.
   */
  truncate?: boolean;
}

export const DEFAULT_WIDTH = 80;
const GAP = 2;
/** A column that is cut keeps at least this many columns (or its header's width, if wider). */
const MIN_CUT_WIDTH = 8;

let chalkInstance: ChalkInstance | undefined;

/** chalk, loaded on first use, with colour switched off unless the mode allows it. */
export async function colors(mode: OutputMode): Promise<ChalkInstance> {
  if (!chalkInstance) {
    const {Chalk} = await import('chalk');
    chalkInstance = new Chalk();
  }
  if (!mode.color) chalkInstance.level = 0;
  return chalkInstance;
}

/** chalk's styles over neutralised text. */
export async function paint(mode: OutputMode): Promise<Painter> {
  return painter(await colors(mode));
}

let widthOf: Measure | undefined;

/** string-width, loaded on first use: the columns a string takes on a terminal. */
export async function measurer(): Promise<Measure> {
  if (!widthOf) {
    const {default: stringWidth} = await import('string-width');
    widthOf = (text) => stringWidth(text);
  }
  return widthOf;
}

/**
 * The width of each column so that the table fits `available` columns: while it is too wide,
 * the widest column that may be cut loses a column, down to its floor. A table that cannot fit
 * even so keeps its floors (the terminal then wraps it, as it would any long line).
 */
export function fitColumns(natural: readonly number[], floors: readonly number[], available: number, gap = GAP): number[] {
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, widths.length - 1);
  while (total > available) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > floors[i]! && (widest < 0 || widths[i]! >= widths[widest]!)) widest = i;
    }
    if (widest < 0) break;
    widths[widest]!--;
    total--;
  }
  return widths;
}

/**
 * A table on a terminal, tab-separated rows when piped. Every cell is neutralised here: on a
 * terminal as one line (line breaks become spaces), then cut to fit the terminal's width with
 * an ellipsis, by display width and never inside an escape; piped as one field (a tab or
 * newline inside a value is escaped, so `cut` and `while read` see one row per item).
 */
export async function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], mode: OutputMode): Promise<Shown> {
  if (!mode.tty) return joinShown(rows.map((row) => plainRow(columns.map((c) => c.get(row)))));
  const c = await colors(mode);
  const p = painter(c);
  const measure = await measurer();
  const values = rows.map((row) => columns.map((col) => col.get(row)));
  const headers = columns.map((col) => measure(col.header));
  const natural = columns.map((_, i) => Math.max(headers[i]!, ...values.map((v) => lineWidth(v[i]!, measure))));
  const floors = columns.map((col, i) => (col.truncate === false ? natural[i]! : Math.min(natural[i]!, Math.max(headers[i]!, MIN_CUT_WIDTH))));
  const widths = fitColumns(natural, floors, mode.width ?? DEFAULT_WIDTH);
  const cells = rows.map((row, r) =>
    columns.map((col, i) => {
      const text = cut(values[r]![i]!, widths[i]!, measure);
      return col.style ? col.style(text, row, p) : text;
    }),
  );
  const head = columns.map((col) => line(col.header));
  return layout([...head, ...cells.flat()], (texts) => {
    const lines: string[] = [];
    for (let i = 0; i < texts.length; i += columns.length) {
      const row = texts.slice(i, i + columns.length).map((text, j) => {
        const cell = i === 0 && text ? c.bold(text) : text;
        return j === columns.length - 1 ? cell : cell + ' '.repeat(Math.max(0, widths[j]! - measure(text)) + GAP);
      });
      lines.push(row.join('').trimEnd());
    }
    return lines.join('\n');
  });
}

/**
 * Prose (a snippet, a status line) wrapped at word boundaries to `width` columns, each line after
 * `indent`: only spaces become line breaks, so no word and no escape is split (a word longer
 * than the line stays whole), and styling is closed and reopened around each break.
 */
export async function wrapProse(text: Shown, width: number, indent = ''): Promise<Shown> {
  const {default: wrapAnsi} = await import('wrap-ansi');
  const room = Math.max(20, width - indent.length);
  return layout([text], ([t]) =>
    wrapAnsi(t!, room, {hard: false, trim: true})
      .split('\n')
      .map((l) => indent + l)
      .join('\n'),
  );
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "about 3 hours ago" on a terminal, as gh shows it; ISO-8601 stays for scripts. */
export function relativeTime(isoTime: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(isoTime) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return seconds <= 0 ? 'just now' : 'in less than a minute';
  const format = new Intl.RelativeTimeFormat('en', {numeric: 'auto'});
  for (const [unit, size] of UNITS) {
    if (abs >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return format.format(Math.trunc(seconds / 60), 'minute');
}

/** A time as a person reads it on a terminal ("3 hours ago"), ISO-8601 for scripts; a value that is no time is shown as it is. */
export const timeCell = (isoTime: string, mode: OutputMode) => (mode.tty && Number.isFinite(Date.parse(isoTime)) ? relativeTime(isoTime) : isoTime);
