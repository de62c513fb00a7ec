import type {Supplement} from '../harness/supplement.js';

const VER = 'https://docs.github.com/rest/about-the-rest-api/api-versions';
const TRB = 'https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api';
const RL = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
const COND = 'https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate';

const ERROR_BODY = {content: {'application/json': {schema: {$ref: '#/components/schemas/basic-error'}}}};

/** The operations of the cut, by operationId. */
const OPERATIONS = [
  'meta/root',
  'users/get-authenticated',
  'repos/get-collaborator-permission-level',
  'issues/create',
  'issues/list-for-repo',
  'issues/get',
  'issues/update',
  'issues/list-comments',
  'issues/create-comment',
  'search/issues-and-pull-requests',
];
const READS = ['users/get-authenticated', 'repos/get-collaborator-permission-level', 'issues/list-for-repo', 'issues/get', 'issues/list-comments', 'search/issues-and-pull-requests'];

/**
 * What GitHub's REST docs say and its description leaves out, every entry naming its page:
 * the version header every request may carry (and an unsupported one refused with 400), the
 * errors every operation can answer (401 for a bad token, 403 or 429 for rate limits), and the
 * 304 of a conditional read.
 */
export function githubSupplement(): Supplement {
  const operations: NonNullable<Supplement['operations']> = {};
  for (const id of OPERATIONS) {
    operations[id] = {
      parameters: [
        {
          name: 'X-GitHub-Api-Version',
          in: 'header',
          required: false,
          description: 'The REST API version; without it 2022-11-28, and an unsupported one is answered 400.',
          schema: {type: 'string', enum: ['2022-11-28', '2026-03-10']},
          'x-source': VER,
        },
      ],
      ...(READS.includes(id) ? {responses: {'304': {description: 'Not modified (If-None-Match matched the ETag); does not count against the rate limit.', 'x-source': COND}}} : {}),
    };
  }
  return {
    amendments: [
      {
        kind: 'addition',
        pointer: '/components/parameters/per-page/schema',
        merge: {minimum: 1, maximum: 100},
        reason: 'The description says "max 100" in words only; GitHub answers at most 100 a page.',
        'x-source': 'https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api',
      },
    ],
    operations,
    allOperations: {
      responses: {
        '400': {description: 'Problems parsing JSON, or an unsupported API version.', ...ERROR_BODY, 'x-source': `${TRB}; ${VER}`},
        '401': {description: 'Bad credentials.', ...ERROR_BODY, 'x-source': TRB},
        '403': {description: 'Forbidden, or a primary or secondary rate limit (x-ratelimit-remaining 0, or a message saying so).', ...ERROR_BODY, 'x-source': RL},
        '429': {description: 'A primary or secondary rate limit.', ...ERROR_BODY, 'x-source': RL},
      },
    },
  };
}
