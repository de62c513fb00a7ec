import type {SlaMetricJson} from '../../domain/sla/engine.js';
import type {
  SlaCalendarJson,
  SlaPolicyImportReport,
  SlaPolicyJson,
  SlaPolicyListReport,
  SlaPolicyReport,
  SlaStatusReport,
  SlaTicketReport,
} from '../../services/sla.js';
import {paint, relativeTime, renderTable, type Column, type OutputMode} from '../output.js';
import {fieldLines, joinShown, plainRow, shown, type Painter, type Shown} from '../shown.js';

const METRIC_LABEL: Record<string, string> = {firstResponse: 'first response', nextResponse: 'next response', resolution: 'resolution'};

/** 5400 -> "1h 30m": business time left or used, as a person reads it. */
export function formatBusinessSeconds(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const abs = Math.abs(seconds);
  if (abs < 60) return abs === 0 ? '0m' : `${sign}<1m`;
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  if (h >= 100 || (h > 0 && m === 0)) return `${sign}${h}h`;
  return h ? `${sign}${h}h ${m}m` : `${sign}${m}m`;
}

type Tone = 'red' | 'yellow' | 'green' | 'gray';

/** Red when breached, yellow under a quarter of the target left, green otherwise; paused is grey. */
export function metricTone(m: SlaMetricJson): Tone {
  if (m.breached) return 'red';
  if (m.status === 'achieved') return 'green';
  if (m.paused) return 'gray';
  const target = m.elapsedSeconds + m.remainingSeconds;
  return m.remainingSeconds < target * 0.25 ? 'yellow' : 'green';
}

/** The REMAINING cell on a terminal. */
function remainingText(m: SlaMetricJson): string {
  if (m.status === 'achieved') return '-';
  if (m.breached) return m.achievedAt ? 'breached (achieved late)' : `breached, ${formatBusinessSeconds(m.remainingSeconds)}`;
  if (m.paused) return `${formatBusinessSeconds(m.remainingSeconds)} (paused)`;
  return formatBusinessSeconds(m.remainingSeconds);
}

interface StatusRow {
  ticket: SlaTicketReport;
  metric?: SlaMetricJson;
  first: boolean;
}

export async function renderSlaStatus(report: SlaStatusReport, mode: OutputMode): Promise<Shown> {
  const at = Date.parse(report.at);
  const rows = report.tickets.flatMap((ticket): StatusRow[] =>
    ticket.metrics.length === 0 ? [{ticket, first: true}] : ticket.metrics.map((metric, i) => ({ticket, metric, first: i === 0})),
  );
  // On a terminal a ticket's later rows leave its columns blank, so each ticket reads as a block.
  const once = (row: StatusRow, text: string) => (mode.tty && !row.first ? '' : text);
  const tone = (row: StatusRow, text: Shown, c: Painter) => (row.metric ? c[metricTone(row.metric)](text) : c.gray(text));
  const columns: Column<StatusRow>[] = [
    {header: 'TICKET', get: (r) => once(r, r.ticket.ticketId), truncate: false, style: (s, _r, c) => c.cyan(s)},
    {header: 'TITLE', get: (r) => once(r, r.ticket.title)},
    {header: 'POLICY', get: (r) => once(r, r.ticket.policy ?? (mode.tty ? 'none' : ''))},
    {header: 'METRIC', get: (r) => (r.metric ? (mode.tty ? METRIC_LABEL[r.metric.metric]! : r.metric.metric) : ''), truncate: false},
    {header: 'STATUS', get: (r) => r.metric?.status ?? (mode.tty ? 'no policy applies' : ''), truncate: false, style: (s, r, c) => tone(r, s, c)},
    {
      header: 'DUE',
      truncate: false,
      get: (r) => {
        const due = r.metric?.dueAt;
        if (!due) return mode.tty && r.metric?.paused ? 'when resumed' : '';
        return mode.tty ? relativeTime(due, at) : due;
      },
    },
    {
      header: 'REMAINING',
      truncate: false,
      get: (r) => (r.metric ? (mode.tty ? remainingText(r.metric) : String(r.metric.remainingSeconds)) : ''),
      style: (s, r, c) => tone(r, s, c),
    },
  ];
  return renderTable(rows, columns, mode);
}

/** The line `ticket view` shows under the ticket's heading. */
export async function renderSlaLine(report: SlaTicketReport, mode: OutputMode): Promise<Shown> {
  const c = await paint(mode);
  if (!report.policy) return c.gray('SLA: no policy applies');
  const parts = report.metrics.map((m) => {
    const due = m.dueAt && m.status === 'active' ? ` (due ${relativeTime(m.dueAt)})` : '';
    const text = m.status === 'achieved' ? 'achieved' : remainingText(m) + (m.status === 'active' ? ' left' : '');
    return shown`${METRIC_LABEL[m.metric]!} ${c[metricTone(m)](text)}${due}`;
  });
  return shown`${c.gray(`SLA (${report.policy}):`)} ${parts.length ? joinShown(parts, c.gray(' · ')) : c.gray('no clocks')}`;
}

const describeMatch = (p: SlaPolicyJson, sep: string) => {
  const parts = Object.entries(p.match)
    .filter(([, v]) => Array.isArray(v) && v.length > 0)
    .map(([k, v]) => `${k}=${(v as string[]).join(',')}`);
  return parts.length ? parts.join(sep) : 'any';
};

export function renderSlaPolicyList(report: SlaPolicyListReport, mode: OutputMode): Promise<Shown> {
  const target = (p: SlaPolicyJson, metric: keyof SlaPolicyJson['targets']) => p.targets[metric] ?? (mode.tty ? '-' : '');
  const columns: Column<SlaPolicyJson>[] = [
    {header: 'NAME', get: (p) => p.name, style: (s, _p, c) => c.bold(s)},
    {header: 'MATCH', get: (p) => describeMatch(p, mode.tty ? ' ' : ';')},
    {header: 'CALENDAR', get: (p) => p.calendar},
    {header: 'FIRST RESPONSE', get: (p) => target(p, 'firstResponse')},
    {header: 'NEXT RESPONSE', get: (p) => target(p, 'nextResponse')},
    {header: 'RESOLUTION', get: (p) => target(p, 'resolution')},
    {header: 'PAUSE ON', get: (p) => p.pauseOn.join(','), style: (s, _p, c) => c.gray(s)},
  ];
  return renderTable(report.policies, columns, mode);
}

/** Said on stderr on a terminal: which version is in force and since when. */
export function describeVersion(report: {version: number; source: string; effectiveFrom: string}): string {
  const since = Date.parse(report.effectiveFrom) === 0 ? 'for every ticket' : `for tickets created since ${report.effectiveFrom}`;
  const origin = /^\(.*\)$/.test(report.source) ? report.source.slice(1, -1) : `from ${report.source}`;
  return `Policy set version ${report.version}, ${origin}, in force ${since}; the first policy that matches a ticket applies.`;
}

function hoursLines(calendar: SlaCalendarJson): string[] {
  return Object.entries(calendar.hours).map(([day, intervals]) => `${day} ${intervals.join(', ')}`);
}

export async function renderSlaPolicy(report: SlaPolicyReport, mode: OutputMode): Promise<Shown> {
  const {policy, calendar} = report;
  const targets = Object.entries(policy.targets).map(([k, v]) => [METRIC_LABEL[k] ?? k, v] as const);
  if (!mode.tty) {
    return fieldLines([
      ['name', policy.name],
      ['version', report.version],
      ['match', describeMatch(policy, ';')],
      ['calendar', calendar.name],
      ['timezone', calendar.timezone],
      ...hoursLines(calendar).map((l) => ['hours', l] as const),
      ['holidays', calendar.holidays.join(',')],
      ...Object.entries(policy.targets).map(([k, v]) => [`target.${k}`, v] as const),
      ['pauseOn', policy.pauseOn.join(',')],
    ]);
  }
  const c = await paint(mode);
  const label = (s: string) => c.gray(s.padEnd(11));
  const indent = ' '.repeat(11);
  return joinShown([
    shown`${c.bold(policy.name)} ${c.gray(`· version ${report.version} · ${report.source}`)}`,
    shown`${label('Match')}${describeMatch(policy, ' and ') === 'any' ? 'any ticket' : describeMatch(policy, ' and ')}`,
    shown`${label('Calendar')}${calendar.name} (${calendar.timezone})`,
    ...hoursLines(calendar).map((l) => shown`${indent}${l}`),
    ...(calendar.holidays.length ? [shown`${indent}closed ${calendar.holidays.join(', ')}`] : []),
    shown`${label('Targets')}${joinShown(targets.map(([k, v]) => shown`${k} ${c.bold(v)}`), ' · ')} ${c.gray('(business time)')}`,
    shown`${label('Pauses on')}${policy.pauseOn.length ? policy.pauseOn.join(', ') : c.gray('nothing')} ${c.gray('(resolution only)')}`,
  ]);
}

export function renderSlaImport(report: SlaPolicyImportReport, mode: OutputMode): Shown {
  if (!mode.tty) return plainRow([report.version]);
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return joinShown([
    shown`Imported ${n(report.policies.length, 'policy').replace('policys', 'policies')} and ${n(report.calendars.length, 'calendar')} from ${report.source} as version ${report.version}.`,
    shown`Tickets created from now on use them; older tickets keep the policies they were opened under.`,
  ]);
}
