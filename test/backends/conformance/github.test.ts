import {afterAll, expect} from 'vitest';

import {startGithubTarget, type GithubTarget} from '../../vendors/github/setup.js';
import {describeBackendConformance} from './suite.js';

let target: GithubTarget | undefined;

// The same suite as local, rest and zendesk, against the fake GitHub, whose every request and
// response is checked against GitHub's own description. What the backend does not declare
// (internal comments, attachments, history, idempotent create, custom fields, a knowledge base)
// is skipped by the suite, saying so.
describeBackendConformance('github', async () => {
  target = await startGithubTarget();
  return {
    backend: target.backend,
    scratch: target.scratch,
    users: {me: 'alice', other: 'bob'},
    close: () => target!.close(),
  };
});

afterAll(() => {
  // After the suite's own afterAll: every request the adapter sent, and every answer, fit the description.
  expect(target!.fake.server.requests.length).toBeGreaterThan(30);
  expect(target!.fake.server.violations).toEqual([]);
  // Every request named the API version the adapter is written against.
  expect(target!.fake.server.requests.every((r) => r.headers['x-github-api-version'] === '2022-11-28')).toBe(true);
});
