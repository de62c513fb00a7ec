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

/** Lists and long views page through $PAGER on a terminal; this prints them straight away. */
export const pagerFlags = {
  'no-pager': Flags.boolean({description: 'Print straight to the terminal, without $PAGER.'}),
};

/** The filters of `ticket list`, shared by `ticket export` and the selection form of `ticket bulk update`. */
export const filterFlags = {
  status: Flags.option({options: TICKET_STATUSES, description: 'Only tickets in this status (repeatable).', multiple: true})(),
  priority: Flags.option({options: TICKET_PRIORITIES, description: 'Only tickets of this priority (repeatable).', multiple: true})(),
  tag: Flags.string({description: 'Only tickets with this tag (repeatable: all must match).', multiple: true}),
  assignee: Flags.string({description: 'Only tickets assigned to this user (@me: you).'}),
  requester: Flags.string({description: 'Only tickets requested by this user (@me: you).'}),
  search: Flags.string({description: 'Only tickets whose title or body contains this text.'}),
};
