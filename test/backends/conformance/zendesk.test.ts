import {afterAll, expect} from 'vitest';

import {startZendeskTarget, type ZendeskTarget} from '../../vendors/zendesk/setup.js';
import {describeBackendConformance} from './suite.js';

let target: ZendeskTarget | undefined;

// The same suite as local and rest, against the fake Zendesk, whose every request and response
// is checked against Zendesk's description. Tests of capabilities the backend does not declare
// (importing and syncing articles) are skipped by the suite, saying so.
describeBackendConformance('zendesk', async () => {
  target = await startZendeskTarget();
  const fake = target.fake;
  return {
    backend: target.backend,
    scratch: target.scratch,
    users: {me: 'alice@acme.test', other: 'bob@acme.test'},
    seedArticles: async (articles) => {
      for (const a of articles) fake.addArticle({title: a.title, body: `<p>${a.body}</p>`, locale: a.locale === 'en' ? 'en-us' : a.locale, label_names: a.tags});
    },
    removeArticle: async (title) => {
      const article = fake.articles.find((a) => a.title === title);
      if (!article) throw new Error(`No article "${title}" in the fake.`);
      fake.archiveArticle(article.id);
    },
    close: () => target!.close(),
  };
});

afterAll(() => {
  // After the suite's own afterAll: every request the adapter sent, and every answer, fit the description.
  expect(target!.fake.server.requests.length).toBeGreaterThan(50);
  expect(target!.fake.server.violations).toEqual([]);
});
