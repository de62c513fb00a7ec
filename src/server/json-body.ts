import {Problem} from './problem.js';

/**
 * How deep a JSON body may nest objects and arrays (the body itself is level 1). Deep enough for
 * any custom field a helpdesk carries (Atlassian's rich text included); shallow enough that no
 * recursive walk over a body (validation, hashing, storing) can exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]);
const CLOSE = new Set([0x5d, 0x7d]);

/**
 * The nesting depth of a JSON text, counted on its bytes before anything parses it; stops
 * counting past `limit`. Brackets inside strings do not count; a text that is not JSON gets some
 * number, and the parser rejects it afterwards.
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (OPEN.has(c)) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (CLOSE.has(c)) {
      depth--;
    }
  }
  return deepest;
}

const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: false});

const pointer = (path: readonly (string | number)[]) => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** The first string (value or key) holding a lone UTF-16 surrogate, as a JSON pointer; undefined when there is none. */
function unpairedSurrogate(value: unknown, path: (string | number)[] = []): string | undefined {
  if (typeof value === 'string') return (value as unknown as {isWellFormed(): boolean}).isWellFormed() ? undefined : pointer(path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unpairedSurrogate(value[i], [...path, i]);
      if (found !== undefined) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (!(key as unknown as {isWellFormed(): boolean}).isWellFormed()) return pointer([...path, key]);
      const found = unpairedSurrogate(child, [...path, key]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * A JSON request body as the protocol accepts it: UTF-8 (RFC 8259), at most MAX_JSON_DEPTH
 * levels deep, every string valid Unicode. Anything else is a 400 problem, never a 500: text
 * that cannot be stored as sent is refused rather than silently altered.
 */
export function parseJsonBody(bytes: Buffer, parse: (text: string) => unknown): unknown {
  if (bytes.length === 0) throw new Problem('malformed-json', 'The request body is empty; send a JSON document.');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new Problem('malformed-json', 'The request body is not valid UTF-8.', {hint: 'Send JSON encoded as UTF-8.'});
  }
  const depth = jsonDepth(bytes, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) {
    const message = `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;
    throw new Problem('validation', `The request body ${message}.`, {errors: [{location: 'body', path: '', message}]});
  }
  const value = parse(text);
  const where = unpairedSurrogate(value);
  if (where !== undefined) {
    const message = 'holds an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair)';
    throw new Problem('validation', `body${where} ${message}.`, {errors: [{location: 'body', path: where, message}]});
  }
  return value;
}
