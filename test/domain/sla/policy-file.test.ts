import {describe, expect, it} from 'vitest';

import {ExitCode, UsageError} from '../../../src/domain/errors.js';
import {
  DEFAULT_SLA_POLICY_FILE,
  DEFAULT_SLA_POLICY_SET,
  formatDuration,
  formatProblem,
  matchPolicy,
  parseDuration,
  parseSlaPolicyFile,
  pointerToProblemPath,
  policySetToFile,
  problemPathToPointer,
  SlaPolicyFileError,
  validateSlaPolicyFile,
} from '../../../src/domain/sla/index.js';

/** The file of issue 6, as a YAML parser hands it over. */
const issueFile = () => ({
  calendars: [
    {
      name: 'berlin',
      timezone: 'Europe/Berlin',
      hours: {mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-15:00']},
      holidays: ['2026-12-24', '2026-12-25', '2026-12-26'],
    },
  ] as Array<Record<string, unknown>>,
  policies: [
    {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '8h'}},
    {name: 'standard', match: {}, calendar: 'berlin', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending', 'on_hold']},
  ] as Array<Record<string, unknown>>,
});

/** The problems of a file, as the user reads them. */
function problems(file: unknown): string[] {
  const result = validateSlaPolicyFile(file);
  return result.ok ? [] : result.problems.map(formatProblem);
}

function withHours(hours: Record<string, unknown>) {
  const file = issueFile();
  file.calendars[0]!['hours'] = hours;
  return file;
}

describe('the policy file', () => {
  it('reads the example of issue 6', () => {
    const set = parseSlaPolicyFile(issueFile());
    expect(set.policies.map((p) => p.name)).toEqual(['urgent', 'standard']);
    expect(set.policies[1]).toEqual({
      name: 'standard',
      match: {},
      calendar: 'berlin',
      targets: {firstResponse: 8 * 3600, nextResponse: 16 * 3600, resolution: 40 * 3600},
      pauseOn: ['pending', 'on_hold'],
    });
    expect(set.calendars[0]).toMatchObject({name: 'berlin', timeZone: 'Europe/Berlin', hours: {fri: [{start: 540, end: 900}]}});
    expect(matchPolicy(set, {priority: 'urgent', type: 'incident', tags: []})?.name).toBe('urgent');
    expect(matchPolicy(set, {priority: 'low', type: 'question', tags: []})?.name).toBe('standard');
  });

  it('round-trips through policySetToFile', () => {
    const set = parseSlaPolicyFile(issueFile());
    expect(parseSlaPolicyFile(policySetToFile(set))).toEqual(set);
  });

  it('accepts midnight-spanning intervals and intervals ending at 24:00', () => {
    const set = parseSlaPolicyFile(withHours({mon: ['18:00-24:00'], tue: ['22:00-02:00'], wed: ['03:00-09:00']}));
    expect(set.calendars[0]!.hours.tue).toEqual([{start: 1320, end: 1560}]);
  });

  it('reports an unknown calendar', () => {
    const file = issueFile();
    file.policies[1]!['calendar'] = 'munich';
    expect(problems(file)).toEqual(['policies[1].calendar: "munich" is not a calendar of this file (known: 24x7, berlin)']);
  });

  it('reports overlapping intervals, within a day and across midnight', () => {
    expect(problems(withHours({mon: ['09:00-17:00', '16:00-18:00']}))).toEqual(['calendars[0].hours.mon[1]: "16:00-18:00" overlaps "09:00-17:00"']);
    expect(problems(withHours({sat: ['20:00-03:00'], sun: ['02:00-06:00']}))).toEqual(['calendars[0].hours.sun[0]: "02:00-06:00" overlaps "20:00-03:00" of sat']);
  });

  it('reports an inverted (empty) interval', () => {
    expect(problems(withHours({mon: ['09:00-09:00']}))).toEqual([
      'calendars[0].hours.mon[0]: "09:00-09:00" is empty or inverted: it must end after it starts (use "00:00-24:00" for a whole day)',
    ]);
  });

  it('reports an unknown time zone', () => {
    const file = issueFile();
    file.calendars[0]!['timezone'] = 'Europe/Atlantis';
    expect(problems(file)).toEqual(['calendars[0].timezone: "Europe/Atlantis" is not a known IANA time zone (like "Europe/Berlin" or "America/New_York")']);
  });

  it('reports 25:00', () => {
    expect(problems(withHours({mon: ['09:00-25:00']}))).toEqual(['calendars[0].hours.mon[0]: "09:00-25:00" ends at 25:00, which is not a time of day (00:00 to 24:00)']);
    expect(problems(withHours({mon: ['24:00-02:00']}))).toEqual(['calendars[0].hours.mon[0]: "24:00-02:00" starts at 24:00: an interval must start by 23:59']);
  });

  it('reports a negative target', () => {
    const file = issueFile();
    file.policies[0]!['targets'] = {firstResponse: '-1h'};
    expect(problems(file)).toEqual(['policies[0].targets.firstResponse: "-1h" must be a positive duration']);
  });

  it('reports a zero target', () => {
    const file = issueFile();
    file.policies[1]!['targets'] = {firstResponse: '0m', resolution: 'PT0S'};
    expect(problems(file)).toEqual([
      'policies[1].targets.firstResponse: "0m" must be a positive duration',
      'policies[1].targets.resolution: "PT0S" must be a positive duration',
    ]);
  });

  it('reports an unknown metric', () => {
    const file = issueFile();
    file.policies[0]!['targets'] = {firstResponse: '1h', firstReply: '2h'};
    expect(problems(file)).toEqual(['policies[0].targets.firstReply: is not a metric (one of: firstResponse, nextResponse, resolution)']);
  });

  it('reports a holiday that is not a date', () => {
    const file = issueFile();
    file.calendars[0]!['holidays'] = ['2026-12-24', 'Christmas', '2026-02-30'];
    expect(problems(file)).toEqual([
      'calendars[0].holidays[1]: "Christmas" is not a date: write it as YYYY-MM-DD',
      'calendars[0].holidays[2]: "2026-02-30" is not a date: write it as YYYY-MM-DD',
    ]);
  });

  it('reports an unknown weekday', () => {
    expect(problems(withHours({mon: ['09:00-17:00'], fryday: ['09:00-15:00']}))).toEqual([
      'calendars[0].hours.fryday: is not a weekday (mon, tue, wed, thu, fri, sat, sun)',
    ]);
  });

  it('reports every problem at once, and throws a usage error listing them', () => {
    const file = issueFile();
    file.calendars[0]!['timezone'] = 'Nowhere';
    file.calendars[0]!['hours'] = {mon: ['9-5']};
    file.policies[0]!['targets'] = {firstResponse: 'soon'};
    file.policies[1]!['pauseOn'] = ['pending', 'solved'];
    file.policies[1]!['match'] = {priority: ['critical']};
    expect(problems(file)).toEqual([
      'calendars[0].timezone: "Nowhere" is not a known IANA time zone (like "Europe/Berlin" or "America/New_York")',
      'calendars[0].hours.mon[0]: "9-5" must be an interval like "09:00-17:00"',
      'policies[0].targets.firstResponse: "soon" must be a duration like "90m", "8h", "1h30m" or "PT8H"',
      'policies[1].match.priority[0]: "critical" is not a priority (one of: low, normal, high, urgent)',
      'policies[1].pauseOn[1]: "solved" ends the resolution clock and cannot pause it',
    ]);
    const error = (() => {
      try {
        parseSlaPolicyFile(file, 'sla.yaml');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SlaPolicyFileError);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as SlaPolicyFileError).exitCode).toBe(ExitCode.usage);
    expect((error as SlaPolicyFileError).message).toContain('The SLA policy file sla.yaml has 5 problems:\n  calendars[0].timezone:');
  });

  it('reports unknown fields, duplicate names, missing policies and a redefined 24x7', () => {
    expect(problems({calendars: [], policies: []})).toEqual(['policies: is missing or empty: list at least one policy']);
    const file = issueFile();
    file.calendars.push({name: '24x7', timezone: 'UTC', hours: {mon: ['00:00-24:00']}});
    file.policies.push({name: 'urgent', targets: {resolution: '1h'}, pauseon: ['pending']});
    expect(problems(file)).toEqual([
      'calendars[1].name: "24x7" is the built-in round-the-clock calendar and cannot be redefined',
      'policies[2].pauseon: is not a known field; did you mean "pauseOn"?',
      'policies[2].name: "urgent" is used by an earlier policy',
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['90m', 5400],
    ['8h', 28_800],
    ['1h30m', 5400],
    ['45s', 45],
    ['PT8H', 28_800],
    ['P1DT2H', 93_600],
    ['PT1H30M', 5400],
    ['P1W', 604_800],
  ])('reads %s', (text, seconds) => {
    expect(parseDuration(text)).toEqual({seconds});
  });

  it.each(['', '8', '1.5h', 'P1M', 'P1Y', 'PT', '30m1h', 'eight hours'])('refuses %j', (text) => {
    expect(parseDuration(text)).toHaveProperty('error');
  });

  it('formats seconds as the shorthand', () => {
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(40 * 3600)).toBe('40h');
  });
});

describe('the default policy set', () => {
  it('validates and covers every ticket', () => {
    expect(validateSlaPolicyFile(DEFAULT_SLA_POLICY_FILE).ok).toBe(true);
    expect(matchPolicy(DEFAULT_SLA_POLICY_SET, {priority: 'urgent', type: 'incident', tags: []})?.name).toBe('urgent');
    expect(matchPolicy(DEFAULT_SLA_POLICY_SET, {priority: 'high', type: 'incident', tags: []})?.name).toBe('high');
    expect(matchPolicy(DEFAULT_SLA_POLICY_SET, {priority: 'low', type: 'task', tags: []})?.name).toBe('standard');
  });
});

describe('problem paths on the wire', () => {
  it('turns a place in the file into a JSON pointer and back', () => {
    for (const [path, pointer] of [
      ['policies[1].targets.resolution', '/policies/1/targets/resolution'],
      ['calendars[0].hours.mon[2]', '/calendars/0/hours/mon/2'],
      ['policies', '/policies'],
      ['a/b.c~d', '/a~1b/c~0d'],
      ['', ''],
    ] as const) {
      expect(problemPathToPointer(path)).toBe(pointer);
      expect(pointerToProblemPath(pointer)).toBe(path);
    }
  });
});
