import {unsafeArchivePath} from './archive-path.js';

/**
 * What a bundle's manifest.json must be before `diag inspect` believes any of it. A bundle comes
 * from someone else: its manifest may hold nulls, wrong types, missing fields, huge values,
 * escape sequences or paths that climb out of the archive. A manifest that fails this check
 * makes the file "not a valid bundle", with the first reason found; one that passes has the
 * shape the `Manifest` type promises (its strings are still outside text, neutralised when
 * shown).
 *
 * Unknown properties are allowed, so that a newer toolkit can add some without older ones
 * refusing its bundles; the format version says when the shape really changes.
 */

/** manifest.json is read into memory: a larger one is refused rather than half-read. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const text = (maxLength: number) => ({type: 'string', maxLength});
/** Archive paths are percent-encoded bytes (archive-path.ts): up to 3 characters per byte of a 4096-byte path. */
const archivePath = {type: 'string', minLength: 1, maxLength: 3 * 4096};
const count = {type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER};
const redactions = {type: 'object', maxProperties: 10_000, propertyNames: {maxLength: 200}, additionalProperties: count};

export const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['formatVersion', 'toolkit', 'createdAt', 'files', 'skipped', 'collectors', 'redactions'],
  properties: {
    formatVersion: {type: 'integer'},
    toolkit: {type: 'object', required: ['name', 'version'], properties: {name: text(200), version: text(200)}},
    createdAt: {type: 'string', maxLength: 64, format: 'date-time'},
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'size', 'sha256', 'collector', 'truncated', 'redactions'],
        properties: {
          path: archivePath,
          size: count,
          sha256: {type: 'string', pattern: '^[0-9a-f]{64}$'},
          collector: text(200),
          truncated: {type: 'boolean'},
          redactions,
          binary: {type: 'boolean'},
          source: archivePath,
          sourceSize: count,
        },
      },
    },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source', 'reason'],
        properties: {source: archivePath, reason: {type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$'}, detail: text(65_536), collector: text(200)},
      },
    },
    collectors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'ok', 'durationMs'],
        properties: {name: text(200), ok: {type: 'boolean'}, durationMs: {type: 'number', minimum: 0, maximum: 1e12}, error: text(65_536)},
      },
    },
    redactions,
  },
} as const;

type Validate = ((value: unknown) => boolean) & {errors?: {instancePath: string; message?: string}[] | null};
let compiled: Promise<Validate> | undefined;

async function compile(): Promise<Validate> {
  const {Ajv2020} = await import('ajv/dist/2020.js');
  const {default: addFormats} = await import('ajv-formats');
  const ajv = new Ajv2020({strict: false, allErrors: false});
  (addFormats as unknown as (a: unknown) => void)(ajv);
  return ajv.compile(MANIFEST_SCHEMA) as unknown as Validate;
}

/** `/files/3/size` -> `files[3].size`: where in the manifest, as a person reads it. */
function where(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : `${out ? '.' : ''}${part}`;
  return out || 'the manifest';
}

/** A value from the manifest, quoted and cut short for a message (it is outside text, neutralised when shown). */
const quote = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);

/**
 * Why a parsed manifest.json cannot be believed, in words, or undefined when it can: its format
 * version, its shape against MANIFEST_SCHEMA, then the archive paths it lists (safe, each once).
 */
export async function manifestProblem(value: unknown, formatVersion: number): Promise<string | undefined> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'manifest.json does not hold a JSON object';
  const version = (value as {formatVersion?: unknown}).formatVersion;
  if (version !== formatVersion) {
    const shown = typeof version === 'number' ? String(version) : version === undefined ? 'none' : quote(JSON.stringify(version));
    return `its format version (${shown}) is not one this toolkit reads (${formatVersion})`;
  }
  compiled ??= compile();
  const validate = await compiled;
  if (!validate(value)) {
    const error = validate.errors?.[0];
    return `in manifest.json, ${where(error?.instancePath ?? '')} ${error?.message ?? 'is not valid'}`;
  }
  const files = (value as {files: {path: string}[]}).files;
  const seen = new Map<string, number>();
  for (const [i, file] of files.entries()) {
    const unsafe = unsafeArchivePath(file.path);
    if (unsafe) return `in manifest.json, files[${i}].path ${quote(file.path)} is not a safe archive path: ${unsafe}`;
    const earlier = seen.get(file.path);
    if (earlier !== undefined) return `in manifest.json, files[${i}].path ${quote(file.path)} repeats files[${earlier}].path`;
    seen.set(file.path, i);
  }
  return undefined;
}
