import {afterAll, expect} from 'vitest';

import {startFreshdeskTarget, type FreshdeskTarget} from '../../vendors/freshdesk/setup.js';
import {describeBackendConformance} from './suite.js';

let target: FreshdeskTarget | undefined;

// The same suite as local, rest and zendesk, against the fake Freshdesk, whose every request and
// response is checked against the rules written out from Freshdesk's API reference. Tests of
// capabilities the backend does not declare (history, idempotent creates, importing and syncing
// articles) are skipped by the suite, saying so.
describeBackendConformance('freshdesk', async () => {
  target = await startFreshdeskTarget();
  const fake = target.fake;
  return {
    backend: target.backend,
    scratch: target.scratch,
    users: {me: 'alice@acme.test', other: 'bob@acme.test'},
    seedArticles: async (articles) => {
      for (const a of articles) fake.addArticle({title: a.title, description: `<p>${a.body}</p>`, language: a.locale, tags: a.tags});
    },
    removeArticle: async (title) => {
      const article = fake.articles.find((a) => a.title === title);
      if (!article) throw new Error(`No article "${title}" in the fake.`);
      fake.deleteArticle(article.id);
    },
    close: () => target!.close(),
  };
});

afterAll(() => {
  // After the suite's own afterAll: every request the adapter sent, and every answer, fit the rules.
  expect(target!.fake.server.requests.length).toBeGreaterThan(50);
  expect(target!.fake.server.violations).toEqual([]);
});
