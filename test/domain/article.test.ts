import {expect, test} from 'vitest';

import {userKbLocale} from '../../src/domain/article.js';

test.each([
  [{}, 'en'],
  [{LANG: 'de_DE.UTF-8'}, 'de'],
  [{LANG: 'de'}, 'de'],
  [{LANG: 'de_AT@euro'}, 'de'],
  [{LANG: 'DE_ch.utf8'}, 'de'],
  [{LANG: 'C'}, 'en'],
  [{LANG: 'POSIX'}, 'en'],
  [{LANG: 'fr_FR.UTF-8'}, 'en'],
  // The first variable set decides, even when its language has no articles.
  [{LANG: 'de_DE.UTF-8', LC_MESSAGES: 'fr_FR.UTF-8'}, 'en'],
  [{LANG: 'en_GB.UTF-8', LC_MESSAGES: 'de_DE.UTF-8'}, 'de'],
  [{LANG: 'en_GB.UTF-8', LC_MESSAGES: 'en_GB.UTF-8', LC_ALL: 'de_DE.UTF-8'}, 'de'],
  // Set but empty is unset.
  [{LANG: 'de_DE.UTF-8', LC_ALL: ''}, 'de'],
])('the knowledge-base language of %j is %s', (env, locale) => {
  expect(userKbLocale(env)).toBe(locale);
});
