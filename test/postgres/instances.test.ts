import {randomUUID} from 'node:crypto';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {openServerStore} from '../../src/server/store/open.js';
import type {ServerStore} from '../../src/server/store/store.js';
import type {TicketEvent} from '../../src/domain/ticket.js';
import {api, expectProblem} from '../helpers/api.js';
import {createTestDatabase} from '../helpers/postgres.js';
import {startReceiver, until} from '../helpers/receiver.js';
import {spawnServer, type SpawnedServer} from '../helpers/servers.js';
import {runBin, sandbox, type Sandbox} from '../helpers.js';

/**
 * Three `support serve` processes, as users start them (the built bin), on one PostgreSQL
 * database: they must behave as one server. A client may reach any of them for any request.
 */
// High enough for every other test here (their token counts on all three instances too), low enough to reach.
const RATE_LIMIT = 400;

let dirs: Sandbox;
let databaseUrl: string;
let servers: SpawnedServer[];
let urls: string[];
let admin: string;
let agent: string;

beforeAll(async () => {
  dirs = sandbox();
  databaseUrl = await createTestDatabase();
  servers = await Promise.all(
    [1, 2, 3].map((n) =>
      spawnServer({...dirs.env, SUPPORT_DATABASE_URL: databaseUrl}, ['--data-dir', join(dirs.dir, `instance-${n}`), '--rate-limit', String(RATE_LIMIT), '--quiet']),
    ),
  );
  urls = servers.map((s) => s.url);
  const token = async (role: string, name: string) => {
    const run = await runBin(['serve', 'token', 'create', '--role', role, '--name', name, '--json', '--database', databaseUrl], {env: dirs.env});
    expect(run.exitCode, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as {token: string}).token;
  };
  admin = await token('admin', 'root');
  agent = await token('agent', 'alice');
}, 120_000);

afterAll(async () => {
  for (const s of servers ?? []) s.child.kill('SIGTERM');
  await Promise.all((servers ?? []).map((s) => s.exited));
  dirs?.cleanup();
});

const ticket = (tag: string) => ({title: `Printer on fire ${tag}`, body: 'It smells of toner.', tags: [tag]});
const byTag = async (tag: string) => (await api(urls[0]!, 'GET', `/v1/tickets?tag=${tag}`, {token: agent})).json.tickets as {id: string}[];

describe('three instances on one database', () => {
  it('replay an Idempotency-Key on any instance with the ticket the first one made', async () => {
    const tag = `t-${randomUUID().slice(0, 8)}`;
    const key = randomUUID();
    const answers = [];
    for (const url of urls) answers.push(await api(url, 'POST', '/v1/tickets', {token: agent, json: ticket(tag), headers: {'idempotency-key': key}}));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers.map((a) => a.headers.get('idempotent-replayed'))).toEqual(['false', 'true', 'true']);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    expect(await byTag(tag)).toHaveLength(1);
  });

  it('make one ticket when every instance receives the same key at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const tag = `t-${randomUUID().slice(0, 8)}`;
      const key = randomUUID();
      const answers = await Promise.all(
        [...urls, ...urls].map((url) => api(url, 'POST', '/v1/tickets', {token: agent, json: ticket(tag), headers: {'idempotency-key': key}})),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
      expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
      expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);
      expect(await byTag(tag)).toHaveLength(1);
    }
  });

  it('make one comment of one key sent to every instance at once: the others wait (409) or replay it', async () => {
    const tag = `t-${randomUUID().slice(0, 8)}`;
    const id = (await api(urls[0]!, 'POST', '/v1/tickets', {token: agent, json: ticket(tag)})).json.id as string;
    const key = randomUUID();
    const send = (url: string) => api(url, 'POST', `/v1/tickets/${id}/comments`, {token: agent, json: {body: 'On it.'}, headers: {'idempotency-key': key}});
    const answers = await Promise.all(urls.map(send));
    for (const a of answers) {
      if (a.status === 409) expect(a.headers.get('retry-after')).toBe('1');
      else expect(a.status).toBe(201);
    }
    // Once the first has finished, every instance replays it.
    const again = await Promise.all(urls.map(send));
    expect(again.map((a) => [a.status, a.headers.get('idempotent-replayed')])).toEqual(Array(3).fill([201, 'true']));
    const comments = (await api(urls[2]!, 'GET', `/v1/tickets/${id}/comments`, {token: agent})).json.comments;
    expect(comments).toHaveLength(1);
    expect(new Set([...answers.filter((a) => a.status === 201), ...again].map((a) => a.json.id))).toEqual(new Set([comments[0].id]));
  });

  it('share one rate limit per token: the minute’s requests are counted on all of them together', async () => {
    // Windows are whole minutes: start early in one, so that the count is not cut in two.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const limited = (
      await api(urls[0]!, 'POST', '/v1/tokens', {token: admin, json: {name: `limited-${randomUUID().slice(0, 6)}`, role: 'agent'}})
    ).json.token as string;
    const remaining: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) {
      const res = await api(urls[i % 3]!, 'GET', '/v1/me', {token: limited});
      expect(res.status).toBe(200);
      remaining.push(Number(res.headers.get('ratelimit-remaining')));
    }
    expect(remaining).toEqual([...Array(RATE_LIMIT).keys()].map((i) => RATE_LIMIT - 1 - i));
    for (const url of urls) {
      const refused = await api(url, 'GET', '/v1/me', {token: limited});
      expectProblem(refused, 429, 'rate-limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }, 90_000);

  it('refuse a token on every instance once one of them revoked it', async () => {
    const created = (await api(urls[1]!, 'POST', '/v1/tokens', {token: admin, json: {name: `temp-${randomUUID().slice(0, 6)}`, role: 'agent'}})).json as {id: string; token: string};
    for (const url of urls) expect((await api(url, 'GET', '/v1/me', {token: created.token})).status).toBe(200);
    expect((await api(urls[0]!, 'DELETE', `/v1/tokens/${created.id}`, {token: admin})).status).toBe(204);
    for (const url of urls) expectProblem(await api(url, 'GET', '/v1/me', {token: created.token}), 401, 'unauthorized');
  });

  it('serve an attachment uploaded to one instance from every other', async () => {
    const id = (await api(urls[0]!, 'POST', '/v1/tickets', {token: agent, json: ticket('files')})).json.id as string;
    // Larger than a stored chunk, so that it spans several.
    const bytes = Buffer.alloc(2.5 * 1024 * 1024 + 17, 0);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32LE(i, i);
    const up = await api(urls[1]!, 'POST', `/v1/tickets/${id}/attachments?name=core.dump`, {
      token: agent,
      body: bytes,
      headers: {'content-type': 'application/octet-stream'},
    });
    expect(up.status).toBe(201);
    for (const url of [urls[0]!, urls[2]!]) {
      const res = await fetch(`${url}/v1/tickets/${id}/attachments/${up.json.id}/content`, {headers: {authorization: `Bearer ${agent}`}});
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  it('find an article written on one instance when searching on another, at once', async () => {
    const word = `zq${randomUUID().replace(/[^a-f]/g, '').slice(0, 8)}x`;
    const put = await api(urls[2]!, 'PUT', `/v1/kb/articles/printer-${word}`, {token: admin, json: {title: `Printer ${word}`, body: `Clean the ${word} drum monthly.`, tags: ['printer']}});
    expect(put.status).toBe(201);
    for (const url of urls) {
      const hits = (await api(url, 'GET', `/v1/kb/articles?q=${word}`, {token: agent})).json.hits as {slug: string}[];
      expect(hits.map((h) => h.slug)).toEqual([`printer-${word}`]);
    }
    expect((await api(urls[0]!, 'DELETE', `/v1/kb/articles/printer-${word}`, {token: admin})).status).toBe(204);
    for (const url of urls) expect((await api(url, 'GET', `/v1/kb/articles?q=${word}`, {token: agent})).json.hits).toEqual([]);
  });

  it('write one ordered stream of events: a reader following it while all three write misses none and sees none twice', async () => {
    let store: ServerStore | undefined;
    try {
      store = await openServerStore({dataDir: join(dirs.dir, 'reader'), databaseUrl});
      const start = (await store.events.after(undefined, 1_000_000)).cursor;
      const seen: TicketEvent[] = [];
      let cursor = start;
      let writing = true;
      const reader = (async () => {
        // Follows the feed as a client would, a page at a time, while the writers run.
        for (;;) {
          const done = !writing;
          const page = await store!.events.after(cursor, 7);
          seen.push(...page.events);
          cursor = page.cursor;
          if (done && page.events.length === 0) return;
        }
      })();
      const tag = `t-${randomUUID().slice(0, 8)}`;
      await Promise.all(
        urls.map(async (url, n) => {
          for (let i = 0; i < 8; i++) {
            const id = (await api(url, 'POST', '/v1/tickets', {token: agent, json: ticket(tag)})).json.id as string;
            await api(urls[(n + 1) % 3]!, 'POST', `/v1/tickets/${id}/comments`, {token: agent, json: {body: `note ${i}`}});
            await api(urls[(n + 2) % 3]!, 'PATCH', `/v1/tickets/${id}`, {token: agent, json: {status: 'open'}});
          }
        }),
      );
      writing = false;
      await reader;
      const all = (await store.events.after(start, 1_000_000)).events;
      // 24 tickets, each created, commented and opened (status change and update).
      expect(all.filter((e) => e.type === 'created')).toHaveLength(24);
      // What the reader saw while the writes went on is the whole stream, each event once.
      expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
      // Each ticket's events in the order they happened.
      for (const id of new Set(seen.map((e) => e.ticketId))) {
        expect(seen.filter((e) => e.ticketId === id).map((e) => e.type)).toEqual(['created', 'comment', 'status_changed']);
      }
    } finally {
      await store?.close();
    }
  });

  it('deliver each event to a webhook once, whichever instance wrote it, never two attempts at once, retries included', async () => {
    // The first attempt of every third event fails: those are retried (after the default backoff's first wait, a few seconds).
    const tries = new Map<string, number>();
    const receiver = await startReceiver(({headers}) => {
      const id = String(headers['support-event-id']);
      tries.set(id, (tries.get(id) ?? 0) + 1);
      return Number(id) % 3 === 0 && tries.get(id) === 1 ? 500 : 200;
    });
    try {
      const add = await runBin(['serve', 'webhook', 'add', '--url', receiver.url, '--event', 'created', '--event', 'comment', '--json', '--database', databaseUrl], {env: dirs.env});
      expect(add.exitCode, add.stderr).toBe(0);
      const tag = `t-${randomUUID().slice(0, 8)}`;
      const ids = await Promise.all(
        urls.map(async (url, n) => {
          const made: string[] = [];
          for (let i = 0; i < 6; i++) {
            const id = (await api(url, 'POST', '/v1/tickets', {token: agent, json: ticket(tag)})).json.id as string;
            await api(urls[(n + 1) % 3]!, 'POST', `/v1/tickets/${id}/comments`, {token: agent, json: {body: `note ${i}`}});
            made.push(id);
          }
          return made;
        }),
      );
      const tickets = new Set(ids.flat());
      const accepted = () => receiver.received.filter((r) => r.status === 200 && tickets.has(JSON.parse(r.body).ticketId));
      await until(() => accepted().length === 36, 'every created and comment event of the 18 tickets was accepted', 60_000);
      // Once each: no event id accepted twice, and none attempted by two instances at the same moment.
      const acceptedIds = accepted().map((r) => String(r.headers['support-event-id']));
      expect(new Set(acceptedIds).size).toBe(36);
      expect(receiver.maxOverlap()).toBe(1);
      const retried = acceptedIds.filter((id) => Number(id) % 3 === 0);
      expect(retried.length).toBeGreaterThan(0);
      for (const r of accepted()) expect(r.headers['support-delivery-attempt']).toBe(Number(r.headers['support-event-id']) % 3 === 0 ? '2' : '1');
    } finally {
      await receiver.close();
    }
  }, 90_000);
});
