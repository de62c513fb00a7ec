import {createHash, randomUUID} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it, type TestContext} from 'vitest';

import type {Backend, Capability} from '../../../src/backends/backend.js';
import {MATCH_START, stripMatchMarks} from '../../../src/domain/article.js';
import {ExternalIdTakenError, NotFoundError, RejectedError, UsageError, VersionConflictError} from '../../../src/domain/errors.js';
import {fileAttachmentSource} from '../../../src/services/attachments.js';
import {closeTicket, commentOnTicket, createTicket, listTickets, reopenTicket, updateTicket, viewTicket} from '../../../src/services/tickets.js';

export interface ConformanceTarget {
  /** A backend acting as an agent (`me`). */
  backend: Backend;
  /** A directory for files to attach. */
  scratch: string;
  /** The same backend with the right to write knowledge-base articles (an admin on a server); for backends with 'kb-write'. */
  kbWriter?: Backend;
  /**
   * Puts articles into the knowledge base of a backend that cannot write its own (a vendor's
   * Help Center, seeded through its fake); returns nothing, the search finds them.
   */
  seedArticles?: (articles: {title: string; body: string; tags: string[]; locale: 'en' | 'de'}[]) => Promise<void>;
  /** Takes a seeded article (by its title) out of the knowledge base, as its owner would (archive, delete); with seedArticles. */
  removeArticle?: (title: string) => Promise<void>;
  /** How the backend names its users: the agent the backend acts as, and another agent. Default alice and bob. */
  users?: {me: string; other: string};
  /** False for a knowledge base whose articles carry no language or tags (Jira Service Management's): those filters are not tested. */
  kbFilters?: boolean;
  /** Custom fields the backend's account has (a vendor's are set up by an admin): region, seats, legacy. */
  close(): Promise<void>;
}

/**
 * What every backend must do the same way, as the CLI's services use it. Each test makes its own
 * tickets and finds them by a unique tag, so tests do not depend on each other. A test of what
 * a backend does not declare (its capabilities) is skipped, saying which capability it needs.
 */
export function describeBackendConformance(name: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`backend conformance: ${name}`, () => {
    let target: ConformanceTarget;
    let backend: Backend;
    let me = 'alice';
    let other = 'bob';
    /** Skips the running test unless the backend declares every one of these capabilities. */
    const need = (ctx: TestContext, ...capabilities: Capability[]) => {
      const missing = capabilities.filter((c) => !backend.capabilities.has(c));
      if (missing.length) ctx.skip(`the ${backend.kind} backend does not declare ${missing.join(', ')}`);
    };
    const uniqueTag = () => `t-${randomUUID().slice(0, 8)}`;
    /** A made-up word that no other article holds, so a search finds exactly the test's article. */
    const uniqueWord = () => `zq${randomUUID().replace(/[^a-f]/g, '').slice(0, 8)}x`;

    beforeAll(async () => {
      target = await setup();
      backend = target.backend;
      me = target.users?.me ?? me;
      other = target.users?.other ?? other;
    });
    afterAll(async () => {
      await target?.close();
    });

    it('says who it acts as, and declares only capabilities it has the methods for', async () => {
      expect(await backend.whoami()).toMatchObject({name: me, role: 'agent'});
      expect(backend.capabilities.has('tickets')).toBe(true);
      if (backend.capabilities.has('kb')) expect(backend.kb).toBeDefined();
      if (backend.capabilities.has('sla')) expect(backend.sla).toBeDefined();
      if (backend.capabilities.has('sla') && !backend.capabilities.has('sla-policies')) expect(backend.sla!.status).toBeDefined();
    });

    it('creates a ticket with defaults, and gets it back unchanged', async () => {
      const tag = uniqueTag();
      const custom = backend.capabilities.has('custom-fields');
      const created = await createTicket(backend, {title: '  Login fails  ', body: 'Since 9:00 every login returns 502.', tags: [tag, 'Login'], ...(custom ? {fields: {region: 'eu', seats: 5}} : {})});
      expect(created).toMatchObject({
        title: 'Login fails',
        body: 'Since 9:00 every login returns 502.',
        status: 'new',
        priority: 'normal',
        type: 'question',
        requester: me,
        assignee: null,
        ...(custom ? {fields: {region: 'eu', seats: 5}} : {}),
        attachments: [],
      });
      expect(created.tags.sort()).toEqual([tag, 'login'].sort());
      expect(Date.parse(created.createdAt)).not.toBeNaN();
      expect(await backend.tickets.get(created.id)).toEqual(created);
    });

    it('answers NotFoundError for a ticket that does not exist', async () => {
      await expect(backend.tickets.get('999999')).rejects.toBeInstanceOf(NotFoundError);
      await expect(backend.tickets.get('no-such-id')).rejects.toBeInstanceOf(NotFoundError);
      await expect(backend.tickets.update('999999', {priority: 'high'})).rejects.toBeInstanceOf(NotFoundError);
      await expect(backend.tickets.comment('999999', {body: 'hello'})).rejects.toBeInstanceOf(NotFoundError);
    });

    it('creates one ticket for a repeated idempotency key, and refuses the key for another ticket', async (ctx) => {
      need(ctx, 'idempotent-create');
      const tag = uniqueTag();
      const key = randomUUID();
      const input = {title: 'Once', body: 'Only once.', tags: [tag]};
      const first = await backend.tickets.create(input, {idempotencyKey: key});
      const again = await backend.tickets.create(input, {idempotencyKey: key});
      expect(again.id).toBe(first.id);
      expect((await listTickets(backend, {tags: [tag]})).tickets).toHaveLength(1);
      await expect(backend.tickets.create({...input, title: 'Other'}, {idempotencyKey: key})).rejects.toBeInstanceOf(RejectedError);
    });

    it('changes a ticket only at the version it was read, and refuses a change based on an older one', async (ctx) => {
      need(ctx, 'conditional-update');
      const ticket = await createTicket(backend, {title: 'Versioned', body: 'b', tags: [uniqueTag()]});
      expect(ticket.version).toEqual(expect.any(Number));
      const read = await backend.tickets.get(ticket.id);
      const changed = await backend.tickets.update(ticket.id, {priority: 'high'}, {idempotencyKey: randomUUID(), ifVersion: read.version!});
      expect(changed.version).toBeGreaterThan(read.version!);
      // A second change based on the same, now outdated, read.
      const stale = backend.tickets.update(ticket.id, {priority: 'low'}, {idempotencyKey: randomUUID(), ifVersion: read.version!});
      await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
      await expect(stale).rejects.toMatchObject({ticketId: ticket.id, expected: read.version, current: changed.version});
      expect((await backend.tickets.get(ticket.id)).priority).toBe('high');
    });

    it('keeps external ids unique and finds a ticket by its external id', async (ctx) => {
      need(ctx, 'external-id');
      const externalId = `EXT-${randomUUID().slice(0, 8)}`;
      const ticket = await backend.tickets.create({title: 'Migrated', body: 'b', externalId}, {idempotencyKey: randomUUID()});
      expect(ticket.externalId).toBe(externalId);
      expect((await listTickets(backend, {externalId})).tickets.map((t) => t.id)).toEqual([ticket.id]);
      const twice = backend.tickets.create({title: 'Migrated again', body: 'b', externalId}, {idempotencyKey: randomUUID()});
      await expect(twice).rejects.toBeInstanceOf(ExternalIdTakenError);
      await expect(twice).rejects.toMatchObject({externalId, ticketId: ticket.id});
    });

    it('lists what changed since a time, oldest change first, through the cursor', async (ctx) => {
      need(ctx, 'updated-since');
      const tag = uniqueTag();
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await createTicket(backend, {title: `Since ${i}`, body: 'b', tags: [tag]}));
      const since = made[0]!.updatedAt;
      await updateTicket(backend, made[0]!.id, {priority: 'urgent'});
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTickets(backend, {tags: [tag], updatedSince: since, sort: 'updatedAt', limit: 1, ...(cursor ? {cursor} : {})});
        seen.push(...page.tickets.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect([...seen].sort()).toEqual(made.map((t) => t.id).sort());
      // Oldest change first: the order of (updatedAt, id), which the update moved ticket 0 to the end of.
      const order = await Promise.all(seen.map(async (id) => [Date.parse((await backend.tickets.get(id)).updatedAt), Number(id)] as const));
      expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
      expect(order.at(-1)![0]).toBe(Math.max(...order.map((o) => o[0])));
    });

    it('lists newest first with filters, and pages with a cursor without gaps or repeats', async () => {
      const tag = uniqueTag();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const t = await createTicket(backend, {title: `Page ${i}`, body: i % 2 ? 'odd needle' : 'even', tags: [tag], priority: i === 4 ? 'urgent' : 'low'});
        ids.push(t.id);
      }
      const all = await listTickets(backend, {tags: [tag]});
      expect(all.tickets.map((t) => t.id)).toEqual([...ids].reverse());
      expect(all.nextCursor).toBeNull();

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listTickets(backend, {tags: [tag], limit: 2, cursor});
        seen.push(...page.tickets.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...ids].reverse());
      expect(pages).toBe(3);

      expect((await listTickets(backend, {tags: [tag], priority: ['urgent']})).tickets.map((t) => t.id)).toEqual([ids[4]]);
      expect((await listTickets(backend, {tags: [tag], search: 'needle'})).tickets).toHaveLength(2);
      expect((await listTickets(backend, {tags: [tag], status: ['solved']})).tickets).toHaveLength(0);
      expect((await listTickets(backend, {tags: [tag], requester: me})).tickets).toHaveLength(5);
      expect((await listTickets(backend, {tags: [tag], requester: 'nobody'})).tickets).toHaveLength(0);
      // `@me` is whoever the backend acts as.
      expect((await listTickets(backend, {tags: [tag], requester: '@me'})).tickets).toHaveLength(5);
      expect((await listTickets(backend, {tags: [tag], assignee: '@me'})).tickets).toHaveLength(0);
    });

    it('refuses a cursor it did not give out with a UsageError', async () => {
      await expect(listTickets(backend, {cursor: 'not-a-cursor'})).rejects.toBeInstanceOf(UsageError);
    });

    it('updates fields, tags, assignee and status, and keeps a closed ticket closed', async () => {
      const tag = uniqueTag();
      const custom = backend.capabilities.has('custom-fields');
      const t = await createTicket(backend, {title: 'Update me', body: 'x', tags: [tag, 'triage'], ...(custom ? {fields: {region: 'eu', legacy: 'a1'}} : {})});
      const updated = await updateTicket(backend, t.id, {
        priority: 'high',
        type: 'incident',
        assignee: other,
        addTags: ['billing'],
        removeTags: ['triage'],
        ...(custom ? {fields: {region: 'us', legacy: null}} : {}),
        title: 'Updated',
      });
      expect(updated).toMatchObject({priority: 'high', type: 'incident', assignee: other, title: 'Updated', ...(custom ? {fields: {region: 'us'}} : {})});
      expect(updated.fields).not.toHaveProperty('legacy');
      expect(updated.tags.sort()).toEqual(['billing', tag].sort());
      expect((await closeTicket(backend, t.id)).status).toBe('solved');
      expect((await reopenTicket(backend, t.id)).status).toBe('open');
      expect((await backend.tickets.update(t.id, {status: 'closed'})).status).toBe('closed');
      await expect(reopenTicket(backend, t.id)).rejects.toBeInstanceOf(RejectedError);
      expect((await listTickets(backend, {tags: [tag], assignee: other})).tickets).toHaveLength(1);
    });

    it('keeps comments in order, public and internal', async (ctx) => {
      need(ctx, 'comments', 'internal-comments');
      const t = await createTicket(backend, {title: 'Talk', body: 'x'});
      await commentOnTicket(backend, t.id, {body: 'First, public.'});
      const view = await commentOnTicket(backend, t.id, {body: 'Second, internal.', internal: true});
      expect(view.comments.map((c) => [c.body, c.public, c.author, c.authorRole])).toEqual([
        ['First, public.', true, me, 'agent'],
        ['Second, internal.', false, me, 'agent'],
      ]);
      expect((await viewTicket(backend, t.id)).comments).toEqual(view.comments);
    });

    it('stores an attachment streamed from disk with its size and sha256', async (ctx) => {
      need(ctx, 'attachments');
      const path = join(target.scratch, `report-${randomUUID().slice(0, 6)}.log`);
      const content = Buffer.alloc(300_000, 'log line\n');
      writeFileSync(path, content);
      const t = await createTicket(backend, {title: 'With a file', body: 'See attached.', attachments: [path]});
      expect(t.attachments).toHaveLength(1);
      expect(t.attachments[0]).toMatchObject({
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        contentType: 'text/plain',
        ticketId: t.id,
      });
      expect((await backend.tickets.get(t.id)).attachments).toEqual(t.attachments);
      await expect(backend.tickets.attach('999999', await fileAttachmentSource(path))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('records the history of a ticket, oldest first', async (ctx) => {
      need(ctx, 'events');
      const t = await createTicket(backend, {title: 'History', body: 'x'});
      await updateTicket(backend, t.id, {status: 'pending'});
      await commentOnTicket(backend, t.id, {body: 'Note.'});
      const events = await backend.tickets.events(t.id);
      expect(events.map((e) => e.type)).toEqual(['created', 'status_changed', 'comment']);
      expect(events[1]!.data).toMatchObject({from: 'new', to: 'pending'});
      expect(events.every((e) => e.ticketId === t.id && e.actor === me)).toBe(true);
    });

    describe('knowledge base', () => {
      it('has a knowledge base and says so', (ctx) => {
        need(ctx, 'kb');
        expect(backend.kb).toBeDefined();
      });

      it('creates an article by slug, leaves an identical one unchanged and updates a changed one', async (ctx) => {
        need(ctx, 'kb', 'kb-write');
        const word = uniqueWord();
        const slug = `conf-${word}`;
        const article = {slug, title: `Reset the ${word} cache`, body: `Delete the ${word} folder, then restart.\n`, tags: ['Cache', 'howto'], locale: 'en' as const};
        expect(await target.kbWriter!.kb!.upsert([article])).toEqual([{slug, outcome: 'created'}]);
        expect(await target.kbWriter!.kb!.upsert([article])).toEqual([{slug, outcome: 'unchanged'}]);
        expect(await target.kbWriter!.kb!.upsert([{...article, body: `Remove the ${word} folder.\n`}])).toEqual([{slug, outcome: 'updated'}]);
        const bySlug = await backend.kb!.get(slug);
        expect(bySlug).toMatchObject({slug, title: article.title, body: `Remove the ${word} folder.\n`, tags: ['cache', 'howto'], locale: 'en'});
        expect(Date.parse(bySlug.updatedAt)).not.toBeNaN();
        expect(await backend.kb!.get(bySlug.id)).toEqual(bySlug);
      });

      it('finds an article with a ranked hit, its snippet marking the matched word', async (ctx) => {
        need(ctx, 'kb');
        if (!backend.capabilities.has('kb-write') && !target.seedArticles) ctx.skip('no way to put articles into this knowledge base');
        const word = uniqueWord();
        const a = {title: `Configure ${word}`, body: `Set the ${word} option in the settings.`, tags: ['setup'], locale: 'en' as const};
        const b = {title: 'Unrelated title', body: `Sometimes ${word} is mentioned here.`, tags: ['misc'], locale: 'de' as const};
        if (backend.capabilities.has('kb-write')) await target.kbWriter!.kb!.upsert([{slug: `a-${word}`, ...a}, {slug: `b-${word}`, ...b}]);
        else await target.seedArticles!([a, b]);
        const hits = await backend.kb!.search({text: `${word} `, limit: 10});
        const filters = target.kbFilters !== false;
        expect(hits.map((h) => h.title)).toEqual([a.title, b.title]);
        expect(hits[0]).toMatchObject({title: `Configure ${word}`, ...(filters ? {locale: 'en', tags: ['setup']} : {})});
        expect(hits[0]!.url === null || typeof hits[0]!.url === 'string').toBe(true);
        expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
        expect(hits[0]!.snippet).toContain(MATCH_START);
        expect(stripMatchMarks(hits[0]!.snippet)).toContain(`Set the ${word} option`);
        if (filters) {
          expect((await backend.kb!.search({text: `${word} `, limit: 10, locale: 'de'})).map((h) => h.title)).toEqual([b.title]);
          expect((await backend.kb!.search({text: `${word} `, limit: 10, tags: ['setup']})).map((h) => h.title)).toEqual([a.title]);
        }
        expect(await backend.kb!.search({text: `${word} `, limit: 1})).toHaveLength(1);
        // The id of a hit opens the article.
        expect((await backend.kb!.get(hits[0]!.id)).title).toBe(a.title);
      });

      it('treats query syntax in user input as text and finds nothing for stop words', async (ctx) => {
        need(ctx, 'kb');
        for (const text of ['"unbalanced', 'NEAR(a b)', 'a* OR -b', 'title: x', '(((', '^$%&']) {
          await expect(backend.kb!.search({text, limit: 5})).resolves.toBeInstanceOf(Array);
        }
        expect(await backend.kb!.search({text: 'the and of', limit: 5})).toEqual([]);
      });

      it('answers NotFoundError for an article that does not exist', async (ctx) => {
        need(ctx, 'kb');
        await expect(backend.kb!.get('999999')).rejects.toBeInstanceOf(NotFoundError);
        await expect(backend.kb!.get('no-such-article-anywhere')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('lists changes after a cursor, deletions included, page by page', async (ctx) => {
        need(ctx, 'kb', 'kb-write', 'kb-sync');
        let cursor: string | undefined;
        for (;;) {
          const page = await backend.kb!.changes(cursor);
          cursor = page.cursor;
          if (!page.more) break;
        }
        const word = uniqueWord();
        await target.kbWriter!.kb!.upsert([
          {slug: `c1-${word}`, title: 'One', body: 'First.', locale: 'en'},
          {slug: `c2-${word}`, title: 'Two', body: 'Second.', locale: 'de'},
        ]);
        const after = await backend.kb!.changes(cursor);
        // One upsert call may send its articles at once (the rest backend does): either order is a history.
        expect(after.articles.map((a) => a.slug).sort()).toEqual([`c1-${word}`, `c2-${word}`]);
        expect(after.deleted).toEqual([]);
        expect(after.more).toBe(false);
        const unchanged = await backend.kb!.changes(after.cursor);
        expect(unchanged).toEqual({articles: [], deleted: [], cursor: after.cursor, more: false});

        const gone = await backend.kb!.get(`c1-${word}`);
        await target.kbWriter!.kb!.delete(`c1-${word}`);
        await expect(backend.kb!.get(`c1-${word}`)).rejects.toBeInstanceOf(NotFoundError);
        const deleted = await backend.kb!.changes(after.cursor);
        expect(deleted.articles).toEqual([]);
        expect(deleted.deleted).toEqual([{id: gone.id, slug: `c1-${word}`, deletedAt: expect.any(String)}]);
      });

      it('kb sync copies the knowledge base for offline search, and the next sync drops what left it', async (ctx) => {
        need(ctx, 'kb', 'kb-sync');
        if (backend.kind === 'local') ctx.skip('the local backend is its own offline copy: kb sync is for remote profiles');
        const canWrite = backend.capabilities.has('kb-write');
        if (!canWrite && !(target.seedArticles && target.removeArticle)) ctx.skip('no way to put articles into this knowledge base and take them out');
        const word = uniqueWord();
        const one = {title: `Offline ${word} one`, body: `Keep the ${word} cable dry.`, tags: [], locale: 'en' as const};
        const two = {title: `Offline ${word} two`, body: `Replace the ${word} fuse.`, tags: [], locale: 'en' as const};
        if (canWrite) await target.kbWriter!.kb!.upsert([{slug: `o1-${word}`, ...one}, {slug: `o2-${word}`, ...two}]);
        else await target.seedArticles!([one, two]);
        // The offline copy, as `support kb sync` makes it: a real SQLite file of its own.
        const {openKbCache} = await import('../../../src/store/embedded/kb/cache.js');
        const {syncKb} = await import('../../../src/services/kb.js');
        const root = join(target.scratch, `kb-copy-${word}`);
        const open = async () => (await openKbCache(root, 'conformance'))!;
        const offline = async () => {
          const copy = (await openKbCache(root))!;
          try {
            return (await copy.search({text: word, limit: 10})).map((h) => h.title).sort();
          } finally {
            copy.close();
          }
        };
        expect((await syncKb(backend, open)).full).toBe(true);
        expect(await offline()).toEqual([one.title, two.title]);
        if (canWrite) await target.kbWriter!.kb!.delete(`o1-${word}`);
        else await target.removeArticle!(one.title);
        expect(await syncKb(backend, open)).toMatchObject({full: false, created: 0, updated: 0, deleted: 1});
        expect(await offline()).toEqual([two.title]);
      });

      it('refuses an article that is not valid', async (ctx) => {
        need(ctx, 'kb', 'kb-write');
        await expect(target.kbWriter!.kb!.upsert([{slug: 'Not A Slug', title: 'x', body: 'y', locale: 'en'}])).rejects.toThrow();
      });
    });
  });
}
