import {existsSync} from 'node:fs';

import {defineConfig} from 'vitest/config';

/**
 * Vendor descriptions are read from ../shared beside the repository, never copied into it
 * (../shared/vendors/specs/README.md). Where that folder is absent the tests that run a fake
 * validated against a description are left out, and the run says so.
 */
const VENDOR_TESTS: Record<string, {spec: string; files: string[]}> = {
  zendesk: {spec: '../shared/vendors/specs/zendesk-support-api.yaml', files: ['test/vendors/zendesk/**', 'test/**/zendesk.test.ts']},
  // GitHub's comes with the @octokit/openapi dev dependency: absent only before npm install.
  github: {spec: 'node_modules/@octokit/openapi/generated/api.github.com.json', files: ['test/vendors/github/**', 'test/**/github.test.ts']},
};
const exclude: string[] = [];
for (const [vendor, {spec, files}] of Object.entries(VENDOR_TESTS)) {
  if (existsSync(spec)) continue;
  exclude.push(...files);
  // eslint-disable-next-line no-console -- the run must say what it left out
  console.warn(`Skipping the ${vendor} contract tests: ${spec} is absent, so the fake ${vendor} cannot be checked against its description.`);
}

/** Tests of the reference server that must hold on every store: run again on PostgreSQL. */
const ON_BOTH_STORES = [
  'test/server/bad-input.test.ts',
  'test/server/conditional-update.test.ts',
  'test/server/events.test.ts',
  'test/server/migration.test.ts',
  'test/server/scopes.test.ts',
  'test/server/webhooks.test.ts',
  'test/server/identity.test.ts',
  'test/server/kb.test.ts',
  'test/server/security.test.ts',
  'test/server/sla.test.ts',
  'test/server/spec.test.ts',
  'test/server/store.test.ts',
  'test/server/typed-client.test.ts',
  'test/server/uploads.test.ts',
  'test/server/validation.test.ts',
  'test/backends/conformance/rest.test.ts',
  'test/backends/conformance/sla-rest.test.ts',
];

export default defineConfig({
  test: {
    // Each test file in its own process: tests set SUPPORT_* variables in process.env.
    pool: 'forks',
    // A clean environment and a temp home for every test file: test/helpers.ts, isolateProcess.
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        // examples/backend-plugin's own tests run here too, against the built package (npm run build).
        test: {name: 'sqlite', include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'], exclude: ['**/node_modules/**', '**/dist/**', 'test/postgres/**', ...exclude]},
      },
      {
        // A real PostgreSQL server for the run (test/helpers/postgres-setup.ts); every test
        // server gets a database of its own on it.
        extends: true,
        test: {
          name: 'postgres',
          include: [...ON_BOTH_STORES, 'test/postgres/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...exclude],
          globalSetup: ['test/helpers/postgres-setup.ts'],
          env: {SUPPORT_TEST_STORE: 'postgres'},
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
