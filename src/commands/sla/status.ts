import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {joinShown, shown} from '../../cli/shown.js';
import {renderSlaStatus} from '../../cli/render/sla.js';
import {watch} from '../../cli/watch.js';
import {SlaBreachedError, UsageError} from '../../domain/errors.js';
import {parseDuration} from '../../domain/sla/duration.js';
import {countBreached, slaStatus, type SlaStatusOptions, type SlaStatusReport} from '../../services/sla.js';

export type SlaStatusResult = SlaStatusReport;

const WATCH_INTERVAL_MS = 5000;

/** ISO 8601; a date or date-time without Z or an offset is local time, as `date` reads it. */
export function parseAt(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
  const ms = iso.test(text.trim()) ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00` : text.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`"${text}" is not an ISO 8601 time.`, {hint: 'Write it like --at 2026-12-24T16:30:00Z or --at 2026-12-24T17:30+01:00.'});
  }
  return ms;
}

export function parseWithin(text: string): number {
  const parsed = parseDuration(text);
  if ('error' in parsed) throw new UsageError(`--breaching-within "${text}" ${parsed.error}.`, {hint: 'Write it like --breaching-within 2h or --breaching-within 30m.'});
  return parsed.seconds;
}

export default class SlaStatus extends BaseCommand<typeof SlaStatus> {
  static override summary = 'Show SLA clocks: what is due, what is breaching, what is paused.';
  static override description =
    'Evaluates every open ticket (new, open, pending, on hold), or the tickets named, with the policy set that was in force when each ' +
    'ticket was created. Remaining time is business time on the policy’s calendar: green, yellow under a quarter of the target left, red ' +
    'when breached. With --fail-on-breach the result is printed first and the exit code is 8 when any metric shown is breached. ' +
    '--watch redraws every 5 seconds and needs a terminal.';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> 42 43 --json',
    '<%= config.bin %> <%= command.id %> --breaching-within 2h --fail-on-breach',
    '<%= config.bin %> <%= command.id %> --at 2026-12-24T16:00:00Z',
    '<%= config.bin %> <%= command.id %> --watch',
  ];

  static override strict = false;
  static override args = {ticket: Args.string({description: 'Ticket ids (default: every open ticket).'})};
  static override flags = {
    at: Flags.string({description: 'Evaluate as of this ISO 8601 time instead of now.'}),
    'breaching-within': Flags.string({description: 'Only metrics breached or due within this duration (like 2h, 30m).'}),
    'fail-on-breach': Flags.boolean({description: 'Exit 8 when any metric shown is breached.'}),
    watch: Flags.boolean({description: 'Redraw every 5 seconds until Ctrl-C (terminal only).'}),
    ...pagerFlags,
  };

  async run(): Promise<SlaStatusResult> {
    const {flags, ctx} = this;
    const at = flags.at === undefined ? undefined : parseAt(flags.at);
    const breachingWithinSeconds = flags['breaching-within'] === undefined ? undefined : parseWithin(flags['breaching-within']);
    const options = {tickets: this.positionals, at, breachingWithinSeconds};
    if (flags.watch) return this.watch(options);

    const report = await slaStatus(await ctx.backend(), options);
    if (report.tickets.length === 0) this.note(breachingWithinSeconds === undefined ? 'No open tickets.' : 'Nothing breached or due within that time.');
    else await this.printPaged(await renderSlaStatus(report, ctx.mode));
    const breached = countBreached(report);
    if (flags['fail-on-breach'] && breached > 0) {
      // The result goes out first: a script reads the JSON, then acts on the exit code.
      if (this.jsonEnabled()) this.logJson(report);
      throw new SlaBreachedError(`SLA breached: ${breached} metric${breached === 1 ? '' : 's'} shown ${breached === 1 ? 'is' : 'are'} past due.`);
    }
    return report;
  }

  private async watch(options: SlaStatusOptions): Promise<SlaStatusResult> {
    const {flags, ctx} = this;
    const clash = ['json', 'at', 'fail-on-breach'].filter((f) => flags[f as keyof typeof flags]);
    if (clash.length) throw new UsageError(`--watch cannot be combined with --${clash.join(', --')}.`, {hint: '--watch always shows now, on a terminal; use --json or --fail-on-breach for scripts.'});
    if (!ctx.mode.tty) throw new UsageError('--watch needs a terminal.', {hint: 'In a script, run `support sla status --json` on your own schedule instead.'});
    const backend = await ctx.backend();
    let last: SlaStatusReport | undefined;
    await watch({
      intervalMs: WATCH_INTERVAL_MS,
      stdout: this.io.stdout,
      draw: async () => {
        last = await slaStatus(backend, {...options, at: Date.now()});
        const when = new Date(last.at).toLocaleTimeString();
        const body = last.tickets.length ? await renderSlaStatus(last, ctx.mode) : 'No open tickets.';
        return joinShown([shown`Every ${WATCH_INTERVAL_MS / 1000}s · ${when} · Ctrl-C to stop`, shown``, body]);
      },
    });
    return last!;
  }
}
