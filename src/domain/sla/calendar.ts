import {
  instantsShowingWallRange,
  MS_PER_DAY,
  MS_PER_MINUTE,
  MS_PER_SECOND,
  parseIsoDate,
  weekdayOfDay,
} from './time-zone.js';

/** Index = JavaScript's getUTCDay(): 0 is Sunday. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const MINUTES_PER_DAY = 24 * 60;

/**
 * One opening interval of a weekday, in minutes from local midnight: [start, end).
 * `end` is after `start`; an end beyond 1440 runs past midnight into the next day
 * ("22:00-02:00" is {start: 1320, end: 1560}).
 */
export interface OpeningInterval {
  start: number;
  end: number;
}

export interface BusinessCalendar {
  name: string;
  /** IANA zone the opening hours and holidays are read in. */
  timeZone: string;
  /** Opening intervals per weekday; a weekday left out is closed. */
  hours: Partial<Record<Weekday, OpeningInterval[]>>;
  /**
   * Closed local dates, YYYY-MM-DD. A holiday closes the whole wall-clock date, including the
   * early hours that an overnight interval of the day before would otherwise run into.
   */
  holidays: string[];
  /** Round the clock: every instant counts, whatever `hours` says. */
  alwaysOpen?: boolean;
}

export const CALENDAR_24X7_NAME = '24x7';

/** The built-in round-the-clock calendar. */
export const CALENDAR_24X7: BusinessCalendar = Object.freeze({
  name: CALENDAR_24X7_NAME,
  timeZone: 'UTC',
  hours: Object.fromEntries(WEEKDAYS.map((day) => [day, [{start: 0, end: MINUTES_PER_DAY}]])),
  holidays: [],
  alwaysOpen: true,
});

/** "09:00-17:00" -> {start: 540, end: 1020}; "22:00-02:00" spans midnight; `{error}` says what is wrong. */
export function parseOpeningInterval(text: string): OpeningInterval | {error: string} {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return {error: 'must be an interval like "09:00-17:00"'};
  const start = clockMinutes(Number(m[1]), Number(m[2]));
  const end = clockMinutes(Number(m[3]), Number(m[4]));
  if (start === undefined) return {error: `starts at ${m[1]}:${m[2]}, which is not a time of day (00:00 to 23:59)`};
  if (end === undefined) return {error: `ends at ${m[3]}:${m[4]}, which is not a time of day (00:00 to 24:00)`};
  if (start === MINUTES_PER_DAY) return {error: 'starts at 24:00: an interval must start by 23:59'};
  if (end === start) return {error: 'is empty or inverted: it must end after it starts (use "00:00-24:00" for a whole day)'};
  // An end before the start is read as running past midnight, the way rotas write night shifts.
  return {start, end: end < start ? end + MINUTES_PER_DAY : end};
}

function clockMinutes(hours: number, minutes: number): number | undefined {
  if (minutes > 59) return undefined;
  if (hours === 24 && minutes === 0) return MINUTES_PER_DAY;
  if (hours > 23) return undefined;
  return hours * 60 + minutes;
}

export function formatOpeningInterval(interval: OpeningInterval): string {
  const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const end = interval.end > MINUTES_PER_DAY ? interval.end - MINUTES_PER_DAY : interval.end;
  return `${hhmm(interval.start)}-${hhmm(end)}`;
}

/** Beyond this the calendar never opens again for practical purposes: stop instead of looping. */
const MAX_SEARCH_MS = 100 * 366 * MS_PER_DAY;
const WINDOW_MS = 7 * MS_PER_DAY;
const DAY_CACHE_SIZE = 20_000;

/** A calendar turned into UTC business ranges, computed per local date and memoised. */
class CalendarClock {
  private readonly byWeekday: OpeningInterval[][];
  private readonly holidays: Set<number>;
  private readonly days = new Map<number, number[]>();

  constructor(private readonly calendar: BusinessCalendar) {
    this.byWeekday = WEEKDAYS.map((day) => [...(calendar.hours[day] ?? [])].sort((a, b) => a.start - b.start));
    this.holidays = new Set();
    for (const text of calendar.holidays) {
      const day = parseIsoDate(text);
      if (day !== undefined) this.holidays.add(day);
    }
  }

  /** Flat [start, end, start, end, ...] UTC ranges of the instants whose wall clock reads local date `day` and is open. */
  private rangesOfDay(day: number): number[] {
    const cached = this.days.get(day);
    if (cached) return cached;
    const out: number[] = [];
    if (!this.holidays.has(day)) {
      const wall: Array<[number, number]> = [];
      for (const iv of this.byWeekday[weekdayOfDay(day)] ?? []) wall.push([iv.start, Math.min(iv.end, MINUTES_PER_DAY)]);
      for (const iv of this.byWeekday[weekdayOfDay(day - 1)] ?? []) {
        if (iv.end > MINUTES_PER_DAY) wall.push([0, iv.end - MINUTES_PER_DAY]);
      }
      wall.sort((a, b) => a[0] - b[0]);
      const midnight = day * MS_PER_DAY;
      for (const [from, to] of mergeRanges(wall)) {
        for (const [s, e] of instantsShowingWallRange(this.calendar.timeZone, midnight + from * MS_PER_MINUTE, midnight + to * MS_PER_MINUTE)) {
          out.push(s, e);
        }
      }
    }
    if (this.days.size > DAY_CACHE_SIZE) this.days.clear();
    this.days.set(day, out);
    return out;
  }

  /** Sorted, merged business ranges within [from, to). */
  rangesIn(from: number, to: number): Array<[number, number]> {
    if (this.calendar.alwaysOpen) return from < to ? [[from, to]] : [];
    const found: Array<[number, number]> = [];
    // A wall date is never more than a day away from the UTC date: look one day either side.
    const lastDay = Math.floor(to / MS_PER_DAY) + 1;
    for (let day = Math.floor(from / MS_PER_DAY) - 1; day <= lastDay; day++) {
      const flat = this.rangesOfDay(day);
      for (let i = 0; i < flat.length; i += 2) {
        const s = Math.max(flat[i]!, from);
        const e = Math.min(flat[i + 1]!, to);
        if (s < e) found.push([s, e]);
      }
    }
    found.sort((a, b) => a[0] - b[0]);
    return mergeRanges(found);
  }

  businessMs(from: number, to: number): number {
    if (to <= from) return 0;
    if (this.calendar.alwaysOpen) return to - from;
    let total = 0;
    for (const [s, e] of this.rangesIn(from, to)) total += e - s;
    return total;
  }

  /** The earliest instant t >= from with businessMs(from, t) = amount. */
  addBusinessMs(from: number, amount: number): number {
    if (amount <= 0) return from;
    if (this.calendar.alwaysOpen) return from + amount;
    let left = amount;
    for (let windowStart = from; windowStart - from < MAX_SEARCH_MS; windowStart += WINDOW_MS) {
      for (const [s, e] of this.rangesIn(windowStart, windowStart + WINDOW_MS)) {
        if (e - s >= left) return s + left;
        left -= e - s;
      }
    }
    throw new RangeError(`The calendar "${this.calendar.name}" has no business time within a century of ${new Date(from).toISOString()}.`);
  }
}

function mergeRanges(sorted: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

const clocks = new WeakMap<BusinessCalendar, CalendarClock>();

function clockOf(calendar: BusinessCalendar): CalendarClock {
  let clock = clocks.get(calendar);
  if (!clock) {
    clock = new CalendarClock(calendar);
    clocks.set(calendar, clock);
  }
  return clock;
}

export type Instant = number | Date;
const ms = (instant: Instant): number => (typeof instant === 'number' ? instant : instant.getTime());

/** Business time in [from, to), in ms; 0 when `to` is not after `from`. */
export function businessMsBetween(calendar: BusinessCalendar, from: Instant, to: Instant): number {
  return clockOf(calendar).businessMs(ms(from), ms(to));
}

/** Business seconds in [from, to), fractional when the instants carry milliseconds. */
export function businessSecondsBetween(calendar: BusinessCalendar, from: Instant, to: Instant): number {
  return businessMsBetween(calendar, from, to) / MS_PER_SECOND;
}

/**
 * The instant (epoch ms) at which `amount` ms of business time have passed since `from`.
 * It lands on the end of business time, not the next opening: 8 business hours from 09:00 on
 * a 09:00-17:00 day are due at 17:00 that day.
 */
export function addBusinessMs(calendar: BusinessCalendar, from: Instant, amount: number): number {
  return clockOf(calendar).addBusinessMs(ms(from), amount);
}

/** dueAt: `seconds` business seconds after `from`, as epoch ms. */
export function addBusinessSeconds(calendar: BusinessCalendar, from: Instant, seconds: number): number {
  return addBusinessMs(calendar, from, seconds * MS_PER_SECOND);
}

/** The business ranges within [from, to), sorted and merged, as epoch ms pairs. */
export function businessRanges(calendar: BusinessCalendar, from: Instant, to: Instant): Array<[number, number]> {
  return clockOf(calendar).rangesIn(ms(from), ms(to));
}

/** Whether the calendar ever opens: one weekday with an interval is enough. */
export function hasOpeningHours(calendar: BusinessCalendar): boolean {
  return Boolean(calendar.alwaysOpen) || WEEKDAYS.some((day) => (calendar.hours[day]?.length ?? 0) > 0);
}
