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
import {startZendeskFake, type ZendeskFake} from '../vendors/zendesk/fake.js';

let fake: ZendeskFake;
let box: Sandbox;
beforeAll(async () => {
  fake = await startZendeskFake();
});
afterAll(async () => {
  // Every request the CLI sent, and every answer, fit Zendesk's description.
  expect(fake.server.violations).toEqual([]);
  await fake.close();
});
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) =>
  runCommand<T>(cmd, argv, {stdin: options.stdin, env: {...box.env, ...options.env}});

/** `support profile add work --backend zendesk ...` and `support auth login --with-token`, as the README says. */
async function logIn(token = 'alice-api-token') {
  expect((await run(ProfileAdd, ['work', '--backend', 'zendesk', '--url', fake.url, '--email', 'alice@acme.test'])).exitCode).toBe(0);
  const login = await run(AuthLogin, ['--profile', 'work', '--with-token'], {stdin: `${token}\n`});
  expect(login.stderr).toContain('Logged in to work as alice@acme.test');
  expect(login.exitCode).toBe(0);
}

describe('profiles for zendesk', () => {
  it('stores the URL, the email and checked options', async () => {
    const added = await run(ProfileAdd, ['work', '--backend', 'zendesk', '--url', `${fake.url}/`, '--email', 'agent@acme.com', '--option', 'group=360001', '--option', 'locale=en-gb']);
    expect(added.exitCode).toBe(0);
    expect(added.stderr).toContain('support auth login --profile work');
    const listed = parseJson<ProfileListResult>((await run(ProfileList, ['--json'])).stdout);
    expect(listed.profiles.find((p) => p.name === 'work')).toEqual({name: 'work', backend: 'zendesk', url: fake.url, email: 'agent@acme.com', repo: null, options: {group: '360001', locale: 'en-gb'}, as: 'customer', current: false});
  });

  it.each([
    [['w', '--backend', 'zendesk', '--email', 'a@b.co'], 'The zendesk backend needs a URL.', 'https://SUBDOMAIN.zendesk.com'],
    [['w', '--backend', 'zendesk', '--url', 'http://acme.zendesk.com'], 'The zendesk backend needs an https:// URL, not http://acme.zendesk.com.', 'https://'],
    [['w', '--backend', 'local', '--email', 'a@b.co'], 'The local backend takes no --email.', 'Leave --email out'],
    [['w', '--backend', 'zendesk', '--url', 'https://acme.zendesk.com', '--email', 'agent'], '"agent" is not an email address.', '--email'],
    [['w', '--backend', 'zendesk', '--url', 'https://acme.zendesk.com', '--option', 'grup=1'], '"grup" is not an option of the zendesk backend.', 'group (e.g. group=360001234567)'],
    [['w', '--backend', 'zendesk', '--url', 'https://acme.zendesk.com', '--option', 'group=sales'], 'The option group must be a whole number, not "sales".', 'Group id'],
    [['w', '--backend', 'rest', '--url', 'https://x.example', '--option', 'group=1'], '"group" is not an option of the rest backend.', 'takes no options'],
  ])('refuses %j with a sentence and a hint (exit 2)', async (argv, message, hint) => {
    const r = await run(ProfileAdd, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
  });
});

describe('auth with zendesk', () => {
  it('checks the token before storing it, and auth status shows the user, role and account', async () => {
    await logIn();
    const status = await run<AuthStatusResult>(AuthStatusCommand, ['--json']);
    expect(status.exitCode).toBe(0);
    const work = parseJson<AuthStatusResult>(status.stdout).profiles.find((p) => p.profile === 'work');
    expect(work).toMatchObject({backend: 'zendesk', state: 'ok', user: 'alice@acme.test', role: 'agent', backendRole: 'admin', account: new URL(fake.url).host, tokenSource: 'file'});
    const table = await run(AuthStatusCommand, ['--profile', 'work']);
    expect(table.stdout).toBe(`work\tzendesk\t${fake.url}\tok\talice@acme.test\tadmin\t${new URL(fake.url).host}\t\tfile (unencrypted)\n`);
    // The token is never printed, nor sent anywhere but the profile's host.
    expect(`${status.stdout}${status.stderr}${table.stdout}${table.stderr}`).not.toContain('alice-api-token');
  });

  it('refuses to store a token Zendesk does not accept', async () => {
    expect((await run(ProfileAdd, ['work', '--backend', 'zendesk', '--url', fake.url, '--email', 'alice@acme.test'])).exitCode).toBe(0);
    const login = await run(AuthLogin, ['--profile', 'work', '--with-token'], {stdin: 'not-a-token\n'});
    expect(login.exitCode).toBe(4);
    expect(login.stderr).toContain('Zendesk refused the credentials of the profile "work"');
  });

  it('says when a stored token has been revoked, with exit code 4, after the table', async () => {
    await logIn('bob-api-token'.replace('bob', 'alice'));
    const status = await run(AuthStatusCommand, ['--profile', 'work'], {env: {SUPPORT_TOKEN: 'revoked'}});
    expect(status.exitCode).toBe(4);
    expect(status.stdout).toContain('token refused');
    expect(status.stderr).toContain('work: Zendesk refused the credentials of the profile "work"');
    expect(status.stderr).toContain('support auth login --profile work');
  });
});

describe('the README with --profile work', () => {
  it('creates, lists, views, comments on, updates and closes tickets', async () => {
    await logIn();
    const log = join(box.dir, 'export.log');
    writeFileSync(log, 'ERROR 500 on /export\n');
    const created = await run<{id: string}>(TicketCreate, ['--profile', 'work', '--title', 'Export broken', '--body', 'CSV export returns 500.', '--priority', 'high', '--type', 'incident', '--tag', 'export', '--field', 'region=eu', '--attach', log, '--json']);
    expect(created.exitCode).toBe(0);
    const ticket = parseJson<{id: string; fields: Record<string, unknown>; attachments: {name: string}[]}>(created.stdout);
    expect(ticket.fields).toMatchObject({region: 'eu'});
    expect(ticket.attachments.map((a) => a.name)).toEqual(['export.log']);
    const id = ticket.id;

    const listed = await run(TicketList, ['--profile', 'work', '--priority', 'high', '--tag', 'export']);
    expect(listed.stdout.split('\n').map((l) => l.split('\t')[0])).toContain(id);
    expect((await run(TicketComment, ['--profile', 'work', id, '--body', 'Restarting fixed it.'])).exitCode).toBe(0);
    expect((await run(TicketComment, ['--profile', 'work', id, '--body', 'Customer on the old plan.', '--internal'])).exitCode).toBe(0);
    expect((await run(TicketUpdate, ['--profile', 'work', id, '--status', 'pending', '--assignee', 'bob@acme.test', '--add-tag', 'vip', '--remove-tag', 'export', '--field', 'region='])).exitCode).toBe(0);
    const view = parseJson<{status: string; assignee: string; tags: string[]; fields: Record<string, unknown>; comments: {body: string; public: boolean}[]}>((await run(TicketView, ['--profile', 'work', id, '--json'])).stdout);
    expect(view).toMatchObject({status: 'pending', assignee: 'bob@acme.test', tags: ['vip']});
    expect(view.fields).not.toHaveProperty('region');
    expect(view.comments.map((c) => [c.body.split(' (')[0], c.public])).toEqual([
      ['Attached export.log', false],
      ['Restarting fixed it.', true],
      ['Customer on the old plan.', false],
    ]);
    const plain = await run(TicketView, ['--profile', 'work', id]);
    expect(plain.stdout).toMatch(/attachment:\texport\.log\t21\t[0-9a-f]{64}/);
    expect((await run(TicketClose, ['--profile', 'work', id])).exitCode).toBe(0);
    expect(fake.tickets.get(Number(id))!.status).toBe('solved');
  });

  it('shows Zendesk’s 422 as one sentence naming the field, with exit code 5', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'work', '--title', 'Seats', '--body', 'x', '--json'])).stdout).id;
    const r = await run(TicketUpdate, ['--profile', 'work', id, '--field', 'seats=many']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(`Error: Zendesk refused to update ticket ${id}: the field seats is invalid (Seats: is not a number).`);
  });

  it('exports tickets, and a bulk update of the unedited export sends no change', async () => {
    await logIn();
    for (const title of ['Printer on fire', 'VPN drops']) await run(TicketCreate, ['--profile', 'work', '--title', title, '--body', 'x', '--tag', 'hardware', '--field', 'seats=3']);
    const exported = await run(TicketExport, ['--profile', 'work', '--tag', 'hardware', '--format', 'jsonl']);
    expect(exported.exitCode).toBe(0);
    const file = join(box.dir, 'hardware.jsonl');
    writeFileSync(file, exported.stdout);
    const updatesBefore = fake.server.received('UpdateTicket').length;
    const bulk = await run(TicketBulkUpdate, ['--profile', 'work', '--input', file, '--json']);
    expect(bulk.exitCode).toBe(0);
    expect(parseJson<{succeeded: number}>(bulk.stdout).succeeded).toBe(2);
    expect(fake.server.received('UpdateTicket').length).toBe(updatesBefore);
    // Edit one row: only that change goes to Zendesk.
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    rows[0]!.priority = 'urgent';
    rows[0]!.fields.seats = 4;
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    expect((await run(TicketBulkUpdate, ['--profile', 'work', '--input', file, '--fresh', '--json'])).exitCode).toBe(0);
    const sent = fake.server.received('UpdateTicket').slice(updatesBefore).map((r) => (r.body as any).ticket);
    expect(sent).toEqual([{priority: 'urgent', custom_fields: [{id: 360002, value: 4}]}]);
  });

  it('attaches a diagnostic bundle and reports SLA clocks', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'work', '--title', 'Urgent', '--body', 'x', '--priority', 'urgent', '--json'])).stdout).id;
    const bundle = join(box.dir, 'support-bundle.tar.gz');
    writeFileSync(bundle, Buffer.alloc(4096, 7));
    const attached = await run<{attachment: {sha256: string}}>(DiagAttach, ['--profile', 'work', bundle, '--ticket', id, '--json']);
    expect(attached.exitCode).toBe(0);
    expect(parseJson<{attachment: {name: string; size: number}}>(attached.stdout).attachment).toMatchObject({name: 'support-bundle.tar.gz', size: 4096});
    const sla = await run(SlaStatus, ['--profile', 'work', id, '--json']);
    expect(sla.exitCode).toBe(0);
    expect(parseJson<{tickets: {policy: string; metrics: {metric: string; status: string}[]}[]}>(sla.stdout).tickets[0]!.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['firstResponse', 'active'],
      ['resolution', 'active'],
    ]);
  });

  it('searches and reads the Help Center', async () => {
    await logIn();
    const a = fake.addArticle({title: 'Set up a proxy for the support CLI', body: '<p>Behind a corporate <em>proxy</em>, set HTTPS_PROXY.</p>', locale: 'en-us', label_names: ['proxy', 'network']});
    const search = await run(KbSearch, ['--profile', 'work', 'proxy', 'setup', '--json']);
    expect(search.exitCode).toBe(0);
    expect(parseJson<{hits: {id: string; title: string}[]}>(search.stdout).hits.map((h) => h.id)).toContain(String(a.id));
    const view = await run(KbView, ['--profile', 'work', String(a.id), '--raw']);
    expect(view.stdout).toBe('Behind a corporate _proxy_, set HTTPS\\_PROXY.\n');
  });

  it('copies the Help Center for offline search, and a later sync brings an edit and drops an archived article', async () => {
    await logIn();
    const tray = fake.addArticle({title: 'Paper tray jams', body: '<p>Open the <strong>tray</strong> and remove the sheet.</p>', locale: 'en-us', label_names: ['printer']});
    const toner = fake.addArticle({title: 'Replacing the toner', body: '<p>Shake the new cartridge first.</p>', locale: 'en-us', label_names: ['printer']});
    const first = await run(KbSync, ['--profile', 'work']);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toMatch(/Copied \d+ articles for offline search\./);
    const offline = await run(KbSearch, ['--profile', 'work', 'tray', 'jams', '--offline', '--json']);
    expect(offline.exitCode).toBe(0);
    expect(parseJson<{hits: {id: string; title: string}[]}>(offline.stdout).hits.map((h) => [h.id, h.title])).toEqual([[String(tray.id), 'Paper tray jams']]);

    fake.editArticle(tray.id, {body: '<p>Open the tray, remove the sheet, and fan the stack.</p>'});
    fake.archiveArticle(toner.id);
    const second = await run(KbSync, ['--profile', 'work', '--json']);
    expect(second.exitCode).toBe(0);
    expect(parseJson(second.stdout)).toMatchObject({full: false, created: 0, updated: 1, deleted: 1});
    const gone = await run(KbSearch, ['--profile', 'work', 'toner', 'cartridge', '--offline', '--json']);
    expect(parseJson<{hits: unknown[]}>(gone.stdout).hits).toEqual([]);
    const view = await run(KbView, ['--profile', 'work', String(tray.id), '--offline', '--raw']);
    expect(view.stdout).toBe('Open the tray, remove the sheet, and fan the stack.\n');
  });

  it.each([
    [KbImport, ['README.md'], 'The zendesk backend cannot import articles into its knowledge base.', 'Zendesk Guide'],
    [SlaPolicyImport, ['sla.yaml'], 'The zendesk backend cannot import or list the toolkit’s SLA policies.', 'Admin Center'],
    [SlaPolicyList, [], 'The zendesk backend cannot import or list the toolkit’s SLA policies.', 'support sla status'],
  ])('says in one sentence what the zendesk backend cannot do (exit 1): %o', async (cmd, argv, message, hint) => {
    await logIn();
    if (argv[0] === 'sla.yaml') writeFileSync(join(box.dir, 'sla.yaml'), 'policies:\n  - name: x\n    targets: {firstResponse: 1h}\n');
    const r = await runCommand(cmd, ['--profile', 'work', ...argv.map((a) => (a === 'sla.yaml' ? join(box.dir, a) : a))], {env: box.env});
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`Error: ${message}`);
    expect(r.stderr).toContain(`Hint: `);
    expect(r.stderr).toContain(hint);
  });
});
