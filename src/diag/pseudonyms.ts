import {createHmac, randomBytes} from 'node:crypto';
import {chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import {isIPv6} from 'node:net';

import {ConfigError} from '../domain/errors.js';

export type PseudonymKind = 'email' | 'ipv4' | 'ipv6' | 'hostname';

export interface PseudonymizerOptions {
  /**
   * The per-machine HMAC key: 32 random bytes, created on first use with mode 0600. It never
   * leaves the machine, so nobody holding a bundle can test a guess ("is it alice@corp?").
   */
  keyFile: string;
  /** Where pseudonym -> original is kept (mode 0600), so the user can read support's replies. */
  mapFile?: string;
  /** Host names to replace wherever they appear, such as os.hostname(). */
  hostnames?: string[];
  /** Hosts and addresses left as they are (the helpdesk's own host, say). */
  keep?: string[];
}

interface MapFile {
  version: 1;
  entries: Record<string, string>;
}

const KEEP_ALWAYS = new Set(['localhost', '127.0.0.1', '0.0.0.0', '::1', '::', 'example.com', 'example.invalid']);

/**
 * Consistent pseudonyms: the same e-mail, address or host becomes the same stand-in in every
 * file and every run on this machine, so support can still follow one host through the logs.
 * Stand-ins keep their syntax (an IPv4 address stays a dotted quad) so that log parsers work.
 */
export class Pseudonymizer {
  private readonly key: Buffer;
  private readonly byOriginal = new Map<string, string>();
  private readonly byPseudonym = new Map<string, string>();
  private readonly keep: Set<string>;
  readonly hostnames: string[];

  constructor(private readonly options: PseudonymizerOptions) {
    this.key = loadOrCreateKey(options.keyFile);
    this.keep = new Set([...KEEP_ALWAYS, ...(options.keep ?? []).map((h) => h.toLowerCase())]);
    this.hostnames = (options.hostnames ?? []).filter((h) => h && !this.keep.has(h.toLowerCase()));
    if (options.mapFile) {
      for (const [pseudonym, original] of Object.entries(readMap(options.mapFile).entries)) {
        this.byPseudonym.set(pseudonym, original);
        this.byOriginal.set(original, pseudonym);
      }
    }
  }

  /** Whether a value is left alone: loopback, unspecified, kept hosts, and stand-ins themselves. */
  keeps(value: string): boolean {
    const lower = value.toLowerCase();
    return this.keep.has(lower) || this.byPseudonym.has(lower) || lower.startsWith('127.') || lower.endsWith('.invalid');
  }

  pseudonym(kind: PseudonymKind, original: string): string {
    const normal = kind === 'ipv4' ? original : original.toLowerCase();
    const known = this.byOriginal.get(normal);
    if (known) return known;
    // A collision between two originals is vanishingly rare but would merge two hosts in the
    // reader's eyes: rehash with a counter until the stand-in is unused.
    for (let attempt = 0; ; attempt++) {
      const digest = createHmac('sha256', this.key).update(`${kind}\0${normal}\0${attempt}`).digest();
      const candidate = format(kind, digest);
      const owner = this.byPseudonym.get(candidate);
      if (owner === undefined || owner === normal) {
        this.byOriginal.set(normal, candidate);
        this.byPseudonym.set(candidate, normal);
        return candidate;
      }
    }
  }

  /** Writes the mapping (merged with what is on disk) by temp file and rename, mode 0600. */
  save(): void {
    const file = this.options.mapFile;
    if (!file) return;
    const entries = {...readMap(file).entries, ...Object.fromEntries(this.byPseudonym)};
    writePrivate(file, `${JSON.stringify({version: 1, entries} satisfies MapFile, null, 2)}\n`);
  }

  /** pseudonym -> original, for the user's own look-ups. */
  mapping(): Record<string, string> {
    return Object.fromEntries(this.byPseudonym);
  }
}

function format(kind: PseudonymKind, digest: Buffer): string {
  const hex = digest.toString('hex');
  switch (kind) {
    case 'email':
      return `user-${hex.slice(0, 8)}@pseudonym.invalid`;
    case 'hostname':
      return `host-${hex.slice(0, 8)}.invalid`;
    case 'ipv4':
      // 240.0.0.0/4 is reserved and never routed: an obvious stand-in with 28 bits of room.
      return `${240 + (digest[0]! & 0x0f)}.${digest[1]}.${digest[2]}.${digest[3]}`;
    case 'ipv6':
      // 2001:db8::/32 is the documentation prefix.
      return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}::${hex.slice(8, 12)}`;
  }
}

function loadOrCreateKey(file: string): Buffer {
  try {
    const key = readFileSync(file);
    if (key.length >= 32) return key;
    throw new ConfigError(`The pseudonym key ${file} is too short to be one this toolkit wrote.`, {
      hint: 'Delete it to start a new key; earlier pseudonyms will no longer match.',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  writePrivate(file, key);
  return key;
}

function readMap(file: string): MapFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<MapFile>;
    return {version: 1, entries: parsed.entries ?? {}};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: 1, entries: {}};
    throw new ConfigError(`The pseudonym map ${file} cannot be read.`, {cause: error, hint: 'Move it aside and collect again.'});
  }
}

function writePrivate(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), {recursive: true, mode: 0o700});
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, data, {mode: 0o600, flag: 'wx'});
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g;
const IPV6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;
const EMAIL = /(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])/g;
const URL_HOST = /(\b[a-z][a-z0-9+.-]{1,20}:\/\/(?:[^\s/@"'<>]*@)?)([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]|\[[0-9A-Fa-f:.]+\])/g;
const NETMASK = /^(?:255|254|252|248|240|224|192|128|0)\.(?:255|254|252|248|240|224|192|128|0)\.(?:255|254|252|248|240|224|192|128|0)\.(?:255|254|252|248|240|224|192|128|0)$/;

/** Replaces e-mails, IP addresses and host names in one line; counts go to `count`. */
export function pseudonymizeLine(line: string, p: Pseudonymizer, count: (rule: string) => void): string {
  let out = line;
  if (/\d\.\d/.test(out)) {
    out = out.replace(IPV4, (ip) => {
      if (p.keeps(ip) || NETMASK.test(ip) || ip.startsWith('240.') || /^2(?:4[1-9]|5\d)\./.test(ip)) return ip;
      count('pseudonym-ipv4');
      return p.pseudonym('ipv4', ip);
    });
  }
  if (out.includes('::') || /[0-9a-f]:[0-9a-f]+:[0-9a-f]/i.test(out)) {
    out = out.replace(IPV6_CANDIDATE, (candidate) => {
      if (!isIPv6(candidate) || p.keeps(candidate) || candidate.replace(/[^0-9a-f]/gi, '').length < 3) return candidate;
      if (candidate.toLowerCase().startsWith('2001:db8:')) return candidate;
      count('pseudonym-ipv6');
      return p.pseudonym('ipv6', candidate);
    });
  }
  if (out.includes('@')) {
    out = out.replace(EMAIL, (email) => {
      if (p.keeps(email) || email.endsWith('.invalid')) return email;
      count('pseudonym-email');
      return p.pseudonym('email', email);
    });
  }
  if (out.includes('://')) {
    out = out.replace(URL_HOST, (whole, prefix: string, host: string) => {
      if (host.startsWith('[') || /^[\d.]+$/.test(host) || p.keeps(host)) return whole;
      count('pseudonym-hostname');
      return prefix + p.pseudonym('hostname', host);
    });
  }
  for (const host of p.hostnames) {
    if (!out.toLowerCase().includes(host.toLowerCase())) continue;
    const re = new RegExp(`(?<![\\w.-])${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-]|\\.\\w)`, 'gi');
    out = out.replace(re, (found) => {
      count('pseudonym-hostname');
      return p.pseudonym('hostname', found);
    });
  }
  return out;
}
