import type {SlaMetricResult} from '../../domain/sla/engine.js';
import type {SlaMetric} from '../../domain/sla/policy.js';
import {MAX_LIST_LIMIT, OPEN_STATUSES} from '../../domain/ticket.js';
import {unsupported} from '../capabilities.js';
import type {Backend, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../backend.js';
import type {JsmApi} from './api.js';
import {requestKey} from './errors.js';
import {jiraDate, sdDate, type JiraIssue, type SdDate, type SdPage} from './map.js';
import type {JsmTickets} from './tickets.js';

interface SdDuration {
  millis?: number;
}

interface SdCycle {
  startTime?: SdDate;
  stopTime?: SdDate;
  breachTime?: SdDate;
  breached?: boolean;
  paused?: boolean;
  withinCalendarHours?: boolean;
  goalDuration?: SdDuration;
  elapsedTime?: SdDuration;
  remainingTime?: SdDuration;
}

export interface SdSla {
  id?: string;
  name?: string;
  ongoingCycle?: SdCycle;
  completedCycles?: SdCycle[];
}

/** The policy reported: JSM evaluates its own SLA goals, and names each metric (the SLA's name is the metric's policy). */
export const JSM_POLICY = 'jsm';

/** JSM's SLAs by name: the default ones are "Time to first response" and "Time to resolution"; a custom one naming next, update or reply is the next response. */
const METRICS: [SlaMetric, RegExp][] = [
  ['firstResponse', /first\s+response/i],
  ['nextResponse', /\bnext\b|\bupdate\b|\breply\b/i],
  ['resolution', /resolution|resolve/i],
];

const ms = (d: SdDate | undefined) => (d ? Date.parse(sdDate(d)) : undefined);
const seconds = (d: SdDuration | undefined) => Math.round((d?.millis ?? 0) / 1000);

/**
 * One request's clocks from JSM's SLA endpoint, measured at `at` (JSM's cycles are as of `now`,
 * when the answer came):
 * - an ongoing cycle is due at its breachTime, or, where JSM gives none, at now + remainingTime;
 *   breached once JSM says so or `at` is past that; paused without a due time;
 * - else the last completed cycle: achieved at its stopTime, breached as JSM says.
 * A request with no cycle of a metric has none in the result.
 */
export function evaluateJsm(ticketId: string, title: string, createdAt: number, slas: readonly SdSla[], at: number, now: number): SlaTicketEvaluation {
  const base = {ticketId, title, at};
  if (at < createdAt) return {...base, policy: null, metrics: []};
  const out: SlaMetricResult[] = [];
  for (const [metric, pattern] of METRICS) {
    const sla = slas.find((s) => pattern.test(s.name ?? '') && (s.ongoingCycle || s.completedCycles?.length));
    if (!sla) continue;
    const policy = sla.name ?? JSM_POLICY;
    const target = seconds(sla.ongoingCycle?.goalDuration ?? sla.completedCycles?.at(-1)?.goalDuration);
    const cycle = sla.ongoingCycle;
    if (cycle) {
      const startedAt = ms(cycle.startTime) ?? createdAt;
      if (cycle.paused) {
        const remaining = seconds(cycle.remainingTime);
        out.push({metric, policy, status: cycle.breached ? 'breached' : 'paused', startedAt, dueAt: null, achievedAt: null, targetSeconds: target, elapsedSeconds: Math.max(0, target - remaining), remainingSeconds: remaining, paused: true, breached: cycle.breached === true});
        continue;
      }
      const dueAt = ms(cycle.breachTime) ?? now + (cycle.remainingTime?.millis ?? 0);
      const remaining = Math.round((dueAt - at) / 1000);
      const breached = cycle.breached === true || remaining < 0;
      out.push({metric, policy, status: breached ? 'breached' : 'active', startedAt, dueAt, achievedAt: null, targetSeconds: target, elapsedSeconds: Math.max(0, target - remaining), remainingSeconds: remaining, paused: false, breached});
      continue;
    }
    const last = sla.completedCycles!.at(-1)!;
    const stop = ms(last.stopTime) ?? at;
    const breached = last.breached === true;
    out.push({
      metric,
      policy,
      status: breached ? 'breached' : 'achieved',
      startedAt: ms(last.startTime) ?? createdAt,
      dueAt: ms(last.breachTime) ?? null,
      achievedAt: stop,
      targetSeconds: target,
      elapsedSeconds: seconds(last.elapsedTime),
      remainingSeconds: seconds(last.remainingTime),
      paused: false,
      breached,
    });
  }
  return {...base, policy: out.length ? JSM_POLICY : null, metrics: out};
}

/**
 * SLA through JSM: it evaluates the SLA goals of each service desk, so `status` reads the clocks
 * it keeps (GET /rest/servicedeskapi/request/{key}/sla). Its goals live in the project settings;
 * the toolkit's policy files cannot be imported into it.
 */
export class JsmSla implements SlaApi {
  constructor(
    private readonly api: JsmApi,
    private readonly tickets: JsmTickets,
    private readonly backend: () => Pick<Backend, 'kind' | 'hints'>,
  ) {}

  policies(): Promise<SlaPolicyVersion> {
    return Promise.reject(unsupported(this.backend(), 'sla-policies'));
  }

  policyVersions(): Promise<SlaPolicyVersion[]> {
    return Promise.reject(unsupported(this.backend(), 'sla-policies'));
  }

  importPolicies(): Promise<SlaPolicyVersion> {
    return Promise.reject(unsupported(this.backend(), 'sla-policies'));
  }

  async status(which: readonly string[] | 'open', at: number): Promise<SlaTicketEvaluation[]> {
    let requests: {key: string; title: string; createdAt: number; issueId: number}[];
    if (which === 'open') {
      requests = [];
      let cursor: string | undefined;
      do {
        const page = await this.tickets.list({status: [...OPEN_STATUSES], limit: MAX_LIST_LIMIT, cursor});
        for (const t of page.tickets) if (Date.parse(t.createdAt) <= at) requests.push({key: t.id, title: t.title, createdAt: Date.parse(t.createdAt), issueId: Number(t.fields.issue_id)});
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      requests.sort((a, b) => a.issueId - b.issueId);
    } else {
      requests = [];
      for (const id of which) {
        const key = requestKey(id);
        const issue = await this.api.call<JiraIssue>(
          {method: 'GET', path: `rest/api/3/issue/${encodeURIComponent(key)}`, query: {fields: 'summary,created'}},
          {subject: `request ${id}`, action: `read ${key}`},
        );
        requests.push({key: issue.key, title: issue.fields.summary ?? '', createdAt: Date.parse(jiraDate(issue.fields.created)), issueId: Number(issue.id)});
      }
    }
    const out: SlaTicketEvaluation[] = [];
    for (const r of requests) {
      const slas = await this.api.call<SdPage<SdSla>>(
        {method: 'GET', path: `rest/servicedeskapi/request/${encodeURIComponent(r.key)}/sla`, query: {start: 0, limit: 50}},
        {subject: `request ${r.key}`, action: `read the SLAs of ${r.key}`},
      );
      out.push(evaluateJsm(r.key, r.title, r.createdAt, slas.values, at, Date.now()));
    }
    return out;
  }
}
