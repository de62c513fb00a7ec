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
import type {AttachmentSource, CreateOptions, TicketApi} from '../backend.js';
import {toDomainError} from './errors.js';

const ticketPath = (id: string) => `v1/tickets/${encodeURIComponent(id)}`;

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

  create(input: NewTicket, options: CreateOptions = {}): Promise<Ticket> {
    // Every create carries a key, so that a retry after a lost response makes one ticket.
    return this.call({method: 'POST', path: 'v1/tickets', json: input, idempotencyKey: options.idempotencyKey ?? randomUUID()});
  }

  get(id: string): Promise<Ticket> {
    return this.call({method: 'GET', path: ticketPath(id)});
  }

  async view(id: string): Promise<TicketWithComments> {
    const [ticket, {comments}] = await Promise.all([
      this.get(id),
      this.call<{comments: Comment[]}>({method: 'GET', path: `${ticketPath(id)}/comments`}),
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
        limit: query.limit,
        cursor: query.cursor,
      },
    });
  }

  update(id: string, changes: TicketChanges): Promise<Ticket> {
    return this.call({method: 'PATCH', path: ticketPath(id), json: changes, idempotencyKey: randomUUID()});
  }

  comment(id: string, input: NewComment): Promise<Comment> {
    return this.call({method: 'POST', path: `${ticketPath(id)}/comments`, json: input, idempotencyKey: randomUUID()});
  }

  attach(id: string, file: AttachmentSource): Promise<Attachment> {
    return this.call({
      method: 'POST',
      path: `${ticketPath(id)}/attachments`,
      query: {name: file.name},
      // Re-opened from disk on each attempt; the key lets the server replay a retried upload.
      stream: {open: () => file.open(), size: file.size, contentType: file.contentType ?? 'application/octet-stream'},
      idempotencyKey: randomUUID(),
      onUploadProgress: file.onProgress,
    });
  }

  async events(id: string): Promise<TicketEvent[]> {
    return (await this.call<{events: TicketEvent[]}>({method: 'GET', path: `${ticketPath(id)}/events`})).events;
  }
}
