import {NotFoundError} from '../../domain/errors.js';
import type {SlaMetricResult} from '../../domain/sla/engine.js';
import type {SlaMetric} from '../../domain/sla/policy.js';
import {unsupported} from '../capabilities.js';
import type {Backend, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../backend.js';
import {FD_STATUS, type FdTicket} from './map.js';
import type {FreshdeskTickets} from './tickets.js';

/** The policy name reported: the ticket's due-by times say when, not which of Freshdesk's SLA policies. */
export const FRESHDESK_POLICY = 'freshdesk';

const ms = (text: string | null | undefined): number | null => {
  if (!text) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
};

/**
 * One ticket's clocks from what Freshdesk keeps on it (include=stats):
 * - firstResponse: due at fr_due_by, achieved at stats.first_responded_at, breached when
 *   fr_escalated or answered (or still unanswered at `at`) after the due time;
 * - nextResponse: due at nr_due_by (only where the next-response SLA is on), breached when
 *   nr_escalated or `at` is past it; Freshdesk tells no time it was met;
 * - resolution: due at due_by, achieved at stats.resolved_at (else closed_at), breached when
 *   is_escalated or resolved (or still open at `at`) after the due time.
 * A Pending ticket's running clocks are paused: Freshdesk stops its SLA timer there and moves the
 * due times when the ticket comes back (the time left is counted from stats.pending_since).
 * Freshdesk's escalation flags are as of now; `at` moves the instant due times are measured from.
 */
export function evaluateFreshdesk(ticket: FdTicket, at: number): SlaTicketEvaluation {
  const created = Date.parse(ticket.created_at);
  const base = {ticketId: String(ticket.id), title: ticket.subject ?? '', at};
  if (at < created) return {...base, policy: null, metrics: []};
  const stats = ticket.stats ?? {};
  const pending = ticket.status === FD_STATUS.pending;
  const pausedAt = ms(stats.pending_since) ?? at;
  const solvedAt = ms(stats.resolved_at) ?? ms(stats.closed_at) ?? (ticket.status === FD_STATUS.resolved || ticket.status === FD_STATUS.closed ? ms(stats.status_updated_at) ?? ms(ticket.updated_at) : null);
  const metrics: SlaMetricResult[] = [];
  const add = (metric: SlaMetric, dueText: string | null | undefined, achievedAt: number | null, escalated: boolean | undefined) => {
    const due = ms(dueText);
    if (due === null) return;
    const achieved = achievedAt !== null && achievedAt <= at ? achievedAt : null;
    const until = achieved ?? at;
    const breached = escalated === true || until > due;
    const paused = !breached && achieved === null && pending;
    const status = breached ? 'breached' : achieved !== null ? 'achieved' : paused ? 'paused' : 'active';
    const elapsed = Math.max(0, Math.round(((paused ? Math.min(pausedAt, at) : until) - created) / 1000));
    const remaining = Math.round((due - (paused ? Math.min(pausedAt, at) : until)) / 1000);
    metrics.push({
      metric,
      policy: FRESHDESK_POLICY,
      status,
      startedAt: created,
      // A paused clock has no due time: Freshdesk moves it when the ticket comes back.
      dueAt: paused ? null : due,
      achievedAt: achieved,
      targetSeconds: Math.round((due - created) / 1000),
      elapsedSeconds: elapsed,
      remainingSeconds: remaining,
      paused,
      breached,
    });
  };
  add('firstResponse', ticket.fr_due_by, ms(stats.first_responded_at), ticket.fr_escalated);
  add('nextResponse', ticket.nr_due_by, null, ticket.nr_escalated);
  add('resolution', ticket.due_by, solvedAt, ticket.is_escalated);
  return {...base, policy: metrics.length ? FRESHDESK_POLICY : null, metrics};
}

/** Open work in Freshdesk's terms: Open, Pending and the custom (waiting) statuses. */
const isOpen = (t: FdTicket) => t.status === FD_STATUS.open || t.status === FD_STATUS.pending || t.status >= 6;

/**
 * SLA through Freshdesk: its SLA policies (Admin > SLA Policies) set the due-by times of each
 * ticket, which `status` reads (include=stats); the toolkit's policy files cannot be imported.
 */
export class FreshdeskSla implements SlaApi {
  constructor(
    private readonly tickets: FreshdeskTickets,
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
    if (which === 'open') {
      // Every ticket, 100 a page with its stats (from the start: the list's 30-day default would hide older ones).
      const open: FdTicket[] = [];
      for (let page: number | null = 1; page !== null; ) {
        const {rows, next} = await this.tickets.listRaw(page, 'stats');
        open.push(...rows.filter((t) => isOpen(t) && Date.parse(t.created_at) <= at));
        page = next;
      }
      return open.sort((a, b) => a.id - b.id).map((t) => evaluateFreshdesk(t, at));
    }
    const out: SlaTicketEvaluation[] = [];
    for (const id of which) {
      if (!/^\d{1,15}$/.test(id)) throw new NotFoundError(`There is no ticket ${id} in Freshdesk: its tickets are numbered.`);
      out.push(evaluateFreshdesk(await this.tickets.rawTicket(id, 'stats'), at));
    }
    return out;
  }
}
