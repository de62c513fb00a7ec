import {UsageError} from '../domain/errors.js';
import type {JsonShape} from './json-fields.js';

/**
 * `--json FIELDS`, as gh has it: `--json id,title` prints only those fields of the command's
 * typed result. A name is a field of the result itself (`nextCursor`), or a field of each item
 * of one of its lists (`id` of each ticket of `ticket list`): the result keeps its shape, with
 * only the fields named. `--json` alone prints the whole result, as it always has.
 */

/** The shape of a command's result (generated from its type, src/cli/json-fields.ts), loaded only when fields are named. */
export async function jsonShape(id: string | undefined): Promise<JsonShape | undefined> {
  const {JSON_SHAPES} = await import('./json-fields.js');
  if (!id) return undefined;
  // A command class run directly (in tests) has its class name as its id: TicketList -> ticketlist.
  return JSON_SHAPES[id] ?? Object.entries(JSON_SHAPES).find(([key]) => key.replaceAll(':', '') === id.replaceAll(':', ''))?.[1];
}

const FIELD_LIST = /^[A-Za-z_][\w]*(?:,[A-Za-z_][\w]*)*$/;

export interface JsonArgv {
  /** argv with `--json=FIELDS` and the FIELDS after `--json` taken out, and `--json` added when only `--jq` was given. */
  argv: string[];
  /** The names given to --json; undefined for `--json` alone. */
  fields?: string[];
}

/**
 * Takes the field list of `--json` out of argv before oclif parses it (oclif's flag is a
 * boolean). `--json=FIELDS` always names fields. In `--json WORD` the word names fields when it
 * looks like a field list and the command takes no positional arguments, or it names several
 * (`id,title`), or every name in it is a field; otherwise it stays an argument
 * (`support kb search --json proxy` searches for "proxy").
 */
export function takeJsonFields(argv: readonly string[], options: {takesArguments: boolean; isField: (name: string) => boolean}): JsonArgv {
  const out = [...argv];
  const end = out.includes('--') ? out.indexOf('--') : out.length;
  let fields: string[] | undefined;
  const at = out.findIndex((arg, i) => i < end && (arg === '--json' || arg.startsWith('--json=')));
  if (at >= 0) {
    const arg = out[at]!;
    if (arg.startsWith('--json=')) {
      fields = splitFields(arg.slice('--json='.length));
      out[at] = '--json';
    } else {
      const next = out[at + 1];
      if (at + 1 < end && next !== undefined && FIELD_LIST.test(next)) {
        const names = splitFields(next);
        if (!options.takesArguments || names.length > 1 || names.every(options.isField)) {
          fields = names;
          out.splice(at + 1, 1);
        }
      }
    }
  }
  // --jq filters the JSON: it implies --json.
  const jq = out.findIndex((arg, i) => i < (out.includes('--') ? out.indexOf('--') : out.length) && (arg === '--jq' || arg.startsWith('--jq=')));
  if (jq >= 0 && at < 0) out.splice(jq, 0, '--json');
  return {argv: out, fields};
}

const splitFields = (text: string) => text.split(',').map((name) => name.trim());

/** Every name `--json` accepts for this shape. */
export function knownFields(shape: JsonShape): Set<string> {
  return new Set([...shape.fields, ...Object.values(shape.lists).flat()]);
}

function describeFields(shape: JsonShape): string {
  const lists = Object.entries(shape.lists).map(([list, items]) => `; of each of ${list}: ${items.join(', ')}`);
  return `Fields: ${shape.fields.join(', ')}${lists.join('')}.`;
}

/** A usage error for a name the result does not have (or no name at all), listing the ones it has. */
export function checkFields(fields: readonly string[], shape: JsonShape | undefined): void {
  if (!shape) throw new UsageError('This command has no fields to choose with --json.', {hint: 'Use --json alone for its whole result.'});
  if (fields.length === 0 || fields.some((f) => f === '')) {
    throw new UsageError('--json= names no field.', {hint: `Name fields separated by commas (--json id,title), or give --json alone for the whole result. ${describeFields(shape)}`});
  }
  const known = knownFields(shape);
  const unknown = fields.filter((f) => !known.has(f));
  if (unknown.length > 0) {
    const names = unknown.map((f) => `"${f}"`).join(', ');
    throw new UsageError(`--json has no field ${names}.`, {hint: describeFields(shape)});
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The result with only the fields named: those of the result itself, and those of each item of its lists. */
export function selectFields(result: unknown, fields: readonly string[], shape: JsonShape): unknown {
  if (!isRecord(result)) return result;
  const own = new Set(fields.filter((f) => shape.fields.includes(f)));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (own.has(key)) {
      out[key] = value;
      continue;
    }
    const items = shape.lists[key];
    const chosen = items ? fields.filter((f) => !own.has(f) && items.includes(f)) : [];
    if (chosen.length > 0 && Array.isArray(value)) {
      out[key] = value.map((item) => (isRecord(item) ? Object.fromEntries(Object.entries(item).filter(([k]) => chosen.includes(k))) : item));
    }
  }
  return out;
}
