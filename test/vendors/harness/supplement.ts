/**
 * What a vendor's API reference documents and its OpenAPI description leaves out (pagination
 * parameters shared by every list, an Idempotency-Key header, error bodies) or gets wrong (a
 * field the API answers with null that the description calls an integer). Kept in a file of its
 * own beside the cut, every entry naming its source, and applied to a copy of the cut at load
 * time: the cut stays the vendor's text, and what we added is visible in one place.
 */
export interface Supplement {
  /** Additions per operationId; `x-checks` are rules JSON Schema cannot state (see contract.ts). */
  operations?: Record<string, {parameters?: Json[]; requestBody?: Json; responses?: Record<string, Json>; 'x-checks'?: Json[]}>;
  /** Responses every operation can give (errors, rate limits). */
  allOperations?: {responses?: Record<string, Json>};
  /** Schemas the additions refer to, under #/components/schemas. */
  schemas?: Record<string, Json>;
  /**
   * Changes to schemas of the description: an `addition` documents what the reference says and
   * the schema leaves out (the cursor `meta` of a list); a `correction` is where the schema
   * contradicts what the API answers (null for an unassigned ticket's assignee_id). Each says why.
   */
  amendments?: Amendment[];
}

export interface Amendment {
  kind: 'addition' | 'correction';
  /** JSON pointer into the description, e.g. /components/schemas/TicketObject/properties/priority. */
  pointer: string;
  /** Properties to set on the object there; a null removes the property (a $ref replaced by a schema). */
  merge: Json;
  reason: string;
  'x-source': string;
}

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function requireSource(what: string, entry: Json): void {
  if (typeof entry['x-source'] !== 'string' || !entry['x-source']) throw new Error(`supplement: ${what} names no x-source`);
}

function at(doc: Json, pointer: string): Json {
  let node: unknown = doc;
  for (const part of pointer.slice(1).split('/')) {
    node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`supplement: ${pointer} points at nothing in the description`);
  }
  return node as Json;
}

/** The description with the supplement applied; the input is not changed. */
export function applySupplement(description: Json, supplement: Supplement): Json {
  const doc = structuredClone(description);
  const operations = new Map<string, Json>();
  for (const item of Object.values(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op?.operationId) operations.set(String(op.operationId), op);
    }
  }
  for (const [id, add] of Object.entries(supplement.operations ?? {})) {
    const op = operations.get(id);
    if (!op) throw new Error(`supplement: the description has no operation ${id}`);
    for (const p of add.parameters ?? []) {
      requireSource(`parameter ${String(p.name)} of ${id}`, p);
      const params = (op.parameters ??= []) as Json[];
      if (params.some((q) => q.name === p.name && q.in === p.in)) throw new Error(`supplement: ${id} already declares ${String(p.name)}`);
      params.push(p);
    }
    if (add.requestBody) {
      requireSource(`request body of ${id}`, add.requestBody);
      if (op.requestBody) throw new Error(`supplement: ${id} already declares a request body`);
      op.requestBody = add.requestBody;
    }
    for (const [status, response] of Object.entries(add.responses ?? {})) {
      requireSource(`response ${status} of ${id}`, response);
      (op.responses as Json)[status] ??= response;
    }
    for (const check of add['x-checks'] ?? []) {
      requireSource(`a check of ${id}`, check);
      ((op['x-checks'] ??= []) as Json[]).push(check);
    }
  }
  for (const op of operations.values()) {
    for (const [status, response] of Object.entries(supplement.allOperations?.responses ?? {})) {
      requireSource(`response ${status} of every operation`, response);
      (op.responses as Json)[status] ??= response;
    }
  }
  const components = (doc.components ??= {}) as Json;
  const schemas = (components.schemas ??= {}) as Json;
  for (const [name, schema] of Object.entries(supplement.schemas ?? {})) {
    if (schemas[name]) throw new Error(`supplement: the description already has a schema ${name}`);
    schemas[name] = schema;
  }
  for (const a of supplement.amendments ?? []) {
    requireSource(`the ${a.kind} of ${a.pointer}`, a as unknown as Json);
    if (!a.reason || (a.kind !== 'addition' && a.kind !== 'correction')) throw new Error(`supplement: the amendment of ${a.pointer} needs a kind and a reason`);
    const target = at(doc, a.pointer);
    for (const [key, value] of Object.entries(a.merge)) {
      if (value === null) delete target[key];
      else target[key] = value;
    }
  }
  return doc;
}
