/**
 * Time-zone arithmetic on Intl.DateTimeFormat alone, so that the domain carries no date
 * library and follows whatever tzdb the running Node ships.
 *
 * Intl only answers one question: "what does the wall clock read at this instant?". Going the
 * other way (wall clock -> instants) is ambiguous across daylight-saving changes: a wall time
 * in the spring-forward gap never happens, one in the fall-back hour happens twice. So instead
 * of converting single wall times we describe the UTC line as segments of constant offset and
 * ask, per segment, which instants show a wall time inside a given range. That answers both
 * edge cases exactly: the gap yields no instant, the repeated hour yields two ranges.
 */

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60 * MS_PER_SECOND;
export const MS_PER_HOUR = 60 * MS_PER_MINUTE;
export const MS_PER_DAY = 24 * MS_PER_HOUR;

/** A stretch of the UTC line on which the zone's offset does not change. */
export interface OffsetSegment {
  start: number;
  end: number;
  /** Wall clock minus UTC, in ms. */
  offset: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // h23: some engines print midnight as 24:00 with hour12 false.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading at `instant`, as ms since the epoch of a UTC clock showing the same. */
export function wallClockAt(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / MS_PER_SECOND) * MS_PER_SECOND;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatter(timeZone).formatToParts(whole)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value.startsWith('B'); break;
      default: break;
    }
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime() + (instant - whole);
}

/** Wall clock minus UTC at `instant`, in ms. */
export function offsetAt(timeZone: string, instant: number): number {
  const whole = Math.floor(instant / MS_PER_SECOND) * MS_PER_SECOND;
  return wallClockAt(timeZone, whole) - whole;
}

/**
 * Offset changes are searched in blocks this long. tzdb has no zone that changes offset twice
 * within six hours and back again, which is the only case a block could miss.
 */
const PROBE_MS = 6 * MS_PER_HOUR;

/** Per zone: UTC day number -> the offset segments of that UTC day. */
const segmentCache = new Map<string, Map<number, OffsetSegment[]>>();
const SEGMENT_CACHE_DAYS = 20_000;

function segmentsOfUtcDay(timeZone: string, day: number): OffsetSegment[] {
  let byDay = segmentCache.get(timeZone);
  if (!byDay) {
    byDay = new Map();
    segmentCache.set(timeZone, byDay);
  }
  const cached = byDay.get(day);
  if (cached) return cached;

  const dayStart = day * MS_PER_DAY;
  const segments: OffsetSegment[] = [];
  let segStart = dayStart;
  let segOffset = offsetAt(timeZone, dayStart);
  for (let probe = dayStart; probe < dayStart + MS_PER_DAY; probe += PROBE_MS) {
    const next = probe + PROBE_MS;
    const nextOffset = offsetAt(timeZone, next);
    if (nextOffset === segOffset) continue;
    // Transitions fall on whole seconds: bisect over seconds for the first one showing the
    // new offset.
    let lo = probe / MS_PER_SECOND;
    let hi = next / MS_PER_SECOND;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(timeZone, mid * MS_PER_SECOND) === segOffset) lo = mid;
      else hi = mid;
    }
    const change = hi * MS_PER_SECOND;
    if (change < dayStart + MS_PER_DAY) {
      segments.push({start: segStart, end: change, offset: segOffset});
      segStart = change;
      segOffset = offsetAt(timeZone, change);
    }
    // A change exactly at the next day's midnight belongs to that day.
  }
  segments.push({start: segStart, end: dayStart + MS_PER_DAY, offset: segOffset});

  if (byDay.size > SEGMENT_CACHE_DAYS) byDay.clear();
  byDay.set(day, segments);
  return segments;
}

/** Offset segments covering [from, to), clipped to it. */
export function offsetSegments(timeZone: string, from: number, to: number): OffsetSegment[] {
  const out: OffsetSegment[] = [];
  for (let day = Math.floor(from / MS_PER_DAY); day * MS_PER_DAY < to; day++) {
    for (const seg of segmentsOfUtcDay(timeZone, day)) {
      const start = Math.max(seg.start, from);
      const end = Math.min(seg.end, to);
      if (start >= end) continue;
      const last = out.at(-1);
      if (last && last.end === start && last.offset === seg.offset) last.end = end;
      else out.push({start, end, offset: seg.offset});
    }
  }
  return out;
}

/**
 * Every instant whose wall clock reads within [wallFrom, wallTo), as sorted disjoint UTC
 * ranges. Empty for a range inside a spring-forward gap; two ranges for one that covers a
 * repeated fall-back hour.
 */
export function instantsShowingWallRange(timeZone: string, wallFrom: number, wallTo: number): Array<[number, number]> {
  // No zone is more than a day away from UTC, so the candidates lie within a day either side.
  const out: Array<[number, number]> = [];
  for (const seg of offsetSegments(timeZone, wallFrom - MS_PER_DAY, wallTo + MS_PER_DAY)) {
    const start = Math.max(seg.start, wallFrom - seg.offset);
    const end = Math.min(seg.end, wallTo - seg.offset);
    if (start >= end) continue;
    const last = out.at(-1);
    if (last && last[1] === start) last[1] = end;
    else out.push([start, end]);
  }
  return out;
}

/** 0 = Sunday ... 6 = Saturday, for a day number. */
export function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** "2026-12-24" -> day number, or undefined when the text is not a real calendar date. */
export function parseIsoDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Date rolls 2026-02-30 over to March: a round trip tells a real date from a rolled one.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return Math.floor(date.getTime() / MS_PER_DAY);
}
