import createClient, {type Client} from 'openapi-fetch';

import type {paths} from '../generated/openapi.js';
import {specViolations} from './spec.js';

export type TypedClient = Client<paths> & {
  /** What the spec check found wrong in the responses so far, one line each; [] when all conform. */
  violations: string[];
};

/**
 * A client of the protocol as another team would write one: typed by openapi-typescript from
 * openapi.yaml (test/generated/openapi.ts, `npm run api:types`), sending with openapi-fetch.
 * Every response it receives is checked against openapi.yaml as well.
 */
export function typedClient(baseUrl: string, token?: string): TypedClient {
  const client = createClient<paths>({baseUrl, headers: token ? {authorization: `Bearer ${token}`} : {}});
  const violations: string[] = [];
  client.use({
    async onResponse({request, response}) {
      const url = new URL(request.url);
      const text = await response.clone().text();
      violations.push(
        ...(await specViolations(request.method, `${url.pathname}${url.search}`, response.status, response.headers.get('content-type') ?? '', text, response.headers)),
      );
      return undefined;
    },
  });
  return Object.assign(client, {violations});
}
