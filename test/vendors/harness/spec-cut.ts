/**
 * Cuts a vendor's OpenAPI description down to the operations an adapter uses, with every
 * component they reference (transitively): a validator compiles the cut in a fraction of the
 * time the full file takes, and a missing operation fails loudly. Throws when the description
 * lacks an operation the adapter calls.
 */
export interface OperationRef {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
}

type Json = Record<string, unknown>;

function refsIn(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.add(value);
      else refsIn(value, out);
    }
  }
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local references can be cut: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`${ref} points at nothing`);
  return node;
}

/** Examples are documentation; a cut for validation keeps schemas, parameters and responses. */
function withoutExamples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutExamples);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'examples' || key === 'example') continue;
    out[key] = withoutExamples(value);
  }
  return out;
}

export function cutSpec(full: Json, operations: readonly OperationRef[], note: string): Json {
  const paths: Record<string, Json> = {};
  const fullPaths = full.paths as Record<string, Json>;
  for (const {method, path} of operations) {
    const item = fullPaths[path];
    if (!item?.[method]) throw new Error(`The description has no ${method.toUpperCase()} ${path}.`);
    paths[path] ??= item.parameters ? {parameters: item.parameters} : {};
    paths[path][method] = item[method];
  }
  // Keep the order of the full file, so that the cut reads like it.
  const ordered: Record<string, Json> = {};
  for (const path of Object.keys(fullPaths)) {
    if (!paths[path]) continue;
    const item: Json = {};
    for (const key of Object.keys(fullPaths[path]!)) if (key in paths[path]) item[key] = paths[path][key];
    ordered[path] = item;
  }
  const cut = withoutExamples({paths: ordered}) as Json;
  // Every component reachable from the kept operations, and from those components in turn.
  const wanted = new Set<string>();
  const queue = new Set<string>();
  refsIn(cut, queue);
  while (queue.size) {
    const [ref] = queue;
    queue.delete(ref!);
    if (wanted.has(ref!)) continue;
    wanted.add(ref!);
    refsIn(withoutExamples(resolvePointer(full, ref!)), queue);
  }
  const components: Record<string, Json> = {};
  const fullComponents = (full.components ?? {}) as Record<string, Json>;
  for (const [section, entries] of Object.entries(fullComponents)) {
    for (const name of Object.keys(entries)) {
      const ref = `#/components/${section}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!wanted.has(ref)) continue;
      (components[section] ??= {})[name] = withoutExamples(entries[name]);
    }
  }
  if (fullComponents.securitySchemes) components.securitySchemes = fullComponents.securitySchemes;
  const info = {...(full.info as Json), description: note};
  return {
    openapi: full.openapi,
    info,
    ...(full.servers ? {servers: full.servers} : {}),
    ...(full.security ? {security: full.security} : {}),
    paths: cut.paths,
    components,
  };
}
