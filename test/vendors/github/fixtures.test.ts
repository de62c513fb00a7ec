import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {createRequire} from 'node:module';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {createGithubBackend} from '../../../src/backends/github/index.js';
import {toDomainError} from '../../../src/backends/github/errors.js';
import {DEFAULT_CONVENTIONS, ticketIn, type GhIssue} from '../../../src/backends/github/map.js';
import {RejectedError} from '../../../src/domain/errors.js';
import {HttpStatusError} from '../../../src/http/client.js';
import {githubContract} from './contract.js';
import {sandbox} from '../../helpers.js';

/**
 * Interactions recorded against the real api.github.com by @octokit/fixtures (normalised: ids,
 * dates and tokens replaced), where they cover an operation the adapter uses: each recorded
 * request and answer goes through the contract checks, and the answers through the adapter's
 * mappers, and the recorded pages of an issue list through the adapter itself.
 */
interface Recorded {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}

const require = createRequire(import.meta.url);
const scenario = (name: string) => require(`@octokit/fixtures/scenarios/api.github.com/${name}/normalized-fixture.json`) as Recorded[];
const queryOf = (path: string) => Object.fromEntries(new URL(path, 'https://api.github.com').searchParams);
const pathOf = (path: string) => new URL(path, 'https://api.github.com').pathname;

describe('recorded GitHub interactions (@octokit/fixtures) through the contract', () => {
  it('listing issues page by page: every recorded page fits the description, the links naming the repository by id', async () => {
    const contract = await githubContract();
    const pages = scenario('paginate-issues');
    const first = pages[0]!;
    expect(contract.checkRequest({method: 'GET', path: pathOf(first.path), query: queryOf(first.path), headers: {}}).violations).toEqual([]);
    const list = contract.match('GET', pathOf(first.path))!;
    for (const page of pages) expect(contract.checkResponse(list, page.status, page.headers['content-type']!, page.response), page.path).toEqual([]);
    // The later pages are at GitHub's /repositories/{id}/issues, which the description does not name.
    expect(pages.slice(1).every((p) => p.path.startsWith('/repositories/1000/issues?'))).toBe(true);
    expect(contract.match('GET', pathOf(pages[1]!.path))).toBeUndefined();
  });

  it('creating an issue: the recorded request and answer fit', async () => {
    const contract = await githubContract();
    const [create] = scenario('add-labels-to-issue');
    expect(contract.checkRequest({method: 'POST', path: create!.path, query: {}, headers: {}, body: create!.body, contentType: 'application/json'}).violations).toEqual([]);
    expect(contract.checkResponse(contract.match('POST', create!.path)!, create!.status, create!.headers['content-type']!, create!.response)).toEqual([]);
    expect(ticketIn(create!.response as GhIssue, DEFAULT_CONVENTIONS)).toMatchObject({id: '1', title: 'Issue without a label', status: 'new', priority: 'normal', tags: [], assignee: null, requester: 'octokit-fixture-user-a'});
  });

  it('searching: the recorded answer predates search_type, which the description now requires; nothing else differs', async () => {
    const contract = await githubContract();
    const [search] = scenario('search-issues');
    expect(contract.checkRequest({method: 'GET', path: pathOf(search!.path), query: queryOf(search!.path), headers: {}}).violations).toEqual([]);
    const found = contract.checkResponse(contract.match('GET', '/search/issues')!, search!.status, search!.headers['content-type']!, search!.response);
    expect(found).toEqual(["GET /search/issues 200 (search/issues-and-pull-requests): / must have required property 'search_type'"]);
    const items = (search!.response as {items: GhIssue[]}).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(ticketIn(item, DEFAULT_CONVENTIONS)).toMatchObject({id: String(item.number), title: item.title});
  });

  it('a recorded 422 reads as one sentence naming the field, exit code 5', () => {
    const [failed] = scenario('errors');
    const error = toDomainError(new HttpStatusError('POST', 'https://api.github.com/x', failed!.status, failed!.response, failed!.headers), {profile: 'oss', repo: 'octokit-fixture-org/errors', action: 'create the label'});
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as RejectedError).message).toBe('GitHub refused to create the label: the field color is invalid.');
    expect((error as RejectedError).exitCode).toBe(5);
  });
});

describe('recorded issue pages replayed through the adapter', () => {
  let server: Server;
  let url: string;
  const served: string[] = [];
  beforeAll(async () => {
    const pages = scenario('paginate-issues');
    server = createServer((req, res) => {
      served.push(req.url!);
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? 1);
      const recorded = pages[page - 1];
      if (!recorded || !req.url!.startsWith('/repos/octokit-fixture-org/paginate-issues/issues')) {
        res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"Not Found"}');
        return;
      }
      // The recorded Link header, pointing at this server instead of api.github.com.
      const link = recorded.headers.link?.replaceAll('https://api.github.com', url);
      res.writeHead(200, {'content-type': 'application/json; charset=utf-8', ...(link ? {link} : {})}).end(JSON.stringify(recorded.response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('follows rel="next" over GitHub’s /repositories/{id} links on the documented path, and maps every issue', async () => {
    const dirs = sandbox();
    const backend = await createGithubBackend({profile: 'oss', url, repo: 'octokit-fixture-org/paginate-issues', token: async () => 'recorded', dataDir: dirs.dataDir, cacheDir: dirs.cacheDir, identity: {name: 'x', role: 'customer'}});
    try {
      const page = await backend.tickets.list({limit: 100});
      expect(page.tickets.map((t) => t.id)).toEqual(['13', '12', '11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1']);
      expect(page.tickets.every((t) => t.title === `Test issue ${t.id}` && t.status === 'new' && t.requester === 'octokit-fixture-user-a')).toBe(true);
      expect(page.nextCursor).toBeNull();
      // Five requests, every one at the repository's documented path, the later ones with the link's page.
      expect(served.map((u) => new URL(u, 'http://x').searchParams.get('page'))).toEqual([null, '2', '3', '4', '5']);
    } finally {
      await backend.close();
      dirs.cleanup();
    }
  });
});
