import type {ChalkInstance} from 'chalk';

import {cut, joinShown, layout, painter, plainRow, type Painter, type Shown} from './shown.js';

/** How the command's output should look, decided once per run. */
export interface OutputMode {
  /** stdout is a terminal: tables, colour, relative times. Otherwise plain tab-separated rows. */
  tty: boolean;
  color: boolean;
}

export interface Column<T> {
  header: string;
  /** The cell's text as it is: the table neutralises every cell (src/domain/neutralise.ts). */
  get: (row: T) => string;
  /** Styling for the terminal only; plain output never carries escape codes. */
  style?: (text: Shown, row: T, p: Painter) => Shown;
}

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

/**
 * A table on a terminal, tab-separated rows when piped. Every cell is neutralised here: on a
 * terminal as one line (line breaks become spaces, then it is cut to fit), piped as one field
 * (a tab or newline inside a value is escaped, so `cut` and `while read` see one row per item).
 */
export async function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], mode: OutputMode): Promise<Shown> {
  if (!mode.tty) return joinShown(rows.map((row) => plainRow(columns.map((c) => c.get(row)))));
  const c = await colors(mode);
  const p = painter(c);
  const {default: Table} = await import('cli-table3');
  const cells = rows.map((row) =>
    columns.map((col) => {
      const text = cut(col.get(row), 60);
      return col.style ? col.style(text, row, p) : text;
    }),
  );
  return layout(cells.flat(), (texts) => {
    const table = new Table({
      head: columns.map((col) => c.bold(col.header)),
      style: {head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2},
      chars: {
        top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
        'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
      },
    });
    for (let i = 0; i < texts.length; i += columns.length) table.push(texts.slice(i, i + columns.length));
    return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
  });
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

export const timeCell = (isoTime: string, mode: OutputMode) => (mode.tty ? relativeTime(isoTime) : isoTime);
