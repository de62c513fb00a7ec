import {readFile} from 'node:fs/promises';
import {join} from 'node:path';

import type {Config} from '@oclif/core';

/**
 * Plugins that `support plugins install` or `link` recorded and oclif could not load. Kept apart
 * from plugins.ts, and free of the CLI's other modules, because every command may load it (when
 * oclif reported such a plugin at start): it must not change what the others load.
 */

export type PluginType = 'user' | 'link';

const firstSentence = (text: string) => String(text).split('\n')[0]!.replace(/^Error:\s*/, '').replace(/\.$/, '');

/** The plugins listed in oclif's data directory (what `plugins install` and `link` write there). */
export async function recorded(dataDir: string): Promise<{name: string; type: string; root?: string}[]> {
  try {
    const pjson = JSON.parse(await readFile(join(dataDir, 'package.json'), 'utf8')) as {oclif?: {plugins?: unknown[]}};
    return (pjson.oclif?.plugins ?? []).map((p) => (typeof p === 'string' ? {name: p, type: 'user'} : (p as {name: string; type: string; root?: string})));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A plugin listed in oclif's data directory that oclif could not load, and why, in words a user can act on. */
export interface BrokenPlugin {
  name: string;
  type: PluginType;
  root: string;
  message: string;
  hint: string;
}

/**
 * The plugins that `install` or `link` recorded but oclif did not load (a linked folder moved
 * away, a package.json that is not JSON). `failures` are oclif's own errors, for a reason that
 * reading the package.json does not give.
 */
export async function brokenPlugins(config: Config, failures: readonly Error[] = []): Promise<BrokenPlugin[]> {
  const loaded = new Set(config.getPluginsList().map((p) => p.name));
  const broken: BrokenPlugin[] = [];
  for (const entry of await recorded(config.dataDir)) {
    if (loaded.has(entry.name)) continue;
    const type: PluginType = entry.type === 'link' ? 'link' : 'user';
    const root = type === 'link' && entry.root ? entry.root : join(config.dataDir, 'node_modules', entry.name);
    let reason: string;
    try {
      JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
      const own = failures.find((f) => String(f.message).includes(root)) ?? failures[0];
      reason = own ? firstSentence(own.message) : 'oclif could not read it';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      reason = code === 'ENOENT' ? (type === 'link' ? `${root} has no package.json (was the folder moved?)` : 'it is not installed completely') : code ? `its package.json cannot be read (${code})` : 'its package.json is not valid JSON';
    }
    broken.push({
      name: entry.name,
      type,
      root,
      message: `The plugin ${entry.name} could not be loaded: ${reason}; its commands and backends are left out.`,
      hint: type === 'link'
        ? `Link it again from where it is (support plugins link PATH), or remove it: support plugins uninstall ${entry.name}`
        : `Install it again (support plugins install ${entry.name}), or remove it: support plugins uninstall ${entry.name}`,
    });
  }
  return broken;
}

