import fc from 'fast-check';
import {describe, expect, it} from 'vitest';

import {
  evaluateSla,
  metricToJson,
  parseSlaPolicyFile,
  type SlaEvaluation,
  type SlaMetricJson,
  type SlaPolicySet,
  type SlaTicket,
} from '../../../src/domain/sla/index.js';
import type {TicketEvent, TicketStatus} from '../../../src/domain/ticket.js';
import {calendarArb, historyArb, pauseOnArb, placeArb, targetsArb} from './arbitraries.js';
import {MIN, oracleEvaluate, type OracleEvent} from './oracle.js';

function toTicketEvents(events: OracleEvent[], createdAt: number): TicketEvent[] {
  const out: TicketEvent[] = [{id: '0', ticketId: 't', type: 'created', at: new Date(createdAt).toISOString(), actor: 'cu', actorRole: 'customer', data: {}}];
  events.forEach((e, i) => {
    const base = {id: String(i + 1), ticketId: 't', at: new Date(e.at).toISOString()};
    if (e.kind === 'comment') {
      out.push({...base, type: 'comment', actor: e.role, actorRole: e.role, data: {commentId: String(i), public: e.public}});
    } else {
      out.push({...base, type: 'status_changed', actor: 'agent', actorRole: 'agent', data: {from: e.from, to: e.to}});
    }
  });
  return out;
}

const ticketAt = (createdAt: number, status: TicketStatus): SlaTicket => ({id: 't', priority: 'normal', type: 'question', tags: [], createdAt: new Date(createdAt).toISOString(), status});

describe('the SLA engine against a minute-by-minute oracle', () => {
  const scenario = placeArb.chain((place) =>
    fc.record({
      place: fc.constant(place),
      cal: fc.oneof({weight: 5, arbitrary: calendarArb(place.zone, place.anchor)}, {weight: 1, arbitrary: fc.constant('24x7' as const)}),
      targets: targetsArb,
      pauseOn: pauseOnArb,
      history: historyArb(place.start),
      atOffset: fc.integer({min: 0, max: 3 * 1440}),
    }),
  );

  it('agrees on every metric across calendars, DST changes and random histories', () => {
    fc.assert(
      fc.property(scenario, ({place, cal, targets, pauseOn, history, atOffset}) => {
        const createdAt = place.start;
        const at = createdAt + atOffset * MIN;
        const targetText = Object.fromEntries(Object.entries(targets).map(([k, minutes]) => [k, `${minutes}m`]));
        const set = parseSlaPolicyFile({
          calendars: cal === '24x7' ? [] : [{name: 'c', ...cal}],
          policies: [{name: 'p', calendar: cal === '24x7' ? '24x7' : 'c', targets: targetText, pauseOn}],
        });
        const targetSeconds = Object.fromEntries(Object.entries(targets).map(([k, minutes]) => [k, minutes * 60]));
        const expected = oracleEvaluate(cal, {targets: targetSeconds, pauseOn}, createdAt, history.initialStatus, history.events, at);
        const actual = evaluateSla(ticketAt(createdAt, history.initialStatus as TicketStatus), toTicketEvents(history.events, createdAt), set, at);

        expect(actual.metrics.map((m) => m.metric).sort()).toEqual(Object.keys(expected).sort());
        for (const m of actual.metrics) {
          const o = expected[m.metric]!;
          const got = {...m, dueAt: o.dueAt === undefined ? undefined : m.dueAt};
          expect({metric: m.metric, ...pick(got)}).toEqual({metric: m.metric, ...pick(o)});
        }
      }),
      {numRuns: 150},
    );
  });
});

function pick(m: {startedAt: number; achievedAt: number | null; dueAt: number | null | undefined; elapsedSeconds: number; remainingSeconds: number; paused: boolean; breached: boolean; status: string}) {
  const iso = (v: number | null | undefined): string | null | undefined => (typeof v === 'number' ? new Date(v).toISOString() : v);
  return {
    status: m.status,
    startedAt: iso(m.startedAt),
    dueAt: iso(m.dueAt),
    achievedAt: iso(m.achievedAt),
    elapsedSeconds: m.elapsedSeconds,
    remainingSeconds: m.remainingSeconds,
    paused: m.paused,
    breached: m.breached,
  };
}

/** The calendar and policies of issue 6. */
const ISSUE_POLICIES: SlaPolicySet = parseSlaPolicyFile({
  calendars: [
    {
      name: 'berlin',
      timezone: 'Europe/Berlin',
      hours: {mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-15:00']},
      holidays: ['2026-12-24', '2026-12-25', '2026-12-26'],
    },
  ],
  policies: [
    {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '8h'}},
    {name: 'standard', match: {}, calendar: 'berlin', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending', 'on_hold']},
  ],
});

/** A small history builder for the worked examples. */
class History {
  readonly events: TicketEvent[] = [];
  private status: TicketStatus = 'new';

  constructor(readonly createdAt: string) {
    this.events.push({id: '0', ticketId: '1', type: 'created', at: createdAt, actor: 'cu', actorRole: 'customer', data: {}});
  }

  reply(at: string, role: 'customer' | 'agent', isPublic = true): this {
    this.events.push({id: String(this.events.length), ticketId: '1', type: 'comment', at, actor: role, actorRole: role, data: {commentId: String(this.events.length), public: isPublic}});
    return this;
  }

  set(at: string, to: TicketStatus): this {
    this.events.push({id: String(this.events.length), ticketId: '1', type: 'status_changed', at, actor: 'ag', actorRole: 'agent', data: {from: this.status, to}});
    this.status = to;
    return this;
  }

  evaluate(at: string, priority: SlaTicket['priority'] = 'normal'): SlaEvaluation {
    return evaluateSla({id: '1', priority, type: 'incident', tags: [], createdAt: this.createdAt, status: this.status}, this.events, ISSUE_POLICIES, Date.parse(at));
  }
}

function metric(evaluation: SlaEvaluation, name: string): SlaMetricJson {
  const found = evaluation.metrics.find((m) => m.metric === name);
  if (!found) throw new Error(`no ${name} in ${JSON.stringify(evaluation)}`);
  return metricToJson(found);
}

describe('worked examples', () => {
  it('a Friday-afternoon ticket is due on Monday, not over the weekend', () => {
    // Friday 6 March 2026, 14:00 in Berlin; the office closes at 15:00 on Fridays.
    const ticket = new History('2026-03-06T13:00:00Z');
    const saturday = ticket.evaluate('2026-03-07T12:00:00Z');
    expect(saturday.policy).toBe('standard');
    expect(metric(saturday, 'firstResponse')).toEqual({
      metric: 'firstResponse',
      status: 'active',
      startedAt: '2026-03-06T13:00:00.000Z',
      // 1h on Friday, 7h on Monday from 09:00: 16:00 in Berlin.
      dueAt: '2026-03-09T15:00:00.000Z',
      achievedAt: null,
      remainingSeconds: 7 * 3600,
      elapsedSeconds: 3600,
      paused: false,
      breached: false,
    });
    ticket.reply('2026-03-09T09:00:00Z', 'agent');
    const monday = metric(ticket.evaluate('2026-03-09T12:00:00Z'), 'firstResponse');
    expect(monday).toMatchObject({status: 'achieved', achievedAt: '2026-03-09T09:00:00.000Z', elapsedSeconds: 2 * 3600, breached: false});
  });

  it('a ticket over Christmas does not count the holidays', () => {
    // Wednesday 23 December 2026, 16:00 in Berlin; 24-26 December are holidays.
    const ticket = new History('2026-12-23T15:00:00Z');
    const evaluation = ticket.evaluate('2026-12-27T12:00:00Z');
    expect(metric(evaluation, 'firstResponse')).toMatchObject({elapsedSeconds: 3600, dueAt: '2026-12-28T15:00:00.000Z', status: 'active'});
    // 40h: 1 on Wednesday, 8 a day Monday to Thursday (33), 6 on Friday 1 January (39), 1 on Monday 4 January.
    expect(metric(evaluation, 'resolution')).toMatchObject({dueAt: '2027-01-04T09:00:00.000Z', remainingSeconds: 39 * 3600});
    // Replying on the 28th at 17:00 is an hour late: breached, and it stays breached once achieved.
    ticket.reply('2026-12-28T16:00:00Z', 'agent');
    expect(metric(ticket.evaluate('2026-12-29T08:00:00Z'), 'firstResponse')).toMatchObject({
      status: 'breached',
      breached: true,
      achievedAt: '2026-12-28T16:00:00.000Z',
      dueAt: '2026-12-28T15:00:00.000Z',
      remainingSeconds: -3600,
    });
  });

  it('a ticket opened during the spring-forward hour', () => {
    const set = parseSlaPolicyFile({
      calendars: [{name: 'nights', timezone: 'Europe/Berlin', hours: {sun: ['01:00-04:00'], mon: ['09:00-17:00']}}],
      policies: [{name: 'night', calendar: 'nights', targets: {firstResponse: '1h', resolution: '3h'}}],
    });
    // 29 March 2026, 01:30 CET: at 02:00 the clocks jump to 03:00, so 02:00-03:00 never opens.
    const createdAt = '2026-03-29T00:30:00Z';
    const evaluation = evaluateSla({id: '1', priority: 'normal', type: 'incident', tags: [], createdAt, status: 'new'}, [], set, Date.parse('2026-03-29T01:15:00Z'));
    // 30 minutes before the jump, 15 after it.
    expect(metric(evaluation, 'firstResponse')).toMatchObject({elapsedSeconds: 45 * 60, dueAt: '2026-03-29T01:30:00.000Z', status: 'active'});
    // From 01:30 CET Sunday has only 1.5 business hours left, not 2.5: the other 1.5 run on
    // Monday from 09:00 CEST, due at 10:30 CEST.
    expect(metric(evaluation, 'resolution')).toMatchObject({dueAt: '2026-03-30T08:30:00.000Z'});
  });

  it('a ticket paused while pending and resumed by the customer\'s reply', () => {
    // Monday 2 March 2026 09:00 in Berlin.
    const ticket = new History('2026-03-02T08:00:00Z').reply('2026-03-02T09:00:00Z', 'agent').set('2026-03-02T09:00:00Z', 'pending');
    const paused = ticket.evaluate('2026-03-02T14:00:00Z');
    expect(metric(paused, 'resolution')).toMatchObject({status: 'paused', paused: true, dueAt: null, elapsedSeconds: 3600, remainingSeconds: 39 * 3600});
    expect(metric(paused, 'firstResponse')).toMatchObject({status: 'achieved', achievedAt: '2026-03-02T09:00:00.000Z', elapsedSeconds: 3600});
    expect(paused.metrics.map((m) => m.metric)).not.toContain('nextResponse');

    ticket.reply('2026-03-03T08:00:00Z', 'customer').set('2026-03-03T08:00:00Z', 'open');
    const resumed = ticket.evaluate('2026-03-03T10:00:00Z');
    // 1h on Monday before the pause, 2h on Tuesday: 37h left, from Tuesday 11:00 to Tuesday 10 March 10:00.
    expect(metric(resumed, 'resolution')).toMatchObject({status: 'active', paused: false, elapsedSeconds: 3 * 3600, dueAt: '2026-03-10T09:00:00.000Z'});
    expect(metric(resumed, 'nextResponse')).toMatchObject({status: 'active', startedAt: '2026-03-03T08:00:00.000Z', elapsedSeconds: 2 * 3600, dueAt: '2026-03-04T16:00:00.000Z'});
  });

  it('a ticket reopened after solve continues its resolution clock', () => {
    const ticket = new History('2026-05-04T00:00:00Z').reply('2026-05-04T00:30:00Z', 'agent').set('2026-05-04T02:00:00Z', 'solved');
    const solved = ticket.evaluate('2026-05-04T09:00:00Z', 'urgent');
    expect(solved.policy).toBe('urgent');
    expect(metric(solved, 'resolution')).toMatchObject({status: 'achieved', achievedAt: '2026-05-04T02:00:00.000Z', elapsedSeconds: 2 * 3600, breached: false});

    ticket.set('2026-05-04T10:00:00Z', 'open');
    const reopened = ticket.evaluate('2026-05-04T11:00:00Z', 'urgent');
    // The eight solved hours do not count: 2h before, 1h since the reopen, 5h left.
    expect(metric(reopened, 'resolution')).toMatchObject({status: 'active', achievedAt: null, elapsedSeconds: 3 * 3600, dueAt: '2026-05-04T16:00:00.000Z'});

    ticket.set('2026-05-04T17:00:00Z', 'solved');
    expect(metric(ticket.evaluate('2026-05-05T00:00:00Z', 'urgent'), 'resolution')).toMatchObject({
      status: 'breached',
      breached: true,
      dueAt: '2026-05-04T16:00:00.000Z',
      achievedAt: '2026-05-04T17:00:00.000Z',
      elapsedSeconds: 9 * 3600,
      remainingSeconds: -3600,
    });
  });

  it('reports a breach on a weekend even though no business time has passed', () => {
    // Friday 6 March 2026 at 15:00 in Berlin, as the office closes: due Monday 17:00, at closing.
    const ticket = new History('2026-03-06T14:00:00Z');
    // On Tuesday before opening it is breached, with no business time past due yet.
    expect(metric(ticket.evaluate('2026-03-10T06:00:00Z'), 'firstResponse')).toMatchObject({status: 'breached', breached: true, remainingSeconds: 0});
  });

  it('serialises to the JSON field names of the issue with ISO UTC times', () => {
    const json = JSON.parse(JSON.stringify(metricToJson(new History('2026-03-06T13:00:00Z').evaluate('2026-03-07T12:00:00Z').metrics[0]!)));
    expect(Object.keys(json).sort()).toEqual(['achievedAt', 'breached', 'dueAt', 'elapsedSeconds', 'metric', 'paused', 'remainingSeconds', 'startedAt', 'status']);
    expect(json.startedAt).toBe('2026-03-06T13:00:00.000Z');
  });

  it('reports no metrics when no policy matches', () => {
    const set = parseSlaPolicyFile({policies: [{name: 'vip', match: {tags: ['vip']}, targets: {firstResponse: '1h'}}]});
    const evaluation = evaluateSla({id: '1', priority: 'normal', type: 'question', tags: ['other'], createdAt: '2026-01-01T00:00:00Z', status: 'new'}, [], set, Date.parse('2026-01-01T05:00:00Z'));
    expect(evaluation).toMatchObject({policy: null, metrics: []});
    const vip = evaluateSla({id: '1', priority: 'normal', type: 'question', tags: ['vip'], createdAt: '2026-01-01T00:00:00Z', status: 'new'}, [], set, Date.parse('2026-01-01T05:00:00Z'));
    expect(vip.policy).toBe('vip');
  });
});
