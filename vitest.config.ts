import {defineConfig} from 'vitest/config';

/** Tests of the reference server that must hold on every store: run again on PostgreSQL. */
const ON_BOTH_STORES = [
  'test/server/bad-input.test.ts',
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
    // Each test file in its own process: tests set SUPPORT_* variables and process.exitCode.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/postgres/**']},
      },
      {
        // A real PostgreSQL server for the run (test/helpers/postgres-setup.ts); every test
        // server gets a database of its own on it.
        extends: true,
        test: {
          name: 'postgres',
          include: [...ON_BOTH_STORES, 'test/postgres/**/*.test.ts'],
          globalSetup: ['test/helpers/postgres-setup.ts'],
          env: {SUPPORT_TEST_STORE: 'postgres'},
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
