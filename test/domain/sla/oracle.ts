/**
 * A deliberately naive model of business time and SLA clocks, to check the engine against:
 * it walks time one minute at a time, asks Intl for the wall clock of every minute, and
 * replays events as a little state machine. Slow and obviously right is the point; it only
 * works on minute-aligned inputs, which the property tests generate.
 */

export const MIN = 60_000;
const DAY = 86_400_000;

export interface OracleCalendar {
  timezone: string;
  /** Weekday (sun..sat) -> "HH:MM-HH:MM" as written in a policy file. */
  hours: Record<string, string[]>;
  holidays: string[];
}

export type OracleCal = OracleCalendar | '24x7';

const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const formatters = new Map<string, Intl.DateTimeFormat>();
/** zone -> minute instant -> local day number * 1440 + minute of day. */
const wallCache = new Map<string, Map<number, number>>();

/** The wall clock at a minute, as local day number and minute of that day. */
function wallMinute(timezone: string, t: number): {day: number; minute: number} {
  let cache = wallCache.get(timezone);
  if (!cache) wallCache.set(timezone, (cache = new Map()));
  let packed = cache.get(t);
  if (packed === undefined) {
    let f = formatters.get(timezone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', {timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'});
      formatters.set(timezone, f);
    }
    // "03/29/2026, 02:30"
    const m = /^(\d\d)\/(\d\d)\/(\d{4}), (\d\d):(\d\d)$/.exec(f.format(t));
    if (!m) throw new Error(`unexpected format ${f.format(t)}`);
    const day = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])) / DAY;
    packed = day * 1440 + Number(m[4]) * 60 + Number(m[5]);
    cache.set(t, packed);
  }
  return {day: Math.floor(packed / 1440), minute: packed % 1440};
}

function parseHm(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return h! * 60 + m!;
}

/** Is the minute starting at t open? */
export function isBusinessMinute(cal: OracleCal, t: number): boolean {
  if (cal === '24x7') return true;
  const {day, minute} = wallMinute(cal.timezone, t);
  const date = new Date(day * DAY).toISOString().slice(0, 10);
  if (cal.holidays.includes(date)) return false;
  const today = WEEKDAY_NAMES[(((day + 4) % 7) + 7) % 7]!;
  const yesterday = WEEKDAY_NAMES[(((day + 3) % 7) + 7) % 7]!;
  for (const iv of cal.hours[today] ?? []) {
    const [a, b] = iv.split('-').map(parseHm) as [number, number];
    const end = b <= a ? 1440 : b;
    if (minute >= a && minute < end) return true;
  }
  for (const iv of cal.hours[yesterday] ?? []) {
    const [a, b] = iv.split('-').map(parseHm) as [number, number];
    if (b < a && minute < b) return true;
  }
  return false;
}

/** Business minutes in [from, to). */
export function oracleBusinessMinutes(cal: OracleCal, from: number, to: number): number {
  let n = 0;
  for (let t = from; t < to; t += MIN) if (isBusinessMinute(cal, t)) n++;
  return n;
}

/** The end of the minute in which `minutes` business minutes since `from` are complete; undefined past the horizon. */
export function oracleAddMinutes(cal: OracleCal, from: number, minutes: number, horizonDays = 21): number | undefined {
  if (minutes <= 0) return from;
  let n = 0;
  for (let t = from; t < from + horizonDays * DAY; t += MIN) {
    if (isBusinessMinute(cal, t) && ++n === minutes) return t + MIN;
  }
  return undefined;
}

export type OracleEvent =
  | {at: number; kind: 'comment'; role: 'customer' | 'agent'; public: boolean}
  | {at: number; kind: 'status'; from: string; to: string};

export interface OraclePolicy {
  /** Seconds, whole minutes. */
  targets: Partial<Record<'firstResponse' | 'nextResponse' | 'resolution', number>>;
  pauseOn: string[];
}

export interface OracleMetric {
  startedAt: number;
  achievedAt: number | null;
  /** undefined: beyond the oracle's horizon, not compared. */
  dueAt: number | null | undefined;
  elapsedSeconds: number;
  remainingSeconds: number;
  paused: boolean;
  breached: boolean;
  status: string;
}

interface OClock {
  startedAt: number;
  running: boolean;
  achievedAt: number | null;
  elapsedMinutes: number;
  reachedAt: number | null;
}

/** Replays minute by minute. `events` are minute-aligned, sorted, none before `createdAt`. */
export function oracleEvaluate(cal: OracleCal, policy: OraclePolicy, createdAt: number, initialStatus: string, events: OracleEvent[], at: number): Record<string, OracleMetric> {
  const done = (s: string): boolean => s === 'solved' || s === 'closed';
  let status = initialStatus;
  let firstOwed = true;
  const first: OClock = {startedAt: createdAt, running: true, achievedAt: null, elapsedMinutes: 0, reachedAt: null};
  let next: OClock | null = null;
  const res: OClock = {
    startedAt: createdAt,
    running: !done(status) && !policy.pauseOn.includes(status),
    achievedAt: done(status) ? createdAt : null,
    elapsedMinutes: 0,
    reachedAt: null,
  };
  const stop = (c: OClock | null, t: number): void => {
    if (c?.running) {
      c.running = false;
      c.achievedAt = t;
    }
  };
  const apply = (t: number): void => {
    for (const e of events) {
      if (e.at !== t) continue;
      if (e.kind === 'comment') {
        if (!e.public) continue;
        if (e.role === 'agent') {
          if (firstOwed) stop(first, t);
          firstOwed = false;
          stop(next, t);
        } else if (!done(status) && !next?.running && !(firstOwed && policy.targets.firstResponse !== undefined)) {
          next = {startedAt: t, running: true, achievedAt: null, elapsedMinutes: 0, reachedAt: null};
        }
      } else if (e.to !== status) {
        status = e.to;
        if (done(status)) {
          if (firstOwed) stop(first, t);
          firstOwed = false;
          stop(next, t);
          if (res.achievedAt === null) res.achievedAt = t;
        } else res.achievedAt = null;
        res.running = !done(status) && !policy.pauseOn.includes(status);
      }
    }
  };
  const tick = (c: OClock | null, t: number, target: number | undefined): void => {
    if (!c?.running || !isBusinessMinute(cal, t)) return;
    c.elapsedMinutes++;
    if (target !== undefined && c.reachedAt === null && c.elapsedMinutes * 60 >= target) c.reachedAt = t + MIN;
  };

  for (let t = createdAt; t < at; t += MIN) {
    apply(t);
    tick(first, t, policy.targets.firstResponse);
    tick(next, t, policy.targets.nextResponse);
    tick(res, t, policy.targets.resolution);
  }
  if (at >= createdAt) apply(at);

  const out: Record<string, OracleMetric> = {};
  const report = (name: 'firstResponse' | 'nextResponse' | 'resolution', c: OClock | null, pausable: boolean): void => {
    const target = policy.targets[name];
    if (target === undefined || !c) return;
    const paused = pausable && c.achievedAt === null && policy.pauseOn.includes(status);
    const elapsed = c.elapsedMinutes * 60;
    const left = (target - elapsed) / 60;
    let dueAt: number | null | undefined = c.reachedAt;
    if (dueAt === null && c.achievedAt !== null) dueAt = oracleAddMinutes(cal, c.achievedAt, left);
    else if (dueAt === null && c.running) dueAt = oracleAddMinutes(cal, Math.max(at, createdAt), left);
    const breached = c.reachedAt !== null && c.reachedAt < (c.achievedAt ?? at);
    out[name] = {
      startedAt: c.startedAt,
      achievedAt: c.achievedAt,
      dueAt,
      elapsedSeconds: elapsed,
      remainingSeconds: target - elapsed,
      paused,
      breached,
      status: breached ? 'breached' : c.achievedAt !== null ? 'achieved' : paused ? 'paused' : 'active',
    };
  };
  report('firstResponse', first, false);
  report('nextResponse', next, false);
  report('resolution', res, true);
  return out;
}
