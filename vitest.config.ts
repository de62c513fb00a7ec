import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file in its own process: tests set SUPPORT_* variables and process.exitCode.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
