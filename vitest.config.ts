import {existsSync} from 'node:fs';

import {defineConfig} from 'vitest/config';

/**
 * Vendor descriptions are read from ../shared beside the repository, never copied into it
 * (../shared/vendors/specs/README.md). Where that folder is absent the tests that run a fake
 * validated against a description are left out, and the run says so.
 */
const VENDOR_TESTS: Record<string, {spec: string; files: string[]}> = {
  zendesk: {spec: '../shared/vendors/specs/zendesk-support-api.yaml', files: ['test/vendors/zendesk/**', 'test/**/zendesk.test.ts']},
};
const exclude: string[] = [];
for (const [vendor, {spec, files}] of Object.entries(VENDOR_TESTS)) {
  if (existsSync(spec)) continue;
  exclude.push(...files);
  // eslint-disable-next-line no-console -- the run must say what it left out
  console.warn(`Skipping the ${vendor} contract tests: ${spec} is absent, so the fake ${vendor} cannot be checked against its description.`);
}

export default defineConfig({
  test: {
    // examples/backend-plugin's own tests run here too, against the built package (npm run build).
    include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', ...exclude],
    // Each test file in its own process: tests set SUPPORT_* variables and process.exitCode.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
