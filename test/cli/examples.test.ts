import {spawn} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join, relative, resolve} from 'node:path';

import {describe, expect, it} from 'vitest';

import {BIN, ROOT, runBin} from '../helpers.js';
import {spawnServer} from '../helpers/servers.js';

/**
 * The built-in help articles teach commands; a command or flag they name that does not exist
 * would send a user on a fresh machine down a dead end. Every `support ...` line in their code
 * blocks must name a real command and only flags it has.
 */
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {flags: Record<string, {char?: string; allowNo?: boolean}>; aliases: string[]}>;
};
const ids = new Map<string, string>();
for (const [id, cmd] of Object.entries(manifest.commands)) {
  ids.set(id.replaceAll(':', ' '), id);
  for (const alias of cmd.aliases) ids.set(alias.replaceAll(':', ' '), id);
}

function commandLines(markdown: string): string[] {
  const lines: string[] = [];
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    else if (inCode && /^support [a-z]/.test(line.trim())) lines.push(line.trim());
  }
  return lines;
}

/** The flag a word of a command line names: `--no-install` names `install` when that flag takes --no-. */
function flagName(flags: Record<string, {allowNo?: boolean}>, word: string): string {
  const name = word.slice(2).split('=')[0]!;
  return name.startsWith('no-') && flags[name.slice(3)]?.allowNo ? name.slice(3) : name;
}

describe('the built-in help articles', () => {
  const dir = join(ROOT, 'src/store/embedded/kb/builtin');
  const files = readdirSync(dir).filter((f) => f.endsWith('.md'));

  it('teach commands at all', () => {
    const all = files.flatMap((file) => commandLines(readFileSync(join(dir, file), 'utf8')));
    expect(all.length).toBeGreaterThan(10);
  });

  it.each(files)('%s names only commands and flags that exist', (file) => {
    const lines = commandLines(readFileSync(join(dir, file), 'utf8'));
    for (const line of lines) {
      const words = line.replace(/#.*$/, '').split(/\s+/).slice(1);
      let id: string | undefined;
      for (let n = Math.min(words.length, 3); n > 0 && !id; n--) id = ids.get(words.slice(0, n).join(' '));
      expect(id, `${file}: "${line}" names no command`).toBeDefined();
      const flags = manifest.commands[id!]!.flags;
      for (const word of words.filter((w) => w.startsWith('--'))) {
        expect(Object.keys(flags), `${file}: "${line}"`).toContain(flagName(flags, word));
      }
    }
  });
});

describe('the README', () => {
  it('shows only commands and flags that exist', () => {
    const lines = commandLines(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(lines.length).toBeGreaterThan(40);
    // Commands of the help and autocomplete plugins are not in our manifest.
    for (const line of lines.filter((l) => !/^support (autocomplete|help)\b/.test(l))) {
      const words = line.replace(/\s#\s.*$/, '').split(/\s+/).slice(1);
      let id: string | undefined;
      for (let n = Math.min(words.length, 3); n > 0 && !id; n--) id = ids.get(words.slice(0, n).join(' '));
      expect(id, `README: "${line}" names no command`).toBeDefined();
      const flags = manifest.commands[id!]!.flags;
      for (const word of words.filter((w) => /^--[a-z]/.test(w))) {
        expect(Object.keys(flags), `README: "${line}"`).toContain(flagName(flags, word));
      }
    }
  });
});

/*
 * The example sessions of the README and docs/ run end to end, as written. A fenced block is
 * part of a session when an HTML comment right before it says so (invisible on GitHub):
 *
 *   <!-- example: NAME -->                  run it, after the earlier blocks of NAME in the same document
 *   <!-- example: NAME (local) -->          only against the local backend
 *   <!-- example: NAME (server) -->         only with a `support serve` of the test's running; the
 *                                           block points at it itself (http://127.0.0.1:8080)
 *   <!-- example: NAME, file backlog.csv -->  the block is not run but written to that file
 *   <!-- example: ONE+TWO, file backlog.csv -->  ... in two sessions
 *   <!-- example: NAME
 *   printf 'ERROR 500\n' > export.log
 *   -->                                     lines after the first run before the block (a setup
 *                                           the reader has in front of them: their own log files)
 *
 * Each session runs in bash (set -euo pipefail) in a fresh directory with `support` on the PATH
 * (bin/run.js), once against the local backend and once against a real `support serve` (through
 * SUPPORT_BACKEND, SUPPORT_URL and SUPPORT_TOKEN), unless it names one. The port 8080 of the
 * examples becomes a free one; nothing else is changed.
 */
interface ExampleBlock {
  doc: string;
  line: number;
  session: string;
  only?: 'local' | 'server';
  file?: string;
  setup: string;
  code: string;
}

const EXAMPLE = /^<!-- example: ([\w+-]+)(?: \((local|server)\))?(?:, file (\S+))?\s*$/;

function exampleBlocks(doc: string): ExampleBlock[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const blocks: ExampleBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i]!.trim();
    if (!head.startsWith('<!-- example:')) continue;
    const single = /^(<!-- example: .*?)\s*-->$/.exec(head);
    const match = EXAMPLE.exec(single ? single[1]! : head);
    if (!match) throw new Error(`${doc}:${i + 1}: not an example marker: ${head}`);
    const setup: string[] = [];
    if (!single) {
      while (++i < lines.length && lines[i]!.trim() !== '-->') setup.push(lines[i]!);
    }
    const fence = /^(\s*)(```+)/.exec(lines[++i] ?? '');
    if (!fence) throw new Error(`${doc}:${i + 1}: an example marker must stand right before a fenced block`);
    const [, indent, ticks] = fence;
    const start = i + 1;
    const code: string[] = [];
    while (++i < lines.length && !lines[i]!.startsWith(`${indent}${ticks}`)) code.push(lines[i]!.slice(indent!.length));
    blocks.push({doc, line: start, session: match[1]!, only: match[2] as ExampleBlock['only'], file: match[3], setup: setup.join('\n'), code: code.join('\n')});
  }
  return blocks;
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function sessions(): {doc: string; session: string; only?: 'local' | 'server'; blocks: ExampleBlock[]}[] {
  const out = new Map<string, {doc: string; session: string; only?: 'local' | 'server'; blocks: ExampleBlock[]}>();
  for (const doc of DOCS) {
    for (const block of exampleBlocks(doc)) {
      for (const session of block.session.split('+')) {
        const key = `${doc}#${session}`;
        const entry = out.get(key) ?? {doc, session, blocks: []};
        entry.only ??= block.only;
        entry.blocks.push(block);
        out.set(key, entry);
      }
    }
  }
  return [...out.values()];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const {port} = server.address() as {port: number};
  await new Promise((done) => server.close(done));
  return port;
}

function script(blocks: ExampleBlock[], port: number): string {
  const parts = ['set -euo pipefail', "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"];
  for (const block of blocks) {
    parts.push(`echo '### ${block.doc}:${block.line}' >&2`);
    if (block.setup) parts.push(block.setup);
    const code = block.code.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`).replace(/--port 8080\b/g, `--port ${port}`);
    parts.push(block.file ? `mkdir -p "$(dirname '${block.file}')"\ncat > '${block.file}' <<'SUPPORTKIT_EXAMPLE_EOF'\n${code}\nSUPPORTKIT_EXAMPLE_EOF` : code);
  }
  return `${parts.join('\n')}\n`;
}

function runScript(text: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((done) => {
    // Its own process group: whatever the session leaves running (a server started with &) ends with it.
    const child = spawn('bash', ['-c', text], {cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 150_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // the group is gone already
      }
      done({code: code ?? 1, stdout, stderr});
    });
  });
}

describe('the example sessions of the README and docs/', () => {
  const all = sessions();

  it('are there, and each marker stands before a block', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  const cases = all.flatMap((s) => (s.only ? [s.only] : (['local', 'server'] as const)).map((backend) => ({...s, backend, name: `${s.doc} ${s.session} (${backend})`})));
  it.each(cases)('$name runs as written', async ({blocks, backend, only}) => {
    const dir = mkdtempSync(join(tmpdir(), 'supportkit-example-'));
    let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      const bin = join(dir, 'bin');
      const work = join(dir, 'work');
      mkdirSync(bin);
      mkdirSync(work);
      writeFileSync(join(bin, 'support'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
      chmodSync(join(bin, 'support'), 0o755);
      const env: NodeJS.ProcessEnv = {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: join(dir, 'home'),
        LANG: 'C.UTF-8',
        TZ: 'UTC',
        SUPPORT_CONFIG_DIR: join(dir, 'config'),
        SUPPORT_DATA_DIR: join(dir, 'data'),
        SUPPORT_CACHE_DIR: join(dir, 'cache'),
        SUPPORT_CREDENTIAL_STORE: 'file',
        SUPPORT_USER: 'alice',
      };
      let port = await freePort();
      if (backend === 'server') {
        server = await spawnServer(env, []);
        port = Number(new URL(server.url).port);
        if (!only) {
          const token = await runBin(['serve', 'token', 'create', '--role', 'admin', '--name', 'docs', '--jq', '.token'], {env: env as Record<string, string>});
          expect(token.exitCode, token.stderr).toBe(0);
          Object.assign(env, {SUPPORT_BACKEND: 'rest', SUPPORT_URL: server.url, SUPPORT_TOKEN: token.stdout.trim()});
        }
      }
      const run = await runScript(script(blocks, port), work, env);
      const at = [...run.stderr.matchAll(/^### (.*)$/gm)].at(-1)?.[1];
      if (process.env.SHOW_EXAMPLES) console.log(run.stdout, run.stderr);
      expect(run.code, `failed in the block at ${at}:\n${run.stderr.slice(-3000)}`).toBe(0);
      // Every block ran to its end.
      expect(run.stderr.match(/^### /gm)?.length).toBe(blocks.length);
    } finally {
      server?.child.kill('SIGTERM');
      await server?.exited;
      rmSync(dir, {recursive: true, force: true});
    }
  });
});

describe('links in the README and docs/', () => {
  /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
  const anchor = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');

  it.each(DOCS)('%s links only to files and headings that exist', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, hash] = target!.split('#');
      const file = path ? resolve(dirname(join(ROOT, doc)), path) : join(ROOT, doc);
      expect(existsSync(file), `${doc}: ${target} -> ${relative(ROOT, file)} does not exist`).toBe(true);
      if (hash) {
        const headings = [...readFileSync(file, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1]!));
        expect(headings, `${doc}: ${target}`).toContain(hash);
      }
    }
  });
});
