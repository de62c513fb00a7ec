import {describe, expect, it} from 'vitest';

import {PROBLEM_TYPES, problemUri, type ProblemType} from '../../src/server/problem.js';
import {loadSpec, operations} from '../../src/server/spec.js';
import {specViolations} from '../helpers/spec.js';
import {startTestServer} from '../helpers/servers.js';
import {sandbox} from '../helpers.js';

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1 under /v1, and every operation has an id', async () => {
    const spec = await loadSpec();
    expect(spec.openapi).toMatch(/^3\.1\./);
    for (const op of operations(spec)) {
      expect(op.path.startsWith('/v1/')).toBe(true);
      expect(op.operationId).toBeTruthy();
    }
  });

  it('lists exactly the problem types the server can send', async () => {
    const spec = await loadSpec();
    const declared = (spec.components.schemas.Problem!.properties as {type: {enum: string[]}}).type.enum;
    expect([...declared].sort()).toEqual(Object.keys(PROBLEM_TYPES).map((t) => problemUri(t as ProblemType)).sort());
  });

  it('catches a response that breaks it (the checker used by the other tests works)', async () => {
    expect(await specViolations('GET', '/v1/me', 200, 'application/json', '{"name": "a", "role": "boss"}')).not.toEqual([]);
    expect(await specViolations('GET', '/v1/me', 418, 'application/json', '{}')).not.toEqual([]);
    expect(await specViolations('GET', '/v1/me', 200, 'application/json', '{"name": "a", "role": "agent"}')).toEqual([]);
  });

  it('catches a protocol header the spec does not declare, and a 405 whose Allow is not the spec’s', async () => {
    const me = '{"name": "a", "role": "agent"}';
    expect(await specViolations('GET', '/v1/me', 200, 'application/json', me, {'ratelimit-limit': '600'})).toEqual([]);
    expect(await specViolations('GET', '/v1/me', 200, 'application/json', me, {location: '/v1/me'})).toEqual([
      'GET /v1/me 200: header location not declared for getMe',
    ]);
    const problem = JSON.stringify({type: 'urn:supportkit:problem:method-not-allowed', title: 'Method not allowed.', status: 405});
    expect(await specViolations('PUT', '/v1/me', 405, 'application/problem+json', problem, {allow: 'GET, HEAD'})).toEqual([]);
    expect(await specViolations('PUT', '/v1/me', 405, 'application/problem+json', problem, {allow: 'GET, PUT'})).not.toEqual([]);
    expect(await specViolations('PUT', '/v1/nowhere', 405, 'application/problem+json', problem, {allow: 'GET'})).not.toEqual([]);
  });

  it('is served in full: every operation has a route on the reference server', async () => {
    const dirs = sandbox();
    const server = await startTestServer(dirs.dir);
    try {
      const routes = server.app.printRoutes({commonPrefix: false});
      for (const op of operations(await loadSpec())) {
        expect(server.app.hasRoute({method: op.method as 'GET', url: op.path.replace(/\{([^}]+)\}/g, ':$1')}), `${op.method} ${op.path}\n${routes}`).toBe(true);
      }
    } finally {
      await server.close();
      dirs.cleanup();
    }
  });
});
