/**
 * SLA target durations: "90m", "8h", "1h30m" as people write them in a policy file, or
 * ISO 8601 ("PT8H", "P1DT2H") as helpdesk APIs return them. Both are business time on the
 * policy's calendar, so a day is 24 business hours, never "one business day": a calendar that
 * opens 8 hours a day takes three of its days to spend P1D. Years and months have no fixed
 * length and are refused.
 */

const UNIT_SECONDS = {w: 7 * 86_400, d: 86_400, h: 3600, m: 60, s: 1} as const;

/** Seconds, or an error phrase to follow the quoted value ("must be ..."). */
export function parseDuration(text: string): {seconds: number} | {error: string} {
  const value = text.trim();
  const shorthand = /^(-)?((?:\d+[hms])+)$/i.exec(value.replaceAll(' ', ''));
  if (shorthand) {
    if (shorthand[1]) return {error: 'must be a positive duration'};
    const parts = [...shorthand[2]!.matchAll(/(\d+)([hms])/gi)];
    const units = parts.map((p) => p[2]!.toLowerCase());
    // "30m1h" or "1h1h" is a typo more likely than a meaning.
    const order = 'hms';
    for (let i = 1; i < units.length; i++) {
      if (order.indexOf(units[i]!) <= order.indexOf(units[i - 1]!)) return {error: 'must list hours, minutes and seconds once each, in that order (like "1h30m")'};
    }
    return positive(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!.toLowerCase() as 'h' | 'm' | 's'], 0));
  }
  const iso = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(value);
  if (iso && value.length > 1 && !/T$/i.test(value) && !/^-?P$/i.test(value)) {
    if (iso[1]) return {error: 'must be a positive duration'};
    const [, , w, d, h, m, s] = iso;
    return positive(
      Number(w ?? 0) * UNIT_SECONDS.w +
        Number(d ?? 0) * UNIT_SECONDS.d +
        Number(h ?? 0) * UNIT_SECONDS.h +
        Number(m ?? 0) * UNIT_SECONDS.m +
        Number(s ?? 0),
    );
  }
  if (/^-?P(?:\d+W)?(?:\d+[YM])/i.test(value)) return {error: 'must not use years or months, which have no fixed length; use days or hours'};
  return {error: 'must be a duration like "90m", "8h", "1h30m" or "PT8H"'};
}

function positive(seconds: number): {seconds: number} | {error: string} {
  if (seconds <= 0) return {error: 'must be a positive duration'};
  if (!Number.isSafeInteger(seconds)) return {error: 'is too long'};
  return {seconds};
}

/** 5400 -> "1h30m": the shorthand a policy file would use. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0m';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
