// Slow (a build, an `npm pack`, two installs: a minute or two), and run with the rest: what
// users install must work. npm talks to a registry stub on 127.0.0.1 that serves what
// package-lock.json names from npm's own cache, so nothing here needs the internet.
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

import * as tar from 'tar';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {PRETEND_NODE_20, ROOT} from '../helpers.js';
import {npmCacheReader, packagesFromLock, startRegistryStub, type RegistryStub} from '../helpers/registry.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string; optionalDependencies: Record<string, string>};
let work: string;
let source: string;
let tarball: string;
let registry: RegistryStub;

/** The environment of a person's shell: no npm script variables, no SUPPORT_* of the developer. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|SUPPORT_|NODE_ENV$|VITEST|https?_proxy$|no_proxy$)/i.test(key)) env[key] = value;
  return {
    ...env,
    SUPPORT_CONFIG_DIR: join(work, 'home', 'config'),
    SUPPORT_DATA_DIR: join(work, 'home', 'data'),
    SUPPORT_CACHE_DIR: join(work, 'home', 'cache'),
    SUPPORT_CREDENTIAL_STORE: 'file',
    npm_config_registry: `${registry.url}/`,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** npm in a child process; asynchronous, so that the registry stub in this process can answer it. */
function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`npm ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'supportkit-install-'));
  registry = await startRegistryStub({packages: packagesFromLock(join(ROOT, 'package-lock.json')), tarball: npmCacheReader()});
  // The sources as a clone has them (not this tree's dist/, which other tests are using).
  source = join(work, 'source');
  // (the build makes the plugin API from test/backends/conformance too, and builds examples/backend-plugin)
  const built = /[/\\](node_modules|dist)$/;
  for (const entry of ['package.json', 'package-lock.json', 'README.md', 'oclif.manifest.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.api.json', 'bin', 'src', 'scripts', 'test/backends/conformance', 'examples/backend-plugin']) {
    cpSync(join(ROOT, entry), join(source, entry), {recursive: true, filter: (path) => !built.test(path)});
  }
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  await npm(['pack', '--pack-destination', work], source, userEnv({}));
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
}, 300_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, {recursive: true, force: true});
});

it('bundles every dependency but @oclif/plugin-plugins, whose npm brings bundled packages of its own that npm ci cannot install from a bundle', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {dependencies: Record<string, string>; bundleDependencies: string[]};
  expect(manifest.bundleDependencies).toEqual(Object.keys(manifest.dependencies).filter((name) => name !== '@oclif/plugin-plugins'));
});

describe('npm pack, then npm install -g', () => {
  it('puts a working support on the PATH, with a Node of its own for machines whose Node is too old', async () => {
    const prefix = join(work, 'prefix');
    await npm(['install', '--global', '--prefix', prefix, tarball], work, userEnv({}));
    const env = userEnv({PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`});
    const support = (args: string[], nodeArgs: string[] = []) => {
      const r = nodeArgs.length
        ? spawnSync(process.execPath, [...nodeArgs, join(prefix, 'bin', 'support'), ...args], {env, encoding: 'utf8'})
        : spawnSync('support', args, {env, encoding: 'utf8'});
      return {stdout: r.stdout, stderr: r.stderr, code: r.status};
    };

    const version = support(['--version']);
    expect(version.stderr).toBe('');
    expect(version.stdout).toMatch(new RegExp(`^${pkg.name}/${pkg.version} `));
    expect(support(['ticket', 'create', '--title', 'Installed globally', '--body', 'It works.', '--no-input'])).toMatchObject({code: 0, stdout: '1\n'});
    expect(JSON.parse(support(['ticket', 'view', '1', '--json']).stdout)).toMatchObject({title: 'Installed globally'});
    // @oclif/plugin-plugins is not bundled: npm fetched it, and `support plugins` works.
    expect(JSON.parse(support(['plugins', 'list', '--json']).stdout)).toEqual({plugins: []});

    // npm installed the Node binary package of this platform, and only that one.
    const installed = readdirSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules')).filter((n) => n in pkg.optionalDependencies && n.startsWith('node-'));
    expect(installed).toHaveLength(1);
    const bundledVersion = pkg.optionalDependencies[installed[0]!]!;
    // On a Node older than "engines", support runs on that one instead, exit codes and all.
    expect(support(['--version'], [PRETEND_NODE_20]).stdout).toContain(`node-v${bundledVersion}`);
    expect(support(['ticket', 'view', '99'], [PRETEND_NODE_20]).code).toBe(3);
  }, 180_000);
});

describe('npm run pack:standalone', () => {
  it('makes support-<version>-<platform>-<arch>.tar.gz whose bin/support runs with no Node on the machine', async () => {
    const out = join(work, 'out');
    await npm(['run', 'pack:standalone', '--', '--from', tarball, '--out', out], source, userEnv({}));
    const platform = process.platform === 'win32' ? 'win' : process.platform;
    const file = join(out, `support-${pkg.version}-${platform}-${process.arch}.tar.gz`);
    expect(existsSync(file)).toBe(true);

    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await tar.x({file, cwd: unpacked});
    // No node anywhere on the PATH (nor any other program): the script needs only /bin/sh.
    const env = userEnv({PATH: join(work, 'empty-path')});
    const bin = join(unpacked, 'support', 'bin', 'support');
    const version = execFileSync(bin, ['--version'], {env, encoding: 'utf8'});
    expect(version).toMatch(new RegExp(`^${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-v\\d+`));
    const id = execFileSync(bin, ['ticket', 'create', '--title', 'From the standalone tarball', '--body', 'No system Node.', '--no-input'], {env, encoding: 'utf8'});
    expect(id.trim()).toMatch(/^\d+$/);
    const viewed = JSON.parse(execFileSync(bin, ['ticket', 'view', id.trim(), '--json'], {env, encoding: 'utf8'}));
    expect(viewed).toMatchObject({title: 'From the standalone tarball'});
  }, 300_000);
});
