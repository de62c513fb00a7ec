#!/usr/bin/env node
// Bundles the CLI for start-up speed: dist/bundle/cli.js holds @oclif/core and every command, so a
// run reads one file instead of hundreds. Modules that the code imports lazily (`await import(...)`)
// become chunks of their own beside it, read only when used; the dependencies in EXTERNAL are left in
// node_modules and loaded from there, also only when used. Run after `tsc` (npm run build does):
// code that finds files relative to its own module (import.meta.url) still finds them in dist/.
import {readdirSync} from 'node:fs';
import {dirname, join, relative, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import {build} from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

/**
 * Dependencies not bundled: none is on the start-up path (each is imported lazily where it is
 * needed), some are large, and some find files of their own at run time or are native.
 */
const EXTERNAL = [
  '@inquirer/prompts',
  '@napi-rs/keyring',
  'ajv',
  'ajv-formats',
  'chalk',
  'cli-table3',
  'conf',
  'fastify',
  'got',
  'hpagent',
  'picomatch',
  'proxy-from-env',
  'tar',
  'yaml',
  // oclif's TypeScript support for development, never used by the built CLI
  'typescript',
  'ts-node',
  'tsx',
];

/** oclif's command ids: the path under src/commands, `index` naming its folder. */
function commandEntries(dir = join(root, 'src', 'commands')) {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      const parts = relative(join(root, 'src', 'commands'), file).slice(0, -'.ts'.length).split(sep);
      if (parts.at(-1) === 'index') parts.pop();
      return {id: parts.join(':'), file};
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

const commands = commandEntries();
const entry = [
  ...commands.map(({file}, i) => `import C${i} from ${JSON.stringify(`./${relative(root, file).split(sep).join('/')}`)};`),
  `export const COMMANDS = {${commands.map(({id}, i) => `${JSON.stringify(id)}: C${i}`).join(', ')}};`,
  "export {execute} from '@oclif/core';",
].join('\n');

/**
 * `import.meta.url` in a bundled module would name the chunk; give it the URL of the module's own
 * file in dist/ instead, where the build copied the assets it looks for beside it.
 */
const distUrls = {
  name: 'dist-import-meta-url',
  setup(b) {
    b.onLoad({filter: /[\\/]src[\\/].*\.ts$/}, async ({path}) => {
      const {readFile} = await import('node:fs/promises');
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const target = join(root, 'dist', relative(join(root, 'src'), path)).replace(/\.ts$/, '.js');
      const rel = relative(outdir, target).split(sep).join('/');
      return {contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts'};
    });
  },
};

const result = await build({
  stdin: {contents: entry, resolveDir: root, sourcefile: 'cli-entry.js', loader: 'js'},
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  outdir,
  entryNames: 'cli',
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  // oclif is CommonJS: inside an ES module it needs a `require` of its own.
  banner: {js: "import {createRequire as __supportkitCreateRequire} from 'node:module';\nconst require = __supportkitCreateRequire(import.meta.url);"},
  plugins: [distUrls],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});

if (process.argv.includes('--analyze')) {
  const {analyzeMetafile} = await import('esbuild');
  process.stdout.write(await analyzeMetafile(result.metafile));
}
