import {createServer, type Socket} from 'node:net';

import {describe, expect, it} from 'vitest';

import {probeBackend, withoutUserinfo} from '../../src/diag/collectors/network.js';

describe('the backend probe', () => {
  it('says where the path breaks: a closed port fails at TCP, and nothing after it is tried', async () => {
    // Take a free port, then close it, so nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as {port: number}).port;
    await new Promise((resolve) => server.close(resolve));
    const probe = await probeBackend({kind: 'rest', url: `https://127.0.0.1:${port}/api?token=abc`}, 1000);
    expect(probe).toMatchObject({kind: 'rest', target: `https://127.0.0.1:${port}/api`, reachable: false, tcp: {ok: false, port, error: expect.stringContaining('ECONNREFUSED')}});
    expect(probe.tls).toBeUndefined();
    expect(probe.http).toBeUndefined();
  });

  it('reports a TLS handshake failure against a server that does not speak TLS', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as {port: number}).port;
    try {
      const probe = await probeBackend({kind: 'rest', url: `https://127.0.0.1:${port}/`}, 1000);
      expect(probe).toMatchObject({reachable: false, tcp: {ok: true}, tls: {ok: false}});
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('removes the user and password from proxy URLs', () => {
    expect(withoutUserinfo('http://bob:pw@proxy:3128')).toBe('http://REDACTED@proxy:3128');
    expect(withoutUserinfo('proxy:3128')).toBe('proxy:3128');
  });
});
