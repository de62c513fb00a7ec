import {unsupported, UsageError, type Backend, type BackendFactory, type Capability} from 'supportkit-cli/backend';

import {JsonLinesLog} from './log.js';
import {JsonLinesTickets, type LogRecord} from './tickets.js';

/** What the backend can do; the conformance suite tests these and skips, saying so, the rest. */
const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['tickets', 'comments', 'internal-comments', 'events', 'custom-fields', 'idempotent-create']);

/**
 * The factory that package.json names ("supportkit" > backends > export). The CLI calls it with
 * the profile's settings (`--option path=FILE`, already checked against the declaration) and the
 * identity of the user.
 */
export const createBackend: BackendFactory = async (options) => {
  const path = options.settings?.path;
  if (!path) throw new UsageError(`The profile ${options.profile} names no JSON Lines file.`, {hint: 'Add the profile again with --option path=FILE.'});
  const log = new JsonLinesLog<LogRecord>(path);
  const tickets = new JsonLinesTickets(log, options.identity);
  const backend: Backend = {
    kind: 'jsonl',
    capabilities: CAPABILITIES,
    hints: {
      attachments: `Put the file beside ${path} and name it in a comment.`,
      kb: 'Use a profile whose backend has one (support profile list).',
    },
    location: path,
    tickets: {
      ...bind(tickets),
      attach: async () => {
        throw unsupported(backend, 'attachments');
      },
    },
    whoami: async () => options.identity,
    close: async () => {},
  };
  return backend;
};

/** The methods of a class instance as plain functions, so they can be spread into an object. */
function bind(tickets: JsonLinesTickets) {
  return {
    create: tickets.create.bind(tickets),
    get: tickets.get.bind(tickets),
    view: tickets.view.bind(tickets),
    list: tickets.list.bind(tickets),
    update: tickets.update.bind(tickets),
    comment: tickets.comment.bind(tickets),
    events: tickets.events.bind(tickets),
  };
}
