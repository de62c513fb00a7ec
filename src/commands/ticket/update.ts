import {Args, Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {ticketFlags} from '../../cli/flags.js';
import {renderTicketChange} from '../../cli/render/tickets.js';
import {parseFieldAssignments, type Ticket} from '../../domain/ticket.js';
import {updateTicket} from '../../services/tickets.js';

export type TicketUpdateResult = Ticket;

export default class TicketUpdate extends BaseCommand<typeof TicketUpdate> {
  static override summary = 'Change a ticket’s status, priority, assignee, tags or fields.';
  static override description = 'A field given as key= (empty value) is removed.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> 42 --status pending --priority high',
    '<%= config.bin %> <%= command.id %> 42 --assignee alice --add-tag billing --remove-tag triage',
    '<%= config.bin %> <%= command.id %> 42 --field region=eu --field legacy_id=',
  ];

  static override args = {id: Args.string({description: 'Ticket id.', required: true})};
  static override flags = {
    title: Flags.string({description: 'New title.'}),
    status: ticketFlags.status,
    priority: ticketFlags.priority,
    type: ticketFlags.type,
    assignee: Flags.string({description: 'Assign to this user; an empty value unassigns.'}),
    'add-tag': Flags.string({description: 'Tag to add (repeatable).', multiple: true}),
    'remove-tag': Flags.string({description: 'Tag to remove (repeatable).', multiple: true}),
    field: ticketFlags.field,
  };

  async run(): Promise<TicketUpdateResult> {
    const {flags, ctx} = this;
    const ticket = await updateTicket(await ctx.backend(), this.args.id, {
      title: flags.title,
      status: flags.status,
      priority: flags.priority,
      type: flags.type,
      assignee: flags.assignee === undefined ? undefined : flags.assignee.trim() || null,
      addTags: flags['add-tag'],
      removeTags: flags['remove-tag'],
      fields: flags.field ? parseFieldAssignments(flags.field) : undefined,
    });
    this.print(renderTicketChange(ticket, 'Updated', ctx.mode));
    return ticket;
  }
}
