import {Ajv2020} from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import {allowedMethods, findOperation, loadSpec, responseSchema, type JsonSchema} from '../../src/server/spec.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({strict: false, allErrors: true});
addFormats(ajv);
const compiled = new Map<object, ReturnType<Ajv2020['compile']>>();

/** Response headers the protocol gives a meaning to: when the server sends one, openapi.yaml must declare it. */
const PROTOCOL_HEADERS = [
  'allow',
  'etag',
  'idempotent-replayed',
  'location',
  'ratelimit-limit',
  'ratelimit-policy',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'www-authenticate',
];

export type ResponseHeaders = Headers | Record<string, string | string[] | undefined>;

const headerNames = (headers: ResponseHeaders | undefined): string[] =>
  headers === undefined ? [] : headers instanceof Headers ? [...headers.keys()] : Object.keys(headers).filter((k) => headers[k] !== undefined);

function bodyViolations(where: string, schema: JsonSchema | undefined, media: string, body: string): string[] {
  if (!schema || !/json/.test(media)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`${where}: body is not JSON`];
  }
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(parsed)) return [];
  return [`${where}: ${ajv.errorsText(validate.errors)}`];
}

/**
 * Checks one response against openapi.yaml: the operation exists, the status is declared for
 * it, a JSON body matches the declared schema, and every protocol header sent is declared.
 * A 405 for a path of the spec is a method-not-allowed problem with Allow naming its methods.
 * Returns what is wrong, or [] when it conforms.
 */
export async function specViolations(method: string, path: string, status: number, contentType: string, body: string, headers?: ResponseHeaders): Promise<string[]> {
  const spec = await loadSpec();
  const op = findOperation(spec, method, path);
  const where = `${method} ${path.split('?')[0]} ${status}`;
  const media = contentType.split(';')[0]!.trim();
  if (!op) {
    const allowed = allowedMethods(spec, path);
    if (status !== 405 || allowed.length === 0) return [`${where}: no such operation in openapi.yaml`];
    const out = bodyViolations(where, spec.components.schemas.Problem, media, body);
    if (media !== 'application/problem+json') out.push(`${where}: content type ${media}, not application/problem+json`);
    const allow = headers instanceof Headers ? headers.get('allow') : headers?.allow;
    if (headers && String(allow ?? '') !== allowed.join(', ')) out.push(`${where}: Allow is "${String(allow ?? '')}", not "${allowed.join(', ')}"`);
    return out;
  }
  const response = op.responses[String(status)];
  if (!response) return [`${where}: status not declared for ${op.operationId}`];
  const declaredHeaders = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
  const undeclared = headerNames(headers).filter((h) => PROTOCOL_HEADERS.includes(h) && !declaredHeaders.includes(h));
  const out = undeclared.map((h) => `${where}: header ${h} not declared for ${op.operationId}`);
  if (status === 204) return body ? [...out, `${where}: 204 with a body`] : out;
  const declared = response.content ?? {};
  if (!declared[media] && !declared['*/*']) return [...out, `${where}: content type ${media} not declared (${Object.keys(declared).join(', ')})`];
  return [...out, ...bodyViolations(where, responseSchema(op, status, media), media, body)];
}
