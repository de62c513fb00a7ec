import {UsageError} from '../domain/errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * "10MB", "512k", "1.5 GB" or a plain byte count. Units are powers of 1024, as `du -h` and
 * log rotation settings mean them.
 */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError(`"${text}" is not a ${what} this toolkit understands.`, {hint: 'Write it like 10MB, 512KB or 1GB.'});
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`The ${what} "${text}" must be more than zero bytes.`);
  return bytes;
}

const SPAN_SECONDS: Record<string, number> = {w: 7 * 86_400, d: 86_400, h: 3600, m: 60, s: 1};

/** "30s", "10m", "24h", "7d", "1d12h": a span of time, in milliseconds. */
export function parseSpan(text: string, what = 'duration'): number {
  const compact = text.trim().replaceAll(' ', '').toLowerCase();
  if (/^(?:\d+[wdhms])+$/.test(compact)) {
    const ms = [...compact.matchAll(/(\d+)([wdhms])/g)].reduce((sum, m) => sum + Number(m[1]) * SPAN_SECONDS[m[2]!]! * 1000, 0);
    if (ms > 0) return ms;
  }
  throw new UsageError(`"${text}" is not a ${what} this toolkit understands.`, {hint: 'Write it like 30s, 10m, 24h, 7d or 1d12h.'});
}

/** --since: a span back from now ("24h", "7d") or a date and time ("2024-05-01T08:00Z"). */
export function parseSince(text: string, now = Date.now()): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  try {
    return new Date(now - parseSpan(text, '--since value'));
  } catch {
    throw new UsageError(`"${text}" is not a time --since understands.`, {hint: 'Give a span back from now (24h, 7d) or a date (2024-05-01T08:00Z).'});
  }
}
