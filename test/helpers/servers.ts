import {spawn, type ChildProcess} from 'node:child_process';
import {request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';

import {startServer, type ListenOptions, type RunningServer} from '../../src/server/app.js';
import type {TokenRole} from '../../src/server/store/store.js';
import {BIN, childEnv} from '../helpers.js';
import {testDatabaseUrl} from './postgres.js';
import {specViolations} from './spec.js';

export interface TestServer extends RunningServer {
  /** A new token's secret. */
  token(role: TokenRole, name: string): Promise<string>;
  /** The PostgreSQL database of the server, when it runs on one. */
  databaseUrl?: string | undefined;
}

/**
 * A real `support serve` in this process, on a free loopback port, over its own directory; on
 * a fresh PostgreSQL database of its own when the tests run on PostgreSQL (test/helpers/postgres.ts).
 */
export async function startTestServer(root: string, options: Partial<ListenOptions> = {}): Promise<TestServer> {
  // `databaseUrl: undefined` asks for SQLite whatever the project.
  const databaseUrl = 'databaseUrl' in options ? options.databaseUrl : await testDatabaseUrl();
  const server = await startServer({dataDir: join(root, 'server'), host: '127.0.0.1', port: 0, rateLimit: 0, databaseUrl, ...options});
  return {...server, databaseUrl, token: async (role, name) => (await server.store.tokens.create(name, role)).token};
}

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number>;
}

/**
 * `support serve` as a user starts it: the built binary in a child process on a free loopback
 * port, with the test's environment (a sandbox's env, say) on top of the file's clean one.
 */
export async function spawnServer(env: Record<string, string | undefined>, args: string[]): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve(line.trim());
    });
    child.on('close', () => reject(new Error(`support serve exited: ${stderr}`)));
  });
  return {url, child, stderr: () => stderr, exited};
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sends the request on to the target, body streamed, and hands back the full response. */
function forward(target: string, req: IncomingMessage): Promise<{status: number; headers: IncomingMessage['headers']; body: Buffer}> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url!, target);
    const out = httpRequest(url, {method: req.method, headers: {...req.headers, host: url.host}}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks)}));
      res.on('error', reject);
    });
    out.on('error', reject);
    req.pipe(out);
  });
}

function reply(res: ServerResponse, response: {status: number; headers: IncomingMessage['headers']; body: Buffer}): void {
  const headers = {...response.headers};
  delete headers['transfer-encoding'];
  delete headers.connection;
  delete headers['keep-alive'];
  headers['content-length'] = String(response.body.length);
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/**
 * A loopback reverse proxy that checks every response of the real server against
 * openapi.yaml; the conformance suite's rest backend talks through it.
 */
export async function startValidatingProxy(target: string): Promise<{url: string; checked: () => number; violations: string[]; close: () => Promise<void>}> {
  const violations: string[] = [];
  let checked = 0;
  const server = createServer((req, res) => {
    forward(target, req).then(
      async (response) => {
        const problems = await specViolations(req.method!, req.url!, response.status, String(response.headers['content-type'] ?? ''), response.body.toString('utf8'), response.headers);
        checked++;
        violations.push(...problems);
        reply(res, response);
      },
      () => res.destroy(),
    );
  });
  const url = await listen(server);
  return {url, checked: () => checked, violations, close: () => closeServer(server)};
}

export type Fault =
  | {kind: 'respond'; status: number; headers?: Record<string, string>; body?: unknown}
  /** Forward to the server (so it commits), then cut the connection instead of answering. */
  | {kind: 'commit-then-drop'}
  /** Forward to the server (so it commits), then never answer: the client's timeout must fire. */
  | {kind: 'commit-then-stall'}
  /** Accept the request and never answer. */
  | {kind: 'stall'}
  /** Read this many bytes of the request body, then reset the connection. */
  | {kind: 'reset-after'; bytes: number}
  /** Stream the request to the server, and cut both connections after this many bytes of its body: the server sees a client hang up mid-upload. */
  | {kind: 'forward-then-reset'; bytes: number}
  | {kind: 'forward'};

export interface FaultProxy {
  url: string;
  /** Requests seen, in order: "METHOD /path". */
  seen: string[];
  /** The Idempotency-Key of each request seen, in the same order. */
  keys: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * A small fault-injecting loopback server. `plan` picks what happens to the n-th request (from 1);
 * without a target, 'forward' answers 200 {}.
 */
export async function startFaultProxy(target: string | undefined, plan: (req: IncomingMessage, n: number) => Fault): Promise<FaultProxy> {
  const seen: string[] = [];
  const keys: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    keys.push(req.headers['idempotency-key'] as string | undefined);
    const fault = plan(req, seen.length);
    switch (fault.kind) {
      case 'respond': {
        req.resume();
        const body = fault.body === undefined ? '' : JSON.stringify(fault.body);
        res.writeHead(fault.status, {'content-type': 'application/problem+json', ...fault.headers});
        res.end(body);
        return;
      }
      case 'stall':
        req.resume();
        return;
      case 'commit-then-drop':
        forward(target!, req).then(
          () => res.socket?.destroy(),
          () => res.socket?.destroy(),
        );
        return;
      case 'commit-then-stall':
        forward(target!, req).catch(() => undefined);
        return;
      case 'reset-after': {
        let got = 0;
        req.on('data', (c: Buffer) => {
          got += c.length;
          if (got >= fault.bytes) req.socket.resetAndDestroy();
        });
        return;
      }
      case 'forward-then-reset': {
        const url = new URL(req.url!, target);
        const upstream = httpRequest(url, {method: req.method, headers: {...req.headers, host: url.host}});
        upstream.on('response', (r) => r.resume());
        upstream.on('error', () => undefined);
        let got = 0;
        req.on('data', (c: Buffer) => {
          got += c.length;
          if (got < fault.bytes) {
            upstream.write(c);
            return;
          }
          upstream.destroy();
          req.socket.resetAndDestroy();
        });
        return;
      }
      case 'forward':
        if (!target) {
          req.resume();
          res.writeHead(200, {'content-type': 'application/json'});
          res.end('{}');
          return;
        }
        forward(target, req).then(
          (response) => reply(res, response),
          () => res.destroy(),
        );
    }
  });
  const url = await listen(server);
  return {url, seen, keys, close: () => closeServer(server)};
}
