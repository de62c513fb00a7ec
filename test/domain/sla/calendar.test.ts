import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import {
  addBusinessSeconds,
  type BusinessCalendar,
  businessSecondsBetween,
  CALENDAR_24X7,
  parseSlaPolicyFile,
} from '../../../src/domain/sla/index.js';
import {calendarArb, placeArb} from './arbitraries.js';
import {MIN, oracleAddMinutes, oracleBusinessMinutes, type OracleCalendar} from './oracle.js';

function compile(cal: OracleCalendar): BusinessCalendar {
  const set = parseSlaPolicyFile({
    calendars: [{name: 'c', ...cal}],
    policies: [{name: 'p', calendar: 'c', targets: {resolution: '1h'}}],
  });
  return set.calendars[0]!;
}

const utc = (text: string): number => Date.parse(text);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('business calendars against a minute-by-minute oracle', () => {
  const scenario = placeArb.chain((place) =>
    fc.record({
      place: fc.constant(place),
      cal: calendarArb(place.zone, place.anchor),
      offset: fc.integer({min: 0, max: 2 * 1440}),
      span: fc.integer({min: 0, max: 3 * 1440}),
      amount: fc.integer({min: 0, max: 12 * 60}),
    }),
  );

  it('counts the business seconds between two instants exactly across DST', () => {
    fc.assert(
      fc.property(scenario, ({place, cal, offset, span}) => {
        const from = place.start + offset * MIN;
        const to = from + span * MIN;
        expect(businessSecondsBetween(compile(cal), from, to)).toBe(oracleBusinessMinutes(cal, from, to) * 60);
      }),
      {numRuns: 150},
    );
  });

  it('adds business seconds to an instant exactly across DST', () => {
    fc.assert(
      fc.property(scenario, ({place, cal, offset, amount}) => {
        const from = place.start + offset * MIN;
        const expected = oracleAddMinutes(cal, from, amount, 14);
        if (expected === undefined) return;
        expect(iso(addBusinessSeconds(compile(cal), from, amount * 60))).toBe(iso(expected));
      }),
      {numRuns: 150},
    );
  });
});

describe('daylight-saving edges', () => {
  // Sundays 01:00-04:00 in Berlin: three wall-clock hours, which are two real hours on the
  // spring-forward Sunday and four on the fall-back one.
  const nightShift = compile({timezone: 'Europe/Berlin', hours: {sun: ['01:00-04:00']}, holidays: []});

  it('skips the spring-forward gap', () => {
    expect(businessSecondsBetween(nightShift, utc('2026-03-28T12:00:00Z'), utc('2026-03-29T12:00:00Z'))).toBe(2 * 3600);
    // 01:30 CET plus one hour: half an hour before the jump, half an hour after 03:00 CEST.
    expect(iso(addBusinessSeconds(nightShift, utc('2026-03-29T00:30:00Z'), 3600))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('counts the repeated fall-back hour twice', () => {
    expect(businessSecondsBetween(nightShift, utc('2026-10-24T12:00:00Z'), utc('2026-10-25T12:00:00Z'))).toBe(4 * 3600);
    // 02:30 CEST + 1h = 02:30 CET: the wall clock shows the same time, an hour later.
    expect(iso(addBusinessSeconds(nightShift, utc('2026-10-25T00:30:00Z'), 3600))).toBe('2026-10-25T01:30:00.000Z');
  });

  it('follows Lord Howe\'s half-hour shift', () => {
    const lordHowe = compile({timezone: 'Australia/Lord_Howe', hours: {sun: ['01:00-04:00']}, holidays: []});
    // 5 April 2026: 02:00 +11 becomes 01:30 +10:30, so 01:30-02:00 happens twice.
    expect(businessSecondsBetween(lordHowe, utc('2026-04-04T00:00:00Z'), utc('2026-04-05T00:00:00Z'))).toBe(3.5 * 3600);
    // 4 October 2026: 02:00 +10:30 becomes 02:30 +11.
    expect(businessSecondsBetween(lordHowe, utc('2026-10-03T00:00:00Z'), utc('2026-10-04T00:00:00Z'))).toBe(2.5 * 3600);
  });

  it('runs a midnight-spanning interval into the next day, except into a holiday', () => {
    const nights = compile({timezone: 'America/New_York', hours: {fri: ['22:00-02:00']}, holidays: ['2026-07-04']});
    // Friday 3 July 22:00 to Saturday 4 July 02:00, but 4 July is a holiday: two hours, not four.
    expect(businessSecondsBetween(nights, utc('2026-07-03T12:00:00Z'), utc('2026-07-05T12:00:00Z'))).toBe(2 * 3600);
    expect(businessSecondsBetween(nights, utc('2026-07-10T12:00:00Z'), utc('2026-07-12T12:00:00Z'))).toBe(4 * 3600);
  });

  it('ends a due time at closing, not at the next opening', () => {
    const office = compile({timezone: 'Europe/Berlin', hours: {mon: ['09:00-17:00']}, holidays: []});
    expect(iso(addBusinessSeconds(office, utc('2026-03-02T08:00:00Z'), 8 * 3600))).toBe('2026-03-02T16:00:00.000Z');
  });

  it('treats 24x7 as elapsed time', () => {
    expect(businessSecondsBetween(CALENDAR_24X7, utc('2026-03-29T00:00:00Z'), utc('2026-03-30T00:00:00Z'))).toBe(86_400);
    expect(addBusinessSeconds(CALENDAR_24X7, 1000, 5)).toBe(6000);
  });
});
