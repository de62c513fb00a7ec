/**
 * What kind of text a file holds, from its name and, failing that, its first line. Light on
 * purpose: the parsers themselves live in structure.ts, loaded only when diag runs.
 */

/** Parsed whole by a library (see structure.ts). */
export type StructuredFormat = 'json' | 'yaml' | 'toml' | 'properties' | 'xml';
/** Credential files known by name, handled line by line. */
export type CredentialFormat = 'netrc' | 'pgpass' | 'htpasswd' | 'npmrc';
export type TextFormat = StructuredFormat | CredentialFormat | 'text';

const BY_EXTENSION: Record<string, TextFormat> = {
  json: 'json', jsonc: 'json', json5: 'json', har: 'json', ipynb: 'json', tfstate: 'json', geojson: 'json',
  yaml: 'yaml', yml: 'yaml',
  toml: 'toml',
  properties: 'properties',
  xml: 'xml', config: 'xml', csproj: 'xml', vbproj: 'xml', fsproj: 'xml', props: 'xml', targets: 'xml', plist: 'xml',
  pom: 'xml', jnlp: 'xml', xaml: 'xml', xsd: 'xml', wsdl: 'xml', nuspec: 'xml', jmx: 'xml', xhtml: 'xml',
  // JSON Lines are text: each line is parsed on its own as the file streams.
  jsonl: 'text', ndjson: 'text', log: 'text',
};

const BY_NAME: Record<string, TextFormat> = {
  '.netrc': 'netrc', _netrc: 'netrc', netrc: 'netrc', '.authinfo': 'netrc',
  '.pgpass': 'pgpass', 'pgpass.conf': 'pgpass',
  '.npmrc': 'npmrc', npmrc: 'npmrc',
  '.htpasswd': 'htpasswd', htpasswd: 'htpasswd', '.htdigest': 'htpasswd',
  kubeconfig: 'yaml', 'pipfile': 'toml', 'cargo.lock': 'toml', 'poetry.lock': 'toml',
};

/** The format a file's name promises, if it promises one. */
export function formatFromName(name: string | undefined): TextFormat | undefined {
  if (!name) return undefined;
  const path = name.replaceAll('\\', '/');
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const known = BY_NAME[base];
  if (known) return known;
  if (/(?:^|\/)\.kube\/config$/.test(path)) return 'yaml';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return BY_EXTENSION[base.slice(dot + 1)];
}

/**
 * The format of a text from its first line: a JSON document (but not JSON Lines, whose first
 * line is a whole value), XML, or a YAML stream. Anything else is text for the line rules.
 */
export function sniffFormat(head: string): TextFormat {
  const trimmed = head.replace(/^\ufeff|^\xef\xbb\xbf/, '').trimStart();
  const firstLine = trimmed.split('\n', 1)[0]!.trim();
  if (trimmed.startsWith('<?xml') || /^<[A-Za-z][\w:.-]*[\s>/]/.test(trimmed) || trimmed.startsWith('<!--')) return 'xml';
  if (trimmed.startsWith('{') || /^\[\s*[{["\]]/.test(trimmed)) {
    try {
      JSON.parse(firstLine);
      return 'text';
    } catch {
      return 'json';
    }
  }
  if (/^(?:---(?:\s|$)|%YAML|apiVersion:|kind:)/.test(trimmed)) return 'yaml';
  return 'text';
}
