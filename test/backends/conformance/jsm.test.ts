import {afterAll, expect} from 'vitest';

import {startJsmTarget, type JsmTarget} from '../../vendors/jsm/setup.js';
import {describeBackendConformance} from './suite.js';

let target: JsmTarget | undefined;

// The same suite as local, rest and zendesk, against the fake Jira Service Management, whose every
// request and response is checked against the rules written from Atlassian's descriptions. Tests
// of capabilities the backend does not declare (idempotent creates, history, writing and syncing
// articles) are skipped by the suite, saying so; its knowledge base has no languages or tags.
describeBackendConformance('jsm', async () => {
  target = await startJsmTarget();
  const fake = target.fake;
  return {
    backend: target.backend,
    scratch: target.scratch,
    users: {me: 'alice@acme.test', other: 'bob@acme.test'},
    kbFilters: false,
    seedArticles: async (articles) => {
      for (const a of articles) fake.addArticle({title: a.title, html: `<p>${a.body}</p>`});
    },
    close: () => target!.close(),
  };
});

afterAll(() => {
  // After the suite's own afterAll: every request the adapter sent, and every answer, fit the rules.
  expect(target!.fake.server.requests.length).toBeGreaterThan(50);
  expect(target!.fake.server.violations).toEqual([]);
});
