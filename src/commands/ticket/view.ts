import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {renderTicket} from '../../cli/render/tickets.js';
import type {TicketWithComments} from '../../domain/ticket.js';
import {viewTicket} from '../../services/tickets.js';

export type TicketViewResult = TicketWithComments;

export default class TicketView extends BaseCommand<typeof TicketView> {
  static override summary = 'Show a ticket with its comments.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> 42 --json'];
  static override args = {id: Args.string({description: 'Ticket id.', required: true})};

  async run(): Promise<TicketViewResult> {
    const ticket = await viewTicket(await this.ctx.backend(), this.args.id);
    this.print(await renderTicket(ticket, this.ctx.mode));
    return ticket;
  }
}
