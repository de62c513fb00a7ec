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
import {parseTree, type Node as JsonNode} from 'jsonc-parser';
import {Properties} from 'properties-file/parser';
import {SaxesParser} from 'saxes';
import {parseTOML} from 'toml-eslint-parser';
import {isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Scalar} from 'yaml';

import {classifySecretName, PEM_BEGIN, REDACTED, type SecretName, shapeOf, shouldRedactValue} from './rules.js';

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

interface SLeaf {
  kind: 'leaf';
  value: string;
  start: number;
  end: number;
  /** What the bytes become; REDACTED unless the format needs quotes (a JSON number becomes a string). */
  replacement?: string;
  /** The raw text between start and end is the value itself (no escapes, one line). */
  verbatim: boolean;
}
interface SMap {
  kind: 'map';
  entries: {key: string; value: SNode}[];
}
interface SSeq {
  kind: 'seq';
  items: SNode[];
}
type SNode = SLeaf | SMap | SSeq;

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

/** Finds the secret values of a structured text. Returns [] when the text does not parse at all. */
export function findStructuredSecrets(format: StructuredFormat, text: string): Redaction[] {
  let roots: SNode[];
  try {
    roots = buildRoots(format, text);
  } catch {
    return [];
  }
  const out: Redaction[] = [];
  for (const root of roots) judge(root, undefined, out);
  return out.filter((r) => r.start === -1 || (r.start >= 0 && r.end <= text.length && r.start < r.end));
}

/** The JSON value starting at `from` in one line of text (JSON Lines, a JSON object in a log line). */
export function findJsonSecrets(text: string, from: number): Redaction[] {
  const errors: {error: number; offset: number; length: number}[] = [];
  const tree = parseTree(from === 0 ? text : text.slice(from), errors, {allowTrailingComma: true});
  if (!tree) return [];
  const out: Redaction[] = [];
  judge(fromJson(tree, from === 0 ? text : text.slice(from), from), undefined, out);
  return out;
}

function buildRoots(format: StructuredFormat, text: string): SNode[] {
  switch (format) {
    case 'json': {
      const tree = parseTree(text, [], {allowTrailingComma: true});
      return tree ? [fromJson(tree, text, 0)] : [];
    }
    case 'yaml':
      return fromYaml(text);
    case 'toml':
      return [fromToml(text)];
    case 'properties':
      return [fromProperties(text)];
    case 'xml':
      return fromXml(text);
  }
}

// ---------------------------------------------------------------------------------------
// Judging: one set of rules for every format.

function judge(node: SNode | undefined, inherited: SecretName | undefined, out: Redaction[]): void {
  if (!node) return;
  if (node.kind === 'leaf') {
    if (inherited) redactLeaf(node, inherited, out);
    else judgeFreeLeaf(node, out);
    return;
  }
  if (node.kind === 'seq') {
    for (const item of node.items) {
      if (item.kind === 'leaf' && !inherited && judgeAssignment(item, out)) continue;
      judge(item, inherited, out);
    }
    return;
  }
  const leafText = (key: string) => {
    const entry = node.entries.find((e) => e.key.toLowerCase() === key);
    return entry?.value.kind === 'leaf' ? entry.value.value : undefined;
  };
  const kubernetesSecret = leafText('kind') === 'Secret';
  const nameEntry = node.entries.find((e) => PAIR_NAME_KEYS.has(e.key.toLowerCase()) && e.value.kind === 'leaf');
  const valueEntry = nameEntry && node.entries.find((e) => e !== nameEntry && PAIR_VALUE_KEYS.has(e.key.toLowerCase()));
  const pairName = valueEntry && nameEntry.value.kind === 'leaf' ? classifySecretName(nameEntry.value.value) : undefined;
  for (const entry of node.entries) {
    const lower = entry.key.toLowerCase();
    if (kubernetesSecret && (lower === 'data' || lower === 'stringdata')) {
      judge(entry.value, {strength: 'strong', ruleId: 'kubernetes-secret'}, out);
      continue;
    }
    if (entry === valueEntry && pairName) {
      judge(entry.value, pairName, out);
      continue;
    }
    const name = classifySecretName(entry.key);
    if (name) judge(entry.value, name, out);
    else if (inherited && !KEEP_UNDER_SECRET.has(lower)) judge(entry.value, inherited, out);
    else judge(entry.value, undefined, out);
  }
}

function redactLeaf(leaf: SLeaf, name: SecretName, out: Redaction[]): void {
  if (!shouldRedactValue(name, leaf.value) && !(name.strength === 'weak' && decodesToCredential(leaf.value))) return;
  const rule = name.ruleId === 'secret-key-name' || name.ruleId === 'high-entropy-value' ? (shapeOf(leaf.value) ?? name.ruleId) : name.ruleId;
  out.push({start: leaf.start, end: leaf.end, replacement: leaf.replacement ?? REDACTED, rule, value: leaf.value});
}

/** A leaf under no secret name: `NAME=value` strings, base64 that hides a credential, JSON inside a string. */
function judgeFreeLeaf(leaf: SLeaf, out: Redaction[]): void {
  if (judgeAssignment(leaf, out)) return;
  const value = leaf.value;
  if (value.length >= 16 && BASE64.test(value) && decodesToCredential(value)) {
    out.push({start: leaf.start, end: leaf.end, replacement: leaf.replacement ?? REDACTED, rule: 'high-entropy-value', value});
    return;
  }
  const first = value.trimStart()[0];
  if ((first === '{' || first === '[') && value.length < 1024 * 1024 && value.includes('"')) {
    // JSON kept as a string inside JSON or YAML: its secrets are found, then removed wherever they occur.
    for (const inner of findJsonSecrets(value, 0)) out.push({...inner, start: -1, end: -1});
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
// JSON (jsonc-parser: error-tolerant, with the offset of every value).

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
      return {kind: 'leaf', value: String(node.value), start: start + shift, end: end + shift, verbatim: raw === node.value};
    }
    case 'number': {
      const raw = text.slice(node.offset, node.offset + node.length);
      return {kind: 'leaf', value: raw, start: node.offset + shift, end: node.offset + node.length + shift, replacement: `"${REDACTED}"`, verbatim: true};
    }
    default:
      return {kind: 'seq', items: []};
  }
}

// ---------------------------------------------------------------------------------------
// YAML (yaml: every document of a stream, with source ranges; tolerant of errors).

function fromYaml(text: string): SNode[] {
  const docs = parseAllDocuments(text, {uniqueKeys: false, strict: false, prettyErrors: false});
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => yamlNode(doc.contents, text)).filter((node): node is SNode => node !== undefined);
}

function yamlNode(node: unknown, text: string): SNode | undefined {
  if (!node || isAlias(node)) return undefined;
  if (isMap(node)) {
    const entries: SMap['entries'] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = yamlNode(pair.value, text);
      if (key !== undefined && value) entries.push({key, value});
    }
    return {kind: 'map', entries};
  }
  if (isSeq(node)) return {kind: 'seq', items: node.items.map((item) => yamlNode(item, text)).filter((n): n is SNode => n !== undefined)};
  if (isScalar(node)) return yamlScalar(node, text);
  return undefined;
}

function yamlScalar(node: Scalar, text: string): SLeaf | undefined {
  const range = node.range;
  if (!range || node.value === null || typeof node.value === 'boolean') return undefined;
  const value = String(node.value);
  const [r0, r1] = range;
  switch (node.type) {
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE':
      return {kind: 'leaf', value, start: r0 + 1, end: r1 - 1, verbatim: text.slice(r0 + 1, r1 - 1) === value};
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
      const nl = text.indexOf('\n', r0);
      if (nl === -1 || nl + 1 >= r1) return undefined;
      const start = nl + 1;
      const indent = /^[ \t]*/.exec(text.slice(start, start + 200))![0];
      const newline = text[r1 - 1] === '\n' ? (text[r1 - 2] === '\r' ? '\r\n' : '\n') : '';
      return {kind: 'leaf', value, start, end: r1, replacement: `${indent}${REDACTED}${newline}`, verbatim: false};
    }
    default: {
      const raw = text.slice(r0, r1);
      return {kind: 'leaf', value: raw === value ? value : raw, start: r0, end: r1, verbatim: raw === value};
    }
  }
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

function fromToml(text: string): SNode {
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
    return {kind: 'leaf', value: String(node.value), start, end, verbatim: text.slice(start, end) === node.value};
  }
  if (node.kind === 'integer' || node.kind === 'float') {
    return {kind: 'leaf', value: text.slice(r0, r1), start: r0, end: r1, replacement: `"${REDACTED}"`, verbatim: true};
  }
  return {kind: 'seq', items: []};
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
    entries.push({key: node.key, value: {kind: 'leaf', value: node.value, start, end, verbatim: node.rawLines.length === 1 && firstPart === node.value}});
  }
  return {kind: 'map', entries};
}

// ---------------------------------------------------------------------------------------
// XML (saxes: a conforming streaming parser that reports the position after each event).

interface XmlElement {
  name: string;
  attributes: {name: string; value: string; start: number; end: number}[];
  children: XmlElement[];
  openEnd: number;
  closeStart?: number;
}

const ATTRIBUTE = /([^\s=/<>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function fromXml(text: string): SNode[] {
  const parser = new SaxesParser({position: true});
  const root: XmlElement = {name: '#document', attributes: [], children: [], openEnd: 0};
  const stack: XmlElement[] = [root];
  parser.on('opentag', (tag) => {
    const end = parser.position;
    const start = text.lastIndexOf('<', end - 1);
    const attributes: XmlElement['attributes'] = [];
    const raw = text.slice(start, end);
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
  return [{kind: 'map', entries: root.children.map((child) => ({key: localName(child.name), value: xmlNode(child, text)}))}];
}

function xmlNode(element: XmlElement, text: string): SNode {
  const entries: SMap['entries'] = element.attributes.map((a) => ({
    key: localName(a.name),
    value: {kind: 'leaf', value: a.value, start: a.start, end: a.end, verbatim: !a.value.includes('&')},
  }));
  if (element.children.length === 0) {
    const leaf = xmlText(element, text);
    if (entries.length === 0) return leaf ?? {kind: 'seq', items: []};
    if (leaf) entries.push({key: '#text', value: leaf});
    return {kind: 'map', entries};
  }
  const children = element.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    const next = children[i + 1];
    // plist and key/value lists: <key>Password</key><string>...</string>
    if (localName(child.name).toLowerCase() === 'key' && child.children.length === 0 && next && localName(next.name).toLowerCase() !== 'key') {
      const keyText = xmlText(child, text)?.value;
      if (keyText) {
        entries.push({key: keyText, value: xmlNode(next, text)});
        i++;
        continue;
      }
    }
    entries.push({key: localName(child.name), value: xmlNode(child, text)});
  }
  return {kind: 'map', entries};
}

function xmlText(element: XmlElement, text: string): SLeaf | undefined {
  if (element.closeStart === undefined || element.closeStart < element.openEnd) return undefined;
  let start = element.openEnd;
  let end = element.closeStart;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  if (start >= end) return undefined;
  let raw = text.slice(start, end);
  if (raw.startsWith('<![CDATA[') && raw.endsWith(']]>')) {
    start += 9;
    end -= 3;
    raw = text.slice(start, end);
  } else if (raw.includes('<')) return undefined;
  return {kind: 'leaf', value: raw, start, end, verbatim: !raw.includes('&')};
}

const localName = (name: string) => (name.includes(':') ? name.slice(name.indexOf(':') + 1) : name);
