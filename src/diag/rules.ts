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
    ].join('|'),
  },
];

/** A PEM private key (or PGP private key block) on one line, as in JSON strings with `\n` escapes. */
export const INLINE_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g;
/** The first line of a PEM private key that spans lines. */
export const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----/;
/** What may appear inside a PEM body: base64, RFC 1421 headers, quotes and escapes of the file around it. */
export const PEM_BODY = /^[\s"'`]*(?:[A-Za-z0-9+/=\\]*|[A-Za-z-]+: .*)[\s"'`,\\n]*$/;

/** The 40-character AWS secret access key, only trusted next to an access key id. */
export const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

export type NameStrength = 'strong' | 'weak';

export interface SecretName {
  strength: NameStrength;
  /** The rule the redaction is counted under. */
  ruleId: string;
}

/** A value under one of these is always a secret. */
const STRONG_WORDS = new Set([
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'passcode', 'secret', 'secrets', 'token', 'tokens',
  'apikey', 'credential', 'credentials', 'creds', 'authorization', 'cookie', 'cookies', 'privatekey',
  'secretkey', 'accesskey', 'bearer', 'jwt', 'otp', 'totp', 'mfa', 'pin',
]);
/** Joined names (`accesstoken`, `dbpassword`, `clientsecret`) end with one of these. */
const STRONG_ENDINGS = ['password', 'passwd', 'secret', 'token', 'apikey', 'privatekey', 'secretkey', 'accesskey', 'passphrase'];
/** Two words that make a secret together though each alone does not (`api key`). */
const STRONG_PAIRS = new Set([
  'api key', 'private key', 'access key', 'secret key', 'signing key', 'encryption key', 'master key',
  'account key', 'shared key', 'auth key', 'client key', 'session key', 'connection string', 'app key',
  'set cookie', 'x auth', 'sas key',
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
]);

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
export function classifySecretName(name: string): SecretName | undefined {
  if (name.length > 100) return undefined;
  const words = nameWords(name);
  const last = words.at(-1);
  if (!last || DESCRIPTIVE_ENDINGS.has(last)) return undefined;
  const vendor = vendorRule(words);
  let strong = false;
  let weak = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (STRONG_WORDS.has(word) || STRONG_ENDINGS.some((ending) => word.endsWith(ending))) strong = true;
    else if (i > 0 && STRONG_PAIRS.has(`${words[i - 1]} ${word}`)) strong = true;
    else if (WEAK_WORDS.has(word)) weak = true;
  }
  if (vendor && (strong || weak)) return {strength: 'strong', ruleId: vendor};
  if (strong) return {strength: 'strong', ruleId: 'secret-key-name'};
  if (weak) return {strength: 'weak', ruleId: 'high-entropy-value'};
  return undefined;
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
  'command-line-password': 'passwords given to curl -u, mysql -p and the like',
};
