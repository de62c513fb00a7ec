import {createHash, randomBytes} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import type {IncomingMessage} from 'node:http';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import DiagAttach from '../../src/commands/diag/attach.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import type {Ticket, TicketWithComments} from '../../src/domain/ticket.js';
import {createRestBackend} from '../../src/backends/rest/index.js';
import {attachBundle} from '../../src/services/diag.js';
import {api} from '../helpers/api.js';
import {startFaultProxy, startTestServer, type Fault, type FaultProxy, type TestServer} from '../helpers/servers.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

/**
 * One logical operation, one owner of its retries, one idempotency key: `diag attach`,
 * `ticket create` (with --attach) and `ticket comment` through a fault-injecting proxy on
 * 127.0.0.1 in front of a real `support serve`. Attempts are counted where they arrive; what was
 * made is read back from the server.
 */

let box: Sandbox;
let server: TestServer;
let token: string;
let bundle: string;
let bundleSha: string;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  box = sandbox();
  server = await startTestServer(box.dir);
  token = await server.token('agent', 'alice');
  // A gzip of incompressible bytes: a bundle-sized upload that a proxy can cut in the middle.
  const bytes = gzipSync(randomBytes(1024 * 1024));
  bundle = join(box.dir, 'support-bundle.tar.gz');
  writeFileSync(bundle, bytes);
  bundleSha = createHash('sha256').update(bytes).digest('hex');
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await server.close();
  box.cleanup();
});

const isUpload = (req: IncomingMessage) => req.method === 'POST' && /\/attachments\?/.test(req.url!);
const isCreate = (req: IncomingMessage) => req.method === 'POST' && req.url === '/v1/tickets';
const isComment = (req: IncomingMessage) => req.method === 'POST' && /\/comments$/.test(req.url!);

/** The n-th request that matches gets faults[n - 1]; everything else goes through. */
function scripted(...rules: [(req: IncomingMessage) => boolean, Fault[]][]) {
  const counts = rules.map(() => 0);
  return (req: IncomingMessage): Fault => {
    const i = rules.findIndex(([match]) => match(req));
    if (i < 0) return {kind: 'forward'};
    return rules[i]![1][counts[i]!++] ?? {kind: 'forward'};
  };
}

async function proxy(plan: (req: IncomingMessage, n: number) => Fault): Promise<FaultProxy> {
  const p = await startFaultProxy(server.url, plan);
  proxies.push(p);
  return p;
}

/** The requests a matcher picks out, with the Idempotency-Key each carried. */
const sent = (p: FaultProxy, pattern: RegExp) => p.keys.filter((_, i) => pattern.test(p.seen[i]!));

const support = <T>(command: Parameters<typeof runCommand>[0], argv: string[], via: FaultProxy) =>
  runCommand<T>(command, argv, {env: {...box.env, SUPPORT_BACKEND: 'rest', SUPPORT_URL: via.url, SUPPORT_TOKEN: token}});

async function newTicket(title: string): Promise<string> {
  return (await api(server.url, 'POST', '/v1/tickets', {token, json: {title, body: 'x'}, checkSpec: false})).json.id as string;
}

const onServer = async (id: string) => (await api(server.url, 'GET', `/v1/tickets/${id}`, {token, checkSpec: false})).json as Ticket;

const UPLOAD = /^POST \/v1\/tickets\/\d+\/attachments/;

describe('diag attach over a flaky network', () => {
  it('a cut upload, a 503 and a lost answer make one attachment: four attempts, one key', async () => {
    const id = await newTicket('Flaky attach');
    const via = await proxy(scripted([isUpload, [{kind: 'forward-then-reset', bytes: 256 * 1024}, {kind: 'respond', status: 503}, {kind: 'commit-then-drop'}]]));
    const r = await support<{attempts: number; sha256: string}>(DiagAttach, [bundle, '--ticket', id, '--json'], via);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson(r.stdout)).toMatchObject({attempts: 4, sha256: bundleSha, attachment: {sha256: bundleSha}});
    const uploads = sent(via, UPLOAD);
    expect(uploads).toHaveLength(4);
    expect(new Set(uploads).size).toBe(1);
    expect(uploads[0]).toMatch(/^[0-9a-f-]{36}$/);
    const {attachments} = await onServer(id);
    expect(attachments.map((a) => a.sha256)).toEqual([bundleSha]);
  });

  it('a network that never answers: at most five uploads (not 25), exit 7 in one sentence, one attachment', async () => {
    const id = await newTicket('Dead network');
    const via = await proxy((req) => (isUpload(req) ? {kind: 'commit-then-drop'} : {kind: 'forward'}));
    const r = await support(DiagAttach, [bundle, '--ticket', id], via);
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toMatch(/Could not reach 127\.0\.0\.1:\d+: ECONNRESET \(5 attempts\)\./);
    expect(r.stderr).not.toMatch(/Unexpected error|\n\s+at /);
    const uploads = sent(via, UPLOAD);
    expect(uploads).toHaveLength(5);
    expect(new Set(uploads).size).toBe(1);
    // The first attempt was stored; the four after it were replayed, not stored again.
    expect((await onServer(id)).attachments).toHaveLength(1);
  });

  it('says on stderr which attempt failed and that the upload starts again, under the same key', async () => {
    const id = await newTicket('Noted retry');
    const via = await proxy(scripted([isUpload, [{kind: 'reset-after', bytes: 64 * 1024}]]));
    const r = await support(DiagAttach, [bundle, '--ticket', id], via);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Upload of support-bundle.tar.gz: attempt 1 of 5 failed (ECONNRESET); sending it again from the start');
    expect((await onServer(id)).attachments).toHaveLength(1);
  });

  it('reports progress from 0 again on each attempt, never past the size, ending at the size', async () => {
    const id = await newTicket('Progress');
    const via = await proxy(scripted([isUpload, [{kind: 'reset-after', bytes: 512 * 1024}, {kind: 'respond', status: 503}]]));
    const backend = await createRestBackend({
      profile: 'progress',
      url: via.url,
      token: async () => token,
      dataDir: box.env.SUPPORT_DATA_DIR,
      cacheDir: box.env.SUPPORT_CACHE_DIR,
      identity: {name: 'alice', role: 'agent'},
      http: {sleep: async () => {}},
    });
    const progress: [number, number][] = [];
    const retries: number[] = [];
    try {
      const result = await attachBundle(backend, id, bundle, {onProgress: (s, t) => progress.push([s, t]), onRetry: (e) => retries.push(e.attempt)});
      expect(result.attempts).toBe(3);
      const size = progress[0]![1];
      const starts = progress.map(([s], i) => (s === 0 ? i : -1)).filter((i) => i >= 0);
      expect(starts).toHaveLength(3);
      // The cut attempt got part of the way before it started again from 0.
      expect(Math.max(...progress.slice(0, starts[1]).map(([s]) => s))).toBeGreaterThan(0);
      expect(progress.every(([s, t]) => s <= t && t === size)).toBe(true);
      expect(progress.at(-1)).toEqual([size, size]);
      expect(retries).toEqual([1, 2]);
    } finally {
      await backend.close();
    }
  });
});

describe('ticket create and comment over a flaky network', () => {
  it('ticket create --attach: a lost answer and a 503 on the create, a reset upload: one ticket, one attachment', async () => {
    const via = await proxy(
      scripted([isCreate, [{kind: 'commit-then-drop'}, {kind: 'respond', status: 503}]], [isUpload, [{kind: 'reset-after', bytes: 128 * 1024}]]),
    );
    const r = await support<Ticket>(TicketCreate, ['--title', 'Flaky create', '--body', 'x', '--tag', 'flaky-create', '--attach', bundle, '--json'], via);
    expect(r.exitCode, r.stderr).toBe(0);
    const creates = sent(via, /^POST \/v1\/tickets$/);
    expect(creates).toHaveLength(3);
    expect(new Set(creates).size).toBe(1);
    const uploads = sent(via, UPLOAD);
    expect(uploads).toHaveLength(2);
    expect(new Set(uploads).size).toBe(1);
    expect(uploads[0]).not.toBe(creates[0]);
    const listed = (await api(server.url, 'GET', '/v1/tickets?tag=flaky-create', {token, checkSpec: false})).json.tickets as Ticket[];
    expect(listed).toHaveLength(1);
    expect((await onServer(listed[0]!.id)).attachments.map((a) => a.sha256)).toEqual([bundleSha]);
  });

  it('ticket comment: a lost answer is retried with the same key, and the comment is posted once', async () => {
    const id = await newTicket('Flaky comment');
    const via = await proxy(scripted([isComment, [{kind: 'commit-then-drop'}, {kind: 'respond', status: 502}]]));
    const r = await support<TicketWithComments>(TicketComment, [id, '--body', 'Said once.', '--json'], via);
    expect(r.exitCode, r.stderr).toBe(0);
    const posts = sent(via, /^POST .*\/comments$/);
    expect(posts).toHaveLength(3);
    expect(new Set(posts).size).toBe(1);
    const comments = (await api(server.url, 'GET', `/v1/tickets/${id}/comments`, {token, checkSpec: false})).json.comments as {body: string}[];
    expect(comments.map((c) => c.body)).toEqual(['Said once.']);
  });
});
