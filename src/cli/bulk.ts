import {join, resolve} from 'node:path';

import {Flags} from '@oclif/core';

import type {Backend} from '../backends/backend.js';
import {describeTarget, type BulkOperation} from '../domain/bulk.js';
import {UsageError} from '../domain/errors.js';
import type {RowSource} from '../services/bulk-input.js';
import type {BulkRowResult, BulkSummary} from '../services/bulk.js';
import type {CommandIO} from './io.js';
import type {OutputMode} from './output.js';
import {formatDuration, ItemProgressBar} from './progress.js';
import {plainRow, type ShowValue} from './shown.js';

/** What `--json` prints for a bulk command: exactly these fields. */
export interface BulkResult {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  results: BulkRowResult[];
}

export const bulkFlags = {
  format: Flags.option({options: ['jsonl', 'csv'] as const, description: 'Input format (default: from the file extension, else from the first line).'})(),
  concurrency: Flags.integer({description: 'Calls in flight at most; fewer while the backend is rate limiting.', default: 4, min: 1, max: 64}),
  rate: Flags.integer({description: 'Never more than this many requests a minute.', min: 1}),
  journal: Flags.string({description: 'Journal file that records each row’s outcome (default: one per input in the data directory).'}),
  fresh: Flags.boolean({description: 'Forget an earlier run of the same input and apply every row again (creates make new tickets).'}),
  'dry-run': Flags.boolean({description: 'Check every row and show what each would do; change nothing.'}),
  'skip-invalid': Flags.boolean({description: 'Apply the valid rows even when some are invalid (those count as failed).'}),
  failures: Flags.string({description: 'Write the rows that failed to this file, in the input’s format, to fix and run again (no file when none failed).'}),
};


export interface BulkRunInput {
  operation: BulkOperation;
  backend: Backend;
  source: RowSource;
  identity?: string;
  /** The profile's URL, for a backend that does not say where its tickets live. */
  location?: string;
  dataDir: string;
  flags: {
    concurrency: number;
    rate?: number;
    journal?: string;
    fresh: boolean;
    'dry-run': boolean;
    'skip-invalid': boolean;
    failures?: string;
    input?: string;
  };
  json: boolean;
  mode: OutputMode;
  print: (text: ShowValue) => void;
  note: (text: ShowValue) => void;
  /** The command's streams (the bar goes to stderr) and where its exit code is set. */
  io: CommandIO;
}

/** Spool files for standard input and selections live beside the journals. */
export const spoolDir = (dataDir: string) => join(dataDir, 'bulk', 'spool');

const FAILURES_SHOWN = 20;

/**
 * Runs the engine for a bulk command: progress on a terminal, Ctrl-C to stop cleanly, rows as
 * they finish when piped, a summary at the end, and the exit code (1 when any row failed).
 */
export async function runBulkCommand(input: BulkRunInput): Promise<BulkResult> {
  const {runBulk} = await import('../services/bulk.js');
  const {flags, mode} = input;
  // The failures file is replaced, or removed when nothing fails: never the input itself.
  if (flags.failures && flags.input && flags.input !== '-' && resolve(flags.failures) === resolve(flags.input)) {
    throw new UsageError('--failures names the input file itself.', {hint: 'Give the failed rows a file of their own, such as --failures failed.csv.'});
  }
  const dryRun = flags['dry-run'];
  const results: BulkRowResult[] = [];
  const failures: BulkRowResult[] = [];
  const bar = new ItemProgressBar(input.io.stderr);
  const perRow = !input.json && !mode.tty && !dryRun;
  const abort = new AbortController();
  const onSigint = () => {
    input.note('\nStopping: finishing the rows in flight (Ctrl-C again to quit at once)…');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  let summary: BulkSummary;
  try {
    summary = await runBulk(input.backend, {
      operation: input.operation,
      source: input.source,
      identity: input.identity,
      location: input.location,
      dataDir: input.dataDir,
      journalFile: flags.journal,
      concurrency: flags.concurrency,
      ratePerMinute: flags.rate,
      dryRun,
      skipInvalid: flags['skip-invalid'],
      fresh: flags.fresh,
      failuresFile: flags.failures,
      signal: abort.signal,
      onProgress: bar.enabled ? (p) => bar.update(p) : undefined,
      onResult: (r) => {
        if (input.json) results.push(r);
        if (!r.ok && failures.length < FAILURES_SHOWN) failures.push(r);
        // Piped: one line per row as it finishes, so a script can follow along (`cut -f2` for ids).
        if (perRow) input.print(plainRow([r.line, r.id ?? '', r.ok ? 'ok' : 'failed', r.error ?? '']));
      },
      onPlan: input.json
        ? undefined
        : (p) => {
            bar.clear();
            input.print(plainRow([`line ${p.line}`, p.id ? `#${p.id}` : '-', p.error ? `${p.action}: ${p.error}` : p.action]));
          },
    });
  } finally {
    bar.clear();
    process.removeListener('SIGINT', onSigint);
    await input.source.close();
  }
  results.sort((a, b) => a.line - b.line);
  const result: BulkResult = {total: summary.total, succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped, results};
  if (!input.json) describeSummary(input, summary, failures);
  if (summary.cancelled) input.io.exitCode = 130;
  else if (summary.failed > 0) input.io.exitCode = 1;
  return result;
}

function describeSummary(input: BulkRunInput, s: BulkSummary, failures: BulkRowResult[]): void {
  const n = (v: number) => v.toLocaleString('en-US');
  const say = input.mode.tty ? input.print : input.note;
  // A resumed run names where the earlier run went: the journal is that backend's, and only that backend's.
  const earlier = s.resumed ? `an earlier run against ${describeTarget(s.target)}` : 'an earlier run';
  if (input.flags['dry-run']) {
    say(`Dry run against ${describeTarget(s.target)}: ${n(s.succeeded)} of ${n(s.total)} rows would be applied, ${n(s.failed)} would fail or are invalid, ${n(s.skipped)} were done by ${earlier}. Nothing was changed.`);
    return;
  }
  const verb = input.operation === 'create' ? 'Created' : 'Updated';
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? ` in ${formatDuration(secs)} (${((s.succeeded + s.failed) / secs).toFixed(1)} rows/s)` : '';
  say(`${verb} ${n(s.succeeded)} of ${n(s.total)} rows; ${n(s.failed)} failed, ${n(s.skipped)} skipped (done by ${earlier})${rate}.`);
  if (s.rateLimited) input.note(`The backend rate-limited ${n(s.rateLimited)} calls; they were retried after the wait it asked for.`);
  if (input.mode.tty) for (const f of failures) input.note(`  line ${f.line}${f.id ? ` (#${f.id})` : ''}: ${f.error}`);
  if (s.failed > failures.length && input.mode.tty) input.note(`  …and ${n(s.failed - failures.length)} more.`);
  if (s.cancelled) input.note('Stopped before the end. Run the same command again to carry on where it stopped.');
  else if (s.failed > 0) {
    input.note(
      input.flags.failures
        ? `Failed rows are in ${input.flags.failures}; fix them and run that file, or run the same command again to retry them.`
        : 'Run the same command again to retry the failed rows (add --failures FILE to get them in a file).',
    );
  }
  if (s.journal) input.note(`Journal: ${s.journal}`);
}
