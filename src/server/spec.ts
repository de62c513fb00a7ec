import {readFile} from 'node:fs/promises';

import {UNKNOWN_FIELD, validationErrors, type ValidationError} from './problem.js';

/** The parts of an OpenAPI 3.1 document that the server and the tests read. */
export interface OpenApiDocument {
  openapi: string;
  info: {version: string};
  paths: Record<string, Record<string, unknown>>;
  components: {schemas: Record<string, JsonSchema>};
}

export type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path, e.g. /v1/tickets/{ticketId}. */
  path: string;
  parameters: Parameter[];
  requestBody?: {required?: boolean; content: Record<string, {schema: JsonSchema}>};
  responses: Record<string, {content?: Record<string, {schema: JsonSchema}>; headers?: Record<string, unknown>}>;
  security?: unknown[];
}

/** openapi.yaml sits next to this module in src/ and, copied by the build, in dist/. */
export const SPEC_URL = new URL('./openapi.yaml', import.meta.url);

let cached: Promise<OpenApiDocument> | undefined;

/** The spec with every local $ref replaced by what it points at (the document has no cycles). */
export function loadSpec(): Promise<OpenApiDocument> {
  cached ??= (async () => {
    const {parse} = await import('yaml');
    const raw = parse(await readFile(SPEC_URL, 'utf8')) as OpenApiDocument;
    return dereference(raw, raw) as OpenApiDocument;
  })();
  return cached;
}

function dereference(node: unknown, root: unknown, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => dereference(n, root, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as {$ref?: unknown}).$ref;
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) throw new Error(`openapi.yaml: only local references are supported (${ref}).`);
    if (seen.includes(ref)) throw new Error(`openapi.yaml: circular reference ${ref}.`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`openapi.yaml: ${ref} points at nothing.`);
    return dereference(target, root, [...seen, ref]);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = dereference(value, root, seen);
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function operations(spec: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = (item.parameters ?? []) as Parameter[];
    for (const method of METHODS) {
      const op = item[method] as Omit<Operation, 'method' | 'path'> | undefined;
      if (!op) continue;
      out.push({...op, method: method.toUpperCase(), path, parameters: [...shared, ...((op.parameters ?? []) as Parameter[])]});
    }
  }
  return out;
}

/** /v1/tickets/{ticketId} -> /v1/tickets/:ticketId, the form routers use. */
export const routerPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

function parameterObject(params: Parameter[], closed = false): JsonSchema | undefined {
  if (params.length === 0 && !closed) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const p of params) {
    // Header names arrive lower-cased.
    const name = p.in === 'header' ? p.name.toLowerCase() : p.name;
    properties[name] = p.schema;
    if (p.required) required.push(name);
  }
  return {type: 'object', properties, required, ...(closed ? {additionalProperties: false} : {})};
}

/**
 * Request schemas of one operation, in the shape web frameworks take (body, querystring, params,
 * headers). The query string is closed: a parameter the operation does not declare is an error.
 */
export function requestSchemas(op: Operation): {body?: JsonSchema; querystring?: JsonSchema; params?: JsonSchema; headers?: JsonSchema} {
  const json = op.requestBody?.content['application/json']?.schema;
  return {
    body: json,
    querystring: parameterObject(
      op.parameters.filter((p) => p.in === 'query'),
      true,
    ),
    params: parameterObject(op.parameters.filter((p) => p.in === 'path')),
    headers: parameterObject(op.parameters.filter((p) => p.in === 'header')),
  };
}

/** The parts of a request that the spec describes, as a web framework hands them over. */
export interface RequestParts {
  params?: unknown;
  query?: unknown;
  headers?: unknown;
  body?: unknown;
}

type AjvInstance = import('ajv/dist/2020.js').Ajv2020;
let compilers: Promise<{coercing: AjvInstance; exact: AjvInstance}> | undefined;

function ajvCompilers() {
  compilers ??= (async () => {
    const {Ajv2020} = await import('ajv/dist/2020.js');
    const {default: addFormats} = await import('ajv-formats');
    // allErrors: a client learns every rule its request breaks in one answer. What a request can
    // hold is bounded (body size, maxItems, maxProperties), and so is the number of errors sent.
    const options = {strict: false, allErrors: true, useDefaults: true} as const;
    // Query strings, path parameters and headers arrive as strings: coerce them as the spec types say.
    const coercing = new Ajv2020({...options, coerceTypes: 'array'});
    const exact = new Ajv2020(options);
    (addFormats as unknown as (a: unknown) => void)(coercing);
    (addFormats as unknown as (a: unknown) => void)(exact);
    return {coercing, exact};
  })();
  return compilers;
}

/**
 * A validator of one operation's requests: it checks the path parameters, the query string,
 * the headers and the JSON body together and answers every rule they break (none: []).
 * Query, path and header values are coerced to their types in place, and defaults filled in.
 */
export async function requestValidator(op: Operation): Promise<(request: RequestParts) => ValidationError[]> {
  const {coercing, exact} = await ajvCompilers();
  const schemas = requestSchemas(op);
  const queryNames = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const unknownQuery = `is unknown: ${op.method} ${op.path} takes ${queryNames.length === 0 ? 'no query parameters' : queryNames.join(', ')}`;
  const parts = [
    {location: 'params', key: 'params', schema: schemas.params, ajv: coercing},
    {location: 'query', key: 'query', schema: schemas.querystring, ajv: coercing},
    {location: 'headers', key: 'headers', schema: schemas.headers, ajv: coercing},
    {location: 'body', key: 'body', schema: schemas.body, ajv: exact},
  ] as const;
  const checks = parts
    .filter((part) => part.schema !== undefined)
    .map((part) => ({...part, validate: part.ajv.compile(part.schema!)}));
  const bodyRequired = Boolean(op.requestBody?.required);
  return (request) => {
    const errors: ValidationError[] = [];
    for (const check of checks) {
      const data = request[check.key];
      if (check.location === 'body' && data === undefined) {
        if (bodyRequired) errors.push({location: 'body', path: '', message: 'is missing: send it as application/json'});
        continue;
      }
      if (check.validate(data ?? {})) continue;
      const found = validationErrors(check.location, check.validate.errors ?? []);
      errors.push(...(check.location === 'query' ? found.map((e) => (e.message === UNKNOWN_FIELD ? {...e, message: unknownQuery} : e)) : found));
    }
    return errors;
  };
}

/** The methods a concrete path has (GET brings HEAD), or [] when the path is not in the spec. */
export function allowedMethods(spec: OpenApiDocument, path: string): string[] {
  const bare = path.split('?')[0]!;
  const methods = new Set<string>();
  for (const op of operations(spec)) {
    if (!pathPattern(op.path).test(bare)) continue;
    methods.add(op.method);
    if (op.method === 'GET') methods.add('HEAD');
  }
  return [...methods];
}

const pathPattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);

/** The schema of a response body, by status and media type; undefined when the spec declares none. */
export function responseSchema(op: Operation, status: number, mediaType: string): JsonSchema | undefined {
  const response = op.responses[String(status)];
  return response?.content?.[mediaType]?.schema;
}

/** The operation that serves a concrete method and path (e.g. GET /v1/tickets/12). */
export function findOperation(spec: OpenApiDocument, method: string, path: string): Operation | undefined {
  const bare = path.split('?')[0]!;
  return operations(spec).find((op) => op.method === method.toUpperCase() && pathPattern(op.path).test(bare));
}
