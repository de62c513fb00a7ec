import type {TicketEvent, TicketPriority, TicketStatus, TicketType} from '../ticket.js';
import {addBusinessMs, type BusinessCalendar, businessMsBetween, type Instant} from './calendar.js';
import {findCalendar, matchPolicy, SLA_METRICS, type SlaMetric, type SlaPolicy, type SlaPolicySet} from './policy.js';
import {MS_PER_SECOND} from './time-zone.js';

/**
 * The SLA engine: replays a ticket's history against the policy that applies to it and
 * reports, per targeted metric, where its clock stands at a given instant.
 *
 * Decisions, chosen to match what Zendesk users expect:
 * - The policy set is the one in force when the ticket was created (the caller passes it);
 *   within it the ticket's current priority, type and tags pick the policy, as Zendesk
 *   re-applies policies on update while measuring from the original start.
 * - A breach is recorded, never undone: a metric achieved after its due time reports
 *   status 'breached', breached true, and its achievedAt. Zendesk reports such a target as
 *   breached too; hiding it once fulfilled would make the late reply look on time.
 * - `pauseOn` pauses the resolution clock only. Reply clocks measure how long a customer
 *   waits for an answer, and setting a ticket to pending does not answer anyone.
 * - Solving (or closing) a ticket fulfils any reply clock still running: nothing is owed on a
 *   solved ticket. Customer comments on a solved or closed ticket open no reply cycle; a
 *   reopen does not restart a reply clock by itself.
 * - The resolution clock does not run while the ticket is solved; a reopen resumes it where it
 *   stopped and clears achievedAt.
 * - nextResponse starts at the oldest unanswered public customer comment. While the first
 *   reply is still owed and the policy targets firstResponse, that clock covers the wait, so
 *   no nextResponse cycle starts before the first reply (or the solve that fulfils it). Only
 *   the latest cycle is reported; a ticket with no cycle yet reports no nextResponse.
 * - dueAt is when the clock reaches its target. While paused it is null (it depends on when
 *   the clock resumes); once achieved in time it is when the target would have been reached
 *   from the moment of achievement.
 * - Breached means the due instant has passed before the metric was achieved (or before `at`):
 *   a reply due Friday 17:00 is breached on Saturday even though no business time has passed.
 *   remainingSeconds is target minus elapsed business seconds: negative once business time
 *   runs on after a breach.
 */

export type SlaMetricStatus = 'active' | 'paused' | 'achieved' | 'breached';

/** What the engine needs of a ticket: a Ticket fits. */
export interface SlaTicket {
  id: string;
  priority: TicketPriority;
  type: TicketType;
  tags: readonly string[];
  createdAt: Instant | string;
  /** The current status; used as the starting status when the history has no status change. */
  status: TicketStatus;
}

export interface SlaMetricResult {
  metric: SlaMetric;
  policy: string;
  status: SlaMetricStatus;
  /** Epoch ms. */
  startedAt: number;
  dueAt: number | null;
  achievedAt: number | null;
  targetSeconds: number;
  elapsedSeconds: number;
  remainingSeconds: number;
  paused: boolean;
  breached: boolean;
}

export interface SlaEvaluation {
  ticketId: string;
  /** The policy that applies, or null when none matches. */
  policy: string | null;
  /** Epoch ms of the evaluation. */
  at: number;
  metrics: SlaMetricResult[];
}

/** The `--json` shape of one metric: ISO UTC times, the field names of issue 6. */
export interface SlaMetricJson {
  metric: SlaMetric;
  status: SlaMetricStatus;
  startedAt: string;
  dueAt: string | null;
  achievedAt: string | null;
  remainingSeconds: number;
  elapsedSeconds: number;
  paused: boolean;
  breached: boolean;
}

export function metricToJson(result: SlaMetricResult): SlaMetricJson {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    metric: result.metric,
    status: result.status,
    startedAt: new Date(result.startedAt).toISOString(),
    dueAt: iso(result.dueAt),
    achievedAt: iso(result.achievedAt),
    remainingSeconds: result.remainingSeconds,
    elapsedSeconds: result.elapsedSeconds,
    paused: result.paused,
    breached: result.breached,
  };
}

const DONE: readonly TicketStatus[] = ['solved', 'closed'];

function toMs(value: Instant | string): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`"${value}" is not a date and time.`);
  return ms;
}

/** A stretch during which a clock runs: [start, end), end null while it still runs at `at`. */
interface Run {
  start: number;
  end: number | null;
}

/** One metric's clock as the history left it at `at`. */
interface Clock {
  startedAt: number;
  runs: Run[];
  achievedAt: number | null;
  paused: boolean;
}

/**
 * Evaluates every metric the ticket's policy targets, as of `at`. `events` is the ticket's
 * history (any order; events after `at` are ignored); `policySet` the set in force at the
 * ticket's creation.
 */
export function evaluateSla(ticket: SlaTicket, events: readonly TicketEvent[], policySet: SlaPolicySet, at: Instant): SlaEvaluation {
  const now = toMs(at);
  const policy = matchPolicy(policySet, ticket);
  if (!policy) return {ticketId: ticket.id, policy: null, at: now, metrics: []};
  const calendar = findCalendar(policySet, policy.calendar);
  if (!calendar) throw new RangeError(`The SLA policy "${policy.name}" names the calendar "${policy.calendar}", which the policy set does not define.`);

  const clocks = replay(ticket, events, policy, now);
  const metrics: SlaMetricResult[] = [];
  for (const metric of SLA_METRICS) {
    const target = policy.targets[metric];
    const clock = clocks[metric];
    if (target === undefined || !clock) continue;
    metrics.push(measure(metric, policy.name, clock, target, calendar, now));
  }
  return {ticketId: ticket.id, policy: policy.name, at: now, metrics};
}

function replay(ticket: SlaTicket, events: readonly TicketEvent[], policy: SlaPolicy, now: number): Partial<Record<SlaMetric, Clock>> {
  const createdAt = toMs(ticket.createdAt);
  // Stable sort: same-instant events keep the order the backend recorded them in.
  const history = events
    .map((event, index) => ({event, index, at: Math.max(toMs(event.at), createdAt)}))
    .sort((a, b) => a.at - b.at || a.index - b.index);

  const firstChange = history.find((h) => h.event.type === 'status_changed')?.event.data['from'];
  let status: TicketStatus = typeof firstChange === 'string' ? (firstChange as TicketStatus) : ticket.status;
  const pauseOn = new Set<TicketStatus>(policy.pauseOn);
  const resolutionRuns = (s: TicketStatus): boolean => !DONE.includes(s) && !pauseOn.has(s);

  const first: Clock = {startedAt: createdAt, runs: [{start: createdAt, end: null}], achievedAt: null, paused: false};
  let firstOwed = true;
  let next: Clock | undefined;

  const resolution: Clock = {startedAt: createdAt, runs: [], achievedAt: null, paused: false};
  if (resolutionRuns(status)) resolution.runs.push({start: createdAt, end: null});
  if (DONE.includes(status)) resolution.achievedAt = createdAt;

  const stop = (clock: Clock | undefined, t: number): void => {
    const run = clock?.runs.at(-1);
    if (clock && run && run.end === null) {
      run.end = t;
      clock.achievedAt = t;
    }
  };

  for (const {event, at} of history) {
    if (at > now) break;
    // Public unless marked otherwise: helpdesks make comments public by default.
    if (event.type === 'comment' && event.data['public'] !== false) {
      if (event.actorRole === 'agent') {
        if (firstOwed) stop(first, at);
        firstOwed = false;
        stop(next, at);
      } else if (!DONE.includes(status)) {
        const nextOpen = next?.runs.at(-1)?.end === null;
        const firstCovers = firstOwed && policy.targets.firstResponse !== undefined;
        if (!nextOpen && !firstCovers) next = {startedAt: at, runs: [{start: at, end: null}], achievedAt: null, paused: false};
      }
    } else if (event.type === 'status_changed') {
      const to = event.data['to'];
      if (typeof to !== 'string' || to === status) continue;
      const wasRunning = resolutionRuns(status);
      status = to as TicketStatus;
      if (DONE.includes(status)) {
        if (firstOwed) stop(first, at);
        firstOwed = false;
        stop(next, at);
      }
      const running = resolutionRuns(status);
      if (wasRunning && !running) resolution.runs.at(-1)!.end = at;
      if (!wasRunning && running) resolution.runs.push({start: at, end: null});
      resolution.achievedAt = DONE.includes(status) ? (resolution.achievedAt ?? at) : null;
      // A move from solved to closed keeps the solve as the moment of resolution.
    }
  }
  resolution.paused = pauseOn.has(status);

  return {firstResponse: first, ...(next ? {nextResponse: next} : {}), resolution};
}

function measure(metric: SlaMetric, policy: string, clock: Clock, targetSeconds: number, calendar: BusinessCalendar, now: number): SlaMetricResult {
  const targetMs = targetSeconds * MS_PER_SECOND;
  let elapsedMs = 0;
  for (const run of clock.runs) {
    const end = run.end === null ? now : Math.min(run.end, now);
    elapsedMs += businessMsBetween(calendar, run.start, end);
  }

  // When the clock reached (or, still running, will reach) its target.
  let reachedAt: number | null = null;
  let spent = 0;
  for (const run of clock.runs) {
    const need = targetMs - spent;
    if (run.end === null) {
      reachedAt = addBusinessMs(calendar, run.start, need);
      break;
    }
    const inRun = businessMsBetween(calendar, run.start, run.end);
    if (inRun >= need) {
      reachedAt = addBusinessMs(calendar, run.start, need);
      break;
    }
    spent += inRun;
  }

  const achievedAt = clock.achievedAt !== null && clock.achievedAt <= now ? clock.achievedAt : null;
  const stoppedAt = achievedAt ?? now;
  const breached = reachedAt !== null && reachedAt < stoppedAt;
  let dueAt = reachedAt;
  if (dueAt === null && achievedAt !== null && !clock.paused) dueAt = addBusinessMs(calendar, achievedAt, targetMs - spent);

  const elapsedSeconds = Math.floor(elapsedMs / MS_PER_SECOND);
  const paused = clock.paused && achievedAt === null;
  let status: SlaMetricStatus = 'active';
  if (breached) status = 'breached';
  else if (achievedAt !== null) status = 'achieved';
  else if (paused) status = 'paused';
  return {
    metric,
    policy,
    status,
    startedAt: clock.startedAt,
    dueAt,
    achievedAt,
    targetSeconds,
    elapsedSeconds,
    remainingSeconds: targetSeconds - elapsedSeconds,
    paused,
    breached,
  };
}
