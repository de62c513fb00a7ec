import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {openServerStore} from '../../src/server/store/open.js';
import type {Actor, ServerStore} from '../../src/server/store/store.js';
import {testDatabaseUrl} from '../helpers/postgres.js';
import {sandbox, type Sandbox} from '../helpers.js';

/**
 * The store interface itself, where no route of protocol 1.0 shows it yet: the change feed
 * across tickets and the ticket version. Runs on SQLite, and on PostgreSQL in that project.
 */
let dirs: Sandbox;
let store: ServerStore;
let agent: Actor;
let customer: Actor;

beforeAll(async () => {
  dirs = sandbox();
  store = await openServerStore({dataDir: join(dirs.dir, 'server'), databaseUrl: await testDatabaseUrl()});
  const a = await store.tokens.create('alice', 'agent');
  const c = await store.tokens.create('carol', 'customer');
  agent = {id: a.principalId, name: a.name, role: 'agent'};
  customer = {id: c.principalId, name: c.name, role: 'customer'};
});

afterAll(async () => {
  await store?.close();
  dirs?.cleanup();
});

describe(`the server store`, () => {
  it('gives every ticket’s events as one feed, page by page, each once, and only a customer’s own to them', async () => {
    const start = (await store.events.after(undefined, 100_000)).cursor;
    const mine = (await store.tickets.create(customer, {title: 'Mine', body: 'x'})).ticket;
    const other = (await store.tickets.create(agent, {title: 'Theirs', body: 'y'})).ticket;
    await store.tickets.comment(agent, mine.id, {body: 'Looking', public: true});
    await store.tickets.update(agent, other.id, {status: 'open', priority: 'high'});
    const pages = [];
    let cursor = start;
    for (;;) {
      const page = await store.events.after(cursor, 2);
      if (page.events.length === 0) {
        expect(page.cursor).toBe(cursor);
        break;
      }
      pages.push(page.events);
      cursor = page.cursor;
    }
    expect(pages.every((p) => p.length <= 2)).toBe(true);
    expect(pages.flat().map((e) => [e.ticketId, e.type])).toEqual([
      [mine.id, 'created'],
      [other.id, 'created'],
      [mine.id, 'comment'],
      [other.id, 'status_changed'],
      [other.id, 'updated'],
    ]);
    const theirs = await store.events.after(start, 100, {requesterId: customer.id});
    expect(theirs.events.map((e) => [e.ticketId, e.type])).toEqual([
      [mine.id, 'created'],
      [mine.id, 'comment'],
    ]);
  });

  it('counts a ticket’s versions: one more on every change', async () => {
    const {ticket} = await store.tickets.create(agent, {title: 'Versions', body: 'v'});
    expect(ticket.version).toBe(1);
    expect((await store.tickets.update(agent, ticket.id, {priority: 'low'})).version).toBe(2);
    await store.tickets.comment(agent, ticket.id, {body: 'c'});
    expect((await store.tickets.get(ticket.id)).version).toBe(3);
  });
});
