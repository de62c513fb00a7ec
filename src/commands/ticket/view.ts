import {Args} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {pagerFlags} from '../../cli/flags.js';
import {renderTicket} from '../../cli/render/tickets.js';
import type {TicketWithComments} from '../../domain/ticket.js';
import {ticketSla} from '../../services/sla.js';
import {viewTicket} from '../../services/tickets.js';

export type TicketViewResult = TicketWithComments;

export default class TicketView extends BaseCommand<typeof TicketView> {
  static override summary = 'Show a ticket with its comments.';
  static override description =
    'On a terminal, a line under the heading shows the SLA clocks when the backend has SLA policies. ' +
    '--json prints the ticket object only; `support sla status ID --json` gives the clocks.';
  static override examples = ['<%= config.bin %> <%= command.id %> 42', '<%= config.bin %> <%= command.id %> 42 --json'];
  static override args = {id: Args.string({description: 'Ticket id.', required: true})};
  static override flags = {...pagerFlags};

  async run(): Promise<TicketViewResult> {
    const backend = await this.ctx.backend();
    const ticket = await viewTicket(backend, this.args.id);
    // Only a person reads the SLA line: scripts and --json do not pay for the evaluation.
    const sla = this.ctx.mode.tty && !this.jsonEnabled() ? await ticketSla(backend, ticket.id) : undefined;
    await this.printPaged(await renderTicket(ticket, this.ctx.mode, {sla}));
    return ticket;
  }
}
