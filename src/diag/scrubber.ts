import {Transform, type TransformCallback} from 'node:stream';

import {UsageError} from '../domain/errors.js';
import {formatFromName, sniffFormat, type TextFormat} from './formats.js';
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
  PEM_TRAILING_BODY,
  QUERY_SECRET_PARAMS,
  REDACTED,
  type SecretName,
  shouldRedactValue,
  TOKEN_SHAPES,
} from './rules.js';
import type * as StructureModule from './structure.js';
import {WordScanner} from './word-scan.js';

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
  /**
   * A structured file (JSON, YAML, TOML, XML, .properties) up to this size is parsed whole;
   * a larger one is scrubbed by the line rules alone (a YAML stream: document by document).
   */
  maxStructuredSize?: number;
}

/** What a session knows about the text it scrubs. */
export interface SessionOptions {
  /** The file's name or path: its format is known from it (`.yaml`, `.netrc`, `config.json`). */
  name?: string;
  /** The format, when the caller knows it; otherwise the name, then the first line, decide. */
  format?: TextFormat;
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
const DEFAULT_MAX_STRUCTURED = 2 * 1024 * 1024;
/** How much of a file's start is looked at to guess its format when its name does not say. */
const SNIFF_BYTES = 64 * 1024;

/** A word as the scrubber sees it: UTF-8 bytes, one char per byte. */
const latin1 = (word: string) => Buffer.from(word, 'utf8').toString('latin1');
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const FOREIGN_HINTS = ['passe', 'contrase', 'clave', 'senha', 'segredo', 'wachtwoord', 'kennwort', 'senord', 'haslo', 'has\u0142o', 'heslo', 'jelsz',
  'salasana', 'passord', 'adgangskode', 'sifre', '\u015fifre', 'jeton', 'parola', '密码', '密碼', '口令', 'パスワード', '暗証', '비밀번호', '암호', 'пароль',
  'токен', 'كلمة المرور', 'סיסמה', 'รหัสผ่าน', 'mật khẩu'].map((word) => escapeRegex(latin1(word)));
/**
 * One alternation of regex sources, with the alternatives that start with the same character
 * drawn together (`p(?:ass|wd|riv)`): the same matches, but V8 then tries one branch per
 * position instead of every word, which makes the cheap per-line tests below about half as dear.
 */
export function alternation(sources: string[], flags = ''): RegExp {
  const groups = new Map<string, string[]>();
  const rest: string[] = [];
  for (const source of sources) {
    const first = /^(?:\\[^\w\s]|[\w\x80-\xff-])/.exec(source)?.[0];
    // An alternative that is nothing but its first character, or starts with a class or a group, stands alone.
    if (!first || first.length === source.length || /^[?*+{]/.test(source.slice(first.length))) rest.push(source);
    else groups.set(first, [...(groups.get(first) ?? []), source.slice(first.length)]);
  }
  const grouped = [...groups].map(([first, tails]) => (tails.length === 1 ? `${first}${tails[0]}` : `${first}(?:${tails.join('|')})`));
  return new RegExp([...grouped, ...rest].join('|'), flags);
}

/** Cheap test that a line may hold a named secret; most log lines fail it and skip the key layers. */
const SECRETISH_WORDS = ['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'cookie', 'cred', 'sig', 'session', 'sid', 'salt', 'priv', 'dsn', 'license', 'seed',
  'bearer', 'connection', 'otp', 'jwt', 'mfa', 'pin', 'hmac', 'sas', 'psk', 'machine', String.raw`\s-[upwaND]`, ...FOREIGN_HINTS];
const SECRETISH = alternation(SECRETISH_WORDS, 'i');
const SHAPES = new RegExp(TOKEN_SHAPES.map((shape, i) => `(?<r${i}>${shape.source})`).join('|'), 'g');
/** The start of every token shape, as cheap a test as it can be. */
const SHAPE_HINT_SOURCES = [
  'AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'A3T', 'gh[pousr]_', 'github_pat_', 'gl[a-z]+-', String.raw`hooks\.slack`, 'xox',
  'xapp', '_live_', '_test_', 'whsec_', 'AIza', String.raw`ya29\.`, 'GOCSPX', String.raw`1\/\/0`, 'npm_', 'eyJ', 'ATATT', 'ATCTT', 'sk-', String.raw`SG\.`, 'shp',
  'hf_', 'gsk_', 'lin_api', 'ntn_', 'tskey', 'dapi', 'glsa_', String.raw`hv[sbr]\.`, 'figd_', 'dckr_', 'ops_', 'spt_', 'do[por]_v1', 'pypi-', 'PMAK-', 'NRAK-',
  'sntry', 'glc_', 'pul-', 'atlasv1', 'AGE-SECRET', 'sq0', 'key-', 'SK[0-9a-fA-F]', 'Q~', String.raw`\$2[abxy]?\$`, String.raw`\$apr1\$`, String.raw`\$[156y]\$`,
  String.raw`\{SSHA?\}`,
];
const SHAPE_HINT = alternation(SHAPE_HINT_SOURCES);

/**
 * Where scrubPlainLine() could change a line: any of the words and shapes it tests for, a key
 * block, a PuTTY key, a URL. A line with none of them comes out as it went in, so lines() copies
 * it without looking further. Case is ignored throughout: taking a line for a closer look when
 * it did not need one costs time, never a secret. `[^\S\n]` keeps a match inside one line.
 */
export const WORTH_A_LOOK_SOURCES: readonly string[] = [
  ...SECRETISH_WORDS.map((word) => (word === String.raw`\s-[upwaND]` ? String.raw`[^\S\n]-[upwaND]` : word)),
  ...SHAPE_HINT_SOURCES,
  'PRIVATE KEY',
  'Private-',
  'PuTTY',
  String.raw`:\/\/`,
  String.raw`\?`,
];
let worthALook: WordScanner | undefined;
/** A character of the first place from `from` that may need a look, or -1: one pass over the text. */
export function firstWorthALook(text: string, from: number): number {
  worthALook ??= new WordScanner(WORTH_A_LOOK_SOURCES);
  return worthALook.find(text, from);
}
/** Formats whose every line is read (credential files, .npmrc). */
const LINE_BY_LINE = new Set<TextFormat>(['netrc', 'pgpass', 'htpasswd', 'npmrc']);

const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|Bot|OAuth|ApiKey|SSWS|AWS4-HMAC-SHA256|Splunk';
/**
 * Authorization in any syntax: a header line, JSON (`"Authorization": "..."`, Go's
 * `"authorization": ["..."]`), code (`'Authorization' => '...'`, `set('Authorization', '...')`),
 * a Go map dump (`map[Authorization:[...]]`), PHP's `[HTTP_AUTHORIZATION] => ...`.
 */
const AUTHORIZATION = new RegExp(
  String.raw`(?<![A-Za-z])((?:proxy-)?authorization)((?:["'\]]?[ \t]*(?:=>|[:=,])[ \t]*[\[(]?[ \t]*["'\`]?)|[ \t]+(?=(?:${AUTH_SCHEMES})[ \t]))((?:${AUTH_SCHEMES})[ \t]+)?([^\r\n"'\`\])]*)`,
  'gi',
);
const COOKIE = /\b(set-cookie|cookie)(["']?[ \t]*:[ \t]*["']?)([^\r\n"']*)/gi;
const TOKEN_HEADER = /(?<![\w-])(x-[\w-]*?(?:token|key|secret|signature|auth|password|credential)s?|api-key|private-token)([ \t]*:[ \t]*)([^\r\n"']+)/gi;
/** The userinfo runs to the last `@` before the host: a password may hold a raw `@`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s/@"'<>]+(?:@[^\s/@"'<>]+)*)@(?=[^\s/@"'<>])/gi;
const QUERY_PARAM = /([?&;])([\w.\-[\]%]{1,100})=([^&#\s"'<>;]*)/g;
const CURL_USER = /(?<![\w-])(-u|--user|--proxy-user)([ \t]+|=)(['"]?)([^\s:'"]+):([^\s'"]+)\3/g;
const MYSQL_PASSWORD = /\b((?:mysql|mariadb)[\w-]*\b[^\r\n]*?[ \t]-p)(?![ \t])(['"]?)([^\s'"]+)\2/g;
const DASH_P_PASSWORD = /\b((?:sshpass|login)\b[^\r\n]*?[ \t]-p[ \t]+)(['"]?)([^\s'"]+)\2/g;
/** `aws configure set aws_secret_access_key VALUE`, `git config http.token VALUE`: a name then a value. */
const SET_COMMAND = /\b((?:set|config)[ \t]+(?:--?[\w-]+[ \t]+)*)([\w.-]+)([ \t]+)(['"]?)([^\s'"]+)\4/g;
const FLAG = /(?<![\w-])(--?)([A-Za-z][\w-]{1,60})(=|[ \t]+)/g;
/** `-Djavax.net.ssl.trustStorePassword=...`: Java system properties on a command line. */
const JVM_PROPERTY = /(?<![\w-])(-D)([\w.-]{1,100})(=)(['"]?)([^\s'"]+)\4/g;

interface ToolFlags {
  tools: RegExp;
  /** Groups: 1 what is kept before the value, 2 a quote, 3 the value. */
  flags: RegExp;
}
const flagRule = (flags: string[], attached: 'no' | 'yes' | 'only') =>
  new RegExp(String.raw`((?<=[ \t])(?:${flags.map(escapeRegex).join('|')})${attached === 'only' ? '' : attached === 'yes' ? '[ \\t]*' : '[ \\t]+'})(['"]?)([^\s'"]+)\2`, 'g');
/** Short flags that carry a password in the tools people paste into tickets. */
const TOOL_FLAGS: ToolFlags[] = [
  {tools: /\bredis-cli\b/, flags: flagRule(['-a'], 'no')},
  {tools: /\bldap(?:search|modify|add|delete|whoami|compare|modrdn|exop|passwd|url)?\b/, flags: flagRule(['-w', '-s'], 'yes')},
  {tools: /\b(?:mysql|mariadb|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mariadb-dump)\b/, flags: flagRule(['-p'], 'only')},
  {tools: /\bsshpass\b/, flags: flagRule(['-p'], 'yes')},
  {tools: /\b(?:docker|podman|buildah|skopeo|nerdctl|helm|oras|crane|oc|az|cf)\b[^\r\n]*\blogin\b/, flags: flagRule(['-p'], 'no')},
  {tools: /\b(?:sqlcmd|bcp|osql|isql)\b/, flags: flagRule(['-P'], 'yes')},
  {tools: /\bmongo(?:sh|dump|restore|export|import|stat|top)?\b/, flags: flagRule(['-p'], 'no')},
  {tools: /\b(?:zip|unzip|zipcloak)\b/, flags: flagRule(['-P'], 'no')},
  {tools: /\b(?:7z|7za|7zr|rar|unrar)\b/, flags: flagRule(['-p'], 'only')},
  {tools: /\bssh-keygen\b/, flags: flagRule(['-N', '-P'], 'no')},
  {tools: /\b(?:smbclient|rpcclient|smbmap|smbcacls|net)\b/, flags: /((?<=[ \t])(?:-U|--user)[ \t]*[^\s%'"]+%)(['"]?)([^\s'"]+)\2/g},
  {tools: /\blftp\b/, flags: /((?<=[ \t])-u[ \t]+[^\s,'"]+,)(['"]?)([^\s'"]+)\2/g},
  {tools: /\bsqlplus\b/, flags: /(\bsqlplus[ \t]+(?:-\w+[ \t]+)*[^\s/'"]+\/)(['"]?)([^\s@'"]+)\2/g},
  {tools: /\bhtpasswd\b/, flags: /(\bhtpasswd[ \t]+-\w*b\w*[ \t]+\S+[ \t]+\S+[ \t]+)(['"]?)([^\s'"]+)\2/g},
];
const TOOL_HINT = /redis-cli|ldap|mysql|maria|sshpass|login|sqlcmd|bcp|osql|isql|mongo|zip|7z|rar|ssh-keygen|smb|rpcclient|net |lftp|sqlplus|htpasswd/;

/** `the password is X`, `api key: X`, `Passwort lautet X`, `密码是X`: a key word in a sentence, then the value. */
const PROSE_WORDS = [
  'password', 'passwd', 'passphrase', 'passcode', 'pass word', 'api[ _-]?key', 'access[ _-]?key', 'secret[ _-]?key', 'secret', 'token',
  'api[ _-]?token', 'access[ _-]?token', 'pin', 'otp', 'passwort', 'kennwort', 'mot de passe', 'contrase(?:\xc3\xb1|n)a', 'clave', 'senha',
  'wachtwoord', 'l(?:\xc3\xb6|o)senord', 'passord', 'has(?:\xc5\x82|l)o', 'heslo', 'jelsz(?:\xc3\xb3|o)', 'salasana', 'parola',
  ...['密码', '密碼', 'パスワード', '비밀번호', 'пароль'].map((word) => escapeRegex(latin1(word))),
];
const PROSE_VERBS = ['is', 'was', 'is now', 'will be', 'set to', 'changed to', 'lautet', 'ist', 'est', 'es', 'era', '\xc3\xa9', 'is set to',
  ...['是', '为', 'は', '는', 'は'].map((word) => escapeRegex(latin1(word)))];
const PROSE = new RegExp(
  String.raw`(?<![\w-])(?:${PROSE_WORDS.join('|')})(?![\w-])((?:[ \t]*(?:${PROSE_VERBS.join('|')}))?[ \t]*(?:[:=]|${escapeRegex(latin1('：'))})?[ \t]*)(["'\`]|${escapeRegex(latin1('“'))}|${escapeRegex(latin1('「'))})?([^\s"'\`<>]{3,200})`,
  'gi',
);
/** One of PROSE's words somewhere in the line: without one PROSE cannot match. */
const PROSE_HINT = alternation(PROSE_WORDS, 'i');
/** PuTTY key files: the private part is so many base64 lines, then a MAC. */
const PPK_PRIVATE = /^Private-Lines:[ \t]*(\d{1,4})[ \t]*$/;
const PPK_MAC = /^(Private-(?:MAC|Hash):[ \t]*)(\S+)/;
const NETRC = /(^|[ \t])(password|passwd|account)([ \t]+)(\S+)/g;
const XML_ELEMENT = /<([A-Za-z_][\w.:-]{0,99})(?:[ \t][^<>]*)?>([^<]+)<\/\1>/g;
const XML_KEY_VALUE = /\b((?:key|name)[ \t]*=[ \t]*)(["'])([^"'\r\n]{1,100})\2([ \t]+value[ \t]*=[ \t]*)(["'])([^"'\r\n]*)\5/gi;
// The bare value may not start with a brace or a quote: `{"db": {"password": ...}}` must leave the inner key to be seen.
const QUOTED_KEY = /(["'])([^"'\\\r\n]{1,100})\1([ \t]*(?::|=>|=)[ \t]*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.|'')*'|[^\s,;}\])"'{[][^\s,;}\])"']*)/g;
const BARE_KEY = /(?<![\w.\-$@/\\%\x80-\xff])([A-Za-z_\x80-\xff][\w.\x80-\xff-]{0,99})(?<![.-])([ \t]*(?::=|=(?![=>])|:(?![/:=\w]))[ \t]*)/g;
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
  readonly maxStructuredSize: number;
  /** The parsers, once prepare() has loaded them; without them structured files get the line rules only. */
  structure: typeof StructureModule | undefined;

  constructor(options: ScrubberOptions = {}) {
    this.patterns = (options.patterns ?? []).map(compilePattern);
    if (options.pseudonymizer) this.pseudonymizer = options.pseudonymizer;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE;
    this.maxStructuredSize = options.maxStructuredSize ?? DEFAULT_MAX_STRUCTURED;
  }

  /** Loads the format parsers (heavy: only diag needs them). Streams call it themselves. */
  async prepare(): Promise<this> {
    this.structure ??= await import('./structure.js');
    return this;
  }

  session(options: SessionOptions = {}): ScrubSession {
    return new ScrubSession(this, this.patterns, options);
  }

  /** Scrubs a whole text held in memory (collector output, settings). Call prepare() first for structure. */
  scrubText(text: string, options: SessionOptions = {}): ScrubResult {
    const session = this.session(options);
    const latin1Text = Buffer.from(text, 'utf8').toString('latin1');
    const out = session.write(latin1Text) + session.end();
    return {text: Buffer.from(out, 'latin1').toString('utf8'), redactions: session.redactions()};
  }

  /** A Transform for bytes: lines are scrubbed as they pass, one chunk at a time. */
  stream(options: SessionOptions = {}): ScrubStream {
    return new ScrubStream(this, this.session(options));
  }
}

export function createScrubber(options: ScrubberOptions = {}): Scrubber {
  return new Scrubber(options);
}

/** A scrubber with its format parsers loaded. */
export function loadScrubber(options: ScrubberOptions = {}): Promise<Scrubber> {
  return new Scrubber(options).prepare();
}

export class ScrubStream extends Transform {
  constructor(
    private readonly scrubber: Scrubber,
    private readonly session: ScrubSession,
  ) {
    super();
  }

  redactions(): RedactionCounts {
    return this.session.redactions();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const run = () => {
      const out = this.session.write(chunk.toString('latin1'));
      if (out) this.push(Buffer.from(out, 'latin1'));
      callback();
    };
    if (this.scrubber.structure) run();
    else this.scrubber.prepare().then(run, callback);
  }

  override _flush(callback: TransformCallback): void {
    const run = () => {
      const out = this.session.end();
      if (out) this.push(Buffer.from(out, 'latin1'));
      callback();
    };
    if (this.scrubber.structure) run();
    else this.scrubber.prepare().then(run, callback);
  }
}

interface BlockState {
  indent: number;
  ruleId: string;
}

interface PemState {
  /** Body lines are collapsed into one REDACTED line: only the first is written. */
  wroteBody: boolean;
  /** Characters before the BEGIN marker (a log prefix), found again on every body line. */
  prefixLength: number;
}

interface MultilineString {
  /** The delimiter that closes a TOML multi-line string: `"""` or `'''`. */
  close: string;
}

/** A run of characters that can be a whole value in any of the syntaxes. */
const KNOWN_WORD = /[^\s"'<>,;=:&?/@()[\]{}\\`]{6,}/g;

const STRUCTURED = new Set<TextFormat>(['json', 'yaml', 'toml', 'properties', 'xml']);

/**
 * Scrubs one file's text, given as latin1 strings (a char per byte) so that any bytes pass
 * through unchanged. write() returns what is complete so far; end() the rest.
 *
 * A structured file is held (up to maxStructuredSize) and parsed whole when it ends, so that
 * a value is judged by the keys above it; its exact bytes are then replaced, and the line
 * rules run over the result. Everything else streams line by line.
 */
export class ScrubSession {
  private pending = '';
  private readonly counts = new Map<string, number>();
  private pem: PemState | undefined;
  private block: BlockState | undefined;
  private multiline: MultilineString | undefined;
  private ppkLines = 0;
  private format: TextFormat | undefined;
  private head = '';
  private doc = '';
  private docOverflow = false;
  /** Secrets found by structure, removed wherever else they appear in the file (value -> rule). */
  private readonly known = new Map<string, string>();
  private readonly count = (rule: string) => this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);

  constructor(
    private readonly scrubber: Scrubber,
    private readonly patterns: CompiledPattern[],
    options: SessionOptions = {},
  ) {
    this.format = options.format ?? formatFromName(options.name);
  }

  redactions(): RedactionCounts {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  write(chunk: string): string {
    if (this.format === undefined) {
      this.head += chunk;
      if (!this.head.includes('\n') && this.head.length < SNIFF_BYTES) return '';
      this.format = sniffFormat(this.head);
      chunk = this.head;
      this.head = '';
    }
    if (STRUCTURED.has(this.format) && this.scrubber.structure && !this.docOverflow) {
      this.doc += chunk;
      if (this.doc.length <= this.scrubber.maxStructuredSize) return '';
      return this.flushDocument(false);
    }
    return this.lines(chunk);
  }

  end(): string {
    let out = '';
    if (this.format === undefined) {
      this.format = sniffFormat(this.head);
      const head = this.head;
      this.head = '';
      out += this.write(head);
    }
    if (this.doc) {
      const doc = this.doc;
      this.doc = '';
      out += this.lines(this.structured(doc));
    }
    const rest = this.pending;
    this.pending = '';
    if (rest) out += this.emit(rest, false);
    this.pem = undefined;
    this.block = undefined;
    this.multiline = undefined;
    this.ppkLines = 0;
    return out;
  }

  /**
   * A structured file over the size limit: a YAML stream gives up its complete documents;
   * anything else goes on with the line rules alone.
   */
  private flushDocument(final: boolean): string {
    if (this.format === 'yaml' && !final) {
      const boundary = this.doc.lastIndexOf('\n---');
      if (boundary > 0) {
        const complete = this.doc.slice(0, boundary + 1);
        this.doc = this.doc.slice(boundary + 1);
        const out = this.lines(this.structured(complete));
        return this.doc.length <= this.scrubber.maxStructuredSize ? out : out + this.overflow();
      }
    }
    return this.overflow();
  }

  private overflow(): string {
    this.docOverflow = true;
    const doc = this.doc;
    this.doc = '';
    return this.lines(doc);
  }

  /** The document with the values that structure finds replaced; they are remembered for the rest of the file. */
  private structured(doc: string): string {
    const structure = this.scrubber.structure;
    const format = this.format;
    if (!structure || !format || !STRUCTURED.has(format)) return doc;
    const found = structure.findStructuredSecrets(format as StructureModule.StructuredFormat, doc);
    return this.applyRedactions(doc, found);
  }

  private applyRedactions(text: string, found: StructureModule.Redaction[]): string {
    if (found.length === 0) return text;
    const spans = found.filter((r) => r.start >= 0).sort((a, b) => a.start - b.start);
    let out = '';
    let copied = 0;
    for (const r of spans) {
      if (r.start < copied) continue;
      const original = text.slice(r.start, r.end);
      if (original.includes(REDACTED) && original.length <= REDACTED.length + 2) continue;
      out += text.slice(copied, r.start) + r.replacement;
      copied = r.end;
      this.count(r.rule);
    }
    out += text.slice(copied);
    for (const r of found) if (r.start < 0) this.remember(r.value, r.rule);
    return this.applyKnown(out);
  }

  private remember(value: string, rule: string): void {
    const v = value.trim();
    if (v.length < 6 || isPlaceholder(v) || this.known.size >= 4096) return;
    KNOWN_WORD.lastIndex = 0;
    const word = KNOWN_WORD.exec(v);
    if (word && word[0] === v) this.known.set(v, rule);
  }

  /**
   * Other copies of values structure found (the same password in a URL further down, a secret
   * inside JSON kept as a string): looked up word by word, so the cost does not grow with their number.
   */
  private applyKnown(text: string): string {
    if (this.known.size === 0) return text;
    return text.replace(KNOWN_WORD, (word) => {
      const rule = this.known.get(word);
      if (rule === undefined) return word;
      this.count(rule);
      return REDACTED;
    });
  }

  /** The line loop: complete lines are scrubbed; a line longer than the limit is cut where no secret is split. */
  private lines(chunk: string): string {
    let text = this.pending + chunk;
    let out = '';
    let start = 0;
    // Lines before the next place any rule could start are copied as they are, many at a time.
    const skip = this.patterns.length === 0 && !this.scrubber.pseudonymizer && !LINE_BY_LINE.has(this.format!);
    let dirty = -1;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      if (skip && !this.pem && !this.block && !this.multiline && this.ppkLines === 0) {
        if (dirty < start) {
          const found = firstWorthALook(text, start);
          dirty = found === -1 ? text.length : found;
        }
        if (dirty > nl) {
          const clean = text.lastIndexOf('\n', dirty - 1) + 1;
          out += text.slice(start, clean);
          start = clean;
          continue;
        }
      }
      out += this.emit(text.slice(start, nl), true);
      start = nl + 1;
    }
    text = text.slice(start);
    while (text.length > this.scrubber.maxLineLength) {
      const cut = this.cutPoint(text);
      out += this.emit(text.slice(0, cut), false);
      text = text.slice(cut);
    }
    this.pending = text;
    return out;
  }

  /**
   * Where to cut a line too long to hold: at a space or punctuation, and never between a key
   * and its value or inside a token. A cut is checked by scrubbing the text around it whole
   * and in two halves: if the results differ, a secret straddles it, and it moves earlier.
   */
  private cutPoint(text: string): number {
    const limit = this.scrubber.maxLineLength;
    const breakBefore = (at: number) => {
      for (let i = at - 1; i > limit / 4; i--) if (/[\s,;&{}[\]<>]/.test(text[i]!)) return i + 1;
      return -1;
    };
    let cut = breakBefore(limit);
    if (cut === -1) return limit;
    for (let tries = 0; tries < 8; tries++) {
      const from = Math.max(0, cut - 4096);
      const window = text.slice(from, Math.min(text.length, cut + 4096));
      const at = cut - from;
      if (this.probe(window) === this.probe(window.slice(0, at)) + this.probe(window.slice(at))) return cut;
      const earlier = breakBefore(Math.max(from, cut - 256));
      if (earlier === -1) return cut;
      cut = earlier;
    }
    return cut;
  }

  private probe(text: string): string {
    const session = new ScrubSession(this.scrubber, this.patterns, {format: 'text'});
    return session.scrubPlainLine(text);
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
      const pem = this.pem;
      if (line.includes('-----END ')) {
        this.pem = undefined;
        return line;
      }
      const prefix = pem.prefixLength > 0 && line.length > pem.prefixLength ? line.slice(0, pem.prefixLength) : '';
      const body = line.slice(prefix.length);
      if (PEM_BODY.test(body)) {
        // Headers (Proc-Type, DEK-Info, PGP's Version) say how the key is stored, not what it is.
        if (/^[\s"'`]*[A-Za-z-]+: /.test(body)) return line;
        if (!pem.wroteBody) this.count('private-key');
        if (prefix) {
          pem.wroteBody = true;
          return body.trim() ? `${prefix}${leadingSpace(body)}${REDACTED}` : line;
        }
        if (pem.wroteBody) return undefined;
        pem.wroteBody = true;
        return `${leadingSpace(line)}${REDACTED}`;
      }
      // A prefix of another width on this line (a log level, a longer time): the base64 at its end.
      const trailing = PEM_TRAILING_BODY.exec(line);
      if (trailing && line.length - trailing[0].length > 0) {
        if (!pem.wroteBody) this.count('private-key');
        pem.wroteBody = true;
        return `${line.slice(0, trailing.index)}${REDACTED}`;
      }
      // Not key material: the block was cut short (a truncated log). Carry on normally.
      this.pem = undefined;
    }
    if (this.ppkLines > 0) {
      this.ppkLines--;
      return line.trim() ? REDACTED : line;
    }
    if (this.multiline) {
      const close = line.indexOf(this.multiline.close);
      if (close === -1) return line.trim() ? `${leadingSpace(line)}${REDACTED}` : line;
      this.multiline = undefined;
      return close > 0 ? REDACTED + line.slice(close) : line;
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
        const head = this.scrubPlainLine(line.slice(0, begin.index));
        const afterMarker = begin.index + begin[0].length;
        const tail = line.slice(afterMarker);
        const inlineBody = tail.trim() !== '' && !/^["'`,\\n\s]*$/.test(tail);
        this.pem = {wroteBody: inlineBody, prefixLength: begin.index};
        // Key material on the marker line itself (a JSON string with the line breaks lost).
        if (inlineBody) this.count('private-key');
        return head + begin[0] + (inlineBody ? REDACTED : tail);
      }
    }
    if (line.startsWith('Private-') || line.startsWith('PuTTY-User-Key-File')) {
      const lines = PPK_PRIVATE.exec(line);
      if (lines) {
        this.ppkLines = Number(lines[1]);
        if (this.ppkLines > 0) this.count('private-key');
        return line;
      }
      const mac = PPK_MAC.exec(line);
      if (mac) return `${mac[1]}${REDACTED}${line.slice(mac[0].length)}`;
    }

    if (this.format === 'netrc' || this.format === 'pgpass' || this.format === 'htpasswd') line = this.applyCredentialFile(line);
    else if (line.includes('machine') && /\bmachine\s+\S+.*\b(?:password|passwd)\s/.test(line)) line = this.applyCredentialFile(line, 'netrc');
    if (SHAPE_HINT.test(line)) line = this.applyShapes(line);
    const secretish = SECRETISH.test(line);
    if (secretish && this.scrubber.structure && this.format !== 'json' && line.includes('"')) line = this.applyInlineJson(line);
    if (secretish) {
      line = this.applyHeaders(line);
      line = this.applyCommandLine(line);
    }
    if (line.includes('://') || line.includes('?')) line = this.applyUrls(line);
    if (secretish) {
      if (line.includes('<')) line = this.applyXml(line);
      line = this.applyKeyValues(line);
      line = this.applyProse(line);
    }
    // npm's own form for a token kept out of the file, which npm and secret scanners read as a reference.
    if (this.format === 'npmrc') line = line.replace(/(_auth(?:Token)?|_password)=REDACTED/g, '$1=${REDACTED}');
    if (this.scrubber.pseudonymizer) line = pseudonymizeLine(line, this.scrubber.pseudonymizer, this.count);
    return line;
  }

  /** A JSON value inside a log line (or a JSON Lines record): parsed, so nesting and env lists count. */
  private applyInlineJson(line: string): string {
    const open = /[{[][ \t]*"/.exec(line);
    if (!open || !this.scrubber.structure) return line;
    return this.applyRedactions(line, this.scrubber.structure.findJsonSecrets(line, open.index));
  }

  /** .netrc (`password X`), .pgpass (the fifth field), .htpasswd (the hash after the user). */
  private applyCredentialFile(line: string, format = this.format): string {
    if (/^\s*#/.test(line) || line.trim() === '') return line;
    if (format === 'netrc') {
      NETRC.lastIndex = 0;
      return line.replace(NETRC, (match, lead: string, word: string, space: string, value: string) => {
        if (isPlaceholder(value)) return match;
        this.count('credential-file');
        return `${lead}${word}${space}${REDACTED}`;
      });
    }
    if (format === 'pgpass') {
      let fields = 0;
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '\\') i++;
        else if (line[i] === ':' && ++fields === 4) {
          if (i + 1 >= line.length || isPlaceholder(line.slice(i + 1))) return line;
          this.count('credential-file');
          return `${line.slice(0, i + 1)}${REDACTED}`;
        }
      }
      return line;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1 || line.slice(colon + 1).includes(REDACTED)) return line;
    this.count('credential-file');
    // .htdigest is user:realm:hash; .htpasswd is user:hash.
    const last = line.lastIndexOf(':');
    return `${line.slice(0, last > colon && /^[0-9a-f]{32}$/.test(line.slice(last + 1)) ? last + 1 : colon + 1)}${REDACTED}`;
  }

  /** `the password is X`: a key word, a verb or a colon, then the value if it looks like one. */
  private applyProse(input: string): string {
    if (!PROSE_HINT.test(input)) return input;
    PROSE.lastIndex = 0;
    return input.replace(PROSE, (match, between: string, quote: string | undefined, raw: string) => {
      const value = raw.replace(/[.,;:!?)\]}]+$/, '');
      if (isPlaceholder(value) || isPlaceholder(raw) || /^[$%{[(]/.test(raw) || value.includes(REDACTED) || value.length < 4) return match;
      const separator = /[:=]|\xef\xbc\x9a/.test(between);
      const verb = between.trim() !== '' && !separator;
      if (!verb && !separator) return match;
      const shaped = /\d/.test(value) || /[^A-Za-z\x80-\xff]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value.slice(1)));
      // "the password is wrong" stays; "the password is hunter2" does not.
      if (!quote && !shaped && (verb || value.length < 8)) return match;
      if (/^(?:https?:|\/|\.\/|~\/)/.test(value) || /^\d{1,3}$/.test(value)) return match;
      this.count('prose-secret');
      return match.slice(0, match.length - raw.length) + REDACTED + raw.slice(value.length);
    });
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
    // Each rule needs its word; a line without them (most lines that reach here) skips the regexes.
    const lower = input.toLowerCase();
    const authorization = lower.includes('authorization');
    const cookie = lower.includes('cookie');
    if (!authorization && !cookie && !lower.includes('x-') && !lower.includes('api-key') && !lower.includes('private-token')) return input;
    let line = !authorization ? input : input.replace(AUTHORIZATION, (match, name: string, sep: string, scheme: string | undefined, value: string) => {
      if (isPlaceholder(value) || (!scheme && /^(?:Bearer|Basic|Token)$/i.test(value.trim()))) return match;
      this.count('http-authorization');
      return `${name}${sep}${scheme ?? ''}${REDACTED}`;
    });
    if (cookie) line = line.replace(COOKIE, (match, name: string, sep: string, value: string) => {
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
    if (TOOL_HINT.test(line)) {
      for (const rule of TOOL_FLAGS) {
        const tool = rule.tools.exec(line);
        if (!tool) continue;
        const head = line.slice(0, tool.index);
        rule.flags.lastIndex = 0;
        line = head + line.slice(tool.index).replace(rule.flags, (match, keep: string, quote: string, value: string) => {
          if (isPlaceholder(value)) return match;
          this.count('command-line-password');
          return `${keep}${quote}${REDACTED}${quote}`;
        });
      }
    }
    if (line.includes('-D')) {
      line = line.replace(JVM_PROPERTY, (match, flag: string, key: string, eq: string, quote: string, value: string) => {
        const name = classifySecretName(key);
        if (!name || !this.shouldRedact(name, value)) return match;
        this.count('command-line-password');
        return `${flag}${key}${eq}${quote}${REDACTED}${quote}`;
      });
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
        // A password a token rule already replaced: the user goes too, so that no `user:REDACTED@` is left.
        if (password.includes(REDACTED) || user.includes(REDACTED)) return `${scheme}${REDACTED}@`;
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
    if (!/value/i.test(line)) return line;
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
      const triple = atLineStart ? /^("""|''')/.exec(rest) : null;
      if (triple && !rest.includes(triple[1]!, 3)) {
        // A TOML multi-line string opens here and closes on a later line.
        if (name.strength === 'strong') {
          this.multiline = {close: triple[1]!};
          this.count(name.ruleId);
          const body = rest.slice(3);
          return out + line.slice(copied, valueStart + 3) + (body.trim() ? REDACTED : body);
        }
        break;
      }
      // `PGPASSWORD=x psql -h db`: an environment prefix of a command ends at the space.
      const envPrefix = atLineStart && m[2] === '=' && /^[A-Z_][A-Z0-9_]*$/.test(m[1]!) && /^[^\s'"]+[ \t]+[a-z][\w.-]*(?:[ \t]|$)/.test(rest);
      const span = valueSpan(line, valueStart, atLineStart && !envPrefix);
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
    return shouldRedactValue(name, value);
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
  while (end < line.length && !endsBareValue(line.charCodeAt(end))) end++;
  while (end > start && /[)\]}]/.test(line[end - 1]!)) end--;
  return end > start ? {start, end} : undefined;
}

/** `/[\s,;&"'<>]/` for one character, without a regex call per character. */
function endsBareValue(code: number): boolean {
  switch (code) {
    case 0x20: case 0x2c: case 0x3b: case 0x26: case 0x22: case 0x27: case 0x3c: case 0x3e: case 0xa0:
      return true;
    default:
      return (code >= 0x09 && code <= 0x0d) || (code > 0xff && /\s/.test(String.fromCharCode(code)));
  }
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
