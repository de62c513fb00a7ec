import {Transform, type TransformCallback} from 'node:stream';

import {UsageError} from '../domain/errors.js';
import {pseudonymizeLine, type Pseudonymizer} from './pseudonyms.js';
import {
  AWS_SECRET_SHAPE,
  classifySecretName,
  INLINE_PRIVATE_KEY,
  isFillerBody,
  isPlaceholder,
  looksRandom,
  PEM_BEGIN,
  PEM_BODY,
  QUERY_SECRET_PARAMS,
  REDACTED,
  type SecretName,
  TOKEN_SHAPES,
} from './rules.js';

/** A pattern a user adds in the collection profile. */
export interface CustomPattern {
  /** Counted as `custom:<id>`; defaults to the pattern's position. */
  id?: string;
  /** A JavaScript regex source. A named group `secret` limits the redaction to that group. */
  pattern: string;
  /** Regex flags besides `g`, such as `i`. */
  flags?: string;
}

export interface ScrubberOptions {
  patterns?: CustomPattern[];
  /** Replace e-mails, IP addresses and host names with consistent stand-ins. */
  pseudonymizer?: Pseudonymizer;
  /**
   * A line longer than this is cut and scrubbed in pieces, so that a log without newlines
   * cannot fill memory. Cuts fall on whitespace when there is some.
   */
  maxLineLength?: number;
}

/** Rule id -> how many values it replaced. */
export type RedactionCounts = Record<string, number>;

export interface ScrubResult {
  text: string;
  redactions: RedactionCounts;
}

interface CompiledPattern {
  id: string;
  re: RegExp;
  hasSecretGroup: boolean;
}

const DEFAULT_MAX_LINE = 1024 * 1024;
/** Cheap test that a line may hold a named secret; most log lines fail it and skip the key layers. */
const SECRETISH = /pass|pwd|secret|token|key|auth|cookie|cred|sig|session|sid|salt|priv|dsn|license|seed|bearer|connection|otp|jwt|mfa|pin|hmac|sas|-u|-p/i;
const SHAPES = new RegExp(TOKEN_SHAPES.map((shape, i) => `(?<r${i}>${shape.source})`).join('|'), 'g');
const SHAPE_HINT = /AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T|gh[pousr]_|github_pat_|gl[a-z]+-|hooks\.slack|xox|xapp|_live_|_test_|whsec_|AIza|ya29\.|GOCSPX|1\/\/0|npm_|eyJ|ATATT|ATCTT|sk-|SG\.|shp|hf_|gsk_|lin_api|ntn_|tskey|dapi|glsa_|hv[sbr]\.|figd_|dckr_|ops_/;

const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|OAuth|ApiKey|SSWS|AWS4-HMAC-SHA256|Splunk';
const AUTHORIZATION = new RegExp(
  String.raw`\b((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*["']?)((?:${AUTH_SCHEMES})[ \t]+)?([^\r\n"']*)`,
  'gi',
);
const COOKIE = /\b(set-cookie|cookie)(["']?[ \t]*:[ \t]*["']?)([^\r\n"']*)/gi;
const TOKEN_HEADER = /(?<![\w-])(x-[\w-]*?(?:token|key|secret|signature|auth|password|credential)s?|api-key|private-token)([ \t]*:[ \t]*)([^\r\n"']+)/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s/@"'<>?#]+)@(?=[^\s/@"'<>])/gi;
const QUERY_PARAM = /([?&;])([\w.\-[\]%]{1,100})=([^&#\s"'<>;]*)/g;
const CURL_USER = /(?<![\w-])(-u|--user|--proxy-user)([ \t]+|=)(['"]?)([^\s:'"]+):([^\s'"]+)\3/g;
const MYSQL_PASSWORD = /\b((?:mysql|mariadb)[\w-]*\b[^\r\n]*?[ \t]-p)(?![ \t])(['"]?)([^\s'"]+)\2/g;
const DASH_P_PASSWORD = /\b((?:sshpass|login)\b[^\r\n]*?[ \t]-p[ \t]+)(['"]?)([^\s'"]+)\2/g;
/** `aws configure set aws_secret_access_key VALUE`, `git config http.token VALUE`: a name then a value. */
const SET_COMMAND = /\b((?:set|config)[ \t]+(?:--?[\w-]+[ \t]+)*)([\w.-]+)([ \t]+)(['"]?)([^\s'"]+)\4/g;
const FLAG = /(?<![\w-])(--?)([A-Za-z][\w-]{1,60})(=|[ \t]+)/g;
const XML_ELEMENT = /<([A-Za-z_][\w.:-]{0,99})(?:[ \t][^<>]*)?>([^<]+)<\/\1>/g;
const XML_KEY_VALUE = /\b((?:key|name)[ \t]*=[ \t]*)(["'])([^"'\r\n]{1,100})\2([ \t]+value[ \t]*=[ \t]*)(["'])([^"'\r\n]*)\5/gi;
const QUOTED_KEY = /(["'])([^"'\\\r\n]{1,100})\1([ \t]*(?::|=>|=)[ \t]*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.|'')*'|[^\s,;}\])]+)/g;
const BARE_KEY = /(?<![\w.\-$@/\\%])([A-Za-z_][\w.-]{0,99})(?<![.-])([ \t]*(?::=|=(?![=>~])|:(?![/:=\w]))[ \t]*)/g;
const LINE_START_PREFIX = /^[ \t]*(?:(?:[-#;]|\/\/)[ \t]*)?(?:(?:export|set|setx|declare[ \t]+-x|env|local|readonly)[ \t]+)?$/;
const SCHEME_WORD = new RegExp(`^(?:${AUTH_SCHEMES})$`, 'i');
const BLOCK_SCALAR = /^[|>][-+0-9]*[ \t]*(?:#.*)?$/;

/**
 * The secret scrubber. One Scrubber holds the rules; each file gets its own session (or
 * stream), which keeps the state that spans lines: an open PEM block, a YAML block scalar
 * under a secret key.
 */
export class Scrubber {
  private readonly patterns: CompiledPattern[];
  readonly pseudonymizer?: Pseudonymizer;
  readonly maxLineLength: number;

  constructor(options: ScrubberOptions = {}) {
    this.patterns = (options.patterns ?? []).map(compilePattern);
    if (options.pseudonymizer) this.pseudonymizer = options.pseudonymizer;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE;
  }

  session(): ScrubSession {
    return new ScrubSession(this, this.patterns);
  }

  /** Scrubs a whole text held in memory (collector output, settings). */
  scrubText(text: string): ScrubResult {
    const session = this.session();
    const latin1 = Buffer.from(text, 'utf8').toString('latin1');
    const out = session.write(latin1) + session.end();
    return {text: Buffer.from(out, 'latin1').toString('utf8'), redactions: session.redactions()};
  }

  /** A Transform for bytes: lines are scrubbed as they pass, one chunk at a time. */
  stream(): ScrubStream {
    return new ScrubStream(this.session());
  }
}

export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  return new Scrubber(options);
}

export class ScrubStream extends Transform {
  constructor(private readonly session: ScrubSession) {
    super();
  }

  redactions(): RedactionCounts {
    return this.session.redactions();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = this.session.write(chunk.toString('latin1'));
    if (out) this.push(Buffer.from(out, 'latin1'));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const out = this.session.end();
    if (out) this.push(Buffer.from(out, 'latin1'));
    callback();
  }
}

interface BlockState {
  indent: number;
  ruleId: string;
}

interface PemState {
  /** Body lines are collapsed into one REDACTED line: only the first is written. */
  wroteBody: boolean;
}

/**
 * Scrubs one file's text, given as latin1 strings (a char per byte) so that any bytes pass
 * through unchanged. write() returns what is complete so far; end() the rest.
 */
export class ScrubSession {
  private pending = '';
  private readonly counts = new Map<string, number>();
  private pem: PemState | undefined;
  private block: BlockState | undefined;
  private readonly count = (rule: string) => this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);

  constructor(
    private readonly scrubber: Scrubber,
    private readonly patterns: CompiledPattern[],
  ) {}

  redactions(): RedactionCounts {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  write(chunk: string): string {
    let text = this.pending + chunk;
    let out = '';
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      out += this.emit(text.slice(start, nl), true);
      start = nl + 1;
    }
    text = text.slice(start);
    while (text.length > this.scrubber.maxLineLength) {
      // No newline in sight: cut at the last whitespace so a token is not split in two.
      const limit = this.scrubber.maxLineLength;
      const space = Math.max(text.lastIndexOf(' ', limit), text.lastIndexOf('\t', limit));
      const cut = space > limit / 2 ? space + 1 : limit;
      out += this.emit(text.slice(0, cut), false);
      text = text.slice(cut);
    }
    this.pending = text;
    return out;
  }

  end(): string {
    const rest = this.pending;
    this.pending = '';
    const out = rest ? this.emit(rest, false) : '';
    this.pem = undefined;
    this.block = undefined;
    return out;
  }

  private emit(rawLine: string, newline: boolean): string {
    const cr = rawLine.endsWith('\r');
    const line = cr ? rawLine.slice(0, -1) : rawLine;
    const scrubbed = this.scrubLine(line);
    if (scrubbed === undefined) return '';
    return scrubbed + (cr ? '\r' : '') + (newline ? '\n' : '');
  }

  /** undefined drops the line (the rest of a collapsed PEM body). */
  private scrubLine(line: string): string | undefined {
    if (this.pem) {
      const end = line.indexOf('-----END ');
      if (end !== -1) {
        this.pem = undefined;
        return line;
      }
      if (PEM_BODY.test(line)) {
        if (this.pem.wroteBody) return undefined;
        this.pem.wroteBody = true;
        return `${leadingSpace(line)}${REDACTED}`;
      }
      // Not key material: the block was cut short (a truncated log). Carry on normally.
      this.pem = undefined;
    }
    if (this.block) {
      const indent = leadingSpace(line).length;
      if (line.trim() === '') return line;
      if (indent > this.block.indent) return `${line.slice(0, indent)}${REDACTED}`;
      this.block = undefined;
    }
    return this.scrubPlainLine(line);
  }

  private scrubPlainLine(input: string): string {
    let line = input;
    for (const pattern of this.patterns) line = this.applyCustom(line, pattern);

    if (line.includes('PRIVATE KEY')) {
      line = line.replace(INLINE_PRIVATE_KEY, () => {
        this.count('private-key');
        return REDACTED;
      });
      const begin = PEM_BEGIN.exec(line);
      if (begin && !line.includes('-----END ', begin.index)) {
        this.pem = {wroteBody: false};
        this.count('private-key');
        const head = this.scrubPlainLine(line.slice(0, begin.index));
        const afterMarker = begin.index + begin[0].length;
        const tail = line.slice(afterMarker);
        // Key material on the marker line itself (a JSON string with the line breaks lost).
        return head + begin[0] + (tail.trim() ? REDACTED : tail);
      }
    }

    if (SHAPE_HINT.test(line)) line = this.applyShapes(line);
    if (SECRETISH.test(line)) {
      line = this.applyHeaders(line);
      line = this.applyCommandLine(line);
    }
    if (line.includes('://') || line.includes('?')) line = this.applyUrls(line);
    if (SECRETISH.test(line)) {
      if (line.includes('<')) line = this.applyXml(line);
      line = this.applyKeyValues(line);
    }
    if (this.scrubber.pseudonymizer) line = pseudonymizeLine(line, this.scrubber.pseudonymizer, this.count);
    return line;
  }

  private applyCustom(line: string, pattern: CompiledPattern): string {
    pattern.re.lastIndex = 0;
    return line.replace(pattern.re, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args.at(-1) as Record<string, string | undefined> | undefined;
      const secret = pattern.hasSecretGroup ? groups?.secret : match;
      if (!secret || secret.includes(REDACTED)) return match;
      this.count(pattern.id);
      return pattern.hasSecretGroup ? match.replace(secret, REDACTED) : REDACTED;
    });
  }

  private applyShapes(input: string): string {
    let sawAwsKeyId = false;
    let line = input.replace(SHAPES, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args.at(-1) as Record<string, string | undefined>;
      const index = TOKEN_SHAPES.findIndex((_, i) => groups[`r${i}`] !== undefined);
      const shape = TOKEN_SHAPES[index];
      if (!shape) return match;
      if (shape.prefix && isFillerBody(match)) return match;
      if (shape.id === 'aws-access-key-id') sawAwsKeyId = true;
      this.count(shape.id);
      return (shape.keep?.exec(match)?.[0] ?? '') + REDACTED;
    });
    // A bare 40-character secret key is only trusted when its key id is on the same line (CSV exports, logs).
    if (sawAwsKeyId) {
      line = line.replace(AWS_SECRET_SHAPE, () => {
        this.count('aws-secret-access-key');
        return REDACTED;
      });
    }
    return line;
  }

  private applyHeaders(input: string): string {
    let line = input.replace(AUTHORIZATION, (match, name: string, sep: string, scheme: string | undefined, value: string) => {
      if (isPlaceholder(value) || (!scheme && /^(?:Bearer|Basic|Token)$/i.test(value.trim()))) return match;
      this.count('http-authorization');
      return `${name}${sep}${scheme ?? ''}${REDACTED}`;
    });
    line = line.replace(COOKIE, (match, name: string, sep: string, value: string) => {
      const setCookie = name.toLowerCase() === 'set-cookie';
      let first = true;
      const scrubbed = value.replace(/(^|;[ \t]*)([^=;\s]+)=([^;]*)/g, (pair, lead: string, cookie: string, cookieValue: string) => {
        const isFirst = first;
        first = false;
        if ((setCookie && !isFirst) || isPlaceholder(cookieValue)) return pair;
        this.count('http-cookie');
        return `${lead}${cookie}=${REDACTED}`;
      });
      return scrubbed === value ? match : `${name}${sep}${scrubbed}`;
    });
    line = line.replace(TOKEN_HEADER, (match, name: string, sep: string, value: string) => {
      if (isPlaceholder(value)) return match;
      this.count('http-token-header');
      return `${name}${sep}${REDACTED}`;
    });
    return line;
  }

  private applyCommandLine(input: string): string {
    let line = input;
    if (line.includes('-u') || line.includes('--user') || line.includes('--proxy-user')) {
      line = line.replace(CURL_USER, (match, flag: string, sep: string, quote: string, user: string, password: string) => {
        if (isPlaceholder(password)) return match;
        this.count('command-line-password');
        return `${flag}${sep}${quote}${user}:${REDACTED}${quote}`;
      });
    }
    if (line.includes('-p')) {
      const replace = (match: string, head: string, quote: string, password: string) => {
        if (isPlaceholder(password)) return match;
        this.count('command-line-password');
        return `${head}${quote}${REDACTED}${quote}`;
      };
      line = line.replace(MYSQL_PASSWORD, replace).replace(DASH_P_PASSWORD, replace);
    }
    if (line.includes('set') || line.includes('config')) {
      line = line.replace(SET_COMMAND, (match, head: string, key: string, space: string, quote: string, value: string) => {
        const name = classifySecretName(key);
        if (!name || !this.shouldRedact(name, value)) return match;
        this.count(name.ruleId);
        return `${head}${key}${space}${quote}${REDACTED}${quote}`;
      });
    }
    if (!line.includes('-')) return line;
    FLAG.lastIndex = 0;
    let out = '';
    let copied = 0;
    for (let m = FLAG.exec(line); m; m = FLAG.exec(line)) {
      const valueStart = m.index + m[0].length;
      const name = classifySecretName(m[2]!);
      if (!name) continue;
      if (m[3] !== '=' && (line[valueStart] === '-' || valueStart >= line.length)) continue;
      const span = valueSpan(line, valueStart, false);
      if (!span) continue;
      const value = line.slice(span.start, span.end);
      if (!this.shouldRedact(name, value)) continue;
      out += line.slice(copied, span.start) + REDACTED;
      copied = span.end;
      FLAG.lastIndex = span.end;
      this.count(name.ruleId);
    }
    return out + line.slice(copied);
  }

  private applyUrls(input: string): string {
    let line = input;
    if (line.includes('@')) {
      line = line.replace(URL_USERINFO, (match, scheme: string, userinfo: string) => {
        const colon = userinfo.indexOf(':');
        const password = colon === -1 ? '' : userinfo.slice(colon + 1);
        const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
        if (password ? isPlaceholder(password) : !looksRandom(user)) return match;
        this.count('url-userinfo');
        // The whole userinfo goes, not just the password: `user:REDACTED@` still reads as a
        // credential to other scanners, and a user name can be a token too.
        return `${scheme}${REDACTED}@`;
      });
    }
    if (line.includes('=')) {
      line = line.replace(QUERY_PARAM, (match, lead: string, name: string, value: string) => {
        const lower = name.toLowerCase();
        const named = classifySecretName(name);
        const secret = QUERY_SECRET_PARAMS.has(lower) || named?.strength === 'strong'
          ? !isPlaceholder(value)
          : named?.strength === 'weak' && looksRandom(decodeQuery(value));
        if (!secret) return match;
        this.count(named?.strength === 'strong' && named.ruleId !== 'secret-key-name' ? named.ruleId : 'url-query-secret');
        return `${lead}${name}=${REDACTED}`;
      });
    }
    return line;
  }

  private applyXml(input: string): string {
    let line = input.replace(XML_ELEMENT, (match, tag: string, text: string) => {
      const name = classifySecretName(tag.includes(':') ? tag.slice(tag.indexOf(':') + 1) : tag);
      if (!name || !this.shouldRedact(name, text.trim())) return match;
      this.count(name.ruleId);
      return match.replace(`>${text}<`, `>${REDACTED}<`);
    });
    line = line.replace(XML_KEY_VALUE, (match, keyPart: string, q1: string, key: string, valuePart: string, q2: string, value: string) => {
      const name = classifySecretName(key);
      if (!name || !this.shouldRedact(name, value)) return match;
      this.count(name.ruleId);
      return `${keyPart}${q1}${key}${q1}${valuePart}${q2}${REDACTED}${q2}`;
    });
    return line;
  }

  private applyKeyValues(input: string): string {
    let line = input;
    if (line.includes('"') || line.includes("'")) {
      line = line.replace(QUOTED_KEY, (match, quote: string, key: string, sep: string, raw: string) => {
        const name = classifySecretName(key);
        if (!name) return match;
        const quoted = raw.startsWith('"') || raw.startsWith("'");
        if (!quoted && /^(?:null|true|false|[{[])/.test(raw)) return match;
        const value = quoted ? raw.slice(1, -1) : raw;
        if (!this.shouldRedact(name, value)) return match;
        this.count(name.ruleId);
        // A number under a secret key becomes a string: the file stays valid JSON.
        const q = quoted ? raw[0]! : quote;
        return `${quote}${key}${quote}${sep}${q}${REDACTED}${q}`;
      });
    }

    BARE_KEY.lastIndex = 0;
    let out = '';
    let copied = 0;
    for (let m = BARE_KEY.exec(line); m; m = BARE_KEY.exec(line)) {
      const name = classifySecretName(m[1]!);
      if (!name || (/^(?:OLD)?PWD$/.test(m[1]!) && line[m.index + m[0].length] === '/')) continue;
      const atLineStart = LINE_START_PREFIX.test(line.slice(0, m.index));
      const valueStart = m.index + m[0].length;
      const rest = line.slice(valueStart);
      if (atLineStart && BLOCK_SCALAR.test(rest.trim()) && rest.trim() !== '') {
        if (name.strength === 'strong') {
          this.block = {indent: leadingSpace(line).length + (line.slice(leadingSpace(line).length).startsWith('- ') ? 2 : 0), ruleId: name.ruleId};
          this.count(name.ruleId);
        }
        break;
      }
      const span = valueSpan(line, valueStart, atLineStart);
      if (!span) continue;
      let value = line.slice(span.start, span.end);
      if (atLineStart && /^[{[]/.test(value)) continue;
      // `Authorization: Bearer abc` seen mid-line: the scheme word is not the secret.
      const scheme = SCHEME_WORD.test(value) ? valueSpan(line, span.end + 1, false) : undefined;
      if (scheme && line[span.end] === ' ') {
        span.start = scheme.start;
        span.end = scheme.end;
        value = line.slice(span.start, span.end);
      }
      if (!this.shouldRedact(name, value)) {
        BARE_KEY.lastIndex = Math.max(BARE_KEY.lastIndex, valueStart);
        continue;
      }
      out += line.slice(copied, span.start) + REDACTED;
      copied = span.end;
      BARE_KEY.lastIndex = span.end;
      this.count(name.ruleId);
    }
    return out + line.slice(copied);
  }

  private shouldRedact(name: SecretName, value: string): boolean {
    if (isPlaceholder(value)) return false;
    return name.strength === 'strong' || looksRandom(value);
  }
}

/**
 * Where a value starts and ends. Quoted values end at their closing quote; at the start of
 * a line (config files, .env, YAML) a bare value runs to the end of the line less a
 * trailing comment; in running text it ends at whitespace or punctuation.
 */
function valueSpan(line: string, start: number, toEndOfLine: boolean): {start: number; end: number} | undefined {
  const first = line[start];
  if (first === undefined) return undefined;
  if (first === '"' || first === "'") {
    for (let i = start + 1; i < line.length; i++) {
      const ch = line[i];
      if (ch === '\\' && first === '"') i++;
      else if (ch === first) {
        if (first === "'" && line[i + 1] === "'") i++;
        else return {start: start + 1, end: i};
      }
    }
    // An unclosed quote: the value goes on past this line; redact what is here.
    return {start: start + 1, end: line.length};
  }
  if (toEndOfLine) {
    let end = line.length;
    const comment = line.slice(start).search(/[ \t]#/);
    if (comment !== -1) end = start + comment;
    while (end > start && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
    return end > start ? {start, end} : undefined;
  }
  let end = start;
  while (end < line.length && !/[\s,;&"'<>]/.test(line[end]!)) end++;
  while (end > start && /[)\]}]/.test(line[end - 1]!)) end--;
  return end > start ? {start, end} : undefined;
}

function leadingSpace(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function decodeQuery(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function compilePattern(pattern: CustomPattern, index: number): CompiledPattern {
  const flags = `${(pattern.flags ?? '').replace(/[gy]/g, '')}g`;
  let re: RegExp;
  try {
    re = new RegExp(pattern.pattern, flags);
  } catch (error) {
    throw new UsageError(`The redaction pattern ${JSON.stringify(pattern.pattern)} is not a valid regular expression.`, {
      cause: error,
      hint: 'Fix it in the collection profile (patterns are JavaScript regular expressions).',
    });
  }
  if (re.test('')) {
    throw new UsageError(`The redaction pattern ${JSON.stringify(pattern.pattern)} matches empty text.`, {
      hint: 'A pattern must match at least one character.',
    });
  }
  return {id: `custom:${pattern.id ?? index + 1}`, re, hasSecretGroup: /\(\?<secret>/.test(pattern.pattern)};
}
