import type {Agent as HttpAgent} from 'node:http';
import type {Readable} from 'node:stream';

import type {Got} from 'got';

import {RateLimitError, UnavailableError, UsageError} from '../domain/errors.js';
import type {RateLimitInfo} from '../domain/rate-limit.js';
import {redactUrl} from '../domain/redact.js';
import type {AttemptControl, RetryEvent} from '../domain/retry.js';
import {bearerAuth, type AuthScheme} from './auth.js';
import {readRateLimit} from './rate-limit.js';

/** Milliseconds; every request has all of them. */
export interface HttpTimeouts {
  /** To open the TCP (and TLS) connection. */
  connect: number;
  /** From the end of the request to the first byte of the response. */
  response: number;
  /** Longest silence on the socket, in either direction (a stalled upload or download). */
  idle: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  limit: number;
  baseDelayMs: number;
  /** Cap of the exponential backoff. */
  maxDelayMs: number;
  /** The longest Retry-After we wait for; a server asking for more gets a clear error instead of a hung terminal. */
  maxRetryAfterMs: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  /** Resolved on first request, so that opening a client never touches the keyring. */
  token?: () => Promise<string | undefined>;
  /** How the token goes into the Authorization header (default: Bearer). The adapter chooses. */
  auth?: AuthScheme;
  /** Headers every request carries (an API version, say); never a secret: they may be logged. */
  headers?: Record<string, string>;
  /**
   * Redirects of GET requests to follow (default 0: a 3xx is handed to the caller). The token
   * goes only to the origin of the base URL: a redirect to another host, port or scheme is
   * followed without Authorization. Other methods never follow: a write is not replayed elsewhere.
   */
  redirects?: number;
  userAgent?: string;
  timeouts?: Partial<HttpTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** One line per attempt: method, URL (secrets masked), status, time. Never headers' secrets. */
  debug?: (line: string) => void;
  /** Waiting between attempts; tests may speed it up. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The clock that RateLimit-* readings are stamped with (RateLimitInfo.observedAt), which a
   * bulk pacer compares with its own: tests give both the same virtual one.
   */
  now?: () => number;
  /**
   * Recognises a rate-limit answer whose status does not say so (GitHub answers 403 for its
   * primary and secondary limits), from its headers and body; returns how long it asks to wait,
   * when the answer tells, or undefined for an answer that is no rate limit.
   */
  rateLimited?: (answer: {status: number; headers: HttpResponse['headers']; body: unknown}) => {waitMs?: number} | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the base URL, e.g. v1/tickets/12 */
  path: string;
  query?: Record<string, string | number | readonly string[] | undefined>;
  /** Headers of this request only (If-None-Match, If-Match, say); never a secret: they may be logged. */
  headers?: Record<string, string>;
  json?: unknown;
  /** A body streamed from its source; called once per attempt so that a retry never reuses a consumed stream. */
  stream?: {open: () => NodeJS.ReadableStream; size: number; contentType: string};
  /** Makes a POST or PATCH safe to retry: the server replays the first result. One per logical operation, chosen by the caller. */
  idempotencyKey?: string;
  /**
   * Overrides what the method says about sending the request again after it may have reached
   * the server: true for a POST whose repeat does no harm (an upload that only leaves an unused
   * copy), false for a PUT that is not idempotent on this API (one that adds a comment).
   */
  repeatable?: boolean;
  /** The caller's part in the retries: a bound, a shared pacer, a progress line. The loop stays here. */
  attempts?: AttemptControl;
  /** Bytes sent in the current attempt; a retry starts again from 0. */
  onUploadProgress?: (sent: number, total: number) => void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON (or problem+json) body; undefined when empty. */
  body: unknown;
  /** The body as text, for answers that are not JSON (an HTML page). */
  text?: string;
}

/** An answer the caller must interpret: a 4xx (other than 408/429) or a 3xx. Adapters map it to domain errors. */
export class HttpStatusError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: unknown,
    readonly headers: HttpResponse['headers'],
  ) {
    super(`${method} ${redactUrl(url)} answered ${status}`);
    this.name = 'HttpStatusError';
  }
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {connect: 10_000, response: 30_000, idle: 60_000};
export const DEFAULT_RETRY: RetryPolicy = {limit: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000};

/** Methods that do the same thing however often they are sent (RFC 9110). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH)/;

/** Retry-After as milliseconds to wait: delta-seconds or an HTTP date; undefined when it is neither (RFC 9110 says ignore it). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the HTTP-date forms: a bare number with a sign or a fraction is garbage, not a date.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeWait(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} seconds`;
  if (s < 7200) return `${Math.round(s / 60)} minutes`;
  return `${Math.round(s / 3600)} hours`;
}

interface NetworkError extends Error {
  code?: string;
}

let gotModule: Promise<typeof import('got')> | undefined;

/**
 * The one HTTP client of the CLI: timeouts on every request, retries with capped exponential
 * backoff for requests that are safe to repeat, Retry-After, proxies from the environment,
 * custom CAs through NODE_EXTRA_CA_CERTS (Node reads it; TLS verification is never off), and
 * a --debug trace with secrets masked. Every remote adapter talks through it.
 */
export class HttpClient {
  private limits: RateLimitInfo = {observedAt: 0, throttled: 0};
  private clock?: {serverDate: number; receivedAt: number};
  private readonly timeouts: HttpTimeouts;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private instance?: Promise<Got>;
  private agent?: HttpAgent;
  private authorization?: Promise<string | undefined>;

  constructor(private readonly options: HttpClientOptions) {
    this.timeouts = {...DEFAULT_TIMEOUTS, ...options.timeouts};
    this.retry = {...DEFAULT_RETRY, ...options.retry};
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get baseUrl(): string {
    return this.options.baseUrl.replace(/\/+$/, '');
  }

  /**
   * Sends one logical request, and is the one owner of its retries: every attempt carries the
   * same idempotency key, a streamed body is re-opened for each, and nobody above loops around
   * this call (a caller bounds or paces the attempts through `req.attempts`).
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const got = await this.got();
    let url = this.url(req);
    const canRetry = req.repeatable ?? (IDEMPOTENT_METHODS.has(req.method) || Boolean(req.idempotencyKey));
    const maxAttempts = Math.max(1, Math.floor(req.attempts?.maxAttempts ?? this.retry.limit + 1));
    let authorization = await this.authorizationHeader();
    let redirectsLeft = req.method === 'GET' ? (this.options.redirects ?? 0) : 0;
    for (let attempt = 1; ; attempt++) {
      // Every attempt, the first included, waits for the caller's pacer when it has one.
      await req.attempts?.pace?.();
      const started = performance.now();
      const sentAt = (this.options.now ?? Date.now)();
      const more = attempt < maxAttempts;
      const last = !canRetry || !more;
      const retry = (event: Omit<RetryEvent, 'attempt' | 'maxAttempts'>) => this.beforeRetry(req, {...event, attempt, maxAttempts});
      let response;
      try {
        const headers: Record<string, string> = {accept: 'application/json, application/problem+json', ...this.options.headers, ...req.headers};
        if (authorization) headers.authorization = authorization;
        if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
        let body: string | Readable | undefined;
        if (req.json !== undefined) {
          body = JSON.stringify(req.json);
          headers['content-type'] = 'application/json';
        } else if (req.stream) {
          body = req.stream.open() as Readable;
          headers['content-type'] = req.stream.contentType;
          headers['content-length'] = String(req.stream.size);
        }
        const pending = got(url, {method: req.method, headers, body});
        if (req.onUploadProgress) {
          const onProgress = req.onUploadProgress;
          pending.on('uploadProgress', (p: {transferred: number; total?: number}) => onProgress(p.transferred, p.total ?? req.stream?.size ?? 0));
        }
        response = await pending;
      } catch (error) {
        const e = error as NetworkError;
        const code = e.code ?? '';
        const ms = performance.now() - started;
        this.debug(`${req.method} ${redactUrl(url)} failed: ${code || e.message} after ${ms.toFixed(0)}ms`);
        if (TLS_CODES.test(code)) {
          throw new UnavailableError(`The TLS certificate of ${new URL(this.baseUrl).host} could not be verified (${code}).`, {
            hint: 'If the server uses a private CA, point NODE_EXTRA_CA_CERTS at its certificate (PEM). Verification is never switched off.',
            cause: e,
          });
        }
        if (/^(ENOENT|EACCES|EISDIR|EPERM)$/.test(code)) {
          throw new UsageError(`Could not read the file to upload: ${e.message}.`, {hint: 'Check that the file exists and is readable.', cause: e});
        }
        if (RETRY_CODES.has(code) && !last) {
          await retry({reason: 'unavailable', detail: code, delayMs: this.backoff(attempt)});
          continue;
        }
        const timedOut = code === 'ETIMEDOUT' || e.name === 'TimeoutError';
        throw new UnavailableError(
          timedOut
            ? `${new URL(this.baseUrl).host} did not answer in time${attempt > 1 ? ` (${attempt} attempts)` : ''}.`
            : `Could not reach ${new URL(this.baseUrl).host}: ${code || e.message}${attempt > 1 ? ` (${attempt} attempts)` : ''}.`,
          {
            hint: canRetry
              ? 'Check the URL with `support profile list`, your network and any HTTPS_PROXY setting, then try again.'
              : 'The request may or may not have been applied; check before repeating it.',
            cause: e,
          },
        );
      }
      const ms = performance.now() - started;
      const status = response.statusCode;
      this.debug(`${req.method} ${redactUrl(url)} ${status} ${ms.toFixed(0)}ms${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      this.observeClock(response.headers);
      const parsed = parseBody(response.body as string, String(response.headers['content-type'] ?? ''));
      // A limit the status does not name (GitHub's 403) is a 429 here: waited out, retried, counted.
      const limited = status === 429 ? {} : status >= 400 && status < 500 ? this.options.rateLimited?.({status, headers: response.headers, body: parsed}) : undefined;
      this.observeRateLimit(response.headers, limited ? 429 : status, sentAt);
      if (status < 300) return {status, headers: response.headers, body: parsed, text: response.body as string};
      const location = response.headers.location;
      if (status >= 300 && status < 400 && redirectsLeft > 0 && typeof location === 'string') {
        redirectsLeft--;
        const next = new URL(location, url);
        // The token is for the profile's host: another origin (or plain http) gets none.
        if (next.origin !== new URL(this.baseUrl).origin) authorization = undefined;
        this.debug(`redirected to ${redactUrl(next.toString())}${authorization ? '' : ' (without Authorization)'}`);
        url = next.toString();
        attempt--;
        continue;
      }
      if (RETRY_STATUSES.has(status) || limited) {
        const rateLimited = status === 429 || Boolean(limited);
        const asked = parseRetryAfter(response.headers['retry-after']) ?? limited?.waitMs ?? (rateLimited ? exhaustedWindowWait(response.headers) : undefined);
        if (asked !== undefined && asked > this.retry.maxRetryAfterMs) {
          throw this.finalStatusError(status, parsed, `asks to wait ${describeWait(asked)} before trying again`, asked, rateLimited);
        }
        // A rate limit comes before any work is done, so even a POST without a key may be sent again.
        if (!last || (rateLimited && more)) {
          await retry({reason: rateLimited ? 'rate-limited' : 'unavailable', detail: String(status), delayMs: asked ?? this.backoff(attempt), retryAfterMs: asked});
          continue;
        }
        throw this.finalStatusError(status, parsed, canRetry || rateLimited ? `still answered ${status} after ${attempt} attempts` : `answered ${status}`, undefined, rateLimited);
      }
      if (status === 409 && req.idempotencyKey && more) {
        // The server is still busy with an earlier attempt of this key (one cut off mid-upload, say):
        // it asks to come back, and then replays that attempt's result instead of doing it twice.
        const asked = parseRetryAfter(response.headers['retry-after']);
        if (asked !== undefined && asked <= this.retry.maxRetryAfterMs) {
          await retry({reason: 'in-progress', detail: '409', delayMs: asked, retryAfterMs: asked});
          continue;
        }
      }
      if (status >= 500) throw this.finalStatusError(status, parsed, `answered ${status}`);
      throw new HttpStatusError(req.method, url, status, parsed, response.headers);
    }
  }

  async close(): Promise<void> {
    this.agent?.destroy();
  }

  /** The server's clock from the Date header of the latest response, and when it arrived. */
  serverClock(): {serverDate: number; receivedAt: number} | undefined {
    return this.clock && {...this.clock};
  }

  private observeClock(headers: HttpResponse['headers']): void {
    const date = typeof headers.date === 'string' ? Date.parse(headers.date) : Number.NaN;
    if (!Number.isNaN(date)) this.clock = {serverDate: date, receivedAt: Date.now()};
  }

  /** The server's latest RateLimit-* figures and the count of 429s seen, for pacing bulk work. */
  rateLimit(): RateLimitInfo {
    return {...this.limits};
  }

  private observeRateLimit(headers: HttpResponse['headers'], status: number, sentAt: number): void {
    const throttled = this.limits.throttled + (status === 429 ? 1 : 0);
    const now = (this.options.now ?? Date.now)();
    const reading = readRateLimit(headers, now);
    if (!reading) {
      this.limits = {...this.limits, throttled};
      return;
    }
    // Answers may come back out of order: figures older than the ones held say less.
    if (this.limits.sentAt !== undefined && sentAt < this.limits.sentAt) {
      this.limits = {...this.limits, throttled};
      return;
    }
    this.limits = {...reading, observedAt: now, sentAt, throttled};
  }

  private finalStatusError(status: number, body: unknown, what: string, waitMs?: number, rateLimited = status === 429): Error {
    const host = new URL(this.baseUrl).host;
    const detail = (body as {detail?: unknown} | undefined)?.detail;
    const suffix = typeof detail === 'string' ? ` (${detail})` : '';
    if (rateLimited) {
      return new RateLimitError(`${host} is rate limiting this token: it ${what}.${suffix}`, {
        retryAfterSeconds: waitMs === undefined ? undefined : Math.ceil(waitMs / 1000),
        hint: waitMs ? `Try again after ${new Date(Date.now() + waitMs).toISOString()}.` : 'Wait a minute, then try again; slow down scripts that loop.',
      });
    }
    return new UnavailableError(`${host} ${what}.${suffix}`, {
      hint: waitMs ? `Try again after ${new Date(Date.now() + waitMs).toISOString()}.` : 'The server is failing; try again later, or tell its operator.',
    });
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.retry.baseDelayMs * 2 ** (attempt - 1), this.retry.maxDelayMs);
    // Half fixed, half random: clients that failed together do not all come back together.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** Tells the caller, then waits: the client's own backoff, or the caller's pacer when it has one. */
  private async beforeRetry(req: HttpRequest, event: RetryEvent): Promise<void> {
    const control = req.attempts;
    // A server busy with this very key names its own wait, which no pacer knows of.
    const paced = Boolean(control?.pace) && event.reason !== 'in-progress';
    const delayMs = paced ? 0 : Math.min(event.delayMs, this.retry.maxRetryAfterMs);
    this.debug(
      `retrying after ${event.detail}${paced ? ' when the pacer allows' : ` in ${(delayMs / 1000).toFixed(1)}s`} (attempt ${event.attempt + 1} of ${event.maxAttempts})`,
    );
    control?.onRetry?.({...event, delayMs});
    // The pacer's wait, when there is one, comes before the next attempt (see request()).
    if (!paced) await this.sleep(delayMs);
  }

  private url(req: HttpRequest): string {
    const url = new URL(`${this.baseUrl}/${req.path.replace(/^\/+/, '')}`);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
      else url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private authorizationHeader(): Promise<string | undefined> {
    this.authorization ??= (async () => {
      const token = await this.options.token?.();
      return token ? (this.options.auth ?? bearerAuth).header(token) : undefined;
    })();
    return this.authorization;
  }

  private debug(line: string): void {
    this.options.debug?.(`http ${line}`);
  }

  private got(): Promise<Got> {
    this.instance ??= (async () => {
      gotModule ??= import('got');
      const {default: got} = await gotModule;
      const agent = await this.makeAgent();
      return got.extend({
        timeout: {
          lookup: this.timeouts.connect,
          connect: this.timeouts.connect,
          secureConnect: this.timeouts.connect,
          response: this.timeouts.response,
          socket: this.timeouts.idle,
        },
        // Retries are ours (above): got would not re-open a streamed body, nor tell POST with a key from one without.
        retry: {limit: 0},
        throwHttpErrors: false,
        // Redirects are ours (above): only GET, and the token only to the profile's own origin.
        followRedirect: false,
        responseType: 'text',
        headers: {'user-agent': this.options.userAgent ?? 'supportkit'},
        agent: agent ? {http: agent, https: agent as never} : undefined,
        https: {rejectUnauthorized: true},
      });
    })();
    return this.instance;
  }

  /** Keep-alive for the run; through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY matches the host. */
  private async makeAgent(): Promise<HttpAgent> {
    const {getProxyForUrl} = await import('proxy-from-env');
    const proxy = getProxyForUrl(this.baseUrl);
    const https = this.baseUrl.startsWith('https:');
    const common = {keepAlive: true, maxSockets: 16};
    if (proxy) {
      this.debug(`via proxy ${redactUrl(proxy)}`);
      const {HttpProxyAgent, HttpsProxyAgent} = await import('hpagent');
      this.agent = https ? new HttpsProxyAgent({...common, proxy}) : new HttpProxyAgent({...common, proxy});
    } else {
      const mod = https ? await import('node:https') : await import('node:http');
      this.agent = new mod.Agent(common);
    }
    return this.agent;
  }
}

/** A rate-limit answer without Retry-After whose window is spent (remaining 0): the wait until its reset. */
function exhaustedWindowWait(headers: HttpResponse['headers']): number | undefined {
  const reading = readRateLimit(headers);
  return reading?.remaining === 0 && reading.resetSeconds !== undefined ? reading.resetSeconds * 1000 : undefined;
}

function parseBody(text: string, contentType: string): unknown {
  if (!text) return undefined;
  if (/json/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  return new HttpClient(options);
}
