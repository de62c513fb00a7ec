import {createHash} from 'node:crypto';
import {existsSync, readdirSync} from 'node:fs';
import {request, type ClientRequest, type IncomingMessage} from 'node:http';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
let alice: string;
let dave: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir);
  alice = await server.token('agent', 'alice');
  dave = await server.token('agent', 'dave');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  json: any;
}

/** An upload over its own connection, whose body the test writes when it likes. */
function openUpload(ticket: string, name: string, key: string, length: number): {req: ClientRequest; answer: Promise<Answer>} {
  const url = new URL(`/v1/tickets/${ticket}/attachments?name=${encodeURIComponent(name)}`, server.url);
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: {authorization: `Bearer ${alice}`, 'content-type': 'application/octet-stream', 'content-length': String(length), 'idempotency-key': key},
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode!, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8'))}));
    });
    req.on('error', reject);
  });
  return {req, answer};
}

/** Uploads still streaming in: partial files beside the SQLite store, unfinished blobs in PostgreSQL. */
const incoming = async (ticket: string): Promise<string[]> => {
  if (server.databaseUrl) {
    const {default: pg} = await import('pg');
    const client = new pg.Client({connectionString: server.databaseUrl});
    await client.connect();
    try {
      return (await client.query<{id: string}>('SELECT id FROM attachment_blobs WHERE NOT complete')).rows.map((r) => r.id);
    } finally {
      await client.end();
    }
  }
  const dir = join(dirs.dir, 'server', 'attachments', ticket);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.incoming-')) : [];
};

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
  if (!(await check())) throw new Error(`Gave up waiting until ${what}.`);
}

const newTicket = async (token = alice) => (await api(server.url, 'POST', '/v1/tickets', {token, json: {title: 'Uploads', body: 'x'}})).json.id as string;
const attachments = async (ticket: string) => (await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: alice})).json.attachments as {id: string; sha256: string}[];

describe('two uploads with one Idempotency-Key make one attachment', () => {
  it('answers 409 with Retry-After to the second while the first is still streaming, then replays the first', async () => {
    const ticket = await newTicket();
    const bytes = Buffer.alloc(512 * 1024, 'bundle bytes\n');
    const key = 'upload-key-0001';
    const first = openUpload(ticket, 'bundle.tar.gz', key, bytes.length);
    first.req.write(bytes.subarray(0, 64 * 1024));
    // The first upload is on disk, half sent, when the second arrives with the same key.
    await until('the first upload streams into the store', async () => (await incoming(ticket)).length === 1);
    const second = openUpload(ticket, 'bundle.tar.gz', key, bytes.length);
    second.req.end(bytes);
    const refused = await second.answer;
    expect(refused.status).toBe(409);
    expect(refused.json.type).toBe('urn:supportkit:problem:conflict');
    expect(refused.headers['retry-after']).toBe('1');
    first.req.end(bytes.subarray(64 * 1024));
    const stored = await first.answer;
    expect(stored.status).toBe(201);
    expect(stored.json.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(stored.headers['idempotent-replayed']).toBe('false');

    // The client retries the refused one after Retry-After: it gets the first answer.
    const retried = await api(server.url, 'POST', `/v1/tickets/${ticket}/attachments?name=bundle.tar.gz`, {
      token: alice,
      body: bytes,
      headers: {'content-type': 'application/octet-stream', 'idempotency-key': key},
    });
    expect(retried.status).toBe(201);
    expect(retried.json).toEqual(stored.json);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect((await attachments(ticket)).map((a) => a.id)).toEqual([stored.json.id]);
    expect(await incoming(ticket)).toEqual([]);
  });

  it('makes one attachment of two uploads sent at the same moment', async () => {
    const ticket = await newTicket();
    const bytes = Buffer.alloc(2 * 1024 * 1024, 'diag\n');
    const send = () =>
      api(server.url, 'POST', `/v1/tickets/${ticket}/attachments?name=diag.tar.gz`, {
        token: alice,
        body: bytes,
        headers: {'content-type': 'application/octet-stream', 'idempotency-key': 'upload-key-0002'},
      });
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.status).sort()).toEqual(answers.some((a) => a.status === 409) ? [201, 409] : [201, 201]);
    expect(await attachments(ticket)).toHaveLength(1);
  });

  it('refuses the same key with other bytes or another name (422), as for JSON requests', async () => {
    const ticket = await newTicket();
    const headers = {'content-type': 'text/plain', 'idempotency-key': 'upload-key-0003'};
    const path = `/v1/tickets/${ticket}/attachments`;
    expect((await api(server.url, 'POST', `${path}?name=a.log`, {token: alice, body: 'first file', headers})).status).toBe(201);
    const otherBytes = await api(server.url, 'POST', `${path}?name=a.log`, {token: alice, body: 'second file', headers});
    expectProblem(otherBytes, 422, 'idempotency-key-reused');
    expect(otherBytes.json.detail).toBe('This Idempotency-Key was already used for a different upload.');
    expectProblem(await api(server.url, 'POST', `${path}?name=b.log`, {token: alice, body: 'first file', headers}), 422, 'idempotency-key-reused');
    expect(await attachments(ticket)).toHaveLength(1);
    // Keys are their caller's: dave's same key is dave's own upload.
    expect((await api(server.url, 'POST', `${path}?name=a.log`, {token: dave, body: 'first file', headers})).status).toBe(201);
    expect(await attachments(ticket)).toHaveLength(2);
  });
});
