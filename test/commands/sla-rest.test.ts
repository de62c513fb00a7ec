import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import SlaPolicyImport, {type SlaPolicyImportResult} from '../../src/commands/sla/policy/import.js';
import SlaPolicyList from '../../src/commands/sla/policy/list.js';
import SlaPolicyView from '../../src/commands/sla/policy/view.js';
import SlaStatus, {type SlaStatusResult} from '../../src/commands/sla/status.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import TicketView from '../../src/commands/ticket/view.js';
import type {Ticket} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';
import {api} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/**
 * The sla commands against a real `support serve`. The server's store is the local backend's
 * store of the same sandbox, so that the local backend and the server read the same data and
 * their answers can be compared field for field.
 */

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const POLICIES = `
calendars:
  - name: office
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-15:00"]}
    holidays: ["2026-12-24"]
policies:
  - name: urgent
    match: {priority: [urgent]}
    calendar: 24x7
    targets: {firstResponse: 1h, resolution: 24h}
  - name: billing
    match: {tags: [billing]}
    calendar: office
    targets: {firstResponse: 4h, resolution: 16h}
  - name: standard
    match: {}
    calendar: 24x7
    targets: {firstResponse: 8h, nextResponse: 16h, resolution: 40h}
    pauseOn: [pending]
`;

let box: Sandbox;
let server: TestServer;
const tokens: Record<'admin' | 'alice' | 'bob' | 'carol', string> = {admin: '', alice: '', bob: '', carol: ''};

beforeEach(async () => {
  box = sandbox();
  server = await startTestServer(box.dir, {dataDir: join(box.env.SUPPORT_DATA_DIR, 'local')});
  tokens.admin = await server.token('admin', 'root');
  tokens.alice = await server.token('agent', 'alice');
  tokens.bob = await server.token('customer', 'bob');
  tokens.carol = await server.token('customer', 'carol');
});
afterEach(async () => {
  await server.close();
  box.cleanup();
});

type As = keyof typeof tokens | 'local';

const run = <T = unknown>(as: As, cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand<T>(cmd, argv, {
    ...options,
    env: {...box.env, ...(as === 'local' ? {} : {SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: tokens[as]}), ...options.env},
  });

function policyFile(text: string, name = 'policies.yaml'): string {
  const file = join(box.dir, name);
  writeFileSync(file, text);
  return file;
}

async function importAsAdmin(text = POLICIES): Promise<SlaPolicyImportResult> {
  const r = await run('admin', SlaPolicyImport, [policyFile(text, 'team.yaml'), '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<SlaPolicyImportResult>(r.stdout);
}

async function create(as: As, title: string, extra: string[] = []): Promise<Ticket> {
  const r = await run(as, TicketCreate, ['--title', title, '--body', 'b', '--json', ...extra]);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<Ticket>(r.stdout);
}

async function status(as: As, argv: string[] = []): Promise<SlaStatusResult> {
  const r = await run(as, SlaStatus, [...argv, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<SlaStatusResult>(r.stdout);
}

const versionCount = async () => (await api(server.url, 'GET', '/v1/sla/versions', {token: tokens.admin})).json.versions.length as number;

describe('sla policy over rest', () => {
  it('imports with an admin token, and lists and views what the local backend sees in the same store', async () => {
    const imported = await importAsAdmin();
    expect(imported).toMatchObject({version: 2, source: 'team.yaml', policies: ['urgent', 'billing', 'standard'], calendars: ['office']});
    for (const [cmd, argv] of [
      [SlaPolicyList, ['--json']],
      [SlaPolicyView, ['billing', '--json']],
    ] as const) {
      const remote = await run('bob', cmd, [...argv]);
      const local = await run('local', cmd, [...argv]);
      expect(remote.exitCode, remote.stderr).toBe(0);
      expect(parseJson(remote.stdout)).toEqual(parseJson(local.stdout));
    }
    const missing = await run('alice', SlaPolicyView, ['gold']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('urgent, billing, standard');
  });

  it('refuses an import with an agent or customer token: exit 5, saying an admin token is needed', async () => {
    for (const [as, role] of [
      ['alice', 'agent'],
      ['bob', 'customer'],
    ] as const) {
      const r = await run(as, SlaPolicyImport, [policyFile(POLICIES)]);
      expect(r.exitCode, as).toBe(5);
      expect(r.stderr).toContain(`Only an admin may import SLA policies; this token has the ${role} role.`);
      expect(r.stderr).toContain('admin token');
      const json = await run(as, SlaPolicyImport, [policyFile(POLICIES), '--json']);
      expect(parseJson(json.stdout).error).toMatchObject({code: 'rejected', exitCode: 5});
    }
    expect(await versionCount()).toBe(1);
  });

  it('refuses a bad file with exit 2 and every problem’s path, changing nothing on the server', async () => {
    const bad = `
calendars:
  - name: berlin
    timezone: Europe/Berlinn
    hours: {mon: ["09:00-25:00"], tue: ["09:00-17:00", "12:00-13:00"]}
    holidays: ["24.12.2026"]
policies:
  - name: standard
    match: {}
    calendar: paris
    targets: {firstResponse: -1h, resolution: 0m, replyTime: 2h}
`;
    const r = await run('admin', SlaPolicyImport, [policyFile(bad)]);
    expect(r.exitCode).toBe(2);
    for (const path of [
      'calendars[0].timezone',
      'calendars[0].hours.mon[0]',
      'calendars[0].hours.tue[1]',
      'calendars[0].holidays[0]',
      'policies[0].calendar',
      'policies[0].targets.firstResponse',
      'policies[0].targets.resolution',
      'policies[0].targets.replyTime',
    ]) {
      expect(r.stderr, path).toContain(`${path}: `);
    }
    expect(r.stderr).toContain('nothing was changed');
    expect(await versionCount()).toBe(1);
    expect((await api(server.url, 'GET', '/v1/sla/policies', {token: tokens.admin})).json.source).toBe('(built-in default)');
  });
});

describe('sla status over rest', () => {
  it('prints the same JSON as the local backend for the same data', async () => {
    await importAsAdmin();
    const down = await create('bob', 'Down', ['--priority', 'urgent']);
    const invoice = await create('carol', 'Invoice wrong', ['--tag', 'billing']);
    const waiting = await create('bob', 'Waiting');
    const solved = await create('carol', 'Solved');
    expect((await run('alice', TicketComment, [down.id, '--body', 'Looking into it.'])).exitCode).toBe(0);
    expect((await run('bob', TicketComment, [down.id, '--body', 'Still down.'])).exitCode).toBe(0);
    expect((await run('alice', TicketComment, [waiting.id, '--body', 'Can you send logs?'])).exitCode).toBe(0);
    expect((await run('alice', TicketUpdate, [waiting.id, '--status', 'pending'])).exitCode).toBe(0);
    expect((await run('alice', TicketUpdate, [solved.id, '--status', 'solved'])).exitCode).toBe(0);

    const created = Date.parse(down.createdAt);
    for (const argv of [[], ['--at', iso(created + 3 * HOUR)], ['--at', iso(created + 30 * 24 * HOUR)], [solved.id, invoice.id, down.id], ['--breaching-within', '2h']]) {
      const at = argv.includes('--at') ? [] : ['--at', iso(created + HOUR / 2)];
      const remote = await status('alice', [...argv, ...at]);
      const local = await status('local', [...argv, ...at]);
      expect(remote, argv.join(' ')).toEqual(local);
    }
    const all = await status('alice', ['--at', iso(created + 3 * HOUR)]);
    expect(all.tickets.map((t) => [t.ticketId, t.policy])).toEqual([
      [down.id, 'urgent'],
      [invoice.id, 'billing'],
      [waiting.id, 'standard'],
    ]);
    expect(all.tickets[0]!.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['firstResponse', 'achieved'],
      ['resolution', 'active'],
    ]);
  });

  it('exits 8 with --fail-on-breach after printing the JSON', async () => {
    await importAsAdmin();
    const down = await create('bob', 'Down', ['--priority', 'urgent']);
    const created = Date.parse(down.createdAt);
    const breached = await run('alice', SlaStatus, ['--fail-on-breach', '--at', iso(created + 2 * HOUR), '--json']);
    expect(breached.exitCode).toBe(8);
    const report = parseJson<SlaStatusResult>(breached.stdout);
    expect(report.tickets[0]!.metrics[0]).toMatchObject({metric: 'firstResponse', status: 'breached', breached: true, remainingSeconds: -3600});
    expect(breached.stderr).toContain('SLA breached: 1 metric shown is past due.');
    const fine = await run('alice', SlaStatus, ['--fail-on-breach', '--at', iso(created + 10 * 60_000)]);
    expect(fine.exitCode).toBe(0);
    expect(fine.stdout).toContain(`${down.id}\tDown\turgent\tfirstResponse\tactive\t`);
  });

  it('shows a customer only their own tickets; another requester’s is not found', async () => {
    await importAsAdmin();
    const bobs = await create('bob', 'Bob’s printer');
    const carols = await create('carol', 'Carol’s secret project');
    expect((await status('bob')).tickets.map((t) => t.ticketId)).toEqual([bobs.id]);
    expect((await status('carol')).tickets.map((t) => t.ticketId)).toEqual([carols.id]);
    expect((await status('alice')).tickets.map((t) => t.ticketId)).toEqual([bobs.id, carols.id]);
    for (const argv of [[carols.id], [bobs.id, carols.id]]) {
      const r = await run('bob', SlaStatus, argv);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain(`Ticket ${carols.id} does not exist.`);
      expect(r.stdout + r.stderr).not.toContain('secret');
    }
    expect((await status('bob', [bobs.id])).tickets.map((t) => t.ticketId)).toEqual([bobs.id]);
  });

  it('puts the SLA line in ticket view on a terminal', async () => {
    await importAsAdmin();
    const down = await create('bob', 'Printer', ['--priority', 'urgent']);
    const card = await run('bob', TicketView, [down.id, '--no-color'], {tty: true});
    expect(card.exitCode, card.stderr).toBe(0);
    expect(card.stdout).toMatch(/SLA \(urgent\): first response (59m|1h) left \(due in (59 minutes|1 hour)\) · resolution (23h 59m|24h) left/);
    const empty = await run('alice', SlaStatus, [], {env: {SUPPORT_TOKEN: tokens.carol}});
    expect(empty.exitCode).toBe(0);
    expect(empty.stderr).toContain('No open tickets.');
  });
});
