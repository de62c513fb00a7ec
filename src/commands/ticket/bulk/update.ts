import {Flags} from '@oclif/core';

import {BaseCommand} from '../../../cli/base-command.js';
import {bulkFlags, runBulkCommand, spoolDir, type BulkResult} from '../../../cli/bulk.js';
import {filterFlags} from '../../../cli/flags.js';
import {UsageError} from '../../../domain/errors.js';
import {parseFieldAssignments} from '../../../domain/ticket.js';

export type TicketBulkUpdateResult = BulkResult;

const SETTABLE = ['status', 'priority', 'type', 'title', 'assignee'];

export default class TicketBulkUpdate extends BaseCommand<typeof TicketBulkUpdate> {
  static override summary = 'Change many tickets, from a file or by the list filters, exactly once.';
  static override description =
    'From a file (--input): each row has id plus what changes: title, status, priority, type, assignee, tags (the full set), ' +
    'addTags, removeTags, fields, comment; a file written by `support ticket export` works as it is. ' +
    'By selection: the list filters (--status, --tag, ...) choose the tickets and --set, --add-tag, --remove-tag, --comment say what changes. ' +
    'Running the same command again resumes: rows done are skipped, failed ones retried. Exits 0 when every row succeeded, 1 when any failed.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --input changes.csv --dry-run',
    '<%= config.bin %> <%= command.id %> --status open --tag legacy --set status=solved --add-tag migrated --comment "Closed in the migration."',
    '<%= config.bin %> ticket export --tag billing --format csv > billing.csv  # edit, then:\n<%= config.bin %> <%= command.id %> --input billing.csv',
  ];

  static override flags = {
    input: Flags.string({char: 'i', description: 'CSV or JSONL file of rows; - reads standard input.'}),
    ...bulkFlags,
    ...filterFlags,
    set: Flags.string({description: 'With the filters: a change as key=value: status, priority, type, title, assignee, fields.<name> (repeatable).', multiple: true}),
    'add-tag': Flags.string({description: 'With the filters: tag to add (repeatable).', multiple: true}),
    'remove-tag': Flags.string({description: 'With the filters: tag to remove (repeatable).', multiple: true}),
    comment: Flags.string({description: 'With the filters: a public comment to add to each ticket.'}),
  };

  async run(): Promise<TicketBulkUpdateResult> {
    const {flags, ctx} = this;
    const filters = {status: flags.status, priority: flags.priority, tags: flags.tag, assignee: flags.assignee, requester: flags.requester, search: flags.search};
    const filtering = Object.values(filters).some((v) => v !== undefined);
    const changing = flags.set !== undefined || flags['add-tag'] !== undefined || flags['remove-tag'] !== undefined || flags.comment !== undefined;
    const backend = await ctx.backend();
    let source;
    let identity: string | undefined;
    if (flags.input !== undefined) {
      if (filtering || changing) {
        throw new UsageError('--input cannot be combined with the filters or --set, --add-tag, --remove-tag, --comment.', {
          hint: 'Put the changes in the file, or leave out --input to select tickets with the filters.',
        });
      }
      const {openInput} = await import('../../../services/bulk-input.js');
      source = await openInput({input: flags.input, format: flags.format, stdin: this.io.stdin, spoolDir: spoolDir(ctx.paths.dataDir)});
    } else {
      if (!filtering || !changing) {
        throw new UsageError(filtering ? 'Missing the change: --set, --add-tag, --remove-tag or --comment.' : 'Missing --input, or the filters that select the tickets.', {
          hint: 'support ticket bulk update --input rows.csv, or: support ticket bulk update --status open --tag legacy --set status=solved',
        });
      }
      const values: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(parseFieldAssignments(flags.set ?? []))) {
        if (!SETTABLE.includes(key) && !key.startsWith('fields.')) {
          throw new UsageError(`--set ${key}=... is not something bulk update can set.`, {hint: `Use one of: ${SETTABLE.join(', ')}, fields.<name>; tags with --add-tag and --remove-tag.`});
        }
        values[key] = key === 'assignee' ? (value ?? null) : (value ?? (key.startsWith('fields.') ? null : ''));
      }
      if (flags['add-tag']) values.addTags = flags['add-tag'];
      if (flags['remove-tag']) values.removeTags = flags['remove-tag'];
      if (flags.comment !== undefined) values.comment = flags.comment;
      const {selectForUpdate} = await import('../../../services/export.js');
      ({source, identity} = await selectForUpdate(backend, filters, values, {spoolDir: spoolDir(ctx.paths.dataDir)}));
    }
    return runBulkCommand({
      operation: 'update',
      backend,
      source,
      identity,
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
