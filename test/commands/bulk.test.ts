import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import TicketBulkCreate from '../../src/commands/ticket/bulk/create.js';
import TicketBulkUpdate from '../../src/commands/ticket/bulk/update.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketExport from '../../src/commands/ticket/export.js';
import TicketList, {type TicketListResult} from '../../src/commands/ticket/list.js';
import TicketView from '../../src/commands/ticket/view.js';
import type {BulkResult} from '../../src/cli/bulk.js';
import type {Ticket, TicketWithComments} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand<T>(cmd, argv, {...options, env: {...box.env, ...options.env}});

const file = (name: string, text: string) => {
  const path = join(box.dir, name);
  writeFileSync(path, text);
  return path;
};

async function tickets(): Promise<Ticket[]> {
  return parseJson<TicketListResult>((await run(TicketList, ['--limit', '1000', '--json'])).stdout).tickets.reverse();
}

const view = async (id: string) => parseJson<TicketWithComments>((await run(TicketView, [id, '--json'])).stdout);

async function create(title: string, extra: string[] = []): Promise<Ticket> {
  const r = await run(TicketCreate, ['--title', title, '--body', `Body of ${title}`, '--json', ...extra]);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJson<Ticket>(r.stdout);
}

const journals = () => (existsSync(join(box.env.SUPPORT_DATA_DIR, 'bulk')) ? readdirSync(join(box.env.SUPPORT_DATA_DIR, 'bulk')).filter((f) => f.endsWith('.sqlite')) : []);

describe('ticket bulk create', () => {
  it('creates a ticket per CSV row: BOM, CRLF, quoted commas, quotes and line breaks; --json prints exactly the summary and results', async () => {
    const input = file(
      'backlog.csv',
      '\uFEFFtitle,body,priority,type,tags,assignee,fields.region,status\r\n' +
        '"Printer, on fire","Smoke since 9:00\r\nsecond line",urgent,incident,hw office,alice,eu,open\r\n' +
        'VPN drops,"He said ""reboot""",,,,,,\r\n',
    );
    const r = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = parseJson<BulkResult>(r.stdout);
    expect(result).toEqual({
      total: 2,
      succeeded: 2,
      failed: 0,
      skipped: 0,
      results: [
        {line: 2, id: '1', ok: true, error: null},
        {line: 4, id: '2', ok: true, error: null},
      ],
    });
    const [first, second] = await tickets();
    expect(first).toMatchObject({
      title: 'Printer, on fire',
      body: 'Smoke since 9:00\r\nsecond line',
      priority: 'urgent',
      type: 'incident',
      tags: ['hw', 'office'],
      assignee: 'alice',
      fields: {region: 'eu'},
      status: 'open',
    });
    expect(second).toMatchObject({title: 'VPN drops', body: 'He said "reboot"', priority: 'normal', tags: [], status: 'new'});
  });

  it('reads JSONL from standard input, and prints one line per row when piped', async () => {
    const rows = [{title: 'One', body: 'b1', tags: ['a', 'b']}, {title: 'Two', body: 'b2', fields: {tier: 2}}].map((r) => JSON.stringify(r)).join('\n');
    const r = await run(TicketBulkCreate, ['--input', '-'], {stdin: `${rows}\n`});
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('1\t1\tok\t\n2\t2\tok\t\n');
    expect(r.stderr).toContain('Created 2 of 2 rows');
    expect((await tickets()).map((t) => [t.title, t.tags, t.fields])).toEqual([
      ['One', ['a', 'b'], {}],
      ['Two', [], {tier: 2}],
    ]);
  });

  it('reports invalid rows with their line numbers and sends nothing: malformed CSV, unknown field, invalid priority', async () => {
    const input = file('bad.csv', 'title,body,priority\nfine,ok,low\nbroken,"unclosed"x,low\ngood,ok,highest\nalso fine,ok,\n');
    const r = await run(TicketBulkCreate, ['--input', input]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('2 of 4 rows are invalid; nothing was sent.');
    expect(r.stderr).toContain('line 3: malformed CSV: text after the closing quote');
    expect(r.stderr).toContain('line 4: "highest" is not a valid priority.');
    expect(r.stderr).toContain('--skip-invalid');
    expect(await tickets()).toHaveLength(0);
    expect(journals()).toHaveLength(0);

    const unknown = file('unknown.jsonl', '{"title":"a","body":"b"}\n{"title":"a","body":"b","colour":"red"}\n');
    const u = await run(TicketBulkCreate, ['--input', unknown]);
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toContain('line 2: unknown field "colour".');
    const cells = file('cells.csv', 'title,body\na,b,c\n');
    expect((await run(TicketBulkCreate, ['--input', cells])).stderr).toContain('line 2: malformed CSV: 3 cells, but the header has 2 columns.');
    const json = file('json.jsonl', '{"title":"a","body":"b"}\n{"title": oops}\n');
    expect((await run(TicketBulkCreate, ['--input', json])).stderr).toContain('line 2: not valid JSON');
    expect(await tickets()).toHaveLength(0);
  });

  it('with --skip-invalid applies the rest, exits 1, and writes the failed rows to --failures in the input format', async () => {
    const input = file('bad.csv', 'title,body,priority\r\nfine,ok,low\r\ngood,"multi\r\nline",highest\r\nalso fine,ok,\r\n');
    const failures = join(box.dir, 'failed.csv');
    const r = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--skip-invalid', '--failures', failures, '--json']);
    expect(r.exitCode).toBe(1);
    expect(parseJson<BulkResult>(r.stdout)).toMatchObject({total: 3, succeeded: 2, failed: 1, skipped: 0});
    expect(parseJson<BulkResult>(r.stdout).results[1]).toEqual({line: 3, id: null, ok: false, error: expect.stringContaining('"highest" is not a valid priority')});
    expect(readFileSync(failures, 'utf8')).toBe('title,body,priority\r\ngood,"multi\r\nline",highest\r\n');
    expect((await tickets()).map((t) => t.title)).toEqual(['fine', 'also fine']);
  });

  it('writes no --failures file when nothing failed, and removes the one an earlier run left there', async () => {
    const input = file('fine.csv', 'title,body\r\nfirst,ok\r\nsecond,ok\r\n');
    const failures = join(box.dir, 'failed.csv');
    const r = await run(TicketBulkCreate, ['--input', input, '--failures', failures]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(failures)).toBe(false);
    // An earlier run's failures: rows that this run has now applied. Fed back, they would be made twice.
    const bad = file('bad.csv', 'title,body,priority\r\nfine,ok,low\r\nlater,ok,highest\r\n');
    expect((await run(TicketBulkCreate, ['--input', bad, '--skip-invalid', '--failures', failures])).exitCode).toBe(1);
    expect(readFileSync(failures, 'utf8')).toBe('title,body,priority\r\nlater,ok,highest\r\n');
    writeFileSync(bad, 'title,body,priority\r\nfine,ok,low\r\nlater,ok,high\r\n');
    expect((await run(TicketBulkCreate, ['--input', bad, '--failures', failures])).exitCode).toBe(0);
    expect(existsSync(failures)).toBe(false);
  });

  it('refuses --failures that names the input file itself (exit 2), before anything is sent', async () => {
    const input = file('same.csv', 'title,body\r\nfirst,ok\r\n');
    const r = await run(TicketBulkCreate, ['--input', input, '--failures', join(box.dir, '.', 'same.csv')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--failures names the input file itself.');
    expect(readFileSync(input, 'utf8')).toBe('title,body\r\nfirst,ok\r\n');
    expect(await tickets()).toHaveLength(0);
  });

  it('refuses an empty file, a header with no rows, and a row with an id', async () => {
    for (const [name, text] of [['empty.csv', ''], ['header.csv', 'title,body\r\n'], ['blank.jsonl', '\n\n']]) {
      const r = await run(TicketBulkCreate, ['--input', file(name!, text!)]);
      expect(r.exitCode, name).toBe(2);
      expect(r.stderr).toContain('has no rows');
    }
    const withId = await run(TicketBulkCreate, ['--input', file('id.jsonl', '{"id":"4","title":"a","body":"b"}\n')]);
    expect(withId.stderr).toContain('"id" is not allowed');
    expect((await run(TicketBulkCreate, ['--input', join(box.dir, 'missing.csv')])).exitCode).toBe(2);
  });

  it('--dry-run shows what each row would do and creates nothing, not even a journal', async () => {
    const input = file('rows.jsonl', '{"title":"A","body":"b","priority":"high"}\n{"title":"B","body":"b","priority":"nope"}\n');
    const r = await run(TicketBulkCreate, ['--input', input, '--dry-run']);
    expect(r.stdout).toContain('line 1\t-\tcreate "A"; priority: high');
    expect(r.stdout).toContain('line 2\t-\tinvalid: "nope" is not a valid priority.');
    expect(r.stderr).toContain('Nothing was changed.');
    expect(await tickets()).toHaveLength(0);
    expect(journals()).toHaveLength(0);
  });

  it('run again, skips the rows done and makes no ticket twice; --fresh starts over', async () => {
    const input = file('rows.csv', 'title,body\na,1\nb,2\nc,3\n');
    expect((await run(TicketBulkCreate, ['--input', input])).exitCode).toBe(0);
    const again = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(parseJson<BulkResult>(again.stdout)).toMatchObject({total: 3, succeeded: 0, skipped: 3, failed: 0});
    expect(parseJson<BulkResult>(again.stdout).results.map((r) => r.id)).toEqual(['1', '2', '3']);
    expect(await tickets()).toHaveLength(3);
    expect(journals()).toHaveLength(1);
    const fresh = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--fresh', '--json']);
    expect(parseJson<BulkResult>(fresh.stdout)).toMatchObject({succeeded: 3, skipped: 0});
    expect(await tickets()).toHaveLength(6);
  });

  it('keeps the journal where --journal says, and refuses one that belongs to another input', async () => {
    const journal = join(box.dir, 'my.journal');
    const a = file('a.csv', 'title,body\na,1\n');
    expect((await run(TicketBulkCreate, ['--input', a, '--journal', journal])).exitCode).toBe(0);
    expect(existsSync(journal)).toBe(true);
    expect(journals()).toHaveLength(0);
    const other = await run(TicketBulkCreate, ['--input', file('b.csv', 'title,body\nb,2\n'), '--journal', journal]);
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain('belongs to another input');
  });
});

describe('ticket bulk update', () => {
  it('applies each row; an id that does not exist fails that row and the rest go on; a rerun retries only the failed row', async () => {
    await create('one');
    await create('two');
    const input = file('changes.jsonl', [
      {id: '1', status: 'pending', addTags: ['migrated'], comment: 'Moved.'},
      {id: '3', status: 'solved'},
      {id: 2, priority: 'high', assignee: 'bob', fields: {region: 'eu'}},
    ].map((r) => JSON.stringify(r)).join('\n'));
    const failures = join(box.dir, 'failed.jsonl');
    const r = await run<BulkResult>(TicketBulkUpdate, ['--input', input, '--failures', failures, '--json']);
    expect(r.exitCode).toBe(1);
    expect(parseJson<BulkResult>(r.stdout)).toEqual({
      total: 3,
      succeeded: 2,
      failed: 1,
      skipped: 0,
      results: [
        {line: 1, id: '1', ok: true, error: null},
        {line: 2, id: '3', ok: false, error: 'Ticket 3 does not exist.'},
        {line: 3, id: '2', ok: true, error: null},
      ],
    });
    expect(readFileSync(failures, 'utf8')).toBe('{"id":"3","status":"solved"}\n');
    expect(await view('1')).toMatchObject({status: 'pending', tags: ['migrated'], comments: [{body: 'Moved.'}]});
    expect(await view('2')).toMatchObject({priority: 'high', assignee: 'bob', fields: {region: 'eu'}});

    await create('three');
    const rerun = await run<BulkResult>(TicketBulkUpdate, ['--input', input, '--json']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(parseJson<BulkResult>(rerun.stdout)).toMatchObject({succeeded: 1, skipped: 2, failed: 0});
    expect((await view('1')).comments).toHaveLength(1);
    expect((await view('3')).status).toBe('solved');
  });

  it('refuses a duplicate id with both line numbers', async () => {
    await create('one');
    const r = await run(TicketBulkUpdate, ['--input', file('dup.csv', 'id,status\n1,open\n2,open\n1,solved\n')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('line 4: duplicate id 1 (first on line 2)');
    expect((await view('1')).status).toBe('new');
  });

  it('--dry-run shows each ticket’s change, from its current state, and changes nothing', async () => {
    await create('one', ['--tag', 'legacy']);
    const before = await view('1');
    const r = await run(TicketBulkUpdate, ['--input', file('c.csv', 'id,status,tags,comment\n1,solved,legacy migrated,Done\n9,open,,\n'), '--dry-run']);
    expect(r.stdout).toContain('line 2\t#1\tstatus: new → solved; tags: +migrated; comment: "Done"');
    expect(r.stdout).toContain('line 3\t#9\twould fail: Ticket 9 does not exist.');
    expect(await view('1')).toEqual(before);
    expect(journals()).toHaveLength(0);
  });

  it('round-trips export -> edit -> update, in CSV and JSONL, changing only what was edited', async () => {
    await create('alpha', ['--tag', 'x', '--field', 'region=eu']);
    await create('beta', ['--tag', 'y']);
    await create('gamma, with comma');
    const csv = await run(TicketExport, ['--format', 'csv']);
    expect(csv.exitCode, csv.stderr).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe('id,title,body,status,priority,type,tags,assignee,requester,createdAt,updatedAt,fields');
    expect(lines).toHaveLength(5);
    // Edit beta: solved, tags y -> z, assigned.
    const edited = csv.stdout.replace(/^(2,beta,Body of beta,)new,normal,question,y,,/m, '$1solved,normal,question,z,carol,');
    expect(edited).not.toBe(csv.stdout);
    const before = await tickets();
    const r = await run<BulkResult>(TicketBulkUpdate, ['--input', file('export.csv', edited), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson<BulkResult>(r.stdout)).toMatchObject({total: 3, succeeded: 3, failed: 0});
    const after = await tickets();
    expect(after[1]).toMatchObject({status: 'solved', tags: ['z'], assignee: 'carol'});
    // Rows nobody edited send no update at all.
    expect(after[0]).toEqual(before[0]);
    expect(after[2]).toEqual(before[2]);

    const jsonl = await run(TicketExport, ['--format', 'jsonl', '--tag', 'x']);
    const row = JSON.parse(jsonl.stdout.trim());
    expect(row).toMatchObject({id: '1', title: 'alpha', tags: ['x'], fields: {region: 'eu'}});
    row.priority = 'urgent';
    row.fields = {region: null, tier: 'gold'};
    const j = await run(TicketBulkUpdate, ['--input', file('export.jsonl', `${JSON.stringify(row)}\n`)]);
    expect(j.exitCode, j.stderr).toBe(0);
    expect(await view('1')).toMatchObject({priority: 'urgent', tags: ['x'], fields: {tier: 'gold'}});
  });

  it('selects by the list filters: --status/--tag with --set, --add-tag and --comment, and a rerun finds nothing left', async () => {
    await create('legacy open', ['--tag', 'legacy']);
    await create('legacy solved', ['--tag', 'legacy']);
    await create('other', ['--tag', 'new-stuff']);
    await run(TicketBulkUpdate, ['--input', file('s.csv', 'id,status\n2,solved\n')]);
    const r = await run<BulkResult>(TicketBulkUpdate, ['--status', 'new', '--tag', 'legacy', '--set', 'status=solved', '--add-tag', 'migrated', '--comment', 'Closed in the migration.', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson<BulkResult>(r.stdout)).toMatchObject({total: 1, succeeded: 1, results: [{id: '1', ok: true}]});
    expect(await view('1')).toMatchObject({status: 'solved', tags: ['legacy', 'migrated'], comments: [{body: 'Closed in the migration.'}]});
    expect(await view('2')).toMatchObject({tags: ['legacy'], comments: []});
    expect(await view('3')).toMatchObject({status: 'new'});
    const again = await run<BulkResult>(TicketBulkUpdate, ['--status', 'new', '--tag', 'legacy', '--set', 'status=solved', '--add-tag', 'migrated', '--comment', 'Closed in the migration.', '--json']);
    expect(again.exitCode).toBe(0);
    expect(parseJson<BulkResult>(again.stdout)).toMatchObject({total: 0});
  });

  it('says what is missing or cannot be combined', async () => {
    expect((await run(TicketBulkUpdate, [])).stderr).toContain('Missing --input, or the filters');
    expect((await run(TicketBulkUpdate, ['--status', 'open'])).stderr).toContain('Missing the change');
    expect((await run(TicketBulkUpdate, ['--input', 'x.csv', '--status', 'open'])).stderr).toContain('cannot be combined');
    expect((await run(TicketBulkUpdate, ['--status', 'open', '--set', 'requester=x'])).stderr).toContain('not something bulk update can set');
  });
});

describe('ticket export', () => {
  it('streams every ticket through the cursor, with comments when asked', async () => {
    for (let i = 1; i <= 5; i++) await create(`t${i}`);
    await run(TicketBulkUpdate, ['--status', 'new', '--set', 'priority=low', '--comment', 'bulk note']);
    const r = await run(TicketExport, ['--with-comments']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((t) => t.title)).toEqual(['t5', 't4', 't3', 't2', 't1']);
    expect(rows.every((t) => t.priority === 'low' && t.comments.length === 1 && t.comments[0].body === 'bulk note')).toBe(true);
    const none = await run(TicketExport, ['--status', 'closed']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('No tickets match.');
  });
});
