import {UsageError} from '../domain/errors.js';

/**
 * Archive paths are the names support sees. File names on Linux are bytes: they can hold
 * newlines, terminal escapes or invalid UTF-8. Those bytes, and `%` itself, are written as
 * `%XX`, so every name is printable, round-trips with decodeArchivePath and cannot collide
 * with another.
 */
export function encodePathSegment(segment: Uint8Array | string): string {
  const bytes = typeof segment === 'string' ? Buffer.from(segment, 'utf8') : segment;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x25 && b !== 0x2f && b !== 0x5c) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (need > 0 && validContinuation(bytes, i, need)) {
      const char = Buffer.from(bytes.subarray(i, i + need + 1)).toString('utf8');
      // Valid UTF-8 is kept readable, except the C1 controls and the line separators that terminals act on.
      if (!/[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(char)) {
        out += char;
        i += need + 1;
        continue;
      }
    }
    out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
  }
  if (out === '..' || out === '.') return out.replaceAll('.', '%2E');
  return out;
}

function validContinuation(bytes: Uint8Array, start: number, need: number): boolean {
  for (let k = 1; k <= need; k++) {
    const c = bytes[start + k];
    if (c === undefined || (c & 0xc0) !== 0x80) return false;
  }
  return true;
}

/** Joins encoded segments of a relative path (given as raw bytes or a string) into an archive path. */
export function encodeArchivePath(relative: Uint8Array | string): string {
  const bytes = typeof relative === 'string' ? Buffer.from(relative, 'utf8') : Buffer.from(relative);
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2f) {
      const segment = bytes.subarray(start, i);
      start = i + 1;
      if (segment.length === 0 || (segment.length === 1 && segment[0] === 0x2e)) continue;
      segments.push(encodePathSegment(segment));
    }
  }
  return segments.join('/');
}

/** The original bytes of an encoded name. */
export function decodeArchivePath(path: string): Buffer {
  const parts: Buffer[] = [];
  let literal = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%' && /^[0-9A-F]{2}$/i.test(path.slice(i + 1, i + 3))) {
      parts.push(Buffer.from(literal, 'utf8'), Buffer.from([Number.parseInt(path.slice(i + 1, i + 3), 16)]));
      literal = '';
      i += 2;
    } else literal += path[i];
  }
  parts.push(Buffer.from(literal, 'utf8'));
  return Buffer.concat(parts);
}

/** Why an archive path is unsafe to extract, or undefined when it is safe. */
export function unsafeArchivePath(path: string): string | undefined {
  if (path.length === 0) return 'the path is empty';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'the path is absolute';
  if (path.split('/').some((segment) => segment === '..')) return 'the path climbs out with ..';
  if (path.split('/').some((segment) => segment === '' || segment === '.')) return 'the path has empty or . segments';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return 'the path has control characters or backslashes';
  return undefined;
}

export function assertSafeArchivePath(path: string): void {
  const problem = unsafeArchivePath(path);
  if (problem) throw new UsageError(`Cannot add ${JSON.stringify(path)} to the bundle: ${problem}.`);
}
