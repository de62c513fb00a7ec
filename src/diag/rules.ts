/**
 * What the scrubber recognises: token shapes, secret-sounding names, placeholders and
 * high-entropy values. Pure data and predicates; scrubber.ts decides where they apply.
 *
 * Every regex here runs on latin1 strings (one char per byte), so that text that is not
 * valid UTF-8 passes through byte for byte; all the patterns are ASCII.
 */

/** What a redacted value becomes: letters only, so that JSON, YAML, XML, INI, shell and URLs stay valid. */
export const REDACTED = 'REDACTED';

export interface TokenShape {
  /** Rule id, counted in the manifest. */
  id: string;
  /** Source of a regex without flags or capture groups (only non-capturing groups). */
  source: string;
  /** Prefix-plus-body shapes whose body can be a placeholder (`ghp_xxxx...`). */
  prefix?: RegExp;
  /** Part of the match that is kept, so a redacted URL is still a URL. */
  keep?: RegExp;
}

/** Known credential formats, found anywhere in a line whatever the syntax around them. */
export const TOKEN_SHAPES: readonly TokenShape[] = [
  {id: 'aws-access-key-id', source: String.raw`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b`},
  {
    id: 'github-token',
    source: String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,251})\b`,
    prefix: /^(?:gh[pousr]_|github_pat_)/,
  },
  {id: 'gitlab-token', source: String.raw`\bgl(?:pat|dt|rt|ptt|cbt|imt|ft|soat|oas|agent)-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])`, prefix: /^gl[a-z]+-/},
  {
    id: 'slack-webhook',
    source: String.raw`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{8,}`,
    keep: /^https:\/\/hooks\.slack\.com\/[a-z]+\//,
  },
  {id: 'slack-token', source: String.raw`\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])`, prefix: /^x[a-z]+-/},
  {id: 'stripe-key', source: String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b|\bwhsec_[A-Za-z0-9]{20,}\b`, prefix: /^[a-z]+_(?:live_|test_)?/},
  {id: 'google-api-key', source: String.raw`\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`},
  {id: 'google-oauth-token', source: String.raw`\bya29\.[0-9A-Za-z_-]{20,}|\bGOCSPX-[0-9A-Za-z_-]{20,}|(?<![\w/])1//0[0-9A-Za-z_-]{30,}`},
  {id: 'npm-token', source: String.raw`\bnpm_[A-Za-z0-9]{36}\b`, prefix: /^npm_/},
  {id: 'jwt', source: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`},
  {id: 'atlassian-api-token', source: String.raw`\bAT(?:ATT|CTT)[A-Za-z0-9_=-]{20,}`},
  {id: 'anthropic-api-key', source: String.raw`\bsk-ant-[A-Za-z0-9_-]{20,}`},
  {id: 'openai-api-key', source: String.raw`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}`},
  {id: 'sendgrid-api-key', source: String.raw`\bSG\.[\w-]{16,}\.[\w-]{16,}`},
  {id: 'shopify-token', source: String.raw`\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32,64}\b`},
  {
    // Smaller vendors that secretlint's recommended preset also knows: one rule, since
    // they are rare in support bundles and the manifest need not name each.
    id: 'vendor-token',
    source: [
      String.raw`\bhf_[A-Za-z]{34}\b`,
      String.raw`\bgsk_[A-Za-z0-9]{52}\b`,
      String.raw`\blin_api_[A-Za-z0-9_]{32,128}\b`,
      String.raw`\bntn_[0-9]{11}[A-Za-z0-9]{35}\b`,
      String.raw`\btskey-[a-z]+-[A-Za-z0-9-]{16,}`,
      String.raw`\bdapi[a-f0-9]{32}(?:-\d)?\b`,
      String.raw`\bglsa_[A-Za-z0-9_]{32,}`,
      String.raw`\bhv[sbr]\.[A-Za-z0-9_-]{24,}`,
      String.raw`\bfigd_[A-Za-z0-9_-]{20,}`,
      String.raw`\bdckr_pat_[A-Za-z0-9_-]{20,}`,
      String.raw`\bops_eyJ[A-Za-z0-9+/=_-]{20,}`,
      String.raw`\bdo[por]_v1_[a-f0-9]{64}\b`,
      String.raw`\bpypi-AgE[A-Za-z0-9_-]{50,}`,
      String.raw`\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b`,
      String.raw`\bNRAK-[A-Z0-9]{27}\b`,
      String.raw`\bsntry[su]_[A-Za-z0-9+/=_-]{30,}`,
      String.raw`\bglc_[A-Za-z0-9+/=_-]{32,}`,
      String.raw`\bpul-[a-f0-9]{40}\b`,
      String.raw`\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}`,
      String.raw`\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b`,
      String.raw`\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}`,
      String.raw`\bkey-[0-9a-zA-Z]{32}\b`,
      String.raw`\bSK[0-9a-fA-F]{32}\b`,
      String.raw`\b[a-zA-Z0-9_~.-]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}(?![a-zA-Z0-9_~.-])`,
    ].join('|'),
  },
  {
    // The toolkit's own server tokens (`support serve token create`): spt_ + 32 base64url characters.
    id: 'supportkit-token',
    source: String.raw`\bspt_[A-Za-z0-9_-]{20,}`,
    prefix: /^spt_/,
  },
  {
    // Password hashes (htpasswd, /etc/shadow, bcrypt): crackable offline, so as good as the password.
    id: 'password-hash',
    source: String.raw`\$(?:2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|[156]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{1,64}\$[./A-Za-z0-9]{43})|\{SSHA?\}[A-Za-z0-9+/]{20,}={0,2}`,
  },
];

const WHOLE_SHAPES = TOKEN_SHAPES.map((shape) => ({id: shape.id, re: new RegExp(`^(?:${shape.source})$`)}));

/** The token shape a whole value has, if any: a value found by its key is still counted under its vendor. */
export function shapeOf(value: string): string | undefined {
  if (value.length < 16 || value.length > 1024) return undefined;
  return WHOLE_SHAPES.find((shape) => shape.re.test(value))?.id;
}

/** A PEM private key (or PGP private key block) on one line, as in JSON strings with `\n` escapes. */
export const INLINE_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g;
/** The first line of a PEM private key that spans lines. */
export const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----/;
/** The trailing run of base64 on a body line that carries a log prefix (a timestamp, a level). */
export const PEM_TRAILING_BODY = /(?<=^|[\s:|\]>])[A-Za-z0-9+/=]{4,}[\s"'`,\\n]*$/;
/** What may appear inside a PEM body: base64, RFC 1421 headers, quotes and escapes of the file around it. */
export const PEM_BODY = /^[\s"'`]*(?:[A-Za-z0-9+/=\\]*|[A-Za-z-]+: .*)[\s"'`,\\n]*$/;

/** The 40-character AWS secret access key, only trusted next to an access key id. */
export const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

export type NameStrength = 'strong' | 'weak';

export interface SecretName {
  strength: NameStrength;
  /** The rule the redaction is counted under. */
  ruleId: string;
  /**
   * A number under this name is a count, not a secret: `total_tokens=1032`, `pass: 147` (test
   * results). A PIN or a numeric password under `pin`, `password` is still a secret.
   */
  countable?: boolean;
}

/** A value under one of these is always a secret. */
const STRONG_WORDS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'passcode', 'secret', 'secrets', 'token', 'tokens',
  'apikey', 'credential', 'credentials', 'creds', 'authorization', 'cookie', 'cookies', 'privatekey',
  'secretkey', 'accesskey', 'bearer', 'jwt', 'otp', 'totp', 'mfa', 'pin', 'psk', 'sshpass', 'storepass', 'keypass',
  'srcstorepass', 'deststorepass', 'srckeypass', 'destkeypass', 'passin', 'passout', 'authtoken', 'pwd',
  // Other languages: German, French, Spanish, Portuguese, Italian, Dutch, Nordic, Polish, Czech, Hungarian, Turkish.
  'passwort', 'kennwort', 'geheimnis', 'motdepasse', 'jeton', 'contrasena', 'clave', 'senha', 'segredo',
  'wachtwoord', 'losenord', 'passord', 'adgangskode', 'salasana', 'haslo', 'heslo', 'jelszo', 'sifre', 'parolachiave',
]);
/** Whole phrases, matched on the name with its words joined by spaces (`mot de passe`, `parola d'ordine`). */
const STRONG_PHRASES = ['mot de passe', 'parola d ordine', 'palavra passe', 'clave secreta', 'clave de acceso'];
/** Names in scripts nameWords cannot split: matched anywhere in the decoded name. */
const STRONG_SCRIPT_WORDS = ['密码', '密碼', '口令', 'パスワード', '暗証番号', '비밀번호', '암호', 'пароль', 'ключ api', 'токен', 'كلمة المرور', 'סיסמה', 'รหัสผ่าน', 'mật khẩu'];
/** Joined names (`accesstoken`, `dbpassword`, `clientsecret`) end with one of these. */
const STRONG_ENDINGS = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey', 'secretkey', 'accesskey', 'passphrase'];
/** Two words that make a secret together though each alone does not (`api key`). */
const STRONG_PAIRS = new Set([
  'api key', 'private key', 'access key', 'secret key', 'signing key', 'encryption key', 'master key',
  'account key', 'shared key', 'auth key', 'client key', 'session key', 'connection string', 'app key',
  'set cookie', 'x auth', 'sas key', 'rediscli auth', 'auth token', 'client key', 'key password',
]);
/** A value under one of these is a secret only when it looks random. */
const WEAK_WORDS = new Set(['key', 'keys', 'auth', 'sig', 'signature', 'salt', 'session', 'sid', 'license', 'seed', 'hmac', 'dsn', 'sessionid']);
/**
 * A name that ends with one of these describes a secret without holding it
 * (`password_file`, `token_url`, `secret_name`, `api_key_id`).
 */
const DESCRIPTIVE_ENDINGS = new Set([
  'path', 'file', 'files', 'dir', 'directory', 'name', 'names', 'id', 'ids', 'type', 'types', 'length', 'len',
  'size', 'count', 'url', 'uri', 'endpoint', 'enabled', 'enable', 'disabled', 'required', 'env', 'var', 'field',
  'policy', 'expiry', 'expires', 'expiration', 'expired', 'ttl', 'timeout', 'format', 'algorithm', 'alg', 'min',
  'max', 'prompt', 'hint', 'label', 'mode', 'version', 'rotation', 'stdin', 'cmd', 'command', 'location', 'store',
  'provider', 'source', 'header', 'prefix', 'scope', 'scopes', 'strength', 'changed', 'reset', 'created', 'at',
  'usage', 'hash', 'hashed', 'digest', 'fingerprint', 'storage', 'pattern', 'regex', 'validation', 'policy',
  'helper', 'manager', 'method', 'methods', 'kind', 'flow', 'lifetime', 'age', 'level', 'attempts', 'retries',
  'ref', 'refs', 'reference', 'selector', 'mount', 'mounts', 'volume', 'volumes', 'template', 'templates', 'rule',
  'rules', 'ids', 'arn', 'limit', 'limits', 'budget', 'usage', 'used', 'remaining', 'rate',
]);

/**
 * Whether an ASCII text may hold a name that classifySecretName() finds secret: one of its
 * words (as nameWords() cuts them: at anything not a letter or digit, before a capital) is a
 * strong or weak word or ends with a strong ending, or two or three of them in a row make a
 * pair or a phrase. Word edges are taken loosely (any capital may start a word, and so may the
 * letter after a backslash, as in `\tkey`), so that a name that counts never fails the test;
 * a name that does not count may pass it. Text with other characters, or with escapes that make
 * letters, must be judged by parsing: see mayHoldStructuredSecrets().
 */
export const SECRET_NAME_HINT: RegExp = (() => {
  const caseless = (word: string) => [...word].map((ch) => (/[a-z]/.test(ch) ? `[${ch}${ch.toUpperCase()}]` : ch)).join('');
  const start = String.raw`(?:(?<![A-Za-z0-9])|(?<=\\[A-Za-z0-9])|(?=[A-Z]))`;
  const end = '(?![a-z0-9])';
  const exact = [...STRONG_WORDS, ...WEAK_WORDS];
  const covered = (word: string) => exact.includes(word) || STRONG_ENDINGS.some((ending) => word.endsWith(ending));
  const runs = [...[...STRONG_PAIRS].map((pair) => pair.split(' ')), ...STRONG_PHRASES.map((phrase) => phrase.split(' '))].filter((words) => !words.some(covered));
  const byLength = (a: string, b: string) => b.length - a.length;
  return new RegExp(
    [
      `${start}(?:${exact.sort(byLength).map(caseless).join('|')})${end}`,
      `(?:${[...STRONG_ENDINGS].sort(byLength).map(caseless).join('|')})${end}`,
      ...runs.map((words) => `${start}${words.map(caseless).join('[^A-Za-z0-9]*')}${end}`),
    ].join('|'),
  );
})();

/** Splits `AWS_SECRET_ACCESS_KEY`, `apiKey`, `x-api-key`, `db.password` into lower-case words. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a key, variable, flag, header or element name holds a secret, and under which rule. */
const nameCache = new Map<string, SecretName | null>();

/**
 * Whether a key, variable, flag, header or element name holds a secret, and under which rule.
 * Names may come as latin1 strings (the scrubber's one char per byte): names with bytes
 * above ASCII are decoded as UTF-8 so that `contraseña` and `密码` are recognised.
 */
export function classifySecretName(name: string): SecretName | undefined {
  if (name.length > 100) return undefined;
  const cached = nameCache.get(name);
  if (cached !== undefined) return cached ?? undefined;
  const result = classifyUncached(name);
  if (nameCache.size > 10_000) nameCache.clear();
  nameCache.set(name, result ?? null);
  return result;
}

function classifyUncached(raw: string): SecretName | undefined {
  // eslint-disable-next-line no-control-regex
  const decoded = /[^\x00-\x7f]/.test(raw) ? decodeName(raw) : raw;
  const name = decoded.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  const words = nameWords(name);
  const last = words.at(-1);
  const lower = decoded.toLowerCase();
  const script = STRONG_SCRIPT_WORDS.some((word) => lower.includes(word));
  if (!script && (!last || DESCRIPTIVE_ENDINGS.has(last))) return undefined;
  const vendor = vendorRule(words);
  let strong = script || STRONG_PHRASES.some((phrase) => ` ${words.join(' ')} `.includes(` ${phrase} `));
  let weak = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (STRONG_WORDS.has(word) || STRONG_ENDINGS.some((ending) => word.endsWith(ending))) strong = true;
    else if (i > 0 && STRONG_PAIRS.has(`${words[i - 1]} ${word}`)) strong = true;
    else if (WEAK_WORDS.has(word)) weak = true;
  }
  const countable = words.includes('tokens') || /^(?:pass|passes|passed)$/.test(words.join(' ')) || words.includes('count');
  const extra = countable ? {countable} : {};
  if (vendor && (strong || weak)) return {strength: 'strong', ruleId: vendor, ...extra};
  if (strong) return {strength: 'strong', ruleId: 'secret-key-name', ...extra};
  if (weak) return {strength: 'weak', ruleId: 'high-entropy-value', ...extra};
  return undefined;
}

function decodeName(latin1: string): string {
  // A latin1 string whose chars are all below 256 may be UTF-8 bytes; a JS string with wider chars is already text.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(latin1)) return latin1;
  const utf8 = Buffer.from(latin1, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? latin1 : utf8;
}

/** Helpdesk and cloud tokens have no recognisable shape: their variables name them. */
function vendorRule(words: string[]): string | undefined {
  const has = (word: string) => words.includes(word);
  if (has('zendesk') || has('zd')) return 'zendesk-api-token';
  if (has('atlassian') || has('jira') || has('confluence') || has('bitbucket')) return 'atlassian-api-token';
  if (has('freshdesk')) return 'freshdesk-api-key';
  if ((has('aws') || has('amazon')) && (has('secret') || has('session'))) return 'aws-secret-access-key';
  if (has('secret') && has('access') && has('key')) return 'aws-secret-access-key';
  return undefined;
}

/**
 * Values kept under a secret name because they hold nothing: empty, references to another
 * variable or template, masks and fill characters (`ghp_xxxx`, `********`), booleans.
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (v.includes(REDACTED)) return true;
  if (/^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|\{\{[^}]*\}\}|<[^<>]*>|%\([^)]*\)s)$/.test(v)) return true;
  if (/^(?:null|nil|none|undefined|true|false|yes|no|on|off|n\/a)$/i.test(v)) return true;
  return isFillerBody(v);
}

/** Whether a value under this name is removed: never a placeholder; a count under a countable name stays. */
export function shouldRedactValue(name: SecretName, value: string): boolean {
  if (isPlaceholder(value)) return false;
  if (name.countable && /^\d{1,9}$/.test(value.trim())) return false;
  return name.strength === 'strong' || looksRandom(value);
}

/** `xxxx`, `****`, `ghp_XXXXXXXX`, `<token>`: a prefix (or none) then only fill characters. */
export function isFillerBody(value: string): boolean {
  const body = value.replace(/^[A-Za-z]{1,12}[_-](?:[a-z]{2,4}[_-])?/, '');
  return /^[xX*.#_•-]*$/.test(body);
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;

/**
 * Looks like a generated secret: long, varied, from several character classes. UUIDs and
 * hex digests (commit shas, container ids, checksums) are identifiers support needs, so
 * they never count as random here.
 */
export function looksRandom(value: string): boolean {
  if (value.length < 16 || value.length > 4096) return false;
  if (UUID.test(value) || HEX_DIGEST.test(value)) return false;
  if (/\s/.test(value)) return false;
  if (/^[a-z]+(?:[._-][a-z]+)*$/i.test(value)) return false; // words: `users_list`, `eu-west-1`
  if (/^[./~]/.test(value)) return false; // paths
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/[0-9]/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes >= 2 && shannonEntropy(value) >= 3.5;
}

/** URL query parameters that carry credentials even without a secret-sounding name. */
export const QUERY_SECRET_PARAMS = new Set([
  'key', 'sig', 'signature', 'code', 'auth', 'jwt', 'sas', 'x-amz-signature', 'x-amz-credential',
  'x-amz-security-token', 'x-goog-signature', 'x-goog-credential', 'sessionid', 'session', 'sid', 'hmac',
]);

/** A description of every built-in rule, for the consent summary and the docs. */
export const RULE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(TOKEN_SHAPES.map((shape) => [shape.id, `${shape.id.replaceAll('-', ' ')} (by its shape)`])),
  'aws-secret-access-key': 'AWS secret access keys',
  'private-key': 'PEM and PGP private key blocks',
  'zendesk-api-token': 'Zendesk API tokens in their variables',
  'atlassian-api-token': 'Atlassian (Jira, Confluence, Bitbucket) API tokens in their variables',
  'freshdesk-api-key': 'Freshdesk API keys in their variables',
  'secret-key-name': 'values under secret-sounding keys, variables and flags',
  'high-entropy-value': 'random-looking values under key-like names',
  'http-authorization': 'Authorization and Proxy-Authorization headers',
  'http-cookie': 'Cookie and Set-Cookie values',
  'http-token-header': 'x-*-token, x-*-key and similar headers',
  'url-userinfo': 'user and password in URLs',
  'url-query-secret': 'token-like URL query parameters',
  'command-line-password': 'passwords given to curl -u, mysql -p, redis-cli -a, ldapsearch -w, -D...Password= and the like',
  'kubernetes-secret': 'data and stringData of Kubernetes Secrets',
  'credential-file': '.netrc, .pgpass, .htpasswd and PuTTY key files',
  'prose-secret': 'secrets in sentences such as "the password is X"',
};
