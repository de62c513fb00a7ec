import {createHash} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import {statusIn} from '../../../src/backends/zendesk/map.js';
import {AuthError, NotFoundError, RateLimitError, RejectedError, UnavailableError, UsageError} from '../../../src/domain/errors.js';
import {fileAttachmentSource} from '../../../src/services/attachments.js';
import {syncKb} from '../../../src/services/kb.js';
import {slaStatus} from '../../../src/services/sla.js';
import {commentOnTicket, createTicket, listTickets, updateTicket, viewTicket} from '../../../src/services/tickets.js';
import {startZendeskTarget, type ZendeskTarget} from './setup.js';

let t: ZendeskTarget;
beforeAll(async () => {
  t = await startZendeskTarget();
});
afterEach(() => t.fake.server.clearFaults());
afterAll(async () => {
  // Every request the adapter sent in these tests, and every answer, fit Zendesk's description.
  expect(t.fake.server.violations).toEqual([]);
  await t.close();
});

const lastOf = (operationId: string) => t.fake.server.received(operationId).at(-1)!;
const decodeBasic = (header: unknown) => Buffer.from(String(header).replace(/^Basic /, ''), 'base64').toString('utf8');

describe('authentication', () => {
  it('sends an API token as Basic {email}/token:{token}, and an OAuth token as Bearer', async () => {
    expect(await t.backend.whoami()).toEqual({name: 'alice@acme.test', role: 'agent', backendRole: 'admin', account: new URL(t.fake.url).host, displayName: 'Alice Agent', id: '1001'});
    expect(decodeBasic(lastOf('ShowCurrentUser').headers.authorization)).toBe('alice@acme.test/token:alice-api-token');
    const oauth = await t.open({email: '', token: 'alice-oauth-token'});
    expect((await oauth.whoami()).name).toBe('alice@acme.test');
    expect(lastOf('ShowCurrentUser').headers.authorization).toBe('Bearer alice-oauth-token');
  });

  it('treats the anonymous user Zendesk answers for an unreadable credential as a failed login', async () => {
    // What Zendesk answers for a credential it cannot read (an API token without the /token suffix): 200, user.id null.
    t.fake.server.inject({
      match: (r) => r.operationId === 'ShowCurrentUser',
      fault: {kind: 'respond', response: {status: 200, body: {user: {id: null, name: 'Anonymous user', email: 'invalid@example.com', role: 'end-user'}}}},
    });
    const fresh = await t.open();
    const error = await fresh.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('anonymous user');
    expect((error as AuthError).exitCode).toBe(4);
  });

  it('says a revoked token is refused, with exit code 4', async () => {
    const revoked = await t.open({token: 'revoked'});
    const error = await revoked.tickets.list({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe('Zendesk refused the credentials of the profile "work": Couldn\'t authenticate you.');
  });
});

describe('tickets', () => {
  it('maps statuses and priorities explicitly both ways (on hold is Zendesk’s hold)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Hold me', body: 'x', priority: 'urgent', type: 'incident'});
    expect(lastOf('CreateTicket').body).toMatchObject({ticket: {subject: 'Hold me', priority: 'urgent', type: 'incident', comment: {body: 'x', public: true}}});
    const held = await updateTicket(t.backend, ticket.id, {status: 'on_hold'});
    expect((lastOf('UpdateTicket').body as any).ticket.status).toBe('hold');
    expect(held.status).toBe('on_hold');
    // A ticket without priority or type reads as the toolkit's defaults.
    const plain = await createTicket(t.backend, {title: 'Plain', body: 'x'});
    expect(t.fake.tickets.get(Number(plain.id))).toMatchObject({priority: null, type: null});
    expect(plain).toMatchObject({priority: 'normal', type: 'question', status: 'new'});
    // A status Zendesk may add one day is shown by name, never dropped.
    expect(statusIn('archived')).toEqual({status: 'open', unknown: 'archived'});
  });

  it('shows a custom status by its name, and keeps vendor-only data in fields', async () => {
    const ticket = await createTicket(t.backend, {title: 'Vendor', body: 'x', fields: {group_id: '360000042', external_id: 'OLD-7'}});
    expect(lastOf('CreateTicket').body).toMatchObject({ticket: {group_id: 360000042, external_id: 'OLD-7'}});
    const updated = await updateTicket(t.backend, ticket.id, {fields: {custom_status_id: '92'}});
    expect(updated.status).toBe('on_hold');
    expect(updated.fields).toMatchObject({status_name: 'Awaiting vendor', custom_status_id: 92, group_id: 360000042, external_id: 'OLD-7', requester_id: 1001, via: {channel: 'api'}});
    // Read back and written back unchanged: nothing is lost, nothing refused.
    const again = await t.backend.tickets.get(ticket.id);
    const writable = Object.fromEntries(Object.entries(again.fields).filter(([k]) => ['group_id', 'external_id', 'custom_status_id', 'requester_id'].includes(k)));
    expect((await updateTicket(t.backend, ticket.id, {fields: writable})).fields).toEqual(again.fields);
  });

  it('sets custom fields by key, by title or by id, and names the fields there are for an unknown one', async () => {
    const ticket = await createTicket(t.backend, {title: 'Fields', body: 'x'});
    await updateTicket(t.backend, ticket.id, {fields: {legacy: 'L1', 'VIP customer': 'yes', '360002': '12'}});
    expect((lastOf('UpdateTicket').body as any).ticket.custom_fields).toEqual([
      {id: 360002, value: '12'},
      {id: 360003, value: 'L1'},
      {id: 360004, value: true},
    ]);
    expect((await t.backend.tickets.get(ticket.id)).fields).toMatchObject({legacy: 'L1', vip_customer: true, seats: 12});
    const error = await updateTicket(t.backend, ticket.id, {fields: {regoin: 'eu'}}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('"regoin" is not a ticket field of this Zendesk account.');
    expect((error as UsageError).hint).toContain('region, seats, legacy, vip_customer');
    await expect(updateTicket(t.backend, ticket.id, {fields: {via: 'web'}})).rejects.toThrow('The field via is Zendesk\'s own and cannot be set.');
  });

  it('shows a 422 as one sentence naming the field', async () => {
    const ticket = await createTicket(t.backend, {title: 'Bad seats', body: 'x'});
    const error = await updateTicket(t.backend, ticket.id, {fields: {seats: 'many'}}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).message).toBe(`Zendesk refused to update ticket ${ticket.id}: the field seats is invalid (Seats: is not a number).`);
    expect((error as RejectedError).exitCode).toBe(5);
  });

  it('adds and removes tags without losing a change made meanwhile (safe_update)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Tags', body: 'x', tags: ['a', 'b']});
    // Someone else changes the tags between our read and our write: the first write is refused (409) and redone.
    let raced = false;
    t.fake.server.inject({
      match: (r) => r.operationId === 'UpdateTicket' && !raced,
      fault: {kind: 'respond', response: {status: 409, body: {error: 'UpdateConflict', description: 'Safe Update prevented the update due to outdated ticket data.'}}},
    });
    const updated = await updateTicket(t.backend, ticket.id, {addTags: ['c'], removeTags: ['a']});
    raced = true;
    expect(updated.tags).toEqual(['b', 'c']);
    const puts = t.fake.server.received('UpdateTicket').slice(-2).map((r) => (r.body as any).ticket);
    expect(puts.map((p) => [p.tags, p.safe_update])).toEqual([
      [['b', 'c'], true],
      [['b', 'c'], true],
    ]);
  });

  it('resolves an assignee by email, id or exact agent name, and refuses a name that is no agent', async () => {
    const ticket = await createTicket(t.backend, {title: 'Assign', body: 'x'});
    expect((await updateTicket(t.backend, ticket.id, {assignee: 'bob@acme.test'})).assignee).toBe('bob@acme.test');
    expect((lastOf('UpdateTicket').body as any).ticket).toEqual({assignee_email: 'bob@acme.test'});
    // "Bob Agent" is also the name of an end user: only agents count.
    expect((await updateTicket(t.backend, ticket.id, {assignee: 'Bob Agent'})).assignee).toBe('bob@acme.test');
    expect((lastOf('UpdateTicket').body as any).ticket).toEqual({assignee_id: 1002});
    expect((await updateTicket(t.backend, ticket.id, {assignee: null})).assignee).toBeNull();
    await expect(updateTicket(t.backend, ticket.id, {assignee: 'Nobody Here'})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sends public and internal comments with their visibility spelled out', async () => {
    const ticket = await createTicket(t.backend, {title: 'Talk', body: 'x'});
    await commentOnTicket(t.backend, ticket.id, {body: 'Internal.', internal: true});
    expect((lastOf('UpdateTicket').body as any).ticket.comment).toEqual({body: 'Internal.', public: false});
    await commentOnTicket(t.backend, ticket.id, {body: 'Public.'});
    expect((lastOf('UpdateTicket').body as any).ticket.comment).toEqual({body: 'Public.', public: true});
    // A comment is never repeated after a lost answer: the HTTP client does not resend it.
    t.fake.server.inject({match: (r) => r.operationId === 'UpdateTicket', fault: {kind: 'commit-then-drop'}});
    await expect(commentOnTicket(t.backend, ticket.id, {body: 'Once.'})).rejects.toBeInstanceOf(UnavailableError);
    expect(t.fake.tickets.get(Number(ticket.id))!.comments.filter((c) => c.body === 'Once.')).toHaveLength(1);
  });

  it('uploads the raw bytes, attaches them with a note carrying the sha256, and reads it back', async () => {
    const path = join(t.scratch, 'crash.log');
    const content = Buffer.from('line\n'.repeat(50_000));
    writeFileSync(path, content);
    const ticket = await createTicket(t.backend, {title: 'File', body: 'x', attachments: [path]});
    const upload = lastOf('UploadFiles');
    expect(upload.query).toEqual({filename: 'crash.log'});
    expect(upload.headers['content-type']).toBe('text/plain');
    expect(upload.body).toBe(`<${content.length} bytes>`);
    const sha256 = createHash('sha256').update(content).digest('hex');
    expect(ticket.attachments[0]).toMatchObject({name: 'crash.log', size: content.length, sha256, contentType: 'text/plain'});
    const note = (lastOf('UpdateTicket').body as any).ticket.comment;
    expect(note).toMatchObject({public: false, uploads: [expect.any(String)]});
    expect(note.body).toContain(sha256);
    expect((await viewTicket(t.backend, ticket.id)).attachments).toEqual(ticket.attachments);
    await expect(t.backend.tickets.attach('999999', await fileAttachmentSource(path))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('faults', () => {
  it('makes one ticket when the answer to a committed create is lost (the Idempotency-Key is resent)', async () => {
    const before = t.fake.tickets.size;
    t.fake.server.inject({match: (r) => r.operationId === 'CreateTicket', fault: {kind: 'commit-then-drop'}});
    const ticket = await createTicket(t.backend, {title: 'Lost answer', body: 'x'});
    expect(t.fake.tickets.size).toBe(before + 1);
    const attempts = t.fake.server.received('CreateTicket').slice(-2);
    expect(attempts[0]!.headers['idempotency-key']).toBeTruthy();
    expect(attempts[1]!.headers['idempotency-key']).toBe(attempts[0]!.headers['idempotency-key']);
    expect([...t.fake.tickets.values()].filter((x) => x.subject === 'Lost answer').map((x) => String(x.id))).toEqual([ticket.id]);
  });

  it('waits out a storm of 429s as Retry-After says, and counts them for the bulk pacer', async () => {
    const throttledBefore = t.backend.rateLimit!()!.throttled;
    t.fake.server.inject({match: (r) => r.operationId === 'ListTickets', times: 3, fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '1'}, body: {error: 'TooManyRequests'}}}});
    const seen = t.fake.server.requests.length;
    await listTickets(t.backend, {limit: 5});
    expect(t.fake.server.requests.slice(seen).filter((r) => r.operationId === 'ListTickets').map((r) => r.status)).toEqual([429, 429, 429, 200]);
    expect(t.backend.rateLimit!()!.throttled - throttledBefore).toBe(3);
    // Zendesk's headers are read: the account-wide X-Rate-Limit and the ticket endpoints' ratelimit-reset.
    expect(t.backend.rateLimit!()).toMatchObject({limit: 700, remaining: 700, resetSeconds: 60});
  });

  it('gives up with exit code 6 when Zendesk asks to wait longer than makes sense at a terminal', async () => {
    t.fake.server.inject({match: (r) => r.operationId === 'ListTickets', fault: {kind: 'respond', response: {status: 429, headers: {'retry-after': '3600'}, body: {error: 'TooManyRequests'}}}});
    const error = await listTickets(t.backend, {limit: 5}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).exitCode).toBe(6);
  });

  it('retries a 503 on a read, and reports a Zendesk that keeps failing as unavailable (exit 7)', async () => {
    const ticket = await createTicket(t.backend, {title: 'Flaky', body: 'x'});
    t.fake.server.inject({match: (r) => r.operationId === 'ShowTicket', times: 2, fault: {kind: 'respond', response: {status: 503, body: {error: 'ServiceUnavailable'}}}});
    expect((await t.backend.tickets.get(ticket.id)).title).toBe('Flaky');
    t.fake.server.inject({match: (r) => r.operationId === 'ShowTicket', times: Infinity, fault: {kind: 'respond', response: {status: 500, body: {error: 'InternalError'}}}});
    const error = await t.backend.tickets.get(ticket.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).exitCode).toBe(7);
  });
});

describe('lists', () => {
  it('pages through many tickets by cursor, newest first, without gaps or repeats', async () => {
    const fresh = await startZendeskTarget();
    try {
      const ids = fresh.fake.seedTickets(250);
      const all = await listTickets(fresh.backend, {limit: 1000});
      expect(all.tickets.map((x) => Number(x.id))).toEqual([...ids].reverse());
      expect(all.nextCursor).toBeNull();
      expect(fresh.fake.server.received('ListTickets').map((r) => r.query['page[size]'])).toEqual(['100', '100', '100']);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(fresh.backend, {limit: 30, cursor});
        seen.push(...page.tickets.map((x) => x.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all.tickets.map((x) => x.id));
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('filters through the search API and walks past its 1,000-result cap', async () => {
    const fresh = await startZendeskTarget();
    try {
      const ids = fresh.fake.seedTickets(1150, (i) => ({subject: `Bulk ${i}`, tags: i % 2 ? ['bulk', 'odd'] : ['bulk']}));
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(fresh.backend, {tags: ['bulk'], limit: 1000, cursor});
        seen.push(...page.tickets.map((x) => Number(x.id)));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const searches = fresh.fake.server.received('ListSearchResults');
      expect(Math.max(...searches.map((r) => Number(r.query.page)))).toBeLessThanOrEqual(10);
      expect(searches.some((r) => /created</.test(String(r.query.query)))).toBe(true);
      // Every one of several tags: search finds the first, the adapter checks the rest.
      const odd = await listTickets(fresh.backend, {tags: ['bulk', 'odd'], limit: 5});
      expect(odd.tickets.every((x) => x.tags.includes('odd'))).toBe(true);
      expect(String(fresh.fake.server.received('ListSearchResults').at(-1)!.query.query)).toBe('type:ticket tags:bulk');
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a cursor it did not give out', async () => {
    await expect(listTickets(t.backend, {cursor: 'eyJrIjoibm9wZSJ9'})).rejects.toBeInstanceOf(UsageError);
    await expect(t.backend.tickets.get('abc')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('SLA clocks from include=slas', () => {
  it('normalises Zendesk’s policy metrics into the toolkit’s clocks', async () => {
    const ticket = await createTicket(t.backend, {title: 'Down', body: 'x', priority: 'urgent'});
    const created = Date.parse(ticket.createdAt);
    const report = await slaStatus(t.backend, {tickets: [ticket.id], at: created + 2 * 3_600_000});
    expect(lastOf('TicketsShowMany').query).toEqual({ids: ticket.id, include: 'slas'});
    expect(report.tickets[0]).toMatchObject({ticketId: ticket.id, title: 'Down', policy: 'zendesk'});
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

  it('lists the open tickets, in id order, without solved ones', async () => {
    const open = await createTicket(t.backend, {title: 'Open one', body: 'x'});
    const solved = await createTicket(t.backend, {title: 'Solved one', body: 'x'});
    await updateTicket(t.backend, solved.id, {status: 'solved'});
    const ids = (await slaStatus(t.backend)).tickets.map((x) => x.ticketId);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(solved.id);
    expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
  });
});

describe('the Help Center', () => {
  it('reads an article as Markdown, by id or by the slug of its URL, in the locale asked for', async () => {
    const a = t.fake.addArticle({title: 'Fixing an offline printer', body: '<h2>Steps</h2><ol><li>Check the <strong>cable</strong>.</li><li>Restart.</li></ol><script>alert(1)</script>', locale: 'en-us', label_names: ['printer']});
    t.fake.addArticle({title: 'Drucker offline', body: '<p>Kabel prüfen.</p>', locale: 'de', label_names: ['printer']});
    const article = await t.backend.kb!.get(String(a.id));
    expect(article).toMatchObject({id: String(a.id), title: 'Fixing an offline printer', locale: 'en', tags: ['printer'], slug: `${a.id}-fixing-an-offline-printer`});
    expect(article.body).toBe('## Steps\n\n1.  Check the **cable**.\n2.  Restart.\n');
    expect((await t.backend.kb!.get('fixing-an-offline-printer')).id).toBe(String(a.id));
    expect((await t.backend.kb!.get(`${a.id}-Fixing-an-offline-printer`)).id).toBe(String(a.id));
    const de = await t.backend.kb!.search({text: 'drucker', limit: 5, locale: 'de'});
    expect(de.map((h) => [h.title, h.locale])).toEqual([['Drucker offline', 'de']]);
    expect(lastOf('SearchArticles').query).toMatchObject({query: 'drucker', locale: 'de', per_page: '5'});
    // The user's language (kb search --locale, or LANG) picks the Help Center locale searched.
    const preferred = await t.backend.kb!.search({text: 'drucker', limit: 5, prefer: 'de'});
    expect(preferred.map((h) => h.title)).toEqual(['Drucker offline']);
    expect(lastOf('SearchArticles').query).toMatchObject({query: 'drucker', locale: 'de'});
  });

  it('lists the Help Center in the profile’s locale for kb sync, page by page, and the sync drops what was archived', async () => {
    const fresh = await startZendeskTarget();
    try {
      const written = Array.from({length: 230}, (_, i) =>
        fresh.fake.addArticle({title: `Printer guide ${i + 1}`, body: `<p>Step <strong>${i + 1}</strong> for printers.</p>`, locale: 'en-gb', label_names: ['printer']}),
      );
      fresh.fake.addArticle({title: 'Unpublished printer notes', body: '<p>Not yet.</p>', locale: 'en-gb', label_names: [], draft: true});
      fresh.fake.addArticle({title: 'Druckeranleitung', body: '<p>Kabel prüfen.</p>', locale: 'de', label_names: []});
      const backend = await fresh.open({settings: {locale: 'en-gb'}});

      // The adapter's pages: a listing opened by its first page, resumed by Zendesk's cursor.
      const pages = [];
      let cursor: string | undefined;
      do {
        const page = await backend.kb!.changes(cursor);
        pages.push(page);
        cursor = page.more ? page.cursor : undefined;
      } while (cursor);
      expect(pages.map((p) => [p.listing, p.articles.length, p.more])).toEqual([
        ['first', 100, true],
        ['next', 100, true],
        ['next', 30, false],
      ]);
      const listed = pages.flatMap((p) => p.articles);
      expect(new Set(listed.map((a) => a.id)).size).toBe(230);
      expect(listed.map((a) => a.title)).not.toContain('Unpublished printer notes');
      expect(listed[0]).toMatchObject({id: String(written[0]!.id), title: 'Printer guide 1', body: 'Step **1** for printers.\n', locale: 'en', tags: ['printer']});
      const requests = fresh.fake.server.received('ListArticlesInLocale');
      expect(requests.map((r) => [r.path.split('/')[4], r.query['page[size]'], r.query['page[after]'] === undefined])).toEqual([
        ['en-gb', '100', true],
        ['en-gb', '100', false],
        ['en-gb', '100', false],
      ]);

      // A sync into a real offline copy; then one article is edited and one archived in Guide.
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      const open = async () => (await openKbCache(root, fresh.fake.url))!;
      const first = await syncKb(backend, open);
      expect(first).toMatchObject({full: true, created: 230, updated: 0, deleted: 0, articles: 230});
      fresh.fake.editArticle(written[5]!.id, {body: '<p>Step 6, revised for the new tray.</p>'});
      fresh.fake.archiveArticle(written[150]!.id);
      const second = await syncKb(backend, open);
      expect(second).toMatchObject({full: false, created: 0, updated: 1, unchanged: 228, deleted: 1, articles: 229});
      const copy = (await openKbCache(root))!;
      try {
        await expect(copy.get(String(written[150]!.id))).rejects.toThrow(NotFoundError);
        expect((await copy.get(String(written[5]!.id))).body).toBe('Step 6, revised for the new tray.\n');
        expect((await copy.search({text: 'tray', limit: 5})).map((h) => h.id)).toEqual([String(written[5]!.id)]);
      } finally {
        copy.close();
      }
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps two articles of one title apart in the offline copy: the slug carries the id, as the URL does', async () => {
    const fresh = await startZendeskTarget();
    try {
      const one = fresh.fake.addArticle({title: 'Reset your password', body: '<p>For the web app: use the link on the sign-in page.</p>', locale: 'en-us', label_names: []});
      const two = fresh.fake.addArticle({title: 'Reset your password', body: '<p>For the desktop client: open Settings.</p>', locale: 'en-us', label_names: []});
      const backend = await fresh.open();
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      expect(await syncKb(backend, async () => (await openKbCache(root, fresh.fake.url))!)).toMatchObject({created: 2, articles: 2});
      const copy = (await openKbCache(root))!;
      try {
        expect((await copy.get(String(one.id))).body).toBe('For the web app: use the link on the sign-in page.\n');
        expect((await copy.get(String(two.id))).body).toBe('For the desktop client: open Settings.\n');
      } finally {
        copy.close();
      }
      // The slug alone, and its title part, still find the article online.
      expect((await backend.kb!.get(`${two.id}-reset-your-password`)).id).toBe(String(two.id));
      expect(fresh.fake.server.violations).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('a sync resumed halfway through a listing copies the rest, and the next full listing drops what went', async () => {
    const fresh = await startZendeskTarget();
    try {
      const written = Array.from({length: 150}, (_, i) => fresh.fake.addArticle({title: `Router tip ${i + 1}`, body: `<p>Tip ${i + 1}.</p>`, locale: 'en-us', label_names: []}));
      const {openKbCache} = await import('../../../src/backends/registry.js');
      const root = join(fresh.scratch, 'kb-copy');
      const open = async () => (await openKbCache(root, fresh.fake.url))!;
      // The first sync is cut short after its first page (the connection keeps dropping).
      fresh.fake.server.inject({match: (r) => r.operationId === 'ListArticlesInLocale' && r.query['page[after]'] !== undefined, fault: {kind: 'drop'}, times: Infinity});
      await expect(syncKb(fresh.backend, open)).rejects.toThrow(UnavailableError);
      fresh.fake.server.clearFaults();
      fresh.fake.archiveArticle(written[0]!.id);
      // Resumed: it joins the listing halfway, so it cannot tell what went, and drops nothing.
      expect(await syncKb(fresh.backend, open)).toMatchObject({created: 50, deleted: 0, articles: 150});
      // The next sync lists from the start.
      expect(await syncKb(fresh.backend, open)).toMatchObject({created: 0, unchanged: 149, deleted: 1, articles: 149});
    } finally {
      await fresh.close();
    }
  });

  it('says it cannot import articles, in one sentence', async () => {
    await expect(t.backend.kb!.upsert([])).rejects.toThrow('The zendesk backend cannot import articles into its knowledge base.');
    await expect(t.backend.sla!.importPolicies({calendars: [], policies: []})).rejects.toThrow('The zendesk backend cannot import or list the toolkit’s SLA policies.');
  });
});
