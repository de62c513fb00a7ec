import fc from 'fast-check';

import type {OracleCalendar, OracleEvent} from './oracle.js';

const MIN = 60_000;
const DAY = 86_400_000;

/** Zones with daylight saving, one of them (Lord Howe) shifting by 30 minutes, and DST changes in 2026. */
export const ZONES = {
  'Europe/Berlin': [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)],
  'America/New_York': [Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 6)],
  // 02:00 local: back from +11 on 5 April, forward from +10:30 on 4 October.
  'Australia/Lord_Howe': [Date.UTC(2026, 3, 4, 15), Date.UTC(2026, 9, 3, 15, 30)],
} as const;
export type Zone = keyof typeof ZONES;

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const hm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Minutes of a day, biased to midnight and the small hours where DST changes happen. */
const clockPoint = fc.oneof(
  {weight: 2, arbitrary: fc.constantFrom(0, 60, 90, 120, 135, 150, 180, 210, 240, 540, 1020, 1320, 1440)},
  {weight: 3, arbitrary: fc.integer({min: 0, max: 1440})},
);

/** Points sorted and distinct, paired into intervals. */
const dayIntervals = fc.uniqueArray(clockPoint, {maxLength: 6}).map((points) => {
  const sorted = [...points].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) out.push([sorted[i]!, sorted[i + 1]!]);
  return out;
});

/** A random valid calendar near one of the zone's DST changes. */
export const calendarArb = (zone: Zone, anchor: number): fc.Arbitrary<OracleCalendar> =>
  fc
    .record({
      days: fc.array(dayIntervals, {minLength: 7, maxLength: 7}),
      overnight: fc.array(fc.option(fc.integer({min: 1, max: 600}), {nil: undefined}), {minLength: 7, maxLength: 7}),
      holidays: fc.uniqueArray(fc.integer({min: -4, max: 12}), {maxLength: 3}),
    })
    .map(({days, overnight, holidays}) => {
      const hours: Record<string, string[]> = {};
      days.forEach((intervals, d) => {
        const texts = intervals.map(([a, b]) => `${hm(a)}-${hm(b)}`);
        // Make the last interval run past midnight when it can without touching tomorrow's first.
        const last = intervals.at(-1);
        const spill = overnight[d];
        const tomorrowFirst = days[(d + 1) % 7]![0]?.[0] ?? 1440;
        if (last && spill !== undefined && last[1] === 1440) {
          const end = Math.min(spill, tomorrowFirst, last[0] - 1);
          if (end > 0) texts[texts.length - 1] = `${hm(last[0])}-${hm(end)}`;
        }
        if (texts.length) hours[WEEKDAYS[d]!] = texts;
      });
      if (Object.keys(hours).length === 0) hours['mon'] = ['09:00-17:00'];
      const dates = holidays.map((offset) => new Date(anchor + offset * DAY).toISOString().slice(0, 10));
      return {timezone: zone, hours, holidays: dates};
    });

/** A zone, a DST change of it, and a minute-aligned start within a few days before it. */
export const placeArb = fc
  .record({
    zone: fc.constantFrom(...(Object.keys(ZONES) as Zone[])),
    which: fc.integer({min: 0, max: 1}),
    before: fc.integer({min: 0, max: 3 * 1440}),
  })
  .map(({zone, which, before}) => {
    const anchor = ZONES[zone][which]!;
    return {zone, anchor, start: anchor - before * MIN};
  });

export const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;

const step = fc.record({
  gap: fc.oneof(fc.integer({min: 0, max: 30}), fc.integer({min: 0, max: 900})),
  kind: fc.constantFrom('customer', 'customer', 'agent', 'agent', 'private', 'status', 'status'),
  role: fc.constantFrom('customer' as const, 'agent' as const),
  to: fc.constantFrom(...STATUSES),
});

/** A history: comments and status changes at minute offsets, closed staying closed. */
export const historyArb = (createdAt: number): fc.Arbitrary<{initialStatus: string; events: OracleEvent[]}> =>
  fc.record({initial: fc.constantFrom('new', 'new', 'open', 'pending'), steps: fc.array(step, {maxLength: 12})}).map(({initial, steps}) => {
    let t = createdAt;
    let status: string = initial;
    const events: OracleEvent[] = [];
    for (const s of steps) {
      t += s.gap * MIN;
      if (s.kind === 'status') {
        if (status === 'closed' || s.to === status) continue;
        events.push({at: t, kind: 'status', from: status, to: s.to});
        status = s.to;
      } else if (s.kind === 'private') {
        events.push({at: t, kind: 'comment', role: s.role, public: false});
      } else {
        events.push({at: t, kind: 'comment', role: s.kind as 'customer' | 'agent', public: true});
      }
    }
    return {initialStatus: initial, events};
  });

export const targetsArb = fc
  .record(
    {
      firstResponse: fc.integer({min: 1, max: 16 * 60}),
      nextResponse: fc.integer({min: 1, max: 16 * 60}),
      resolution: fc.integer({min: 1, max: 40 * 60}),
    },
    {requiredKeys: []},
  )
  .filter((t) => Object.keys(t).length > 0);

export const pauseOnArb = fc.subarray(['pending', 'on_hold', 'new'] as const);
