import {createServer} from 'node:http';
import {connect, type AddressInfo} from 'node:net';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import {redactHeader, redactUrl} from '../../src/domain/redact.js';
import {createHttpClient} from '../../src/http/client.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
let token: string;
const saved = {HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy};

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir);
  token = await server.token('agent', 'alice');
});

afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A forward proxy on loopback that tunnels CONNECT requests, as corporate proxies do, and records them. */
async function startConnectProxy(): Promise<{url: string; seen: string[]; close: () => Promise<void>}> {
  const seen: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(501);
    res.end();
  });
  server.on('connect', (req, client, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('proxies', () => {
  it('sends requests through HTTP_PROXY, and straight to the host when NO_PROXY matches', async () => {
    // A forward proxy on loopback: it sees absolute-form request targets and passes them on.
    const proxy = await startConnectProxy();
    try {
      delete process.env.http_proxy;
      delete process.env.no_proxy;
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = '';
      const viaProxy = createHttpClient({baseUrl: server.url, token: async () => token});
      expect((await viaProxy.request({method: 'GET', path: 'v1/me'})).body).toMatchObject({name: 'alice', role: 'agent'});
      await viaProxy.close();
      expect(proxy.seen).toEqual([`CONNECT ${new URL(server.url).host}`]);

      process.env.NO_PROXY = '127.0.0.1';
      const direct = createHttpClient({baseUrl: server.url, token: async () => token});
      await direct.request({method: 'GET', path: 'v1/me'});
      await direct.close();
      expect(proxy.seen).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('debug trace', () => {
  it('logs method, URL, status and time, with secrets masked', async () => {
    const lines: string[] = [];
    const client = createHttpClient({baseUrl: server.url, token: async () => token, debug: (l) => lines.push(l)});
    // The server refuses the cursor (400); the trace is what matters here.
    await client.request({method: 'GET', path: 'v1/tickets', query: {search: 'printer', api_key: 'abc123', cursor: token}}).catch(() => undefined);
    await client.close();
    const text = lines.join('\n');
    expect(text).toMatch(/http GET http:\/\/127\.0\.0\.1:\d+\/v1\/tickets\?search=printer&api_key=\*\*\*&cursor=\*\*\* 400 \d+ms/);
    expect(text).not.toContain(token);
    expect(text).not.toContain('abc123');
  });

  it('masks credentials in URLs and headers', () => {
    expect(redactUrl('https://user:pw@example.test/x?access_token=s3cret&page=2')).toBe('https://***:***@example.test/x?access_token=***&page=2');
    expect(redactUrl('/v1/x?q=eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe('/v1/x?q=***');
    expect(redactHeader('Authorization', 'Bearer spt_abc')).toBe('Bearer ***');
    expect(redactHeader('Cookie', 'session=1')).toBe('***');
    expect(redactHeader('Accept', 'application/json')).toBe('application/json');
  });
});
