import fc from 'fast-check';
import {stringify as yamlStringify} from 'yaml';
import {describe, expect, onTestFailed, test} from 'vitest';

import {alternation, firstWorthALook, loadScrubber, type Scrubber, WORTH_A_LOOK_SOURCES} from '../../src/diag/scrubber.js';
import {
  findJsonSecrets,
  findStructuredSecrets,
  mayHoldStructuredSecrets,
  readToml,
  readXml,
  readYaml,
  type Redaction,
  type StructuredFormat,
} from '../../src/diag/structure.js';
import {Gen, plantAll, seededRng, seedFromEnv} from './generator.js';

/**
 * The scrubber's shortcuts must change nothing. The fast readers (well-formed JSON straight from
 * jsonc-parser's scanner, broken JSON through its events, the YAML and TOML subsets read line by
 * line) give exactly the redactions the libraries give when they read everything, on random
 * documents, broken ones included; the prefilter skips only documents the libraries find no
 * secret in; and copying lines that no rule could touch gives the bytes and counts that looking
 * at every line gives.
 */

const SEED = seedFromEnv();
const printSeed = () => onTestFailed(() => console.error(`replay with SCRUB_SEED=${SEED}`));
const RUNS = 400;

/** As the scrubber hands text over: one char per byte. */
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const list = (found: Redaction[]) => found.map((r) => [r.start, r.end, r.replacement, r.rule, r.value].join('|')).sort();

/** Keys that name secrets, keys that shape a document (pairs, Kubernetes), and near misses that only look like them. */
const SECRET_KEYS = ['password', 'db_password', 'DB_PASSWORD', 'apiKey', 'client_secret', 'token', 'secret', 'credentials', 'auth', 'Passwort', 'contraseña', 'sessionId'];
const SHAPE_KEYS = ['name', 'value', 'key', 'kind', 'data', 'stringData', 'env', 'Name', 'Value', 'user', 'host', 'port', 'id'];
const NEAR_KEYS = ['author', 'mapping', 'keyboard', 'monkey', 'inside', 'design', 'passive', 'tokenizer', 'keyId', 'key1', 'password_file', 'token_url',
  'sidecar', 'signal', 'authority', 'KEYs', 'image', 'items', 'a', 'b c', 'x-y', '1', 'true', '~', 'spec', 'metadata', 'labels', 'compass'];
const password = fc.stringMatching(/^[A-Za-z0-9!*_.~+-]{12,24}$/).filter((s) => /[0-9]/.test(s) && /[A-Z]/.test(s));
const plainValue = fc.oneof(
  password,
  fc.constantFrom('Secret', 'DB_PASSWORD', 'API_TOKEN', 'LOG_LEVEL', 'eu-west-1', 'info', 'app@sha256:9f86d081884c7d659a2feaa0c55ad015', '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12'),
  password.map((p) => `DB_PASSWORD=${p}`),
  fc.constant('REGION=eu-west-1'),
  fc.tuple(fc.constantFrom('admin', 'deploy', 'user1'), password).map(([u, p]) => Buffer.from(`${u}:${p}`).toString('base64')),
  fc.uint8Array({minLength: 12, maxLength: 40}).map((b) => Buffer.from(b).toString('base64')),
  password.map((p) => JSON.stringify({db: {password: p}})),
  fc.constantFrom(null, true, false, 0, 5432, 1.5, ''),
);
const oddValue = fc.constantFrom('a: b', 'x # y', "it's", 'say "hi"', 'back\\slash', '- dash', '[x]', '&anchor', '*alias', 'multi\nline', ' lead', 'trail ', 'café',
  '\t tab', '~', 'null', '-x', ':x', 'a:b', 'x:', '@at', '%pc', 'p\\u0061ss', 'DB_PAS\\ SWORD=s3cretVal9xyz', 'TOK\\qEN=s3cretVal9xyz');
type Tree = null | boolean | number | string | Tree[] | {[key: string]: Tree};
const treeOf = (keys: fc.Arbitrary<string>, odd: number) => {
  const leaf = odd > 0 ? fc.oneof({weight: 100 - odd, arbitrary: plainValue}, {weight: odd, arbitrary: oddValue}) : plainValue;
  return fc.letrec<{node: Tree; map: Tree; seq: Tree}>((tie) => ({
    node: fc.oneof({depthSize: 'small', maxDepth: 4}, leaf, tie('map'), tie('seq')),
    map: fc.array(fc.tuple(keys, tie('node')), {minLength: 1, maxLength: 5}).map((entries) => Object.fromEntries(entries) as Tree),
    seq: fc.array(tie('node'), {minLength: 1, maxLength: 4}),
  })).node;
};
const anyKey = fc.constantFrom(...SECRET_KEYS, ...SHAPE_KEYS, ...NEAR_KEYS);
const nearKey = fc.constantFrom(...SHAPE_KEYS.filter((k) => k !== 'key'), ...NEAR_KEYS);
/** Documents of every kind: mostly plain, some odd, some naming no secret at all. */
const tree = fc.oneof(treeOf(anyKey, 0), treeOf(anyKey, 3), treeOf(anyKey, 30), treeOf(nearKey, 0), treeOf(nearKey, 10));

/** Edits that break a document in the ways files are broken: lines moved in or out, a character dropped or added. */
const mutations = fc.array(
  fc.record({
    line: fc.nat(),
    at: fc.nat(),
    op: fc.constantFrom('comment', 'blank', 'indent', 'dedent', 'append', 'insert', 'delete', 'duplicate', 'line'),
    text: fc.constantFrom(':', ' ', '-', '"', "'", '#', '[', '{', '&', '!', '|', '\t', '---', '\\', ',', '=', '\r', ' # c', 'x'),
    line2: fc.constantFrom('---', '--- ', '...', '%YAML 1.2', '- x', 'password: abcDEF123456', '  - name: SECRET_KEY', '    value: Zq8vLk2mAbc1dEf9', '# password: x'),
  }),
  {maxLength: 3},
);
type Mutation = typeof mutations extends fc.Arbitrary<infer T> ? T : never;
/** Often none: whole documents must be read fast too. */
const someMutations = fc.oneof({weight: 2, arbitrary: fc.constant([] as Mutation)}, {weight: 3, arbitrary: mutations});
function mutate(text: string, edits: Mutation, newline: string): string {
  const lines = text.split('\n');
  for (const e of edits) {
    const i = e.line % lines.length;
    const line = lines[i]!;
    const at = e.at % (line.length + 1);
    if (e.op === 'comment') lines.splice(i, 0, `${' '.repeat(e.at % 6)}# comment ${e.text}`);
    else if (e.op === 'blank') lines.splice(i, 0, '');
    else if (e.op === 'indent') lines[i] = ` ${line}`;
    else if (e.op === 'dedent') lines[i] = line.replace(/^ /, '');
    else if (e.op === 'append') lines[i] = line + e.text;
    else if (e.op === 'insert') lines[i] = line.slice(0, at) + e.text + line.slice(at);
    else if (e.op === 'delete') lines[i] = line.slice(0, at) + line.slice(at + 1);
    else if (e.op === 'duplicate') lines.splice(i, 0, lines[e.at % lines.length]!);
    else lines.splice(i, 0, e.line2);
  }
  return lines.join(newline);
}

// --- rendering a tree in each format -------------------------------------------------------

const yamlOptions = fc.record({
  indentSeq: fc.boolean(),
  indent: fc.integer({min: 1, max: 4}),
  defaultStringType: fc.constantFrom('PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE') as fc.Arbitrary<'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'>,
  defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE') as fc.Arbitrary<null | 'PLAIN' | 'QUOTE_DOUBLE'>,
  collectionStyle: fc.constantFrom('any', 'any', 'any', 'flow') as fc.Arbitrary<'any' | 'flow'>,
  lineWidth: fc.constantFrom(20, 80),
});
const yamlText = fc
  .tuple(fc.array(tree, {minLength: 1, maxLength: 3}), yamlOptions, fc.boolean(), someMutations, fc.constantFrom('\n', '\n', '\n', '\r\n'))
  .map(([docs, options, leadingMarker, edits, newline]) => {
    const text = docs.map((doc, i) => `${i > 0 || leadingMarker ? '---\n' : ''}${yamlStringify(doc, {...options, minContentWidth: 0})}`).join('');
    return latin1(mutate(text, edits, newline));
  });

const jsonText = fc
  .tuple(tree, fc.constantFrom(0, 2, 4, '\t'), someMutations, fc.constantFrom('', '', '// note\n', '/* c */'), fc.boolean())
  // Sometimes with every escaped backslash made a lone one: escapes JSON does not know, as hand-written files have them.
  .map(([doc, indent, edits, comment, raw]) => {
    const json = JSON.stringify(doc, null, indent) ?? 'null';
    return latin1(comment + mutate(raw ? json.replaceAll('\\\\', '\\') : json, edits, '\n'));
  });

const bare = (keys: string[]) => keys.filter((k) => /^[A-Za-z0-9_-]+$/.test(k));
const tomlKey = fc.oneof(fc.constantFrom(...bare([...SECRET_KEYS, ...SHAPE_KEYS, ...NEAR_KEYS])), fc.constantFrom('"x.y"', "'q'", '"pass word"', '"a\\u0062"'));
const tomlNearKey = fc.constantFrom(...bare(NEAR_KEYS));
const tomlPathOf = (key: fc.Arbitrary<string>) => fc.array(key, {minLength: 1, maxLength: 3}).chain((keys) => fc.constantFrom('.', ' . ').map((sep) => keys.join(sep)));
const tomlPathArb = fc.oneof(tomlPathOf(tomlKey), tomlPathOf(tomlNearKey));
const tomlValue = fc.oneof(
  {weight: 6, arbitrary: fc.oneof(password.map((p) => `"${p}"`), password.map((p) => `'${p}'`), fc.constantFrom('"Secret"', '"DB_PASSWORD"', '1234', 'true', '"x"', '1.5', '"DB_PASSWORD=s3cr3tValue9"', `"${Buffer.from('deploy:pa55word!').toString('base64')}"`))},
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc
        .array(fc.oneof(password.map((p) => `"${p}"`), fc.constantFrom('1', 'true', '"x"', "'y'", '[]', '{}')), {maxLength: 4})
        .chain((items) =>
          fc
            .tuple(fc.constantFrom(', ', ',', ' , ', ',\n  ', ', # note\n  '), fc.constantFrom('', ',', ' ', ',\n', '\n'), fc.constantFrom('', '\n  '))
            .map(([sep, tail, lead]) => `[${lead}${items.join(sep)}${items.length > 0 ? tail : ''}]`),
        ),
      fc
        .array(fc.tuple(fc.constantFrom('password', 'name', 'value', 'user', 'a', 'x-y', '"k"', 'version'), fc.oneof(password.map((p) => `"${p}"`), fc.constantFrom('"DB_PASSWORD"', '1', '[1, 2]', '{b = 1}', 'true'))), {maxLength: 3})
        .map((pairs) => `{${pairs.map(([k, v]) => `${k} = ${v}`).join(', ')}}`),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('0x1F', '1_000', '00', '+1', '-0', '1e5', 'inf', 'nan', 'false', '1979-05-27', '"a\\"b"', '"""x"""', '[1, 2]', '{a = 1}', '""', "''", '"café"', 'bare', '1#c',
      '"open', '{a = 1,}', '{a.b = 1}', '{a = 1, a = 2}', '[1, # c', '[[1, 2], [3]]', '[{a = 1}]', '{ name = "DB_PASSWORD", value = "pw12345678Xq" }', '[ ]', '{ }', '[1 2]',
      '{a = 1 b = 2}', '"""x', "'''y'''", '[\n  "a",\n  "b", # note\n]', '[\n  1,\n\n  2\n]', '[ # c\n]', '[\n  "open\n]', '[\n  {a = 1},\n]', '[\n  "x"\n'),
  },
);
const tomlLine = fc.oneof(
  {weight: 8, arbitrary: fc.tuple(fc.constantFrom('', ' ', '  '), tomlPathArb, fc.constantFrom(' = ', '=', '  =  '), tomlValue, fc.constantFrom('', '', ' # note', '  ')).map((parts) => parts.join(''))},
  {weight: 2, arbitrary: fc.tuple(fc.constantFrom('', ' '), tomlPathArb, fc.constantFrom('', ' # c')).map(([lead, path, tail]) => `${lead}[${path}]${tail}`)},
  {weight: 1, arbitrary: fc.constantFrom('', '# comment', '  # x', '[[arr]]', 'a = 1\tb', 'x =', '= 1', 'k = "x" y')},
);
const tomlText = fc.tuple(fc.array(tomlLine, {minLength: 1, maxLength: 14}), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => latin1(`${lines.join(nl)}${nl}`));

const xmlName = (key: string) => (/^[A-Za-z_][\w.-]*$/.test(key) ? key : 'item');
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function toXml(node: Tree, name: string, style: number): string {
  if (node === null || typeof node !== 'object') return `<${name}>${xmlEscape(String(node))}</${name}>`;
  if (Array.isArray(node)) return `<${name}>${node.map((item) => toXml(item, 'item', style)).join('')}</${name}>`;
  const parts: string[] = [];
  const attributes: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const leaf = value === null || typeof value !== 'object';
    if (leaf && style === 1) attributes.push(` ${xmlName(key)}="${xmlEscape(String(value))}"`);
    else if (leaf && style === 2) parts.push(`<entry key="${xmlEscape(key)}">${xmlEscape(String(value))}</entry>`);
    else if (leaf && style === 3) parts.push(`<key>${xmlEscape(key)}</key><string>${xmlEscape(String(value))}</string>`);
    else parts.push(toXml(value, xmlName(key), style));
  }
  return `<${name}${attributes.join('')}>\n${parts.join('\n')}\n</${name}>`;
}
const xmlText = fc.tuple(tree, fc.integer({min: 0, max: 3}), someMutations).map(([doc, style, edits]) => latin1(mutate(`<?xml version="1.0"?>\n${toXml(doc, 'root', style)}\n`, edits, '\n')));

function toProperties(node: Tree, path: string, out: string[], separator: string): void {
  if (node !== null && typeof node === 'object') {
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    for (const [key, value] of entries) toProperties(value, path ? `${path}.${key}` : key, out, separator);
    return;
  }
  const escape = (text: string) => text.replace(/[\\:= ]/g, (ch) => `\\${ch}`).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  out.push(`${escape(path || 'root')}${separator}${String(node).replace(/\n/g, '\\\n  ')}`);
}
const propertiesText = fc
  .tuple(tree, fc.constantFrom('=', ' = ', ':', ' '), mutations)
  .map(([doc, separator, edits]) => {
    const lines: string[] = [];
    toProperties(doc, '', lines, separator);
    return latin1(mutate(lines.join('\n'), edits, '\n'));
  });

const TEXTS: Record<StructuredFormat, fc.Arbitrary<string>> = {json: jsonText, yaml: yamlText, toml: tomlText, xml: xmlText, properties: propertiesText};

// --- the properties -------------------------------------------------------------------------

describe(`fast readers give what the libraries give (seed ${SEED})`, () => {
  test('JSON: the event-built tree finds what parseTree finds, broken JSON and JSON inside a line included', () => {
    printSeed();
    let redacted = 0;
    fc.assert(
      fc.property(jsonText, fc.constantFrom('', '2024-05-01T10:00:00Z INFO loaded '), (text, prefix) => {
        const fast = findStructuredSecrets('json', text);
        expect(list(fast)).toEqual(list(findStructuredSecrets('json', text, {library: true})));
        const line = prefix + text.replace(/\r?\n/g, ' ');
        expect(list(findJsonSecrets(line, prefix.length))).toEqual(list(findJsonSecrets(line, prefix.length, {library: true})));
        if (fast.length > 0) redacted++;
      }),
      {seed: SEED, numRuns: RUNS},
    );
    expect(redacted).toBeGreaterThan(RUNS / 10);
  });

  test('YAML: documents read line by line give the redactions that composing them gives', () => {
    printSeed();
    let fastDocs = 0;
    let libraryDocs = 0;
    let fastRedacted = 0;
    fc.assert(
      fc.property(yamlText, (text) => {
        const fast = findStructuredSecrets('yaml', text);
        expect(list(fast)).toEqual(list(findStructuredSecrets('yaml', text, {library: true})));
        const read = readYaml(text);
        fastDocs += read.fast;
        libraryDocs += read.library;
        if (read.library === 0 && fast.length > 0) fastRedacted++;
      }),
      {seed: SEED, numRuns: RUNS},
    );
    // Both readers were put to the test, the fast one on documents that hold secrets.
    expect(fastDocs).toBeGreaterThan(RUNS / 8);
    expect(libraryDocs).toBeGreaterThan(RUNS / 10);
    expect(fastRedacted).toBeGreaterThan(RUNS / 40);
  });

  test('TOML: the subset read line by line gives what toml-eslint-parser gives, and what it refuses is refused', () => {
    printSeed();
    let fast = 0;
    let fastRedacted = 0;
    fc.assert(
      fc.property(tomlText, (text) => {
        const found = findStructuredSecrets('toml', text);
        expect(list(found)).toEqual(list(findStructuredSecrets('toml', text, {library: true})));
        let read: {fast: boolean} | undefined;
        try {
          read = readToml(text);
        } catch {
          read = undefined;
        }
        if (read?.fast) {
          fast++;
          if (found.length > 0) fastRedacted++;
        }
      }),
      {seed: SEED, numRuns: RUNS},
    );
    expect(fast).toBeGreaterThan(RUNS / 10);
    expect(fastRedacted).toBeGreaterThan(RUNS / 20);
  });
});

describe(`fast readers give what the libraries give: XML (seed ${SEED})`, () => {
  test('XML: the subset split by one regex gives what saxes gives, broken and odd XML included', () => {
    printSeed();
    const odd = fc.constantFrom('<!DOCTYPE x>', '<![CDATA[p]]>', '&amp;', '&#112;', '<?pi x?>', '<!-- c -->', '<a b="1" b="2">', '<a b=1>', '</x>', '<x/>', '\x01', 'caf\u00e9', '>', ' x="y"');
    const xml = fc.tuple(xmlText, fc.oneof(fc.constant([] as [number, string][]), fc.array(fc.tuple(fc.nat(), odd), {maxLength: 2}))).map(([text, inserts]) => {
      let out = text;
      for (const [at, piece] of inserts) out = out.slice(0, at % (out.length + 1)) + latin1(piece) + out.slice(at % (out.length + 1));
      return out;
    });
    let fastRedacted = 0;
    let slow = 0;
    fc.assert(
      fc.property(xml, (text) => {
        const found = findStructuredSecrets('xml', text);
        expect(list(found)).toEqual(list(findStructuredSecrets('xml', text, {library: true})));
        if (!readXml(text).fast) slow++;
        else if (found.length > 0) fastRedacted++;
      }),
      {seed: SEED, numRuns: RUNS},
    );
    expect(fastRedacted).toBeGreaterThan(RUNS / 20);
    expect(slow).toBeGreaterThan(RUNS / 10);
  });
});

describe(`the prefilter never skips a document that holds a secret (seed ${SEED})`, () => {
  for (const format of ['json', 'yaml', 'toml', 'xml', 'properties'] as StructuredFormat[]) {
    test(`${format}: when it says a document names no secret, parsing it whole finds none`, () => {
      printSeed();
      let skipped = 0;
      let found = 0;
      fc.assert(
        fc.property(TEXTS[format], (text) => {
          const secrets = findStructuredSecrets(format, text, {library: true});
          if (secrets.length > 0) found++;
          if (!mayHoldStructuredSecrets(format, text)) {
            skipped++;
            expect(secrets).toEqual([]);
          }
        }),
        {seed: SEED, numRuns: RUNS},
      );
      // Not vacuous: some documents were skipped, and many held secrets the parse found.
      expect(skipped).toBeGreaterThan(RUNS / 20);
      expect(found).toBeGreaterThan(RUNS / 10);
    });
  }
});

describe(`lines no rule could touch are copied, and that changes nothing (seed ${SEED})`, () => {
  let fast: Scrubber;
  let everyLine: Scrubber;
  test('every planted file and random mixes of their lines, in chunks of any size, come out the same with every line looked at', async () => {
    printSeed();
    fast = await loadScrubber();
    // A custom pattern that never matches makes the scrubber look at every line itself.
    everyLine = await loadScrubber({patterns: [{pattern: '(?!x)x'}]});
    const planted = plantAll(new Gen(seededRng(SEED)));
    const lines = planted.flatMap((p) => p.content.split('\n'));
    const file = fc.oneof(
      fc.constantFrom(...planted).map((p) => ({name: p.path, text: p.content})),
      fc.tuple(fc.array(fc.constantFrom(...lines), {maxLength: 40}), fc.constantFrom(...planted.map((p) => p.path), 'notes.txt', 'app.log'), fc.constantFrom('\n', '\r\n'))
        .map(([picked, name, newline]) => ({name, text: picked.join(newline)})),
    );
    let changed = 0;
    fc.assert(
      fc.property(file, fc.integer({min: 1, max: 4096}), ({name, text}, chunk) => {
        const run = (scrubber: Scrubber) => {
          const session = scrubber.session({name});
          const bytes = latin1(text);
          let out = '';
          for (let i = 0; i < bytes.length; i += chunk) out += session.write(bytes.slice(i, i + chunk));
          return {out: out + session.end(), counts: session.redactions()};
        };
        const a = run(fast);
        const b = run(everyLine);
        expect(a.out).toBe(b.out);
        expect(a.counts).toEqual(b.counts);
        if (a.out !== latin1(text)) changed++;
      }),
      {seed: SEED, numRuns: RUNS},
    );
    expect(changed).toBeGreaterThan(RUNS / 4);
  });
});

describe(`the one-pass scanner finds every line the word regex would (seed ${SEED})`, () => {
  test('no line where a case-blind regex of the same words matches goes unflagged, and the first flagged line is never later', () => {
    printSeed();
    const regex = alternation([...WORTH_A_LOOK_SOURCES], 'i');
    const flip = (text: string, mask: number) => [...text].map((ch, i) => ((mask >> (i % 16)) & 1 ? ch.toUpperCase() : ch)).join('');
    const piece = fc.oneof(
      fc.tuple(fc.constantFrom('pass', 'Token', 'AKIA', 'ghp_', 'glpat-', 'SK9f', '$2b$', '$apr1$', '{SSHA}', 'Q~', '?', '://', ' -p', '\t-N', 'PuTTY', 'PRIVATE KEY',
        'xoxb-', 'hooks.slack', 'sk-', 'eyJ', latin1('пароль'), latin1('ПАРОЛЬ'), latin1('contraseña'), 'key', 'KEY'), fc.nat()).map(([word, mask]) => flip(word, mask)),
      fc.stringMatching(/^[a-zA-Z0-9 _.:/?$~{}\t-]{0,12}$/),
      fc.constantFrom('\n', '\r\n', ' ', '-', 'author', 'mapping', 'sha256'),
    );
    let flagged = 0;
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 30}), (pieces) => {
        const text = pieces.join('');
        for (const line of text.split('\n')) {
          if (regex.test(line)) {
            flagged++;
            expect(firstWorthALook(line, 0), JSON.stringify(line)).not.toBe(-1);
          }
        }
        const match = new RegExp(regex.source, 'gi').exec(text.replaceAll('\n', '\u0000'));
        const first = firstWorthALook(text, 0);
        if (match) expect(first === -1 ? Infinity : text.lastIndexOf('\n', first)).toBeLessThanOrEqual(text.lastIndexOf('\n', match.index));
      }),
      {seed: SEED, numRuns: RUNS * 5},
    );
    expect(flagged).toBeGreaterThan(RUNS);
  });
});
