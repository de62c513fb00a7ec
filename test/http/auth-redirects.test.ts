import {createServer, type IncomingHttpHeaders, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {apiKeyAuth, basicAuth, emailTokenAuth} from '../../src/http/auth.js';
import {createHttpClient, HttpStatusError} from '../../src/http/client.js';
import {readRateLimit} from '../../src/http/rate-limit.js';

/** A loopback server that records each request's path and headers and answers with `answer`. */
async function recorder(answer: (path: string) => {status: number; headers?: Record<string, string>; body?: string}) {
  const seen: {path: string; headers: IncomingHttpHeaders}[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({path: req.url!, headers: req.headers});
    const a = answer(req.url!);
    res.writeHead(a.status, {'content-type': 'application/json', ...a.headers});
    res.end(a.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('auth schemes', () => {
  it('build the header each vendor expects, from the token alone', () => {
    const decode = (h: string) => Buffer.from(h.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decode(emailTokenAuth('agent@acme.com').header('t0k'))).toBe('agent@acme.com/token:t0k');
    expect(decode(apiKeyAuth.header('key123'))).toBe('key123:X');
    expect(decode(basicAuth('me@acme.com').header('t0k'))).toBe('me@acme.com:t0k');
  });
});

describe('redirects', () => {
  let other: Awaited<ReturnType<typeof recorder>>;
  let origin: Awaited<ReturnType<typeof recorder>>;
  beforeAll(async () => {
    other = await recorder(() => ({status: 200, body: '{"where":"other"}'}));
    origin = await recorder((path) => {
      if (path === '/moved') return {status: 301, headers: {location: '/here'}};
      if (path === '/away') return {status: 302, headers: {location: `${other.url}/landing`}};
      return {status: 200, body: '{"where":"origin"}'};
    });
  });
  afterAll(async () => {
    await other.close();
    await origin.close();
  });

  it('follows a redirect within the origin with the token, and one to another host without it', async () => {
    const lines: string[] = [];
    const client = createHttpClient({baseUrl: origin.url, token: async () => 's3cret', auth: emailTokenAuth('a@b.c'), redirects: 3, debug: (l) => lines.push(l)});
    expect((await client.request({method: 'GET', path: 'moved'})).body).toEqual({where: 'origin'});
    expect(origin.seen.at(-1)).toMatchObject({path: '/here', headers: {authorization: emailTokenAuth('a@b.c').header('s3cret')}});
    expect((await client.request({method: 'GET', path: 'away'})).body).toEqual({where: 'other'});
    expect(other.seen.at(-1)!.path).toBe('/landing');
    expect(other.seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(lines.join('\n')).toContain('(without Authorization)');
    expect(lines.join('\n')).not.toContain('s3cret');
    await client.close();
  });

  it('does not follow a redirect of a write, nor any redirect unless the adapter asks', async () => {
    const writes = createHttpClient({baseUrl: origin.url, token: async () => 's3cret', redirects: 3});
    await expect(writes.request({method: 'POST', path: 'away', json: {}})).rejects.toBeInstanceOf(HttpStatusError);
    const plain = createHttpClient({baseUrl: origin.url, token: async () => 's3cret'});
    const error = await plain.request({method: 'GET', path: 'away'}).catch((e: unknown) => e);
    expect((error as HttpStatusError).status).toBe(302);
    await writes.close();
    await plain.close();
  });
});

describe('rate-limit headers', () => {
  it('reads every helpdesk’s spelling, and paces on the tightest budget', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(readRateLimit({'ratelimit-limit': '100', 'ratelimit-remaining': '40', 'ratelimit-reset': '12'}, now)).toEqual({limit: 100, remaining: 40, resetSeconds: 12});
    // Zendesk's account-wide limit is per minute and says nothing of its reset.
    expect(readRateLimit({'x-rate-limit': '700', 'x-rate-limit-remaining': '699'}, now)).toEqual({limit: 700, remaining: 699, windowSeconds: 60});
    // GitHub's reset is an epoch time; Freshdesk calls its limit a total, a per-minute budget with no reset told.
    expect(readRateLimit({'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(now / 1000 + 30)}, now)).toEqual({limit: 5000, remaining: 4999, resetSeconds: 30});
    expect(readRateLimit({'x-ratelimit-total': '50', 'x-ratelimit-remaining': '49'}, now)).toEqual({limit: 50, remaining: 49, windowSeconds: 60});
    expect(readRateLimit({'x-rate-limit': '700', 'x-rate-limit-remaining': '650', 'ratelimit-limit': '100', 'ratelimit-remaining': '3', 'ratelimit-reset': '20'}, now)).toEqual({limit: 100, remaining: 3, resetSeconds: 20});
    expect(readRateLimit({'x-rate-limit': 'lots'}, now)).toBeUndefined();
  });

  it('takes Jira’s reset to the minute for a bound, never for the moment the budget is back', () => {
    const now = Date.parse('2025-03-01T10:00:30Z');
    // "yyyy-MM-ddTHH:mmZ": the reset comes within that minute, so by its end at the latest; even a minute already begun is no "now".
    expect(readRateLimit({'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2025-03-01T10:00Z'}, now)).toEqual({limit: 600, remaining: 0, resetBySeconds: 30});
    expect(readRateLimit({'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2025-03-01T10:01+0000'}, now)).toEqual({limit: 600, remaining: 0, resetBySeconds: 90});
    // With seconds it is a time to pace on.
    expect(readRateLimit({'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '2025-03-01T10:00:42Z'}, now)).toEqual({limit: 600, remaining: 3, resetSeconds: 12});
  });

  it('reads the structured RateLimit fields, Atlassian’s Beta- ones too, and what a Freshdesk request cost', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(readRateLimit({'ratelimit-policy': '"burst";q=100;w=60, "day";q=5000;w=86400', ratelimit: '"burst";r=40;t=12, "day";r=4000;t=3600'}, now)).toEqual({limit: 100, remaining: 40, resetSeconds: 12, windowSeconds: 60});
    expect(
      readRateLimit({'beta-ratelimit-policy': '"tenant-app-quota";q=100100;w=3600', 'beta-ratelimit': '"tenant-app-quota";r=17842;t=2107', 'x-ratelimit-limit': '350', 'x-ratelimit-remaining': '349'}, now),
    ).toEqual({limit: 350, remaining: 349});
    expect(readRateLimit({'beta-ratelimit': '"tenant-app-quota";r=0;t=2107'}, now)).toEqual({remaining: 0, resetSeconds: 2107});
    expect(readRateLimit({ratelimit: 'not a list ;;'}, now)).toBeUndefined();
    expect(readRateLimit({'x-ratelimit-total': '400', 'x-ratelimit-remaining': '300', 'x-ratelimit-used-currentrequest': '3'}, now)).toEqual({limit: 400, remaining: 300, windowSeconds: 60, cost: 3});
  });
});
