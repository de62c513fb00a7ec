import type {ChalkInstance} from 'chalk';

/** How the command's output should look, decided once per run. */
export interface OutputMode {
  /** stdout is a terminal: tables, colour, relative times. Otherwise plain tab-separated rows. */
  tty: boolean;
  color: boolean;
}

export interface Column<T> {
  header: string;
  get: (row: T) => string;
  /** Styling for the terminal only; plain output never carries escape codes. */
  style?: (text: string, row: T, c: ChalkInstance) => string;
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

/** Tab separators and line breaks inside a value would break `cut` and `while read`. */
const plainCell = (value: string) => value.replace(/[\t\r\n]+/g, ' ');

export async function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], mode: OutputMode): Promise<string> {
  if (!mode.tty) return rows.map((row) => columns.map((c) => plainCell(c.get(row))).join('\t')).join('\n');
  const c = await colors(mode);
  const {default: Table} = await import('cli-table3');
  const table = new Table({
    head: columns.map((col) => c.bold(col.header)),
    style: {head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2},
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
  });
  for (const row of rows) {
    table.push(columns.map((col) => {
      const text = truncate(plainCell(col.get(row)), 60);
      return col.style ? col.style(text, row, c) : text;
    }));
  }
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

export function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
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
