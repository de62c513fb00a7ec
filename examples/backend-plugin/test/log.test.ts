import {spawn} from 'node:child_process';
import {appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {UnavailableError} from 'supportkit-cli/backend';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import {createBackend} from '../src/index.js';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let dir: string;
let path: string;
const open = (name = 'alice') => createBackend({profile: 'test', settings: {path}, dataDir: dir, cacheDir: dir, identity: {name, role: 'agent'}});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jsonl-log-'));
  path = join(dir, 'tickets.jsonl');
});
afterEach(() => rmSync(dir, {recursive: true, force: true}));

/** One process of the built plugin that files `count` tickets, as a second `support` would. */
function writer(name: string, count: number): Promise<void> {
  const script = `
    const {createBackend} = await import(${JSON.stringify(built)});
    const b = await createBackend({profile: 'p', settings: {path: process.argv[1]}, dataDir: '.', cacheDir: '.', identity: {name: process.argv[2], role: 'agent'}});
    for (let i = 0; i < ${count}; i++) {
      const t = await b.tickets.create({title: process.argv[2] + ' ' + i, body: 'x'});
      await b.tickets.comment(t.id, {body: 'note ' + i});
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, path, name], {stdio: ['ignore', 'ignore', 'pipe']});
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${name} exited ${code}: ${stderr}`))));
  });
}

describe('the JSON Lines file', () => {
  it('keeps every ticket and comment of processes writing at once, each id given out once', async () => {
    await Promise.all([writer('ann', 15), writer('ben', 15), writer('cat', 15)]);
    const backend = await open();
    const all = await backend.tickets.list({limit: 1000});
    expect(all.tickets).toHaveLength(45);
    expect(new Set(all.tickets.map((t) => t.id)).size).toBe(45);
    expect(all.tickets.map((t) => Number(t.id)).sort((a, b) => a - b)).toEqual(Array.from({length: 45}, (_, i) => i + 1));
    for (const name of ['ann', 'ben', 'cat']) {
      expect((await backend.tickets.list({requester: name, limit: 100})).tickets.map((t) => t.title).sort()).toEqual(Array.from({length: 15}, (_, i) => `${name} ${i}`).sort());
    }
    const comments = await Promise.all(all.tickets.map(async (t) => (await backend.tickets.view(t.id)).comments));
    expect(comments.every((c) => c.length === 1)).toBe(true);
    expect(new Set(comments.flat().map((c) => c.id)).size).toBe(45);
    // Every line is one whole record.
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).op).filter((op) => op === 'create')).toHaveLength(45);
  });

  it('reads past a last line left half-written, and the next write cuts it off', async () => {
    const backend = await open();
    const first = await backend.tickets.create({title: 'Before the crash', body: 'x'});
    appendFileSync(path, '{"op":"create","at":"2026-01-01T00:00:00.000Z","actor":{"na');
    expect((await backend.tickets.list({})).tickets.map((t) => t.id)).toEqual([first.id]);
    const second = await backend.tickets.create({title: 'After the crash', body: 'y'});
    expect(second.id).toBe('2');
    expect((await backend.tickets.list({})).tickets.map((t) => t.title)).toEqual(['After the crash', 'Before the crash']);
    for (const line of readFileSync(path, 'utf8').trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('says which line is damaged when one in the middle is not a record', async () => {
    const backend = await open();
    await backend.tickets.create({title: 'One', body: 'x'});
    writeFileSync(path, `${readFileSync(path, 'utf8')}not json\n{}\n`);
    const failure = backend.tickets.list({});
    await expect(failure).rejects.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toThrow(`Line 2 of ${path} is not a JSON record`);
  });
});
