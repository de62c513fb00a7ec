import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {jsmContract} from './contract.js';
import {startJsmFake, type JsmFake} from './fake.js';

const AUTH = {authorization: `Basic ${Buffer.from('alice@acme.test:alice-api-token').toString('base64')}`};
type Req = Parameters<Awaited<ReturnType<typeof jsmContract>>['checkRequest']>[0];

describe('the JSM contract refuses what Atlassian’s descriptions do not allow', () => {
  it('a request with a wrong type, an unknown or missing property, a bad parameter, or a form without its file', async () => {
    const contract = await jsmContract();
    const check = (req: Partial<Req>) => contract.checkRequest({method: 'GET', path: '/', query: {}, headers: {}, ...req} as Req).violations.join('\n');
    const create = {method: 'POST', path: '/rest/servicedeskapi/request', contentType: 'application/json'};
    expect(check({...create, body: {serviceDeskId: '1', requestTypeId: '10', requestFieldValues: {summary: 's'}}})).toBe('');
    expect(check({...create, body: {serviceDeskId: 1, requestTypeId: '10'}})).toMatch(/serviceDeskId must be string/);
    expect(check({...create, body: {serviceDeskId: '1'}})).toMatch(/must have required property 'requestTypeId'/);
    expect(check({...create, body: {serviceDeskId: '1', requestTypeId: '10', requestFieldValue: {}}})).toMatch(/must NOT have additional properties \(requestFieldValue\)/);
    const comment = {method: 'POST', path: '/rest/servicedeskapi/request/ITSM-1/comment', contentType: 'application/json'};
    expect(check({...comment, body: {body: 'hi', public: false}})).toBe('');
    expect(check({...comment, body: {body: 'hi'}})).toMatch(/required property 'public'/);
    expect(check({...comment, body: {body: 'hi', public: false, internal: true}})).toMatch(/additional properties \(internal\)/);
    expect(check({method: 'POST', path: '/rest/servicedeskapi/request/ITSM-1/attachment', contentType: 'application/json', body: {temporaryAttachmentIds: ['t1']}})).toMatch(/required property 'public'/);
    expect(check({path: '/rest/servicedeskapi/request/itsm 1'})).toMatch(/issueIdOrKey must match pattern/);
    expect(check({path: '/rest/servicedeskapi/knowledgebase/article', query: {query: 'vpn'}})).toMatch(/required property 'highlight'/);
    expect(check({path: '/rest/servicedeskapi/request/ITSM-1/sla', query: {start: 'first'}})).toMatch(/start must be integer/);
    expect(check({path: '/rest/api/3/user/search', query: {maxResults: '5'}})).toMatch(/at least one of the query parameters query, accountId, property/);
    expect(check({method: 'POST', path: '/rest/api/3/issue/ITSM-1/transitions', contentType: 'application/json', body: {transition: {name: 'Resolve'}}})).toMatch(/required property 'id'/);
    expect(check({method: 'POST', path: '/rest/api/3/search/jql', contentType: 'application/json', body: {jql: 'project = X', maxResults: 10_000}})).toMatch(/maxResults must be <= 5000/);
    const upload = {method: 'POST', path: '/rest/servicedeskapi/servicedesk/1/attachTemporaryFile', headers: {'x-atlassian-token': 'no-check'}};
    const form = (name: string) => Buffer.from(`--b1\r\nContent-Disposition: form-data; name="${name}"; filename="a.log"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n`);
    expect(check({...upload, contentType: 'multipart/form-data; boundary=b1', raw: form('file'), rawLength: 80})).toBe('');
    expect(check({...upload, contentType: 'multipart/form-data; boundary=b1', raw: form('upload'), rawLength: 80})).toMatch(/the multipart part "file"/);
    expect(check({...upload, contentType: 'application/octet-stream', raw: Buffer.from('hello'), rawLength: 5})).toMatch(/multipart\/form-data body with a boundary/);
    expect(check({...upload, headers: {}, contentType: 'multipart/form-data; boundary=b1', raw: form('file'), rawLength: 80})).toMatch(/x-atlassian-token/i);
    expect(check({method: 'POST', path: '/rest/api/3/search', contentType: 'application/json', body: {jql: 'x'}})).toBe('POST /rest/api/3/search: no such operation in the description');
  });

  it('an answer whose status or body the descriptions do not declare', async () => {
    const contract = await jsmContract();
    const transitions = contract.match('GET', '/rest/api/3/issue/ITSM-1/transitions')!;
    const ok = {transitions: [{id: '41', name: 'Resolve this issue', to: {name: 'Resolved', statusCategory: {key: 'done'}}}]};
    expect(contract.checkResponse(transitions, 200, 'application/json', ok)).toEqual([]);
    expect(contract.checkResponse(transitions, 200, 'application/json', {transitions: [{id: 41, name: 'Resolve'}]}).join('\n')).toMatch(/id must be string/);
    const sla = contract.match('GET', '/rest/servicedeskapi/request/ITSM-1/sla')!;
    expect(contract.checkResponse(sla, 200, 'application/json', {values: [{name: 'Time to resolution', ongoingCycle: {paused: 'no'}}]}).join('\n')).toMatch(/paused must be boolean/);
    expect(contract.checkResponse(sla, 200, 'application/json', {values: [{name: 'x', ongoingCycle: {stopTime: {epochMillis: 1}}}]}).join('\n')).toMatch(/additional properties \(stopTime\)/);
    const request = contract.match('GET', '/rest/servicedeskapi/request/ITSM-1')!;
    expect(contract.checkResponse(request, 200, 'application/json', {issueKey: 'ITSM-1', currentStatus: {statusCategory: 'OPEN'}}).join('\n')).toMatch(/statusCategory must be equal to one of the allowed values/);
    expect(contract.checkResponse(request, 404, 'application/json', {errorMessages: ['platform body on the Service Desk API']}).join('\n')).toMatch(/additional properties \(errorMessages\)/);
    expect(contract.checkResponse(request, 302, 'application/json', {}).join('\n')).toMatch(/status not declared/);
  });
});

describe('the fake JSM', () => {
  let fake: JsmFake;
  beforeAll(async () => {
    fake = await startJsmFake();
  });
  afterAll(() => fake.close());

  it('refuses a request that breaks the rules with JSM’s error body, and records it', async () => {
    const before = fake.server.violations.length;
    const res = await fetch(`${fake.url}/rest/servicedeskapi/request`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: JSON.stringify({serviceDeskId: 1, requestTypeId: '10', requestFieldValues: {summary: 'x'}})});
    expect(res.status).toBe(400);
    expect(((await res.json()) as {errorMessage: string}).errorMessage).toMatch(/serviceDeskId must be string/);
    expect(fake.server.violations.slice(before)).toHaveLength(1);
    expect(fake.issues.size).toBe(0);
    fake.server.violations.splice(before);
  });

  it('catches itself answering outside the rules: the client gets a 500, the test a violation', async () => {
    const before = fake.server.violations.length;
    fake.server.inject({match: (r) => r.operationId === 'getServiceDesks', fault: {kind: 'respond', response: {status: 200, body: {values: [{id: 1, projectKey: 'ITSM'}]}}}});
    const res = await fetch(`${fake.url}/rest/servicedeskapi/servicedesk`, {headers: AUTH});
    expect(res.status).toBe(500);
    expect(fake.server.violations.slice(before).join('\n')).toMatch(/\/values\/0\/id must be string/);
    fake.server.violations.splice(before);
  });

  it('answers the removed search with 410, and an unbounded JQL query with 400', async () => {
    const gone = await fetch(`${fake.url}/rest/api/3/search`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: '{}'});
    expect(gone.status).toBe(410);
    const unbounded = await fetch(`${fake.url}/rest/api/3/search/jql`, {method: 'POST', headers: {...AUTH, 'content-type': 'application/json'}, body: JSON.stringify({jql: 'labels = "x"'})});
    expect(unbounded.status).toBe(400);
    expect(((await unbounded.json()) as {errorMessages: string[]}).errorMessages[0]).toMatch(/Unbounded JQL/);
    fake.server.violations.splice(0);
  });
});
