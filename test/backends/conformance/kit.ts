/**
 * `supportkit-cli/test-kit`: the conformance suites, for a plugin's own vitest run against its own
 * backend (docs/backends.md, "Backend plugins"). The same suites run on every backend here.
 */
export {describeBackendConformance, type ConformanceTarget} from './suite.js';
export {describeSlaConformance, type SlaConformanceTarget} from './sla-suite.js';
