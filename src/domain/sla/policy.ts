import type {TicketPriority, TicketStatus, TicketType} from '../ticket.js';
import {type BusinessCalendar, CALENDAR_24X7, CALENDAR_24X7_NAME} from './calendar.js';

export const SLA_METRICS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];

/** Which tickets a policy covers. A list left out or empty matches every ticket. */
export interface SlaPolicyMatch {
  priority?: TicketPriority[];
  type?: TicketType[];
  /** The ticket carries at least one of these tags, like Zendesk's "Tags contains at least one of". */
  tags?: string[];
}

export interface SlaPolicy {
  name: string;
  match: SlaPolicyMatch;
  /** A calendar of the policy set, or "24x7". */
  calendar: string;
  /** Business seconds per metric; a metric left out is not measured. */
  targets: Partial<Record<SlaMetric, number>>;
  /** Statuses during which the resolution clock stops. */
  pauseOn: TicketStatus[];
}

export interface SlaPolicySet {
  /** Named calendars; "24x7" is built in and never listed here. */
  calendars: BusinessCalendar[];
  /** In order: the first policy that matches a ticket applies. */
  policies: SlaPolicy[];
}

export interface SlaTicketAttributes {
  priority: TicketPriority;
  type: TicketType;
  tags: readonly string[];
}

export function policyMatches(match: SlaPolicyMatch, ticket: SlaTicketAttributes): boolean {
  if (match.priority?.length && !match.priority.includes(ticket.priority)) return false;
  if (match.type?.length && !match.type.includes(ticket.type)) return false;
  if (match.tags?.length && !match.tags.some((tag) => ticket.tags.includes(tag))) return false;
  return true;
}

/** The first policy that matches, as helpdesks apply them; undefined when none does. */
export function matchPolicy(set: SlaPolicySet, ticket: SlaTicketAttributes): SlaPolicy | undefined {
  return set.policies.find((policy) => policyMatches(policy.match, ticket));
}

export function findCalendar(set: SlaPolicySet, name: string): BusinessCalendar | undefined {
  if (name === CALENDAR_24X7_NAME) return CALENDAR_24X7;
  return set.calendars.find((calendar) => calendar.name === name);
}
