import {chmodSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {parseJson, runBin, runInTerminal, sandbox, type Sandbox} from '../helpers.js';

/** --json FIELDS, --jq and the pager, as a user meets them: the built binary in a child process or a terminal. */
describe('choosing and filtering the JSON', () => {
  let box: Sandbox;
  const run = (argv: string[]) => runBin(argv, {env: box.env});

  beforeAll(async () => {
    box = sandbox();
    for (const title of ['Printer on fire', 'VPN drops every hour', 'evil \u001B]0;pwned\u0007 \u009B31m title \u202Egnp.exe']) {
      const r = await run(['ticket', 'create', '--title', title, '--body', 'Body.', '--tag', 'e2e']);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    await run(['ticket', 'comment', '1', '--body', 'First reply.']);
  });
  afterAll(() => box.cleanup());

  it('--json alone prints the whole typed result, as before', async () => {
    const r = await run(['ticket', 'list', '--json']);
    const page = parseJson(r.stdout);
    expect(Object.keys(page)).toEqual(['tickets', 'nextCursor']);
    expect(Object.keys(page.tickets[0])).toEqual(expect.arrayContaining(['id', 'title', 'body', 'status', 'createdAt']));
  });

  it('--json FIELDS keeps those fields of each item, and of the result itself', async () => {
    const r = await run(['ticket', 'list', '--json', 'id,title']);
    expect(r.exitCode, r.stderr).toBe(0);
    const page = parseJson(r.stdout);
    expect(page).toEqual({tickets: [3, 2, 1].map((n) => ({id: String(n), title: expect.any(String)}))});
    expect(page.tickets[0].title).toBe('evil \u001B]0;pwned\u0007 \u009B31m title \u202Egnp.exe');
    // JSON stays exact, and what a terminal would act on is written as \u escapes.
    expect(r.stdout).toContain('\\u009b31m');
    expect(parseJson((await run(['ticket', 'list', '--json=nextCursor'])).stdout)).toEqual({nextCursor: null});
    const view = parseJson((await run(['ticket', 'view', '1', '--json', 'title,author'])).stdout);
    expect(view).toEqual({title: 'Printer on fire', comments: [{author: 'tester'}]});
  });

  it('an unknown field is a usage error that lists the fields there are', async () => {
    const r = await run(['ticket', 'list', '--json', 'id,titel']);
    expect(r.exitCode).toBe(2);
    // Under --json the error is JSON too.
    const {error} = parseJson(r.stdout);
    expect(error.message).toBe('--json has no field "titel".');
    expect(error.hint).toMatch(/^Fields: nextCursor, tickets; of each of tickets: .*\btitle\b/);
  });

  it('a field list is checked before the command runs: nothing is created', async () => {
    const r = await run(['ticket', 'create', '--title', 'Not filed', '--body', 'x', '--json', 'id,nmbr']);
    expect(r.exitCode).toBe(2);
    expect(parseJson((await run(['ticket', 'list', '--json', 'id'])).stdout).tickets).toHaveLength(3);
    const created = await run(['ticket', 'create', '--title', 'Filed', '--body', 'x', '--json', 'id,status']);
    expect(parseJson(created.stdout)).toEqual({id: '4', status: 'new'});
    await run(['ticket', 'close', '4']);
  });

  it('a word after --json stays a search when it names no field', async () => {
    const r = await run(['kb', 'search', '--json', 'proxy']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(parseJson(r.stdout).query).toBe('proxy');
    const hits = parseJson((await run(['kb', 'search', 'proxy', '--json', 'id,locale'])).stdout).hits;
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(Object.keys(hit)).toEqual(['id', 'locale']);
  });

  it('--jq filters the result with jq: strings as text, other values as JSON, one per line', async () => {
    const ids = await run(['ticket', 'list', '--status', 'new', '--jq', '.tickets[].id']);
    expect(ids.exitCode, ids.stderr).toBe(0);
    expect(ids.stdout).toBe('3\n2\n1\n');
    const counted = await run(['ticket', 'list', '--jq', '[.tickets[] | select(.status == "new")] | {n: length, first: .[-1].title}']);
    expect(counted.stdout).toBe('{"n":3,"first":"Printer on fire"}\n');
    const withFields = await run(['ticket', 'list', '--json', 'title', '--jq', '.tickets[0] | keys']);
    expect(withFields.stdout).toBe('["title"]\n');
    // Piped, a string is exact, as `jq -r` prints it.
    const raw = await run(['ticket', 'view', '3', '--jq', '.title']);
    expect(raw.stdout).toBe('evil \u001B]0;pwned\u0007 \u009B31m title \u202Egnp.exe\n');
    expect((await run(['ticket', 'list', '--jq', '.tickets[] | select(.id == "99")'])).stdout).toBe('');
  });

  it('a --jq expression that is not jq is a usage error before anything runs', async () => {
    const r = await run(['ticket', 'create', '--title', 'Not filed', '--body', 'x', '--jq', '.id | ']);
    expect(r.exitCode).toBe(2);
    expect(parseJson(r.stdout).error.message).toMatch(/^The --jq expression is not valid jq: syntax error/);
    expect(parseJson((await run(['ticket', 'list', '--json', 'id'])).stdout).tickets).toHaveLength(4);
  });

  it('a --jq expression that fails on the result says so (exit 1)', async () => {
    const r = await run(['ticket', 'list', '--jq', '.tickets[0].title | error("stop here")']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The --jq expression failed on the result: stop here.');
  });

  it('errors under --jq stay the JSON error document', async () => {
    const r = await run(['ticket', 'view', '404', '--jq', '.title']);
    expect(r.exitCode).toBe(3);
    expect(parseJson(r.stdout).error.code).toBe('not_found');
  });

  it('--jq on a terminal shows control characters as escapes', async () => {
    const {screen, exitCode} = await runInTerminal(['ticket', 'view', '3', '--jq', '.title'], {env: box.env});
    expect(exitCode).toBe(0);
    expect(screen).toContain('evil \\x1b]0;pwned\\x07 \\x9b31m title \\u202egnp.exe');
    // eslint-disable-next-line no-control-regex -- nothing of the title may reach the terminal raw
    expect(screen).not.toMatch(/[\u001B\u0007\u009B\u202E]/);
  });

  it('long lists go through $PAGER on a terminal, and --no-pager prints them straight', async () => {
    const input = join(box.dir, 'many.jsonl');
    writeFileSync(input, Array.from({length: 70}, (_, i) => JSON.stringify({title: `Paged ticket ${i}`, body: 'x'})).join('\n'));
    expect((await run(['ticket', 'bulk', 'create', '--input', input])).exitCode).toBe(0);
    const pager = join(box.dir, 'pager.sh');
    const seen = join(box.dir, 'paged.txt');
    writeFileSync(pager, `#!/bin/sh\ncat > '${seen}'\necho PAGED\n`);
    chmodSync(pager, 0o755);
    const env = {...box.env, PAGER: pager};
    const paged = await runInTerminal(['ticket', 'list', '--limit', '70'], {env});
    expect(paged.exitCode).toBe(0);
    expect(paged.screen).toContain('PAGED');
    // eslint-disable-next-line no-control-regex -- the table's own styling
    const text = readFileSync(seen, 'utf8').replace(/\u001B\[[0-9;]*m/g, '');
    expect(text).toMatch(/^ID\s+STATUS/);
    expect(text).toContain('Paged ticket 0');
    const straight = await runInTerminal(['ticket', 'list', '--limit', '70', '--no-pager'], {env});
    expect(straight.screen).not.toContain('PAGED');
    expect(straight.screen).toContain('Paged ticket 0');
    // A short list is printed as it is.
    const short = await runInTerminal(['ticket', 'list', '--limit', '5'], {env});
    expect(short.screen).not.toContain('PAGED');
  });
});
