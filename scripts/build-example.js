#!/usr/bin/env node
// Builds examples/backend-plugin (npm run build runs it after the bundle and the API's types) as
// its author builds it, with tsc, against this package as a plugin installs it: its
// node_modules/supportkit-cli is a link to this repository, as `npm install` makes one for its
// devDependency "file:../..". Its other dependencies are found in this repository's node_modules.
import {execFileSync} from 'node:child_process';
import {lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(root, 'examples', 'backend-plugin');
const {name} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const link = join(example, 'node_modules', name);

let linked = false;
try {
  linked = lstatSync(link).isSymbolicLink();
} catch {
  // not there yet
}
if (!linked) {
  rmSync(link, {recursive: true, force: true});
  mkdirSync(dirname(link), {recursive: true});
  symlinkSync('../../..', link, 'dir');
}
rmSync(join(example, 'dist'), {recursive: true, force: true});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
// its source and tests are checked as a whole; its source alone is built
execFileSync(process.execPath, [tsc, '-p', join(example, 'tsconfig.json')], {stdio: 'inherit'});
execFileSync(process.execPath, [tsc, '-p', join(example, 'tsconfig.build.json')], {stdio: 'inherit'});
