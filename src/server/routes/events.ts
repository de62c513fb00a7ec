import {UsageError} from '../../domain/errors.js';
import {Problem} from '../problem.js';
import {eventJson, type Handlers, type RouteContext} from './context.js';

export const DEFAULT_EVENT_LIMIT = 100;

/**
 * The change feed: every ticket's events as one ordered stream, whichever instance wrote them.
 * Customers see the events of their own tickets, without those of internal comments.
 */
export function eventHandlers(ctx: RouteContext): Handlers {
  const {store} = ctx;
  return {
    listAllEvents: async (req, caller) => {
      const q = req.query as {after?: string; limit?: number};
      const filter = caller.role === 'customer' ? {requesterId: caller.principalId, publicOnly: true} : {};
      try {
        const page = await store.events.after(q.after, q.limit ?? DEFAULT_EVENT_LIMIT, filter);
        return {status: 200, body: {events: page.events.map(eventJson), cursor: page.cursor, more: page.more}};
      } catch (error) {
        if (error instanceof UsageError) throw new Problem('invalid-cursor', error.message, {hint: error.hint});
        throw error;
      }
    },
  };
}
