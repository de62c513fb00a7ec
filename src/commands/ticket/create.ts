import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {offerArticles} from '../../cli/deflect.js';
import {ticketFlags} from '../../cli/flags.js';
import {textFromFlags} from '../../cli/input.js';
import {progressBar, uploadRetryNote, type Progress} from '../../cli/progress.js';
import {renderTicketChange} from '../../cli/render/tickets.js';
import {MAX_BODY_BYTES, parseFieldAssignments, type Ticket} from '../../domain/ticket.js';
import {createTicket} from '../../services/tickets.js';

export type TicketCreateResult = Ticket;

export default class TicketCreate extends BaseCommand<typeof TicketCreate> {
  static override summary = 'Create a ticket.';
  static override description =
    'With --title and --body (or --body-file) it files the ticket at once. On a terminal, it asks for whichever is not given ' +
    '(the body in your editor), and first shows up to three knowledge-base articles that match the title and asks whether one ' +
    'answers it (--no-suggest skips this). Without a terminal, or with --no-input, it never asks, and missing flags are a usage error.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> --title "Login fails with 502" --body "Since 9:00 every login returns 502."',
    'journalctl -u app --since today | <%= config.bin %> <%= command.id %> --title "App crashed" --body-file - --priority high',
    '<%= config.bin %> <%= command.id %> --title "Export broken" --body "See the log." --attach ./export.log --tag export --field region=eu',
  ];

  static override flags = {
    title: Flags.string({char: 't', description: 'One-line summary.'}),
    body: ticketFlags.body,
    'body-file': ticketFlags['body-file'],
    priority: ticketFlags.priority,
    type: ticketFlags.type,
    tag: Flags.string({description: 'Tag (repeatable).', multiple: true}),
    attach: Flags.string({description: 'File to attach (repeatable).', multiple: true}),
    field: ticketFlags.field,
    'no-suggest': Flags.boolean({description: 'Do not show knowledge-base articles that may answer the ticket before filing it.'}),
  };

  async run(): Promise<TicketCreateResult | undefined> {
    const {flags, ctx} = this;
    let title = flags.title;
    let body = await textFromFlags(flags.body, flags['body-file'], this.io.stdin, MAX_BODY_BYTES);
    const missing = [title === undefined && '--title', body === undefined && '--body'].filter(Boolean) as string[];
    if (missing.length > 0) ctx.requireInteractive(missing);
    const nonEmpty = (v: string) => (v.trim() ? true : 'Please enter some text.');
    title ??= await ctx.prompter.input('Title', {validate: nonEmpty});
    const bars = new Map<string, Progress>();
    const bar = (file: string) => {
      if (!bars.has(file)) bars.set(file, progressBar(`Uploading ${file}`, {enabled: !this.jsonEnabled(), stream: this.io.stderr}));
      return bars.get(file)!;
    };
    const backend = await ctx.backend();
    // Only when the command asks for something anyway (a title or body not given): an article may
    // answer the question before anyone writes the body. With both given it files at once.
    if (missing.length > 0 && !flags['no-suggest'] && !this.jsonEnabled() && (await offerArticles(ctx, backend, title))) {
      this.note('Glad that helped. No ticket was created.');
      return undefined;
    }
    body ??= await ctx.prompter.editor('Body (opens your editor)', {validate: nonEmpty});
    const ticket = await createTicket(backend, {
      title,
      body,
      priority: flags.priority,
      type: flags.type,
      tags: flags.tag,
      fields: flags.field ? parseFieldAssignments(flags.field) : undefined,
      attachments: flags.attach,
      onUploadProgress: (file, sent, total) => bar(file).update(sent, total),
      onUploadDone: (file) => bar(file).done(),
      onUploadRetry: (file, event) => {
        bar(file).stop();
        this.note(uploadRetryNote(file, event));
      },
    });
    this.print(renderTicketChange(ticket, 'Created', ctx.mode));
    return ticket;
  }
}
