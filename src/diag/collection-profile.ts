import {readFile, stat} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';

import {UsageError} from '../domain/errors.js';
import type {CustomPattern} from './scrubber.js';
import {parseByteSize, parseSince, parseSpan} from './units.js';

/** The file looked for in the current directory when --profile-file is not given. */
export const PROFILE_FILE_NAMES = ['support-diag.yml', 'support-diag.yaml'];

export interface LogSpec {
  path: string;
  /** Keep at most this many bytes from the end of each file (capped by --max-file-size). */
  tailBytes?: number;
  /** Keep lines from this time on (overrides --since for this entry). */
  since?: Date;
}

export interface CommandSpec {
  /** File name in the bundle: commands/<name>.txt. */
  name: string;
  /** Program and arguments; a single string when run through the shell. */
  argv: string[];
  shell: boolean;
  timeoutMs: number;
}

/**
 * What a product team asks customers to collect, checked into their docs as
 * support-diag.yml. See docs/diag.md for the format.
 */
export interface CollectionProfile {
  /** The file it was read from. */
  file: string;
  /** Everything collected lies inside it; default: the folder of the profile file. */
  root: string;
  files: string[];
  logs: LogSpec[];
  commands: CommandSpec[];
  exclude: string[];
  scrub: CustomPattern[];
}

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const KEYS = new Set(['root', 'files', 'logs', 'commands', 'exclude', 'scrub']);

/** Reads --profile-file, or support-diag.yml in `cwd` when it exists; undefined when neither. */
export async function loadCollectionProfile(file: string | undefined, cwd: string, now = Date.now()): Promise<CollectionProfile | undefined> {
  if (file !== undefined) {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new UsageError(`The collection profile ${file} cannot be read.`, {hint: 'Check the path given to --profile-file.'});
    }
    return withRoot(await parseCollectionProfile(text, path, now));
  }
  for (const name of PROFILE_FILE_NAMES) {
    const path = resolve(cwd, name);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) return withRoot(await parseCollectionProfile(text, path, now));
  }
  return undefined;
}

/** A root that is not there would leave every file "missing" and every command failing to start: one clear error instead. */
async function withRoot(profile: CollectionProfile): Promise<CollectionProfile> {
  const info = await stat(profile.root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError(`The collection root ${profile.root} ${info ? 'is not a directory' : 'does not exist'}.`, {
      hint: `Fix "root:" in ${profile.file} (a path, absolute or relative to that file), or remove it to collect from the file's own folder.`,
    });
  }
  return profile;
}

export async function parseCollectionProfile(text: string, file: string, now = Date.now()): Promise<CollectionProfile> {
  const {parse} = await import('yaml');
  const fail = (problem: string): never => {
    throw new UsageError(`The collection profile ${file} ${problem}.`, {hint: 'See docs/diag.md for the format of support-diag.yml.'});
  };
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (error) {
    return fail(`is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || Array.isArray(doc) || doc === null) return fail('must be a mapping with files, logs, commands, exclude or scrub');
  const data = doc as Record<string, unknown>;
  for (const key of Object.keys(data)) if (!KEYS.has(key)) fail(`has an unknown key "${key}" (known: ${[...KEYS].join(', ')})`);

  const list = (key: string): unknown[] => {
    const value = data[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return fail(`needs a list under "${key}"`);
    return value;
  };
  const str = (value: unknown, where: string): string => {
    if (typeof value !== 'string' || !value.trim()) return fail(`needs a non-empty text at ${where}`);
    return value;
  };
  const wrap = <T>(where: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      return fail(`has a bad value at ${where}: ${(error as Error).message}`);
    }
  };

  const root = resolve(dirname(file), data.root === undefined ? '.' : str(data.root, 'root'));
  const files = list('files').map((item, i) => str(item, `files[${i}]`));
  const exclude = list('exclude').map((item, i) => str(item, `exclude[${i}]`));

  const logs = list('logs').map((item, i): LogSpec => {
    if (typeof item === 'string') return {path: str(item, `logs[${i}]`)};
    if (!item || typeof item !== 'object') return fail(`needs a path or a mapping at logs[${i}]`);
    const entry = item as Record<string, unknown>;
    const spec: LogSpec = {path: str(entry.path, `logs[${i}].path`)};
    if (entry.tail !== undefined) spec.tailBytes = wrap(`logs[${i}].tail`, () => parseByteSize(String(entry.tail), 'log tail'));
    if (entry.since !== undefined) spec.since = wrap(`logs[${i}].since`, () => parseSince(String(entry.since), now));
    return spec;
  });

  const names = new Set<string>();
  const commands = list('commands').map((item, i): CommandSpec => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return fail(`needs a mapping with name and run at commands[${i}]`);
    const entry = item as Record<string, unknown>;
    const shell = entry.shell === true;
    let argv: string[];
    if (Array.isArray(entry.run)) argv = entry.run.map((arg, k) => (typeof arg === 'string' || typeof arg === 'number' ? String(arg) : fail(`needs text at commands[${i}].run[${k}]`)));
    else argv = shell ? [str(entry.run, `commands[${i}].run`)] : str(entry.run, `commands[${i}].run`).trim().split(/\s+/);
    if (shell && argv.length > 1) argv = [argv.join(' ')];
    if (argv.length === 0 || !argv[0]) return fail(`needs a command at commands[${i}].run`);
    // Unnamed, a command is named after its program: `ps aux | grep app` -> ps.
    const program = argv[0].trim().split(/\s+/)[0]!.split('/').pop();
    const rawName = entry.name === undefined ? program || `command-${i + 1}` : str(entry.name, `commands[${i}].name`);
    let name = rawName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || `command-${i + 1}`;
    while (names.has(name)) name = `${name}-${i + 1}`;
    names.add(name);
    const timeoutMs = entry.timeout === undefined ? DEFAULT_COMMAND_TIMEOUT_MS : wrap(`commands[${i}].timeout`, () => parseSpan(String(entry.timeout), 'timeout'));
    return {name, argv, shell, timeoutMs};
  });

  const scrub = list('scrub').map((item, i): CustomPattern => {
    if (typeof item === 'string') return {id: String(i + 1), pattern: item};
    if (!item || typeof item !== 'object') return fail(`needs a pattern at scrub[${i}]`);
    const entry = item as Record<string, unknown>;
    const pattern: CustomPattern = {pattern: str(entry.pattern, `scrub[${i}].pattern`), id: entry.id === undefined ? String(i + 1) : str(entry.id, `scrub[${i}].id`)};
    if (entry.flags !== undefined) pattern.flags = str(entry.flags, `scrub[${i}].flags`);
    return pattern;
  });

  return {file, root, files, logs, commands, exclude, scrub};
}
