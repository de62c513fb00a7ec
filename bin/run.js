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
  // One bundled file (npm run build) holds oclif and every command: far fewer files to resolve and read.
  const {execute} = await import('../dist/bundle/cli.js');
  await execute({dir: import.meta.url});
}
