import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {filterFlags} from '../../cli/flags.js';
import {writeChunks} from '../../cli/stream.js';
import {neutralise, terminalSafeJson} from '../../domain/neutralise.js';

export type TicketExportResult = {exported: number};

function withoutJsonFlags<F extends {json: unknown; jq: unknown}>(flags: F): Omit<F, 'json' | 'jq'> {
  const {json: _json, jq: _jq, ...rest} = flags;
  return rest;
}

/**
 * The export is data and stays exact in a file or pipe. JSON Lines write C1 and bidi characters
 * as \uXXXX (the same value); CSV on a terminal is neutralised like any text shown there.
 */
async function* shownExport(lines: AsyncIterable<string>, format: 'jsonl' | 'csv', terminal: boolean): AsyncIterable<string> {
  for await (const line of lines) yield format === 'jsonl' ? terminalSafeJson(line) : terminal ? neutralise(line, 'text') : line;
}

export default class TicketExport extends BaseCommand<typeof TicketExport> {
  // The export itself is the data on stdout; there is no other result to print as JSON.
  static override enableJsonFlag = false;
  // No --json or --jq either (the type keeps them, as undefined: the static side must match BaseCommand's).
  static override baseFlags = withoutJsonFlags(BaseCommand.baseFlags) as typeof BaseCommand.baseFlags;
  static override summary = 'Write every matching ticket as JSONL or CSV, for scripts and for bulk update.';
  static override description =
    'Streams through the list cursor, a page at a time, so any number of tickets can be exported. The columns are the ' +
    'ticket’s JSON fields (tags space-separated and fields as JSON in CSV); edit the file and feed it to ' +
    '`support ticket bulk update --input FILE` to apply the changes.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --status open --format csv > open.csv',
    '<%= config.bin %> <%= command.id %> --tag billing --with-comments > billing.jsonl',
  ];

  static override flags = {
    format: Flags.option({options: ['jsonl', 'csv'] as const, description: 'Output format.', default: 'jsonl'})(),
    'with-comments': Flags.boolean({description: 'Include each ticket’s comments (one more call per ticket).'}),
    ...filterFlags,
  };

  async run(): Promise<TicketExportResult> {
    const {flags, ctx} = this;
    const {exportTickets} = await import('../../services/export.js');
    const query = {status: flags.status, priority: flags.priority, tags: flags.tag, assignee: flags.assignee, requester: flags.requester, search: flags.search};
    const lines = exportTickets(await ctx.backend(), query, {format: flags.format, withComments: flags['with-comments']});
    const written = await writeChunks(shownExport(lines, flags.format, Boolean(this.io.stdout.isTTY)), this.io.stdout);
    const exported = flags.format === 'csv' ? Math.max(0, written - 1) : written;
    if (exported === 0) this.note('No tickets match.');
    return {exported};
  }
}
