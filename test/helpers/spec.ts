import {Ajv2020} from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import {findOperation, loadSpec, responseSchema} from '../../src/server/spec.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({strict: false, allErrors: true});
addFormats(ajv);
const compiled = new Map<object, ReturnType<Ajv2020['compile']>>();

/**
 * Checks one response against openapi.yaml: the operation exists, the status is declared for
 * it, and a JSON body matches the declared schema. Returns what is wrong, or [] when it conforms.
 */
export async function specViolations(method: string, path: string, status: number, contentType: string, body: string): Promise<string[]> {
  const spec = await loadSpec();
  const op = findOperation(spec, method, path);
  const where = `${method} ${path.split('?')[0]} ${status}`;
  if (!op) return [`${where}: no such operation in openapi.yaml`];
  if (!op.responses[String(status)]) return [`${where}: status not declared for ${op.operationId}`];
  const media = contentType.split(';')[0]!.trim();
  if (status === 204) return body ? [`${where}: 204 with a body`] : [];
  const declared = op.responses[String(status)]!.content ?? {};
  if (!declared[media] && !declared['*/*']) return [`${where}: content type ${media} not declared (${Object.keys(declared).join(', ')})`];
  const schema = responseSchema(op, status, media);
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
