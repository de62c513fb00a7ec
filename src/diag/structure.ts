/**
 * Structure-aware secret finding: a file in a structured format is parsed by a library made
 * for that format, the values that sit under secret-sounding keys (at any depth, in env lists
 * of name/value pairs, in Kubernetes Secrets, in XML entries) are found with their positions,
 * and the scrubber replaces exactly those bytes in the original text. Nothing else of the file
 * changes: support needs the customer's config as it was, less its secrets.
 *
 * This module is heavy (five parsers) and imported lazily by the scrubber, only for diag.
 * Every parser here runs on latin1 strings (one char per byte), so offsets are byte offsets.
 */
import {createScanner, parseTree, visit, type JSONScanner, type Node as JsonNode} from 'jsonc-parser';
import {Properties} from 'properties-file/parser';
import {SaxesParser} from 'saxes';
import {parseTOML} from 'toml-eslint-parser';
import {isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Scalar} from 'yaml';

import {classifySecretName, PEM_BEGIN, REDACTED, SECRET_NAME_HINT, type SecretName, shapeOf, shouldRedactValue} from './rules.js';

export type StructuredFormat = 'json' | 'yaml' | 'toml' | 'properties' | 'xml';

/** One value to replace: [start, end) of the text, or only its `value` wherever it occurs (start -1). */
export interface Redaction {
  start: number;
  end: number;
  replacement: string;
  rule: string;
  /** The value as the format means it (unescaped), so that other copies in the file can be found too. */
  value: string;
}

/** Thrown by a fast reader on anything outside its subset: the library reads the text instead. */
const BAIL = new Error('outside the fast subset');

/** Every leaf is made here, so that all have one shape (V8 then reads them fast). */
function makeLeaf(value: string, start: number, end: number, verbatim: boolean, replacement?: string): SLeaf {
  return {kind: 'leaf', value, start, end, verbatim, replacement};
}

export interface SLeaf {
  kind: 'leaf';
  value: string;
  start: number;
  end: number;
  /** What the bytes become; REDACTED unless the format needs quotes (a JSON number becomes a string). */
  replacement?: string;
  /** The raw text between start and end is the value itself (no escapes, one line). */
  verbatim: boolean;
}
export interface MapEntry {
  key: string;
  value: SNode;
}
export interface SMap {
  kind: 'map';
  entries: MapEntry[];
}
export interface SSeq {
  kind: 'seq';
  items: SNode[];
}
export type SNode = SLeaf | SMap | SSeq;

/** The value of a map holding `name: DB_PASSWORD` and `value: ...` (env lists, XML entries, CloudFormation parameters). */
const PAIR_NAME_KEYS = new Set(['name', 'key', 'parameterkey', 'optionname', 'variable', 'var', 'env', '@key', '@name']);
const PAIR_VALUE_KEYS = new Set(['value', 'parametervalue', 'val', '#text', 'secretvalue', '@value']);
/** Under a secret-named parent (`credentials:`), these still describe rather than hold the secret. */
const KEEP_UNDER_SECRET = new Set([
  'name', 'id', 'type', 'kind', 'user', 'username', 'userid', 'login', 'email', 'host', 'hostname', 'port', 'url', 'uri',
  'endpoint', 'region', 'namespace', 'path', 'file', 'description', 'comment', 'label', 'apiversion', 'scheme', 'provider',
  'expires', 'expiry', 'enabled', 'version', 'optional', 'mode', 'format',
]);
const ENV_ASSIGNMENT = /^([A-Za-z_][\w.-]{0,99})=([^\n]*)$/;
const BASE64 = /^[A-Za-z0-9+/]{16,}={0,2}$/;

/** How a text is parsed: `library` takes each format's library at its slowest and fullest (the reference the fast paths are tested against). */
export interface ParseOptions {
  library?: boolean;
}

/**
 * Escapes that can make a letter or join two words into one: `\u`, `\x`, a line break after a
 * backslash, and any escape the format does not know (jsonc-parser drops `\` and the character
 * after it, so `PAS\ SWORD` reads `PASSWORD`). In .properties any character may be escaped.
 */
const LETTER_ESCAPES: Record<StructuredFormat, RegExp> = {
  json: /\\[^"\\/bfnrt]/,
  yaml: /\\[^0abt\tnvfre "/\\N_LP]/,
  toml: /\\[^btnfr"\\]/,
  properties: /\\/,
  xml: /&/,
};
const BASE64_RUN = /[A-Za-z0-9+/]{16,}/g;

/**
 * False when findStructuredSecrets() can find nothing in the text, known without parsing it.
 * Every value it redacts sits under a secret-sounding name (a key, an element or attribute, the
 * name of a name/value pair or of a `NAME=value` string, a Kubernetes Secret's `kind`), or is
 * base64 that decodes to a credential. In ASCII text without letter-making escapes every such
 * name is spelled out, and SECRET_NAME_HINT finds its words; such base64 is a whole run of
 * base64 characters. A property test holds this to the parsers: when this says no, they find nothing.
 *
 * The fast readers cost less than this test, so it guards only the slow ones: a YAML stream's
 * documents outside the fast subset, TOML outside it, broken JSON.
 */
export function mayHoldStructuredSecrets(format: StructuredFormat, text: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (SECRET_NAME_HINT.test(text) || /[^\x00-\x7f]/.test(text) || LETTER_ESCAPES[format].test(text)) return true;
  BASE64_RUN.lastIndex = 0;
  for (let m = BASE64_RUN.exec(text); m; m = BASE64_RUN.exec(text)) {
    const after = BASE64_RUN.lastIndex;
    for (let pad = 0; pad <= 2; pad++) {
      if (pad > 0 && text[after + pad - 1] !== '=') break;
      if (decodesToCredential(text.slice(m.index, after + pad))) return true;
    }
  }
  return false;
}

/** Finds the secret values of a structured text. Returns [] when the text does not parse at all. */
export function findStructuredSecrets(format: StructuredFormat, text: string, options: ParseOptions = {}): Redaction[] {
  let roots: SNode[];
  try {
    roots = buildRoots(format, text, options);
  } catch {
    return [];
  }
  const out: Redaction[] = [];
  for (const root of roots) judge(root, undefined, out, options);
  return out.filter((r) => r.start === -1 || (r.start >= 0 && r.end <= text.length && r.start < r.end));
}

/** The JSON value starting at `from` in one line of text (JSON Lines, a JSON object in a log line). */
export function findJsonSecrets(text: string, from: number, options: ParseOptions = {}): Redaction[] {
  const root = jsonRoot(from === 0 ? text : text.slice(from), from, options);
  if (!root) return [];
  const out: Redaction[] = [];
  judge(root, undefined, out, options);
  return out;
}

function buildRoots(format: StructuredFormat, text: string, options: ParseOptions): SNode[] {
  switch (format) {
    case 'json': {
      const root = jsonRoot(text, 0, options);
      return root ? [root] : [];
    }
    case 'yaml':
      return fromYaml(text, options);
    case 'toml':
      return [fromToml(text, options)];
    case 'properties':
      return [fromProperties(text)];
    case 'xml':
      return fromXml(text, options);
  }
}

// ---------------------------------------------------------------------------------------
// Judging: one set of rules for every format.

function judge(node: SNode | undefined, inherited: SecretName | undefined, out: Redaction[], options: ParseOptions): void {
  if (!node) return;
  if (node.kind === 'leaf') {
    if (inherited) redactLeaf(node, inherited, out);
    else judgeFreeLeaf(node, out, options);
    return;
  }
  if (node.kind === 'seq') {
    for (const item of node.items) {
      if (item.kind === 'leaf' && !inherited && judgeAssignment(item, out)) continue;
      judge(item, inherited, out, options);
    }
    return;
  }
  // One pass for what the siblings say: the first `kind`, the name of a name/value pair.
  const entries = node.entries;
  const infos = entries.map((e) => keyInfo(e.key));
  let kind: SNode | undefined;
  let nameEntry: MapEntry | undefined;
  for (let i = 0; i < entries.length; i++) {
    const info = infos[i]!;
    if (kind === undefined && info.lower === 'kind') kind = entries[i]!.value;
    if (nameEntry === undefined && info.pairName && entries[i]!.value.kind === 'leaf') nameEntry = entries[i];
  }
  const kubernetesSecret = kind?.kind === 'leaf' && kind.value === 'Secret';
  let valueEntry: MapEntry | undefined;
  if (nameEntry) for (let i = 0; i < entries.length && !valueEntry; i++) if (entries[i] !== nameEntry && infos[i]!.pairValue) valueEntry = entries[i];
  const pairName = valueEntry && nameEntry?.value.kind === 'leaf' ? classifySecretName(nameEntry.value.value) : undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const info = infos[i]!;
    if (kubernetesSecret && (info.lower === 'data' || info.lower === 'stringdata')) {
      judge(entry.value, KUBERNETES_SECRET, out, options);
      continue;
    }
    if (entry === valueEntry && pairName) {
      judge(entry.value, pairName, out, options);
      continue;
    }
    if (info.name) judge(entry.value, info.name, out, options);
    else if (inherited && !info.keep) judge(entry.value, inherited, out, options);
    else judge(entry.value, undefined, out, options);
  }
}

interface KeyInfo {
  lower: string;
  name: SecretName | undefined;
  pairName: boolean;
  pairValue: boolean;
  keep: boolean;
}
/** What a key says, worked out once per distinct key: files repeat the same few keys thousands of times. */
const keyInfos = new Map<string, KeyInfo>();
function keyInfo(key: string): KeyInfo {
  let info = keyInfos.get(key);
  if (!info) {
    const lower = key.toLowerCase();
    info = {lower, name: classifySecretName(key), pairName: PAIR_NAME_KEYS.has(lower), pairValue: PAIR_VALUE_KEYS.has(lower), keep: KEEP_UNDER_SECRET.has(lower)};
    if (keyInfos.size >= 10_000) keyInfos.clear();
    keyInfos.set(key, info);
  }
  return info;
}

const KUBERNETES_SECRET: SecretName = {strength: 'strong', ruleId: 'kubernetes-secret'};

function redactLeaf(leaf: SLeaf, name: SecretName, out: Redaction[]): void {
  if (!shouldRedactValue(name, leaf.value) && !(name.strength === 'weak' && decodesToCredential(leaf.value))) return;
  const rule = name.ruleId === 'secret-key-name' || name.ruleId === 'high-entropy-value' ? (shapeOf(leaf.value) ?? name.ruleId) : name.ruleId;
  out.push({start: leaf.start, end: leaf.end, replacement: leaf.replacement ?? REDACTED, rule, value: leaf.value});
}

/** A leaf under no secret name: `NAME=value` strings, base64 that hides a credential, JSON inside a string. */
function judgeFreeLeaf(leaf: SLeaf, out: Redaction[], options: ParseOptions): void {
  if (judgeAssignment(leaf, out)) return;
  const value = leaf.value;
  if (value.length >= 16 && BASE64.test(value) && decodesToCredential(value)) {
    out.push({start: leaf.start, end: leaf.end, replacement: leaf.replacement ?? REDACTED, rule: 'high-entropy-value', value});
    return;
  }
  const first = value.trimStart()[0];
  if ((first === '{' || first === '[') && value.length < 1024 * 1024 && value.includes('"')) {
    // JSON kept as a string inside JSON or YAML: its secrets are found, then removed wherever they occur.
    for (const inner of findJsonSecrets(value, 0, options)) out.push({...inner, start: -1, end: -1});
  }
}

/** `DB_PASSWORD=value` as one string (Docker's "Env": [...], compose environment lists). */
function judgeAssignment(leaf: SLeaf, out: Redaction[]): boolean {
  if (!leaf.value.includes('=')) return false;
  const match = ENV_ASSIGNMENT.exec(leaf.value);
  if (!match) return false;
  const name = classifySecretName(match[1]!);
  const value = match[2]!;
  if (!name || !shouldRedactValue(name, value)) return false;
  const skip = match[1]!.length + 1;
  if (leaf.verbatim) out.push({start: leaf.start + skip, end: leaf.end, replacement: REDACTED, rule: name.ruleId, value});
  else out.push({start: leaf.start, end: leaf.end, replacement: leaf.replacement ?? REDACTED, rule: name.ruleId, value: leaf.value});
  return true;
}

/** Base64 of `user:password` (Docker's auth, Basic credentials) or of a private key. */
function decodesToCredential(value: string): boolean {
  if (!BASE64.test(value)) return false;
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f\x7f-\xff]/.test(decoded)) return false;
  return /^[^\s:]{1,256}:\S{1,256}$/.test(decoded) || PEM_BEGIN.test(decoded);
}

// ---------------------------------------------------------------------------------------
// JSON (jsonc-parser: error-tolerant, with the offset of every value). Its event API builds
// our tree directly, as its parseTree() would but without a node and a parent link per value:
// four times as fast. The tree is the same, broken input included (a property test says so).

interface JsonFrame {
  node: SMap | SSeq;
  /** A property whose value has not come yet. */
  key: string | undefined;
}

function jsonRoot(text: string, shift: number, options: ParseOptions): SNode | undefined {
  if (options.library) {
    const tree = parseTree(text, [], {allowTrailingComma: true});
    return tree ? fromJson(tree, text, shift) : undefined;
  }
  try {
    return wellFormedJson(text, shift);
  } catch (error) {
    if (error !== BAIL) throw error;
  }
  if (!mayHoldStructuredSecrets('json', text)) return undefined;
  let root: SNode | undefined;
  let done = false;
  const frames: JsonFrame[] = [];
  const attach = (value: SNode) => {
    const frame = frames.at(-1);
    if (!frame) {
      if (!done) root = value;
      done = true;
    } else if (frame.node.kind === 'seq') frame.node.items.push(value);
    else if (frame.key !== undefined) {
      frame.node.entries.push({key: frame.key, value});
      frame.key = undefined;
    }
  };
  const open = (node: SMap | SSeq) => {
    attach(node);
    frames.push({node, key: undefined});
  };
  visit(
    text,
    {
      onObjectBegin: () => open({kind: 'map', entries: []}),
      onArrayBegin: () => open({kind: 'seq', items: []}),
      onObjectEnd: () => void frames.pop(),
      onArrayEnd: () => void frames.pop(),
      onObjectProperty: (name: string) => {
        const frame = frames.at(-1);
        if (frame) frame.key = name;
      },
      // A comma ends a property that had no value: parseTree drops it, and so do we.
      onSeparator: (separator: string) => {
        const frame = frames.at(-1);
        if (separator === ',' && frame) frame.key = undefined;
      },
      onLiteralValue: (value: unknown, offset: number, length: number) => attach(jsonLiteral(value, offset, length, text, shift)),
    },
    {allowTrailingComma: true},
  );
  return root;
}

/** jsonc-parser's token kinds (its SyntaxKind, a const enum that isolated modules cannot read). */
const TOKEN = {openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, comma: 5, colon: 6, null: 7, true: 8, false: 9, string: 10, number: 11, eof: 17} as const;

/**
 * Well-formed JSON (comments and trailing commas allowed), read straight from jsonc-parser's
 * scanner: twice as fast again as its events. On anything else it throws BAIL, and the event
 * reader, which mends broken JSON as parseTree() does, takes over.
 */
function wellFormedJson(text: string, shift: number): SNode {
  const scanner: JSONScanner = createScanner(text, true);
  const next = (): number => {
    const token: number = scanner.scan();
    if (scanner.getTokenError() !== 0) throw BAIL;
    return token;
  };
  let token: number = next();
  const value = (): SNode => {
    switch (token) {
      case TOKEN.openBrace: {
        const entries: MapEntry[] = [];
        token = next();
        while (token !== TOKEN.closeBrace) {
          if (token !== TOKEN.string) throw BAIL;
          const key = scanner.getTokenValue();
          if (next() !== TOKEN.colon) throw BAIL;
          token = next();
          entries.push({key, value: value()});
          if (token === TOKEN.comma) token = next();
          else if (token !== TOKEN.closeBrace) throw BAIL;
        }
        token = next();
        return {kind: 'map', entries};
      }
      case TOKEN.openBracket: {
        const items: SNode[] = [];
        token = next();
        while (token !== TOKEN.closeBracket) {
          items.push(value());
          if (token === TOKEN.comma) token = next();
          else if (token !== TOKEN.closeBracket) throw BAIL;
        }
        token = next();
        return {kind: 'seq', items};
      }
      case TOKEN.string: {
        const offset = scanner.getTokenOffset();
        const end = offset + scanner.getTokenLength() - 1;
        const literal = scanner.getTokenValue();
        token = next();
        return makeLeaf(literal, offset + 1 + shift, end + shift, text.slice(offset + 1, end) === literal);
      }
      case TOKEN.number: {
        const offset = scanner.getTokenOffset();
        const end = offset + scanner.getTokenLength();
        if (Number.isNaN(Number(scanner.getTokenValue()))) throw BAIL;
        token = next();
        return makeLeaf(text.slice(offset, end), offset + shift, end + shift, true, `"${REDACTED}"`);
      }
      case TOKEN.null:
      case TOKEN.true:
      case TOKEN.false:
        token = next();
        return {kind: 'seq', items: []};
      default:
        throw BAIL;
    }
  };
  const root = value();
  if (token !== TOKEN.eof) throw BAIL;
  return root;
}

function jsonLiteral(value: unknown, offset: number, length: number, text: string, shift: number): SNode {
  if (typeof value === 'string') {
    const start = offset + 1;
    const end = offset + length - 1;
    return makeLeaf(value, start + shift, end + shift, text.slice(start, end) === value);
  }
  if (typeof value === 'number') {
    return makeLeaf(text.slice(offset, offset + length), offset + shift, offset + length + shift, true, `"${REDACTED}"`);
  }
  return {kind: 'seq', items: []};
}

/** The reference: the tree jsonc-parser's parseTree() gives, as it was read before jsonRoot(). */
function fromJson(node: JsonNode, text: string, shift: number): SNode {
  switch (node.type) {
    case 'object': {
      const entries: SMap['entries'] = [];
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key?.type === 'string' && value) entries.push({key: String(key.value), value: fromJson(value, text, shift)});
      }
      return {kind: 'map', entries};
    }
    case 'array':
      return {kind: 'seq', items: (node.children ?? []).map((child) => fromJson(child, text, shift))};
    case 'string': {
      const start = node.offset + 1;
      const end = node.offset + node.length - 1;
      const raw = text.slice(start, end);
      return makeLeaf(String(node.value), start + shift, end + shift, raw === node.value);
    }
    case 'number': {
      const raw = text.slice(node.offset, node.offset + node.length);
      return makeLeaf(raw, node.offset + shift, node.offset + node.length + shift, true, `"${REDACTED}"`);
    }
    default:
      return {kind: 'seq', items: []};
  }
}

// ---------------------------------------------------------------------------------------
// YAML (yaml: every document of a stream, with source ranges; tolerant of errors).
//
// Composing documents with `yaml` runs at 3 MB/s, its CST parser alone at 5: far below what a
// bundle needs. Most configuration YAML is a plain tree of block mappings and sequences with
// one-line scalars, and for that subset fastYaml() reads the lines itself, giving the same tree.
// Anything outside it (flow collections, block scalars, anchors, tags, multi-line or escaped
// scalars, odd indentation, tabs, directives) sends that document to the library; a property
// test holds the two to the same redactions.

function fromYaml(text: string, options: ParseOptions): SNode[] {
  return options.library ? libraryYaml(text, 0).roots : readYaml(text).roots;
}

/**
 * The documents of a YAML stream, each read fast or, outside the subset, by the library alone.
 * A document the library reads with an error (a quoted scalar left open, say) may run past the
 * next `---` when the stream is read whole, so from there the library reads the rest of the
 * stream in one piece. `fast` and `library` count the documents read each way (for the tests).
 */
export function readYaml(text: string): {roots: SNode[]; fast: number; library: number} {
  const docs = yamlDocuments(text);
  if (!docs) return {roots: libraryYaml(text, 0).roots, fast: 0, library: 1};
  const roots: SNode[] = [];
  let fast = 0;
  let library = 0;
  for (const [start, end] of docs) {
    try {
      const root = fastYamlDocument(text, start, end);
      if (root) roots.push(root);
      fast++;
      continue;
    } catch (error) {
      if (error !== BAIL) throw error;
    }
    // The slow reader only where it can find something: the rest of the stream names a secret.
    if (library === 0 && !mayHoldStructuredSecrets('yaml', text.slice(start))) break;
    library++;
    const alone = libraryYaml(text.slice(start, end), start);
    if (alone.clean) {
      roots.push(...alone.roots);
      continue;
    }
    roots.push(...libraryYaml(text.slice(start), start).roots);
    break;
  }
  return {roots, fast, library};
}

function libraryYaml(text: string, shift: number): {roots: SNode[]; clean: boolean} {
  const docs = parseAllDocuments(text, {uniqueKeys: false, strict: false, prettyErrors: false});
  if (!Array.isArray(docs)) return {roots: [], clean: false};
  return {
    roots: docs.map((doc) => yamlNode(doc.contents, text, shift)).filter((node): node is SNode => node !== undefined),
    clean: docs.every((doc) => doc.errors.length === 0),
  };
}

function yamlNode(node: unknown, text: string, shift: number): SNode | undefined {
  if (!node || isAlias(node)) return undefined;
  if (isMap(node)) {
    const entries: SMap['entries'] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = yamlNode(pair.value, text, shift);
      if (key !== undefined && value) entries.push({key, value});
    }
    return {kind: 'map', entries};
  }
  if (isSeq(node)) return {kind: 'seq', items: node.items.map((item) => yamlNode(item, text, shift)).filter((n): n is SNode => n !== undefined)};
  if (isScalar(node)) return yamlScalar(node, text, shift);
  return undefined;
}

function yamlScalar(node: Scalar, text: string, shift: number): SLeaf | undefined {
  const range = node.range;
  if (!range || node.value === null || typeof node.value === 'boolean') return undefined;
  const value = String(node.value);
  const [r0, r1] = range;
  switch (node.type) {
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE':
      return makeLeaf(value, r0 + 1 + shift, r1 - 1 + shift, text.slice(r0 + 1, r1 - 1) === value);
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
      const nl = text.indexOf('\n', r0);
      if (nl === -1 || nl + 1 >= r1) return undefined;
      const start = nl + 1;
      const indent = /^[ \t]*/.exec(text.slice(start, start + 200))![0];
      const newline = text[r1 - 1] === '\n' ? (text[r1 - 2] === '\r' ? '\r\n' : '\n') : '';
      return makeLeaf(value, start + shift, r1 + shift, false, `${indent}${REDACTED}${newline}`);
    }
    default: {
      const raw = text.slice(r0, r1);
      return makeLeaf(raw === value ? value : raw, r0 + shift, r1 + shift, raw === value);
    }
  }
}

/** What the core schema reads as null or a boolean: such a value is not a leaf (as yamlScalar() has it). */
const YAML_NULL_OR_BOOL = /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
/** Characters that cannot start a plain scalar (`-`, `?` and `:` can, before a non-space). */
const YAML_INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
// eslint-disable-next-line no-control-regex
const YAML_OUTSIDE_SUBSET = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;

/**
 * The documents of a stream as [start, end) offsets, each starting at its `---` line; undefined
 * when the stream has what the fast reader leaves to the library whole (directives, `...`, a
 * marker with content after it, tabs, control characters).
 */
function yamlDocuments(text: string): [number, number][] | undefined {
  if (YAML_OUTSIDE_SUBSET.test(text)) return undefined;
  const docs: [number, number][] = [];
  let start = 0;
  for (let ls = 0; ls < text.length; ) {
    let nl = text.indexOf('\n', ls);
    if (nl === -1) nl = text.length;
    const first = text.charCodeAt(ls);
    if (first === 0x25 /* % */ || text.startsWith('...', ls)) return undefined;
    if (text.startsWith('---', ls)) {
      for (let i = ls + 3; i < nl; i++) if (text[i] !== ' ' && text[i] !== '\r') return undefined;
      if (ls > start) docs.push([start, ls]);
      start = ls;
    }
    ls = nl + 1;
  }
  if (text.length > start) docs.push([start, text.length]);
  return docs;
}

/** The line the reader is on: the next one with content (blank and comment lines are skipped). */
interface YamlLine {
  /** Spaces before the content; -1 at the end of the document. */
  indent: number;
  /** Where the content starts and ends (before `\r\n`), and where the next line starts. */
  content: number;
  end: number;
  next: number;
}

/** One document of the subset, read line by line; throws BAIL on anything else. */
function fastYamlDocument(text: string, from: number, to: number): SNode | undefined {
  const line: YamlLine = {indent: -1, content: to, end: to, next: to};
  const advance = (at: number) => {
    for (let ls = at; ls < to; ) {
      let nl = text.indexOf('\n', ls);
      if (nl === -1 || nl > to) nl = to;
      let end = nl;
      if (end > ls && text.charCodeAt(end - 1) === 0x0d) end--;
      let content = ls;
      while (content < end && text.charCodeAt(content) === 0x20) content++;
      // `---` opens the document; blank and comment lines carry nothing.
      if (content < end && text[content] !== '#' && !(ls === from && text.startsWith('---', ls))) {
        line.indent = content - ls;
        line.content = content;
        line.end = end;
        line.next = nl + 1;
        return;
      }
      ls = nl + 1;
    }
    line.indent = -1;
    line.content = line.end = line.next = to;
  };
  const isSeqEntry = () => text[line.content] === '-' && (line.content + 1 === line.end || text[line.content + 1] === ' ');
  const plainStart = (p: number) => !YAML_INDICATORS.has(text[p]!) || ('-?:'.includes(text[p]!) && p + 1 < line.end && text[p + 1] !== ' ');

  /** The closing quote of a one-line quoted scalar at p (escapes and line breaks are the library's). */
  const closeQuote = (p: number): number => {
    const quote = text[p];
    for (let i = p + 1; i < line.end; i++) {
      const ch = text[i];
      if (quote === '"' && ch === '\\') throw BAIL;
      if (ch === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else return i;
      }
    }
    throw BAIL;
  };

  /** A mapping key at p: its text and where its `:` ends, or undefined if the line holds no key there. */
  const keyAt = (p: number): {key: string; after: number} | undefined => {
    const ch = text[p];
    if (ch === '"' || ch === "'") {
      const close = closeQuote(p);
      let j = close + 1;
      while (j < line.end && text[j] === ' ') j++;
      if (text[j] !== ':' || (j + 1 < line.end && text[j + 1] !== ' ')) return undefined;
      const raw = text.slice(p + 1, close);
      return {key: ch === "'" ? raw.replaceAll("''", "'") : raw, after: j + 1};
    }
    if (!plainStart(p)) return undefined;
    for (let i = p; i < line.end; i++) {
      const c = text[i];
      if (c === '#' && text[i - 1] === ' ') return undefined;
      if (c === ':' && (i + 1 === line.end || text[i + 1] === ' ')) {
        if (i - p > 1024) throw BAIL;
        let end = i;
        while (text[end - 1] === ' ') end--;
        return {key: text.slice(p, end), after: i + 1};
      }
    }
    return undefined;
  };

  /** A scalar that ends on its line: quoted without escapes, or plain. */
  const inlineScalar = (p: number): SLeaf | undefined => {
    const ch = text[p];
    if (ch === '"' || ch === "'") {
      const close = closeQuote(p);
      let j = close + 1;
      while (j < line.end && text[j] === ' ') j++;
      if (j < line.end && !(text[j] === '#' && j > close + 1)) throw BAIL;
      const raw = text.slice(p + 1, close);
      const value = ch === "'" ? raw.replaceAll("''", "'") : raw;
      return makeLeaf(value, p + 1, close, raw === value);
    }
    if (!plainStart(p)) throw BAIL;
    let end = line.end;
    for (let i = p; i < line.end; i++) {
      const c = text[i];
      if (c === '#' && text[i - 1] === ' ') {
        end = i;
        break;
      }
      if (c === ':' && (i + 1 === line.end || text[i + 1] === ' ')) throw BAIL;
    }
    while (text[end - 1] === ' ') end--;
    const raw = text.slice(p, end);
    return YAML_NULL_OR_BOOL.test(raw) ? undefined : makeLeaf(raw, p, end, true);
  };

  /** The node below a key or `-` with nothing after it on its line: null if nothing is deeper. */
  const blockNode = (parent: number, sequenceAtParent: boolean): SNode | undefined => {
    if (line.indent > parent) {
      if (isSeqEntry()) return sequence(line.indent);
      const key = keyAt(line.content);
      if (key) return mapping(line.indent, key);
      throw BAIL;
    }
    if (sequenceAtParent && line.indent === parent && line.indent >= 0 && isSeqEntry()) return sequence(line.indent);
    return undefined;
  };

  const sequence = (indent: number): SSeq => {
    const items: SNode[] = [];
    while (line.indent === indent && isSeqEntry()) {
      let p = line.content + 1;
      while (p < line.end && text[p] === ' ') p++;
      let item: SNode | undefined;
      if (p === line.end || text[p] === '#') {
        advance(line.next);
        item = blockNode(indent, false);
      } else if (text[p] === '-' && (p + 1 === line.end || text[p + 1] === ' ')) {
        throw BAIL;
      } else {
        const key = keyAt(p);
        if (key) item = mapping(p - (line.content - line.indent), key);
        else {
          item = inlineScalar(p);
          advance(line.next);
        }
      }
      if (item) items.push(item);
    }
    if (line.indent > indent) throw BAIL;
    return {kind: 'seq', items};
  };

  /** A block mapping whose first key (already read) is on the current line at column `indent`. */
  const mapping = (indent: number, first: {key: string; after: number}): SMap => {
    const entries: MapEntry[] = [];
    let key: {key: string; after: number} | undefined = first;
    for (;;) {
      let p = key.after;
      while (p < line.end && text[p] === ' ') p++;
      let value: SNode | undefined;
      if (p === line.end || text[p] === '#') {
        advance(line.next);
        value = blockNode(indent, true);
      } else {
        value = inlineScalar(p);
        advance(line.next);
      }
      if (value) entries.push({key: key.key, value});
      if (line.indent !== indent) break;
      key = keyAt(line.content);
      if (!key) throw BAIL;
    }
    if (line.indent > indent) throw BAIL;
    return {kind: 'map', entries};
  };

  advance(from);
  if (line.indent === -1) return undefined;
  const root = blockNode(-1, false);
  if (line.indent !== -1) throw BAIL;
  return root;
}

// ---------------------------------------------------------------------------------------
// TOML (toml-eslint-parser: a full TOML 1.0 parser that keeps source ranges).

interface TomlKey {
  keys: {type: string; name?: string; value?: string}[];
}
interface TomlValueNode {
  type: string;
  kind?: string;
  style?: string;
  multiline?: boolean;
  value?: unknown;
  range: [number, number];
  elements?: TomlValueNode[];
  body?: TomlKeyValue[];
}
interface TomlKeyValue {
  type: 'TOMLKeyValue';
  key: TomlKey;
  value: TomlValueNode;
}
interface TomlTable {
  type: 'TOMLTable';
  resolvedKey: (string | number)[];
  body: TomlKeyValue[];
}

function fromToml(text: string, options: ParseOptions): SNode {
  return options.library ? libraryToml(text) : readToml(text).root;
}

/** A TOML file read fast or, outside the subset, by the library; `fast` says which (for the tests). */
export function readToml(text: string): {root: SNode; fast: boolean} {
  const fast = fastToml(text);
  if (fast) return {root: fast, fast: true};
  // The slow reader only where it can find something.
  return {root: mayHoldStructuredSecrets('toml', text) ? libraryToml(text) : {kind: 'map', entries: []}, fast: false};
}

function libraryToml(text: string): SNode {
  const ast = parseTOML(text) as unknown as {body: {body: (TomlKeyValue | TomlTable)[]}[]};
  const entries: SMap['entries'] = [];
  for (const item of ast.body[0]?.body ?? []) {
    if (item.type === 'TOMLKeyValue') entries.push(tomlEntry(item, text));
    else {
      const path = item.resolvedKey.filter((k): k is string => typeof k === 'string');
      let value: SNode = {kind: 'map', entries: item.body.map((kv) => tomlEntry(kv, text))};
      for (let i = path.length - 1; i > 0; i--) value = {kind: 'map', entries: [{key: path[i]!, value}]};
      entries.push({key: path[0] ?? '', value});
    }
  }
  return {kind: 'map', entries};
}

function tomlEntry(kv: TomlKeyValue, text: string): SMap['entries'][number] {
  const names = kv.key.keys.map((k) => k.name ?? k.value ?? '');
  let value: SNode = tomlValue(kv.value, text);
  for (let i = names.length - 1; i > 0; i--) value = {kind: 'map', entries: [{key: names[i]!, value}]};
  return {key: names[0] ?? '', value};
}

function tomlValue(node: TomlValueNode, text: string): SNode {
  const [r0, r1] = node.range;
  if (node.type === 'TOMLArray') return {kind: 'seq', items: (node.elements ?? []).map((e) => tomlValue(e, text))};
  if (node.type === 'TOMLInlineTable') return {kind: 'map', entries: (node.body ?? []).map((kv) => tomlEntry(kv, text))};
  if (node.kind === 'string') {
    const delim = node.multiline ? 3 : 1;
    const start = r0 + delim;
    const end = r1 - delim;
    return makeLeaf(String(node.value), start, end, text.slice(start, end) === node.value);
  }
  if (node.kind === 'integer' || node.kind === 'float') {
    return makeLeaf(text.slice(r0, r1), r0, r1, true, `"${REDACTED}"`);
  }
  return {kind: 'seq', items: []};
}

// toml-eslint-parser reads 16 MB/s. Most TOML is tables of one-line keys with strings, numbers
// and booleans; fastToml() reads that subset, with the checks that make the library refuse a
// file (a key or table defined twice, a value under a value), and gives the same tree. Anything
// else (arrays, inline tables, multi-line or escaped strings, dates, array tables, tabs) is the
// library's, whole; a property test holds the two to the same redactions.

const TOML_KEY = String.raw`(?:[A-Za-z0-9_-]+|"[^"\\\x00-\x1f\x7f]*"|'[^'\x00-\x1f\x7f]*')`;
const TOML_PATH = String.raw`${TOML_KEY}(?: *\. *${TOML_KEY})*`;
const TOML_PAIR = new RegExp(String.raw`^ *(${TOML_PATH}) *= *`);
const TOML_TABLE = new RegExp(String.raw`^ *\[ *(${TOML_PATH}) *\] *(?:#.*)?$`);
const TOML_KEY_PART = new RegExp(TOML_KEY, 'y');
const TOML_INLINE_KEY = new RegExp(String.raw`${TOML_KEY} *= *`, 'y');
const TOML_BARE_VALUE = /[^ ,\]}#\r\n]+/y;
const TOML_LINE_END = / *(?:#[^\n]*)?(?:\r?\n|$)/y;
const TOML_DIGITS = String.raw`[0-9](?:_?[0-9])*`;
const TOML_NUMBER = new RegExp(
  String.raw`^(?:[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.${TOML_DIGITS})?(?:[eE][+-]?${TOML_DIGITS})?|0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*|[+-]?(?:inf|nan))$`,
);
// eslint-disable-next-line no-control-regex
const TOML_OUTSIDE_SUBSET = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;

function tomlPath(raw: string): string[] {
  const names: string[] = [];
  TOML_KEY_PART.lastIndex = 0;
  for (let i = 0; i < raw.length; ) {
    TOML_KEY_PART.lastIndex = i;
    const key = TOML_KEY_PART.exec(raw)![0];
    names.push(key[0] === '"' || key[0] === "'" ? key.slice(1, -1) : key);
    i = TOML_KEY_PART.lastIndex;
    while (raw[i] === ' ' || raw[i] === '.') i++;
  }
  return names;
}

/**
 * A value at `at` in the text: a string without escapes, a number, a boolean, or an array or
 * inline table of them; an array may run over several lines, with comments between its items.
 * Throws BAIL on anything else (escapes, multi-line strings, dates, dotted or repeated keys in
 * an inline table, a trailing comma in one).
 */
function tomlValueAt(text: string, at: number): {node: SNode; end: number} {
  /** Spaces; in an array also line breaks and comments. */
  const skip = (from: number, lines: boolean) => {
    let i = from;
    for (;;) {
      const ch = text[i];
      if (ch === ' ') i++;
      else if (lines && (ch === '\n' || (ch === '\r' && text[i + 1] === '\n'))) i++;
      else if (lines && ch === '#') {
        const nl = text.indexOf('\n', i);
        i = nl === -1 ? text.length : nl;
      } else return i;
    }
  };
  const first = text[at];
  if (first === '"' || first === "'") {
    const close = text.indexOf(first, at + 1);
    // No closing quote, or `""` with a third quote: a multi-line string.
    if (close === -1 || (close === at + 1 && text[at + 2] === first)) throw BAIL;
    const raw = text.slice(at + 1, close);
    if (raw.includes('\n') || (first === '"' && raw.includes('\\'))) throw BAIL;
    return {node: makeLeaf(raw, at + 1, close, true), end: close + 1};
  }
  if (first === '[') {
    const items: SNode[] = [];
    let i = skip(at + 1, true);
    while (text[i] !== ']') {
      const item = tomlValueAt(text, i);
      items.push(item.node);
      i = skip(item.end, true);
      if (text[i] === ',') i = skip(i + 1, true);
      else if (text[i] !== ']') throw BAIL;
    }
    return {node: {kind: 'seq', items}, end: i + 1};
  }
  if (first === '{') {
    const entries: MapEntry[] = [];
    let i = skip(at + 1, false);
    while (text[i] !== '}') {
      TOML_INLINE_KEY.lastIndex = i;
      const key = TOML_INLINE_KEY.exec(text);
      if (!key) throw BAIL;
      const [name] = tomlPath(key[0].replace(/ *= *$/, ''));
      if (name === undefined || entries.some((e) => e.key === name)) throw BAIL;
      const value = tomlValueAt(text, TOML_INLINE_KEY.lastIndex);
      entries.push({key: name, value: value.node});
      i = skip(value.end, false);
      if (text[i] === ',') {
        i = skip(i + 1, false);
        if (text[i] === '}') throw BAIL;
      } else if (text[i] !== '}') throw BAIL;
    }
    return {node: {kind: 'map', entries}, end: i + 1};
  }
  TOML_BARE_VALUE.lastIndex = at;
  const bare = TOML_BARE_VALUE.exec(text);
  if (!bare) throw BAIL;
  const raw = bare[0];
  const end = at + raw.length;
  if (raw === 'true' || raw === 'false') return {node: {kind: 'seq', items: []}, end};
  if (!TOML_NUMBER.test(raw)) throw BAIL;
  return {node: makeLeaf(raw, at, end, true, `"${REDACTED}"`), end};
}

/** The subset of TOML described above, or undefined for the library to read. */
/**
 * What a key path names so far, for the checks that make the library refuse a file: a value
 * (nothing may go under it or replace it), a table opened by a header, a table made by dotted
 * keys, or a table only implied by a longer header.
 */
interface TomlName {
  kind: 'value' | 'table' | 'dotted' | 'implied';
  under: Map<string, TomlName>;
}

function fastToml(text: string): SNode | undefined {
  if (TOML_OUTSIDE_SUBSET.test(text)) return undefined;
  const root: MapEntry[] = [];
  let table: MapEntry[] = root;
  const top: TomlName = {kind: 'table', under: new Map()};
  let current = top;
  /** The name below `from`; undefined where the library would refuse the file. */
  const define = (from: TomlName, path: string[], kind: 'value' | 'table', through: 'dotted' | 'implied'): TomlName | undefined => {
    let node = from;
    for (let i = 0; i < path.length; i++) {
      const last = i === path.length - 1;
      const next = node.under.get(path[i]!);
      if (!next) {
        const made: TomlName = {kind: last ? kind : through, under: new Map()};
        node.under.set(path[i]!, made);
        node = made;
      } else if (last) {
        // Only a table that a longer header implied may be opened by its own header.
        if (!(kind === 'table' && next.kind === 'implied')) return undefined;
        next.kind = 'table';
        node = next;
      } else if (next.kind === through || (through === 'implied' && next.kind === 'table')) node = next;
      else return undefined;
    }
    return node;
  };
  for (let ls = 0; ls < text.length; ) {
    let nl = text.indexOf('\n', ls);
    if (nl === -1) nl = text.length;
    const end = nl > ls && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    let content = ls;
    while (content < end && text.charCodeAt(content) === 0x20) content++;
    if (content < end && text[content] !== '#') {
      const line = text.slice(ls, end);
      if (text[content] === '[') {
        const header = TOML_TABLE.exec(line);
        if (!header) return undefined;
        const path = tomlPath(header[1]!);
        const named = define(top, path, 'table', 'implied');
        if (!named) return undefined;
        current = named;
        table = [];
        let value: SNode = {kind: 'map', entries: table};
        for (let i = path.length - 1; i > 0; i--) value = {kind: 'map', entries: [{key: path[i]!, value}]};
        root.push({key: path[0]!, value});
      } else {
        const pair = TOML_PAIR.exec(line);
        if (!pair) return undefined;
        const names = tomlPath(pair[1]!);
        if (!define(current, names, 'value', 'dotted')) return undefined;
        let read: {node: SNode; end: number};
        try {
          read = tomlValueAt(text, ls + pair[0].length);
        } catch (error) {
          if (error !== BAIL) throw error;
          return undefined;
        }
        // After the value, only a comment on the line where it ends; the next line is read next.
        TOML_LINE_END.lastIndex = read.end;
        if (!TOML_LINE_END.exec(text)) return undefined;
        nl = TOML_LINE_END.lastIndex - 1;
        let value: SNode = read.node;
        for (let i = names.length - 1; i > 0; i--) value = {kind: 'map', entries: [{key: names[i]!, value}]};
        table.push({key: names[0]!, value});
      }
    }
    ls = nl + 1;
  }
  return {kind: 'map', entries: root};
}

// ---------------------------------------------------------------------------------------
// Java .properties (properties-file: escapes, continuation lines, the three separators).

function fromProperties(text: string): SNode {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const entries: SMap['entries'] = [];
  for (const node of new Properties(text).getProperties()) {
    const first = node.rawLines[0] ?? '';
    const head = node.leadingWhitespace.length + node.escapedKey.length + node.separatorLeading.length + (node.separatorChar ? 1 : 0) + node.separatorTrailing.length;
    const firstPart = first.slice(head).replace(/\r$/, '');
    if (!node.escapedValue.startsWith(firstPart.replace(/\\$/, ''))) continue;
    const lineStart = lineStarts[node.startingLineNumber - 1];
    const lastStart = lineStarts[node.endingLineNumber - 1];
    if (lineStart === undefined || lastStart === undefined) continue;
    const lastRaw = (node.rawLines.at(-1) ?? '').replace(/\r$/, '');
    const start = lineStart + head;
    const end = lastStart + lastRaw.length;
    if (end <= start) continue;
    entries.push({key: node.key, value: makeLeaf(node.value, start, end, node.rawLines.length === 1 && firstPart === node.value)});
  }
  return {kind: 'map', entries};
}

// ---------------------------------------------------------------------------------------
// XML (saxes: a conforming streaming parser that reports the position after each event).

export interface XmlElement {
  name: string;
  attributes: {name: string; value: string; start: number; end: number}[];
  children: XmlElement[];
  openEnd: number;
  closeStart?: number;
}

const ATTRIBUTE = /([^\s=/<>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function fromXml(text: string, options: ParseOptions): SNode[] {
  const root = options.library ? saxesXml(text) : readXml(text).root;
  return [{kind: 'map', entries: root.children.map((child) => ({key: localName(child.name), value: xmlNode(child, text)}))}];
}

/** An XML file read fast or, outside the subset, by saxes; `fast` says which (for the tests). */
export function readXml(text: string): {root: XmlElement; fast: boolean} {
  const fast = fastXml(text);
  return fast ? {root: fast, fast: true} : {root: saxesXml(text), fast: false};
}

/** The elements saxes reports, with where each tag ends and its closing tag starts. */
function saxesXml(text: string): XmlElement {
  const parser = new SaxesParser({position: true});
  const root: XmlElement = {name: '#document', attributes: [], children: [], openEnd: 0};
  const stack: XmlElement[] = [root];
  parser.on('opentag', (tag) => {
    const end = parser.position;
    const start = text.lastIndexOf('<', end - 1);
    const attributes: XmlElement['attributes'] = [];
    // Most elements have no attributes: then the tag's text is not read again.
    const raw = hasAttributes(tag.attributes) ? text.slice(start, end) : '';
    ATTRIBUTE.lastIndex = 0;
    for (let m = ATTRIBUTE.exec(raw); m; m = ATTRIBUTE.exec(raw)) {
      const value = m[2] ?? m[3] ?? '';
      const valueStart = start + m.index + m[0].length - value.length - 1;
      attributes.push({name: m[1]!, value, start: valueStart, end: valueStart + value.length});
    }
    const element: XmlElement = {name: tag.name, attributes, children: [], openEnd: end};
    stack.at(-1)!.children.push(element);
    if (!tag.isSelfClosing) stack.push(element);
  });
  parser.on('closetag', (tag) => {
    if (tag.isSelfClosing) return;
    const element = stack.at(-1);
    if (!element || element === root || element.name !== tag.name) return;
    element.closeStart = text.lastIndexOf('</', parser.position - 1);
    stack.pop();
  });
  // A broken or cut file: what was read before the fault still counts, and the line rules see the rest.
  parser.on('error', () => undefined);
  parser.write(text).close();
  return root;
}

/** Whether a tag has attributes, read as saxes reads them (what is not one sends the file to saxes). */
function tagAttributes(tag: string): boolean {
  if (!/\S/.test(tag)) return false;
  XML_ATTRIBUTES.lastIndex = 0;
  const names = new Set<string>();
  let at = 0;
  for (let m = XML_ATTRIBUTES.exec(tag); m; m = XML_ATTRIBUTES.exec(tag)) {
    if (m.index !== at || names.has(m[1]!)) throw BAIL;
    names.add(m[1]!);
    at = XML_ATTRIBUTES.lastIndex;
  }
  if (/\S/.test(tag.slice(at))) throw BAIL;
  return names.size > 0;
}

// The subset fastXml() reads: names of ASCII letters, attributes quoted without `&` or `<`, text
// without `&`, comments and processing instructions; no DTD, CDATA, entities or character references.
const XML_TOKEN = /<(\/?)([A-Za-z_][\w.:-]*)([^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*)>|<!--(?:[^-]|-(?!-))*-->|<\?[A-Za-z][^?]*(?:\?(?!>)[^?]*)*\?>|[^<&]+/y;
const XML_ATTRIBUTES = /[ \t\r\n]+([A-Za-z_][\w.:-]*)[ \t\r\n]*=[ \t\r\n]*(?:"[^"<&]*"|'[^'<&]*')/g;
// eslint-disable-next-line no-control-regex
const XML_OUTSIDE_SUBSET = /[\x00-\x08\x0b\x0c\x0e-\x1f]|]]>/;

/**
 * saxes reads 120 MB/s and its events need the tag's text read again; most configuration XML
 * is plain elements, attributes and text, which one sticky regex splits as fast as the text can
 * be read. The tree is the one saxesXml() builds; anything else (or a file that is not well
 * formed) returns undefined and goes to saxes. A property test holds the two to the same redactions.
 */
function fastXml(text: string): XmlElement | undefined {
  if (XML_OUTSIDE_SUBSET.test(text)) return undefined;
  const root: XmlElement = {name: '#document', attributes: [], children: [], openEnd: 0};
  const stack: XmlElement[] = [root];
  let closedRoot = false;
  try {
    for (let at = 0; at < text.length; ) {
      XML_TOKEN.lastIndex = at;
      const m = XML_TOKEN.exec(text);
      if (!m) return undefined;
      const end = XML_TOKEN.lastIndex;
      const parent = stack.at(-1)!;
      if (m[2] !== undefined) {
        const closing = m[1] === '/';
        const rest = m[3]!;
        const selfClosing = rest.endsWith('/');
        if (closing) {
          if (selfClosing || /\S/.test(rest) || parent === root || parent.name !== m[2]) return undefined;
          parent.closeStart = m.index;
          stack.pop();
          if (stack.length === 1) closedRoot = true;
        } else {
          if (closedRoot || (parent === root && root.children.length > 0)) return undefined;
          const attributes: XmlElement['attributes'] = [];
          if (tagAttributes(selfClosing ? rest.slice(0, -1) : rest)) {
            const raw = text.slice(m.index, end);
            ATTRIBUTE.lastIndex = 0;
            for (let a = ATTRIBUTE.exec(raw); a; a = ATTRIBUTE.exec(raw)) {
              const value = a[2] ?? a[3] ?? '';
              const valueStart = m.index + a.index + a[0].length - value.length - 1;
              attributes.push({name: a[1]!, value, start: valueStart, end: valueStart + value.length});
            }
          }
          const element: XmlElement = {name: m[2], attributes, children: [], openEnd: end};
          parent.children.push(element);
          if (!selfClosing) stack.push(element);
          else if (parent === root) closedRoot = true;
        }
      } else if (m[0].startsWith('<?')) {
        // The XML declaration only at the very start; other processing instructions anywhere.
        if (/^<\?xml[\s?]/i.test(m[0]) && m.index !== 0) return undefined;
      } else if (!m[0].startsWith('<!--') && stack.length === 1 && /\S/.test(m[0])) return undefined;
      at = end;
    }
  } catch (error) {
    if (error !== BAIL) throw error;
    return undefined;
  }
  return stack.length === 1 && closedRoot ? root : undefined;
}

function xmlNode(element: XmlElement, text: string): SNode {
  const entries: MapEntry[] = [];
  for (const a of element.attributes) entries.push({key: localName(a.name), value: makeLeaf(a.value, a.start, a.end, !a.value.includes('&'))});
  const children = element.children;
  if (children.length === 0) {
    const leaf = xmlText(element, text);
    if (entries.length === 0) return leaf ?? {kind: 'seq', items: []};
    if (leaf) entries.push({key: '#text', value: leaf});
    return {kind: 'map', entries};
  }
  let name = localName(children[0]!.name);
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    const next = children[i + 1];
    const nextName = next ? localName(next.name) : '';
    // plist and key/value lists: <key>Password</key><string>...</string>
    if (isKey(name) && child.children.length === 0 && next && !isKey(nextName)) {
      const keyText = xmlText(child, text)?.value;
      if (keyText) {
        entries.push({key: keyText, value: xmlNode(next, text)});
        i++;
        name = children[i + 1] ? localName(children[i + 1]!.name) : '';
        continue;
      }
    }
    entries.push({key: name, value: xmlNode(child, text)});
    name = nextName;
  }
  return {kind: 'map', entries};
}

const isKey = (name: string) => name.length === 3 && name.toLowerCase() === 'key';

function xmlText(element: XmlElement, text: string): SLeaf | undefined {
  if (element.closeStart === undefined || element.closeStart < element.openEnd) return undefined;
  let start = element.openEnd;
  let end = element.closeStart;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start >= end) return undefined;
  let raw = text.slice(start, end);
  if (raw.startsWith('<![CDATA[') && raw.endsWith(']]>')) {
    start += 9;
    end -= 3;
    raw = text.slice(start, end);
  } else if (raw.includes('<')) return undefined;
  return makeLeaf(raw, start, end, !raw.includes('&'));
}

/** What `\s` matches, without a regex per character. */
const isSpace = (code: number) => code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || (code > 0xff && /\s/.test(String.fromCharCode(code)));
const hasAttributes = (attributes: object) => {
  for (const _ in attributes) return true;
  return false;
};
const localName = (name: string) => (name.includes(':') ? name.slice(name.indexOf(':') + 1) : name);
