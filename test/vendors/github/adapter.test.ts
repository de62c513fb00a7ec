import {randomUUID} from 'node:crypto';

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';

import {AuthError, NotFoundError, RateLimitError, RejectedError, UnsupportedError, UsageError} from '../../../src/domain/errors.js';
import {attachBundle} from '../../../src/services/diag.js';
import {closeTicket, commentOnTicket, createTicket, listTickets, reopenTicket, updateTicket, viewTicket} from '../../../src/services/tickets.js';
import {startGithubTarget, type GithubTarget} from './setup.js';

let t: GithubTarget;
beforeAll(async () => {
  t = await startGithubTarget();
});
afterEach(() => t.fake.server.clearFaults());
afterAll(async () => {
  // Every request the adapter sent in these tests, and every answer, fit GitHub's description.
  expect(t.fake.server.violations).toEqual([]);
  await t.close();
});

const lastOf = (operationId: string) => t.fake.server.received(operationId).at(-1)!;
const countOf = (operationId: string) => t.fake.server.received(operationId).length;
const stored = (id: string) => t.fake.issues.get(Number(id))!;
const labelsOf = (id: string) => stored(id).labels.map((l) => [...t.fake.labels.values()].find((x) => x.id === l)!.name).sort();

describe('authentication and who am I', () => {
  it('sends the token as Bearer with the pinned API version, and says who it acts as and with which role', async () => {
    expect(await t.backend.whoami()).toEqual({name: 'alice', role: 'agent', backendRole: 'admin', account: `${new URL(t.fake.url).host}/acme/support`, displayName: 'Alice Maintainer', id: '583231'});
    expect(lastOf('users/get-authenticated').headers).toMatchObject({authorization: 'Bearer alice-token', 'x-github-api-version': '2022-11-28', accept: 'application/vnd.github+json'});
    const reader = await t.open({token: 'carol-token'});
    // A reader may not see collaborator permissions (403): a customer, then.
    expect(await reader.whoami()).toMatchObject({name: 'carol', role: 'customer', backendRole: 'read'});
  });

  it('tells a user who is no collaborator (404 on permissions) from a repository it cannot see', async () => {
    const outsider = await t.open();
    t.fake.server.inject({match: (r) => r.operationId === 'repos/get-collaborator-permission-level', fault: {kind: 'respond', response: {status: 404, body: {message: 'Not Found', documentation_url: 'https://docs.github.com'}}}});
    expect(await outsider.whoami()).toMatchObject({name: 'alice', role: 'customer', backendRole: 'read'});
    expect(lastOf('issues/list-for-repo').query).toEqual({per_page: '1', state: 'all'});
    const elsewhere = await t.open({repo: 'acme/secret'});
    await expect(elsewhere.whoami()).rejects.toThrow('GitHub has no repository acme/secret, or this token cannot see it.');
  });

  it('says a revoked token is refused, with exit code 4, and a repository it cannot see is not found', async () => {
    const revoked = await t.open({token: 'revoked'});
    const error = (await revoked.tickets.list({}).catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toBe('GitHub refused the token of the profile "oss": Bad credentials.');
    expect(error.exitCode).toBe(4);
    const elsewhere = await t.open({repo: 'acme/secret'});
    const missing = (await elsewhere.tickets.list({}).catch((e: unknown) => e)) as NotFoundError;
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe('GitHub has no repository acme/secret, or this token cannot see it.');
  });
});

describe('issues as tickets', () => {
  it('maps statuses both ways through state, state_reason, assignees and the status labels', async () => {
    const a = await createTicket(t.backend, {title: 'States', body: 'x'});
    expect(a.status).toBe('new');
    expect((await updateTicket(t.backend, a.id, {status: 'pending'})).status).toBe('pending');
    expect(labelsOf(a.id)).toEqual(['status: pending']);
    expect((await updateTicket(t.backend, a.id, {status: 'on_hold'})).status).toBe('on_hold');
    expect(labelsOf(a.id)).toEqual(['status: on hold']);
    // Open, unassigned and never reopened would read as new: the open label says otherwise.
    expect((await updateTicket(t.backend, a.id, {status: 'open'})).status).toBe('open');
    expect(labelsOf(a.id)).toEqual(['status: open']);
    const solved = await closeTicket(t.backend, a.id);
    expect(solved.status).toBe('solved');
    expect(lastOf('issues/update').body).toEqual({state: 'closed', state_reason: 'completed', labels: []});
    expect(solved.fields).toMatchObject({state_reason: 'completed'});
    const reopened = await reopenTicket(t.backend, a.id);
    expect(reopened.status).toBe('open');
    expect(stored(a.id)).toMatchObject({state: 'open', state_reason: 'reopened'});
    // solved -> closed: GitHub keeps the reason unless the state changes, so reopen, then close as not planned.
    await closeTicket(t.backend, a.id);
    expect((await updateTicket(t.backend, a.id, {status: 'closed'})).status).toBe('closed');
    expect(stored(a.id)).toMatchObject({state: 'closed', state_reason: 'not_planned'});
    await expect(reopenTicket(t.backend, a.id)).rejects.toBeInstanceOf(RejectedError);
  });

  it('refuses a status GitHub cannot show before sending anything', async () => {
    const a = await createTicket(t.backend, {title: 'Assigned', body: 'x', tags: []});
    await updateTicket(t.backend, a.id, {assignee: 'bob'});
    expect((await t.backend.tickets.get(a.id)).status).toBe('open');
    const before = countOf('issues/update');
    const error = (await updateTicket(t.backend, a.id, {status: 'new'}).catch((e: unknown) => e)) as RejectedError;
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.message).toMatch(/^GitHub cannot show issue \d+ as new: GitHub shows an issue as new only while it is open, unassigned and never reopened/);
    expect(countOf('issues/update')).toBe(before);
  });

  it('keeps priority and type in labels by the default convention, apart from the tags', async () => {
    const a = await createTicket(t.backend, {title: 'Labels', body: 'x', priority: 'high', type: 'incident', tags: ['vpn']});
    expect(lastOf('issues/create').body).toMatchObject({labels: ['vpn', 'priority: high', 'type: incident']});
    expect(a).toMatchObject({priority: 'high', type: 'incident', tags: ['vpn']});
    const b = await updateTicket(t.backend, a.id, {priority: 'urgent', type: 'question', addTags: ['eu'], removeTags: ['vpn']});
    expect(b).toMatchObject({priority: 'urgent', type: 'question', tags: ['eu']});
    expect(labelsOf(a.id)).toEqual(['eu', 'priority: urgent']);
    // Normal and question have no label by default: what an unlabelled issue reads as.
    expect((await updateTicket(t.backend, a.id, {priority: 'normal'})).priority).toBe('normal');
    expect(labelsOf(a.id)).toEqual(['eu']);
  });

  it('takes its own labels from the profile’s options, and refuses options it cannot read', async () => {
    const custom = await t.open({settings: {'priority-labels': 'high=P1,urgent=P0', 'type-labels': 'incident=bug', 'status-labels': 'pending=waiting-for-reply'}});
    const a = await createTicket(custom, {title: 'Own labels', body: 'x', priority: 'urgent', type: 'incident', tags: ['crash']});
    expect(labelsOf(a.id)).toEqual(['P0', 'bug', 'crash']);
    expect((await updateTicket(custom, a.id, {status: 'pending'})).status).toBe('pending');
    expect(labelsOf(a.id)).toContain('waiting-for-reply');
    // Without a label for open, GitHub cannot show an unassigned, never reopened issue as open.
    await expect(updateTicket(custom, a.id, {status: 'open'})).rejects.toThrow(/No label stands for open in this profile/);
    await expect(t.open({settings: {'priority-labels': 'highest=P0'}})).rejects.toBeInstanceOf(UsageError);
    await expect(t.open({settings: {'priority-labels': 'high=P1', 'type-labels': 'incident=P1'}})).rejects.toThrow(/stands for two things/);
  });

  it('keeps GitHub’s own data in fields: the address, the milestone, further assignees; refuses fields it has not', async () => {
    const a = await createTicket(t.backend, {title: 'Fields', body: 'x'});
    expect(a.fields).toMatchObject({url: `${t.fake.url}/acme/support/issues/${a.id}`, comments: 0});
    await expect(updateTicket(t.backend, a.id, {fields: {region: 'eu'}})).rejects.toThrow('GitHub issues have no field "region".');
    await expect(updateTicket(t.backend, a.id, {fields: {url: 'x'}})).rejects.toBeInstanceOf(UsageError);
    await updateTicket(t.backend, a.id, {fields: {milestone: '3'}});
    expect(lastOf('issues/update').body).toEqual({milestone: 3});
  });

  it('says which labels or assignees GitHub dropped for a token without push access', async () => {
    const reader = await t.open({token: 'carol-token'});
    const error = (await createTicket(reader, {title: 'From a reader', body: 'x', tags: ['vpn']}).catch((e: unknown) => e)) as RejectedError;
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.message).toMatch(/^Issue #(\d+) was created, but GitHub dropped vpn: this token may not set labels or assignees in acme\/support\.$/);
    expect(error.hint).toMatch(/Do not create it again/);
  });

  it('leaves pull requests out of lists, and says a pull request is not an issue', async () => {
    const [pr] = t.fake.seed(1, () => ({title: 'A pull request', pull_request: true, labels: ['only-pr']}));
    const mixed = t.fake.seed(2, () => ({labels: ['only-pr']}));
    const page = await listTickets(t.backend, {tags: ['only-pr']});
    expect(page.tickets.map((x) => x.id)).toEqual(mixed.reverse().map(String));
    await expect(t.backend.tickets.get(String(pr))).rejects.toThrow(/is a pull request, not an issue/);
    await expect(t.backend.tickets.get('abc')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('filters with the list endpoint where it can, and searches only for text', async () => {
    const tag = `t-${randomUUID().slice(0, 6)}`;
    const a = await createTicket(t.backend, {title: 'Printer on fire', body: 'smoke everywhere', tags: [tag], priority: 'urgent'});
    await createTicket(t.backend, {title: 'Printer fine', body: 'ok', tags: [tag]});
    const searches = countOf('search/issues-and-pull-requests');
    expect((await listTickets(t.backend, {tags: [tag], priority: ['urgent'], status: ['new'], requester: 'alice', assignee: 'none'})).tickets.map((x) => x.id)).toEqual([a.id]);
    expect(lastOf('issues/list-for-repo').query).toMatchObject({labels: `${tag},priority: urgent`, state: 'open', creator: 'alice', assignee: 'none'});
    expect(countOf('search/issues-and-pull-requests')).toBe(searches);
    expect((await listTickets(t.backend, {tags: [tag], search: 'smoke'})).tickets.map((x) => x.id)).toEqual([a.id]);
    expect(lastOf('search/issues-and-pull-requests').query.q).toBe(`repo:acme/support is:issue label:${tag} smoke`);
  });

  it('pages over the Link header, and gives nothing twice when new issues arrive between pages', async () => {
    const tag = `p-${randomUUID().slice(0, 6)}`;
    const seeded = t.fake.seed(250, () => ({labels: [tag]})).reverse().map(String);
    const first = await listTickets(t.backend, {tags: [tag], limit: 120});
    expect(first.tickets.map((x) => x.id)).toEqual(seeded.slice(0, 120));
    // Five new issues push the rest down by five places.
    await Promise.all([1, 2, 3, 4, 5].map((i) => createTicket(t.backend, {title: `New ${i}`, body: 'x', tags: [tag]})));
    const rest = await listTickets(t.backend, {tags: [tag], limit: 1000, cursor: first.nextCursor!});
    expect(rest.tickets.map((x) => x.id)).toEqual(seeded.slice(120));
    expect(rest.nextCursor).toBeNull();
    await expect(listTickets(t.backend, {cursor: first.nextCursor!, search: 'x'})).rejects.toBeInstanceOf(UsageError);
  });

  it('searches past GitHub’s 1,000 results with a new query bounded by the last one seen', async () => {
    const word = `w${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const seeded = t.fake.seed(1050, (i) => ({title: `${word} ${i}`})).reverse().map(String);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTickets(t.backend, {search: word, limit: 400, cursor});
      seen.push(...page.tickets.map((x) => x.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(seeded);
    expect(t.fake.server.received('search/issues-and-pull-requests').some((r) => /created:<=/.test(String(r.query.q)))).toBe(true);
  });

  it('comments in public only: an internal comment is refused in one sentence', async () => {
    const a = await createTicket(t.backend, {title: 'Talk', body: 'x'});
    const view = await commentOnTicket(t.backend, a.id, {body: 'Fixed in 2.4.1.'});
    expect(view.comments.map((c) => [c.body, c.author, c.authorRole, c.public])).toEqual([['Fixed in 2.4.1.', 'alice', 'agent', true]]);
    expect((await viewTicket(t.backend, a.id)).comments).toEqual(view.comments);
    const error = (await commentOnTicket(t.backend, a.id, {body: 'secret', internal: true}).catch((e: unknown) => e)) as UnsupportedError;
    expect(error.message).toBe('The github backend cannot add internal comments.');
    expect(error.hint).toMatch(/Everyone who can read acme\/support reads its issue comments/);
  });

  it('says a file cannot be uploaded through GitHub’s API, and where to put it instead', async () => {
    const a = await createTicket(t.backend, {title: 'Bundle', body: 'x'});
    const error = (await attachBundle(t.backend, a.id, '/nonexistent.tar.gz').catch((e: unknown) => e)) as UnsupportedError;
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toBe('The github backend cannot attach files to tickets.');
    expect(error.hint).toContain(`${t.fake.url}/acme/support/issues/${a.id}`);
    expect(error.hint).toMatch(/gist or a release asset/);
    await expect(t.backend.tickets.events(a.id)).rejects.toBeInstanceOf(UnsupportedError);
  });

  it('says so when issues are turned off in the repository', async () => {
    const off = await startGithubTarget({issuesDisabled: true});
    try {
      const error = (await off.backend.tickets.get('1').catch((e: unknown) => e)) as RejectedError;
      expect(error.message).toBe('Issues are turned off in acme/support, so issue 1 cannot be read or changed.');
    } finally {
      await off.close();
    }
  });
});

describe('creates that must not happen twice', () => {
  it('finds the issue a repeated key made, and refuses the key for other content', async () => {
    const key = randomUUID();
    const input = {title: 'Once', body: 'Only once.', tags: ['once']};
    const first = await t.backend.tickets.create(input, {idempotencyKey: key});
    expect(first.body).toBe('Only once.');
    expect(stored(first.id).body).toMatch(/<!-- supportkit:idempotency-key=/);
    const again = await (await t.open()).tickets.create(input, {idempotencyKey: key});
    expect(again.id).toBe(first.id);
    await expect(t.backend.tickets.create({...input, title: 'Other'}, {idempotencyKey: key})).rejects.toThrow(/already used for issue/);
  });

  it('after an answer lost in the network, finds the issue by its key instead of creating it again', async () => {
    const fresh = await t.open();
    const before = t.fake.issues.size;
    t.fake.server.inject({match: (r) => r.operationId === 'issues/create', fault: {kind: 'commit-then-drop'}});
    const made = await fresh.tickets.create({title: 'Lost answer', body: 'x'}, {idempotencyKey: randomUUID()});
    expect(t.fake.issues.size).toBe(before + 1);
    expect(made.title).toBe('Lost answer');
    // Without a key, a lost answer is said as such and never sent twice.
    t.fake.server.inject({match: (r) => r.operationId === 'issues/create', fault: {kind: 'commit-then-drop'}});
    const lost = (await createTicket(fresh, {title: 'No key', body: 'x'}).catch((e: unknown) => e)) as Error & {hint?: string};
    expect(lost.hint).toMatch(/may or may not have been applied/);
    expect(t.fake.issues.size).toBe(before + 2);
  });
});

describe('rate limits', () => {
  it('waits out a secondary limit answered 403 with retry-after, and counts it', async () => {
    const fresh = await t.open();
    t.fake.server.inject({
      match: (r) => r.operationId === 'issues/create',
      fault: {kind: 'respond', response: {status: 403, headers: {'retry-after': '0'}, body: {message: 'You have exceeded a secondary rate limit and have been temporarily blocked from content creation.', documentation_url: 'https://docs.github.com'}}},
    });
    const made = await createTicket(fresh, {title: 'After a limit', body: 'x'});
    expect(made.title).toBe('After a limit');
    expect(fresh.rateLimit!()!.throttled).toBe(1);
  });

  it('treats 403 with x-ratelimit-remaining 0 as the primary limit: a clear error with when to try again, exit 6', async () => {
    const fresh = await t.open();
    const reset = Math.ceil(Date.now() / 1000) + 1800;
    t.fake.server.inject({
      match: (r) => r.operationId === 'issues/get',
      fault: {kind: 'respond', response: {status: 403, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(reset)}, body: {message: 'API rate limit exceeded for user ID 583231.', documentation_url: 'https://docs.github.com'}}},
    });
    const error = (await fresh.tickets.get('1').catch((e: unknown) => e)) as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.exitCode).toBe(6);
    expect(error.message).toMatch(/is rate limiting this token: it asks to wait (29|30) minutes before trying again/);
    expect(error.hint).toMatch(/Try again after/);
  });

  it('leaves a 403 that is no rate limit alone: refused at once, exit 5', async () => {
    const fresh = await t.open();
    t.fake.server.inject({match: (r) => r.operationId === 'issues/get', fault: {kind: 'respond', response: {status: 403, body: {message: 'Resource not accessible by personal access token', documentation_url: 'https://docs.github.com'}}}});
    const before = countOf('issues/get');
    const error = (await fresh.tickets.get('1').catch((e: unknown) => e)) as RejectedError;
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.message).toBe('GitHub does not let this token read issue 1 in acme/support: Resource not accessible by personal access token.');
    expect(countOf('issues/get')).toBe(before + 1);
  });
});

describe('conditional reads', () => {
  it('asks again with If-None-Match, and GitHub’s 304 (free of rate limit) answers from the copy kept', async () => {
    const a = await createTicket(t.backend, {title: 'Read twice', body: 'x'});
    const fresh = await t.open();
    const before = t.fake.notModified;
    const first = await fresh.tickets.get(a.id);
    const second = await fresh.tickets.get(a.id);
    expect(second).toEqual(first);
    expect(t.fake.notModified).toBe(before + 1);
    expect(lastOf('issues/get').headers['if-none-match']).toMatch(/^W\/"/);
    await updateTicket(fresh, a.id, {title: 'Changed'});
    expect((await fresh.tickets.get(a.id)).title).toBe('Changed');
  });
});
