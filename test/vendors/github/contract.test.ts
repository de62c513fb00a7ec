import {readFileSync} from 'node:fs';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {GITHUB_SPEC, githubContract, makeCut} from './contract.js';
import {OWNER, REPO, startGithubFake, type GithubFake} from './fake.js';
import {GITHUB_OPERATIONS} from './operations.js';

const AUTH = {authorization: 'Bearer alice-token', 'x-github-api-version': '2022-11-28'};
const ISSUES = `/repos/${OWNER}/${REPO}/issues`;

describe('the cut of GitHub’s description', () => {
  it('keeps every operation the adapter calls, and nothing else', () => {
    const cut = makeCut(JSON.parse(readFileSync(GITHUB_SPEC!, 'utf8'))) as {paths: Record<string, Record<string, unknown>>};
    const kept = Object.entries(cut.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m} ${path}`));
    expect(kept.sort()).toEqual(GITHUB_OPERATIONS.map((o) => `${o.method} ${o.path}`).sort());
  });
});

describe('the contract refuses what GitHub’s description does not allow', () => {
  it('a request with an unknown property, a wrong type, an unknown enum value, a page too large or an unknown version', async () => {
    const contract = await githubContract();
    const check = (req: Partial<Parameters<typeof contract.checkRequest>[0]>) =>
      contract.checkRequest({method: 'GET', path: '/', query: {}, headers: {}, ...req} as Parameters<typeof contract.checkRequest>[0]).violations.join('\n');
    const create = {contentType: 'application/json', method: 'POST', path: ISSUES};
    expect(check({...create, body: {title: 'VPN drops', body: 'x', labels: ['priority: high'], assignees: ['alice']}})).toBe('');
    expect(check({...create, body: {title: 'x', priority: 'high'}})).toMatch(/must NOT have additional properties \(priority\)/);
    expect(check({...create, body: {body: 'no title'}})).toMatch(/must have required property 'title'/);
    expect(check({...create, body: {title: 'x', labels: 'bug'}})).toMatch(/labels must be array/);
    const update = {contentType: 'application/json', method: 'PATCH', path: `${ISSUES}/7`};
    expect(check({...update, body: {state: 'closed', state_reason: 'not_planned', labels: [], milestone: null}})).toBe('');
    expect(check({...update, body: {state: 'solved'}})).toMatch(/state must be equal to one of the allowed values \(open, closed\)/);
    expect(check({...update, body: {state: 'closed', state_reason: 'fixed'}})).toMatch(/state_reason must be equal to one of the allowed values/);
    expect(check({path: ISSUES, query: {state: 'pending'}})).toMatch(/state must be equal to one of the allowed values \(open, closed, all\)/);
    expect(check({path: ISSUES, query: {per_page: '500'}})).toMatch(/per_page must be <= 100/);
    expect(check({path: ISSUES, query: {limit: '5'}})).toMatch(/must NOT have additional properties \(limit\)/);
    expect(check({path: ISSUES, headers: {'x-github-api-version': '2021-01-01'}})).toMatch(/x-github-api-version must be equal to one of the allowed values/);
    expect(check({path: `${ISSUES}/abc`})).toMatch(/issue_number must be integer/);
    expect(check({path: '/search/issues', query: {sort: 'created'}})).toMatch(/must have required property 'q'/);
    expect(check({path: '/repos/acme/support/issues/7/attachments'})).toBe('GET /repos/acme/support/issues/7/attachments: no such operation in the description');
  });

  it('an answer the description does not declare, or whose body does not fit', async () => {
    const contract = await githubContract();
    const fake = await startGithubFake();
    try {
      fake.seed(1);
      const issue = fake.issueJson(fake.issues.get(1)!);
      const get = contract.match('GET', `${ISSUES}/1`)!;
      expect(contract.checkResponse(get, 200, 'application/json', issue)).toEqual([]);
      expect(contract.checkResponse(get, 200, 'application/json', {...issue, state_reason: 'fixed'}).join('\n')).toMatch(/state_reason must be equal to one of the allowed values/);
      expect(contract.checkResponse(get, 200, 'application/json', {...issue, created_at: 'yesterday'}).join('\n')).toMatch(/created_at must match format "date-time"/);
      expect(contract.checkResponse(get, 200, 'application/json', {...issue, number: undefined}).join('\n')).toMatch(/required property 'number'/);
      expect(contract.checkResponse(get, 200, 'application/json', {...issue, priority: 'high'}).join('\n')).toMatch(/additional properties \(priority\)/);
      expect(contract.checkResponse(get, 302, 'application/json', {}).join('\n')).toMatch(/status not declared/);
    } finally {
      await fake.close();
    }
  });
});

describe('the fake GitHub', () => {
  let fake: GithubFake;
  beforeAll(async () => {
    fake = await startGithubFake();
  });
  afterAll(() => fake.close());

  it('refuses a request that breaks the description with GitHub’s error body, records it, and creates nothing', async () => {
    const before = fake.server.violations.length;
    const res = await fetch(`${fake.url}${ISSUES}`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: JSON.stringify({title: 'x', severity: 'high'})});
    expect(res.status).toBe(422);
    expect(((await res.json()) as {message: string}).message).toMatch(/additional properties \(severity\)/);
    expect(fake.server.violations.slice(before)).toHaveLength(1);
    expect(fake.issues.size).toBe(0);
    fake.server.violations.splice(before);
  });

  it('catches itself answering outside the description: the client gets a 500, the test a violation', async () => {
    const before = fake.server.violations.length;
    fake.server.inject({match: (r) => r.operationId === 'issues/list-for-repo', fault: {kind: 'respond', response: {status: 200, body: [{number: 'one'}]}}});
    const res = await fetch(`${fake.url}${ISSUES}`, {headers: AUTH});
    expect(res.status).toBe(500);
    expect(fake.server.violations.slice(before).join('\n')).toMatch(/\/0\/number must be integer/);
    fake.server.violations.splice(before);
  });

  it('answers 401 for a token it does not know, and 400 for an API version it does not have', async () => {
    expect((await fetch(`${fake.url}/user`, {headers: {authorization: 'Bearer nope'}})).status).toBe(401);
    expect((await fetch(`${fake.url}/user`, {headers: {...AUTH, 'x-github-api-version': '2026-03-10'}})).status).toBe(200);
    const before = fake.server.violations.length;
    expect((await fetch(`${fake.url}/user`, {headers: {...AUTH, 'x-github-api-version': '2020-01-01'}})).status).toBe(400);
    fake.server.violations.splice(before);
  });
});
