import {ExternalIdTakenError, RejectedError, UsageError} from '../../domain/errors.js';
import {normalizeTags, validateBody, validateTitle, type NewTicket, type TicketChanges, type TicketQuery, type TicketSort} from '../../domain/ticket.js';
import {Problem} from '../problem.js';
import type {Imported, ServerTicketQuery} from '../store/store.js';
import {canonicalJson, eventJson, idempotencyKey, keyScope, sha256, ticketJson, type Handlers, type Result, type RouteContext} from './context.js';

/** A ticket's ETag: its version, quoted (a strong validator: any change makes a new one). */
export const ticketEtag = (version: number) => `"${version}"`;

/** The answer with the ETag of the ticket in its body (a replayed answer included). */
const withEtag = (result: Result): Result => {
  const version = (result.body as {version?: unknown} | undefined)?.version;
  return typeof version === 'number' ? {...result, headers: {...result.headers, etag: ticketEtag(version)}} : result;
};

/** If-Match as the spec allows it (one entity tag, or `*`): the version it names, undefined for `*` or none. */
function ifMatchVersion(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '*') return undefined;
  return Number(/^"(\d{1,15})"$/.exec(value.trim())![1]);
}

/** Fields only an admin may send: a migration's history. */
const IMPORT_FIELDS = ['requester', 'createdAt'] as const;

/** Tickets: create, list, read, change, and one ticket's history. */
export function ticketHandlers(ctx: RouteContext): Handlers {
  const {store, visible, idempotent} = ctx;
  return {
    createTicket: async (req, caller) => {
      const body = req.body as NewTicket & {requester?: string; createdAt?: string};
      if (caller.role === 'customer' && body.assignee != null) throw new Problem('forbidden', 'Customers cannot assign tickets.');
      if (caller.role === 'customer' && body.externalId !== undefined) throw new Problem('forbidden', 'Customers cannot set external ids.');
      const importing = IMPORT_FIELDS.filter((f) => body[f] !== undefined);
      if (importing.length > 0 && caller.role !== 'admin') {
        throw new Problem('forbidden', `Only admin tokens may import ${importing.join(' and ')}.`, {hint: 'Leave them out: the ticket is then yours, created now.'});
      }
      const input: NewTicket = {
        title: validateTitle(body.title),
        body: validateBody(body.body),
        priority: body.priority,
        type: body.type,
        tags: normalizeTags(body.tags ?? []),
        assignee: body.assignee ?? null,
        fields: body.fields ?? {},
        ...(body.externalId === undefined ? {} : {externalId: body.externalId}),
      };
      const imported: Imported | undefined =
        importing.length > 0 ? {...(body.requester === undefined ? {} : {by: body.requester}), ...(body.createdAt === undefined ? {} : {createdAt: Date.parse(body.createdAt)})} : undefined;
      const key = idempotencyKey(req);
      try {
        // Keys are the caller's own: another user's key can never replay someone else's ticket.
        // An import is hashed with what it imports, so that a key used for another history is refused.
        const hashed = imported ? {...input, ...(body.requester === undefined ? {} : {requester: body.requester}), ...(body.createdAt === undefined ? {} : {createdAt: body.createdAt})} : input;
        const {ticket, replayed} = await store.tickets.create(caller.actor, hashed as NewTicket, {...(key ? {idempotencyKey: keyScope(caller, key)} : {}), ...(imported ? {imported} : {})});
        return withEtag({status: 201, body: ticketJson(ticket), headers: {location: `/v1/tickets/${ticket.id}`, 'idempotent-replayed': String(replayed)}});
      } catch (error) {
        if (error instanceof ExternalIdTakenError) throw error;
        if (error instanceof RejectedError && key) {
          throw new Problem('idempotency-key-reused', 'This Idempotency-Key was already used for a different ticket.', {hint: 'Use a new key for a new ticket.'});
        }
        throw error;
      }
    },

    listTickets: async (req, caller) => {
      const q = req.query as {
        status?: string[];
        priority?: string[];
        tag?: string[];
        assignee?: string;
        requester?: string;
        search?: string;
        externalId?: string;
        updatedSince?: string;
        sort?: TicketSort;
        limit?: number;
        cursor?: string;
      };
      const query: ServerTicketQuery = {
        status: q.status as TicketQuery['status'],
        priority: q.priority as TicketQuery['priority'],
        tags: q.tag ? normalizeTags(q.tag) : undefined,
        // `@me` is the caller's principal; a name filters by the name shown.
        assignee: q.assignee,
        // A customer's list is their own tickets, whatever `requester` says.
        ...(caller.role === 'customer' ? {requesterId: caller.principalId} : {requester: q.requester}),
        search: q.search,
        externalId: q.externalId,
        updatedSince: q.updatedSince,
        sort: q.sort,
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

    getTicket: async (req, caller) => withEtag({status: 200, body: ticketJson(await visible(caller, (req.params as {ticketId: string}).ticketId))}),

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
      const ifMatch = req.headers['if-match'] as string | undefined;
      const ifVersion = ifMatchVersion(ifMatch);
      // A retry of a change that went through replays its answer, whatever the version is now.
      const hash = sha256(canonicalJson(ifMatch === undefined ? body : {body, ifMatch}));
      return withEtag(
        await idempotent(req, caller, `updateTicket ${id}`, hash, async () => ({
          status: 200,
          body: ticketJson(await store.tickets.update(caller.actor, id, changes, ifVersion === undefined ? {} : {ifVersion})),
        })),
      );
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
