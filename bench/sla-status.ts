/**
 * `support sla status --json` over 10,000 open tickets with histories on the local backend,
 * end to end through the built bin (target: under 1.5 s), next to `node -e 0` measured in the
 * same run; then the parts in-process: the local adapter's status (two queries and the engine)
 * and the engine alone, in evaluations per second. Prints figures, asserts none.
 *
 *   npm run build && npx tsx bench/sla-status.ts [tickets] [runs]
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {LocalSla} from '../src/store/embedded/sla.js';
import {writeTransaction} from '../src/store/embedded/sqlite.js';
import {openLocalStore} from '../src/store/embedded/store.js';
import {evaluateTicketSla, parseSlaPolicyFile, policySetToFile} from '../src/domain/sla/index.js';
import {TICKET_PRIORITIES, TICKET_TYPES, type TicketEvent, type TicketStatus} from '../src/domain/ticket.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 5);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'run.js');
const MIN = 60_000;

// The policy file of issue 6.
const policies = parseSlaPolicyFile({
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

// A small deterministic generator, so that runs compare.
let seed = 42;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const dir = mkdtempSync(join(tmpdir(), 'supportkit-bench-sla-'));
const env = {
  ...process.env,
  SUPPORT_CONFIG_DIR: join(dir, 'config'),
  SUPPORT_DATA_DIR: join(dir, 'data'),
  SUPPORT_CACHE_DIR: join(dir, 'cache'),
  SUPPORT_USER: 'bench',
};
delete (env as NodeJS.ProcessEnv).NODE_ENV;

try {
  const store = await openLocalStore(join(dir, 'data', 'local'));
  const now = Date.now();
  let eventCount = 0;
  const seedStarted = performance.now();
  writeTransaction(store.db, () => {
    // In force from the epoch, above the built-in default: every generated ticket uses it.
    store.db
      .prepare('INSERT INTO sla_policy_versions (effective_from, imported_at, source, policy_file) VALUES (0, ?, ?, ?)')
      .run(now, 'bench', JSON.stringify(policySetToFile(policies)));
    const ticket = store.db.prepare(
      `INSERT INTO tickets (title, body, status, priority, type, requester, assignee, created_at, updated_at, fields)
       VALUES (?, 'body', ?, ?, ?, 'customer', NULL, ?, ?, '{}')`,
    );
    const tag = store.db.prepare('INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?)');
    const comment = store.db.prepare('INSERT INTO comments (ticket_id, author, author_role, body, public, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const event = store.db.prepare('INSERT INTO events (ticket_id, type, at, actor, actor_role, data) VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < COUNT; i++) {
      const createdAt = now - Math.floor(random() * 30 * 24 * 60) * MIN;
      const history: [string, number, string, string, Record<string, unknown>][] = [];
      let t = createdAt;
      let status: TicketStatus = 'new';
      const steps = 1 + Math.floor(random() * 8);
      for (let s = 0; s < steps; s++) {
        t += Math.floor(random() * 24 * 60) * MIN;
        if (t > now) break;
        if (random() < 0.65) {
          const role = pick(['customer', 'agent'] as const);
          history.push(['comment', t, role, role, {public: random() < 0.85}]);
        } else {
          // Open tickets only: solved and reopened, but never left solved or closed.
          const to = pick(['open', 'pending', 'on_hold', 'solved'] as const);
          if (to === status) continue;
          history.push(['status_changed', t, 'agent', 'agent', {from: status, to}]);
          status = to;
        }
      }
      if (status === 'solved') {
        history.push(['status_changed', Math.min(t + MIN, now), 'customer', 'customer', {from: 'solved', to: 'open'}]);
        status = 'open';
      }
      const id = Number(ticket.run(`Ticket ${i + 1}`, status, pick(TICKET_PRIORITIES), pick(TICKET_TYPES), createdAt, t).lastInsertRowid);
      if (random() < 0.2) tag.run(id, 'vip');
      event.run(id, 'created', createdAt, 'customer', 'customer', '{}');
      for (const [type, at, actor, role, data] of history) {
        if (type === 'comment') {
          const c = comment.run(id, actor, role, 'text', data['public'] ? 1 : 0, at);
          event.run(id, type, at, actor, role, JSON.stringify({commentId: String(c.lastInsertRowid), public: data['public']}));
        } else {
          event.run(id, type, at, actor, role, JSON.stringify(data));
        }
      }
      eventCount += history.length + 1;
    }
  });
  console.log(`${COUNT} open tickets, ${eventCount} events in ${join(dir, 'data')} (seeded in ${(performance.now() - seedStarted).toFixed(0)} ms)`);

  const time = (argv: string[]): {ms: number; stdout: string; status: number | null} => {
    const started = performance.now();
    const r = spawnSync(process.execPath, argv, {env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024});
    return {ms: performance.now() - started, stdout: r.stdout, status: r.status};
  };
  const summary = (label: string, argv: string[]) => {
    time(argv); // warm the compile cache and the page cache
    const runs = Array.from({length: RUNS}, () => time(argv));
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    const median = ms[Math.floor(ms.length / 2)]!;
    return {label, median, min: ms[0]!, last: runs.at(-1)!};
  };

  const baseline = summary('node -e 0', ['-e', '0']);
  const version = summary('support --version', [BIN, '--version']);
  const status = summary('support sla status --json', [BIN, 'sla', 'status', '--json']);
  const report = JSON.parse(status.last.stdout) as {tickets: {metrics: unknown[]}[]};
  const metricCount = report.tickets.reduce((n, t) => n + t.metrics.length, 0);
  console.log(`\nend to end, median of ${RUNS} runs (min):`);
  for (const r of [baseline, version, status]) {
    console.log(`  ${r.label.padEnd(28)} ${r.median.toFixed(0).padStart(6)} ms (${r.min.toFixed(0)} ms)   ${(r.median / baseline.median).toFixed(1)}x node -e 0`);
  }
  console.log(`  sla status: exit ${status.last.status}, ${report.tickets.length} tickets, ${metricCount} metrics, ${(status.last.stdout.length / 1e6).toFixed(1)} MB of JSON; target under 1500 ms`);

  // In-process: the adapter (queries + engine), then the engine alone over preloaded histories.
  const sla = new LocalSla(store);
  const versions = (await sla.policyVersions()).map((v) => ({...v, effectiveFrom: Date.parse(v.effectiveFrom)}));
  console.log('\nin process:');
  for (let pass = 1; pass <= 3; pass++) {
    const started = performance.now();
    const evaluations = await sla.status('open', now);
    const ms = performance.now() - started;
    console.log(`  LocalSla.status('open') pass ${pass}: ${ms.toFixed(0)} ms for ${evaluations.length} tickets (${((evaluations.length / ms) * 1000).toFixed(0)} tickets/s)`);
  }
  const rows = store.db.prepare('SELECT id, priority, type, status, created_at FROM tickets').all() as {id: number; priority: string; type: string; status: string; created_at: number}[];
  const eventRows = store.db.prepare("SELECT id, ticket_id, type, at, actor, actor_role, data FROM events WHERE type IN ('comment', 'status_changed') ORDER BY ticket_id, id").all() as {id: number; ticket_id: number; type: string; at: number; actor: string; actor_role: string; data: string}[];
  const byTicket = new Map<number, TicketEvent[]>();
  for (const e of eventRows) {
    const list = byTicket.get(e.ticket_id) ?? [];
    list.push({id: String(e.id), ticketId: String(e.ticket_id), type: e.type as TicketEvent['type'], at: new Date(e.at).toISOString(), actor: e.actor, actorRole: e.actor_role as TicketEvent['actorRole'], data: JSON.parse(e.data)});
    byTicket.set(e.ticket_id, list);
  }
  const tickets = rows.map((r) => ({
    ticket: {id: String(r.id), priority: r.priority as never, type: r.type as never, tags: [], createdAt: r.created_at, status: r.status as TicketStatus},
    events: byTicket.get(r.id) ?? [],
  }));
  for (let pass = 1; pass <= 3; pass++) {
    const started = performance.now();
    for (const {ticket, events} of tickets) evaluateTicketSla(ticket, events, versions, now);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  engine alone pass ${pass}: ${(tickets.length / seconds).toFixed(0)} evaluations/s (${((seconds / tickets.length) * 1e6).toFixed(1)} µs per ticket)`);
  }
  store.close();
} finally {
  if (!process.env.KEEP) rmSync(dir, {recursive: true, force: true});
}
