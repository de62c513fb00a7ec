#!/usr/bin/env node
// Node's compile cache makes every start after the first skip parsing oclif and our modules.
import module from 'node:module';
import {readFileSync} from 'node:fs';

module.enableCompileCache?.();

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  // The one answer that needs nothing of oclif: print oclif's own user-agent line without loading it.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  // oclif's own check of the Node version is off in the bundle (it would load semver); this one
  // says the same for the "engines" of package.json (22.13 or later).
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 13)) {
    process.emitWarning(`Node version must be >=22.13 to use this CLI. Current node version: ${process.versions.node}`);
  }
  // The bundle (npm run build, scripts/bundle.js): oclif and our code in a few files instead of
  // hundreds; oclif's manifest points at one file per command in dist/bundle/commands.
  const {execute} = await import('../dist/bundle/cli.js');
  await execute({dir: import.meta.url});
}
