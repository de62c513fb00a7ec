import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';

import AuthLogin from '../../src/commands/auth/login.js';
import AuthStatusCommand, {type AuthStatusResult} from '../../src/commands/auth/status.js';
import DiagAttach from '../../src/commands/diag/attach.js';
import KbImport from '../../src/commands/kb/import.js';
import KbSearch from '../../src/commands/kb/search.js';
import KbSync from '../../src/commands/kb/sync.js';
import KbView from '../../src/commands/kb/view.js';
import ProfileAdd from '../../src/commands/profile/add.js';
import ProfileList, {type ProfileListResult} from '../../src/commands/profile/list.js';
import SlaPolicyImport from '../../src/commands/sla/policy/import.js';
import SlaPolicyList from '../../src/commands/sla/policy/list.js';
import SlaStatus from '../../src/commands/sla/status.js';
import TicketBulkUpdate from '../../src/commands/ticket/bulk/update.js';
import TicketClose from '../../src/commands/ticket/close.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketExport from '../../src/commands/ticket/export.js';
import TicketList from '../../src/commands/ticket/list.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import TicketView from '../../src/commands/ticket/view.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';
import {startFreshdeskFake, type FreshdeskFake} from '../vendors/freshdesk/fake.js';

let fake: FreshdeskFake;
let box: Sandbox;
beforeAll(async () => {
  fake = await startFreshdeskFake();
});
afterAll(async () => {
  // Every request the CLI sent, and every answer, fit the rules written out from Freshdesk's reference.
  expect(fake.server.violations).toEqual([]);
  await fake.close();
});
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) =>
  runCommand<T>(cmd, argv, {stdin: options.stdin, env: {...box.env, ...options.env}});

/** `support profile add fd --backend freshdesk --url ...` and `support auth login --with-token`, as the README says. */
async function logIn(key = 'alice-api-key') {
  expect((await run(ProfileAdd, ['fd', '--backend', 'freshdesk', '--url', fake.url])).exitCode).toBe(0);
  const login = await run(AuthLogin, ['--profile', 'fd', '--with-token'], {stdin: `${key}\n`});
  expect(login.stderr).toContain('Logged in to fd as alice@acme.test');
  expect(login.exitCode).toBe(0);
}

describe('profiles for freshdesk', () => {
  it('stores the URL and checked options', async () => {
    const added = await run(ProfileAdd, ['fd', '--backend', 'freshdesk', '--url', `${fake.url}/`, '--option', 'group=36000012345']);
    expect(added.exitCode).toBe(0);
    expect(added.stderr).toContain('support auth login --profile fd');
    const listed = parseJson<ProfileListResult>((await run(ProfileList, ['--json'])).stdout);
    expect(listed.profiles.find((p) => p.name === 'fd')).toEqual({name: 'fd', backend: 'freshdesk', url: fake.url, email: null, repo: null, options: {group: '36000012345'}, as: 'customer', current: false});
    expect((await run(ProfileAdd, ['acme', '--backend', 'freshdesk', '--url', 'https://acme.freshdesk.com'])).exitCode).toBe(0);
  });

  it.each([
    [['w', '--backend', 'freshdesk'], 'The freshdesk backend needs a URL.', 'https://DOMAIN.freshdesk.com'],
    [['w', '--backend', 'freshdesk', '--url', 'http://acme.freshdesk.com'], 'The freshdesk backend needs an https:// URL, not http://acme.freshdesk.com.', 'https://'],
    [['w', '--backend', 'freshdesk', '--url', 'https://support.acme.com'], 'The freshdesk backend needs a URL on freshdesk.com, not https://support.acme.com.', 'not on a custom domain'],
    [['w', '--backend', 'freshdesk', '--url', 'https://acme.freshdesk.com', '--email', 'a@b.co'], 'The freshdesk backend takes no --email.', 'Leave --email out'],
    [['w', '--backend', 'freshdesk', '--url', 'https://acme.freshdesk.com', '--option', 'group=sales'], 'The option group must be a whole number, not "sales".', 'Group id'],
  ])('refuses %j with a sentence and a hint (exit 2)', async (argv, message, hint) => {
    const r = await run(ProfileAdd, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
  });
});

describe('auth with freshdesk', () => {
  it('checks the API key before storing it, and auth status shows the agent and account', async () => {
    await logIn();
    const status = await run<AuthStatusResult>(AuthStatusCommand, ['--json']);
    expect(status.exitCode).toBe(0);
    const fd = parseJson<AuthStatusResult>(status.stdout).profiles.find((p) => p.profile === 'fd');
    expect(fd).toMatchObject({backend: 'freshdesk', state: 'ok', user: 'alice@acme.test', role: 'agent', backendRole: 'support_agent', account: new URL(fake.url).host, tokenSource: 'file'});
    expect(`${status.stdout}${status.stderr}`).not.toContain('alice-api-key');
  });

  it('refuses to store a key Freshdesk does not accept (exit 4)', async () => {
    expect((await run(ProfileAdd, ['fd', '--backend', 'freshdesk', '--url', fake.url])).exitCode).toBe(0);
    const login = await run(AuthLogin, ['--profile', 'fd', '--with-token'], {stdin: 'not-a-key\n'});
    expect(login.exitCode).toBe(4);
    expect(login.stderr).toContain('Freshdesk refused the API key of the profile "fd"');
  });
});

describe('the README with --profile fd', () => {
  it('creates, lists, views, comments on, updates and closes tickets', async () => {
    await logIn();
    const log = join(box.dir, 'export.log');
    writeFileSync(log, 'ERROR 500 on /export\n');
    const created = await run(TicketCreate, ['--profile', 'fd', '--title', 'Export broken', '--body', 'CSV export returns 500.', '--priority', 'high', '--type', 'incident', '--tag', 'export', '--field', 'region=eu', '--attach', log, '--json']);
    expect(created.exitCode).toBe(0);
    const ticket = parseJson<{id: string; fields: Record<string, unknown>; attachments: {name: string}[]}>(created.stdout);
    expect(ticket.fields).toMatchObject({region: 'eu'});
    expect(ticket.attachments.map((a) => a.name)).toEqual(['export.log']);
    const id = ticket.id;
    expect(fake.tickets.get(Number(id))).toMatchObject({priority: 3, status: 2, type: 'Incident'});

    const listed = await run(TicketList, ['--profile', 'fd', '--priority', 'high', '--tag', 'export']);
    expect(listed.stdout.split('\n').map((l) => l.split('\t')[0])).toContain(id);
    expect((await run(TicketComment, ['--profile', 'fd', id, '--body', 'Restarting fixed it.'])).exitCode).toBe(0);
    expect((await run(TicketComment, ['--profile', 'fd', id, '--body', 'Customer on the old plan.', '--internal'])).exitCode).toBe(0);
    expect((await run(TicketUpdate, ['--profile', 'fd', id, '--status', 'pending', '--assignee', 'bob@acme.test', '--add-tag', 'vip', '--remove-tag', 'export', '--field', 'region='])).exitCode).toBe(0);
    const view = parseJson<{status: string; assignee: string; tags: string[]; fields: Record<string, unknown>; comments: {body: string; public: boolean}[]}>((await run(TicketView, ['--profile', 'fd', id, '--json'])).stdout);
    expect(view).toMatchObject({status: 'pending', assignee: 'bob@acme.test', tags: ['vip']});
    expect(view.fields).not.toHaveProperty('region');
    expect(view.comments.map((c) => [c.body.split(' (')[0], c.public])).toEqual([
      ['Attached export.log', false],
      ['Restarting fixed it.', true],
      ['Customer on the old plan.', false],
    ]);
    const plain = await run(TicketView, ['--profile', 'fd', id]);
    expect(plain.stdout).toMatch(/attachment:\texport\.log\t21\t[0-9a-f]{64}/);
    expect((await run(TicketUpdate, ['--profile', 'fd', id, '--field', 'status_name=Waiting on Customer'])).exitCode).toBe(0);
    expect(fake.tickets.get(Number(id))!.status).toBe(6);
    expect((await run(TicketClose, ['--profile', 'fd', id])).exitCode).toBe(0);
    expect(fake.tickets.get(Number(id))!.status).toBe(4);
  });

  it('shows Freshdesk’s 400 as one sentence naming the field, with exit code 5', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'fd', '--title', 'Seats', '--body', 'x', '--json'])).stdout).id;
    const r = await run(TicketUpdate, ['--profile', 'fd', id, '--field', 'seats=many']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(`Error: Freshdesk refused to update ticket ${id}: the field seats is invalid (Value set is of type String.It should be a/an Integer).`);
  });

  it('exports tickets, and a bulk update of the unedited export sends no change', async () => {
    await logIn();
    for (const title of ['Printer on fire', 'VPN drops']) await run(TicketCreate, ['--profile', 'fd', '--title', title, '--body', 'x', '--tag', 'hardware', '--field', 'seats=3']);
    const exported = await run(TicketExport, ['--profile', 'fd', '--tag', 'hardware', '--format', 'jsonl']);
    expect(exported.exitCode).toBe(0);
    const file = join(box.dir, 'hardware.jsonl');
    writeFileSync(file, exported.stdout);
    const updatesBefore = fake.server.received('UpdateTicket').length;
    const bulk = await run(TicketBulkUpdate, ['--profile', 'fd', '--input', file, '--json']);
    expect(bulk.exitCode).toBe(0);
    expect(parseJson<{succeeded: number}>(bulk.stdout).succeeded).toBe(2);
    expect(fake.server.received('UpdateTicket').length).toBe(updatesBefore);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    rows[0]!.priority = 'urgent';
    rows[0]!.fields.seats = 4;
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    expect((await run(TicketBulkUpdate, ['--profile', 'fd', '--input', file, '--fresh', '--json'])).exitCode).toBe(0);
    const sent = fake.server.received('UpdateTicket').slice(updatesBefore).map((r) => r.body);
    expect(sent).toEqual([{priority: 4, custom_fields: {cf_seats: 4}}]);
  });

  it('attaches a diagnostic bundle and reports SLA clocks', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'fd', '--title', 'Urgent', '--body', 'x', '--priority', 'urgent', '--json'])).stdout).id;
    const bundle = join(box.dir, 'support-bundle.tar.gz');
    writeFileSync(bundle, Buffer.alloc(4096, 7));
    const attached = await run(DiagAttach, ['--profile', 'fd', bundle, '--ticket', id, '--json']);
    expect(attached.exitCode).toBe(0);
    expect(parseJson<{attachment: {name: string; size: number}}>(attached.stdout).attachment).toMatchObject({name: 'support-bundle.tar.gz', size: 4096});
    const sla = await run(SlaStatus, ['--profile', 'fd', id, '--json']);
    expect(sla.exitCode).toBe(0);
    expect(parseJson<{tickets: {metrics: {metric: string; status: string}[]}[]}>(sla.stdout).tickets[0]!.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['firstResponse', 'active'],
      ['resolution', 'active'],
    ]);
  });

  it('searches and reads the solution articles', async () => {
    await logIn();
    const a = fake.addArticle({title: 'Set up a proxy for the support CLI', description: '<p>Behind a corporate <em>proxy</em>, set HTTPS_PROXY.</p>', language: 'en', tags: ['proxy', 'network']});
    const search = await run(KbSearch, ['--profile', 'fd', 'proxy', 'setup', '--json']);
    expect(search.exitCode).toBe(0);
    expect(parseJson<{hits: {id: string}[]}>(search.stdout).hits.map((h) => h.id)).toContain(String(a.id));
    const view = await run(KbView, ['--profile', 'fd', String(a.id), '--raw']);
    expect(view.stdout).toBe('Behind a corporate _proxy_, set HTTPS\\_PROXY.\n');
  });

  it('copies the solution articles for offline search, and a later sync brings an edit and drops a deleted article', async () => {
    await logIn();
    const printers = fake.addFolder({name: 'Printers'});
    const tray = fake.addArticle({title: 'Paper tray jams', description: '<p>Open the <strong>tray</strong> and remove the sheet.</p>', language: 'en', tags: ['printer'], folder: printers.id});
    const toner = fake.addArticle({title: 'Replacing the toner', description: '<p>Shake the new cartridge first.</p>', language: 'en', tags: ['printer'], folder: printers.id});
    fake.addArticle({title: 'Tray jams draft', description: '<p>Unfinished tray notes.</p>', language: 'en', tags: [], status: 1, folder: printers.id});
    const first = await run(KbSync, ['--profile', 'fd']);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toMatch(/Copied \d+ articles for offline search\./);
    const offline = await run(KbSearch, ['--profile', 'fd', 'tray', 'jams', '--offline', '--json']);
    expect(offline.exitCode).toBe(0);
    expect(parseJson<{hits: {id: string; title: string}[]}>(offline.stdout).hits.map((h) => [h.id, h.title])).toEqual([[String(tray.id), 'Paper tray jams']]);

    fake.editArticle(tray.id, {description: '<p>Open the tray, remove the sheet, and fan the stack.</p>'});
    fake.deleteArticle(toner.id);
    const second = await run(KbSync, ['--profile', 'fd']);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/^Synced: 0 new, 1 updated, 1 deleted \(\d+ articles\)\.$/m);
    const gone = await run(KbSearch, ['--profile', 'fd', 'toner', 'cartridge', '--offline', '--json']);
    expect(parseJson<{hits: unknown[]}>(gone.stdout).hits).toEqual([]);
    const view = await run(KbView, ['--profile', 'fd', String(tray.id), '--offline', '--raw']);
    expect(view.stdout).toBe('Open the tray, remove the sheet, and fan the stack.\n');
  });

  it.each([
    [KbImport, ['README.md'], 'The freshdesk backend cannot import articles into its knowledge base.', 'Solutions'],
    [SlaPolicyImport, ['sla.yaml'], 'The freshdesk backend cannot import or list the toolkit’s SLA policies.', 'Admin > SLA Policies'],
    [SlaPolicyList, [], 'The freshdesk backend cannot import or list the toolkit’s SLA policies.', 'support sla status'],
  ])('says in one sentence what the freshdesk backend cannot do (exit 1): %o', async (cmd, argv, message, hint) => {
    await logIn();
    if (argv[0] === 'sla.yaml') writeFileSync(join(box.dir, 'sla.yaml'), 'policies:\n  - name: x\n    targets: {firstResponse: 1h}\n');
    const r = await runCommand(cmd, ['--profile', 'fd', ...argv.map((a) => (a === 'sla.yaml' ? join(box.dir, a) : a))], {env: box.env});
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`Error: ${message}`);
    expect(r.stderr).toContain(hint);
  });
});
