import type {OperationRef} from '../harness/spec-cut.js';

/** The REST operations the github adapter calls: what the cut of GitHub's description keeps. */
export const GITHUB_OPERATIONS: readonly OperationRef[] = [
  // Not the adapter's: the API root, which `diag collect` probes to see that the backend answers.
  {method: 'get', path: '/'},
  {method: 'get', path: '/user'},
  {method: 'get', path: '/repos/{owner}/{repo}/collaborators/{username}/permission'},
  {method: 'post', path: '/repos/{owner}/{repo}/issues'},
  {method: 'get', path: '/repos/{owner}/{repo}/issues'},
  {method: 'get', path: '/repos/{owner}/{repo}/issues/{issue_number}'},
  {method: 'patch', path: '/repos/{owner}/{repo}/issues/{issue_number}'},
  {method: 'get', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments'},
  {method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments'},
  {method: 'get', path: '/search/issues'},
];

/** GitHub's description of api.github.com as @octokit/openapi ships it (a dev dependency, read from node_modules). */
export const DESCRIPTION_PACKAGE = '@octokit/openapi';
export const DESCRIPTION_FILE = 'generated/api.github.com.json';
