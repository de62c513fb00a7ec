import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import TicketClose from '../../src/commands/ticket/close.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketList, {type TicketListResult} from '../../src/commands/ticket/list.js';
import TicketReopen from '../../src/commands/ticket/reopen.js';
import TicketUpdate from '../../src/commands/ticket/update.js';
import TicketView from '../../src/commands/ticket/view.js';
import type {Ticket, TicketWithComments} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand<T>(cmd, argv, {...options, env: {...box.env, ...options.env}});

async function create(title: string, extra: string[] = []): Promise<Ticket> {
  const r = await run<Ticket>(TicketCreate, ['--title', title, '--body', `Body of ${title}`, '--json', ...extra]);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<Ticket>(r.stdout);
}

describe('ticket create', () => {
  it('creates a ticket on the local backend with no set-up, and prints its id when piped', async () => {
    const r = await run(TicketCreate, ['--title', 'Printer on fire', '--body', 'Smoke everywhere', '--priority', 'urgent', '--type', 'incident', '--tag', 'Hardware', '--tag', 'office', '--field', 'floor=3']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1');
    const view = parseJson<TicketWithComments>((await run(TicketView, ['1', '--json'])).stdout);
    expect(view).toMatchObject({
      id: '1',
      title: 'Printer on fire',
      body: 'Smoke everywhere',
      status: 'new',
      priority: 'urgent',
      type: 'incident',
      tags: ['hardware', 'office'],
      requester: 'tester',
      assignee: null,
      fields: {floor: '3'},
      comments: [],
    });
    expect(Date.parse(view.createdAt)).not.toBeNaN();
  });

  it('prints the ticket object with camelCase fields under --json', async () => {
    const ticket = await create('JSON please');
    expect(Object.keys(ticket).sort()).toEqual(
      ['assignee', 'attachments', 'body', 'createdAt', 'fields', 'id', 'priority', 'requester', 'status', 'tags', 'title', 'type', 'updatedAt', 'version'],
    );
  });

  it('reads the body from a file and from standard input', async () => {
    const file = join(box.dir, 'body.md');
    writeFileSync(file, 'From a file\n');
    const fromFile = await run<Ticket>(TicketCreate, ['--title', 'a', '--body-file', file, '--json']);
    expect(parseJson<Ticket>(fromFile.stdout).body).toBe('From a file\n');
    const fromStdin = await run<Ticket>(TicketCreate, ['--title', 'b', '--body-file', '-', '--json'], {stdin: 'Piped in ✓'});
    expect(parseJson<Ticket>(fromStdin.stdout).body).toBe('Piped in ✓');
  });

  it('attaches files and records their sha256', async () => {
    const file = join(box.dir, 'app.log');
    writeFileSync(file, 'line 1\nline 2\n');
    const ticket = await create('With a log', ['--attach', file]);
    expect(ticket.attachments).toHaveLength(1);
    expect(ticket.attachments[0]).toMatchObject({
      name: 'app.log',
      size: 14,
      contentType: 'text/plain',
      sha256: createHash('sha256').update('line 1\nline 2\n').digest('hex'),
    });
    const stored = join(box.env.SUPPORT_DATA_DIR, 'local', 'attachments', ticket.id, ticket.attachments[0]!.sha256);
    expect(readFileSync(stored, 'utf8')).toBe('line 1\nline 2\n');
  });

  it('names every missing flag when it cannot prompt, and creates nothing', async () => {
    const r = await run(TicketCreate, ['--priority', 'high']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Missing --title, --body.');
    expect(r.stderr).toMatch(/Hint: /);
    const list = await run<TicketListResult>(TicketList, ['--json']);
    expect(parseJson<TicketListResult>(list.stdout).tickets).toHaveLength(0);
  });

  it('does not prompt under --no-input even with a terminal', async () => {
    const r = await run(TicketCreate, ['--title', 'x', '--no-input'], {tty: true});
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Missing --body.');
  });

  it.each([
    [['--title', '   ', '--body', 'x'], 'The title is empty.'],
    [['--title', 'x', '--body', 'x', '--priority', 'highest'], 'Expected --priority=highest to be one of: low, normal, high, urgent'],
    [['--title', 'x', '--body', 'x', '--field', 'novalue'], '"novalue" is not a key=value pair.'],
    [['--title', 'x', '--body', 'x', '--tag', 'two words'], 'contains white space'],
  ])('rejects bad input %j with exit 2 and creates nothing', async (argv, message) => {
    const r = await run(TicketCreate, argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(parseJson<TicketListResult>((await run(TicketList, ['--json'])).stdout).tickets).toHaveLength(0);
  });

  it('refuses an attachment that does not exist or is a directory before creating the ticket', async () => {
    const missing = await run(TicketCreate, ['--title', 'x', '--body', 'y', '--attach', join(box.dir, 'nope.log')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    mkdirSync(join(box.dir, 'logs'));
    const dir = await run(TicketCreate, ['--title', 'x', '--body', 'y', '--attach', join(box.dir, 'logs')]);
    expect(dir.exitCode).toBe(2);
    expect(dir.stderr).toContain('is a directory');
    expect(dir.stderr).toContain('tar czf');
    expect(parseJson<TicketListResult>((await run(TicketList, ['--json'])).stdout).tickets).toHaveLength(0);
  });

  it('refuses a body of several megabytes with a hint to attach it instead', async () => {
    const r = await run(TicketCreate, ['--title', 'Huge', '--body-file', '-'], {stdin: 'x'.repeat(3 * 1024 * 1024)});
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('the limit is 1.0 MB');
    expect(r.stderr).toContain('--attach');
  });

  it('refuses standard input that is not UTF-8', async () => {
    const r = await run(TicketCreate, ['--title', 'Latin-1', '--body-file', '-'], {stdin: Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65])});
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Standard input is not valid UTF-8 text.');
    expect(r.stderr).toContain('iconv');
  });

  it('prints errors as JSON on stdout under --json', async () => {
    const r = await run(TicketCreate, ['--title', '', '--body', 'x', '--json']);
    expect(r.exitCode).toBe(2);
    expect(parseJson(r.stdout)).toEqual({
      error: {code: 'usage', message: 'The title is empty.', hint: expect.any(String), exitCode: 2},
    });
  });
});

describe('ticket list', () => {
  it('lists newest first with filters, and pages with a cursor', async () => {
    await create('first', ['--priority', 'low', '--tag', 'billing']);
    await create('second', ['--priority', 'urgent']);
    await create('third invoice', ['--tag', 'billing']);
    const all = parseJson<TicketListResult>((await run(TicketList, ['--json'])).stdout);
    expect(all.tickets.map((t) => t.title)).toEqual(['third invoice', 'second', 'first']);
    expect(all.nextCursor).toBeNull();

    const billing = parseJson<TicketListResult>((await run(TicketList, ['--tag', 'billing', '--json'])).stdout);
    expect(billing.tickets.map((t) => t.title)).toEqual(['third invoice', 'first']);
    const urgent = parseJson<TicketListResult>((await run(TicketList, ['--priority', 'urgent', '--json'])).stdout);
    expect(urgent.tickets.map((t) => t.title)).toEqual(['second']);
    const search = parseJson<TicketListResult>((await run(TicketList, ['--search', 'INVOICE', '--json'])).stdout);
    expect(search.tickets.map((t) => t.title)).toEqual(['third invoice']);
    const percent = parseJson<TicketListResult>((await run(TicketList, ['--search', '%', '--json'])).stdout);
    expect(percent.tickets).toEqual([]);

    const page1 = parseJson<TicketListResult>((await run(TicketList, ['--limit', '2', '--json'])).stdout);
    expect(page1.tickets.map((t) => t.title)).toEqual(['third invoice', 'second']);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = parseJson<TicketListResult>((await run(TicketList, ['--limit', '2', '--cursor', page1.nextCursor!, '--json'])).stdout);
    expect(page2.tickets.map((t) => t.title)).toEqual(['first']);
    expect(page2.nextCursor).toBeNull();
  });

  it('prints tab-separated rows with ISO times when piped, and a table on a terminal', async () => {
    await create('Piped', ['--tag', 'a', '--tag', 'b']);
    const piped = await run(TicketList, []);
    const [row] = piped.stdout.trim().split('\n');
    const cells = row!.split('\t');
    expect(cells.slice(0, 5)).toEqual(['1', 'new', 'normal', 'Piped', 'a,b']);
    expect(cells[5]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(piped.stdout).not.toContain('\u001B[');

    const table = await run(TicketList, ['--no-color'], {tty: true});
    expect(table.stdout).toMatch(/ID\s+STATUS\s+PRIORITY\s+TITLE\s+TAGS\s+UPDATED/);
    expect(table.stdout).toMatch(/1\s+new\s+normal\s+Piped\s+a, b\s+just now/);
    expect(table.stdout).not.toContain('\u001B[');
  });

  it('says so on stderr when nothing matches, and rejects a cursor it did not give out', async () => {
    const empty = await run(TicketList, ['--status', 'closed']);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toContain('No tickets match.');
    const bad = await run(TicketList, ['--cursor', 'garbage']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not a cursor');
  });
});

describe('ticket view, comment, update, close, reopen', () => {
  it('comments publicly and internally, and view shows them in order', async () => {
    await create('Needs help');
    const c1 = await run<TicketWithComments>(TicketComment, ['1', '--body', 'Any news?', '--json']);
    expect(c1.exitCode, c1.stderr).toBe(0);
    await run(TicketComment, ['1', '--body', 'Checked the logs', '--internal'], {env: {SUPPORT_USER: 'agent-alice'}});
    const view = parseJson<TicketWithComments>((await run(TicketView, ['1', '--json'])).stdout);
    expect(view.comments.map((c) => [c.author, c.body, c.public])).toEqual([
      ['tester', 'Any news?', true],
      ['agent-alice', 'Checked the logs', false],
    ]);
    const text = (await run(TicketView, ['1'])).stdout;
    expect(text).toContain('title:\tNeeds help');
    expect(text).toContain('Checked the logs');
  });

  it('updates status, priority, assignee, tags and fields', async () => {
    await create('Change me', ['--tag', 'old', '--field', 'keep=1', '--field', 'drop=2']);
    const r = await run<Ticket>(TicketUpdate, ['1', '--status', 'pending', '--priority', 'high', '--assignee', 'bob', '--add-tag', 'new', '--remove-tag', 'old', '--field', 'drop=', '--field', 'added=x', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson<Ticket>(r.stdout)).toMatchObject({status: 'pending', priority: 'high', assignee: 'bob', tags: ['new'], fields: {keep: '1', added: 'x'}});
    const nothing = await run(TicketUpdate, ['1']);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('Nothing to update.');
  });

  it('closes (solved) and reopens, but a closed ticket stays closed', async () => {
    await create('Cycle');
    expect(parseJson<Ticket>((await run(TicketClose, ['1', '--json'])).stdout).status).toBe('solved');
    expect(parseJson<Ticket>((await run(TicketReopen, ['1', '--json'])).stdout).status).toBe('open');
    await run(TicketUpdate, ['1', '--status', 'closed']);
    const reopen = await run(TicketReopen, ['1']);
    expect(reopen.exitCode).toBe(5);
    expect(reopen.stderr).toContain('Ticket 1 is closed');
  });

  it.each([TicketView, TicketClose, TicketReopen])('exits 3 for a ticket that does not exist (%s)', async (cmd) => {
    const r = await run(cmd, ['404']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('Ticket 404 does not exist.');
    expect(r.stderr).toContain('support ticket list');
  });

  it('exits 3 for ids that cannot name a ticket, instead of crashing', async () => {
    for (const id of ['abc', '-1', '0', '1e3', '99999999999999999999']) {
      expect((await run(TicketView, [id])).exitCode).toBe(3);
    }
    expect((await run(TicketComment, ['77', '--body', 'x'])).exitCode).toBe(3);
    expect((await run(TicketUpdate, ['77', '--status', 'open'])).exitCode).toBe(3);
  });
});
