import {basename} from 'node:path';

import type {Backend, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../backends/backend.js';
import {requireCapability, unsupported} from '../backends/capabilities.js';
import {NotFoundError} from '../domain/errors.js';
import {CALENDAR_24X7} from '../domain/sla/calendar.js';
import {metricToJson, type SlaMetricJson} from '../domain/sla/engine.js';
import {policySetToFile} from '../domain/sla/policy-file.js';
import {findCalendar, type SlaMetric, type SlaPolicyMatch} from '../domain/sla/policy.js';
import {evaluateTicketSla, type EffectivePolicySet} from '../domain/sla/versions.js';
import {MAX_LIST_LIMIT, OPEN_STATUSES, type Ticket, type TicketStatus} from '../domain/ticket.js';
import {loadSlaPolicyFile} from './sla-policy-file.js';

/** One ticket in `sla status --json`. */
export interface SlaTicketReport {
  ticketId: string;
  title: string;
  /** The policy that applies, or null when none matches (or the ticket did not exist at `at`). */
  policy: string | null;
  metrics: SlaMetricJson[];
}

/** `sla status --json`, the shape of issue 6. */
export interface SlaStatusReport {
  /** The instant evaluated, ISO UTC. */
  at: string;
  tickets: SlaTicketReport[];
}

export interface SlaStatusOptions {
  /** Ticket ids; none means every open ticket (new, open, pending, on hold). */
  tickets?: readonly string[];
  /** Evaluate as of this instant (epoch ms); default now. */
  at?: number;
  /**
   * Keep only metrics that are breached, or still running and due within this many seconds of
   * wall-clock time after `at`; tickets left with no metric are dropped.
   */
  breachingWithinSeconds?: number;
}

function requireSla(backend: Backend): SlaApi {
  if (!backend.capabilities.has('sla') || !backend.sla) throw unsupported(backend, 'sla');
  return backend.sla;
}

/** The toolkit's own policy sets: a helpdesk that keeps its own policies says it cannot. */
function requirePolicies(backend: Backend): SlaApi {
  const sla = requireSla(backend);
  requireCapability(backend, 'sla-policies');
  return sla;
}

/** Clocks of the named tickets, or of every open ticket, as of `at`. */
export async function slaStatus(backend: Backend, options: SlaStatusOptions = {}): Promise<SlaStatusReport> {
  const sla = requireSla(backend);
  const at = options.at ?? Date.now();
  const which = options.tickets?.length ? [...new Set(options.tickets.map((id) => id.trim()))] : 'open';
  const evaluations = sla.status ? await sla.status(which, at) : await evaluateOverTickets(backend, sla, which, at);
  let tickets = evaluations.map(toReport);
  if (options.breachingWithinSeconds !== undefined) {
    const horizon = at + options.breachingWithinSeconds * 1000;
    tickets = tickets
      .map((t) => ({...t, metrics: t.metrics.filter((m) => m.breached || (m.status === 'active' && m.dueAt !== null && Date.parse(m.dueAt) <= horizon))}))
      .filter((t) => t.metrics.length > 0);
  }
  return {at: new Date(at).toISOString(), tickets};
}

/** True when any metric in the report is breached: `--fail-on-breach` exits 8 on it. */
export function countBreached(report: SlaStatusReport): number {
  return report.tickets.reduce((n, t) => n + t.metrics.filter((m) => m.breached).length, 0);
}

/** One ticket's clocks now, for `ticket view`; undefined when the backend has no SLA. */
export async function ticketSla(backend: Backend, id: string, at = Date.now()): Promise<SlaTicketReport | undefined> {
  if (!backend.capabilities.has('sla') || !backend.sla) return undefined;
  return (await slaStatus(backend, {tickets: [id], at})).tickets[0];
}

function toReport(e: SlaTicketEvaluation): SlaTicketReport {
  return {ticketId: e.ticketId, title: e.title, policy: e.policy, metrics: e.metrics.map(metricToJson)};
}

/**
 * For a backend that stores policies but cannot evaluate: read the tickets through the list
 * cursor and each ticket's events, then run the engine here, with the policy set in force at
 * each ticket's creation.
 */
async function evaluateOverTickets(backend: Backend, sla: SlaApi, which: readonly string[] | 'open', at: number): Promise<SlaTicketEvaluation[]> {
  requireCapability(backend, 'events');
  requireCapability(backend, 'sla-policies');
  const versions: EffectivePolicySet[] = await sla.policyVersions();
  let tickets: Ticket[] = [];
  if (which === 'open') {
    let cursor: string | undefined;
    do {
      const page = await backend.tickets.list({status: [...OPEN_STATUSES], limit: MAX_LIST_LIMIT, cursor});
      tickets.push(...page.tickets.filter((t) => Date.parse(t.createdAt) <= at));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    tickets.sort((a, b) => a.id.localeCompare(b.id, 'en', {numeric: true}));
  } else {
    tickets = await mapLimited(which, 8, (id) => backend.tickets.get(id));
  }
  return mapLimited(tickets, 8, async (ticket) => ({
    ...evaluateTicketSla(ticket, await backend.tickets.events(ticket.id), versions, at),
    title: ticket.title,
  }));
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
  return out;
}

/* ---- policies ---- */

/** A policy as the policy file writes it: durations like "8h". */
export interface SlaPolicyJson {
  name: string;
  match: SlaPolicyMatch;
  calendar: string;
  targets: Partial<Record<SlaMetric, string>>;
  pauseOn: TicketStatus[];
}

/** A calendar as the policy file writes it. */
export interface SlaCalendarJson {
  name: string;
  timezone: string;
  hours: Record<string, string[]>;
  holidays: string[];
}

export interface SlaPolicySetInfo {
  version: number;
  effectiveFrom: string;
  importedAt: string;
  source: string;
}

export interface SlaPolicyListReport extends SlaPolicySetInfo {
  /** In order: the first that matches a ticket applies. */
  policies: SlaPolicyJson[];
  calendars: SlaCalendarJson[];
}

export interface SlaPolicyReport extends SlaPolicySetInfo {
  policy: SlaPolicyJson;
  calendar: SlaCalendarJson;
}

export interface SlaPolicyImportReport extends SlaPolicySetInfo {
  policies: string[];
  calendars: string[];
}

interface PolicyFileJson {
  calendars: SlaCalendarJson[];
  policies: (Omit<SlaPolicyJson, 'pauseOn'> & {pauseOn?: TicketStatus[]})[];
}

function info(v: SlaPolicyVersion): SlaPolicySetInfo {
  return {version: v.version, effectiveFrom: v.effectiveFrom, importedAt: v.importedAt, source: v.source};
}

function toFileJson(v: SlaPolicyVersion): {policies: SlaPolicyJson[]; calendars: SlaCalendarJson[]} {
  const file = policySetToFile(v.policySet) as unknown as PolicyFileJson;
  return {policies: file.policies.map((p) => ({...p, pauseOn: p.pauseOn ?? []})), calendars: file.calendars};
}

/** The policy set in force now. */
export async function listSlaPolicies(backend: Backend): Promise<SlaPolicyListReport> {
  const current = await requirePolicies(backend).policies();
  return {...info(current), ...toFileJson(current)};
}

/** One policy of the set in force now, with its calendar spelled out. */
export async function viewSlaPolicy(backend: Backend, name: string): Promise<SlaPolicyReport> {
  const current = await requirePolicies(backend).policies();
  const {policies, calendars} = toFileJson(current);
  const policy = policies.find((p) => p.name === name);
  if (!policy) {
    throw new NotFoundError(`There is no SLA policy named "${name}".`, {
      hint: `The policies in force are: ${policies.map((p) => p.name).join(', ')}. See them with \`support sla policy list\`.`,
    });
  }
  let calendar = calendars.find((c) => c.name === policy.calendar);
  if (!calendar && findCalendar(current.policySet, policy.calendar) === CALENDAR_24X7) {
    calendar = {name: CALENDAR_24X7.name, timezone: CALENDAR_24X7.timeZone, hours: Object.fromEntries(Object.keys(CALENDAR_24X7.hours).map((d) => [d, ['00:00-24:00']])), holidays: []};
  }
  return {...info(current), policy, calendar: calendar!};
}

/**
 * Validates the whole file first (every problem reported with its path, as a usage error) and
 * only then adds a version, in force for tickets created from now on.
 */
export async function importSlaPolicies(backend: Backend, path: string): Promise<SlaPolicyImportReport> {
  const sla = requirePolicies(backend);
  const set = await loadSlaPolicyFile(path);
  const version = await sla.importPolicies(set, {source: basename(path)});
  return {...info(version), policies: set.policies.map((p) => p.name), calendars: set.calendars.map((c) => c.name)};
}
