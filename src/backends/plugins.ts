import {readFileSync} from 'node:fs';
import module from 'node:module';
import {isAbsolute, join, normalize, sep} from 'node:path';
import {pathToFileURL} from 'node:url';

import {PluginError} from '../domain/errors.js';
import type {Backend, BackendFactory} from './backend.js';
import type {BackendKindInfo, BackendOptionSpec, ProfileField} from './registry.js';

/**
 * Backend kinds that third parties add as oclif plugins. A plugin declares its kinds in its
 * package.json (the `supportkit` field, read from what oclif loaded at start); its code is
 * imported only when a profile of one of its kinds is opened. docs/backends.md is the guide.
 */

/** The version of the declaration format and of `supportkit-cli/backend` that this CLI speaks. */
export const PLUGIN_API_VERSION = 1;

/** One `--option` as a plugin declares it. */
export interface PluginOptionDeclaration {
  name: string;
  description: string;
  /** `path`: a file name, stored as an absolute path. A list: one of these values. */
  type: 'string' | 'integer' | 'boolean' | 'path' | readonly string[];
  example: string;
  /** `profile add` refuses a profile without it. */
  required?: boolean;
}

/** One backend kind as a plugin declares it in package.json. */
export interface PluginBackendDeclaration {
  kind: string;
  description: string;
  /** The module exporting the factory, relative to the plugin's root: "./dist/index.js". */
  module: string;
  /** The name of the factory export; default `createBackend`. */
  export?: string;
  fields?: Partial<Record<'url' | 'email', 'required' | 'optional'>>;
  urlExample?: string;
  httpsOnly?: boolean;
  needsToken?: boolean;
  tokenHelp?: string;
  options?: PluginOptionDeclaration[];
}

/** The `supportkit` field of a plugin's package.json. */
export interface BackendPluginManifest {
  /** PLUGIN_API_VERSION that the plugin was written for. */
  api: number;
  backends: PluginBackendDeclaration[];
}

/** A declaration as checked: defaults filled in, ready for the registry. */
export type CheckedBackendDeclaration = Omit<PluginBackendDeclaration, 'fields' | 'needsToken' | 'options'> & Pick<BackendKindInfo, 'fields' | 'needsToken' | 'options'>;

/** An installed oclif plugin, as much of it as the registry needs. */
export interface InstalledPlugin {
  name: string;
  root: string;
  pjson: {supportkit?: unknown};
}

/** A kind a plugin adds, ready for the registry: what it declares and how to load it. */
export interface PluginBackendKind extends BackendKindInfo {
  plugin: string;
  load: () => Promise<BackendFactory>;
}

const KIND = /^[a-z][a-z0-9-]{0,39}$/;
const OPTION = /^[a-z][a-z0-9-]{0,39}$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const FIELDS = ['url', 'email'] as const satisfies readonly ProfileField[];

class DeclarationError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (where: string, what: string): never => {
  throw new DeclarationError(`${where} ${what}`);
};
function text(v: unknown, where: string, max = 300): string {
  if (typeof v !== 'string' || !v.trim()) fail(where, 'must be a non-empty string');
  if ((v as string).length > max) fail(where, `must be at most ${max} characters long`);
  return v as string;
}
function optionalText(v: unknown, where: string): string | undefined {
  return v === undefined ? undefined : text(v, where);
}
function flag(v: unknown, where: string): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') fail(where, 'must be true or false');
  return v as boolean | undefined;
}

function parseOption(v: unknown, where: string): BackendOptionSpec {
  if (!isRecord(v)) return fail(where, 'must be an object');
  const name = text(v.name, `${where}.name`, 40);
  if (!OPTION.test(name)) fail(`${where}.name`, 'must be lowercase letters, digits and hyphens');
  const type = v.type ?? 'string';
  const scalar = ['string', 'integer', 'boolean', 'path'].includes(type as string);
  const list = Array.isArray(type) && type.length > 0 && type.every((t) => typeof t === 'string' && t.length > 0);
  if (!scalar && !list) fail(`${where}.type`, 'must be string, integer, boolean, path or a list of values');
  return {
    name,
    description: text(v.description, `${where}.description`),
    type: type as BackendOptionSpec['type'],
    example: text(v.example, `${where}.example`),
    ...(flag(v.required, `${where}.required`) ? {required: true} : {}),
  };
}

/** A module path inside the plugin's root: relative, and never climbing out of it. */
function modulePath(v: unknown, where: string): string {
  const path = text(v, where);
  const normal = normalize(path);
  if (isAbsolute(path) || normal === '..' || normal.startsWith(`..${sep}`) || !/\.(c|m)?js$/.test(path)) {
    fail(where, 'must be a .js file inside the plugin, such as "./dist/index.js"');
  }
  return path;
}

function parseBackend(v: unknown, where: string): CheckedBackendDeclaration {
  if (!isRecord(v)) return fail(where, 'must be an object');
  const kind = text(v.kind, `${where}.kind`, 40);
  if (!KIND.test(kind)) fail(`${where}.kind`, 'must be lowercase letters, digits and hyphens, starting with a letter');
  const fields: PluginBackendDeclaration['fields'] = {};
  if (v.fields !== undefined) {
    if (!isRecord(v.fields)) fail(`${where}.fields`, 'must be an object');
    for (const [field, rule] of Object.entries(v.fields as Record<string, unknown>)) {
      if (!(FIELDS as readonly string[]).includes(field)) fail(`${where}.fields`, `may name ${FIELDS.join(' and ')}, not "${field}"`);
      if (rule !== 'required' && rule !== 'optional') fail(`${where}.fields.${field}`, 'must be "required" or "optional"');
      fields[field as (typeof FIELDS)[number]] = rule as 'required' | 'optional';
    }
  }
  if (v.options !== undefined && !Array.isArray(v.options)) fail(`${where}.options`, 'must be a list');
  const options = ((v.options as unknown[] | undefined) ?? []).map((o, i) => parseOption(o, `${where}.options[${i}]`));
  const names = new Set<string>();
  for (const o of options) {
    if (names.has(o.name)) fail(`${where}.options`, `name "${o.name}" twice`);
    names.add(o.name);
  }
  const exported = v.export === undefined ? undefined : text(v.export, `${where}.export`, 100);
  if (exported !== undefined && !IDENTIFIER.test(exported)) fail(`${where}.export`, 'must be the name of an export');
  return {
    kind,
    description: text(v.description, `${where}.description`),
    module: modulePath(v.module, `${where}.module`),
    ...(exported ? {export: exported} : {}),
    fields,
    urlExample: optionalText(v.urlExample, `${where}.urlExample`),
    httpsOnly: flag(v.httpsOnly, `${where}.httpsOnly`),
    needsToken: flag(v.needsToken, `${where}.needsToken`) ?? false,
    tokenHelp: optionalText(v.tokenHelp, `${where}.tokenHelp`),
    options,
  };
}

/**
 * The backends a plugin's `supportkit` field declares; [] for a plugin without one (it may add
 * commands only). Throws a PluginError naming the plugin and what is wrong.
 */
export function parsePluginManifest(plugin: string, value: unknown): CheckedBackendDeclaration[] {
  if (value === undefined) return [];
  try {
    if (!isRecord(value)) fail('supportkit', 'must be an object');
    const {api, backends} = value as Record<string, unknown>;
    if (typeof api !== 'number') fail('supportkit.api', `must be the number of the backend API the plugin is written for (${PLUGIN_API_VERSION})`);
    if (api !== PLUGIN_API_VERSION) {
      throw new PluginError(`The plugin ${plugin} is written for version ${String(api)} of the backend API; this support speaks version ${PLUGIN_API_VERSION}.`, {
        hint: (api as number) > PLUGIN_API_VERSION ? 'Update support, or install an older version of the plugin.' : `Install a version of the plugin for this support, or remove it: support plugins uninstall ${plugin}`,
      });
    }
    if (!Array.isArray(backends)) fail('supportkit.backends', 'must be a list');
    const declared = (backends as unknown[]).map((b, i) => parseBackend(b, `supportkit.backends[${i}]`));
    const twice = declared.findIndex((d, i) => declared.findIndex((e) => e.kind === d.kind) !== i);
    if (twice >= 0) fail(`supportkit.backends[${twice}].kind`, `declares "${declared[twice]!.kind}" a second time`);
    return declared;
  } catch (error) {
    if (!(error instanceof DeclarationError)) throw error;
    throw new PluginError(`The plugin ${plugin} declares a backend that is not valid: ${error.message}.`, {
      hint: `Ask its author to fix its package.json (docs/backends.md, "Backend plugins"), or remove it: support plugins uninstall ${plugin}`,
    });
  }
}

/** The first line of an error's message, without a trailing full stop (it goes inside a sentence). */
const firstLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .split('\n')[0]!
    .replace(/ imported from \S+$/, '')
    .replace(/\.$/, '');

let resolutionHooked = false;

/**
 * A plugin imports `supportkit-cli/backend` by the package's name. Whatever copy its own
 * node_modules holds (or none: it is a peer dependency), it gets the one of the CLI that loads
 * it, so that its errors are the CLI's own classes. Needs module.registerHooks (Node 22.15,
 * 23.5); without it, Node's own resolution applies.
 */
function resolveToolkitForPlugins(): void {
  if (resolutionHooked) return;
  resolutionHooked = true;
  const registerHooks = (module as {registerHooks?: typeof module.registerHooks}).registerHooks;
  if (typeof registerHooks !== 'function') return;
  // src/backends/plugins.ts and dist/backends/plugins.js both sit two folders below the root.
  const manifest = new URL('../../package.json', import.meta.url);
  const name = (JSON.parse(readFileSync(manifest, 'utf8')) as {name: string}).name;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === name || specifier.startsWith(`${name}/`)) return nextResolve(specifier, {...context, parentURL: manifest.href});
      return nextResolve(specifier, context);
    },
  });
}

/** Checks what a plugin's factory answered, so that a broken plugin fails here in one sentence, not later obscurely. */
function checkBackend(backend: unknown, kind: string, plugin: string): Backend {
  const b = backend as Partial<Backend> | undefined;
  const missing = !b || typeof b !== 'object'
    ? 'no backend'
    : !(b.capabilities instanceof Set) ? 'no capabilities set'
    : typeof b.tickets !== 'object' || b.tickets === null ? 'no tickets'
    : typeof b.whoami !== 'function' ? 'no whoami()'
    : typeof b.close !== 'function' ? 'no close()'
    : undefined;
  if (missing) {
    throw new PluginError(`The ${kind} backend of the plugin ${plugin} is not a valid backend: its factory answered ${missing}.`, {
      hint: `Report it to the plugin's author, or remove the plugin: support plugins uninstall ${plugin}`,
    });
  }
  return b as Backend;
}

function loader(plugin: InstalledPlugin, declaration: CheckedBackendDeclaration): () => Promise<BackendFactory> {
  const {kind} = declaration;
  const exportName = declaration.export ?? 'createBackend';
  const hint = `Reinstall the plugin (support plugins install ${plugin.name}), or remove it: support plugins uninstall ${plugin.name}`;
  return async () => {
    resolveToolkitForPlugins();
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(pathToFileURL(join(plugin.root, declaration.module)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new PluginError(`The ${kind} backend of the plugin ${plugin.name} could not be loaded: ${firstLine(error)}.`, {hint, cause: error});
    }
    const factory = loaded[exportName];
    if (typeof factory !== 'function') {
      throw new PluginError(`The plugin ${plugin.name} has no function ${exportName} in ${declaration.module} for its ${kind} backend.`, {hint});
    }
    return async (options) => checkBackend(await (factory as BackendFactory)(options), kind, plugin.name);
  };
}

/**
 * The kinds installed plugins add, in the order oclif lists the plugins. A plugin whose
 * declaration is not valid, or a kind that the toolkit or an earlier plugin has already, is left
 * out and told to `warn` in one sentence.
 */
export function pluginBackendKinds(plugins: readonly InstalledPlugin[], builtIn: readonly string[], warn: (message: string) => void): Map<string, PluginBackendKind> {
  const kinds = new Map<string, PluginBackendKind>();
  for (const plugin of plugins) {
    let declared: ReturnType<typeof parsePluginManifest>;
    try {
      declared = parsePluginManifest(plugin.name, plugin.pjson.supportkit);
    } catch (error) {
      warn(`${(error as Error).message} Its backends are left out.`);
      continue;
    }
    for (const d of declared) {
      const taken = builtIn.includes(d.kind) ? 'the toolkit' : kinds.get(d.kind)?.plugin;
      if (taken) {
        warn(`The plugin ${plugin.name} declares the backend kind "${d.kind}", which ${taken === 'the toolkit' ? 'the toolkit has' : `the plugin ${taken} adds`} already; the plugin's ${d.kind} is left out.`);
        continue;
      }
      const {module: _module, export: _export, ...info} = d;
      kinds.set(d.kind, {...info, plugin: plugin.name, load: loader(plugin, d)});
    }
  }
  return kinds;
}
