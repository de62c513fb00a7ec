import {RejectedError, UsageError} from '../../domain/errors.js';
import {normalizeTags, validateBody, validateTitle, type NewTicket, type TicketChanges, type TicketQuery} from '../../domain/ticket.js';
import {Problem} from '../problem.js';
import type {ServerTicketQuery} from '../store/store.js';
import {canonicalJson, eventJson, idempotencyKey, keyScope, sha256, ticketJson, type Handlers, type RouteContext} from './context.js';

/** Tickets: create, list, read, change, and one ticket's history. */
export function ticketHandlers(ctx: RouteContext): Handlers {
  const {store, visible, idempotent} = ctx;
  return {
    createTicket: async (req, caller) => {
      const body = req.body as NewTicket;
      if (caller.role === 'customer' && body.assignee != null) throw new Problem('forbidden', 'Customers cannot assign tickets.');
      const input: NewTicket = {
        title: validateTitle(body.title),
        body: validateBody(body.body),
        priority: body.priority,
        type: body.type,
        tags: normalizeTags(body.tags ?? []),
        assignee: body.assignee ?? null,
        fields: body.fields ?? {},
      };
      const key = idempotencyKey(req);
      try {
        // Keys are the caller's own: another user's key can never replay someone else's ticket.
        const {ticket, replayed} = await store.tickets.create(caller.actor, input, key ? {idempotencyKey: keyScope(caller, key)} : {});
        return {status: 201, body: ticketJson(ticket), headers: {location: `/v1/tickets/${ticket.id}`, 'idempotent-replayed': String(replayed)}};
      } catch (error) {
        if (error instanceof RejectedError && key) {
          throw new Problem('idempotency-key-reused', 'This Idempotency-Key was already used for a different ticket.', {hint: 'Use a new key for a new ticket.'});
        }
        throw error;
      }
    },

    listTickets: async (req, caller) => {
      const q = req.query as {status?: string[]; priority?: string[]; tag?: string[]; assignee?: string; requester?: string; search?: string; limit?: number; cursor?: string};
      const query: ServerTicketQuery = {
        status: q.status as TicketQuery['status'],
        priority: q.priority as TicketQuery['priority'],
        tags: q.tag ? normalizeTags(q.tag) : undefined,
        // `@me` is the caller's principal; a name filters by the name shown.
        assignee: q.assignee,
        // A customer's list is their own tickets, whatever `requester` says.
        ...(caller.role === 'customer' ? {requesterId: caller.principalId} : {requester: q.requester}),
        search: q.search,
        limit: q.limit,
        cursor: q.cursor,
      };
      try {
        const page = await store.tickets.list(caller.actor, query);
        return {status: 200, body: {...page, tickets: page.tickets.map(ticketJson)}};
      } catch (error) {
        if (error instanceof UsageError) throw new Problem('invalid-cursor', error.message, {hint: error.hint});
        throw error;
      }
    },

    getTicket: async (req, caller) => ({status: 200, body: ticketJson(await visible(caller, (req.params as {ticketId: string}).ticketId))}),

    updateTicket: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const body = req.body as TicketChanges;
      if (caller.role === 'customer') {
        const other = Object.keys(body).filter((k) => k !== 'title' && k !== 'status');
        if (other.length > 0) throw new Problem('forbidden', `Customers may change only the title and status, not ${other.join(', ')}.`);
        if (body.status !== undefined && body.status !== 'open' && body.status !== 'solved') {
          throw new Problem('forbidden', 'Customers may only reopen or solve their tickets.');
        }
      }
      const changes: TicketChanges = {...body};
      if (body.title !== undefined) changes.title = validateTitle(body.title);
      if (body.addTags) changes.addTags = normalizeTags(body.addTags);
      if (body.removeTags) changes.removeTags = normalizeTags(body.removeTags);
      return idempotent(req, caller, `updateTicket ${id}`, sha256(canonicalJson(body)), async () => ({
        status: 200,
        body: ticketJson(await store.tickets.update(caller.actor, id, changes)),
      }));
    },

    listEvents: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const events = await store.tickets.events(id);
      const shown = caller.role === 'customer' ? events.filter((e) => !(e.type === 'comment' && e.data.public === false)) : events;
      return {status: 200, body: {events: shown.map(eventJson)}};
    },
  };
}
