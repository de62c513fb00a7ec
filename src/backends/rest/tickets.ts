import {randomUUID} from 'node:crypto';

import type {
  Attachment,
  Comment,
  NewComment,
  NewTicket,
  Ticket,
  TicketChanges,
  TicketEvent,
  TicketPage,
  TicketQuery,
  TicketWithComments,
} from '../../domain/ticket.js';
import type {HttpClient, HttpRequest} from '../../http/client.js';
import type {AttachmentSource, CallOptions, CreateOptions, TicketApi, UpdateOptions} from '../backend.js';
import {ExternalIdTakenError, RejectedError, VersionConflictError} from '../../domain/errors.js';
import {problemOf, toDomainError} from './errors.js';

const ticketPath = (id: string) => `v1/tickets/${encodeURIComponent(id)}`;

/**
 * The caller's key for every attempt of the operation. The protocol honours a key on every
 * write, so a call without one (a caller that chose none) gets its own, still one per call.
 */
const keyed = (options: CallOptions): Pick<HttpRequest, 'idempotencyKey' | 'attempts'> => ({
  idempotencyKey: options.idempotencyKey ?? randomUUID(),
  attempts: options.attempts,
});

/** Tickets over the supportkit REST protocol (src/server/openapi.yaml). */
export class RestTickets implements TicketApi {
  constructor(
    private readonly http: HttpClient,
    private readonly profile: string,
  ) {}

  async call<T>(req: HttpRequest): Promise<T> {
    try {
      return (await this.http.request(req)).body as T;
    } catch (error) {
      throw toDomainError(error, this.profile);
    }
  }

  async create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    try {
      // Every create carries a key, so that a retry after a lost response makes one ticket.
      return await this.call({method: 'POST', path: 'v1/tickets', json: input, ...keyed(options)});
    } catch (error) {
      const taken = problemOf(error)?.ticketId;
      if (error instanceof RejectedError && input.externalId !== undefined && typeof taken === 'string') throw new ExternalIdTakenError(input.externalId, taken, {cause: error});
      throw error;
    }
  }

  get(id: string, options: CallOptions = {}): Promise<Ticket> {
    return this.call({method: 'GET', path: ticketPath(id), attempts: options.attempts});
  }

  async view(id: string, options: CallOptions = {}): Promise<TicketWithComments> {
    const [ticket, {comments}] = await Promise.all([
      this.get(id, options),
      this.call<{comments: Comment[]}>({method: 'GET', path: `${ticketPath(id)}/comments`, attempts: options.attempts}),
    ]);
    return {...ticket, comments};
  }

  list(query: TicketQuery): Promise<TicketPage> {
    return this.call({
      method: 'GET',
      path: 'v1/tickets',
      query: {
        status: query.status,
        priority: query.priority,
        tag: query.tags,
        assignee: query.assignee,
        requester: query.requester,
        search: query.search,
        externalId: query.externalId,
        updatedSince: query.updatedSince,
        sort: query.sort,
        limit: query.limit,
        cursor: query.cursor,
      },
    });
  }

  async update(id: string, changes: TicketChanges, options: UpdateOptions = {}): Promise<Ticket> {
    // If-Match: the change applies to the version that was read, or not at all (412).
    const headers = options.ifVersion === undefined ? undefined : {'if-match': `"${options.ifVersion}"`};
    try {
      return await this.call({method: 'PATCH', path: ticketPath(id), json: changes, ...keyed(options), ...(headers ? {headers} : {})});
    } catch (error) {
      if (error instanceof VersionConflictError) throw new VersionConflictError(id, options.ifVersion, error.current, {cause: error.cause});
      throw error;
    }
  }

  comment(id: string, input: NewComment, options: CallOptions = {}): Promise<Comment> {
    return this.call({method: 'POST', path: `${ticketPath(id)}/comments`, json: input, ...keyed(options)});
  }

  attach(id: string, file: AttachmentSource, options: CallOptions = {}): Promise<Attachment> {
    return this.call({
      method: 'POST',
      path: `${ticketPath(id)}/attachments`,
      query: {name: file.name},
      // Re-opened from disk on each attempt; the key lets the server replay a retried upload.
      stream: {open: () => file.open(), size: file.size, contentType: file.contentType ?? 'application/octet-stream'},
      ...keyed(options),
      onUploadProgress: file.onProgress,
    });
  }

  async events(id: string): Promise<TicketEvent[]> {
    return (await this.call<{events: TicketEvent[]}>({method: 'GET', path: `${ticketPath(id)}/events`})).events;
  }
}
