import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import KbImport from '../../src/commands/kb/import.js';
import KbSearch from '../../src/commands/kb/search.js';
import KbView from '../../src/commands/kb/view.js';
import ProfileList from '../../src/commands/profile/list.js';
import SlaStatus from '../../src/commands/sla/status.js';
import TicketBulkCreate from '../../src/commands/ticket/bulk/create.js';
import TicketComment from '../../src/commands/ticket/comment.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import TicketExport from '../../src/commands/ticket/export.js';
import TicketList from '../../src/commands/ticket/list.js';
import TicketView from '../../src/commands/ticket/view.js';
import type {Article} from '../../src/domain/article.js';
import {neutralise} from '../../src/domain/neutralise.js';
import type {TicketWithComments} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type RunOptions, type Sandbox} from '../helpers.js';
import {HOSTILE, HOSTILE_SHOWN, expectNeutralised} from './hostile.js';

/**
 * Text written by someone else, through real commands on the local backend: what reaches
 * stdout and stderr, piped or on a terminal, never carries a control character or escape
 * sequence from the data, and shows it visibly instead; --json gives back the exact text.
 */
let box: Sandbox;
let ticketId: string;
const ARTICLE_TEXT = HOSTILE.replace('\u0000', '');
/** A YAML double-quoted string with every character outside printable ASCII written as \uXXXX. */
const yamlString = (text: string) => `"${[...text].map((ch) => (/[ -~]/.test(ch) && ch !== '"' && ch !== '\\' ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('')}"`;
const run = (cmd: Parameters<typeof runCommand>[0], argv: string[], options: RunOptions = {}) =>
  runCommand(cmd, argv, {...options, env: {...box.env, ...options.env}});

/** Runs a command piped and on a terminal (with colour asked for), and checks both outputs. */
async function bothWays(cmd: Parameters<typeof runCommand>[0], argv: string[], options: RunOptions = {}) {
  const piped = await run(cmd, argv, options);
  const terminal = await run(cmd, argv, {...options, tty: true, env: {FORCE_COLOR: '1', ...options.env}});
  for (const r of [piped, terminal]) expectNeutralised(r.stdout + r.stderr);
  return {piped, terminal};
}

beforeAll(async () => {
  box = sandbox();
  const attachment = join(box.dir, `trace${HOSTILE.slice(0, 20)}.log`.replaceAll('\u0000', '').replaceAll('/', ''));
  writeFileSync(attachment, 'a log\n');
  const created = await run(TicketCreate, [
    '--title', HOSTILE,
    '--body', `First line\n${HOSTILE}\nlast line`,
    '--tag', 'urgent\u001b]0;tag\u0007',
    '--field', `region=${HOSTILE}`,
    '--attach', attachment,
    '--json',
  ]);
  expect(created.exitCode, created.stderr).toBe(0);
  ticketId = parseJson<{id: string}>(created.stdout).id;
  const comment = await run(TicketComment, [ticketId, '--body', `A reply: ${HOSTILE}`]);
  expect(comment.exitCode, comment.stderr).toBe(0);
  expectNeutralised(comment.stdout + comment.stderr);

  // An article file with NUL is taken for a binary file: the article carries everything else.
  const kbDir = join(box.dir, 'kb');
  mkdirSync(kbDir);
  const lines = Array.from({length: 40}, (_, i) => `Step ${i + 1}: **keep going** ${i === 20 ? ARTICLE_TEXT : ''}`);
  writeFileSync(
    join(kbDir, 'proxy.md'),
    `---\ntitle: ${yamlString(`Proxy setup ${ARTICLE_TEXT}`)}\nslug: proxy-setup\ntags: [network]\nlocale: en\n---\n\n# Proxy\n\n${ARTICLE_TEXT}\n\n> quoted ${ARTICLE_TEXT}\n\n\`\`\`\n${ARTICLE_TEXT}\n\`\`\`\n\n${lines.join('\n\n')}\n`,
  );
  const imported = await run(KbImport, [kbDir]);
  expect(imported.exitCode, imported.stderr).toBe(0);
});

afterAll(() => box.cleanup());

describe('outside text never drives the terminal', () => {
  it('ticket view: every field, comment and attachment name is shown escaped, piped and on a terminal', async () => {
    const {piped, terminal} = await bothWays(TicketView, [ticketId]);
    expect(piped.stdout).toContain(`title:\t${HOSTILE_SHOWN.field}`);
    expect(piped.stdout).toContain(HOSTILE_SHOWN.text);
    expect(terminal.stdout).toContain(HOSTILE_SHOWN.text);
    expect(terminal.stdout).toContain('urgent\\x1b]0;tag\\x07');
    // Our own styling is still there: the title in bold.
    expect(terminal.stdout).toContain(`\u001b[1m${neutralise(HOSTILE, 'line')}\u001b[22m`);
    expect(piped.stdout).toContain('attachment:\ttrace');
  });

  it('ticket view --json gives back every string exactly', async () => {
    const r = await run(TicketView, [ticketId, '--json']);
    const ticket = parseJson<TicketWithComments>(r.stdout);
    expect(ticket.title).toBe(HOSTILE);
    expect(ticket.body).toBe(`First line\n${HOSTILE}\nlast line`);
    expect(ticket.fields.region).toBe(HOSTILE);
    expect(ticket.tags).toContain('urgent\u001b]0;tag\u0007');
    expect(ticket.comments[0]!.body).toBe(`A reply: ${HOSTILE}`);
    // The bytes on stdout carry no raw C1 or bidi character either: JSON escapes them.
    expect(r.stdout).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
  });

  it('ticket list: one row per ticket, one tab per column, the title escaped', async () => {
    const {piped} = await bothWays(TicketList, []);
    const rows = piped.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('\t')).toHaveLength(6);
    expect(rows[0]!.split('\t')[3]).toBe(HOSTILE_SHOWN.field);
  });

  it('sla status shows the title escaped', async () => {
    const {piped} = await bothWays(SlaStatus, []);
    expect(piped.stdout).toContain(HOSTILE_SHOWN.field);
  });

  it('an error that echoes the input is escaped on stderr, and exact under --json', async () => {
    const r = await run(TicketView, [HOSTILE]);
    expect(r.exitCode).toBe(3);
    expectNeutralised(r.stderr);
    expect(r.stderr).toContain(HOSTILE_SHOWN.text);
    const json = await run(TicketView, [HOSTILE, '--json']);
    expect(parseJson<{error: {message: string}}>(json.stdout).error.message).toContain(HOSTILE);
  });

  it('kb search and kb view show the article escaped; the pager receives the same neutralised text', async () => {
    const search = await bothWays(KbSearch, ['proxy']);
    expect(search.piped.stdout).toContain(neutralise(`Proxy setup ${ARTICLE_TEXT}`, 'field'));
    await bothWays(KbView, ['proxy-setup', '--no-pager']);

    const paged = join(box.dir, 'paged.txt');
    const r = await run(KbView, ['proxy-setup'], {tty: true, env: {FORCE_COLOR: '1', SUPPORT_PAGER: `cat > '${paged}'`}});
    expect(r.exitCode, r.stderr).toBe(0);
    const text = readFileSync(paged, 'utf8');
    expect(text).toContain('Step 40');
    expectNeutralised(text);
    expect(text).toContain(neutralise(ARTICLE_TEXT, 'line'));
  });

  it('kb view --json and --raw into a pipe are exact; --raw on a terminal is neutralised', async () => {
    const json = parseJson<Article>((await run(KbView, ['proxy-setup', '--json'])).stdout);
    expect(json.title).toBe(`Proxy setup ${ARTICLE_TEXT}`);
    expect(json.body).toContain(ARTICLE_TEXT);
    const raw = await run(KbView, ['proxy-setup', '--raw']);
    expect(raw.stdout).toContain(ARTICLE_TEXT);
    const terminal = await run(KbView, ['proxy-setup', '--raw'], {tty: true});
    expectNeutralised(terminal.stdout);
  });

  it('ticket export: exact into a pipe (JSON Lines parse to the original), escaped on a terminal', async () => {
    const jsonl = await run(TicketExport, ['--format', 'jsonl']);
    expect(jsonl.stdout).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
    expect(parseJson<{title: string}>(jsonl.stdout.split('\n')[0]!).title).toBe(HOSTILE);
    const terminal = await run(TicketExport, ['--format', 'csv'], {tty: true});
    expectNeutralised(terminal.stdout);
    expect(terminal.stdout).toContain('\\x1b]0;pwned');
  });

  it('bulk create: a row whose error echoes the input stays one escaped row', async () => {
    const input = join(box.dir, 'rows.jsonl');
    writeFileSync(input, `${JSON.stringify({title: 'fine', body: 'x'})}\n${JSON.stringify({title: 'bad', body: 'x', priority: HOSTILE})}\n`);
    const r = await run(TicketBulkCreate, ['--input', input, '--skip-invalid']);
    expectNeutralised(r.stdout + r.stderr);
    const rows = r.stdout.replace(/\n$/, '').split('\n');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.split('\t')).toHaveLength(4);
    expect(rows.find((row) => row.startsWith('2\t'))).toContain('\\x1b]0;pwned');
  });

  it('profile list shows a profile URL from a hand-edited config file escaped', async () => {
    const config = join(box.env.SUPPORT_CONFIG_DIR, 'config.json');
    mkdirSync(box.env.SUPPORT_CONFIG_DIR, {recursive: true});
    writeFileSync(config, JSON.stringify({profiles: {work: {backend: 'rest', url: `https://help.example.com/${HOSTILE}`}}}));
    try {
      const {piped} = await bothWays(ProfileList, []);
      expect(piped.stdout).toContain('https://help.example.com/Invoice \\x1b]0;');
    } finally {
      writeFileSync(config, '{}');
    }
  });
});
