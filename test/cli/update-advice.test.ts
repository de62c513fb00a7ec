import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterEach, beforeEach, expect, it} from 'vitest';

import {updateAdvice} from '../../src/cli/update-notice.js';
import {sandbox, type Sandbox} from '../helpers.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const install = (name: string, files: string[]) => {
  const root = join(box.dir, name);
  for (const file of files) {
    mkdirSync(join(root, file, '..'), {recursive: true});
    writeFileSync(join(root, file), '');
  }
  return root;
};

it('names npm for a global npm install', () => {
  const root = install('lib/node_modules/supportkit-cli', ['package.json', 'bin/run.js']);
  expect(updateAdvice(root, 'supportkit-cli', '2.0.0')).toBe('Update with: npm install -g supportkit-cli');
});

it('names git for a clone, with a path the shell takes as one word', () => {
  const root = install("my clone's copy", ['package.json', '.git']);
  const advice = updateAdvice(root, 'supportkit-cli', '2.0.0');
  expect(advice).toBe(`Update with: cd '${box.dir}/my clone'\\''s copy' && git pull && npm ci`);
});

it('names the tarball of this platform for the self-contained one', () => {
  const root = install('support', ['NODE_VERSION', 'bin/support', 'bin/node', 'package.json']);
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  expect(updateAdvice(root, 'supportkit-cli', '2.0.0')).toBe(`Update by unpacking support-2.0.0-${platform}-${process.arch}.tar.gz in place of ${root}`);
});
