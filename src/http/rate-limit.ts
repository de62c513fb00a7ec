import {parseList} from 'structured-headers';

/** One budget a response reports: how many units the window allows, how many are left, when it resets. */
export interface RateLimitReading {
  limit?: number;
  remaining?: number;
  /** Seconds until the window resets, when the server says so to the second. */
  resetSeconds?: number;
  /**
   * The latest the window can reset, in seconds from now, when the server names only the minute
   * (Jira's X-RateLimit-Reset: 2025-03-01T10:00Z): a bound, never a time to pace on.
   */
  resetBySeconds?: number;
  /** The length of the window, when it is known (Zendesk's per-minute X-Rate-Limit, RateLimit-Policy's w). */
  windowSeconds?: number;
  /** Units of the budget this request used, when the server says and it may be more than one (Freshdesk). */
  cost?: number;
}

type Headers = Record<string, string | string[] | undefined>;

/** A header's value; repeated lines of a list field are one list (RFC 9110 5.3), of any other field the first counts. */
const text = (headers: Headers, name: string, list = false): string | undefined => {
  const raw = headers[name];
  return (Array.isArray(raw) ? (list ? raw.join(', ') : raw[0]) : raw)?.trim() || undefined;
};

function number(headers: Headers, name: string): number | undefined {
  const value = text(headers, name);
  if (!value || !/^-?\d+(\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

/** A reset that is an epoch time (GitHub's x-ratelimit-reset) as seconds from now; a small one is already a delta. */
function resetDelta(value: number | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  return value > 1_000_000_000 ? Math.max(0, value - Math.floor(now / 1000)) : Math.max(0, value);
}

/**
 * A reset given as an ISO 8601 time. Jira writes it to the minute ("yyyy-MM-ddTHH:mmZ", the
 * request's time plus its Retry-After): the window resets somewhere in that minute, so all it
 * says is that the reset comes by the end of it. With seconds it is a time to pace on.
 */
function isoReset(headers: Headers, name: string, now: number): Pick<RateLimitReading, 'resetSeconds' | 'resetBySeconds'> {
  const value = text(headers, name);
  const m = value && /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(?:\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.exec(value);
  if (!m) return {};
  const at = Date.parse(`${m[1]}${m[2] ?? ':00'}${m[3]!.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')}`);
  if (Number.isNaN(at)) return {};
  if (m[2]) return {resetSeconds: Math.max(0, Math.ceil((at - now) / 1000))};
  return {resetBySeconds: Math.max(0, Math.ceil((at + 60_000 - now) / 1000))};
}

/**
 * The IETF draft's structured fields (draft-ietf-httpapi-ratelimit-headers, and Atlassian's
 * `Beta-RateLimit` / `Beta-RateLimit-Policy`): `RateLimit: "quota";r=17;t=21` with the policy
 * `RateLimit-Policy: "quota";q=100;w=60`. One reading per named quota.
 */
function structured(headers: Headers, prefix: string): RateLimitReading[] {
  const list = (name: string) => {
    const value = text(headers, name, true);
    if (!value) return [];
    try {
      return parseList(value).flatMap(([item, params]) => (Array.isArray(item) ? [] : [{name: String(item), params}]));
    } catch {
      return [];
    }
  };
  const int = (params: Map<string, unknown>, key: string) => {
    const v = params.get(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const policies = new Map(list(`${prefix}ratelimit-policy`).map((p) => [p.name, p.params]));
  return list(`${prefix}ratelimit`).map(({name, params}) => {
    const policy = policies.get(name);
    return {limit: policy && int(policy, 'q'), remaining: int(params, 'r'), resetSeconds: int(params, 't'), windowSeconds: policy && int(policy, 'w')};
  });
}

/**
 * The rate-limit headers helpdesks send, read into one shape:
 * - `RateLimit-Limit/-Remaining/-Reset` (the IETF draft's first form; our server, Zendesk's ticket
 *   endpoints), and its structured `RateLimit`/`RateLimit-Policy` (also Atlassian's `Beta-` ones);
 * - `X-RateLimit-Limit/-Remaining/-Reset` (GitHub, Jira; GitHub's reset is an epoch time, Jira's
 *   an ISO time to the minute) and Freshdesk's per-minute `X-RateLimit-Total/-Remaining` with
 *   `X-RateLimit-Used-CurrentRequest`;
 * - Zendesk's account-wide `X-Rate-Limit` / `X-Rate-Limit-Remaining`, a per-minute window.
 * When a response reports more than one budget, the one with the fewest units left is what
 * paces the next call.
 */
export function readRateLimit(headers: Headers, now = Date.now()): RateLimitReading | undefined {
  const readings: RateLimitReading[] = [];
  readings.push({limit: number(headers, 'ratelimit-limit'), remaining: number(headers, 'ratelimit-remaining'), resetSeconds: resetDelta(number(headers, 'ratelimit-reset'), now)});
  readings.push(...structured(headers, ''), ...structured(headers, 'beta-'));
  const freshdesk = number(headers, 'x-ratelimit-total');
  const used = number(headers, 'x-ratelimit-used-currentrequest');
  readings.push({
    limit: number(headers, 'x-ratelimit-limit') ?? freshdesk,
    remaining: number(headers, 'x-ratelimit-remaining'),
    ...(number(headers, 'x-ratelimit-reset') !== undefined ? {resetSeconds: resetDelta(number(headers, 'x-ratelimit-reset'), now)} : isoReset(headers, 'x-ratelimit-reset', now)),
    // Freshdesk's -Total is "the number of API calls per minute" (developers.freshdesk.com/api/#ratelimit), with no reset.
    windowSeconds: freshdesk !== undefined && headers['x-ratelimit-reset'] === undefined ? 60 : undefined,
    cost: used !== undefined && used > 0 ? used : undefined,
  });
  readings.push({limit: number(headers, 'x-rate-limit'), remaining: number(headers, 'x-rate-limit-remaining'), windowSeconds: 60});
  const present = readings.filter((r) => r.limit !== undefined || r.remaining !== undefined);
  if (present.length === 0) return undefined;
  const clean = (r: RateLimitReading): RateLimitReading => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  return clean(present.reduce((tightest, r) => ((r.remaining ?? Infinity) < (tightest.remaining ?? Infinity) ? r : tightest)));
}
