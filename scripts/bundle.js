#!/usr/bin/env node
// Bundles the CLI for start-up speed (npm run build runs it after tsc). A run of the unbundled
// build resolves and reads a few hundred small files of oclif, its dependencies and ours; the
// bundle reads a handful:
//   dist/bundle/cli.js              oclif's `execute`, for bin/run.js
//   dist/bundle/commands/**.js      one file per command, where oclif's manifest points
//   dist/bundle/cli/help.js         the help class, and cli/hooks/*.js the hooks, that package.json names
//   dist/bundle/api/errors.js       the error classes, from the chunk the commands use
//   dist/bundle/api/backend.js      `supportkit-cli/backend` and `supportkit-cli/test-kit` (package.json "exports"),
//   dist/bundle/api/test-kit.js     built apart so that they change nothing of the commands' chunks, and
//                                   importing the errors from api/errors.js: a plugin's errors are the
//                                   very classes the commands map to exit codes
//   dist/bundle/chunk-*.js          the code they share (oclif itself is one), and every module
//                                   imported lazily (`await import(...)`), read only when used
// The dependencies in EXTERNAL stay in node_modules and are loaded from there, also only when used.
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {dirname, join, relative, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import {build} from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const outdir = join(dist, 'bundle');
const posix = (path) => path.split(sep).join('/');

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
  'fastify',
  'got',
  'hpagent',
  // jq compiled to WebAssembly: reads jq.wasm beside its own file, loaded only by --jq
  'jq-web',
  // the PostgreSQL client, loaded only by support serve --database postgres://...
  'pg',
  // the scrubber's format parsers, loaded only by diag (jsonc-parser's UMD build requires its parts at run time)
  'jsonc-parser',
  'properties-file',
  'saxes',
  'toml-eslint-parser',
  'proxy-from-env',
  'tar',
  'turndown',
  'yaml',
  // `support plugins ...` loads it (and its npm) only when run
  '@oclif/plugin-plugins',
  // the test kit runs inside a plugin's own vitest
  'vitest',
  // oclif's TypeScript support for development, never used by the built CLI
  'typescript',
  'ts-node',
  'tsx',
];

const commandFiles = readdirSync(join(src, 'commands'), {recursive: true, withFileTypes: true})
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort();

/** The entry bin/run.js imports: oclif's `execute` (src/cli/execute.ts), from the chunk the commands share. */
const cliEntry = {
  name: 'cli-entry',
  setup(b) {
    b.onResolve({filter: /^supportkit:cli$/}, () => ({path: 'cli', namespace: 'cli-entry'}));
    b.onLoad({filter: /.*/, namespace: 'cli-entry'}, () => ({contents: "export {execute} from './src/cli/execute.ts';", resolveDir: root, loader: 'js'}));
  },
};

/**
 * `import.meta.url` in a bundled module would name whichever output file holds it; such code
 * looks for assets beside its own module (src/server/openapi.yaml, the built-in kb articles),
 * which the build copies into dist/ beside the tsc output. So each use becomes a placeholder
 * naming the module's file in dist/, replaced below by a URL relative to the output file.
 */
const PLACEHOLDER = /__supportkitDistUrl\("([^"]+)"\)/g;
const distUrls = {
  name: 'dist-import-meta-url',
  setup(b) {
    b.onLoad({filter: /\.ts$/}, async ({path}) => {
      if (!path.startsWith(src + sep)) return undefined;
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const target = posix(relative(src, path).replace(/\.ts$/, '.js'));
      return {contents: source.replaceAll('import.meta.url', `__supportkitDistUrl(${JSON.stringify(target)})`), loader: 'ts'};
    });
  },
};

/**
 * oclif matches the `plugins` of package.json against every dependency name with minimatch,
 * compiling a pattern per name on every run. A pattern without glob characters matches only
 * the same name, so that answer needs no minimatch; any other pattern still goes to it.
 */
const PLAIN_PATTERN = String.raw`/^[\w@./-]+$/`;
const plainMinimatch = {
  name: 'plain-minimatch',
  setup(b) {
    b.onResolve({filter: /^minimatch$/}, ({importer}) =>
      importer.includes(`${sep}@oclif${sep}core${sep}`) ? {path: 'minimatch', namespace: 'plain-minimatch'} : undefined);
    b.onLoad({filter: /.*/, namespace: 'plain-minimatch'}, () => ({
      // minimatch as @oclif/core (installed beside the bundle, for its plugins) finds it, wherever npm put it.
      contents: `exports.minimatch = (name, pattern, options) => ${PLAIN_PATTERN}.test(pattern) && !options ? name === pattern : require(require.resolve('minimatch', {paths: [require.resolve('@oclif/core')]})).minimatch(name, pattern, options);`,
      resolveDir: root,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: [
    {in: 'supportkit:cli', out: 'cli'},
    ...commandFiles.map((file) => ({in: file, out: relative(src, file).slice(0, -'.ts'.length)})),
    // named in package.json: oclif.helpClass and oclif.hooks, each loaded only when needed
    {in: join(src, 'cli', 'help.ts'), out: 'cli/help'},
    {in: join(src, 'cli', 'hooks', 'not-found.ts'), out: 'cli/hooks/not-found'},
    // the one copy of the error classes, for the public API built below
    {in: join(src, 'domain', 'errors.ts'), out: 'api/errors'},
  ],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  outdir,
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  // oclif is CommonJS: inside an ES module it needs a `require` of its own.
  banner: {js: "import {createRequire as __supportkitCreateRequire} from 'node:module';\nconst require = __supportkitCreateRequire(import.meta.url);"},
  plugins: [cliEntry, distUrls, plainMinimatch],
  // oclif checks its own package's engines with semver when loaded; in a bundle it cannot find that
  // package.json (it looks beside its own file), so the check only costs the loading of semver.
  define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"'},
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  write: false,
});

rmSync(outdir, {recursive: true, force: true});
for (const file of result.outputFiles) {
  const text = file.text.replace(PLACEHOLDER, (_, target) => {
    const rel = posix(relative(dirname(file.path), join(dist, target)));
    return `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
  });
  mkdirSync(dirname(file.path), {recursive: true});
  writeFileSync(file.path, text);
}

/**
 * The public API of backend plugins (package.json "exports", docs/backends.md): a build of its
 * own, so that it adds nothing to what a command loads. Its one tie to the commands' build is the
 * error classes, imported from api/errors.js above: one class per error in a process.
 */
const errorsModule = join(src, 'domain', 'errors.ts');
const sharedErrors = {
  name: 'shared-errors',
  setup(b) {
    b.onResolve({filter: /\/errors\.js$/}, ({path, resolveDir}) =>
      join(resolveDir, path).replace(/\.js$/, '.ts') === errorsModule ? {path: './errors.js', external: true} : undefined);
  },
};
const api = await build({
  entryPoints: [
    {in: join(src, 'api', 'backend.ts'), out: 'backend'},
    {in: join(root, 'test', 'backends', 'conformance', 'kit.ts'), out: 'test-kit'},
  ],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  outdir: join(outdir, 'api'),
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  banner: {js: "import {createRequire as __supportkitCreateRequire} from 'node:module';\nconst require = __supportkitCreateRequire(import.meta.url);"},
  plugins: [sharedErrors, distUrls],
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
});
for (const file of api.outputFiles) {
  const text = file.text.replace(PLACEHOLDER, (_, target) => `new URL(${JSON.stringify(posix(relative(dirname(file.path), join(dist, target))))}, import.meta.url).href`);
  mkdirSync(dirname(file.path), {recursive: true});
  writeFileSync(file.path, text);
}

if (process.argv.includes('--analyze')) {
  const {analyzeMetafile} = await import('esbuild');
  process.stdout.write(await analyzeMetafile(result.metafile));
}
