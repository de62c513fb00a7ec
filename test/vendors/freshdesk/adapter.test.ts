import {createHash} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Readable} from 'node:stream';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import type {AttachmentSource} from '../../../src/backends/backend.js';
import {statusIn} from '../../../src/backends/freshdesk/map.js';
import {evaluateFreshdesk} from '../../../src/backends/freshdesk/sla.js';
import {AuthError, NotFoundError, RateLimitError, RejectedError, UnavailableError, UsageError} from '../../../src/domain/errors.js';
import {fileAttachmentSource} from '../../../src/services/attachments.js';
import {syncKb} from '../../../src/services/kb.js';
import {slaStatus} from '../../../src/services/sla.js';
import {commentOnTicket, createTicket, listTickets, updateTicket, viewTicket} from '../../../src/services/tickets.js';
import {startFreshdeskTarget, type FreshdeskTarget} from './setup.js';

let t: FreshdeskTarget;
beforeAll(async () => {
  t = await startFreshdeskTarget();
});
afterEach(() => t.fake.server.clearFaults());
afterAll(async () => {
  // Every request the adapter sent in these tests, and every answer, fit the rules.
  expect(t.fake.server.violations).toEqual([]);
  await t.close();
});

const lastOf = (operationId: string) => t.fake.server.received(operationId).at(-1)!;

describe('authentication', () => {
  it('sends the API key as Basic key:X and says who it belongs to', async () => {
    expect(await t.backend.whoami()).toEqual({name: 'alice@acme.test', role: 'agent', backendRole: 'support_agent', account: new URL(t.fake.url).host, displayName: 'Alice Agent', id: '1001'});
    expect(Buffer.from(String(lastOf('ShowCurrentAgent').headers.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe('alice-api-key:X');
  });

  it('says a revoked key is refused, with exit code 4', async () => {
    const revoked = await t.open({token: 'revoked'});
    const error = await revoked.tickets.list({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('Freshdesk refused the API key of the profile "fd": You have to be logged in to perform this action.');
    expect((error as AuthError).exitCode).toBe(4);
  });
});

describe('codes both ways', () => {
  it('sends status and priority as Freshdesk’s numbers and reads them back', async () => {
    const ticket = await createTicket(t.backend, {title: 'Codes', body: 'x', priority: 'urgent', type: 'incident'});
    expect(lastOf('CreateTicket').body).toMatchObject({subject: 'Codes', description: '<div>x</div>', requester_id: 1001, status: 2, priority: 4, type: 'Incident'});
    expect(ticket).toMatchObject({status: 'new', priority: 'urgent', type: 'incident'});
    for (const [status, code] of [['pending', 3], ['solved', 4], ['open', 2], ['closed', 5]] as const) {
      const updated = await updateTicket(t.backend, ticket.id, {status});
      expect((lastOf('UpdateTicket').body as any).status).toBe(code);
      // Open without an agent reads as new, as Freshdesk's "new and my open" counts it.
      expect(updated.status).toBe(status === 'open' ? 'new' : status);
    }
    for (const [priority, code] of [['low', 1], ['normal', 2], ['high', 3]] as const) {
      await updateTicket(t.backend, (await createTicket(t.backend, {title: 'P', body: 'x'})).id, {priority});
      expect((lastOf('UpdateTicket').body as any).priority).toBe(code);
    }
    expect(statusIn(2, 1002)).toBe('open');
    expect(statusIn(9, null)).toBe('on_hold');
  });

  it('shows a custom status by its name, sets it by name, and keeps vendor-only data through a round trip', async () => {
    const ticket = await createTicket(t.backend, {title: 'Waiting', body: 'x', fields: {group_id: '36000042', region: 'eu'}});
    expect(lastOf('CreateTicket').body).toMatchObject({group_id: 36000042, custom_fields: {cf_region: 'eu'}});
    const waiting = await updateTicket(t.backend, ticket.id, {fields: {status_name: 'waiting on third party'}});
    expect((lastOf('UpdateTicket').body as any).status).toBe(7);
    expect(waiting.status).toBe('on_hold');
    expect(waiting.fields).toMatchObject({status_name: 'Waiting on Third Party', group_id: 36000042, region: 'eu', requester_id: 1001, source: 2, due_by: expect.any(String), fr_due_by: expect.any(String)});
    // Read back and written back unchanged: nothing lost, nothing refused.
    const again = await t.backend.tickets.get(ticket.id);
    const writable = Object.fromEntries(Object.entries(again.fields).filter(([k]) => !['nr_due_by', 'fr_escalated', 'is_escalated', 'nr_escalated', 'cc_emails', 'priority_name'].includes(k)));
    expect((await updateTicket(t.backend, ticket.id, {fields: writable})).fields).toEqual(again.fields);
    // on_hold has no code of its own: the custom statuses are named.
    const error = await updateTicket(t.backend, ticket.id, {status: 'on_hold'}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toContain('Waiting on Customer, Waiting on Third Party');
    await expect(updateTicket(t.backend, ticket.id, {fields: {status_name: 'Sleeping'}})).rejects.toThrow('"Sleeping" is not a status of this Freshdesk account.');
  });

  it('names the custom fields there are for an unknown one, and refuses Freshdesk’s read-only ones', async () => {
    const ticket = await createTicket(t.backend, {title: 'Fields', body: 'x'});
    await updateTicket(t.backend, ticket.id, {fields: {legacy: 'L1', 'VIP customer': 'yes', cf_seats: '12'}});
    expect((lastOf('UpdateTicket').body as any).custom_fields).toEqual({cf_legacy: 'L1', cf_vip_customer: true, cf_seats: 12});
    expect((await t.backend.tickets.get(ticket.id)).fields).toMatchObject({legacy: 'L1', vip_customer: true, seats: 12});
    const error = await updateTicket(t.backend, ticket.id, {fields: {regoin: 'eu'}}).catch((e: unknown) => e);
    expect((error as UsageError).message).toBe('"regoin" is not a ticket field of this Freshdesk account.');
    expect((error as UsageError).hint).toContain('region, seats, legacy, vip_customer');
    await expect(updateTicket(t.backend, ticket.id, {fields: {is_escalated: true}})).rejects.toThrow("The field is_escalated is Freshdesk's own and cannot be set.");
  });

  it('shows a 400 as one sentence naming the field, with exit code 5', async () => {
    const ticket = await createTicket(t.backend, {title: 'Bad seats', body: 'x'});
    const error = await updateTicket(t.backend, ticket.id, {fields: {seats: 'many'}}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).message).toBe(`Freshdesk refused to update ticket ${ticket.id}: the field seats is invalid (Value set is of type String.It should be a/an Integer).`);
    expect((error as RejectedError).exitCode).toBe(5);
  });

  it('resolves an assignee by email, id or exact agent name, and refuses one who is no agent', async () => {
    const ticket = await createTicket(t.backend, {title: 'Assign', body: 'x'});
    expect((await updateTicket(t.backend, ticket.id, {assignee: 'bob@acme.test'})).assignee).toBe('bob@acme.test');
    expect((lastOf('UpdateTicket').body as any).responder_id).toBe(1002);
    expect((await updateTicket(t.backend, ticket.id, {assignee: 'Alice Agent'})).assignee).toBe('alice@acme.test');
    expect((await updateTicket(t.backend, ticket.id, {assignee: null})).assignee).toBeNull();
    expect((lastOf('UpdateTicket').body as any).responder_id).toBeNull();
    await expect(updateTicket(t.backend, ticket.id, {assignee: 'carol@example.org'})).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('conversations and attachments', () => {
  it('sends a public comment as a reply and an internal one as a private note, never twice', async () => {
    const ticket = await createTicket(t.backend, {title: 'Talk', body: 'x'});
    await commentOnTicket(t.backend, ticket.id, {body: 'Internal <b>only</b>.\nTwo lines.', internal: true});
    expect(lastOf('AddNote').body).toEqual({body: '<div>Internal &lt;b&gt;only&lt;/b&gt;.<br>Two lines.</div>', private: true});
    await commentOnTicket(t.backend, ticket.id, {body: 'Public.'});
    expect(lastOf('ReplyTicket').body).toEqual({body: '<div>Public.</div>'});
    const view = await viewTicket(t.backend, ticket.id);
    expect(view.comments.map((c) => [c.body, c.public])).toEqual([
      ['Internal <b>only</b>.\nTwo lines.', false],
      ['Public.', true],
    ]);
    t.fake.server.inject({match: (r) => r.operationId === 'ReplyTicket', fault: {kind: 'commit-then-drop'}});
    await expect(commentOnTicket(t.backend, ticket.id, {body: 'Once.'})).rejects.toBeInstanceOf(UnavailableError);
    expect(t.fake.tickets.get(Number(ticket.id))!.conversations.filter((c) => c.body_text === 'Once.')).toHaveLength(1);
  });

  it('streams a file as multipart attachments[] with a known length, and names its sha256 in the note', async () => {
    const path = join(t.scratch, 'crash.log');
    const content = Buffer.from('line\n'.repeat(60_000));
    writeFileSync(path, content);
    const ticket = await createTicket(t.backend, {title: 'File', body: 'x', attachments: [path]});
    const note = lastOf('AddNote');
    expect(String(note.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    // A known length: no chunked encoding; the body is the parts, the file's bytes among them.
    expect(note.headers['transfer-encoding']).toBeUndefined();
    expect(Number(note.headers['content-length'])).toBeGreaterThan(content.length);
    const sha256 = createHash('sha256').update(content).digest('hex');
    expect(note.body).toMatchObject({private: 'true', 'attachments[]': [{filename: 'crash.log', contentType: 'text/plain', size: content.length}]});
    expect(String((note.body as any).body)).toContain(sha256);
    const stored = t.fake.tickets.get(Number(ticket.id))!.conversations.at(-1)!.attachments[0]!;
    expect(stored).toMatchObject({name: 'crash.log', size: content.length, sha256});
    expect(ticket.attachments[0]).toMatchObject({name: 'crash.log', size: content.length, sha256, contentType: 'text/plain'});
    expect((await viewTicket(t.backend, ticket.id)).attachments).toEqual(ticket.attachments);
  });

  it('re-opens the file for the attempt after a 429, and attaches it once', async () => {
    const ticket = await createTicket(t.backend, {title: 'Retry', body: 'x'});
    const content = Buffer.alloc(200_000, 'z');
    let opens = 0;
    const file: AttachmentSource = {
      name: 'dump.bin',
      size: content.length,
      contentType: 'application/octet-stream',
      open: () => {
        opens++;
        return Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]);
      },
    };
    t.fake.server.inject({match: (r) => r.operationId === 'AddNote', fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '1'}, body: {code: 'rate_limit_exceeded', message: 'Slow down.'}}}});
    const attached = await t.backend.tickets.attach(ticket.id, file);
    expect(t.fake.server.received('AddNote').slice(-2).map((r) => r.status)).toEqual([429, 201]);
    // Once for the sha256, once per attempt.
    expect(opens).toBe(3);
    expect(attached).toMatchObject({size: content.length, sha256: createHash('sha256').update(content).digest('hex')});
    expect(t.fake.tickets.get(Number(ticket.id))!.conversations.flatMap((c) => c.attachments)).toHaveLength(1);
    await expect(t.backend.tickets.attach('999999', await fileAttachmentSource(join(t.scratch, 'crash.log')))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('lists', () => {
  it('never stops at 30 days: every list asks from the beginning, and pages by Link header', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      const old = fresh.fake.seedTickets(130, (i) => ({subject: `Old ${i}`}), 90);
      const recent = fresh.fake.seedTickets(120, (i) => ({subject: `Recent ${i}`}));
      const all = await listTickets(fresh.backend, {limit: 1000});
      expect(all.tickets.map((x) => Number(x.id))).toEqual([...old, ...recent].reverse());
      expect(all.nextCursor).toBeNull();
      const lists = fresh.fake.server.received('ListTickets');
      expect(lists.map((r) => [r.query.updated_since, r.query.page, r.query.per_page])).toEqual([
        ['1970-01-01T00:00:00Z', '1', '100'],
        ['1970-01-01T00:00:00Z', '2', '100'],
        ['1970-01-01T00:00:00Z', '3', '100'],
      ]);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(fresh.backend, {limit: 45, cursor});
        seen.push(...page.tickets.map((x) => x.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all.tickets.map((x) => x.id));
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('filters through the filter API, and walks on past its 300 results instead of stopping', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      const ids = fresh.fake.seedTickets(340, (i) => ({subject: `Bulk ${i}`, tags: i % 2 ? ['bulk', 'odd'] : ['bulk'], priority: i % 3 ? 1 : 4}), 40);
      fresh.fake.seedTickets(20, (i) => ({subject: `Other ${i}`}));
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(fresh.backend, {tags: ['bulk'], limit: 1000, cursor});
        seen.push(...page.tickets.map((x) => Number(x.id)));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const filters = fresh.fake.server.received('FilterTickets');
      expect(filters.map((r) => r.query.query)).toContain(`"tag:'bulk'"`);
      expect(Math.max(...filters.map((r) => Number(r.query.page)))).toBe(10);
      expect(fresh.fake.server.received('ListTickets').length).toBeGreaterThan(0);
      // Several values of one filter: OR inside, AND between; "new" is Open without an agent.
      const urgent = await listTickets(fresh.backend, {tags: ['bulk', 'odd'], priority: ['urgent', 'high'], status: ['new'], limit: 5});
      expect(urgent.tickets.every((x) => x.priority === 'urgent' && x.tags.includes('odd'))).toBe(true);
      expect(fresh.fake.server.received('FilterTickets').at(-1)!.query.query).toBe(`"status:2 AND agent_id:null AND (priority:3 OR priority:4) AND tag:'bulk' AND tag:'odd'"`);
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('matches free text on a walk of the list (Freshdesk has no full-text ticket search), by requester too', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      fresh.fake.seedTickets(5, (i) => ({subject: i === 3 ? 'Printer on fire' : `Quiet ${i}`}), 45);
      const hit = await listTickets(fresh.backend, {search: 'printer FIRE'});
      expect(hit.tickets.map((x) => x.title)).toEqual(['Printer on fire']);
      expect((await listTickets(fresh.backend, {requester: 'carol@example.org'})).tickets).toHaveLength(5);
      expect(lastOfIn(fresh, 'ListTickets').query.email).toBe('carol@example.org');
      expect((await listTickets(fresh.backend, {requester: 'Carol Customer'})).tickets).toHaveLength(5);
      await expect(listTickets(fresh.backend, {cursor: 'eyJrIjoibm9wZSJ9'})).rejects.toBeInstanceOf(UsageError);
    } finally {
      await fresh.close();
    }
  });
});

const lastOfIn = (target: FreshdeskTarget, operationId: string) => target.fake.server.received(operationId).at(-1)!;

describe('faults', () => {
  it('waits out a storm of 429s as Retry-After says, and reads Freshdesk’s rate-limit headers', async () => {
    const throttledBefore = t.backend.rateLimit!()!.throttled;
    t.fake.server.inject({match: (r) => r.operationId === 'ListTickets', times: 3, fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '1'}, body: {code: 'rate_limit_exceeded', message: 'Slow down.'}}}});
    const seen = t.fake.server.requests.length;
    await listTickets(t.backend, {limit: 5});
    expect(t.fake.server.requests.slice(seen).filter((r) => r.operationId === 'ListTickets').map((r) => r.status)).toEqual([429, 429, 429, 200]);
    expect(t.backend.rateLimit!()!.throttled - throttledBefore).toBe(3);
    expect(t.backend.rateLimit!()).toMatchObject({limit: 700, windowSeconds: 60});
  });

  it('gives up with exit code 6 when Freshdesk asks to wait longer than makes sense at a terminal', async () => {
    t.fake.server.inject({match: (r) => r.operationId === 'ListTickets', fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '3600'}, body: {code: 'rate_limit_exceeded', message: 'Slow down.'}}}});
    const error = await listTickets(t.backend, {limit: 5}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).exitCode).toBe(6);
  });

  it('retries a 503 on a read, and reports a Freshdesk that keeps failing as unavailable (exit 7)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Flaky', body: 'x'});
    t.fake.server.inject({match: (r) => r.operationId === 'ViewTicket', times: 2, fault: {kind: 'respond', response: {status: 503, body: {code: 'service_unavailable', message: 'Down.'}}}});
    expect((await t.backend.tickets.get(ticket.id)).title).toBe('Flaky');
    t.fake.server.inject({match: (r) => r.operationId === 'ViewTicket', times: Infinity, fault: {kind: 'respond', response: {status: 500, body: {code: 'internal_error', message: 'Oops.'}}}});
    const error = await t.backend.tickets.get(ticket.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).exitCode).toBe(7);
  });

  it('does not send a create again after its answer is lost (Freshdesk has no idempotency key)', async () => {
    const before = t.fake.tickets.size;
    t.fake.server.inject({match: (r) => r.operationId === 'CreateTicket', fault: {kind: 'commit-then-drop'}});
    await expect(createTicket(t.backend, {title: 'Lost answer', body: 'x'})).rejects.toBeInstanceOf(UnavailableError);
    expect(t.fake.tickets.size).toBe(before + 1);
  });
});

describe('SLA from the due-by times and stats', () => {
  it('normalises fr_due_by, due_by and the stats into the toolkit’s clocks', async () => {
    const ticket = await createTicket(t.backend, {title: 'Down', body: 'x', priority: 'urgent'});
    const created = Date.parse(ticket.createdAt);
    const report = await slaStatus(t.backend, {tickets: [ticket.id], at: created + 2 * 3_600_000});
    expect(lastOf('ViewTicket').query).toEqual({include: 'stats'});
    expect(report.tickets[0]).toMatchObject({ticketId: ticket.id, title: 'Down', policy: 'freshdesk'});
    expect(report.tickets[0]!.metrics.map((m) => [m.metric, m.status, m.dueAt, m.breached])).toEqual([
      ['firstResponse', 'breached', new Date(created + 3_600_000).toISOString(), true],
      ['resolution', 'active', new Date(created + 24 * 3_600_000).toISOString(), false],
    ]);
    await commentOnTicket(t.backend, ticket.id, {body: 'On it.'});
    await updateTicket(t.backend, ticket.id, {status: 'pending'});
    const later = await slaStatus(t.backend, {tickets: [ticket.id]});
    expect(later.tickets[0]!.metrics.map((m) => [m.metric, m.status, m.paused])).toEqual([
      ['firstResponse', 'achieved', false],
      ['resolution', 'paused', true],
    ]);
    await expect(slaStatus(t.backend, {tickets: ['999999']})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads next response and the escalation flags, and lists open tickets in id order', async () => {
    const at = Date.parse('2025-03-01T12:00:00Z');
    const evaluation = evaluateFreshdesk(
      {id: 7, subject: 'x', status: 2, priority: 3, requester_id: 1, created_at: '2025-03-01T10:00:00Z', updated_at: '2025-03-01T10:00:00Z', fr_due_by: '2025-03-01T11:00:00Z', nr_due_by: '2025-03-01T11:30:00Z', nr_escalated: true, due_by: '2025-03-03T10:00:00Z', is_escalated: false, stats: {first_responded_at: '2025-03-01T10:30:00Z'}},
      at,
    );
    expect(evaluation.metrics.map((m) => [m.metric, m.status, m.achievedAt])).toEqual([
      ['firstResponse', 'achieved', Date.parse('2025-03-01T10:30:00Z')],
      ['nextResponse', 'breached', null],
      ['resolution', 'active', null],
    ]);
    const open = await createTicket(t.backend, {title: 'Open one', body: 'x'});
    const solved = await createTicket(t.backend, {title: 'Solved one', body: 'x'});
    await updateTicket(t.backend, solved.id, {status: 'solved'});
    const ids = (await slaStatus(t.backend)).tickets.map((x) => x.ticketId);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(solved.id);
    expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    expect(lastOf('ListTickets').query).toMatchObject({updated_since: '1970-01-01T00:00:00Z', include: 'stats'});
  });
});

describe('Solutions as the knowledge base', () => {
  it('reads an article as Markdown by id or slug, and leaves drafts out of searches', async () => {
    const a = t.fake.addArticle({title: 'Fixing an offline printer', description: '<h2>Steps</h2><ol><li>Check the <strong>cable</strong>.</li><li>Restart.</li></ol><script>alert(1)</script>', language: 'en', tags: ['printer']});
    t.fake.addArticle({title: 'Printer draft notes', description: '<p>Not yet.</p>', language: 'en', tags: [], status: 1});
    t.fake.addArticle({title: 'Drucker offline', description: '<p>Kabel prüfen.</p>', language: 'de', tags: ['printer']});
    const article = await t.backend.kb!.get(String(a.id));
    expect(article).toMatchObject({id: String(a.id), title: 'Fixing an offline printer', locale: 'en', tags: ['printer'], slug: `${a.id}-fixing-an-offline-printer`, url: `${t.fake.url}/support/solutions/articles/${a.id}`});
    expect(article.body).toBe('## Steps\n\n1.  Check the **cable**.\n2.  Restart.\n');
    expect((await t.backend.kb!.get('fixing-an-offline-printer')).id).toBe(String(a.id));
    const hits = await t.backend.kb!.search({text: 'printer', limit: 10});
    expect(hits.map((h) => h.title)).toEqual(['Fixing an offline printer']);
    expect((await t.backend.kb!.search({text: 'drucker', limit: 5, locale: 'de'})).map((h) => [h.title, h.locale])).toEqual([['Drucker offline', 'de']]);
    expect(lastOf('SearchSolutionArticles').query).toEqual({term: 'drucker'});
    // The user's language (kb search --locale, or LANG) first; the other one still found, after it.
    expect((await t.backend.kb!.search({text: 'printer offline', limit: 5})).map((h) => h.locale)).toEqual(['en', 'de']);
    expect((await t.backend.kb!.search({text: 'printer offline', limit: 5, prefer: 'de'})).map((h) => h.locale)).toEqual(['de', 'en']);
  });

  it('lists every folder and subfolder for kb sync, page by page, drafts left out, and the next sync drops a deleted article', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      const {fake} = fresh;
      const printers = fake.addFolder({name: 'Printers'});
      const jams = fake.addFolder({name: 'Paper jams', parent: printers.id});
      const written = Array.from({length: 230}, (_, i) =>
        fake.addArticle({title: `Printer guide ${i + 1}`, description: `<p>Step <strong>${i + 1}</strong> for printers.</p>`, language: 'en', tags: ['printer'], folder: printers.id}),
      );
      const nested = Array.from({length: 5}, (_, i) => fake.addArticle({title: `Jam ${i + 1}`, description: `<p>Open tray ${i + 1}.</p>`, language: 'en', tags: [], folder: jams.id}));
      fake.addArticle({title: 'Unpublished jam notes', description: '<p>Not yet.</p>', language: 'en', tags: [], status: 1, folder: jams.id});
      const german = fake.addArticle({title: 'Druckeranleitung', description: '<p>Kabel prüfen.</p>', language: 'de', tags: []});
      const creditsBefore = fake.credits.reduce((n, c) => n + c.cost, 0);

      // The adapter's pages: the first walks the folders, each one page of a folder's articles.
      const pages = [];
      let cursor: string | undefined;
      do {
        const page = await fresh.backend.kb!.changes(cursor);
        pages.push(page);
        cursor = page.more ? page.cursor : undefined;
      } while (cursor);
      // Folders in order: Help > General (empty), Help > Printers (3 pages), its subfolder, Hilfe > General.
      expect(pages.map((p) => [p.listing, p.articles.length, p.more])).toEqual([
        ['first', 0, true],
        ['next', 100, true],
        ['next', 100, true],
        ['next', 30, true],
        ['next', 5, true],
        ['next', 1, false],
      ]);
      const listed = pages.flatMap((p) => p.articles);
      expect(new Set(listed.map((a) => a.id)).size).toBe(236);
      expect(listed.map((a) => a.title)).not.toContain('Unpublished jam notes');
      expect(listed.find((a) => a.id === String(written[0]!.id))).toEqual({
        id: String(written[0]!.id),
        slug: `${written[0]!.id}-printer-guide-1`,
        title: 'Printer guide 1',
        body: 'Step **1** for printers.\n',
        tags: ['printer'],
        locale: 'en',
        updatedAt: expect.any(String),
        url: `${fake.url}/support/solutions/articles/${written[0]!.id}`,
      });
      expect(listed.find((a) => a.id === String(nested[4]!.id))).toMatchObject({title: 'Jam 5', body: 'Open tray 5.\n', locale: 'en'});
      expect(listed.find((a) => a.id === String(german.id))).toMatchObject({title: 'Druckeranleitung', locale: 'de'});
      expect(fake.server.received('ListSolutionArticles').map((r) => [r.path.split('/')[5], r.query.page, r.query.per_page])).toEqual([
        ['40', '1', '100'],
        [String(printers.id), '1', '100'],
        [String(printers.id), '2', '100'],
        [String(printers.id), '3', '100'],
        [String(jams.id), '1', '100'],
        ['41', '1', '100'],
      ]);
      // Subfolders asked for only where a folder says it has some.
      expect(fake.server.received('ListSolutionSubfolders').map((r) => r.path)).toEqual([`/api/v2/solutions/folders/${printers.id}/subfolders`]);
      // The budget: 1 category list, 2 folder lists, 1 subfolder list, 6 article pages, a credit each.
      expect(fake.credits.reduce((n, c) => n + c.cost, 0) - creditsBefore).toBe(10);

      // A sync into a real offline copy; then one article is edited and one deleted in Freshdesk.
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      const open = async () => (await openKbCache(root, fake.url))!;
      expect(await syncKb(fresh.backend, open)).toMatchObject({full: true, created: 236, updated: 0, deleted: 0, articles: 236});
      fake.editArticle(written[5]!.id, {description: '<p>Step 6, revised for the new tray.</p>'});
      fake.deleteArticle(written[150]!.id);
      fake.editArticle(nested[0]!.id, {status: 1});
      expect(await syncKb(fresh.backend, open)).toMatchObject({full: false, created: 0, updated: 1, unchanged: 233, deleted: 2, articles: 234});
      const copy = (await openKbCache(root))!;
      try {
        await expect(copy.get(String(written[150]!.id))).rejects.toThrow(NotFoundError);
        await expect(copy.get(String(nested[0]!.id))).rejects.toThrow(NotFoundError);
        expect((await copy.get(String(written[5]!.id))).body).toBe('Step 6, revised for the new tray.\n');
        expect((await copy.search({text: 'revised', limit: 5})).map((h) => h.id)).toEqual([String(written[5]!.id)]);
      } finally {
        copy.close();
      }
      expect(fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps two articles of one title apart in the offline copy: the slug carries the id, as the portal path does', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      const {fake} = fresh;
      const one = fake.addArticle({title: 'Reset your password', description: '<p>For the web app: use the link on the sign-in page.</p>', language: 'en', tags: []});
      const two = fake.addArticle({title: 'Reset your password', description: '<p>For the desktop client: open Settings.</p>', language: 'en', tags: []});
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      expect(await syncKb(fresh.backend, async () => (await openKbCache(root, fake.url))!)).toMatchObject({created: 2, articles: 2});
      const copy = (await openKbCache(root))!;
      try {
        expect((await copy.get(String(one.id))).body).toBe('For the web app: use the link on the sign-in page.\n');
        expect((await copy.get(String(two.id))).body).toBe('For the desktop client: open Settings.\n');
      } finally {
        copy.close();
      }
      expect((await fresh.backend.kb!.get(`${two.id}-reset-your-password`)).id).toBe(String(two.id));
      expect(fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('a sync cut short resumes where it stopped, and the next full listing drops what went', async () => {
    const fresh = await startFreshdeskTarget();
    try {
      const {fake} = fresh;
      const written = Array.from({length: 150}, (_, i) => fake.addArticle({title: `Router tip ${i + 1}`, description: `<p>Tip ${i + 1}.</p>`, language: 'en', tags: []}));
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      const open = async () => (await openKbCache(root, fake.url))!;
      // The first sync copies the first page, then the connection keeps dropping.
      fake.server.inject({match: (r) => r.operationId === 'ListSolutionArticles' && r.query.page === '2', fault: {kind: 'drop'}, times: Infinity});
      await expect(syncKb(fresh.backend, open)).rejects.toThrow(UnavailableError);
      fake.server.clearFaults();
      fake.deleteArticle(written[0]!.id);
      const categoriesListed = fake.server.received('ListSolutionCategories').length;
      // Resumed: it joins the listing halfway (no new walk of the folders), so it drops nothing. Pages
      // are offsets: with the first article gone, the 101st moved onto page 1 and this sync misses it.
      expect(await syncKb(fresh.backend, open)).toMatchObject({created: 49, deleted: 0, articles: 149});
      expect(fake.server.received('ListSolutionCategories').length).toBe(categoriesListed);
      // The next sync lists from the start: it brings the one missed and drops the one deleted.
      expect(await syncKb(fresh.backend, open)).toMatchObject({created: 1, unchanged: 148, deleted: 1, articles: 149});
      const copy = (await openKbCache(root))!;
      try {
        await expect(copy.get(String(written[0]!.id))).rejects.toThrow(NotFoundError);
        expect((await copy.get(String(written[100]!.id))).title).toBe('Router tip 101');
      } finally {
        copy.close();
      }
      expect(fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('says what it cannot do, in one sentence each', async () => {
    await expect(t.backend.kb!.upsert([])).rejects.toThrow('The freshdesk backend cannot import articles into its knowledge base.');
    await expect(t.backend.sla!.importPolicies({calendars: [], policies: []})).rejects.toThrow('The freshdesk backend cannot import or list the toolkit’s SLA policies.');
    await expect(t.backend.tickets.events('1')).rejects.toThrow('The freshdesk backend cannot show the history of a ticket.');
  });
});
