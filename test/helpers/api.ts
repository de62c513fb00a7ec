import {expect} from 'vitest';

import {specViolations} from './spec.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A raw request to the server, as another language's client would send it; the response must match openapi.yaml. */
export async function api(
  base: string,
  method: string,
  path: string,
  options: {token?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string>; checkSpec?: boolean} = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {...options.headers};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, {method, headers, body});
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (options.checkSpec !== false) {
    expect(await specViolations(method, path, res.status, res.headers.get('content-type') ?? '', text, res.headers)).toEqual([]);
  }
  return {status: res.status, headers: res.headers, text, json};
}

export function expectProblem(res: ApiResponse, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({type: `urn:supportkit:problem:${type}`, status});
}
