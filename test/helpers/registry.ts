import {execFileSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {homedir} from 'node:os';
import {join} from 'node:path';

/** One version of a package as a registry's metadata (a packument) lists it. */
export interface RegistryVersion {
  name: string;
  version: string;
  [field: string]: unknown;
}

export interface RegistryStub {
  url: string;
  /** Every request, as "GET /name". */
  requests: string[];
  close(): Promise<void>;
}

export interface RegistryStubOptions {
  /** Packages by name: their versions, newest last. */
  packages?: Map<string, RegistryVersion[]>;
  /** A tarball's bytes by its sha512 integrity ("sha512-..."); undefined when there is none. */
  tarball?: (integrity: string) => Buffer | undefined;
  /** Per request: answer this instead (a fault: a status, or a delay before the normal answer). */
  fault?: (req: IncomingMessage) => {status?: number; delayMs?: number} | undefined;
}

/**
 * A loopback npm registry: packuments at /<name> (and /<name>/<tag>), tarballs at
 * /<name>/-/<file>.tgz. Enough for `npm install` and for update checks, without the internet.
 */
export async function startRegistryStub(options: RegistryStubOptions): Promise<RegistryStub> {
  const packages = options.packages ?? new Map<string, RegistryVersion[]>();
  const requests: string[] = [];
  let url = '';
  const byTarball = new Map<string, string>();
  const tarballUrl = (v: RegistryVersion) => {
    const file = `${v.name.replace(/^@[^/]+\//, '')}-${v.version}.tgz`;
    const path = `/${v.name}/-/${file}`;
    if (typeof (v.dist as {integrity?: string} | undefined)?.integrity === 'string') byTarball.set(path, (v.dist as {integrity: string}).integrity);
    return `${url}${path}`;
  };
  const packument = (name: string) => {
    const versions = packages.get(name)!;
    return {
      name,
      'dist-tags': {latest: versions.at(-1)!.version},
      versions: Object.fromEntries(versions.map((v) => [v.version, {...v, dist: {...(v.dist as object), tarball: tarballUrl(v)}}])),
    };
  };
  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    res.writeHead(status, {'content-type': type, 'content-length': bytes.length});
    res.end(bytes);
  };
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const answer = () => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      if (path.includes('/-/')) {
        const integrity = byTarball.get(path);
        const bytes = integrity ? options.tarball?.(integrity) : undefined;
        return bytes ? send(res, 200, bytes, 'application/octet-stream') : send(res, 404, {error: 'not found'});
      }
      const [, scope, rest] = /^\/(@[^/]+\/)?(.*)$/.exec(path)!;
      const [name, tag] = rest!.split('/');
      const full = `${scope ?? ''}${name}`;
      if (!packages.has(full)) return send(res, 404, {error: 'not found'});
      const doc = packument(full);
      if (!tag) return send(res, 200, doc);
      const version = (doc['dist-tags'] as Record<string, string>)[tag] ?? tag;
      const found = (doc.versions as Record<string, unknown>)[version];
      return found ? send(res, 200, found) : send(res, 404, {error: 'not found'});
    };
    const fault = options.fault?.(req);
    if (fault?.status) return send(res, fault.status, {error: 'fault'});
    if (fault?.delayMs) setTimeout(answer, fault.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const LOCK_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'libc', 'license', 'bundleDependencies'];

/**
 * Every package of a package-lock.json, as registry metadata: what `npm ci` installed is what
 * the stub serves, its tarballs read from npm's own cache by their integrity.
 */
export function packagesFromLock(lockFile: string): Map<string, RegistryVersion[]> {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {packages: Record<string, Record<string, unknown>>};
  const packages = new Map<string, RegistryVersion[]>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Without an integrity, a package comes inside its parent's tarball (npm's own bundled
    // dependencies): nothing to serve, and it must not hide the same version served on its own.
    if (!path || entry.link || !entry.integrity) continue;
    const name = (entry.name as string | undefined) ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const version: RegistryVersion = {name, version: entry.version as string, dist: {integrity: entry.integrity}};
    for (const field of LOCK_FIELDS) if (entry[field] !== undefined) version[field] = entry[field];
    const list = packages.get(name) ?? [];
    if (!list.some((v) => v.version === version.version)) list.push(version);
    packages.set(name, list);
  }
  return packages;
}

/** npm's content-addressed cache: a tarball by its sha512 integrity, when npm has it. */
export function npmCacheReader(): (integrity: string) => Buffer | undefined {
  let cache: string;
  try {
    cache = execFileSync('npm', ['config', 'get', 'cache'], {encoding: 'utf8'}).trim();
  } catch {
    cache = join(homedir(), '.npm');
  }
  return (integrity) => {
    const match = /^sha512-(.+)$/.exec(integrity.split(' ')[0]!);
    if (!match) return undefined;
    const hex = Buffer.from(match[1]!, 'base64').toString('hex');
    const file = join(cache, '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
    return existsSync(file) ? readFileSync(file) : undefined;
  };
}
