/**
 * Masking of secrets in text meant for logs and debug traces. Pure functions: the HTTP client's
 * --debug trace and the server's access log both use them, so both mask the same way.
 */

const SENSITIVE_KEY = /(token|secret|password|passwd|pwd|auth|key|signature|sig|session|cookie|credential)/i;
/** Values that look like a credential whatever their parameter is called: our tokens, JWTs, long random strings. */
const TOKEN_LIKE = /^(spt_|sk_|ghp_|gho_|xox[abp]-|eyJ)|^[A-Za-z0-9_\-+/=]{32,}$/;

export const MASK = '***';

export function looksLikeToken(value: string): boolean {
  return TOKEN_LIKE.test(value);
}

/** The URL with user info and the values of token-looking query parameters masked. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://placeholder.invalid');
  } catch {
    return url.replace(/[?#].*$/, '?***');
  }
  const relative = !/^[a-z][a-z0-9+.-]*:\/\//i.test(url);
  if (parsed.username || parsed.password) {
    parsed.username = parsed.username ? MASK : '';
    parsed.password = parsed.password ? MASK : '';
  }
  const params = [...parsed.searchParams.entries()];
  if (params.length > 0) {
    const search = params
      .map(([k, v]) => `${encodeURIComponent(k)}=${SENSITIVE_KEY.test(k) || looksLikeToken(v) ? MASK : encodeURIComponent(v)}`)
      .join('&');
    parsed.search = `?${search}`;
  }
  const text = parsed.toString();
  return relative ? text.replace(/^http:\/\/placeholder\.invalid/, '') : text;
}

/** A header value fit for a log: credentials masked, keeping the scheme so a reader can tell what was sent. */
export function redactHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = value.split(/\s+/)[0];
    return scheme && scheme !== value ? `${scheme} ${MASK}` : MASK;
  }
  if (lower === 'cookie' || lower === 'set-cookie' || SENSITIVE_KEY.test(lower) || looksLikeToken(value)) return MASK;
  return value;
}
