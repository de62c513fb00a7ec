import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:https';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {runBin, sandbox, type Sandbox} from '../helpers.js';

/** A private CA and a certificate for 127.0.0.1 signed by it, made with openssl for this test only. */
function makeCertificates(dir: string): {ca: string; key: string; cert: string} {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, {stdio: 'pipe'});
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=supportkit test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('san.cnf'), '-out', file('server.pem'));
  return {ca: file('ca.pem'), key: file('server.key'), cert: file('server.pem')};
}

let box: Sandbox;
let server: Server;
let url: string;
let certs: ReturnType<typeof makeCertificates>;

beforeAll(async () => {
  box = sandbox();
  certs = makeCertificates(box.dir);
  server = createServer({key: readFileSync(certs.key), cert: readFileSync(certs.cert)}, (req, res) => {
    if (req.url === '/v1/me' && req.headers.authorization === 'Bearer spt_tls_token') {
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({name: 'tess', role: 'agent'}));
    } else {
      res.writeHead(401, {'content-type': 'application/problem+json'}).end(JSON.stringify({type: 'urn:supportkit:problem:unauthorized', title: 'No.', status: 401}));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  box.cleanup();
});

describe('TLS to a server with a private CA', () => {
  it('refuses the certificate by default, with a hint to NODE_EXTRA_CA_CERTS, and trusts it once that names the CA', async () => {
    const env = {...box.env, NODE_EXTRA_CA_CERTS: '/dev/null'};
    expect((await runBin(['profile', 'add', 'tls', '--backend', 'rest', '--url', url], {env})).exitCode).toBe(0);

    const refused = await runBin(['auth', 'login', '--profile', 'tls', '--with-token'], {env, stdin: 'spt_tls_token\n'});
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toContain('could not be verified');
    expect(refused.stderr).toContain('NODE_EXTRA_CA_CERTS');

    const trusted = await runBin(['auth', 'login', '--profile', 'tls', '--with-token'], {env: {...env, NODE_EXTRA_CA_CERTS: certs.ca}, stdin: 'spt_tls_token\n'});
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect(trusted.stderr).toContain('Logged in to tls as tess');
  });
});
