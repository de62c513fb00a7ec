import {createHmac, timingSafeEqual} from 'node:crypto';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {sandbox, type Sandbox} from '../helpers.js';
import {startReceiver, until, type Received} from '../helpers/receiver.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';

/**
 * Webhooks against receivers on 127.0.0.1: signed deliveries, retries with backoff, the delivery
 * log, and each event accepted once per subscription. The waits are shortened for the tests.
 */
let dirs: Sandbox;
let server: TestServer;
let admin: string;
let agent: string;

const MAX_ATTEMPTS = 4;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {webhooks: {retryBaseMs: 20, retryMaxMs: 200, pollMs: 25, maxAttempts: MAX_ATTEMPTS, timeoutMs: 2000}});
  admin = await server.token('admin', 'root');
  agent = await server.token('agent', 'alice');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

/** What a receiver does with Support-Signature (docs/protocol.md, "Verifying a delivery"). */
function verify(secret: string, header: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(fields.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const addWebhook = async (url: string, extra: Record<string, unknown> = {}) => {
  const res = await api(server.url, 'POST', '/v1/webhooks', {token: admin, json: {url, ...extra}});
  expect(res.status).toBe(201);
  return res.json as {id: string; secret: string};
};

const newTicket = async (title: string) => (await api(server.url, 'POST', '/v1/tickets', {token: agent, json: {title, body: 'b'}})).json.id as string;
const ok = (r: Received) => r.status >= 200 && r.status < 300;

describe('webhook subscriptions', () => {
  it('are admin business: listed, read and removed, never showing the secret again', async () => {
    const hook = await addWebhook('https://hooks.example.com/support', {events: ['created'], description: 'CRM sync'});
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = (await api(server.url, 'GET', '/v1/webhooks', {token: admin})).json.webhooks;
    expect(listed).toContainEqual({id: hook.id, url: 'https://hooks.example.com/support', events: ['created'], description: 'CRM sync', createdAt: expect.any(String)});
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    expect((await api(server.url, 'GET', `/v1/webhooks/${hook.id}`, {token: admin})).json.id).toBe(hook.id);
    expectProblem(await api(server.url, 'GET', '/v1/webhooks', {token: agent}), 403, 'forbidden');
    expectProblem(await api(server.url, 'POST', '/v1/webhooks', {token: agent, json: {url: 'https://x.example'}}), 403, 'forbidden');
    expect((await api(server.url, 'DELETE', `/v1/webhooks/${hook.id}`, {token: admin})).status).toBe(204);
    expectProblem(await api(server.url, 'GET', `/v1/webhooks/${hook.id}`, {token: admin}), 404, 'not-found');
  });

  it('take only http and https URLs without credentials', async () => {
    for (const [url, detail] of [
      ['file:///etc/passwd', 'A webhook URL must be http or https, not file.'],
      ['gopher://127.0.0.1:6379/_FLUSHALL', 'A webhook URL must be http or https, not gopher.'],
      ['https://user:secret@hooks.example.com/', 'A webhook URL may not carry a user name or password.'],
    ]) {
      const res = await api(server.url, 'POST', '/v1/webhooks', {token: admin, json: {url}});
      expectProblem(res, 400, 'validation');
      expect(res.json.detail).toBe(detail);
    }
    const bad = await api(server.url, 'POST', '/v1/webhooks', {token: admin, json: {url: 'https://hooks.example.com', events: ['deleted']}});
    expectProblem(bad, 400, 'validation');
    expect(bad.json.errors[0]).toMatchObject({location: 'body', path: '/events/0'});
  });
});

describe('deliveries', () => {
  it('post each event, signed, with its id, exactly as the feed lists it', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await addWebhook(receiver.url);
      const id = await newTicket('Signed delivery');
      await api(server.url, 'PATCH', `/v1/tickets/${id}`, {token: agent, json: {status: 'open'}});
      await until(() => receiver.received.filter((r) => JSON.parse(r.body).ticketId === id).length === 2, 'the two events of the ticket arrived');

      const feed = (await api(server.url, 'GET', '/v1/events?limit=1000', {token: agent})).json.events.filter((e: {ticketId: string}) => e.ticketId === id);
      const mine = receiver.received.filter((r) => JSON.parse(r.body).ticketId === id);
      expect(mine.map((r) => JSON.parse(r.body))).toEqual(feed);
      for (const r of mine) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['support-event-id']).toBe(JSON.parse(r.body).id);
        expect(r.headers['support-webhook-id']).toBe(hook.id);
        expect(r.headers['support-delivery-attempt']).toBe('1');
        expect(verify(hook.secret, String(r.headers['support-signature']), r.body)).toBe(true);
        // Another secret, another body, or a time outside the window: refused.
        expect(verify('whsec_wrong', String(r.headers['support-signature']), r.body)).toBe(false);
        expect(verify(hook.secret, String(r.headers['support-signature']), `${r.body} `)).toBe(false);
        expect(verify(hook.secret, String(r.headers['support-signature']), r.body, Math.floor(Date.now() / 1000) + 301)).toBe(false);
      }
      const deliveredOf = async () => ((await api(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries`, {token: admin})).json.deliveries as {ticketId: string; state: string}[]).filter((d) => d.ticketId === id && d.state === 'delivered');
      await until(async () => (await deliveredOf()).length === 2, 'the log records both deliveries');
      const log = (await api(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries`, {token: admin})).json.deliveries;
      expect(log.filter((d: {ticketId: string}) => d.ticketId === id).map((d: {state: string; attempts: number; lastStatus: number}) => [d.state, d.attempts, d.lastStatus])).toEqual([
        ['delivered', 1, 200],
        ['delivered', 1, 200],
      ]);
      await api(server.url, 'DELETE', `/v1/webhooks/${hook.id}`, {token: admin});
    } finally {
      await receiver.close();
    }
  });

  it('retry a failed attempt with backoff until the receiver takes it, each event accepted once and never attempted twice at once', async () => {
    // Every event fails its first two attempts.
    const attemptsOf = new Map<string, number>();
    const receiver = await startReceiver(({headers}) => {
      const id = String(headers['support-event-id']);
      attemptsOf.set(id, (attemptsOf.get(id) ?? 0) + 1);
      return attemptsOf.get(id)! <= 2 ? 503 : 204;
    });
    try {
      const hook = await addWebhook(receiver.url, {events: ['created']});
      const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => newTicket(`Retry ${n}`)));
      await until(() => receiver.received.filter(ok).length === 5, 'every event was accepted');
      const accepted = receiver.received.filter(ok).map((r) => JSON.parse(r.body).ticketId as string);
      expect(accepted.sort()).toEqual([...ids].sort());
      expect(receiver.received.map((r) => r.headers['support-delivery-attempt']).sort()).toEqual([...Array(5).fill('1'), ...Array(5).fill('2'), ...Array(5).fill('3')]);
      expect(receiver.maxOverlap()).toBe(1);
      // The receiver has answered; the server records each answer just after it.
      const deliveries = async () => (await api(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries`, {token: admin})).json.deliveries as Record<string, unknown>[];
      await until(async () => (await deliveries()).filter((d) => d.state === 'delivered').length === 5, 'the log records every delivery');
      const log = await deliveries();
      expect(log).toHaveLength(5);
      for (const d of log) expect(d).toMatchObject({state: 'delivered', attempts: 3, lastStatus: 204, lastError: null, nextAttemptAt: null});
      await api(server.url, 'DELETE', `/v1/webhooks/${hook.id}`, {token: admin});
    } finally {
      await receiver.close();
    }
  });

  it('give up after the last attempt, and say why in the log; a redirect is a failure, not followed', async () => {
    const receiver = await startReceiver(({body}) => (JSON.parse(body).data.status === 'new' ? 500 : {status: 302, location: 'http://127.0.0.1:1/elsewhere'}));
    try {
      const hook = await addWebhook(receiver.url, {events: ['created', 'status_changed']});
      const id = await newTicket('Never taken');
      await api(server.url, 'PATCH', `/v1/tickets/${id}`, {token: agent, json: {status: 'open'}});
      const failed = async () => (await api(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries?state=failed`, {token: admin})).json.deliveries as Record<string, unknown>[];
      await until(async () => (await failed()).length === 2, 'both deliveries failed');
      const log = await failed();
      expect(log.map((d) => [d.eventType, d.attempts, d.lastStatus, d.lastError])).toEqual([
        ['status_changed', MAX_ATTEMPTS, 302, 'the receiver redirected (302); deliveries do not follow redirects'],
        ['created', MAX_ATTEMPTS, 500, 'the receiver answered 500'],
      ]);
      expect(receiver.received).toHaveLength(2 * MAX_ATTEMPTS);
      expect((await api(server.url, 'GET', `/v1/webhooks/${hook.id}/deliveries?state=pending`, {token: admin})).json.deliveries).toEqual([]);
      await api(server.url, 'DELETE', `/v1/webhooks/${hook.id}`, {token: admin});
    } finally {
      await receiver.close();
    }
  });

  it('stop for a removed subscription', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await addWebhook(receiver.url);
      await newTicket('Before removal');
      await until(() => receiver.received.length === 1, 'the first event arrived');
      await api(server.url, 'DELETE', `/v1/webhooks/${hook.id}`, {token: admin});
      // A subscription added after it still gets the next event: by then the removed one has had its chance.
      const witness = await startReceiver();
      try {
        await addWebhook(witness.url);
        await newTicket('After removal');
        await until(() => witness.received.length === 1, 'the witness got the next event');
        expect(receiver.received).toHaveLength(1);
      } finally {
        await witness.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
