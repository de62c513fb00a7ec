import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {createLocalBackend} from '../../src/backends/local/index.js';
import {metricTone} from '../../src/cli/render/sla.js';
import ProfileAdd from '../../src/commands/profile/add.js';
import SlaPolicyImport, {type SlaPolicyImportResult} from '../../src/commands/sla/policy/import.js';
import SlaPolicyList, {type SlaPolicyListResult} from '../../src/commands/sla/policy/list.js';
import SlaPolicyView, {type SlaPolicyViewResult} from '../../src/commands/sla/policy/view.js';
import SlaStatus, {type SlaStatusResult} from '../../src/commands/sla/status.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import TicketView from '../../src/commands/ticket/view.js';
import type {SlaMetricJson} from '../../src/domain/sla/index.js';
import type {Ticket, TicketWithComments} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand<T>(cmd, argv, {...options, env: {...box.env, ...options.env}});

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Round-the-clock policies, so that expected times do not depend on when the test runs. */
const POLICIES = `
calendars: []
policies:
  - name: urgent
    match: {priority: [urgent]}
    calendar: 24x7
    targets: {firstResponse: 1h, resolution: 24h}
  - name: standard
    match: {}
    calendar: 24x7
    targets: {firstResponse: 8h, nextResponse: 16h, resolution: 40h}
    pauseOn: [pending]
`;

function policyFile(text: string, name = 'policies.yaml'): string {
  const file = join(box.dir, name);
  writeFileSync(file, text);
  return file;
}

async function importPolicies(text = POLICIES, name?: string): Promise<SlaPolicyImportResult> {
  const r = await run(SlaPolicyImport, [policyFile(text, name), '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<SlaPolicyImportResult>(r.stdout);
}

async function create(title: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Ticket> {
  const r = await run(TicketCreate, ['--title', title, '--body', 'b', '--json', ...extra], {env});
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<Ticket>(r.stdout);
}

async function status(argv: string[] = [], env: Record<string, string> = {}): Promise<SlaStatusResult> {
  const r = await run(SlaStatus, [...argv, '--json'], {env});
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<SlaStatusResult>(r.stdout);
}

const metric = (report: SlaStatusResult, ticketId: string, name: string): SlaMetricJson | undefined =>
  report.tickets.find((t) => t.ticketId === ticketId)?.metrics.find((m) => m.metric === name);

describe('sla policy import, list, view', () => {
  it('ships the default policies as version 1 on a fresh data dir', async () => {
    const r = await run<SlaPolicyListResult>(SlaPolicyList, ['--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const list = parseJson<SlaPolicyListResult>(r.stdout);
    expect(list).toMatchObject({version: 1, effectiveFrom: '1970-01-01T00:00:00.000Z', source: '(built-in default)'});
    expect(list.policies.map((p) => [p.name, p.calendar, p.targets.firstResponse])).toEqual([
      ['urgent', '24x7', '1h'],
      ['high', 'business-hours', '4h'],
      ['standard', 'business-hours', '8h'],
    ]);
    expect(list.calendars).toEqual([expect.objectContaining({name: 'business-hours', timezone: 'UTC'})]);
  });

  it('imports a file as a new version that list and view show', async () => {
    const imported = await importPolicies(POLICIES, 'team.yaml');
    expect(imported).toMatchObject({version: 2, source: 'team.yaml', policies: ['urgent', 'standard'], calendars: []});
    const list = parseJson<SlaPolicyListResult>((await run(SlaPolicyList, ['--json'])).stdout);
    expect(list.version).toBe(2);
    expect(list.policies).toEqual([
      {name: 'urgent', match: {priority: ['urgent']}, calendar: '24x7', targets: {firstResponse: '1h', resolution: '24h'}, pauseOn: []},
      {name: 'standard', match: {}, calendar: '24x7', targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'}, pauseOn: ['pending']},
    ]);
    const piped = await run(SlaPolicyList, []);
    expect(piped.stdout.trim().split('\n')[0]!.split('\t')).toEqual(['urgent', 'priority=urgent', '24x7', '1h', '', '24h', '']);

    const view = parseJson<SlaPolicyViewResult>((await run(SlaPolicyView, ['standard', '--json'])).stdout);
    expect(view).toMatchObject({version: 2, policy: {name: 'standard', pauseOn: ['pending']}, calendar: {name: '24x7', timezone: 'UTC'}});
    const card = await run(SlaPolicyView, ['standard', '--no-color'], {tty: true});
    expect(card.stdout).toContain('first response 8h');
    expect(card.stdout).toContain('any ticket');
    const missing = await run(SlaPolicyView, ['gold']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('urgent, standard');
  });

  it('reports every problem of a bad file with its path, exits 2 and changes nothing', async () => {
    const bad = `
calendars:
  - name: berlin
    timezone: Europe/Berlinn
    hours: {mon: ["09:00-25:00"], tue: ["12:00-10:00", "09:00-13:00"]}
    holidays: ["24.12.2026"]
policies:
  - name: standard
    match: {}
    calendar: paris
    targets: {firstResponse: -1h, resolution: 0m, replyTime: 2h}
`;
    const r = await run(SlaPolicyImport, [policyFile(bad)]);
    expect(r.exitCode).toBe(2);
    for (const path of [
      'calendars[0].timezone',
      'calendars[0].hours.mon[0]',
      'calendars[0].holidays[0]',
      'policies[0].calendar',
      'policies[0].targets.firstResponse',
      'policies[0].targets.resolution',
      'policies[0].targets.replyTime',
    ]) {
      expect(r.stderr, path).toContain(`${path}: `);
    }
    expect(r.stderr).toContain('nothing was changed');
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const json = await run(SlaPolicyImport, [policyFile(bad), '--json']);
    expect(json.exitCode).toBe(2);
    expect(parseJson(json.stdout).error).toMatchObject({code: 'usage', exitCode: 2, message: expect.stringContaining('policies[0].calendar: ')});

    for (const text of ['policies: [unclosed', '']) {
      const broken = await run(SlaPolicyImport, [policyFile(text)]);
      expect(broken.exitCode, text).toBe(2);
    }
    const absent = await run(SlaPolicyImport, [join(box.dir, 'nope.yaml')]);
    expect(absent.exitCode).toBe(2);
    expect(absent.stderr).toContain('does not exist');

    expect(parseJson<SlaPolicyListResult>((await run(SlaPolicyList, ['--json'])).stdout).version).toBe(1);
  });
});

describe('sla status', () => {
  it('prints the JSON shape of issue 6 with ISO UTC times', async () => {
    await importPolicies();
    const ticket = await create('Down', ['--priority', 'urgent']);
    const created = Date.parse(ticket.createdAt);
    const report = await status(['--at', iso(created + 30 * 60_000)]);
    expect(Object.keys(report)).toEqual(['at', 'tickets']);
    expect(report.at).toBe(iso(created + 30 * 60_000));
    expect(report.tickets).toHaveLength(1);
    const [entry] = report.tickets;
    expect(Object.keys(entry!)).toEqual(['ticketId', 'title', 'policy', 'metrics']);
    expect(entry).toMatchObject({ticketId: ticket.id, title: 'Down', policy: 'urgent'});
    expect(entry!.metrics.map((m) => Object.keys(m))).toEqual(
      Array(2).fill(['metric', 'status', 'startedAt', 'dueAt', 'achievedAt', 'remainingSeconds', 'elapsedSeconds', 'paused', 'breached']),
    );
    expect(entry!.metrics[0]).toEqual({
      metric: 'firstResponse',
      status: 'active',
      startedAt: ticket.createdAt,
      dueAt: iso(created + HOUR),
      achievedAt: null,
      remainingSeconds: 1800,
      elapsedSeconds: 1800,
      paused: false,
      breached: false,
    });
    for (const m of entry!.metrics) for (const t of [m.startedAt, m.dueAt]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('keeps the targets a ticket was opened under when the policies change later', async () => {
    await importPolicies();
    const before = await create('Opened under version 2', ['--priority', 'urgent']);
    await sleep(5);
    await importPolicies(POLICIES.replace('firstResponse: 1h, resolution: 24h', 'firstResponse: 4h, resolution: 48h'));
    await sleep(5);
    const after = await create('Opened under version 3', ['--priority', 'urgent']);
    const report = await status();
    expect(metric(report, before.id, 'firstResponse')?.dueAt).toBe(iso(Date.parse(before.createdAt) + HOUR));
    expect(metric(report, before.id, 'resolution')?.dueAt).toBe(iso(Date.parse(before.createdAt) + 24 * HOUR));
    expect(metric(report, after.id, 'firstResponse')?.dueAt).toBe(iso(Date.parse(after.createdAt) + 4 * HOUR));
  });

  it('evaluates as of --at, leaving out tickets that did not exist yet', async () => {
    await importPolicies();
    const ticket = await create('Urgent', ['--priority', 'urgent']);
    const created = Date.parse(ticket.createdAt);
    const later = await status(['--at', iso(created + 2 * HOUR)]);
    expect(metric(later, ticket.id, 'firstResponse')).toMatchObject({status: 'breached', breached: true, remainingSeconds: -3600});
    expect(metric(later, ticket.id, 'resolution')).toMatchObject({status: 'active', elapsedSeconds: 7200});

    const earlier = await status(['--at', iso(created - HOUR)]);
    expect(earlier.tickets).toEqual([]);
    const named = await status([ticket.id, '--at', iso(created - HOUR)]);
    expect(named.tickets).toEqual([{ticketId: ticket.id, title: 'Urgent', policy: null, metrics: []}]);

    for (const bad of ['yesterday', '2026-13-45T00:00:00Z', '12:00']) {
      const r = await run(SlaStatus, ['--at', bad]);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toContain('ISO 8601');
    }
  });

  it('shows only metrics breached or due within --breaching-within', async () => {
    await importPolicies();
    const urgent = await create('Urgent', ['--priority', 'urgent']);
    const normal = await create('Normal');
    const at = Date.parse(normal.createdAt) + 10 * 60_000;
    const soon = await status(['--breaching-within', '2h', '--at', iso(at)]);
    expect(soon.tickets.map((t) => [t.ticketId, t.metrics.map((m) => m.metric)])).toEqual([[urgent.id, ['firstResponse']]]);
    const wider = await status(['--breaching-within', '8h', '--at', iso(at)]);
    expect(wider.tickets.map((t) => [t.ticketId, t.metrics.map((m) => m.metric)])).toEqual([
      [urgent.id, ['firstResponse']],
      [normal.id, ['firstResponse']],
    ]);
    // A breached metric is shown whatever the window.
    const late = await status(['--breaching-within', '1m', '--at', iso(Date.parse(urgent.createdAt) + 90 * 60_000)]);
    expect(late.tickets.map((t) => [t.ticketId, t.metrics.map((m) => [m.metric, m.status])])).toEqual([[urgent.id, [['firstResponse', 'breached']]]]);

    const bad = await run(SlaStatus, ['--breaching-within', 'soon']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--breaching-within "soon"');
  });

  it('exits 8 with --fail-on-breach after printing the JSON, and 0 when nothing shown is breached', async () => {
    await importPolicies();
    const ticket = await create('Urgent', ['--priority', 'urgent']);
    const created = Date.parse(ticket.createdAt);
    const breached = await run(SlaStatus, ['--fail-on-breach', '--at', iso(created + 2 * HOUR), '--json']);
    expect(breached.exitCode).toBe(8);
    const report = parseJson<SlaStatusResult>(breached.stdout);
    expect(report.at).toBe(iso(created + 2 * HOUR));
    expect(metric(report, ticket.id, 'firstResponse')?.breached).toBe(true);
    expect(breached.stderr).toContain('SLA breached: 1 metric shown is past due.');

    const fine = await run(SlaStatus, ['--fail-on-breach', '--at', iso(created + 10 * 60_000), '--json']);
    expect(fine.exitCode).toBe(0);
    expect(parseJson<SlaStatusResult>(fine.stdout).tickets).toHaveLength(1);

    const table = await run(SlaStatus, ['--fail-on-breach', '--at', iso(created + 2 * HOUR)]);
    expect(table.exitCode).toBe(8);
    expect(table.stdout).toContain(`${ticket.id}\tUrgent\turgent\tfirstResponse\tbreached\t`);
    // Only metrics shown count: another ticket, on time, passes while the first one is breached.
    const other = await create('Normal');
    const shown = await run(SlaStatus, [other.id, '--fail-on-breach', '--at', iso(created + 2 * HOUR), '--json']);
    expect(shown.exitCode).toBe(0);
    expect(parseJson<SlaStatusResult>(shown.stdout).tickets.map((t) => t.ticketId)).toEqual([other.id]);
  });

  it('prints tab-separated rows when piped and a table on a terminal, paused marked', async () => {
    await importPolicies();
    const ticket = await create('Waiting on customer');
    await run(TicketUpdate, [ticket.id, '--status', 'pending']);
    const at = iso(Date.parse(ticket.createdAt) + HOUR);
    const piped = await run(SlaStatus, ['--at', at]);
    const rows = piped.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r.slice(0, 5))).toEqual([
      [ticket.id, 'Waiting on customer', 'standard', 'firstResponse', 'active'],
      [ticket.id, 'Waiting on customer', 'standard', 'resolution', 'paused'],
    ]);
    expect(rows[0]![5]).toBe(iso(Date.parse(ticket.createdAt) + 8 * HOUR));
    expect(rows[1]![5]).toBe('');
    expect(piped.stdout).not.toContain('\u001B[');

    const table = await run(SlaStatus, ['--at', at, '--no-color'], {tty: true});
    expect(table.stdout).toMatch(/TICKET\s+TITLE\s+POLICY\s+METRIC\s+STATUS\s+DUE\s+REMAINING/);
    expect(table.stdout).toMatch(/first response\s+active\s+in 7 hours\s+7h/);
    expect(table.stdout).toMatch(/resolution\s+paused\s+when resumed\s+40h \(paused\)/);
    expect(table.stdout).not.toContain('\u001B[');
  });

  it('colours remaining time green, yellow under a quarter left, red when breached', () => {
    const m = (over: Partial<SlaMetricJson>): SlaMetricJson => ({
      metric: 'firstResponse', status: 'active', startedAt: '', dueAt: '', achievedAt: null,
      remainingSeconds: 3000, elapsedSeconds: 600, paused: false, breached: false, ...over,
    });
    expect(metricTone(m({}))).toBe('green');
    expect(metricTone(m({remainingSeconds: 899, elapsedSeconds: 2701}))).toBe('yellow');
    expect(metricTone(m({status: 'breached', breached: true, remainingSeconds: -5}))).toBe('red');
    expect(metricTone(m({status: 'paused', paused: true}))).toBe('gray');
  });

  it('says so when there are no open tickets, and exits 3 for a ticket that does not exist', async () => {
    const empty = await run(SlaStatus, []);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('No open tickets.');
    const missing = await run(SlaStatus, ['404']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('Ticket 404 does not exist.');
  });

  it('refuses --watch without a terminal or with --json, and redraws on a terminal until Ctrl-C', async () => {
    const piped = await run(SlaStatus, ['--watch']);
    expect(piped.exitCode).toBe(2);
    expect(piped.stderr).toContain('--watch needs a terminal.');
    const json = await run(SlaStatus, ['--watch', '--json'], {tty: true});
    expect(json.exitCode).toBe(2);

    await create('Watched', ['--priority', 'urgent']);
    // Ctrl-C once the first screen is drawn.
    let interrupted = false;
    const watched = await run(SlaStatus, ['--watch', '--no-color'], {
      tty: true,
      onStdout: (chunk) => {
        if (interrupted || !chunk.includes('Every 5s')) return;
        interrupted = true;
        setImmediate(() => process.emit('SIGINT'));
      },
    });
    expect(watched.exitCode).toBe(0);
    expect(watched.stdout).toContain('\u001B[2J');
    expect(watched.stdout).toContain('Every 5s');
    expect(watched.stdout).toMatch(/Watched\s+urgent\s+first response\s+active/);
  });
});

describe('ticket view with SLA', () => {
  it('shows the SLA line on a terminal and leaves the JSON ticket object alone', async () => {
    await create('Printer', ['--priority', 'urgent']);
    const card = await run(TicketView, ['1', '--no-color'], {tty: true});
    expect(card.exitCode, card.stderr).toBe(0);
    expect(card.stdout).toMatch(/SLA \(urgent\): first response (59m|1h) left \(due in (59 minutes|1 hour)\) · resolution (7h 59m|8h) left/);
    const json = parseJson<TicketWithComments>((await run(TicketView, ['1', '--json'])).stdout);
    expect(json).not.toHaveProperty('sla');
    expect((await run(TicketView, ['1'])).stdout).not.toContain('SLA');
  });
});

describe('identity: a requester and an agent on one data dir', () => {
  it('achieves the first response by the agent’s public reply only', async () => {
    await importPolicies();
    expect((await run(ProfileAdd, ['requester', '--backend', 'local', '--as', 'customer', '--user', 'carol'])).exitCode).toBe(0);
    expect((await run(ProfileAdd, ['desk', '--backend', 'local', '--as', 'agent', '--user', 'alice'])).exitCode).toBe(0);
    const asCarol = ['--profile', 'requester'];
    const asAlice = ['--profile', 'desk'];

    const ticket = await create('Cannot log in', asCarol);
    expect(ticket.requester).toBe('carol');
    const first = async () => metric(await status([ticket.id]), ticket.id, 'firstResponse')!;

    await run(TicketComment, [ticket.id, '--body', 'Any news?', ...asCarol]);
    expect(await first()).toMatchObject({status: 'active', achievedAt: null});
    await run(TicketComment, [ticket.id, '--body', 'Looks like the SSO cert', '--internal', ...asAlice]);
    expect(await first()).toMatchObject({status: 'active', achievedAt: null});
    await run(TicketComment, [ticket.id, '--body', 'We are on it', ...asAlice]);
    const view = parseJson<TicketWithComments>((await run(TicketView, [ticket.id, '--json'])).stdout);
    expect(view.comments.map((c) => [c.author, c.authorRole, c.public])).toEqual([
      ['carol', 'customer', true],
      ['alice', 'agent', false],
      ['alice', 'agent', true],
    ]);
    expect(await first()).toMatchObject({status: 'achieved', achievedAt: view.comments[2]!.createdAt, breached: false});

    // The events the engine reads carry who acted and in which role.
    const backend = await createLocalBackend({profile: 'x', dataDir: box.env.SUPPORT_DATA_DIR, cacheDir: box.env.SUPPORT_CACHE_DIR, identity: {name: 'x', role: 'customer'}});
    const events = await backend.tickets.events(ticket.id);
    await backend.close();
    expect(events.map((e) => [e.type, e.actor, e.actorRole, e.data['public'] ?? null])).toEqual([
      ['created', 'carol', 'customer', null],
      ['comment', 'carol', 'customer', true],
      ['comment', 'alice', 'agent', false],
      ['comment', 'alice', 'agent', true],
    ]);
  });
});
