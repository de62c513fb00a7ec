import {createHash} from 'node:crypto';
import {existsSync, mkdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import type {DatabaseSync, StatementSync} from 'node:sqlite';

import {describeTarget, type BulkOperation, type BulkTarget} from '../domain/bulk.js';
import {UnavailableError, UsageError} from '../domain/errors.js';
import {loadSqlite} from '../store/sqlite.js';

export type RowState = 'started' | 'done' | 'failed' | 'invalid';

export interface JournalEntry {
  state: RowState;
  ticketId: string | null;
  error: string | null;
  attempts: number;
  /** When the first attempt of the row began (epoch ms). */
  startedAt: number | null;
}

const targetKey = (t: BulkTarget) => JSON.stringify([t.backend, t.location, t.principal]);

/**
 * The journal's name: the operation, the input's content and the target, so that the same
 * command against the same backend finds it again. Without a target: the name journals had
 * before they recorded one.
 */
export function journalIdFor(operation: BulkOperation | 'update-selection', inputIdentity: string, target?: BulkTarget): string {
  return createHash('sha256')
    .update(`${operation}\0${inputIdentity}${target ? `\0${targetKey(target)}` : ''}`)
    .digest('hex');
}

export const defaultJournalPath = (dataDir: string, journalId: string) => join(dataDir, 'bulk', `${journalId}.sqlite`);

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS rows (
    key TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    state TEXT NOT NULL,
    ticket_id TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER,
    finished_at INTEGER
  );`;

/**
 * Each row's outcome, written as it happens. SQLite in WAL mode: a committed outcome survives the
 * process being killed the instant after. (synchronous=NORMAL leaves a power cut able to lose the
 * last outcomes; a rerun then repeats them, which creates make safe with their idempotency key.)
 */
export class Journal {
  private readonly getRow: StatementSync;
  private readonly startRow: StatementSync;
  private readonly finishRow: StatementSync;

  private constructor(
    private readonly db: DatabaseSync,
    readonly file: string,
    /** Stable for this journal; part of every create's idempotency key. */
    readonly id: string,
    readonly readOnly: boolean,
    /** An earlier run left rows in it: this run carries on from there. */
    readonly resumed: boolean,
  ) {
    this.getRow = db.prepare('SELECT state, ticket_id, error, attempts, started_at FROM rows WHERE key = ?');
    this.startRow = readOnly
      ? db.prepare('SELECT 1')
      : db.prepare(`INSERT INTO rows (key, line, state, attempts, started_at) VALUES (?, ?, 'started', 1, ?)
          ON CONFLICT (key) DO UPDATE SET state = 'started', line = excluded.line, attempts = attempts + 1,
            started_at = COALESCE(started_at, excluded.started_at)`);
    this.finishRow = readOnly
      ? db.prepare('SELECT 1')
      : db.prepare(`INSERT INTO rows (key, line, state, ticket_id, error, finished_at) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (key) DO UPDATE SET state = excluded.state, line = excluded.line, ticket_id = COALESCE(excluded.ticket_id, ticket_id),
            error = excluded.error, finished_at = excluded.finished_at`);
  }

  /**
   * Opens (or creates) the journal of one bulk run against one target. With `fresh`, an earlier
   * journal of the same input and target is set aside and a new one begins with new idempotency
   * keys. A journal written before journals recorded their target is taken on for this target
   * only when the user named it with --journal (`adopt`); the caller refuses it otherwise.
   */
  static async open(options: {
    file: string;
    operation: string;
    inputIdentity: string;
    target: BulkTarget;
    /** The user named this file (--journal): a journal without a target may be taken on. */
    adopt?: boolean;
    fresh?: boolean;
    readOnly?: boolean;
    now?: number;
  }): Promise<Journal | undefined> {
    const {DatabaseSync} = await loadSqlite();
    const {file} = options;
    if (options.readOnly && !existsSync(file)) return undefined;
    if (!options.readOnly) mkdirSync(dirname(file), {recursive: true, mode: 0o700});
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, options.readOnly ? {readOnly: true} : {});
      db.exec('PRAGMA busy_timeout = 10000');
      if (!options.readOnly) {
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = NORMAL');
        db.exec(SCHEMA);
      }
    } catch (error) {
      throw new UnavailableError(`The bulk journal ${file} cannot be opened: ${(error as Error).message}.`, {
        hint: 'Choose another file with --journal FILE, or move this one aside.',
        cause: error,
      });
    }
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value;
    const operation = meta('operation');
    const input = meta('input');
    if (operation !== undefined && (operation !== options.operation || input !== options.inputIdentity)) {
      db.close();
      throw new UsageError(`The journal ${file} belongs to another input or operation.`, {
        hint: 'Each input keeps its own journal: leave out --journal to use the default, or name a new file.',
      });
    }
    const recorded = meta('target');
    const target = recorded === undefined ? undefined : parseTarget(recorded);
    if (target && targetKey(target) !== targetKey(options.target)) {
      db.close();
      throw new UsageError(`The journal ${file} is of a run against ${describeTarget(target)}, not ${describeTarget(options.target)}.`, {
        hint: 'Each backend keeps its own journal of an input: leave out --journal to use this one’s, or name a new file.',
      });
    }
    const legacy = operation !== undefined && recorded === undefined;
    if (legacy && !options.adopt) {
      db.close();
      throw new LegacyJournalError(file, options.target);
    }
    // The keys a journal's creates were sent with never change: a journal from before targets
    // keeps its old ones, so that a row it sent is replayed by the backend, not made again.
    const keyId = meta('key_id') ?? (legacy ? journalIdFor(options.operation as BulkOperation, options.inputIdentity) : journalIdFor(options.operation as BulkOperation, options.inputIdentity, options.target));
    const rows = (db.prepare('SELECT count(*) AS n FROM rows').get() as {n: number}).n;
    let generation = Number(meta('generation') ?? 0);
    if (!options.readOnly) {
      const set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      if (operation === undefined) {
        set.run('operation', options.operation);
        set.run('input', options.inputIdentity);
        set.run('created_at', new Date(options.now ?? Date.now()).toISOString());
      } else if (options.fresh) {
        // New keys, so a backend that remembers the old ones makes new tickets as asked.
        generation++;
        db.exec('DELETE FROM rows');
      }
      set.run('target', JSON.stringify(options.target));
      set.run('key_id', keyId);
      set.run('generation', String(generation));
    }
    const id = `${keyId.slice(0, 32)}${generation ? `.${generation}` : ''}`;
    return new Journal(db, file, id, Boolean(options.readOnly), rows > 0 && !options.fresh);
  }

  get(key: string): JournalEntry | undefined {
    const row = this.getRow.get(key) as {state: RowState; ticket_id: string | null; error: string | null; attempts: number; started_at: number | null} | undefined;
    return row && {state: row.state, ticketId: row.ticket_id, error: row.error, attempts: row.attempts, startedAt: row.started_at};
  }

  /** Written before the first call for the row: a row left "started" was cut off and may have happened. */
  start(key: string, line: number, now: number): void {
    if (!this.readOnly) this.startRow.run(key, line, now);
  }

  finish(key: string, line: number, outcome: {state: Exclude<RowState, 'started'>; ticketId?: string; error?: string}, now: number): void {
    if (!this.readOnly) this.finishRow.run(key, line, outcome.state, outcome.ticketId ?? null, outcome.error ?? null, now);
  }

  /** The idempotency key of a row's create (or of another step of it): the same on every rerun of this journal. */
  idempotencyKey(line: number, step?: string): string {
    return `bulk-${this.id}-${line}${step ? `-${step}` : ''}`;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function parseTarget(text: string): BulkTarget {
  try {
    const t = JSON.parse(text) as Partial<BulkTarget>;
    if (typeof t.backend === 'string' && typeof t.location === 'string' && typeof t.principal === 'string') return {backend: t.backend, location: t.location, principal: t.principal};
  } catch {
    // an unreadable record matches no target: the caller refuses it
  }
  return {backend: '(unreadable)', location: '', principal: '?'};
}

/**
 * A journal written before journals recorded their target: it may be of a run against another
 * backend (the local store, say), so it is never taken on silently; the user says which.
 */
export class LegacyJournalError extends UsageError {
  constructor(
    readonly file: string,
    target: BulkTarget,
  ) {
    super(`An earlier run of this input is journaled in ${file}, from before journals recorded their backend, so it may be of a run against another backend than ${describeTarget(target)}; nothing was sent.`, {
      hint: `To carry on with that run here (rows it marks done are skipped), run again with --journal "${file}"; to apply every row to this backend, run again with --fresh.`,
    });
  }
}
