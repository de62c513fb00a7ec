import {NotFoundError} from '../../domain/errors.js';
import type {SlaMetricResult} from '../../domain/sla/engine.js';
import type {SlaMetric} from '../../domain/sla/policy.js';
import {OPEN_STATUSES, MAX_LIST_LIMIT} from '../../domain/ticket.js';
import {unsupported} from '../capabilities.js';
import type {Backend, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../backend.js';
import type {ZendeskApi} from './api.js';
import type {ZendeskTickets} from './tickets.js';
import type {ZdPolicyMetric, ZdTicket} from './map.js';

/** Tickets per show_many request (Zendesk's limit). */
const TICKETS_PER_REQUEST = 100;

/** Zendesk's metrics that the toolkit's three stand for; the resolution clock is the first of these the ticket has. */
const FIRST_RESPONSE = 'first_reply_time';
const NEXT_RESPONSE = 'next_reply_time';
const RESOLUTION = ['requester_wait_time', 'total_resolution_time', 'agent_work_time'];

/** The policy name reported: Zendesk's sideload says which metrics apply, not which of its policies. */
export const ZENDESK_POLICY = 'zendesk';

const seconds = (m: ZdPolicyMetric): number | undefined =>
  m.days !== undefined ? m.days * 86_400 : m.hours !== undefined ? m.hours * 3600 : m.minutes !== undefined ? m.minutes * 60 : undefined;

/**
 * One ticket's clocks from Zendesk's own evaluation (`include=slas`), measured at `at`:
 * - active: due at Zendesk's breach_at; breached once `at` is past it;
 * - paused: no due time (it moves when the clock resumes); the time left is Zendesk's figure;
 * - achieved: met (the sideload tells neither when nor whether late).
 * Zendesk's stages are as of now; `at` moves only the instant the due times are measured from.
 */
export function evaluateZendesk(ticket: ZdTicket, at: number): SlaTicketEvaluation {
  const created = Date.parse(ticket.created_at);
  const base = {ticketId: String(ticket.id), title: ticket.subject ?? '', at};
  const metrics = ticket.slas?.policy_metrics ?? [];
  if (at < created || !metrics.length) return {...base, policy: null, metrics: []};
  const pick: [SlaMetric, ZdPolicyMetric | undefined][] = [
    ['firstResponse', metrics.find((m) => m.metric === FIRST_RESPONSE)],
    ['nextResponse', metrics.find((m) => m.metric === NEXT_RESPONSE)],
    ['resolution', RESOLUTION.map((name) => metrics.find((m) => m.metric === name)).find(Boolean)],
  ];
  const elapsed = Math.max(0, Math.round((at - created) / 1000));
  const out: SlaMetricResult[] = [];
  for (const [metric, m] of pick) {
    if (!m) continue;
    const dueAt = m.breach_at ? Date.parse(m.breach_at) : null;
    if (m.stage === 'paused') {
      const remaining = seconds(m) ?? 0;
      out.push({metric, policy: ZENDESK_POLICY, status: 'paused', startedAt: created, dueAt: null, achievedAt: null, targetSeconds: elapsed + remaining, elapsedSeconds: elapsed, remainingSeconds: remaining, paused: true, breached: false});
    } else if (m.stage === 'achieved') {
      out.push({metric, policy: ZENDESK_POLICY, status: 'achieved', startedAt: created, dueAt, achievedAt: null, targetSeconds: elapsed, elapsedSeconds: elapsed, remainingSeconds: 0, paused: false, breached: false});
    } else {
      const remaining = dueAt === null ? (seconds(m) ?? 0) : Math.round((dueAt - at) / 1000);
      const breached = remaining < 0;
      out.push({metric, policy: ZENDESK_POLICY, status: breached ? 'breached' : 'active', startedAt: created, dueAt, achievedAt: null, targetSeconds: elapsed + remaining, elapsedSeconds: elapsed, remainingSeconds: remaining, paused: false, breached});
    }
  }
  return {...base, policy: out.length ? ZENDESK_POLICY : null, metrics: out};
}

/**
 * SLA through Zendesk: it evaluates its own policies, so `status` reads the clocks it keeps
 * (tickets with include=slas, 100 per request). Its policies live in Zendesk; the toolkit's
 * policy files cannot be imported into it.
 */
export class ZendeskSla implements SlaApi {
  constructor(
    private readonly api: ZendeskApi,
    private readonly tickets: ZendeskTickets,
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
    let ids: string[];
    if (which === 'open') {
      ids = [];
      let cursor: string | undefined;
      do {
        const page = await this.tickets.list({status: [...OPEN_STATUSES], limit: MAX_LIST_LIMIT, cursor});
        ids.push(...page.tickets.filter((t) => Date.parse(t.createdAt) <= at).map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      ids.sort((a, b) => Number(a) - Number(b));
    } else {
      ids = [...which];
      for (const id of ids) if (!/^\d{1,15}$/.test(id)) throw new NotFoundError(`There is no ticket ${id} in Zendesk: its tickets are numbered.`);
    }
    const found = new Map<string, ZdTicket>();
    for (let i = 0; i < ids.length; i += TICKETS_PER_REQUEST) {
      const batch = ids.slice(i, i + TICKETS_PER_REQUEST);
      const {tickets} = await this.api.call<{tickets: ZdTicket[]}>(
        {method: 'GET', path: 'api/v2/tickets/show_many', query: {ids: batch.join(','), include: 'slas'}},
        {action: 'read SLA clocks'},
      );
      for (const t of tickets) found.set(String(t.id), t);
    }
    const missing = ids.find((id) => !found.has(String(Number(id))));
    if (missing !== undefined && which !== 'open') throw new NotFoundError(`There is no ticket ${missing} in Zendesk, or this user may not see it.`, {hint: 'List tickets with `support ticket list`.'});
    return ids.filter((id) => found.has(String(Number(id)))).map((id) => evaluateZendesk(found.get(String(Number(id)))!, at));
  }
}
