import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {renderTicketChange} from '../../cli/render/tickets.js';
import type {Ticket} from '../../domain/ticket.js';
import {reopenTicket} from '../../services/tickets.js';

export type TicketReopenResult = Ticket;

export default class TicketReopen extends BaseCommand<typeof TicketReopen> {
  static override summary = 'Reopen a solved ticket.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42'];
  static override args = {id: Args.string({description: 'Ticket id.', required: true})};

  async run(): Promise<TicketReopenResult> {
    const ticket = await reopenTicket(await this.ctx.backend(), this.args.id);
    this.print(renderTicketChange(ticket, 'Reopened', this.ctx.mode));
    return ticket;
  }
}
