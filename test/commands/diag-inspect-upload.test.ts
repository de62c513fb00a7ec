import {createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';
import {gunzipSync, gzipSync} from 'node:zlib';

import {afterEach, beforeEach, describe, expect, it} from 'vitest';

import DiagAttach from '../../src/commands/diag/attach.js';
import DiagInspect, {type DiagInspectResult} from '../../src/commands/diag/inspect.js';
import TicketCreate from '../../src/commands/ticket/create.js';
import {createBundleWriter} from '../../src/diag/bundle.js';
import type {Ticket} from '../../src/domain/ticket.js';
import {parseJson, runCommand, sandbox, type Sandbox} from '../helpers.js';

/**
 * `diag inspect FILE --ticket N` on the local backend: the checksums show a bundle is whole;
 * the sha256 the store recorded from the bytes it received shows it is the one uploaded.
 */
let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

const run = (cmd: Parameters<typeof runCommand>[0], argv: string[], options: Parameters<typeof runCommand>[2] = {}) =>
  runCommand(cmd, argv, {...options, env: {...box.env, ...options.env}});
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function writeBundle(path: string, log: string): Promise<void> {
  const writer = await createBundleWriter({path, toolkitVersion: '0.1.0'});
  await writer.addFile({path: 'logs/app.log', content: log, collector: 'logs'});
  await writer.finish();
}

async function ticketWithBundle(): Promise<{ticket: Ticket; bundle: string}> {
  const ticket = parseJson<Ticket>((await run(TicketCreate, ['--title', 'Crash', '--body', 'See the bundle.', '--json'])).stdout);
  const bundle = join(box.dir, 'bundle.tar.gz');
  await writeBundle(bundle, 'INFO started\n');
  const attached = await run(DiagAttach, [bundle, '--ticket', ticket.id]);
  expect(attached.exitCode, attached.stderr).toBe(0);
  return {ticket, bundle};
}

describe('diag inspect --ticket on the local backend', () => {
  it('the store records the sha256 of the bytes it received', async () => {
    const {ticket, bundle} = await ticketWithBundle();
    const db = new DatabaseSync(join(box.env.SUPPORT_DATA_DIR, 'local', 'support.db'), {readOnly: true});
    try {
      const row = db.prepare('SELECT sha256, path FROM attachments WHERE ticket_id = ?').get(Number(ticket.id)) as {sha256: string; path: string};
      expect(row.sha256).toBe(sha256(bundle));
      expect(sha256(join(box.env.SUPPORT_DATA_DIR, 'local', row.path))).toBe(row.sha256);
    } finally {
      db.close();
    }
  });

  it('says the file is unaltered since the upload, and exits 0', async () => {
    const {ticket, bundle} = await ticketWithBundle();
    const r = await run(DiagInspect, [bundle, '--ticket', ticket.id], {tty: true});
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ Unaltered since the upload: it is attachment bundle.tar.gz (id 1) of ticket #${ticket.id}`);
    const json = parseJson<DiagInspectResult>((await run(DiagInspect, [bundle, '--ticket', ticket.id, '--json'])).stdout);
    expect(json).toMatchObject({ok: true, problems: [], upload: {ticketId: ticket.id, match: {id: '1', name: 'bundle.tar.gz', sha256: sha256(bundle)}}});
    const piped = await run(DiagInspect, [bundle, '--ticket', ticket.id]);
    expect(piped.stdout).toMatch(new RegExp(`^upload\\t${ticket.id}\\tmatch\\t1\\tbundle\\.tar\\.gz\\t`, 'm'));
  });

  it('a bundle rebuilt after the upload passes its own checksums, but not the upload record: exit 1, saying what differs', async () => {
    const {ticket, bundle} = await ticketWithBundle();
    const uploaded = sha256(bundle);
    // Whole and self-consistent, with a new manifest: only the record on the ticket can tell.
    await writeBundle(bundle, 'INFO started (edited)\n');
    expect((await run(DiagInspect, [bundle])).exitCode).toBe(0);
    const r = await run(DiagInspect, [bundle, '--ticket', ticket.id]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`The file is not the bundle attached to ticket #${ticket.id}: no attachment there has its sha256.`);
    expect(r.stdout).toMatch(new RegExp(`^upload\\t${ticket.id}\\tmismatch\\t`, 'm'));
    const json = parseJson<DiagInspectResult>((await run(DiagInspect, [bundle, '--ticket', ticket.id, '--json'])).stdout);
    expect(json.ok).toBe(false);
    expect(json.upload).toMatchObject({match: null, sameName: [{name: 'bundle.tar.gz', sha256: uploaded}]});
    expect(json.problems).toEqual([
      {kind: 'upload-mismatch', detail: expect.stringContaining(`has sha256 ${uploaded}; this file has ${sha256(bundle)}: it is not what was uploaded`)},
    ]);
    const terminal = await run(DiagInspect, [bundle, '--ticket', ticket.id], {tty: true});
    expect(terminal.stdout).toContain('All 1 files match the manifest.');
    expect(terminal.stdout).toContain(`✗ Not what was uploaded: no attachment of ticket #${ticket.id} has this file's sha256.`);
  });

  it('a ticket with no attachments: exit 1; a ticket that does not exist: exit 3', async () => {
    const {bundle} = await ticketWithBundle();
    const other = parseJson<Ticket>((await run(TicketCreate, ['--title', 'Other', '--body', 'x', '--json'])).stdout);
    const r = await run(DiagInspect, [bundle, '--ticket', other.id]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`no attachment of ticket #${other.id} has this file's sha256`);
    expect(r.stdout).toContain('(it has no attachments)');
    expect((await run(DiagInspect, [bundle, '--ticket', '404'])).exitCode).toBe(3);
  });

  it('a bundle that does not match its manifest says so first, whatever the ticket says', async () => {
    const {ticket, bundle} = await ticketWithBundle();
    const tar = gunzipSync(readFileSync(bundle));
    tar.write('INFO STARTED', tar.indexOf('INFO started'), 'latin1');
    writeFileSync(bundle, gzipSync(tar));
    const r = await run(DiagInspect, [bundle, '--ticket', ticket.id]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('does not match its manifest (1 problem)');
    expect(r.stdout).toMatch(/^problem\tchecksum-mismatch\tlogs\/app\.log\t/m);
    expect(r.stdout).toMatch(/^problem\tupload-mismatch\t\t/m);
  });
});
