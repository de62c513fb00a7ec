import {randomUUID} from 'node:crypto';
import {existsSync} from 'node:fs';
import {resolve} from 'node:path';

import type {AttemptControl, Backend} from '../backends/backend.js';
import {
  describeChanges,
  hasChanges,
  planCreate,
  planUpdate,
  resolveUpdate,
  type BulkOperation,
  type BulkPlan,
  type BulkTarget,
  type CreatePlan,
  type UpdatePlan,
} from '../domain/bulk.js';
import {AuthError, CancelledError, SupportError, UnavailableError, UnsupportedError, UsageError} from '../domain/errors.js';
import type {Ticket} from '../domain/ticket.js';
import {FailureWriter, type RowSource, type SourceRow} from './bulk-input.js';
import {defaultJournalPath, Journal, journalIdFor, LegacyJournalError, type JournalEntry} from './bulk-journal.js';
import {pacedCall, Pacer, type Clock} from './bulk-pacer.js';

export interface BulkRowResult {
  line: number;
  id: string | null;
  ok: boolean;
  error: string | null;
}

export interface BulkProgress {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Rows per second over the last few seconds. */
  rate: number;
  /** Seconds left at that rate; undefined until there is a rate. */
  etaSeconds?: number;
}

export interface BulkOptions {
  operation: BulkOperation;
  source: RowSource;
  /** For the default journal location: <dataDir>/bulk/<id>.sqlite. */
  dataDir: string;
  /** --journal FILE. */
  journalFile?: string;
  /** What the journal is keyed by instead of the input's bytes (a selection). */
  identity?: string;
  /** Where the rows go; by default the backend's kind, location and whoami(). */
  target?: BulkTarget;
  /** Where the backend's tickets live, for a backend that does not say (the profile's URL). */
  location?: string;
  concurrency?: number;
  ratePerMinute?: number;
  dryRun?: boolean;
  skipInvalid?: boolean;
  /** Start over: set aside the journal of an earlier run of the same input. */
  fresh?: boolean;
  /** --failures FILE. */
  failuresFile?: string;
  clock?: Clock;
  signal?: AbortSignal;
  /** Attempts per call before a 429 or an unreachable backend fails the row. */
  maxAttempts?: number;
  onProgress?: (progress: BulkProgress) => void;
  /** Each row's outcome, in the order they finish (skipped rows included). */
  onResult?: (result: BulkRowResult) => void;
  /** --dry-run: what each row would do. */
  onPlan?: (plan: {line: number; id: string | null; action: string; error?: string}) => void;
}

export interface BulkSummary {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** The journal file, when one was written. */
  journal: string | null;
  /** Where the rows went. */
  target: BulkTarget;
  /** The journal held rows of an earlier run against the same target, which this one carried on. */
  resumed: boolean;
  /** Invalid rows (the first hundred), found before anything was sent. */
  invalid: {line: number; error: string}[];
  invalidCount: number;
  /** 429 responses and unreachable-backend errors met on the way. */
  rateLimited: number;
  unavailable: number;
  calls: number;
  cancelled: boolean;
  elapsedMs: number;
}

const MAX_REPORTED_INVALID = 100;

/** Hides a row's problem behind its line, as the user reads their file: "line 4: ..." */
const describe = (error: unknown) => {
  if (error instanceof SupportError) return error.hint && error instanceof UsageError ? `${error.message} ${error.hint}` : error.message;
  return (error as Error)?.message ?? String(error);
};

interface CheckedRow {
  row: SourceRow;
  plan?: BulkPlan;
  error?: string;
}

/** Reads each row and checks it against the operation's rules; a duplicate id is an error too. */
async function* checkedRows(source: RowSource, operation: BulkOperation): AsyncGenerator<CheckedRow> {
  const seen = new Map<string, number>();
  for await (const row of source.rows()) {
    if (row.error || !row.values) {
      yield {row, error: row.error ?? 'cannot be read.'};
      continue;
    }
    try {
      const plan = operation === 'create' ? planCreate(row.values, source.format) : planUpdate(row.values, source.format);
      if (plan.kind === 'update') {
        const first = seen.get(plan.id);
        if (first !== undefined) {
          yield {row, error: `duplicate id ${plan.id} (first on line ${first}): one row per ticket, so that the order of changes is never a guess.`};
          continue;
        }
        seen.set(plan.id, row.line);
      }
      yield {row, plan};
    } catch (error) {
      yield {row, error: describe(error)};
    }
  }
}

/** Rows finished per second over a sliding window, for the progress line. */
class RateMeter {
  private readonly marks: number[] = [];
  constructor(private readonly windowMs = 5000) {}
  mark(now: number): void {
    this.marks.push(now);
    while (this.marks.length && this.marks[0]! < now - this.windowMs) this.marks.shift();
  }
  rate(now: number, startedAt: number): number {
    const span = Math.min(this.windowMs, now - startedAt);
    return span > 0 ? (this.marks.filter((m) => m >= now - this.windowMs).length * 1000) / span : 0;
  }
}

/**
 * Applies a file of rows to a backend, exactly once: every row is checked before the first is
 * sent; each outcome goes to a journal as it happens, so a rerun skips the rows done, retries the
 * ones that failed and settles the ones cut off mid-call; creates carry an idempotency key made of
 * the journal and the line. Calls are paced by a Pacer that listens to the backend's rate limits.
 */
export async function runBulk(backend: Backend, options: BulkOptions): Promise<BulkSummary> {
  const {source, operation} = options;
  // Rows not yet finished (known once the input is counted below): a lower bound of the calls left.
  let rowsLeft = Number.POSITIVE_INFINITY;
  const pacer = new Pacer({
    concurrency: options.concurrency ?? 4,
    ratePerMinute: options.ratePerMinute,
    clock: options.clock,
    workLeft: () => rowsLeft,
    readings: backend.rateLimit ? () => backend.rateLimit!() : undefined,
  });
  const clock = pacer.clock;
  const startedAt = clock.now();
  const maxAttempts = options.maxAttempts ?? 8;

  // Pass 1: check every row, sending nothing.
  let total = 0;
  let invalidCount = 0;
  const invalid: {line: number; error: string}[] = [];
  for await (const checked of checkedRows(source, operation)) {
    total++;
    if (checked.error) {
      invalidCount++;
      if (invalid.length < MAX_REPORTED_INVALID) invalid.push({line: checked.row.line, error: checked.error});
    }
  }
  if (total === 0 && options.identity) {
    // A selection that matches nothing: nothing to do, which is no error.
    const target = options.target ?? (await bulkTargetOf(backend, options.location));
    return {total: 0, succeeded: 0, failed: 0, skipped: 0, journal: null, target, resumed: false, invalid, invalidCount, rateLimited: 0, unavailable: 0, calls: pacer.calls, cancelled: false, elapsedMs: 0};
  }
  if (total === 0) {
    throw new UsageError(`${source.label} has no rows.`, {
      hint: source.format === 'csv' ? 'Give a header line and one line per ticket: title,body,priority' : 'Give one JSON object per line: {"title": "...", "body": "..."}',
    });
  }
  if (invalidCount > 0 && !options.skipInvalid && !options.dryRun) throw new InvalidRowsError(invalid, invalidCount, total);
  rowsLeft = total;

  const identity = options.identity ?? source.identity();
  if (!identity) throw new Error('The input was not read to its end.');
  const journalOperation = (options.identity ? `${operation}-selection` : operation) as BulkOperation;
  const target = options.target ?? (await bulkTargetOf(backend, options.location));
  const journalFile = options.journalFile ?? defaultJournalPath(options.dataDir, journalIdFor(journalOperation, identity, target));
  if (!options.journalFile && !options.fresh && !existsSync(journalFile)) {
    // Journals were once named by operation and input alone: such a run may have been against
    // another backend, so it is neither reused nor ignored without the user saying which.
    const legacy = defaultJournalPath(options.dataDir, journalIdFor(journalOperation, identity));
    if (existsSync(legacy)) throw new LegacyJournalError(legacy, target);
  }
  const journal = await Journal.open({
    file: journalFile,
    operation: journalOperation,
    inputIdentity: identity,
    target,
    adopt: Boolean(options.journalFile),
    fresh: options.fresh,
    readOnly: options.dryRun,
    now: startedAt,
  });
  const failures = options.failuresFile && !options.dryRun ? new FailureWriter(options.failuresFile, source) : undefined;

  const counts = {succeeded: 0, failed: 0, skipped: 0};
  const meter = new RateMeter();
  let lastProgress = 0;
  const progress = (force = false) => {
    if (!options.onProgress) return;
    const now = clock.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    const done = counts.succeeded + counts.failed + counts.skipped;
    const rate = meter.rate(now, startedAt);
    options.onProgress({total, done, ...counts, rate, etaSeconds: rate > 0 ? (total - done) / rate : undefined});
  };
  const report = (row: SourceRow, outcome: {ok: boolean; id: string | null; error?: string; skipped?: boolean}) => {
    if (outcome.skipped) counts.skipped++;
    else if (outcome.ok) counts.succeeded++;
    else counts.failed++;
    rowsLeft = total - (counts.succeeded + counts.failed + counts.skipped);
    meter.mark(clock.now());
    options.onResult?.({line: row.line, id: outcome.id, ok: outcome.ok, error: outcome.error ?? null});
    progress();
  };

  const call = <T>(fn: (attempts: AttemptControl) => Promise<T>) => pacedCall(pacer, backend, fn, {signal: options.signal, maxAttempts});

  /**
   * A comment carries a key made of the journal and the line, the same on a rerun, so a server
   * that honours it posts it once. Backends that do not are never sent it twice by the HTTP
   * layer; after a cut-off attempt (this run's, or an earlier run's), look before posting again.
   */
  const commentOnce = async (id: string, body: string, since: number | null, idempotencyKey: string) => {
    const alreadyThere = async (from: number) => {
      const ticket = await call((attempts) => backend.tickets.view(id, {attempts}));
      // Clocks of client and server differ a little: allow a few minutes before the first attempt.
      return ticket.comments.some((c) => c.body === body && Date.parse(c.createdAt) >= from - 5 * 60_000);
    };
    if (since !== null && (await alreadyThere(since))) return;
    const first = clock.now();
    try {
      await call((attempts) => backend.tickets.comment(id, {body}, {idempotencyKey, attempts}));
    } catch (error) {
      // Every answer was lost: the comment may be there all the same.
      if (error instanceof UnavailableError && (await alreadyThere(since ?? first).catch(() => false))) return;
      throw error;
    }
  };

  const apply = async (row: SourceRow, plan: BulkPlan, prior: JournalEntry | undefined): Promise<string> => {
    if (plan.kind === 'create') return applyCreate(row, plan);
    return applyUpdate(row, plan, prior);
  };

  const applyCreate = async (row: SourceRow, plan: CreatePlan): Promise<string> => {
    const idempotencyKey = journal!.idempotencyKey(row.line);
    const ticket = await call((attempts) => backend.tickets.create(plan.ticket, {idempotencyKey, attempts}));
    if (plan.status) {
      const status = plan.status;
      await call((attempts) => backend.tickets.update(ticket.id, {status}, {idempotencyKey: randomUUID(), attempts, readBack: false}));
    }
    return ticket.id;
  };

  const applyUpdate = async (row: SourceRow, plan: UpdatePlan, prior: JournalEntry | undefined): Promise<string> => {
    let changes = plan.changes;
    let ifVersion: number | undefined;
    if (plan.tags !== undefined) {
      const current = await call((attempts) => backend.tickets.get(plan.id, {attempts}));
      changes = resolveUpdate(plan, current);
      // The tags to add and remove were worked out from this read: applied to no other version.
      if (backend.capabilities.has('conditional-update')) ifVersion = current.version;
    }
    // One key per update in this run: its own retries replay. A rerun computes the changes anew
    // from the ticket as it is then, which may differ, so it does not reuse the key.
    // The journal keeps the id and nothing else of the ticket as it is after: it is not read back.
    if (hasChanges(changes)) {
      await call((attempts) => backend.tickets.update(plan.id, changes, {idempotencyKey: randomUUID(), attempts, readBack: false, ...(ifVersion === undefined ? {} : {ifVersion})}));
    }
    else if (plan.comment === undefined && plan.tags === undefined) await call((attempts) => backend.tickets.get(plan.id, {attempts}));
    if (plan.comment !== undefined) {
      const cutOff = prior && prior.state !== 'done' && prior.attempts > 0 ? prior.startedAt : null;
      await commentOnce(plan.id, plan.comment, cutOff, journal!.idempotencyKey(row.line, 'comment'));
    }
    return plan.id;
  };

  const preview = async (row: SourceRow, plan: BulkPlan): Promise<{id: string | null; action: string}> => {
    if (plan.kind === 'create') {
      const t = plan.ticket;
      const parts = [`create "${t.title}"`, t.priority && `priority: ${t.priority}`, t.type && `type: ${t.type}`, plan.status && `status: ${plan.status}`,
        t.tags?.length && `tags: ${t.tags.join(' ')}`, t.assignee && `assignee: ${t.assignee}`,
        t.fields && Object.keys(t.fields).length && `fields: ${JSON.stringify(t.fields)}`].filter(Boolean);
      return {id: null, action: parts.join('; ')};
    }
    // Reads only: the ticket as it is, to show what would change.
    const current: Ticket = await call((attempts) => backend.tickets.get(plan.id, {attempts}));
    const changes = resolveUpdate(plan, current);
    const parts = [describeChanges(changes, current), plan.comment !== undefined && `comment: ${JSON.stringify(plan.comment.length > 60 ? `${plan.comment.slice(0, 59)}…` : plan.comment)}`].filter(Boolean);
    return {id: plan.id, action: parts.join('; ') || 'no change'};
  };

  // Pass 2: apply, streaming the input again, with at most `limit` rows in flight.
  const inFlight = new Set<Promise<void>>();
  let fatal: unknown;
  let cancelled = false;
  try {
    for await (const {row, plan, error} of checkedRows(source, operation)) {
      if (fatal) break;
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      const prior = journal?.get(row.key);
      if (prior?.state === 'done') {
        report(row, {ok: true, id: prior.ticketId, skipped: true});
        if (options.dryRun) options.onPlan?.({line: row.line, id: prior.ticketId, action: 'skip: done by an earlier run'});
        continue;
      }
      if (!plan) {
        journal?.finish(row.key, row.line, {state: 'invalid', error}, clock.now());
        failures?.write(row);
        report(row, {ok: false, id: null, error});
        if (options.dryRun) options.onPlan?.({line: row.line, id: null, action: 'invalid', error});
        continue;
      }
      const release = await pacer.slot();
      const task = (async () => {
        try {
          if (options.dryRun) {
            const {id, action} = await preview(row, plan);
            options.onPlan?.({line: row.line, id, action});
            report(row, {ok: true, id});
            return;
          }
          journal!.start(row.key, row.line, clock.now());
          const id = await apply(row, plan, prior);
          journal!.finish(row.key, row.line, {state: 'done', ticketId: id}, clock.now());
          report(row, {ok: true, id});
        } catch (err) {
          const message = describe(err);
          const id = plan.kind === 'update' ? plan.id : null;
          if (err instanceof CancelledError || (err as Error)?.name === 'AbortError') {
            // Cut off by Ctrl-C: the journal keeps it "started", and a rerun settles it.
            cancelled = true;
            report(row, {ok: false, id, error: 'cancelled'});
            return;
          }
          if (options.dryRun) options.onPlan?.({line: row.line, id, action: 'would fail', error: message});
          else {
            journal!.finish(row.key, row.line, {state: 'failed', error: message}, clock.now());
            failures?.write(row);
          }
          report(row, {ok: false, id, error: message});
          // Every other row would fail the same way: stop taking new ones.
          if (err instanceof AuthError || err instanceof UnsupportedError) fatal ??= err;
        } finally {
          release();
        }
      })();
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    journal?.close();
    await failures?.close();
  }
  progress(true);
  if (fatal) throw fatal;
  return {
    total,
    ...counts,
    journal: options.dryRun ? null : journalFile,
    target,
    resumed: journal?.resumed ?? false,
    invalid,
    invalidCount,
    rateLimited: pacer.rateLimited,
    unavailable: pacer.unavailable,
    calls: pacer.calls,
    cancelled,
    elapsedMs: clock.now() - startedAt,
  };
}

/** The target of a run: the backend's kind, where its tickets live, and the principal it acts as there. */
export async function bulkTargetOf(backend: Backend, location?: string): Promise<BulkTarget> {
  const me = await backend.whoami();
  return {backend: backend.kind, location: normalizeLocation(backend.location ?? location ?? ''), principal: me.id ?? me.name};
}

/** One spelling per place: a URL as the WHATWG parser writes it (lower-case host, no trailing slash), a path made absolute. */
function normalizeLocation(location: string): string {
  if (!location) return '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    try {
      return new URL(location).href.replace(/\/+$/, '');
    } catch {
      return location;
    }
  }
  return resolve(location);
}

/** Rows that break the rules, found before anything was sent. */
export class InvalidRowsError extends UsageError {
  constructor(
    readonly rows: {line: number; error: string}[],
    readonly count: number,
    total: number,
  ) {
    const shown = rows.slice(0, 10).map((r) => `line ${r.line}: ${r.error}`);
    const more = count > shown.length ? `\n…and ${count - shown.length} more.` : '';
    super(`${count} of ${total} rows are invalid; nothing was sent.\n${shown.join('\n')}${more}`, {
      hint: 'Fix those lines and run again, or pass --skip-invalid to apply the valid rows (--dry-run lists every problem).',
    });
  }
}
