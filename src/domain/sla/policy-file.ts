import {UsageError} from '../errors.js';
import {TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES, type TicketStatus} from '../ticket.js';
import {
  type BusinessCalendar,
  CALENDAR_24X7_NAME,
  formatOpeningInterval,
  type OpeningInterval,
  parseOpeningInterval,
  type Weekday,
  WEEKDAYS,
} from './calendar.js';
import {formatDuration, parseDuration} from './duration.js';
import {SLA_METRICS, type SlaMetric, type SlaPolicy, type SlaPolicyMatch, type SlaPolicySet} from './policy.js';
import {isValidTimeZone, parseIsoDate} from './time-zone.js';

/**
 * The policy file (YAML on disk, see src/services/sla-policy-file.ts) as plain parsed values,
 * so that the domain needs no YAML parser. Validation reports every problem at once, each
 * with its path in the file, because a user fixing a file wants the whole list, not one error
 * per attempt.
 */

export interface PolicyFileProblem {
  /** Where in the file: `policies[1].targets.firstResponse`. */
  path: string;
  message: string;
}

export type PolicyFileResult = {ok: true; policySet: SlaPolicySet} | {ok: false; problems: PolicyFileProblem[]};

export function formatProblem(problem: PolicyFileProblem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** A policy file that does not validate: a usage error (exit 2), listing every problem. */
export class SlaPolicyFileError extends UsageError {
  readonly problems: PolicyFileProblem[];

  constructor(problems: PolicyFileProblem[], source?: string) {
    const where = source ? `The SLA policy file ${source}` : 'The SLA policy file';
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    super(`${where} has ${count}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, {
      hint: 'Fix the file and import it again; nothing was changed.',
    });
    this.problems = problems;
  }
}

/** Validates a parsed policy file and returns the policy set, or throws SlaPolicyFileError. */
export function parseSlaPolicyFile(input: unknown, source?: string): SlaPolicySet {
  const result = validateSlaPolicyFile(input);
  if (!result.ok) throw new SlaPolicyFileError(result.problems, source);
  return result.policySet;
}

const WEEKDAY_ALIASES: Record<string, Weekday> = {
  sun: 'sun', sunday: 'sun',
  mon: 'mon', monday: 'mon',
  tue: 'tue', tuesday: 'tue',
  wed: 'wed', wednesday: 'wed',
  thu: 'thu', thursday: 'thu',
  fri: 'fri', friday: 'fri',
  sat: 'sat', saturday: 'sat',
};

/** Statuses that end the resolution clock cannot also pause it. */
const UNPAUSABLE: readonly TicketStatus[] = ['solved', 'closed'];

type Plain = Record<string, unknown>;

class Checker {
  readonly problems: PolicyFileProblem[] = [];

  fail(path: string, message: string, value?: unknown): void {
    const shown = value === undefined ? '' : `${quote(value)} `;
    this.problems.push({path, message: `${shown}${message}`});
  }

  object(value: unknown, path: string, allowed: readonly string[]): Plain | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, 'must be a mapping of keys to values', value);
      return undefined;
    }
    const record = value as Plain;
    for (const key of Object.keys(record)) {
      if (allowed.includes(key)) continue;
      const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
      this.fail(join(path, key), near ? `is not a known field; did you mean "${near}"?` : `is not a known field (known: ${allowed.join(', ')})`);
    }
    return record;
  }

  /** A list; a single scalar is taken as a list of one, since YAML users write `priority: urgent`. */
  list(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    if (typeof value === 'string') return [value];
    this.fail(path, 'must be a list', value);
    return undefined;
  }

  string(value: unknown, path: string, what: string): string | undefined {
    if (value === undefined || value === null) {
      this.fail(path, `is missing: give the ${what}`);
      return undefined;
    }
    if (typeof value !== 'string' || !value.trim()) {
      this.fail(path, `must be ${what === 'name' ? 'a non-empty name' : `a ${what}`}`, value);
      return undefined;
    }
    return value.trim();
  }

  enumList<T extends string>(value: unknown, path: string, allowed: readonly T[], what: string): T[] {
    const out: T[] = [];
    (this.list(value, path) ?? []).forEach((item, i) => {
      if (typeof item === 'string' && (allowed as readonly string[]).includes(item)) out.push(item as T);
      else this.fail(`${path}[${i}]`, `is not a ${what} (one of: ${allowed.join(', ')})`, item);
    });
    return out;
  }
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString().slice(0, 10));
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function validateSlaPolicyFile(input: unknown): PolicyFileResult {
  const c = new Checker();
  const root = c.object(input, '', ['calendars', 'policies']);
  if (!root) {
    if (c.problems.length === 0) c.fail('', 'The file is empty: it needs a `policies` list.');
    return {ok: false, problems: c.problems};
  }

  const calendars: BusinessCalendar[] = [];
  const calendarSeen = new Set<string>();
  (c.list(root['calendars'], 'calendars') ?? []).forEach((raw, i) => {
    const calendar = checkCalendar(c, raw, `calendars[${i}]`, calendarSeen);
    if (calendar) calendars.push(calendar);
  });
  // Names of calendars that failed validation still count as defined, so that one broken
  // calendar does not also report every policy using it as "unknown calendar".
  const calendarNames = new Set<string>([CALENDAR_24X7_NAME]);
  (c.list(root['calendars'], 'calendars') ?? []).forEach((raw) => {
    const name = raw && typeof raw === 'object' ? (raw as Plain)['name'] : undefined;
    if (typeof name === 'string') calendarNames.add(name.trim());
  });

  const policies: SlaPolicy[] = [];
  const rawPolicies = c.list(root['policies'], 'policies');
  if (!rawPolicies || rawPolicies.length === 0) {
    if (!c.problems.some((p) => p.path === 'policies')) c.fail('policies', 'is missing or empty: list at least one policy');
  }
  const policySeen = new Set<string>();
  (rawPolicies ?? []).forEach((raw, i) => {
    const policy = checkPolicy(c, raw, `policies[${i}]`, calendarNames, policySeen);
    if (policy) policies.push(policy);
  });

  if (c.problems.length > 0) return {ok: false, problems: c.problems};
  return {ok: true, policySet: {calendars, policies}};
}

function checkCalendar(c: Checker, raw: unknown, path: string, seen: Set<string>): BusinessCalendar | undefined {
  const before = c.problems.length;
  const record = c.object(raw, path, ['name', 'timezone', 'hours', 'holidays']);
  if (!record) {
    if (c.problems.length === before) c.fail(path, 'must be a calendar with a name, a timezone and hours');
    return undefined;
  }
  const name = c.string(record['name'], `${path}.name`, 'name');
  if (name === CALENDAR_24X7_NAME) c.fail(`${path}.name`, 'is the built-in round-the-clock calendar and cannot be redefined', name);
  else if (name && seen.has(name)) c.fail(`${path}.name`, 'is used by an earlier calendar', name);
  if (name) seen.add(name);

  const timeZone = c.string(record['timezone'], `${path}.timezone`, 'IANA time zone like "Europe/Berlin"');
  if (timeZone && !isValidTimeZone(timeZone)) c.fail(`${path}.timezone`, 'is not a known IANA time zone (like "Europe/Berlin" or "America/New_York")', timeZone);

  const hours = checkHours(c, record['hours'], `${path}.hours`);

  const holidays: string[] = [];
  (c.list(record['holidays'], `${path}.holidays`) ?? []).forEach((item, i) => {
    // YAML 1.1 loaders turn an unquoted 2026-12-24 into a Date; take it as the date it was.
    const text = item instanceof Date && !Number.isNaN(item.getTime()) ? item.toISOString().slice(0, 10) : item;
    if (typeof text === 'string' && parseIsoDate(text) !== undefined) holidays.push(text);
    else c.fail(`${path}.holidays[${i}]`, 'is not a date: write it as YYYY-MM-DD', item);
  });

  if (c.problems.length > before || !name || !timeZone || !hours) return undefined;
  return {name, timeZone, hours, holidays};
}

function checkHours(c: Checker, raw: unknown, path: string): Partial<Record<Weekday, OpeningInterval[]>> | undefined {
  if (raw === undefined || raw === null) {
    c.fail(path, 'is missing: give the opening intervals per weekday, like {mon: ["09:00-17:00"]}');
    return undefined;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    c.fail(path, 'must map weekdays to lists of intervals, like {mon: ["09:00-17:00"]}', raw);
    return undefined;
  }
  const before = c.problems.length;
  const hours: Partial<Record<Weekday, OpeningInterval[]>> = {};
  /** Every interval on the week's circle, in minutes from Sunday 00:00, for the overlap check. */
  const placed: Array<{from: number; to: number; path: string; text: string; day: Weekday}> = [];
  for (const [key, value] of Object.entries(raw as Plain)) {
    const day = WEEKDAY_ALIASES[key.toLowerCase()];
    const dayPath = `${path}.${key}`;
    if (!day) {
      c.fail(dayPath, 'is not a weekday (mon, tue, wed, thu, fri, sat, sun)');
      continue;
    }
    if (hours[day]) {
      c.fail(dayPath, `repeats ${day}`);
      continue;
    }
    const intervals: OpeningInterval[] = [];
    (c.list(value, dayPath) ?? []).forEach((item, i) => {
      const itemPath = `${dayPath}[${i}]`;
      if (typeof item !== 'string') {
        c.fail(itemPath, 'must be an interval like "09:00-17:00"', item);
        return;
      }
      const parsed = parseOpeningInterval(item);
      if ('error' in parsed) {
        c.fail(itemPath, parsed.error, item);
        return;
      }
      intervals.push(parsed);
      const base = WEEKDAYS.indexOf(day) * 1440;
      placed.push({from: base + parsed.start, to: base + parsed.end, path: itemPath, text: item, day});
    });
    hours[day] = intervals;
  }

  // Overlaps on the week's circle: Saturday's night shift runs into Sunday.
  const week = 7 * 1440;
  const pieces = placed.flatMap((p) => (p.to > week ? [{...p, to: week}, {...p, from: 0, to: p.to - week}] : [p]));
  pieces.sort((a, b) => a.from - b.from || a.to - b.to);
  const reported = new Set<string>();
  let reach: (typeof pieces)[number] | undefined;
  for (const cur of pieces) {
    if (reach && cur.from < reach.to && reach.path !== cur.path && !reported.has(`${reach.path}|${cur.path}`)) {
      reported.add(`${reach.path}|${cur.path}`);
      c.fail(cur.path, `overlaps "${reach.text}"${reach.day === cur.day ? '' : ` of ${reach.day}`}`, cur.text);
    }
    if (!reach || cur.to > reach.to) reach = cur;
  }

  if (c.problems.length > before) return undefined;
  if (placed.length === 0) {
    c.fail(path, 'opens on no weekday: give at least one interval, or use the calendar "24x7"');
    return undefined;
  }
  for (const day of WEEKDAYS) hours[day]?.sort((a, b) => a.start - b.start);
  return hours;
}

function checkPolicy(c: Checker, raw: unknown, path: string, calendarNames: Set<string>, seen: Set<string>): SlaPolicy | undefined {
  const before = c.problems.length;
  const record = c.object(raw, path, ['name', 'match', 'calendar', 'targets', 'pauseOn']);
  if (!record) {
    if (c.problems.length === before) c.fail(path, 'must be a policy with a name and targets');
    return undefined;
  }
  const name = c.string(record['name'], `${path}.name`, 'name');
  if (name && seen.has(name)) c.fail(`${path}.name`, 'is used by an earlier policy', name);
  if (name) seen.add(name);

  const match: SlaPolicyMatch = {};
  const rawMatch = c.object(record['match'], `${path}.match`, ['priority', 'type', 'tags']);
  if (rawMatch) {
    const priority = c.enumList(rawMatch['priority'], `${path}.match.priority`, TICKET_PRIORITIES, 'priority');
    const type = c.enumList(rawMatch['type'], `${path}.match.type`, TICKET_TYPES, 'ticket type');
    const tags: string[] = [];
    (c.list(rawMatch['tags'], `${path}.match.tags`) ?? []).forEach((tag, i) => {
      if (typeof tag === 'string' && tag.trim() && !/\s/.test(tag.trim())) tags.push(tag.trim().toLowerCase());
      else c.fail(`${path}.match.tags[${i}]`, 'must be a tag: one word without spaces', tag);
    });
    if (priority.length) match.priority = priority;
    if (type.length) match.type = type;
    if (tags.length) match.tags = tags;
  }

  // Calendar time unless told otherwise, like a helpdesk's default.
  let calendar = CALENDAR_24X7_NAME;
  if (record['calendar'] !== undefined) {
    const named = c.string(record['calendar'], `${path}.calendar`, 'calendar name');
    if (named && !calendarNames.has(named)) {
      const known = [...calendarNames].join(', ');
      c.fail(`${path}.calendar`, `is not a calendar of this file (known: ${known})`, named);
    } else if (named) calendar = named;
  }

  const targets: Partial<Record<SlaMetric, number>> = {};
  const rawTargets = record['targets'];
  if (rawTargets === undefined || rawTargets === null) c.fail(`${path}.targets`, `is missing: set at least one of ${SLA_METRICS.join(', ')}`);
  else if (typeof rawTargets !== 'object' || Array.isArray(rawTargets)) c.fail(`${path}.targets`, 'must map metrics to durations, like {firstResponse: 8h}', rawTargets);
  else {
    const entries = Object.entries(rawTargets as Plain);
    if (entries.length === 0) c.fail(`${path}.targets`, `is empty: set at least one of ${SLA_METRICS.join(', ')}`);
    for (const [key, value] of entries) {
      const targetPath = `${path}.targets.${key}`;
      if (!(SLA_METRICS as readonly string[]).includes(key)) {
        c.fail(targetPath, `is not a metric (one of: ${SLA_METRICS.join(', ')})`);
        continue;
      }
      if (typeof value === 'number') {
        c.fail(targetPath, value <= 0 ? 'must be a positive duration' : 'needs a unit: write it like "90m", "8h" or "PT8H"', value);
        continue;
      }
      if (typeof value !== 'string') {
        c.fail(targetPath, 'must be a duration like "90m", "8h", "1h30m" or "PT8H"', value);
        continue;
      }
      const parsed = parseDuration(value);
      if ('error' in parsed) c.fail(targetPath, parsed.error, value);
      else targets[key as SlaMetric] = parsed.seconds;
    }
  }

  const pauseOn = c.enumList(record['pauseOn'], `${path}.pauseOn`, TICKET_STATUSES, 'ticket status');
  pauseOn.forEach((status) => {
    if (UNPAUSABLE.includes(status)) {
      c.fail(`${path}.pauseOn[${pauseOn.indexOf(status)}]`, 'ends the resolution clock and cannot pause it', status);
    }
  });

  if (c.problems.length > before || !name) return undefined;
  return {name, match, calendar, targets, pauseOn: [...new Set(pauseOn)]};
}

/** The policy set written back as a plain file object: what `sla policy view` can print as YAML. */
export function policySetToFile(set: SlaPolicySet): Record<string, unknown> {
  return {
    calendars: set.calendars.map((cal) => ({
      name: cal.name,
      timezone: cal.timeZone,
      hours: Object.fromEntries(WEEKDAYS.filter((d) => cal.hours[d]?.length).map((d) => [d, cal.hours[d]!.map(formatOpeningInterval)])),
      holidays: [...cal.holidays],
    })),
    policies: set.policies.map((p) => ({
      name: p.name,
      match: {...p.match},
      calendar: p.calendar,
      targets: Object.fromEntries(Object.entries(p.targets).map(([k, v]) => [k, formatDuration(v)])),
      ...(p.pauseOn.length ? {pauseOn: [...p.pauseOn]} : {}),
    })),
  };
}

/**
 * `policies[1].targets.resolution` -> `/policies/1/targets/resolution`: a problem's place in the
 * file as an RFC 6901 JSON pointer, the form problem details use on the wire.
 */
export function problemPathToPointer(path: string): string {
  const segments: string[] = [];
  for (const part of path ? path.split('.') : []) {
    const [, key, indexes] = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (key) segments.push(key);
    for (const index of indexes!.matchAll(/\[(\d+)\]/g)) segments.push(index[1]!);
  }
  return segments.map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** The inverse of problemPathToPointer: what a user reads next to the file. */
export function pointerToProblemPath(pointer: string): string {
  if (!pointer.startsWith('/')) return pointer;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((out, segment) => (/^\d+$/.test(segment) && out ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment), '');
}
