import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {ticketFlags} from '../../cli/flags.js';
import {textFromFlags} from '../../cli/input.js';
import {MAX_BODY_BYTES, type TicketWithComments} from '../../domain/ticket.js';
import {commentOnTicket} from '../../services/tickets.js';

export type TicketCommentResult = TicketWithComments;

export default class TicketComment extends BaseCommand<typeof TicketComment> {
  static override summary = 'Add a comment to a ticket.';
  static override description = 'On a terminal, opens your editor when --body and --body-file are not given.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 42 --body "Restarting the service fixed it."',
    '<%= config.bin %> <%= command.id %> 42 --body-file notes.md --internal',
  ];

  static override args = {id: Args.string({description: 'Ticket id.', required: true})};
  static override flags = {
    body: ticketFlags.body,
    'body-file': ticketFlags['body-file'],
    internal: Flags.boolean({description: 'An internal note, visible to agents only.'}),
  };

  async run(): Promise<TicketCommentResult> {
    const {flags, ctx} = this;
    let body = await textFromFlags(flags.body, flags['body-file'], this.io.stdin, MAX_BODY_BYTES);
    if (body === undefined) {
      ctx.requireInteractive(['--body']);
      body = await ctx.prompter.editor('Comment (opens your editor)', {validate: (v) => (v.trim() ? true : 'Please enter some text.')});
    }
    const ticket = await commentOnTicket(await ctx.backend(), this.args.id, {body, internal: flags.internal});
    this.print(ctx.mode.tty ? `Commented on ticket #${ticket.id}: ${ticket.title}` : ticket.comments.at(-1)?.id ?? '');
    return ticket;
  }
}
