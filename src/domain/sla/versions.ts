import type {TicketEvent} from '../ticket.js';
import {evaluateSla, type SlaEvaluation, type SlaTicket} from './engine.js';
import type {SlaPolicySet} from './policy.js';

/**
 * Policies change; tickets keep the targets they were opened under. Each import of a policy
 * set starts a version with the instant from which it applies, and a ticket is measured by
 * the version in force at its creation (issue 6: "the policy at the ticket's creation applies").
 */
export interface EffectiveVersion {
  version: number;
  /** Epoch ms or an ISO time. */
  effectiveFrom: number | string;
}

const ms = (value: number | string): number => (typeof value === 'number' ? value : Date.parse(value));

/**
 * The version in force at `instant` (epoch ms): the latest that took effect at or before it, the
 * higher version winning a tie. A ticket older than every version gets the oldest one.
 * `versions` may come in any order; undefined only when it is empty.
 */
export function versionInForce<T extends EffectiveVersion>(versions: readonly T[], instant: number): T | undefined {
  let best: T | undefined;
  let oldest: T | undefined;
  for (const v of versions) {
    const from = ms(v.effectiveFrom);
    if (!oldest || from < ms(oldest.effectiveFrom) || (from === ms(oldest.effectiveFrom) && v.version < oldest.version)) oldest = v;
    if (from > instant) continue;
    if (!best || from > ms(best.effectiveFrom) || (from === ms(best.effectiveFrom) && v.version > best.version)) best = v;
  }
  return best ?? oldest;
}

/** A policy set with the instant it applies from: what the SLA services need of a version. */
export interface EffectivePolicySet extends EffectiveVersion {
  policySet: SlaPolicySet;
}

/**
 * Evaluates one ticket with the policy set in force at its creation. A ticket created after
 * `at` had no clocks yet: it reports no policy and no metrics instead of negative times.
 */
export function evaluateTicketSla(ticket: SlaTicket, events: readonly TicketEvent[], versions: readonly EffectivePolicySet[], at: number): SlaEvaluation {
  const createdAt = typeof ticket.createdAt === 'string' ? Date.parse(ticket.createdAt) : ticket.createdAt instanceof Date ? ticket.createdAt.getTime() : ticket.createdAt;
  const version = versionInForce(versions, createdAt);
  if (!version || createdAt > at) return {ticketId: ticket.id, policy: null, at, metrics: []};
  return evaluateSla(ticket, events, version.policySet, at);
}
