import {existsSync, readdirSync} from 'node:fs';
import {request} from 'node:http';
import {connect} from 'node:net';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {MAX_JSON_DEPTH} from '../../src/server/json-body.js';
import {api, expectProblem, type ApiResponse} from '../helpers/api.js';
import {specViolations} from '../helpers/spec.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
let alice: string;
const log: string[] = [];

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir, {log: (line) => log.push(line)});
  alice = await server.token('agent', 'alice');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

/** Exactly these bytes as the body, over node:http: no client library in between re-encodes them. */
function sendBytes(method: string, path: string, body: Buffer): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), {
      method,
      headers: {authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'content-length': String(body.length)},
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
        expect(await specViolations(method, path, res.statusCode!, headers.get('content-type') ?? '', text)).toEqual([]);
        resolve({status: res.statusCode!, headers, text, json: JSON.parse(text)});
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `depth` levels of objects and arrays: the ticket (1), its fields (2), then arrays. */
const nested = (depth: number) => Buffer.from(`{"title":"deep","body":"x","fields":{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`);

const ticketCount = async () => (await api(server.url, 'GET', '/v1/tickets?limit=1000', {token: alice})).json.tickets.length as number;

const stackLines = () => log.filter((line) => /^\s+at /m.test(line) || /RangeError|Maximum call stack/.test(line));

describe('a JSON body the server cannot take is a 400, never a 500', () => {
  it(`takes ${MAX_JSON_DEPTH} levels of nesting and refuses more with a validation problem`, async () => {
    expect((await sendBytes('POST', '/v1/tickets', nested(MAX_JSON_DEPTH))).status).toBe(201);
    const before = await ticketCount();
    for (const depth of [MAX_JSON_DEPTH + 1, 10_000, 900_000]) {
      const res = await sendBytes('POST', '/v1/tickets', nested(depth));
      expectProblem(res, 400, 'validation');
      expect(res.json.detail).toBe(`The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`);
      expect(res.json.errors).toEqual([{location: 'body', path: '', message: `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`}]);
    }
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 't', body: 'b'}})).json.id;
    const patch = Buffer.from(`{"fields":{"x":${'{"y":'.repeat(5000)}1${'}'.repeat(5000)}}}`);
    expectProblem(await sendBytes('PATCH', `/v1/tickets/${ticket}`, patch), 400, 'validation');
    expect(await ticketCount()).toBe(before + 1);
    expect(stackLines()).toEqual([]);
    expect(log.filter((line) => line.startsWith('error '))).toEqual([]);
  });

  it('refuses a body that is not UTF-8, and a string with half a surrogate pair, storing nothing', async () => {
    const before = await ticketCount();
    const latin1 = Buffer.concat([Buffer.from('{"title":"Caf'), Buffer.from([0xe9]), Buffer.from('","body":"x"}')]);
    const invalid = await sendBytes('POST', '/v1/tickets', latin1);
    expectProblem(invalid, 400, 'malformed-json');
    expect(invalid.json.detail).toBe('The request body is not valid UTF-8.');
    expectProblem(await sendBytes('POST', '/v1/tickets', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'malformed-json');
    const lone = await sendBytes('POST', '/v1/tickets', Buffer.from('{"title":"half \\ud83d pair","body":"x"}'));
    expectProblem(lone, 400, 'validation');
    expect(lone.json.errors).toEqual([{location: 'body', path: '/title', message: expect.stringContaining('unpaired UTF-16 surrogate')}]);
    expect(await ticketCount()).toBe(before);
    // A whole pair is a character like any other.
    const emoji = await sendBytes('POST', '/v1/tickets', Buffer.from('{"title":"whole \\ud83d\\ude00 pair","body":"x"}'));
    expect(emoji.json.title).toBe('whole 😀 pair');
  });

  it('answers a path that is not valid UTF-8 with a problem too', async () => {
    const res = await api(server.url, 'GET', '/v1/tickets/%FF', {token: alice, checkSpec: false});
    expectProblem(res, 400, 'validation');
    expect(res.json.detail).toMatch(/not a valid URL/);
  });
});

describe('a client that hangs up', () => {
  /** Sends the head and part of the body, then cuts the connection. */
  const hangUp = (path: string, contentType: string, declared: number, sent: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice}\r\n` +
            `Content-Type: ${contentType}\r\nContent-Length: ${declared}\r\n\r\n`,
        );
        socket.write(Buffer.alloc(sent, 0x20), () => setTimeout(() => socket.resetAndDestroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

  async function logged(path: string): Promise<string[]> {
    for (let i = 0; i < 300 && !log.some((l) => l.startsWith(`POST ${path}`)); i++) await new Promise((r) => setTimeout(r, 10));
    // Anything more about it would have come by now, on the same turn as the first line.
    await new Promise((r) => setTimeout(r, 100));
    return log.filter((l) => l.includes(path));
  }

  it('mid-upload is logged as one line without a stack, and nothing is stored', async () => {
    const ticket = (await api(server.url, 'POST', '/v1/tickets', {token: alice, json: {title: 'upload', body: 'x'}})).json.id;
    const path = `/v1/tickets/${ticket}/attachments?name=cut.bin`;
    log.length = 0;
    await hangUp(path, 'application/octet-stream', 1_000_000, 100_000);
    const lines = await logged(path);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^POST \/v1\/tickets\/\d+\/attachments\?name=cut\.bin aborted [\d.]+ms alice: the client hung up after \d+ of 1000000 bytes; nothing was stored\.$/);
    expect(log.join('\n')).not.toMatch(/\n\s+at |Error/);
    expect((await api(server.url, 'GET', `/v1/tickets/${ticket}`, {token: alice})).json.attachments).toEqual([]);
    const dir = join(dirs.dir, 'server', 'attachments', ticket);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('mid-JSON-body is one line as well', async () => {
    log.length = 0;
    await hangUp('/v1/tickets', 'application/json', 50_000, 1000);
    const lines = await logged('/v1/tickets');
    expect(lines).toEqual([expect.stringMatching(/^POST \/v1\/tickets aborted [\d.]+ms alice: the client hung up before the request was complete\.$/)]);
    expect((await api(server.url, 'GET', '/v1/health')).status).toBe(200);
  });
});
