import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';

import {afterAll, afterEach, describe, expect, it} from 'vitest';

import {parsePluginManifest, pluginBackendKinds, type InstalledPlugin} from '../../src/backends/plugins.js';
import {BACKEND_KINDS, backendKind, describeBackendKinds, openBackend, parseBackendOptions, useBackendPlugins} from '../../src/backends/registry.js';
import {PluginError, UsageError} from '../../src/domain/errors.js';

const root = mkdtempSync(join(tmpdir(), 'supportkit-plugins-'));
afterAll(() => rmSync(root, {recursive: true, force: true}));
afterEach(() => useBackendPlugins(undefined));

const backend = (extra: Record<string, unknown> = {}) => ({kind: 'memo', description: 'tickets in memory', module: './index.js', ...extra});
const manifest = (...backends: unknown[]) => ({api: 1, backends});

/** A plugin folder on disk with the given package.json field and module source. */
function plugin(name: string, supportkit: unknown, source?: string): InstalledPlugin {
  const dir = join(root, name);
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name, version: '1.0.0', type: 'module', oclif: {}, supportkit}));
  if (source !== undefined) writeFileSync(join(dir, 'index.js'), source);
  return {name, root: dir, pjson: {supportkit}};
}

function use(plugins: InstalledPlugin[]): string[] {
  const warnings: string[] = [];
  useBackendPlugins(() => pluginBackendKinds(plugins, BACKEND_KINDS, (m) => warnings.push(m)));
  return warnings;
}

describe('a plugin’s declaration', () => {
  it('is read with its defaults, and a plugin without one adds nothing', () => {
    expect(parsePluginManifest('p', undefined)).toEqual([]);
    expect(parsePluginManifest('p', manifest(backend({options: [{name: 'path', description: 'The file.', type: 'path', example: 'a.jsonl', required: true}]})))).toEqual([
      {kind: 'memo', description: 'tickets in memory', module: './index.js', fields: {}, needsToken: false, urlExample: undefined, httpsOnly: undefined, tokenHelp: undefined,
        options: [{name: 'path', description: 'The file.', type: 'path', example: 'a.jsonl', required: true}]},
    ]);
  });

  it.each([
    [{backends: []}, 'supportkit.api must be the number of the backend API the plugin is written for (1)'],
    [manifest(backend({kind: 'Has Space'})), 'supportkit.backends[0].kind must be lowercase letters, digits and hyphens, starting with a letter'],
    [manifest(backend({module: '../outside.js'})), 'supportkit.backends[0].module must be a .js file inside the plugin, such as "./dist/index.js"'],
    [manifest(backend({module: '/etc/passwd.js'})), 'supportkit.backends[0].module must be a .js file inside the plugin'],
    [manifest(backend({fields: {repo: 'required'}})), 'supportkit.backends[0].fields may name url and email, not "repo"'],
    [manifest(backend({options: [{name: 'x', description: 'd', type: 'float', example: '1'}]})), 'supportkit.backends[0].options[0].type must be string, integer, boolean, path or a list of values'],
    [manifest(backend({options: [{name: 'x', description: 'd', example: '1'}, {name: 'x', description: 'd', example: '2'}]})), 'supportkit.backends[0].options name "x" twice'],
    [manifest(backend({export: 'not a name'})), 'supportkit.backends[0].export must be the name of an export'],
    [manifest(backend({description: ''})), 'supportkit.backends[0].description must be a non-empty string'],
  ])('refuses %j in one sentence naming the plugin and the place', (value, where) => {
    const attempt = () => parsePluginManifest('acme-plugin', value);
    expect(attempt).toThrow(PluginError);
    expect(attempt).toThrow(`The plugin acme-plugin declares a backend that is not valid: ${where}`);
  });

  it('names the API version a plugin needs when it is not this one', () => {
    expect(() => parsePluginManifest('future', {api: 2, backends: []})).toThrow('The plugin future is written for version 2 of the backend API; this support speaks version 1.');
  });
});

describe('the registry with plugins', () => {
  it('lists a plugin’s kind with the toolkit’s, and knows its options', () => {
    use([plugin('memo-plugin', manifest(backend({options: [{name: 'path', description: 'The file.', type: 'path', example: 'a.jsonl', required: true}, {name: 'mode', description: 'How.', type: ['fast', 'safe'], example: 'safe'}]})))]);
    expect(describeBackendKinds().map((k) => k.kind)).toEqual([...BACKEND_KINDS, 'memo']);
    expect(backendKind('memo')).toMatchObject({kind: 'memo', plugin: 'memo-plugin', needsToken: false, needsUrl: false});
    expect(parseBackendOptions('memo', ['path=rel/t.jsonl', 'mode=fast'])).toEqual({path: resolve('rel/t.jsonl'), mode: 'fast'});
    expect(() => parseBackendOptions('memo', ['mode=fast'])).toThrow(UsageError);
    expect(() => parseBackendOptions('memo', ['mode=fast'])).toThrow('The memo backend needs the option path.');
    expect(() => parseBackendOptions('memo', ['path=a', 'mode=slow'])).toThrow('The option mode must be one of fast, safe, not "slow".');
  });

  it('leaves out, in one sentence each, a kind the toolkit has and a kind another plugin added first', () => {
    const warnings = use([
      plugin('first', manifest(backend({kind: 'memo'}))),
      plugin('second', manifest(backend({kind: 'memo'}), backend({kind: 'local'}), backend({kind: 'other'}))),
      plugin('broken', {api: 1, backends: [{kind: 'x'}]}),
    ]);
    expect(describeBackendKinds().filter((k) => k.plugin).map((k) => [k.kind, k.plugin])).toEqual([['memo', 'first'], ['other', 'second']]);
    expect(warnings).toEqual([
      'The plugin second declares the backend kind "memo", which the plugin first adds already; the plugin\'s memo is left out.',
      'The plugin second declares the backend kind "local", which the toolkit has already; the plugin\'s local is left out.',
      'The plugin broken declares a backend that is not valid: supportkit.backends[0].description must be a non-empty string. Its backends are left out.',
    ]);
    expect(backendKind('local').plugin).toBeUndefined();
  });

  it('says a kind no plugin adds is unknown, and where kinds come from', () => {
    use([]);
    expect(() => backendKind('memo')).toThrow('"memo" is not a known backend.');
    try {
      backendKind('memo');
    } catch (error) {
      expect((error as UsageError).hint).toBe(`Use one of: ${BACKEND_KINDS.join(', ')}; a plugin may add others (support plugins install PACKAGE).`);
    }
  });

  it('reads no declaration and imports no code until asked, and a plugin’s code only to open its kind', async () => {
    const marker = join(root, 'loaded.txt');
    let read = 0;
    const p = plugin('lazy', manifest(backend()), `import {writeFileSync} from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'yes');
      export const createBackend = async (o) => ({kind: 'memo', capabilities: new Set(['tickets']), tickets: {}, whoami: async () => o.identity, close: async () => {}});`);
    useBackendPlugins(() => {
      read++;
      return pluginBackendKinds([p], BACKEND_KINDS, () => {});
    });
    expect(read).toBe(0);
    expect(backendKind('memo').description).toBe('tickets in memory');
    expect(backendKind('memo').kind).toBe('memo');
    expect(read).toBe(1);
    const {existsSync} = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
    const opened = await openBackend('memo', {profile: 'x', dataDir: root, cacheDir: root, identity: {name: 'ann', role: 'agent'}});
    expect(existsSync(marker)).toBe(true);
    expect(await opened.whoami()).toEqual({name: 'ann', role: 'agent'});
  });

  it.each([
    ['a module that is missing', 'gone', undefined, 'The memo backend of the plugin gone could not be loaded: Cannot find module'],
    ['a module that throws', 'boom', 'throw new Error("boom");', 'The memo backend of the plugin boom could not be loaded: boom.'],
    ['no factory', 'other', 'export const other = 1;', 'The plugin other has no function createBackend in ./index.js for its memo backend.'],
    ['a factory answering no backend', 'empty', 'export const createBackend = async () => ({kind: "memo"});', 'The memo backend of the plugin empty is not a valid backend: its factory answered no capabilities set.'],
  ])('fails in one sentence for %s', async (_what, name, source, message) => {
    const p = plugin(name, manifest(backend()), source);
    if (source === undefined) rmSync(join(p.root, 'index.js'), {force: true});
    use([p]);
    const failure = openBackend('memo', {profile: 'x', dataDir: root, cacheDir: root, identity: {name: 'ann', role: 'agent'}});
    await expect(failure).rejects.toBeInstanceOf(PluginError);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toMatchObject({hint: expect.stringContaining(`support plugins uninstall ${name}`)});
  });
});
