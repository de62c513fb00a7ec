import type {Ajv} from 'ajv';
import addFormatsModule from 'ajv-formats';
import {OpenAPIBackend, type Document, type Operation} from 'openapi-backend';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Formats are checked (ajv-formats), including the misspellings vendors' descriptions carry:
 * Zendesk writes `datetime` for `date-time` and `url` for `uri`; GitHub has formats of its own. A format nobody defines is a
 * mistake in the description and fails the load (ajv's strict formats).
 */
function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('datetime', ajv.formats['date-time'] as never);
  ajv.addFormat('url', ajv.formats.uri as never);
  ajv.addFormat('binary', true);
  // GitHub's: a repository's owner/name, and a time as epoch seconds.
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  ajv.addFormat('timestamp', true);
  return ajv;
}

/**
 * A vendor's API contract, checked with openapi-backend (routing, parameters, JSON bodies; ajv
 * underneath) over one or more OpenAPI descriptions: the vendor's own (cut), with the additions
 * its API reference documents (see supplement.ts), and for APIs with no published description,
 * a description written out from the reference. Two views of each description are compiled:
 * - requests: an object may carry only the properties the schema names (a typo in an adapter
 *   is a violation, not a silently ignored field), and never a read-only one;
 * - responses: the fake may return only what the schema names, and never a write-only property.
 */
export interface ContractRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Flat query parameters as sent (`page[size]` stays one key); repeated keys are arrays. */
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined. */
  body?: unknown;
  contentType?: string;
  /** Bytes of the body as sent, for operations that take raw bytes (uploads). */
  rawLength?: number;
  /** The body as sent, for checks of a multipart form. */
  raw?: Buffer;
}

export interface MatchedOperation {
  /** The description it comes from (its info.title). */
  source: string;
  operationId: string;
  method: string;
  path: string;
  operation: Operation;
}

/**
 * Rules an API reference states in words that JSON Schema cannot (an operation's `x-checks`):
 * - `atLeastOneOf: [names]`: at least one of these query parameters;
 * - `rawBody: true`: the body is the file's bytes, not empty, with a Content-Type;
 * - `notBoth: [a, b]`: two parameters that exclude each other;
 * - `multipartFiles: {field, maxTotalBytes?}`: files come only as parts of a multipart/form-data
 *   body under `field`, together no larger than the limit;
 * - `multipartFile: name`: a multipart/form-data body with a boundary whose part `name` is a file.
 * Each names its `x-source`.
 */
interface XCheck {
  atLeastOneOf?: string[];
  rawBody?: boolean;
  notBoth?: [string, string];
  multipartFiles?: {field: string; maxTotalBytes?: number};
  multipartFile?: string;
  'x-source': string;
}

function runCheck(check: XCheck, req: ContractRequest): string | undefined {
  if (check.atLeastOneOf && !check.atLeastOneOf.some((name) => req.query[name] !== undefined && req.query[name] !== '')) {
    return `needs at least one of the query parameters ${check.atLeastOneOf.join(', ')}`;
  }
  if (check.rawBody) {
    if (!req.rawLength) return 'needs the file\'s bytes as the body';
    if (!req.contentType) return 'needs a Content-Type for the uploaded bytes';
    if (/^multipart\//i.test(req.contentType)) return 'takes the raw bytes, not a multipart form (it would store the form as the file)';
  }
  if (check.notBoth && check.notBoth.every((name) => req.query[name] !== undefined)) return `takes ${check.notBoth.join(' or ')}, not both`;
  if (check.multipartFiles) {
    const files = (req.body as Record<string, unknown> | undefined)?.[check.multipartFiles.field];
    if (files !== undefined && !/^multipart\/form-data/i.test(req.contentType ?? '')) return `takes ${check.multipartFiles.field} only as file parts of a multipart/form-data body`;
    const total = Array.isArray(files) ? files.reduce((n: number, f) => n + Number((f as {size?: unknown}).size ?? 0), 0) : 0;
    if (check.multipartFiles.maxTotalBytes !== undefined && total > check.multipartFiles.maxTotalBytes) return `takes at most ${check.multipartFiles.maxTotalBytes} bytes of attachments, not ${total}`;
  }
  if (check.multipartFile) {
    const boundary = /^multipart\/form-data;.*\bboundary="?([^";]+)"?/i.exec(req.contentType ?? '')?.[1];
    if (!boundary) return 'takes a multipart/form-data body with a boundary';
    const head = (req.raw ?? Buffer.alloc(0)).subarray(0, 4096).toString('latin1');
    const part = new RegExp(`--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r\nContent-Disposition: form-data; name="${check.multipartFile}"; filename="[^"\r\n]*"`, 'i');
    if (!part.test(head)) return `needs the file as the multipart part "${check.multipartFile}" (with a filename)`;
  }
  return undefined;
}

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function dereference(node: unknown, root: Json, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((n) => dereference(n, root, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as {$ref?: unknown}).$ref;
  if (typeof ref === 'string') {
    if (seen.includes(ref)) throw new Error(`circular reference ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`${ref} points at nothing`);
    return dereference(target, root, [...seen, ref]);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) out[key] = dereference(value, root, seen);
  return out;
}

/**
 * The request or the response view of a schema: objects that list their properties accept no
 * others (unless the schema says what others may be), and read-only properties are gone from
 * requests, write-only ones from responses. Objects inside allOf/anyOf/oneOf are left open,
 * since closing one branch would refuse the properties of the others.
 */
function view(schema: unknown, side: 'request' | 'response', inComposition = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => view(s, side, inComposition));
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') out[key] = (value as unknown[]).map((v) => view(v, side, true));
    else if (key === 'properties') {
      const props: Json = {};
      for (const [name, prop] of Object.entries(value as Json)) {
        const p = prop as Json;
        if (side === 'request' && p?.readOnly === true) continue;
        if (side === 'response' && p?.writeOnly === true) continue;
        props[name] = view(prop, side);
      }
      out.properties = props;
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') out[key] = view(value, side);
    else out[key] = value;
  }
  if (out.properties && out.additionalProperties === undefined && !inComposition && !s.allOf && !s.anyOf && !s.oneOf) out.additionalProperties = false;
  if (Array.isArray(out.required) && out.properties) out.required = (out.required as string[]).filter((r) => r in (out.properties as Json));
  // OpenAPI 3.0's `nullable: true` adds null to the allowed values, an enum's too (GitHub's
  // state_reason is null while an issue is open); ajv reads an enum as the whole list.
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  // OpenAPI 3.0's `nullable` beside a oneOf and no type (GitHub writes it so): what it means, null or one of them.
  if (out.nullable === true && out.type === undefined) {
    const {nullable: _nullable, description, ...rest} = out;
    return {...(description === undefined ? {} : {description}), anyOf: [rest, {type: 'null'}]};
  }
  return out;
}

function viewDocument(doc: Json, side: 'request' | 'response'): Json {
  const paths: Json = {};
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const outItem: Json = {};
    for (const [key, value] of Object.entries(item)) {
      if (!METHODS.includes(key)) {
        outItem[key] = value;
        continue;
      }
      const op = {...(value as Json)};
      if (side === 'request' && op.requestBody) {
        const body = op.requestBody as {content: Record<string, {schema?: unknown}>};
        op.requestBody = {...body, content: Object.fromEntries(Object.entries(body.content).map(([type, media]) => [type, {...media, schema: view(media.schema, 'request')}]))};
      }
      if (side === 'response' && op.responses) {
        op.responses = Object.fromEntries(
          Object.entries(op.responses as Record<string, Json>).map(([status, response]) => {
            const content = response.content as Record<string, {schema?: unknown}> | undefined;
            if (!content) return [status, response];
            return [status, {...response, content: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, {...media, schema: view(media.schema, 'response')}]))}];
          }),
        );
      }
      outItem[key] = op;
    }
    paths[path] = outItem;
  }
  return {...doc, paths};
}

interface Loaded {
  title: string;
  requests: OpenAPIBackend;
  responses: OpenAPIBackend;
}

const describeErrors = (errors: {instancePath?: string; message?: string; params?: Record<string, unknown>}[] | null | undefined) =>
  (errors ?? []).map((e) => {
    const extra = e.params?.additionalProperty ? ` (${String(e.params.additionalProperty)})` : e.params?.allowedValues ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });

export class Contract {
  private constructor(private readonly loaded: Loaded[]) {}

  /**
   * Loads descriptions (OpenAPI 3.0 or 3.1 objects, $refs local). Each is checked as an OpenAPI
   * document first: a description that is not one would make every check meaningless.
   */
  static async load(descriptions: Json[]): Promise<Contract> {
    const loaded: Loaded[] = [];
    for (const document of descriptions) {
      // Validated as an OpenAPI document (openapi-backend's strict init), then compiled as two views.
      const validated = new OpenAPIBackend({definition: structuredClone(document) as Document, strict: true, validate: false, quick: false});
      await validated.init();
      const plain = dereference(document, document) as Json;
      const make = async (side: 'request' | 'response') => {
        const api = new OpenAPIBackend({
          definition: viewDocument(plain, side) as Document,
          strict: true,
          quick: true,
          coerceTypes: true,
          ajvOpts: {strict: false, strictSchema: false, validateFormats: true, allErrors: true, logger: false},
          customizeAjv: withFormats,
        });
        await api.init();
        return api;
      };
      loaded.push({title: String((document.info as Json).title), requests: await make('request'), responses: await make('response')});
    }
    return new Contract(loaded);
  }

  match(method: string, path: string): MatchedOperation | undefined {
    for (const l of this.loaded) {
      const op = l.requests.router.matchOperation({method: method.toLowerCase(), path, headers: {}});
      if (op?.operationId) return {source: l.title, operationId: op.operationId, method: op.method, path: op.path, operation: op};
    }
    return undefined;
  }

  /** What is wrong with a request, or [] when the description allows it. */
  checkRequest(req: ContractRequest): {operation?: MatchedOperation; violations: string[]} {
    const where = `${req.method.toUpperCase()} ${req.path}`;
    const operation = this.match(req.method, req.path);
    if (!operation) return {violations: [`${where}: no such operation in the description`]};
    const api = this.loaded.find((l) => l.title === operation.source)!.requests;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const result = api.validator.validateRequest(
      {method: req.method.toLowerCase(), path: req.path, query: structuredClone(req.query), headers, body: req.body as never},
      api.router.getOperation(operation.operationId)!,
    );
    const violations = result.valid ? [] : describeErrors(result.errors).map((e) => `${where} (${operation.operationId}): ${e}`);
    const declared = operation.operation.requestBody as {content?: Record<string, unknown>} | undefined;
    if (req.body !== undefined && !declared && req.contentType?.includes('json')) violations.push(`${where} (${operation.operationId}): a JSON body where the operation takes none`);
    for (const check of ((operation.operation as Json)['x-checks'] ?? []) as XCheck[]) {
      const broken = runCheck(check, req);
      if (broken) violations.push(`${where} (${operation.operationId}): ${broken} [${check['x-source']}]`);
    }
    return {operation, violations};
  }

  /** What is wrong with a response to `operation`, or [] when it is one the description declares. */
  checkResponse(operation: MatchedOperation, status: number, contentType: string, body: unknown): string[] {
    const where = `${operation.method.toUpperCase()} ${operation.path} ${status} (${operation.operationId})`;
    const api = this.loaded.find((l) => l.title === operation.source)!.responses;
    const op = api.router.getOperation(operation.operationId)!;
    const responses = (op.responses ?? {}) as Record<string, {content?: Record<string, unknown>}>;
    const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!declared) return [`${where}: status not declared (${Object.keys(responses).join(', ')})`];
    if (!declared.content) return body === undefined ? [] : [`${where}: a body where none is declared`];
    const media = contentType.split(';')[0]!.trim();
    if (!declared.content[media]) return [`${where}: content type ${media || '(none)'} not declared (${Object.keys(declared.content).join(', ')})`];
    if (!/json/.test(media)) return [];
    const result = api.validator.validateResponse(body, op, status);
    return result.valid ? [] : describeErrors(result.errors).map((e) => `${where}: ${e}`);
  }
}
