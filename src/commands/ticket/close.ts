import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {renderTicketChange} from '../../cli/render/tickets.js';
import type {Ticket} from '../../domain/ticket.js';
import {closeTicket} from '../../services/tickets.js';

export type TicketCloseResult = Ticket;

export default class TicketClose extends BaseCommand<typeof TicketClose> {
  static override summary = 'Mark a ticket solved.';
  static override description = 'The requester can still reply, and `support ticket reopen` brings it back to open.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42'];
  static override args = {id: Args.string({description: 'Ticket id.', required: true})};

  async run(): Promise<TicketCloseResult> {
    const ticket = await closeTicket(await this.ctx.backend(), this.args.id);
    this.print(renderTicketChange(ticket, 'Closed', this.ctx.mode));
    return ticket;
  }
}
