import {readFile} from 'node:fs/promises';

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

function parameterObject(params: Parameter[]): JsonSchema | undefined {
  if (params.length === 0) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const p of params) {
    // Header names arrive lower-cased.
    const name = p.in === 'header' ? p.name.toLowerCase() : p.name;
    properties[name] = p.schema;
    if (p.required) required.push(name);
  }
  return {type: 'object', properties, required};
}

/** Request schemas of one operation, in the shape web frameworks take (body, querystring, params, headers). */
export function requestSchemas(op: Operation): {body?: JsonSchema; querystring?: JsonSchema; params?: JsonSchema; headers?: JsonSchema} {
  const json = op.requestBody?.content['application/json']?.schema;
  return {
    body: json,
    querystring: parameterObject(op.parameters.filter((p) => p.in === 'query')),
    params: parameterObject(op.parameters.filter((p) => p.in === 'path')),
    headers: parameterObject(op.parameters.filter((p) => p.in === 'header')),
  };
}

/** The schema of a response body, by status and media type; undefined when the spec declares none. */
export function responseSchema(op: Operation, status: number, mediaType: string): JsonSchema | undefined {
  const response = op.responses[String(status)];
  return response?.content?.[mediaType]?.schema;
}

/** The operation that serves a concrete method and path (e.g. GET /v1/tickets/12). */
export function findOperation(spec: OpenApiDocument, method: string, path: string): Operation | undefined {
  const bare = path.split('?')[0]!;
  return operations(spec).find((op) => {
    if (op.method !== method.toUpperCase()) return false;
    const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(bare);
  });
}
