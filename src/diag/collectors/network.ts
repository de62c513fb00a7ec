import {getServers, promises as dns} from 'node:dns';
import {stat} from 'node:fs/promises';
import {request as httpRequest} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {connect as netConnect, isIP} from 'node:net';
import {connect as tlsConnect} from 'node:tls';

import {REDACTED} from '../rules.js';
import {addScrubbedText, asJson, type Collector} from './collector.js';

export interface BackendTarget {
  kind: string;
  /** The base URL of a remote backend. */
  url?: string;
  /** The database file of the local store. */
  databasePath?: string;
}

export interface NetworkCollectorOptions {
  env: NodeJS.ProcessEnv;
  backend: BackendTarget;
  /** Each probe step (DNS, TCP, TLS, HTTP) gives up after this long. Default 3 s. */
  stepTimeoutMs?: number;
}

export interface ProbeStep {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface BackendProbe {
  kind: string;
  /** For a remote backend: the URL probed (userinfo removed). For the local store: "local store". */
  target: string;
  reachable: boolean;
  dns?: ProbeStep & {addresses?: string[]};
  tcp?: ProbeStep & {address?: string; port?: number};
  tls?: ProbeStep & {protocol?: string | null; authorized?: boolean; authorizationError?: string; certificate?: {subject?: string; issuer?: string; validTo?: string}};
  http?: ProbeStep & {status?: number};
  /** From the start of the DNS lookup to the HTTP status line. */
  latencyMs?: number;
  database?: {path: string; exists?: boolean; sizeBytes?: number; error?: string};
  note?: string;
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'];

/** Proxy variables, DNS resolvers, and whether the active backend answers. */
export function networkCollector(options: NetworkCollectorOptions): Collector {
  const step = options.stepTimeoutMs ?? 3000;
  return {
    name: 'network',
    timeoutMs: step * 4 + 5000,
    async run(ctx) {
      const proxies: Record<string, string> = {};
      for (const name of PROXY_VARIABLES) {
        const value = options.env[name];
        if (value !== undefined) proxies[name] = withoutUserinfo(value);
      }
      const info = {
        proxies,
        dnsResolvers: getServers(),
        backend: await probeBackend(options.backend, step, ctx.signal),
      };
      await addScrubbedText(ctx, 'network.json', 'network', asJson(info));
    },
  };
}

/** A URL's user and password replaced, whether or not it parses as a URL. */
export function withoutUserinfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`);
}

export async function probeBackend(target: BackendTarget, stepTimeoutMs: number, signal?: AbortSignal): Promise<BackendProbe> {
  if (!target.url) {
    const probe: BackendProbe = {kind: target.kind, target: 'local store', reachable: false};
    if (target.databasePath) {
      try {
        const info = await stat(target.databasePath);
        probe.database = {path: target.databasePath, exists: true, sizeBytes: info.size};
        probe.reachable = true;
      } catch (error) {
        // No database yet is normal before the first ticket: the store creates it on first use.
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        probe.database = missing ? {path: target.databasePath, exists: false} : {path: target.databasePath, error: (error as Error).message};
        probe.reachable = missing;
      }
    }
    return probe;
  }
  return probeUrl(target.kind, target.url, stepTimeoutMs, signal);
}

/**
 * DNS, TCP, TLS handshake, then a GET of the base URL without credentials: each step is timed
 * and the first that fails ends the probe, so the report says where the path breaks. The probe
 * goes direct, not through a proxy.
 */
async function probeUrl(kind: string, raw: string, timeoutMs: number, signal?: AbortSignal): Promise<BackendProbe> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {kind, target: withoutUserinfo(raw), reachable: false, note: 'the backend URL does not parse'};
  }
  url.username = '';
  url.password = '';
  url.search = '';
  const probe: BackendProbe = {kind, target: url.toString(), reachable: false};
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const started = performance.now();

  let address = host;
  if (!isIP(host)) {
    const t = performance.now();
    try {
      const found = await withTimeout(dns.lookup(host, {all: true}), timeoutMs, 'DNS lookup');
      probe.dns = {ok: true, ms: since(t), addresses: found.map((a) => a.address)};
      address = found[0]!.address;
    } catch (error) {
      probe.dns = {ok: false, ms: since(t), error: describe(error)};
      return probe;
    }
  }
  signal?.throwIfAborted();

  const t1 = performance.now();
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const socket = netConnect({host: address, port});
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
        socket.setTimeout(timeoutMs, () => socket.destroy(new Error('TCP connect timed out')));
      }),
      timeoutMs,
      'TCP connect',
    );
    probe.tcp = {ok: true, ms: since(t1), address, port};
  } catch (error) {
    probe.tcp = {ok: false, ms: since(t1), address, port, error: describe(error)};
    return probe;
  }
  signal?.throwIfAborted();

  if (secure) {
    const t2 = performance.now();
    try {
      probe.tls = await withTimeout(
        new Promise<NonNullable<BackendProbe['tls']>>((resolve, reject) => {
          // Not verified here so that a bad certificate is reported, not just refused; the HTTP step verifies.
          const socket = tlsConnect({host: address, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false});
          socket.once('secureConnect', () => {
            const cert = socket.getPeerCertificate();
            const result: NonNullable<BackendProbe['tls']> = {ok: true, ms: since(t2), protocol: socket.getProtocol(), authorized: socket.authorized};
            if (!socket.authorized && socket.authorizationError) result.authorizationError = String(socket.authorizationError);
            if (cert && Object.keys(cert).length > 0) result.certificate = {subject: first(cert.subject?.CN), issuer: first(cert.issuer?.CN ?? cert.issuer?.O), validTo: cert.valid_to};
            socket.destroy();
            resolve(result);
          });
          socket.once('error', reject);
          socket.setTimeout(timeoutMs, () => socket.destroy(new Error('TLS handshake timed out')));
        }),
        timeoutMs,
        'TLS handshake',
      );
    } catch (error) {
      probe.tls = {ok: false, ms: since(t2), error: describe(error)};
      return probe;
    }
  }
  signal?.throwIfAborted();

  const t3 = performance.now();
  try {
    const status = await withTimeout(
      new Promise<number>((resolve, reject) => {
        const req = (secure ? httpsRequest : httpRequest)(url, {method: 'GET', agent: false, timeout: timeoutMs, headers: {'user-agent': 'supportkit-diag'}}, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.once('error', reject);
        req.once('timeout', () => req.destroy(new Error('no HTTP response in time')));
        req.end();
      }),
      timeoutMs,
      'HTTP request',
    );
    probe.http = {ok: true, ms: since(t3), status};
    probe.reachable = true;
    probe.latencyMs = since(started);
  } catch (error) {
    probe.http = {ok: false, ms: since(t3), error: describe(error)};
  }
  return probe;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const since = (t: number) => Math.round(performance.now() - t);

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : e.message;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}
