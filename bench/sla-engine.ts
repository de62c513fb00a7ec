/**
 * How fast the SLA engine evaluates tickets: 10,000 synthetic tickets with histories over the
 * calendar and policies of issue 6, evaluated as of one instant. Prints figures, asserts none.
 *
 *   npx tsx bench/sla-engine.ts [tickets]
 *
 * The first pass starts with empty calendar caches (what one `support sla status` run pays);
 * the later passes show the steady state.
 */
import {evaluateSla, parseSlaPolicyFile, type SlaTicket} from '../src/domain/sla/index.js';
import {TICKET_PRIORITIES, TICKET_TYPES, type TicketEvent, type TicketStatus} from '../src/domain/ticket.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const MIN = 60_000;

const policies = parseSlaPolicyFile({
  calendars: [
    {
      name: 'berlin',
      timezone: 'Europe/Berlin',
      hours: {mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-15:00']},
      holidays: ['2026-12-24', '2026-12-25', '2026-12-26'],
    },
    {
      name: 'follow-the-sun',
      timezone: 'America/New_York',
      hours: {mon: ['08:00-20:00', '22:00-02:00'], tue: ['08:00-20:00'], wed: ['08:00-20:00'], thu: ['08:00-20:00'], fri: ['08:00-18:00']},
      holidays: ['2026-11-26', '2026-12-25'],
    },
  ],
  policies: [
    {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '8h'}},
    {name: 'vip', match: {tags: ['vip']}, calendar: 'follow-the-sun', targets: {firstResponse: '2h', nextResponse: '4h', resolution: '24h'}, pauseOn: ['pending']},
    {name: 'standard', match: {}, calendar: 'berlin', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending', 'on_hold']},
  ],
});

// A small deterministic generator, so that runs compare.
let seed = 42;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const at = Date.parse('2026-12-31T12:00:00Z');
const tickets: Array<{ticket: SlaTicket; events: TicketEvent[]}> = [];
for (let i = 0; i < COUNT; i++) {
  const createdAt = at - Math.floor(random() * 60 * 24 * 60) * MIN;
  const id = String(i + 1);
  const events: TicketEvent[] = [{id: `${id}-0`, ticketId: id, type: 'created', at: new Date(createdAt).toISOString(), actor: 'c', actorRole: 'customer', data: {}}];
  let t = createdAt;
  let status: TicketStatus = 'new';
  const steps = 2 + Math.floor(random() * 10);
  for (let s = 0; s < steps && status !== 'closed'; s++) {
    t += Math.floor(random() * 2 * 24 * 60) * MIN;
    if (t > at) break;
    const when = new Date(t).toISOString();
    const roll = random();
    if (roll < 0.6) {
      const role = pick(['customer', 'agent'] as const);
      events.push({id: `${id}-${s + 1}`, ticketId: id, type: 'comment', at: when, actor: role, actorRole: role, data: {commentId: String(s), public: random() < 0.85}});
    } else {
      const to = pick(['open', 'pending', 'on_hold', 'solved', 'closed'] as const);
      if (to === status) continue;
      events.push({id: `${id}-${s + 1}`, ticketId: id, type: 'status_changed', at: when, actor: 'a', actorRole: 'agent', data: {from: status, to}});
      status = to;
    }
  }
  tickets.push({
    ticket: {id, priority: pick(TICKET_PRIORITIES), type: pick(TICKET_TYPES), tags: random() < 0.2 ? ['vip'] : [], createdAt: new Date(createdAt).toISOString(), status},
    events,
  });
}

const eventCount = tickets.reduce((sum, x) => sum + x.events.length, 0);
console.log(`${COUNT} tickets, ${eventCount} events, evaluated as of ${new Date(at).toISOString()}`);

let metrics = 0;
for (let pass = 1; pass <= 4; pass++) {
  const started = performance.now();
  metrics = 0;
  for (const {ticket, events} of tickets) metrics += evaluateSla(ticket, events, policies, at).metrics.length;
  const seconds = (performance.now() - started) / 1000;
  const label = pass === 1 ? 'cold caches' : 'warm';
  console.log(`pass ${pass} (${label}): ${(COUNT / seconds).toFixed(0)} evaluations/s, ${((seconds / COUNT) * 1e6).toFixed(1)} µs per ticket, ${(seconds * 1000).toFixed(0)} ms in all`);
}
console.log(`${metrics} metrics per pass`);
