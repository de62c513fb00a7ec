import {Flags} from '@oclif/core';

import {TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES} from '../domain/ticket.js';

/** Flags that several commands share, spelled the same everywhere. */
export const ticketFlags = {
  body: Flags.string({description: 'Text of the message; - reads standard input.', exclusive: ['body-file']}),
  'body-file': Flags.string({description: 'Read the message from a file; - reads standard input.', exclusive: ['body']}),
  priority: Flags.option({options: TICKET_PRIORITIES, description: 'Priority.'})(),
  type: Flags.option({options: TICKET_TYPES, description: 'Ticket type.'})(),
  status: Flags.option({options: TICKET_STATUSES, description: 'Status.'})(),
  field: Flags.string({description: 'Custom field as key=value (repeatable).', multiple: true}),
};
