import type {Backend} from '../backends/backend.js';
import {
  describeChanges,
  hasChanges,
  planCreate,
  planUpdate,
  resolveUpdate,
  type BulkOperation,
  type BulkPlan,
  type CreatePlan,
  type UpdatePlan,
} from '../domain/bulk.js';
import {AuthError, CancelledError, SupportError, UnsupportedError, UsageError} from '../domain/errors.js';
import type {Ticket} from '../domain/ticket.js';
import {FailureWriter, type RowSource, type SourceRow} from './bulk-input.js';
import {defaultJournalPath, Journal, journalIdFor, type JournalEntry} from './bulk-journal.js';
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
  const pacer = new Pacer({concurrency: options.concurrency ?? 4, ratePerMinute: options.ratePerMinute, clock: options.clock, workLeft: () => rowsLeft});
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
    return {total: 0, succeeded: 0, failed: 0, skipped: 0, journal: null, invalid, invalidCount, rateLimited: 0, unavailable: 0, calls: pacer.calls, cancelled: false, elapsedMs: 0};
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
  const journalOperation = options.identity ? `${operation}-selection` : operation;
  const journalFile = options.journalFile ?? defaultJournalPath(options.dataDir, journalIdFor(journalOperation as BulkOperation, identity));
  const journal = await Journal.open({
    file: journalFile,
    operation: journalOperation,
    inputIdentity: identity,
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

  const call = <T>(fn: () => Promise<T>) => pacedCall(pacer, backend, fn, {signal: options.signal, maxAttempts}) as Promise<T>;

  /** A comment is the one call that is not idempotent: after a cut-off attempt, look before posting again. */
  const commentOnce = async (id: string, body: string, since: number | null) => {
    const alreadyThere = async () => {
      const ticket = await call(() => backend.tickets.view(id));
      // Clocks of client and server differ a little: allow a few minutes before the first attempt.
      const from = (since ?? clock.now()) - 5 * 60_000;
      return ticket.comments.some((c) => c.body === body && Date.parse(c.createdAt) >= from);
    };
    if (since !== null && (await alreadyThere())) return;
    const first = clock.now();
    await pacedCall(pacer, backend, () => backend.tickets.comment(id, {body}), {
      signal: options.signal,
      maxAttempts,
      beforeRetry: async () => {
        since ??= first;
        return alreadyThere();
      },
    });
  };

  const apply = async (row: SourceRow, plan: BulkPlan, prior: JournalEntry | undefined): Promise<string> => {
    if (plan.kind === 'create') return applyCreate(row, plan);
    return applyUpdate(plan, prior);
  };

  const applyCreate = async (row: SourceRow, plan: CreatePlan): Promise<string> => {
    const idempotencyKey = journal!.idempotencyKey(row.line);
    const ticket = await call(() => backend.tickets.create(plan.ticket, {idempotencyKey}));
    if (plan.status) await call(() => backend.tickets.update(ticket.id, {status: plan.status}));
    return ticket.id;
  };

  const applyUpdate = async (plan: UpdatePlan, prior: JournalEntry | undefined): Promise<string> => {
    let changes = plan.changes;
    if (plan.tags !== undefined) {
      const current = await call(() => backend.tickets.get(plan.id));
      changes = resolveUpdate(plan, current);
    }
    if (hasChanges(changes)) await call(() => backend.tickets.update(plan.id, changes));
    else if (plan.comment === undefined && plan.tags === undefined) await call(() => backend.tickets.get(plan.id));
    if (plan.comment !== undefined) {
      const cutOff = prior && prior.state !== 'done' && prior.attempts > 0 ? prior.startedAt : null;
      await commentOnce(plan.id, plan.comment, cutOff);
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
    const current: Ticket = await call(() => backend.tickets.get(plan.id));
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
    invalid,
    invalidCount,
    rateLimited: pacer.rateLimited,
    unavailable: pacer.unavailable,
    calls: pacer.calls,
    cancelled,
    elapsedMs: clock.now() - startedAt,
  };
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
