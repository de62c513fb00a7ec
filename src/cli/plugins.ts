import {readFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';

import type {Command, Config} from '@oclif/core';

import type {InstalledPlugin} from '../backends/plugins.js';
import {recorded, type PluginType} from './broken-plugins.js';
import {parsePluginManifest} from '../backends/plugins.js';
import {BACKEND_KINDS, describeBackendKinds} from '../backends/registry.js';
import {PluginError, UsageError} from '../domain/errors.js';
import {neutralise} from '../domain/neutralise.js';
import type {OutputStream} from './io.js';

/**
 * `support plugins ...`: the commands of @oclif/plugin-plugins (npm installs into oclif's data
 * directory, links, uninstalls), run from our own commands so that the CLI's start-up does not
 * load that plugin, its output stays off stdout, and a plugin's backend declaration is checked
 * the moment it is installed.
 */

export type {PluginType};

/** The plugins a user installed or linked, as oclif loaded them at start (their package.json included). */
export function installedPlugins(config: Config): (InstalledPlugin & {version: string; type: PluginType})[] {
  return config
    .getPluginsList()
    .filter((p) => p.type === 'user' || p.type === 'link')
    .map((p) => ({name: p.name, version: p.version, type: p.type as PluginType, root: p.root, pjson: p.pjson as InstalledPlugin['pjson']}));
}

export interface PluginSummary {
  name: string;
  version: string;
  /** `user`: installed from npm; `link`: a folder linked for development. */
  type: PluginType;
  root: string;
  /** The backend kinds the plugin adds, each with the `profile add` that makes a profile of it. */
  backends: {kind: string; description: string; usage: string}[];
  /** Why its backends cannot be used, in one sentence; null when they can. */
  problem: string | null;
}

/** What an installed plugin adds, with the one sentence that says why it cannot, when it cannot. */
export function summarizePlugin(plugin: InstalledPlugin & {version: string; type: PluginType}, others: readonly InstalledPlugin[]): PluginSummary {
  const base = {name: plugin.name, version: plugin.version, type: plugin.type, root: plugin.root};
  let declared: ReturnType<typeof parsePluginManifest>;
  try {
    declared = parsePluginManifest(plugin.name, plugin.pjson.supportkit);
  } catch (error) {
    return {...base, backends: [], problem: (error as Error).message};
  }
  const clash = declared.find((d) => BACKEND_KINDS.includes(d.kind));
  const shared = declared.find((d) => others.some((o) => o.name !== plugin.name && safeKinds(o).includes(d.kind)));
  const problem = clash
    ? `It declares the backend kind "${clash.kind}", which the toolkit has already.`
    : shared
      ? `It declares the backend kind "${shared.kind}", which the plugin ${others.find((o) => o.name !== plugin.name && safeKinds(o).includes(shared.kind))!.name} adds too.`
      : null;
  const usage = (d: (typeof declared)[number]) =>
    [
      `support profile add NAME --backend ${d.kind}`,
      ...(['url', 'email'] as const).filter((f) => d.fields[f] === 'required').map((f) => `--${f} ${f === 'url' ? (d.urlExample ?? 'URL') : 'EMAIL'}`),
      ...d.options.filter((o) => o.required).map((o) => `--option ${o.name}=${o.example}`),
    ].join(' ');
  return {...base, backends: declared.map((d) => ({kind: d.kind, description: d.description, usage: usage(d)})), problem};
}

function safeKinds(plugin: InstalledPlugin): string[] {
  try {
    return parsePluginManifest(plugin.name, plugin.pjson.supportkit).map((d) => d.kind);
  } catch {
    return [];
  }
}

/** What of oclif's Command this needs: `init` is protected in its types, and called here as oclif's own `_run` does. */
type PluginsCommand = Command & {init(): Promise<void>};
type CommandClass = new (argv: string[], config: Config) => PluginsCommand;

/**
 * Runs one command of @oclif/plugin-plugins with our config. What it and npm print is talk, not
 * data: it goes to `talk` (the command's stderr), neutralised, so that stdout carries only our
 * result (and --json stays parseable). Its errors become one sentence.
 */
async function runPluginsCommand(id: 'plugins:install' | 'plugins:link' | 'plugins:uninstall', argv: string[], config: Config, what: string, talk: OutputStream): Promise<void> {
  const {commands} = (await import('@oclif/plugin-plugins')) as unknown as {commands: Record<string, CommandClass>};
  const command = new commands[id]!(argv, config);
  command.id = id;
  // oclif's command writes to the process's stdout itself, which no stream of ours can stand in
  // for: its writes are sent to `talk` while it runs.
  /* eslint-disable no-restricted-properties */
  const stdout = process.stdout;
  const write = stdout.write;
  stdout.write = ((chunk: string | Uint8Array) => talk.write(neutralise(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')))) as typeof stdout.write;
  /* eslint-enable no-restricted-properties */
  try {
    await command.init();
    await command.run();
  } catch (error) {
    await stopSpinner();
    const e = error as Error & {oclif?: {exit?: number}; suggestions?: string[]};
    const message = firstSentence(e.message);
    if (/exited with code \d+/.test(message)) {
      throw new PluginError(`npm could not ${what}; its output is above.`, {hint: 'Check the package name and your connection to the npm registry, then try again.', cause: error});
    }
    const fallback =
      id === 'plugins:link' ? 'A plugin folder needs a package.json that is valid JSON, with an "oclif" section (docs/backends.md, "Backend plugins").' : 'Run again with --debug to see more.';
    throw new PluginError(`Could not ${what}: ${message}.`, {hint: e.suggestions?.[0]?.split('\n')[0] ?? fallback, cause: error});
  } finally {
    stdout.write = write;
  }
}

/**
 * oclif's spinner (`ux.action`), which plugin-plugins starts, holds back what is written to
 * stdout and stderr while it runs; a command that fails leaves it running, and this command's
 * own sentence would never show. It is the spinner of the @oclif/core that plugin-plugins
 * loads (from node_modules), not of the copy bundled with the commands.
 */
async function stopSpinner(): Promise<void> {
  const {createRequire} = await import('node:module');
  const {fileURLToPath} = await import('node:url');
  const fromPlugin = createRequire(fileURLToPath(import.meta.resolve('@oclif/plugin-plugins')));
  const {ux} = fromPlugin('@oclif/core') as typeof import('@oclif/core');
  if (ux.action.running) ux.action.stop('failed');
}

const firstSentence = (text: string) => String(text).split('\n')[0]!.replace(/^Error:\s*/, '').replace(/\.$/, '');

/** The plugin `install` or `link` added: the entry oclif's data directory lists now and did not before. */
async function added(config: Config, before: readonly {name: string}[], fallback: string): Promise<{name: string; type: string; root?: string}> {
  const after = await recorded(config.dataDir);
  return after.find((p) => !before.some((b) => b.name === p.name)) ?? after.find((p) => p.name === fallback) ?? after.at(-1)!;
}

async function loadInstalled(config: Config, entry: {name: string; type: string; root?: string}): Promise<InstalledPlugin & {version: string; type: PluginType}> {
  const root = entry.type === 'link' && entry.root ? entry.root : join(config.dataDir, 'node_modules', entry.name);
  const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {name: string; version: string; supportkit?: unknown};
  return {name: pjson.name, version: pjson.version, type: entry.type === 'link' ? 'link' : 'user', root, pjson};
}

/**
 * After `install` or `link`: the new plugin's backends must be usable. A declaration that is not
 * valid, or a kind that exists already, undoes the install and fails in one sentence.
 */
async function checkNew(config: Config, plugin: InstalledPlugin & {version: string; type: PluginType}, talk: OutputStream): Promise<PluginSummary> {
  const others = installedPlugins(config).filter((p) => p.name !== plugin.name);
  const summary = summarizePlugin(plugin, others);
  if (summary.problem) {
    await runPluginsCommand('plugins:uninstall', [plugin.name], config, `remove ${plugin.name} again`, talk);
    const verb = plugin.type === 'link' ? 'linked' : 'installed';
    const problem = summary.problem.replace(/\.$/, '');
    throw new PluginError(problem.startsWith('It ') ? `The plugin ${plugin.name} was not ${verb}: it ${problem.slice(3)}.` : `${problem}; it was not ${verb}.`, {
      hint: problem.startsWith('It ')
        ? 'Ask the plugin’s author to choose another kind name; `support plugins list` shows the kinds there are.'
        : 'Ask the plugin’s author to fix the "supportkit" field of its package.json (docs/backends.md, "Backend plugins").',
    });
  }
  return summary;
}

export async function installPlugin(config: Config, spec: string, options: {force?: boolean; talk: OutputStream}): Promise<PluginSummary> {
  if (!spec.trim() || spec.startsWith('-')) throw new UsageError(`"${spec}" is not an npm package name.`, {hint: 'Give the package to install, e.g. support plugins install supportkit-backend-example.'});
  const before = await recorded(config.dataDir);
  await runPluginsCommand('plugins:install', [spec, ...(options.force ? ['--force'] : [])], config, `install ${spec}`, options.talk);
  return checkNew(config, await loadInstalled(config, await added(config, before, spec)), options.talk);
}

export async function linkPlugin(config: Config, path: string, options: {install: boolean; talk: OutputStream}): Promise<PluginSummary> {
  const root = resolve(path);
  try {
    await readFile(join(root, 'package.json'), 'utf8');
  } catch {
    throw new UsageError(`${root} has no package.json, so it is not a plugin.`, {hint: 'Give the folder of the plugin, where its package.json is.'});
  }
  const before = (await recorded(config.dataDir)).filter((p) => !(p.type === 'link' && p.root === root));
  await runPluginsCommand('plugins:link', [root, options.install ? '--install' : '--no-install'], config, `link ${root}`, options.talk);
  return checkNew(config, await loadInstalled(config, await added(config, before, '')), options.talk);
}

/** What a user does next with a plugin just added. */
export function pluginAddedNote(plugin: PluginSummary, verb: string): string {
  const what = `${verb} ${plugin.name} ${plugin.version}`;
  if (!plugin.backends.length) return `${what}; it adds no backend kinds.`;
  const kinds = plugin.backends.map((b) => b.kind);
  return `${what}; it adds the backend kind${kinds.length > 1 ? 's' : ''} ${kinds.join(', ')}. Make a profile of it: ${plugin.backends[0]!.usage}`;
}

export interface UninstallResult {
  name: string;
  /** Profiles whose backend kind the plugin added: they cannot be used until a plugin adds it again. */
  orphanedProfiles: string[];
}

export async function uninstallPlugin(config: Config, name: string, profiles: () => Promise<Record<string, {backend: string}>>, talk: OutputStream): Promise<UninstallResult> {
  const entry = (await recorded(config.dataDir)).find((p) => p.name === name || (p.type === 'link' && p.root === resolve(name)));
  if (!entry) {
    throw new UsageError(`No plugin named ${name} is installed.`, {hint: 'support plugins list shows the installed plugins.'});
  }
  const plugin = installedPlugins(config).find((p) => p.name === entry.name);
  const kinds = plugin ? safeKinds(plugin).filter((k) => describeBackendKinds().some((d) => d.kind === k && d.plugin === entry.name)) : [];
  await runPluginsCommand('plugins:uninstall', [entry.name], config, `uninstall ${entry.name}`, talk);
  const orphaned = Object.entries(await profiles())
    .filter(([, p]) => kinds.includes(p.backend))
    .map(([profileName]) => profileName)
    .sort();
  return {name: entry.name, orphanedProfiles: orphaned};
}
