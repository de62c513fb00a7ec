import {Flags} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {bulkFlags, runBulkCommand, spoolDir, type BulkResult} from '../../../cli/bulk.js';

export type TicketBulkCreateResult = BulkResult;

export default class TicketBulkCreate extends BaseCommand<typeof TicketBulkCreate> {
  static override summary = 'Create many tickets from a CSV or JSONL file, exactly once.';
  static override description =
    'Each row is a ticket: title, body, priority, type, status, tags (space-separated in CSV), assignee, fields. ' +
    'Every row is checked before the first is sent; each outcome is journaled as it happens, so running the same ' +
    'command again after a crash or Ctrl-C skips the rows done and retries the ones that failed, and never makes a ticket twice. ' +
    'Exits 0 when every row succeeded, 1 when any failed.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --input backlog.csv --dry-run',
    '<%= config.bin %> <%= command.id %> --input backlog.csv --rate 600 --failures failed.csv',
    'jq -c \'.[] | {title, body: .description, tags: ["imported"]}\' old.json | <%= config.bin %> <%= command.id %> --input - --format jsonl --json',
  ];

  static override flags = {
    input: Flags.string({char: 'i', description: 'CSV or JSONL file of rows; - reads standard input.', required: true}),
    ...bulkFlags,
  };

  async run(): Promise<TicketBulkCreateResult> {
    const {flags, ctx} = this;
    const {openInput} = await import('../../../services/bulk-input.js');
    const source = await openInput({input: flags.input, format: flags.format, stdin: this.io.stdin, spoolDir: spoolDir(ctx.paths.dataDir)});
    return runBulkCommand({
      operation: 'create',
      backend: await ctx.backend(),
      source,
      location: (await ctx.activeProfile()).profile.url,
      dataDir: ctx.paths.dataDir,
      flags,
      json: this.jsonEnabled(),
      mode: ctx.mode,
      print: (text) => this.print(text),
      note: (text) => this.note(text),
      io: this.io,
    });
  }
}
