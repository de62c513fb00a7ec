import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layer rules of ARCHITECTURE.md, checked on every import. */
const NO_COMMANDS = {group: ['**/commands/**'], message: 'nothing imports commands.'};
/** The two ways to make Shown text without neutralising each part: for the table and the Markdown renderer only. */
const SHOWN_INTERNALS = {
  group: ['**/cli/shown.js', './shown.js', '../shown.js'],
  importNames: ['layout', 'renderNeutralised'],
  message: 'layout and renderNeutralised are for the table (src/cli/output.ts) and the Markdown renderer; build output with shown``, the painter and the row helpers.',
};
const layer = (files, patterns, {shownInternals = false} = {}) => ({
  files,
  rules: {'no-restricted-imports': ['error', {patterns: [...patterns, NO_COMMANDS, ...(shownInternals ? [] : [SHOWN_INTERNALS])]}]},
});
const OURS = ['cli', 'commands', 'services', 'backends', 'http', 'store', 'diag', 'server'];
const ADAPTERS = ['local', 'rest', 'zendesk', 'jira', 'jsm', 'freshdesk', 'github'];
const adapterImports = ADAPTERS.map((a) => `**/backends/${a}/**`);
const UI = ['@oclif/core', 'chalk', 'cli-table3', '@inquirer/prompts', 'inquirer'];

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/.out/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'AbortController', 'AbortSignal', 'fetch', 'TextDecoder', 'TextEncoder', 'structuredClone'].map((g) => [g, 'readonly']),
      ),
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      // `typeof import('x')` names the type of a module that is loaded lazily.
      '@typescript-eslint/consistent-type-imports': ['error', {disallowTypeAnnotations: false}],
      'no-console': 'error',
    },
  },
  layer(['src/domain/**'], [
    {group: OURS.map((d) => `**/${d}/**`), message: 'domain imports nothing of ours outside src/domain.'},
    {group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process'], message: 'domain does no I/O.'},
    {group: UI, message: 'domain knows no CLI libraries.'},
  ]),
  layer(['src/services/**'], [
    {group: ['**/cli/**'], message: 'services know no CLI shell.'},
    {group: UI, message: 'services know no oclif, chalk, tables or prompts.'},
    {group: adapterImports, message: 'services use the Backend interface, not an adapter.'},
  ]),
  layer(['src/commands/**'], [
    {group: adapterImports, message: 'commands ask the registry through the context, never an adapter.'},
  ]),
  layer(['src/backends/**'], [
    {group: ['**/cli/**', '**/services/**', '**/server/**'], message: 'adapters import domain and http only.'},
    {group: UI, message: 'adapters know no CLI libraries.'},
  ]),
  layer(['src/store/**', 'src/http/**', 'src/diag/**'], [
    {group: ['**/cli/**', '**/services/**'], message: 'lower layers do not call up into the CLI shell or services.'},
    {group: UI, message: 'no CLI libraries below the CLI shell.'},
  ]),
  layer(['src/cli/**'], []),
  layer(['src/cli/output.ts', 'src/cli/render/markdown.ts'], [], {shownInternals: true}),
  // The server works over its store interface (src/server/store/store.ts), not an adapter's
  // internals: only the two store implementations use the embedded engine they are built on.
  layer(['src/server/**'], [
    {group: ['**/cli/**', ...adapterImports], message: 'the server works over its store interface, never an adapter.'},
    {group: UI, message: 'the server knows no CLI libraries.'},
  ]),
  {
    // A backend plugin imports the toolkit only through package.json "exports" (docs/backends.md).
    files: ['examples/**'],
    rules: {
      'no-restricted-imports': ['error', {patterns: [{group: ['../../**', 'supportkit-cli/*', '!supportkit-cli/backend', '!supportkit-cli/test-kit'], message: 'a plugin imports supportkit-cli/backend and supportkit-cli/test-kit, nothing else of the toolkit.'}]}],
    },
  },
  {
    files: ['src/server/**'],
    ignores: ['src/server/store/sqlite/**', 'src/server/store/postgres/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {group: ['**/cli/**', ...adapterImports], message: 'the server works over its store interface, never an adapter.'},
            {group: ['**/store/embedded/**'], message: 'routes use the store interface (src/server/store/store.ts); only the store implementations use the embedded engine.'},
            {group: UI, message: 'the server knows no CLI libraries.'},
            NO_COMMANDS,
            SHOWN_INTERNALS,
          ],
        },
      ],
    },
  },
  {
    files: ['src/server/*.ts', 'src/server/routes/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {group: ['**/cli/**', '**/backends/**', '!**/backends/backend.js'], message: 'the server works over its store interface, never an adapter.'},
            {group: ['**/store/embedded/**', '**/store/sqlite/**', '**/store/postgres/**'], message: 'routes use the store interface (src/server/store/store.ts and open.ts), not one store.'},
            {group: UI, message: 'the server knows no CLI libraries.'},
            NO_COMMANDS,
            SHOWN_INTERNALS,
          ],
        },
      ],
    },
  },
  {
    // Commands read and write through the streams they are given (BaseCommand's io): the
    // process's in the CLI, a test's own in tests. oclif's help class and hooks run outside a
    // command, and so does src/cli/execute.ts, around oclif's execute; jq-web sets the process's
    // exit code, which src/cli/jq.ts puts back.
    files: ['src/commands/**', 'src/cli/**', 'src/services/**'],
    ignores: ['src/cli/io.ts', 'src/cli/help.ts', 'src/cli/hooks/**', 'src/cli/jq.ts', 'src/cli/execute.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['stdin', 'stdout', 'stderr', 'exitCode'].map((property) => ({
          object: 'process',
          property,
          message: 'read and write through the command\'s streams (this.io, src/cli/io.ts), which a test gives its own.',
        })),
      ],
    },
  },
  layer(['src/store/embedded/**'], [
    {group: ['**/cli/**', '**/services/**', '**/server/**', ...adapterImports], message: 'the embedded engine is shared by the local backend and the server: it imports neither.'},
    {group: UI, message: 'no CLI libraries below the CLI shell.'},
  ]),
  {
    files: ['test/**', 'bench/**', 'bin/**'],
    rules: {'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off'},
  },
);
