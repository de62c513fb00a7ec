import {createHash} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {createRestBackend} from '../../src/backends/rest/index.js';
import TicketBulkCreate from '../../src/commands/ticket/bulk/create.js';
import TicketBulkUpdate from '../../src/commands/ticket/bulk/update.js';
import TicketExport from '../../src/commands/ticket/export.js';
import type {BulkResult} from '../../src/cli/bulk.js';
import type {Ticket} from '../../src/domain/ticket.js';
import {openInput} from '../../src/services/bulk-input.js';
import {runBulk} from '../../src/services/bulk.js';
import {api} from '../helpers/api.js';
import {startFaultProxy, startTestServer, type TestServer} from '../helpers/servers.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
let server: TestServer;
let token: string;
/** Every request the server answered: "METHOD path status". */
let served: string[];

beforeEach(async () => {
  box = sandbox();
  served = [];
  server = await startTestServer(box.dir, {log: (line) => served.push(line)});
  token = await server.token('agent', 'alice');
});
afterEach(async () => {
  await server.close();
  box.cleanup();
});

/** A bulk or export command as `support` runs it against a rest profile: SUPPORT_BACKEND, SUPPORT_URL, SUPPORT_TOKEN. */
const run = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[]) =>
  runCommand<T>(cmd, argv, {env: {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: token}});

const file = (name: string, text: string) => {
  const path = join(box.dir, name);
  writeFileSync(path, text);
  return path;
};

/** What the server holds, read through its API as any client would, every page of the cursor. */
async function serverTickets(tag: string): Promise<Ticket[]> {
  const all: Ticket[] = [];
  let cursor: string | undefined;
  do {
    const res = await api(server.url, 'GET', `/v1/tickets?tag=${tag}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {token, checkSpec: false});
    expect(res.status).toBe(200);
    all.push(...(res.json.tickets as Ticket[]));
    cursor = res.json.nextCursor ?? undefined;
  } while (cursor);
  return all.sort((a, b) => Number(a.id) - Number(b.id));
}

const comments = async (id: string) =>
  (await api(server.url, 'GET', `/v1/tickets/${id}/comments`, {token, checkSpec: false})).json.comments as {body: string}[];

/** What a journal from before journals recorded their target holds: operation, input, generation; rows by line. */
function legacyJournal(dataDir: string, operation: string, inputBytes: string, done: {line: number; ticketId: string}[]): string {
  const input = createHash('sha256').update(inputBytes).digest('hex');
  const file = join(dataDir, 'bulk', `${createHash('sha256').update(`${operation}\0${input}`).digest('hex')}.sqlite`);
  mkdirSync(dirname(file), {recursive: true});
  const db = new DatabaseSync(file);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE rows (key TEXT PRIMARY KEY, line INTEGER NOT NULL, state TEXT NOT NULL, ticket_id TEXT, error TEXT,
      attempts INTEGER NOT NULL DEFAULT 0, started_at INTEGER, finished_at INTEGER);`);
  for (const [key, value] of [['operation', operation], ['input', input], ['created_at', new Date().toISOString()], ['generation', '0']] as const) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }
  for (const r of done) db.prepare("INSERT INTO rows (key, line, state, ticket_id, attempts, started_at, finished_at) VALUES (?, ?, 'done', ?, 1, 0, 0)").run(`line:${r.line}`, r.line, r.ticketId);
  db.close();
  return file;
}

describe('the bulk journal is kept per target', () => {
  const local = <T = unknown>(cmd: Parameters<typeof runCommand>[0], argv: string[]) => runCommand<T>(cmd, argv, {env: box.env});

  it('the same CSV applied to the local backend, then to a server, runs on the server; a rerun on each names its target', async () => {
    const input = file('both.csv', 'title,body,tags\r\nFirst,one,both\r\nSecond,two,both\r\n');
    const onLocal = await local<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(parseJson<BulkResult>(onLocal.stdout)).toMatchObject({total: 2, succeeded: 2, skipped: 0});

    const onRest = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(onRest.exitCode, onRest.stderr).toBe(0);
    expect(parseJson<BulkResult>(onRest.stdout)).toMatchObject({total: 2, succeeded: 2, skipped: 0});
    expect((await serverTickets('both')).map((t) => t.title)).toEqual(['First', 'Second']);

    const restAgain = await run(TicketBulkCreate, ['--input', input]);
    expect(restAgain.exitCode, restAgain.stderr).toBe(0);
    expect(restAgain.stderr).toContain(`Created 0 of 2 rows; 0 failed, 2 skipped (done by an earlier run against rest ${server.url} as `);
    const localAgain = await local(TicketBulkCreate, ['--input', input]);
    expect(localAgain.stderr).toContain(`2 skipped (done by an earlier run against local ${join(box.env.SUPPORT_DATA_DIR, 'local', 'support.db')} as tester)`);
    expect(await serverTickets('both')).toHaveLength(2);
  });

  it('a journal from before targets is neither reused nor ignored: exit 2 names both ways on; --journal carries it on, --fresh starts anew', async () => {
    const text = 'title,body,tags\r\nOld one,x,legacy\r\nNew one,y,legacy\r\n';
    const input = file('legacy.csv', text);
    const journal = legacyJournal(box.env.SUPPORT_DATA_DIR, 'create', text, [{line: 2, ticketId: '999'}]);

    const refused = await run(TicketBulkCreate, ['--input', input]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`An earlier run of this input is journaled in ${journal}, from before journals recorded their backend`);
    expect(refused.stderr).toContain(`--journal "${journal}"`);
    expect(refused.stderr).toContain('--fresh');
    expect(await serverTickets('legacy')).toEqual([]);

    // The user says it was this server's run: line 2 is done, line 3 is sent.
    const carried = await run(TicketBulkCreate, ['--input', input, '--journal', journal]);
    expect(carried.exitCode, carried.stderr).toBe(0);
    expect(carried.stderr).toContain(`Created 1 of 2 rows; 0 failed, 1 skipped (done by an earlier run against rest ${server.url} as `);
    expect((await serverTickets('legacy')).map((t) => t.title)).toEqual(['New one']);
    // Under the old journal's own keys, so a row it had sent would be replayed, not made again.
    const legacyId = journal.replace(/^.*\/([0-9a-f]{64})\.sqlite$/, '$1').slice(0, 32);
    const db = new DatabaseSync(join(box.dir, 'server', 'support.db'), {readOnly: true});
    try {
      const keys = (db.prepare('SELECT key FROM idempotency_keys').all() as {key: string}[]).map((r) => r.key.replace(/^[^\n]*\n/, ''));
      expect(keys).toContain(`bulk-${legacyId}-3`);
    } finally {
      db.close();
    }
    // From then on the journal is this server's: the local backend may not take it.
    const otherTarget = await runCommand(TicketBulkCreate, ['--input', input, '--journal', journal], {env: box.env});
    expect(otherTarget.exitCode).toBe(2);
    expect(otherTarget.stderr).toMatch(/is of a run against rest .* not local /);

    // Against the local store, --fresh applies every row there; the old journal stays as it was.
    const fresh = await local<BulkResult>(TicketBulkCreate, ['--input', input, '--fresh', '--json']);
    expect(parseJson<BulkResult>(fresh.stdout)).toMatchObject({total: 2, succeeded: 2});
  });
});

describe('bulk work on the rest backend, against a real support serve', () => {
  it('round-trips create -> export -> edit -> bulk update, and a rerun of each applies nothing twice', async () => {
    const input = file(
      'backlog.csv',
      'title,body,priority,tags,fields.legacy_id,status\r\n' +
        '"Printer, on fire","Smoke since 9:00\r\nsecond line",urgent,rt hw,OLD-1,open\r\n' +
        'VPN drops,"He said ""reboot""",high,rt net,OLD-2,\r\n' +
        'Mail slow,Since Monday,,rt,OLD-3,\r\n',
    );
    const created = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(created.exitCode, created.stderr).toBe(0);
    const result = parseJson<BulkResult>(created.stdout);
    expect(result).toMatchObject({total: 3, succeeded: 3, failed: 0, skipped: 0});
    const ids = result.results.map((r) => r.id!);
    let onServer = await serverTickets('rt');
    expect(onServer.map((t) => t.id)).toEqual(ids);
    expect(onServer[0]).toMatchObject({
      title: 'Printer, on fire',
      body: 'Smoke since 9:00\r\nsecond line',
      priority: 'urgent',
      status: 'open',
      tags: ['hw', 'rt'],
      fields: {legacy_id: 'OLD-1'},
      requester: 'alice',
    });
    // Every create carried the journal's key, one per row.
    const keys = await import('node:sqlite').then(({DatabaseSync}) => {
      const db = new DatabaseSync(join(box.dir, 'server', 'support.db'), {readOnly: true});
      try {
        return (db.prepare('SELECT key FROM idempotency_keys ORDER BY ticket_id').all() as {key: string}[]).map((r) => r.key);
      } finally {
        db.close();
      }
    });
    expect(keys).toHaveLength(3);
    expect(keys.map((k) => k.replace(/^[0-9a-f]+\n/, ''))).toEqual([
      expect.stringMatching(/^bulk-[0-9a-f]{32}-2$/),
      expect.stringMatching(/^bulk-[0-9a-f]{32}-4$/),
      expect.stringMatching(/^bulk-[0-9a-f]{32}-5$/),
    ]);

    // The same file again: every row is done, nothing is sent.
    const before = served.length;
    const again = await run<BulkResult>(TicketBulkCreate, ['--input', input, '--json']);
    expect(parseJson<BulkResult>(again.stdout)).toMatchObject({total: 3, succeeded: 0, skipped: 3});
    expect(served.slice(before).filter((l) => /^POST /.test(l))).toEqual([]);

    // Export, edit one row in the CSV, feed it back.
    const csv = await run(TicketExport, ['--format', 'csv', '--tag', 'rt']);
    expect(csv.exitCode, csv.stderr).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe('id,title,body,status,priority,type,tags,assignee,requester,createdAt,updatedAt,fields');
    for (const id of ids) expect(csv.stdout).toMatch(new RegExp(`^${id},`, 'm'));
    const vpn = ids[1]!;
    const edited = csv.stdout.replace(new RegExp(`^(${vpn},VPN drops,[^\\r]*?,)new,high,question,net rt,,`, 'm'), '$1solved,low,question,net rt vpn,carol,');
    expect(edited).not.toBe(csv.stdout);
    const patchesBefore = served.filter((l) => /^PATCH /.test(l)).length;
    const updated = await run<BulkResult>(TicketBulkUpdate, ['--input', file('export.csv', edited), '--json']);
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(parseJson<BulkResult>(updated.stdout)).toMatchObject({total: 3, succeeded: 3, failed: 0});
    // Rows nobody edited send no change: one PATCH, for the edited row.
    expect(served.filter((l) => /^PATCH /.test(l))).toHaveLength(patchesBefore + 1);
    onServer = await serverTickets('rt');
    expect(onServer[1]).toMatchObject({status: 'solved', priority: 'low', tags: ['net', 'rt', 'vpn'], assignee: 'carol'});
    expect(onServer[0]).toMatchObject({status: 'open', priority: 'urgent', assignee: null});

    // JSONL with tag changes and a comment; run twice, the comment is there once.
    const changes = file(
      'changes.jsonl',
      ids.map((id) => JSON.stringify({id, addTags: ['migrated'], removeTags: ['hw'], comment: `Migrated ${id}.`})).join('\n'),
    );
    for (let i = 0; i < 2; i++) {
      const r = await run<BulkResult>(TicketBulkUpdate, ['--input', changes, '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(parseJson<BulkResult>(r.stdout)).toMatchObject(i === 0 ? {succeeded: 3, skipped: 0} : {succeeded: 0, skipped: 3});
    }
    onServer = await serverTickets('migrated');
    expect(onServer.map((t) => t.tags)).toEqual([['migrated', 'rt'], ['migrated', 'net', 'rt', 'vpn'], ['migrated', 'rt']]);
    for (const id of ids) expect((await comments(id)).map((c) => c.body)).toEqual([`Migrated ${id}.`]);

    // The selection form, over the list cursor of the server.
    const selected = await run<BulkResult>(TicketBulkUpdate, ['--tag', 'migrated', '--status', 'new', '--set', 'status=pending', '--json']);
    expect(selected.exitCode, selected.stderr).toBe(0);
    expect(parseJson<BulkResult>(selected.stdout)).toMatchObject({total: 1, succeeded: 1});
    expect((await serverTickets('rt')).map((t) => t.status)).toEqual(['open', 'solved', 'pending']);
  });

  it('an update of a ticket that does not exist fails that row; the others go on', async () => {
    const r1 = await run<BulkResult>(TicketBulkCreate, ['--input', file('a.jsonl', '{"title":"one","body":"b","tags":["nf"]}\n')]);
    expect(r1.exitCode, r1.stderr).toBe(0);
    const [one] = await serverTickets('nf');
    const r = await run<BulkResult>(TicketBulkUpdate, ['--input', file('u.csv', `id,status\n${one!.id},solved\n424242,solved\n`), '--json']);
    expect(r.exitCode).toBe(1);
    expect(parseJson<BulkResult>(r.stdout)).toEqual({
      total: 2,
      succeeded: 1,
      failed: 1,
      skipped: 0,
      results: [
        {line: 2, id: one!.id, ok: true, error: null},
        {line: 3, id: '424242', ok: false, error: 'Ticket 424242 does not exist.'},
      ],
    });
  });

  it('posts a comment once when every response to it is lost: the engine looks on the server before posting again', async () => {
    // POST .../comments reaches the server (which commits) but the answer never comes back;
    // the HTTP client's retries (the run's two attempts) carry the same key, then give up with UnavailableError.
    const proxy = await startFaultProxy(server.url, (req) => (req.method === 'POST' && /\/comments$/.test(req.url!) ? {kind: 'commit-then-drop'} : {kind: 'forward'}));
    try {
      const made = await api(server.url, 'POST', '/v1/tickets', {token, json: {title: 't', body: 'b'}, checkSpec: false});
      const id = made.json.id as string;
      const backend = await createRestBackend({
        profile: 'test',
        url: proxy.url,
        token: async () => token,
        dataDir: box.env.SUPPORT_DATA_DIR,
        cacheDir: box.env.SUPPORT_CACHE_DIR,
        identity: {name: 'alice', role: 'agent'},
        http: {retry: {limit: 1, baseDelayMs: 1, maxDelayMs: 1}},
      });
      const input = file('c.jsonl', `${JSON.stringify({id, comment: 'Only once, please.'})}\n`);
      const source = await openInput({input, spoolDir: join(box.dir, 'spool')});
      try {
        const summary = await runBulk(backend, {operation: 'update', source, dataDir: box.env.SUPPORT_DATA_DIR, maxAttempts: 2});
        expect(summary).toMatchObject({succeeded: 1, failed: 0});
        expect(summary.unavailable).toBeGreaterThan(0);
      } finally {
        await source.close();
        await backend.close();
      }
      const posts = proxy.keys.filter((_, i) => proxy.seen[i]!.startsWith('POST'));
      expect(posts).toHaveLength(2);
      expect(new Set(posts).size).toBe(1);
      expect((await comments(id)).map((c) => c.body)).toEqual(['Only once, please.']);
    } finally {
      await proxy.close();
    }
  });
});
