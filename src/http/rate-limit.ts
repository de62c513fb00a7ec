/** One budget a response reports: how many calls the window allows, how many are left, when it resets. */
export interface RateLimitReading {
  limit?: number;
  remaining?: number;
  /** Seconds until the window resets, when the server says. */
  resetSeconds?: number;
  /** The length of the window, when it is known but its reset is not (Zendesk's per-minute X-Rate-Limit). */
  windowSeconds?: number;
}

type Headers = Record<string, string | string[] | undefined>;

function number(headers: Headers, name: string): number | undefined {
  const raw = headers[name];
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!text || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** A reset given as an ISO 8601 time (Jira's X-RateLimit-Reset: 2025-03-01T10:00Z) as epoch seconds. */
function isoReset(headers: Headers, name: string): number | undefined {
  const raw = headers[name];
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!text || !/^\d{4}-\d\d-\d\dT/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.ceil(ms / 1000);
}

/** A reset that is an epoch time (GitHub's x-ratelimit-reset) as seconds from now; a small one is already a delta. */
function resetDelta(value: number | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  return value > 1_000_000_000 ? Math.max(0, value - Math.floor(now / 1000)) : Math.max(0, value);
}

/**
 * The rate-limit headers helpdesks send, read into one shape:
 * - `RateLimit-Limit/-Remaining/-Reset` (the IETF draft; our server, Zendesk's ticket endpoints);
 * - `X-RateLimit-Limit/-Remaining/-Reset` (GitHub, Jira; GitHub's reset is an epoch time, Jira's an ISO time) and
 *   Freshdesk's `X-RateLimit-Total/-Remaining`;
 * - Zendesk's account-wide `X-Rate-Limit` / `X-Rate-Limit-Remaining`, a per-minute window.
 * When a response reports more than one budget, the one with the fewest calls left is what
 * paces the next call.
 */
export function readRateLimit(headers: Headers, now = Date.now()): RateLimitReading | undefined {
  const readings: RateLimitReading[] = [];
  const ietf = {limit: number(headers, 'ratelimit-limit'), remaining: number(headers, 'ratelimit-remaining'), resetSeconds: resetDelta(number(headers, 'ratelimit-reset'), now)};
  const x = {
    limit: number(headers, 'x-ratelimit-limit') ?? number(headers, 'x-ratelimit-total'),
    remaining: number(headers, 'x-ratelimit-remaining'),
    resetSeconds: resetDelta(number(headers, 'x-ratelimit-reset') ?? isoReset(headers, 'x-ratelimit-reset'), now),
    // Freshdesk's -Total is a per-minute budget that tells no reset.
    windowSeconds: headers['x-ratelimit-total'] !== undefined && headers['x-ratelimit-reset'] === undefined ? 60 : undefined,
  };
  const zendesk = {limit: number(headers, 'x-rate-limit'), remaining: number(headers, 'x-rate-limit-remaining'), windowSeconds: 60};
  for (const r of [ietf, x, zendesk]) if (r.limit !== undefined || r.remaining !== undefined) readings.push(r);
  if (readings.length === 0) return undefined;
  const clean = (r: RateLimitReading): RateLimitReading => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  return clean(readings.reduce((tightest, r) => ((r.remaining ?? Infinity) < (tightest.remaining ?? Infinity) ? r : tightest)));
}
