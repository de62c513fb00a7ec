import {Flags} from '@oclif/core';

import {BaseCommand} from '../../cli/base-command.js';
import {filterFlags, pagerFlags} from '../../cli/flags.js';
import {renderTicketTable} from '../../cli/render/tickets.js';
import {DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type TicketPage} from '../../domain/ticket.js';
import {listTickets} from '../../services/tickets.js';

export type TicketListResult = TicketPage;

export default class TicketList extends BaseCommand<typeof TicketList> {
  static override aliases = ['ticket ls'];
  static override summary = 'List tickets, newest first.';
  static override description =
    'Shows one page of tickets. When there are more, the next page is one command away: pass the printed cursor to --cursor ' +
    '(under --json it is the nextCursor field).';

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --status open --status pending --priority urgent',
    '<%= config.bin %> <%= command.id %> --tag billing --search invoice --limit 100 --json',
  ];

  static override flags = {
    ...filterFlags,
    limit: Flags.integer({description: 'How many tickets to show.', default: DEFAULT_LIST_LIMIT, min: 1, max: MAX_LIST_LIMIT}),
    cursor: Flags.string({description: 'Continue after the previous page (its nextCursor).'}),
    ...pagerFlags,
  };

  async run(): Promise<TicketListResult> {
    const {flags, ctx} = this;
    const page = await listTickets(await ctx.backend(), {
      status: flags.status,
      priority: flags.priority,
      tags: flags.tag,
      assignee: flags.assignee,
      requester: flags.requester,
      search: flags.search,
      limit: flags.limit,
      cursor: flags.cursor,
    });
    if (page.tickets.length === 0) this.note('No tickets match.');
    else await this.printPaged(await renderTicketTable(page.tickets, ctx.mode));
    if (page.nextCursor) this.note(`More tickets: add --cursor ${page.nextCursor}`);
    return page;
  }
}
