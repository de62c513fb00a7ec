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
import {startJsmFake, type JsmFake} from '../vendors/jsm/fake.js';

let fake: JsmFake;
let box: Sandbox;
beforeAll(async () => {
  fake = await startJsmFake();
});
afterAll(async () => {
  // Every request the CLI sent, and every answer, fit the rules written from Atlassian's descriptions.
  expect(fake.server.violations).toEqual([]);
  await fake.close();
});
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: {stdin?: string; env?: Record<string, string>} = {}) =>
  runCommand<T>(cmd, argv, {stdin: options.stdin, env: {...box.env, ...options.env}});

/** `support profile add it --backend jsm ...` and `support auth login --with-token`, as the README says. */
async function logIn() {
  const added = await run(ProfileAdd, ['it', '--backend', 'jsm', '--url', fake.url, '--email', 'alice@acme.test', '--option', 'service-desk=ITSM', '--option', 'type-map=question:Get IT help,incident:Report an incident']);
  expect(added.exitCode).toBe(0);
  const login = await run(AuthLogin, ['--profile', 'it', '--with-token'], {stdin: 'alice-api-token\n'});
  expect(login.stderr).toContain('Logged in to it as alice@acme.test');
  expect(login.exitCode).toBe(0);
}

describe('profiles and auth for jsm', () => {
  it.each([
    [['it', '--backend', 'jsm', '--email', 'a@b.co'], 'The jsm backend needs a URL.', 'https://SITE.atlassian.net'],
    [['it', '--backend', 'jsm', '--url', 'http://acme.atlassian.net'], 'The jsm backend needs an https:// URL, not http://acme.atlassian.net.', 'https://'],
    [['it', '--backend', 'jsm', '--url', 'https://acme.atlassian.net', '--option', 'desk=ITSM'], '"desk" is not an option of the jsm backend.', 'service-desk (e.g. service-desk=ITSM)'],
  ])('refuses %j with a sentence and a hint (exit 2)', async (argv, message, hint) => {
    const r = await run(ProfileAdd, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(hint);
  });

  it('checks the token before storing it; auth status shows the user and the site', async () => {
    await logIn();
    const status = parseJson<AuthStatusResult>((await run(AuthStatusCommand, ['--json'])).stdout).profiles.find((p) => p.profile === 'it');
    expect(status).toMatchObject({backend: 'jsm', state: 'ok', user: 'alice@acme.test', role: 'agent', account: new URL(fake.url).host});
    const refused = await run(AuthLogin, ['--profile', 'it', '--with-token'], {stdin: 'revoked\n'});
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('Jira Service Management refused the credentials of the profile "it"');
  });
});

describe('the README with --profile it', () => {
  it('creates, lists, views, comments on, updates and closes requests', async () => {
    await logIn();
    const log = join(box.dir, 'vpn.log');
    writeFileSync(log, 'ERROR tunnel reset\n');
    const created = await run(TicketCreate, ['--profile', 'it', '--title', 'VPN drops every hour', '--body', 'Since Monday.', '--type', 'incident', '--priority', 'high', '--tag', 'vpn', '--field', 'region=eu', '--attach', log, '--json']);
    expect(created.exitCode).toBe(0);
    const ticket = parseJson<{id: string; type: string; fields: Record<string, unknown>; attachments: {name: string}[]}>(created.stdout);
    expect(ticket).toMatchObject({id: expect.stringMatching(/^ITSM-\d+$/), type: 'incident', fields: {region: 'eu', request_type: 'Report an incident'}});
    expect(ticket.attachments.map((a) => a.name)).toEqual(['vpn.log']);
    const id = ticket.id;
    const listed = await run(TicketList, ['--profile', 'it', '--priority', 'high', '--tag', 'vpn']);
    expect(listed.stdout.split('\n').map((l) => l.split('\t')[0])).toContain(id);
    expect((await run(TicketComment, ['--profile', 'it', id, '--body', 'Restarting fixed it.'])).exitCode).toBe(0);
    expect((await run(TicketComment, ['--profile', 'it', id, '--body', 'Customer on the old client.', '--internal'])).exitCode).toBe(0);
    expect((await run(TicketUpdate, ['--profile', 'it', id, '--status', 'pending', '--assignee', 'bob@acme.test', '--add-tag', 'vip', '--remove-tag', 'vpn', '--field', 'region='])).exitCode).toBe(0);
    const view = parseJson<{status: string; assignee: string; tags: string[]; fields: Record<string, unknown>; comments: {body: string; public: boolean}[]}>((await run(TicketView, ['--profile', 'it', id, '--json'])).stdout);
    expect(view).toMatchObject({status: 'pending', assignee: 'bob@acme.test', tags: ['vip'], fields: {status_name: 'Waiting for customer'}});
    expect(view.fields).not.toHaveProperty('region');
    expect(view.comments.map((c) => [c.body.split(' (')[0], c.public])).toEqual([
      ['Attached vpn.log', false],
      ['Restarting fixed it.', true],
      ['Customer on the old client.', false],
    ]);
    expect((await run(TicketView, ['--profile', 'it', id])).stdout).toMatch(/attachment:\tvpn\.log\t19\t[0-9a-f]{64}/);
    expect((await run(TicketClose, ['--profile', 'it', id])).exitCode).toBe(0);
    expect(fake.issue(id)!.status).toBe('Resolved');
    // No transition leads from Resolved to on hold: one sentence, the transitions in the hint, exit 5.
    const stuck = await run(TicketUpdate, ['--profile', 'it', id, '--status', 'on_hold']);
    expect(stuck.exitCode).toBe(5);
    expect(stuck.stderr.split('\n')[0]).toBe(`Error: Jira Service Management has no transition that takes ${id} from "Resolved" to on hold.`);
    expect(stuck.stderr).toContain('Hint: The workflow offers from "Resolved": Back to in progress → In progress (open); Reopen → Waiting for support (new); Close → Closed (closed).');
  });

  it('shows Jira’s 400 as one sentence naming the field, with exit code 5', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'it', '--title', 'Seats', '--body', 'x', '--json'])).stdout).id;
    const r = await run(TicketUpdate, ['--profile', 'it', id, '--field', 'impact=Enormous']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe(`Error: Jira Service Management refused to update ${id}: the field impact (customfield_10053) is invalid (Option value 'Enormous' is not valid).`);
  });

  it('exports requests, and a bulk update of the unedited export sends no change', async () => {
    await logIn();
    for (const title of ['Printer on fire', 'Laptop slow']) await run(TicketCreate, ['--profile', 'it', '--title', title, '--body', 'x', '--tag', 'hardware', '--field', 'seats=3']);
    const exported = await run(TicketExport, ['--profile', 'it', '--tag', 'hardware', '--format', 'jsonl']);
    expect(exported.exitCode).toBe(0);
    const file = join(box.dir, 'hardware.jsonl');
    writeFileSync(file, exported.stdout);
    const before = fake.server.received('editIssue').length;
    const bulk = await run(TicketBulkUpdate, ['--profile', 'it', '--input', file, '--json']);
    expect(bulk.exitCode).toBe(0);
    expect(parseJson<{succeeded: number}>(bulk.stdout).succeeded).toBe(2);
    expect(fake.server.received('editIssue').length).toBe(before);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    rows[0]!.priority = 'urgent';
    rows[0]!.fields.seats = 4;
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const sent = fake.server.requests.length;
    expect((await run(TicketBulkUpdate, ['--profile', 'it', '--input', file, '--fresh', '--json'])).exitCode).toBe(0);
    expect(fake.server.received('editIssue').slice(before).map((r) => r.body)).toEqual([{fields: {priority: {name: 'Highest'}, customfield_10051: 4}, update: {}}]);
    // Against the rate limit: each of the two rows is read once for its tags (the request, not its
    // comments), and the changed one is written without being read back.
    const rowRequests = fake.server.requests.slice(sent).filter((r) => /^(getIssue|getRequestComments|editIssue)$/.test(r.operationId ?? '')).map((r) => r.operationId);
    expect(rowRequests.sort()).toEqual(['editIssue', 'getIssue', 'getIssue']);
  });

  it('attaches a diagnostic bundle and reports SLA clocks', async () => {
    await logIn();
    const id = parseJson<{id: string}>((await run(TicketCreate, ['--profile', 'it', '--title', 'Urgent', '--body', 'x', '--priority', 'urgent', '--json'])).stdout).id;
    const bundle = join(box.dir, 'support-bundle.tar.gz');
    writeFileSync(bundle, Buffer.alloc(4096, 7));
    const attached = await run(DiagAttach, ['--profile', 'it', bundle, '--ticket', id, '--json']);
    expect(attached.exitCode).toBe(0);
    expect(parseJson<{attachment: {name: string; size: number}}>(attached.stdout).attachment).toMatchObject({name: 'support-bundle.tar.gz', size: 4096});
    const sla = await run(SlaStatus, ['--profile', 'it', id, '--json']);
    expect(sla.exitCode).toBe(0);
    expect(parseJson<{tickets: {policy: string; metrics: {metric: string; status: string}[]}[]}>(sla.stdout).tickets[0]!.metrics.map((m) => [m.metric, m.status])).toEqual([
      ['firstResponse', 'active'],
      ['resolution', 'active'],
    ]);
  });

  it('searches the knowledge base, shows an article as text, and keeps its HTML in --json', async () => {
    await logIn();
    const a = fake.addArticle({title: 'Set up the VPN client', html: '<p>Install the <strong>client</strong>, then sign in.</p><script>alert(1)</script>'});
    const search = await run(KbSearch, ['--profile', 'it', 'vpn', 'client', '--json']);
    expect(search.exitCode).toBe(0);
    expect(parseJson<{hits: {id: string}[]}>(search.stdout).hits.map((h) => h.id)).toContain(a.pageId);
    const piped = await run(KbView, ['--profile', 'it', a.pageId]);
    expect(piped.stdout).toContain('title:\tSet up the VPN client');
    expect(piped.stdout).toContain('Install the **client**, then sign in.');
    expect(piped.stdout).not.toContain('<strong>');
    expect(piped.stdout).not.toContain('alert');
    const json = parseJson<{body: string; format: string}>((await run(KbView, ['--profile', 'it', a.pageId, '--json'])).stdout);
    expect(json).toMatchObject({format: 'html', body: a.html});
    // Its articles carry no language: --locale, a preference, changes no order; --tag cannot filter.
    const german = await run(KbSearch, ['--profile', 'it', 'vpn', 'client', '--locale', 'de', '--json']);
    expect(parseJson<{hits: {id: string}[]}>(german.stdout).hits.map((h) => h.id)).toEqual(parseJson<{hits: {id: string}[]}>(search.stdout).hits.map((h) => h.id));
    const tagged = await run(KbSearch, ['--profile', 'it', 'vpn', '--tag', 'network']);
    expect(tagged.exitCode).toBe(2);
    expect(tagged.stderr).toContain('Jira Service Management’s knowledge base search cannot filter by tag.');
  });

  it.each([
    [KbImport, ['README.md'], 'The jsm backend cannot import articles into its knowledge base.', 'Confluence'],
    [KbSync, [], 'The jsm backend cannot copy its knowledge base for offline use.', 'support kb search'],
    [SlaPolicyImport, ['sla.yaml'], 'The jsm backend cannot import or list the toolkit’s SLA policies.', 'Project settings > SLAs'],
    [SlaPolicyList, [], 'The jsm backend cannot import or list the toolkit’s SLA policies.', 'support sla status'],
  ])('says in one sentence what the jsm backend cannot do (exit 1): %o', async (cmd, argv, message, hint) => {
    await logIn();
    if (argv[0] === 'sla.yaml') writeFileSync(join(box.dir, 'sla.yaml'), 'policies:\n  - name: x\n    targets: {firstResponse: 1h}\n');
    const r = await runCommand(cmd, ['--profile', 'it', ...argv.map((a) => (a === 'sla.yaml' ? join(box.dir, a) : a))], {env: box.env});
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`Error: ${message}`);
    expect(r.stderr).toContain(hint);
  });
});
