import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {create as tar} from 'tar';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {ROOT, runBin, sandbox, type Sandbox} from '../helpers.js';

/**
 * Backend plugins through the built CLI, as a user installs one: into oclif's data directory
 * (SUPPORT_DATA_DIR of a temp home), never the developer's. npm works offline here: the
 * installed plugin is a tarball on disk.
 */
const EXAMPLE = join(ROOT, 'examples', 'backend-plugin');

let dirs: Sandbox;
let env: Record<string, string>;
const cli = (...args: string[]) => runBin(args, {env, timeoutMs: 60_000});
const json = <T = any>(text: string): T => JSON.parse(text) as T;

/** A plugin folder with the given package.json fields and files. */
function fixture(name: string, pjson: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = join(dirs.dir, 'fixtures', name);
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name, version: '1.0.0', type: 'module', oclif: {}, ...pjson}));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

beforeAll(() => {
  dirs = sandbox();
  env = {
    ...dirs.env,
    // npm, run by `plugins install`: no network, its cache in the temp home
    npm_config_offline: 'true',
    npm_config_cache: join(dirs.dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
});
afterAll(() => dirs.cleanup());

describe('the example plugin, linked', () => {
  const file = () => join(dirs.dir, 'desk', 'tickets.jsonl');

  it('has none installed at first', async () => {
    const list = await cli('plugins', 'list', '--json');
    expect(list.exitCode).toBe(0);
    expect(json(list.stdout)).toEqual({plugins: []});
    expect((await cli('profile', 'add', 'desk', '--backend', 'jsonl')).stderr).toContain('"jsonl" is not a known backend.');
  });

  it('links, and lists the kind it adds', async () => {
    const link = await cli('plugins', 'link', EXAMPLE, '--no-install', '--json');
    expect(link.exitCode).toBe(0);
    expect(json(link.stdout)).toMatchObject({
      name: 'supportkit-backend-jsonl',
      type: 'link',
      root: EXAMPLE,
      backends: [{kind: 'jsonl', usage: 'support profile add NAME --backend jsonl --option path=tickets.jsonl'}],
      problem: null,
    });
    const list = await cli('plugins', 'list');
    expect(list.stdout).toContain(`supportkit-backend-jsonl\t1.0.0\tlink ${EXAMPLE}\tjsonl\t`);
  });

  it('takes its declared options on profile add, and refuses a profile without the required one', async () => {
    const missing = await cli('profile', 'add', 'desk', '--backend', 'jsonl');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('Error: The jsonl backend needs the option path.');
    const unknown = await cli('profile', 'add', 'desk', '--backend', 'jsonl', '--option', `path=${file()}`, '--option', 'colour=red');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('"colour" is not an option of the jsonl backend.');
    const added = await cli('profile', 'add', 'desk', '--backend', 'jsonl', '--option', `path=${file()}`, '--as', 'agent', '--json');
    expect(added.exitCode).toBe(0);
    expect(json(added.stdout)).toMatchObject({name: 'desk', backend: 'jsonl', options: {path: file()}});
  });

  it('files, comments on and lists tickets in the JSON Lines file', async () => {
    const created = await cli('ticket', 'create', '--profile', 'desk', '--title', 'Printer on fire', '--body', 'Again.', '--tag', 'hardware', '--no-input', '--json');
    expect(created.exitCode).toBe(0);
    expect(json(created.stdout)).toMatchObject({id: '1', title: 'Printer on fire', status: 'new', requester: 'tester', tags: ['hardware']});
    expect((await cli('ticket', 'comment', '1', '--profile', 'desk', '--body', 'Extinguished.')).exitCode).toBe(0);
    expect((await cli('ticket', 'close', '1', '--profile', 'desk')).exitCode).toBe(0);
    const view = json((await cli('ticket', 'view', '1', '--profile', 'desk', '--json')).stdout);
    expect(view).toMatchObject({status: 'solved', comments: [{body: 'Extinguished.', author: 'tester', public: true}]});
    const lines = readFileSync(file(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.op)).toEqual(['create', 'comment', 'update']);
    const list = await cli('ticket', 'list', '--profile', 'desk', '--status', 'solved');
    expect(list.stdout).toMatch(/^1\tsolved\tnormal\tPrinter on fire\t/);
  });

  it('says in one sentence what the backend cannot do, and creates nothing then', async () => {
    const attachment = join(dirs.dir, 'log.txt');
    writeFileSync(attachment, 'log');
    const attach = await cli('ticket', 'create', '--profile', 'desk', '--title', 'With a log', '--body', 'See the log.', '--attach', attachment, '--no-input');
    expect(attach.exitCode).toBe(1);
    expect(attach.stderr).toContain('Error: The jsonl backend cannot attach files to tickets.');
    expect(attach.stderr).toContain(`Hint: Put the file beside ${file()} and name it in a comment.`);
    expect(readFileSync(file(), 'utf8').trimEnd().split('\n')).toHaveLength(3);
    const missing = await cli('ticket', 'view', '42', '--profile', 'desk');
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('Error: Ticket 42 does not exist.');
  });

  it('uninstalls, naming the profiles left without their backend', async () => {
    const removed = await cli('plugins', 'uninstall', 'supportkit-backend-jsonl', '--json');
    expect(removed.exitCode).toBe(0);
    expect(json(removed.stdout)).toEqual({name: 'supportkit-backend-jsonl', orphanedProfiles: ['desk']});
    const after = await cli('ticket', 'list', '--profile', 'desk');
    expect(after.exitCode).toBe(2);
    expect(after.stderr).toContain('"jsonl" is not a known backend.');
  });
});

describe('plugins that cannot be used', () => {
  it('refuses to link a plugin declaring a kind the toolkit has, in one sentence', async () => {
    const dir = fixture('supportkit-backend-clash', {supportkit: {api: 1, backends: [{kind: 'local', description: 'another local', module: './index.js'}]}});
    const link = await cli('plugins', 'link', dir, '--no-install');
    expect(link.exitCode).toBe(1);
    expect(link.stderr).toContain('Error: The plugin supportkit-backend-clash was not linked: it declares the backend kind "local", which the toolkit has already.');
    expect(link.stderr).not.toMatch(/\n\s+at /);
    expect(json((await cli('plugins', 'list', '--json')).stdout)).toEqual({plugins: []});
  });

  it('refuses a declaration that is not valid, naming what is wrong', async () => {
    const dir = fixture('supportkit-backend-sloppy', {supportkit: {api: 1, backends: [{kind: 'sloppy', description: 'x', module: '../../elsewhere.js'}]}});
    const link = await cli('plugins', 'link', dir, '--no-install');
    expect(link.exitCode).toBe(1);
    expect(link.stderr).toContain('Error: The plugin supportkit-backend-sloppy declares a backend that is not valid: supportkit.backends[0].module must be a .js file inside the plugin');
  });

  it('refuses a plugin that declares one kind twice', async () => {
    const backend = {kind: 'twice', description: 'x', module: './index.js'};
    const dir = fixture('supportkit-backend-twice', {supportkit: {api: 1, backends: [backend, backend]}});
    const link = await cli('plugins', 'link', dir, '--no-install');
    expect(link.exitCode).toBe(1);
    expect(link.stderr).toContain('Error: The plugin supportkit-backend-twice declares a backend that is not valid: supportkit.backends[1].kind declares "twice" a second time');
    expect(json((await cli('plugins', 'list', '--json')).stdout)).toEqual({plugins: []});
  });

  it('says in one sentence why oclif could not link a folder that is no plugin', async () => {
    const dir = join(dirs.dir, 'fixtures', 'not-json');
    mkdirSync(dir, {recursive: true});
    writeFileSync(join(dir, 'package.json'), '{"name": "not-json",');
    const link = await cli('plugins', 'link', dir, '--no-install');
    expect(link.exitCode).toBe(1);
    expect(link.stderr).toMatch(/Error: Could not link .*not-json.*\n/);
    expect(link.stderr).toContain('Hint: A plugin folder needs a package.json that is valid JSON, with an "oclif" section');
    expect(link.stderr).not.toMatch(/\n\s+at /);
  });

  it('warns in one sentence on every command when a linked plugin’s folder is gone, and goes on', async () => {
    const dir = fixture('supportkit-backend-moved', {supportkit: {api: 1, backends: [{kind: 'moved', description: 'x', module: './index.js'}]}});
    expect((await cli('plugins', 'link', dir, '--no-install')).exitCode).toBe(0);
    rmSync(dir, {recursive: true});
    const list = await cli('profile', 'list');
    expect(list.exitCode).toBe(0);
    expect(list.stderr).toBe(
      `Warning: The plugin supportkit-backend-moved could not be loaded: ${dir} has no package.json (was the folder moved?); its commands and backends are left out.\n` +
        'Hint: Link it again from where it is (support plugins link PATH), or remove it: support plugins uninstall supportkit-backend-moved\n',
    );
    // oclif's own help says it too, in one line, instead of oclif's several.
    const help = await cli('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stderr).toBe('Warning: A plugin could not be loaded; `support plugins list` says which and why.\n');
    const plugins = json((await cli('plugins', 'list', '--json')).stdout);
    expect(plugins.plugins).toEqual([expect.objectContaining({name: 'supportkit-backend-moved', backends: [], problem: expect.stringContaining('could not be loaded')})]);
    expect((await cli('plugins', 'uninstall', 'supportkit-backend-moved')).exitCode).toBe(0);
    expect((await cli('profile', 'list')).stderr).toBe('');
  });
});

describe('a plugin installed with npm', () => {
  it('installs from a package, imports supportkit-cli/backend from the CLI that loads it, and uninstalls', async () => {
    // No copy of supportkit in the data directory: the plugin's `import 'supportkit-cli/backend'` is answered by the running CLI.
    const dir = fixture(
      'supportkit-backend-memo',
      {
        files: ['index.js'],
        supportkit: {
          api: 1,
          backends: [
            {kind: 'memo', description: 'tickets kept nowhere', module: './index.js'},
            {kind: 'memo-remote', description: 'the same, behind a login', module: './index.js', export: 'createRemote', fields: {url: 'required'}, httpsOnly: true, needsToken: true, tokenHelp: 'the word of the day'},
          ],
        },
        peerDependencies: {'supportkit-cli': '*'}, peerDependenciesMeta: {'supportkit-cli': {optional: true}}},
      {
        'index.js': `import {AuthError, NotFoundError, unsupported} from 'supportkit-cli/backend';
const gone = async (id) => { throw new NotFoundError('Ticket ' + id + ' was never kept.', {hint: 'The memo backend keeps nothing.'}); };
export const createBackend = async (options) => {
  const backend = {kind: 'memo', capabilities: new Set(['tickets']), whoami: async () => options.identity, close: async () => {},
    tickets: {get: gone, view: gone, update: gone, list: async () => ({tickets: [], nextCursor: null}), comment: async () => { throw unsupported(backend, 'comments'); }}};
  return backend;
};
export const createRemote = async (options) => ({...(await createBackend(options)), kind: 'memo-remote',
  whoami: async () => { if ((await options.token()) !== 'sesame') throw new AuthError('The word is wrong.', {hint: 'Ask again.'}); return {name: 'opener', role: 'agent', account: options.url}; }});`,
      },
    );
    const tarball = join(dirs.dir, 'supportkit-backend-memo-1.0.0.tgz');
    await tar({gzip: true, file: tarball, cwd: dir, prefix: 'package/'}, ['package.json', 'index.js']);

    const install = await cli('plugins', 'install', `file:${tarball}`, '--json');
    expect(install.exitCode, install.stderr).toBe(0);
    expect(json(install.stdout)).toMatchObject({
      name: 'supportkit-backend-memo',
      type: 'user',
      backends: [
        {kind: 'memo', description: 'tickets kept nowhere', usage: 'support profile add NAME --backend memo'},
        {kind: 'memo-remote', usage: 'support profile add NAME --backend memo-remote --url URL'},
      ],
    });
    expect(readFileSync(join(dirs.dataDir, 'package.json'), 'utf8')).toContain('supportkit-backend-memo');

    expect((await cli('profile', 'add', 'memo', '--backend', 'memo')).exitCode).toBe(0);
    const view = await cli('ticket', 'view', '7', '--profile', 'memo');
    expect(view.exitCode).toBe(3);
    expect(view.stderr).toBe('Error: Ticket 7 was never kept.\nHint: The memo backend keeps nothing.\n');
    const comment = await cli('ticket', 'comment', '7', '--profile', 'memo', '--body', 'Hello?', '--json');
    expect(comment.exitCode).toBe(1);
    expect(json(comment.stdout)).toEqual({error: {code: 'unsupported', message: 'The memo backend cannot add comments to tickets.', hint: expect.any(String), exitCode: 1}});

    // A kind that needs a URL and a token: profile add and auth go by what it declares.
    const http = await cli('profile', 'add', 'vault', '--backend', 'memo-remote', '--url', 'http://vault.example.com');
    expect(http.exitCode).toBe(2);
    expect(http.stderr).toContain('The memo-remote backend needs an https:// URL');
    expect((await cli('profile', 'add', 'vault', '--backend', 'memo-remote', '--url', 'https://vault.example.com')).stderr).toContain('Then log in: support auth login --profile vault');
    const wrong = await runBin(['auth', 'login', '--profile', 'vault', '--with-token'], {env, stdin: 'open\n'});
    expect(wrong.exitCode).toBe(4);
    expect(wrong.stderr).toContain('Error: The word is wrong.');
    const right = await runBin(['auth', 'login', '--profile', 'vault', '--with-token'], {env, stdin: 'sesame\n'});
    expect(right.exitCode, right.stderr).toBe(0);
    expect(json((await cli('auth', 'status', '--profile', 'vault', '--json')).stdout)).toMatchObject({profiles: [{profile: 'vault', backend: 'memo-remote', state: 'ok', user: 'opener'}]});

    const removed = await cli('plugins', 'uninstall', 'supportkit-backend-memo');
    expect(removed.exitCode).toBe(0);
    expect(removed.stderr).toContain('Removed supportkit-backend-memo. The profiles memo, vault used its backends and cannot be used until a plugin adds them again.');
    expect(json((await cli('plugins', 'list', '--json')).stdout)).toEqual({plugins: []});
  });

  it('says in one sentence when npm cannot install the package', async () => {
    const install = await cli('plugins', 'install', `file:${join(dirs.dir, 'no-such-plugin-1.0.0.tgz')}`, '--json');
    expect(install.exitCode).toBe(1);
    expect(json(install.stdout)).toMatchObject({error: {code: 'plugin', message: expect.stringMatching(/^npm could not install file:.*; its output is above\.$/)}});
  });
});
