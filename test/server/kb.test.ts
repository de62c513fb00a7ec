import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {api, expectProblem} from '../helpers/api.js';
import {startTestServer, type TestServer} from '../helpers/servers.js';
import {sandbox, type Sandbox} from '../helpers.js';

let dirs: Sandbox;
let server: TestServer;
let admin: string;
let customer: string;

beforeAll(async () => {
  dirs = sandbox();
  server = await startTestServer(dirs.dir);
  admin = await server.token('admin', 'root');
  customer = await server.token('customer', 'carol');
});
afterAll(async () => {
  await server.close();
  dirs.cleanup();
});

describe('the knowledge-base routes, as another client would call them', () => {
  it('serves the built-in articles to every role, with highlights as offsets into a plain snippet', async () => {
    const res = await api(server.url, 'GET', '/v1/kb/articles?q=proxy&limit=2', {token: customer});
    expect(res.status).toBe(200);
    expect(res.json.hits).toHaveLength(2);
    for (const hit of res.json.hits as {snippet: string; highlights: [number, number][]}[]) {
      expect(hit.snippet).not.toContain('\u0001');
      expect(hit.snippet).not.toContain('\u0002');
      expect(hit.highlights.length).toBeGreaterThan(0);
      for (const [start, end] of hit.highlights) expect(hit.snippet.slice(start, end).toLowerCase()).toContain('prox');
    }
  });

  it('answers a search without q, or with only spaces, with a 400', async () => {
    expectProblem(await api(server.url, 'GET', '/v1/kb/articles', {token: customer}), 400, 'validation');
    expectProblem(await api(server.url, 'GET', '/v1/kb/articles?q=%20%20', {token: customer}), 400, 'validation');
    expectProblem(await api(server.url, 'GET', `/v1/kb/articles?q=${'a'.repeat(1001)}`, {token: customer}), 400, 'validation');
  });

  it('creates (201), leaves unchanged and updates (200) an article by slug, for admins only', async () => {
    const body = {title: 'Server article', body: 'Text about gronkles.', tags: ['x'], locale: 'en'};
    expectProblem(await api(server.url, 'PUT', '/v1/kb/articles/server-article', {token: customer, json: body}), 403, 'forbidden');
    const created = await api(server.url, 'PUT', '/v1/kb/articles/server-article', {token: admin, json: body});
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/kb/articles/server-article');
    expect(created.json).toMatchObject({outcome: 'created', article: {slug: 'server-article', title: 'Server article', locale: 'en'}});
    expect((await api(server.url, 'PUT', '/v1/kb/articles/server-article', {token: admin, json: body})).json.outcome).toBe('unchanged');
    expect((await api(server.url, 'PUT', '/v1/kb/articles/server-article', {token: admin, json: {...body, body: 'More gronkles.'}})).json.outcome).toBe('updated');
    expect((await api(server.url, 'GET', `/v1/kb/articles/${created.json.article.id}`, {token: customer})).json.body).toBe('More gronkles.');
    expectProblem(await api(server.url, 'PUT', '/v1/kb/articles/Not%20A%20Slug', {token: admin, json: body}), 400, 'validation');
    expectProblem(await api(server.url, 'PUT', '/v1/kb/articles/x-y', {token: admin, json: {title: 'x'}}), 400, 'validation');
  });

  it('deletes for admins only, and reports the deletion in the changes after a cursor', async () => {
    await api(server.url, 'PUT', '/v1/kb/articles/to-delete', {token: admin, json: {title: 'Doomed', body: 'Soon gone.'}});
    const all = await api(server.url, 'GET', '/v1/kb/changes?limit=1000', {token: customer});
    expect(all.json.more).toBe(false);
    expect(all.json.articles.map((a: {slug: string}) => a.slug)).toContain('to-delete');
    expectProblem(await api(server.url, 'DELETE', '/v1/kb/articles/to-delete', {token: customer}), 403, 'forbidden');
    expect((await api(server.url, 'DELETE', '/v1/kb/articles/to-delete', {token: admin})).status).toBe(204);
    expectProblem(await api(server.url, 'DELETE', '/v1/kb/articles/to-delete', {token: admin}), 404, 'not-found');
    const after = await api(server.url, 'GET', `/v1/kb/changes?since=${all.json.cursor}`, {token: customer});
    expect(after.json).toMatchObject({articles: [], deleted: [{slug: 'to-delete'}], more: false});
  });

  it('pages through changes, and refuses a cursor it never gave out', async () => {
    const first = await api(server.url, 'GET', '/v1/kb/changes?limit=3', {token: customer});
    expect(first.json.articles).toHaveLength(3);
    expect(first.json.more).toBe(true);
    const next = await api(server.url, 'GET', `/v1/kb/changes?limit=3&since=${first.json.cursor}`, {token: customer});
    expect(next.json.articles[0].slug).not.toBe(first.json.articles[2].slug);
    expectProblem(await api(server.url, 'GET', '/v1/kb/changes?since=abc', {token: customer}), 400, 'invalid-cursor');
  });
});
