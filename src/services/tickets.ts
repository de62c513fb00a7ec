import {randomUUID} from 'node:crypto';

import type {Backend, RetryEvent} from '../backends/backend.js';
import {requireCapability} from '../backends/capabilities.js';
import {SupportError, UsageError} from '../domain/errors.js';
import {
  normalizeTags,
  validateBody,
  validateTitle,
  type Ticket,
  type TicketChanges,
  type TicketFields,
  type TicketPage,
  type TicketPriority,
  type TicketQuery,
  type TicketType,
  type TicketWithComments,
} from '../domain/ticket.js';
import {fileAttachmentSource} from './attachments.js';

export interface CreateTicketInput {
  title: string;
  body: string;
  priority?: TicketPriority;
  type?: TicketType;
  tags?: string[];
  fields?: TicketFields;
  /** Paths of files to attach; all are checked before the ticket is created. */
  attachments?: string[];
  /** Told as each attachment uploads, e.g. to draw a progress bar. */
  onUploadProgress?: (file: string, sent: number, total: number) => void;
  onUploadDone?: (file: string) => void;
  /** Told before an upload is sent again (it starts from 0). */
  onUploadRetry?: (file: string, event: RetryEvent) => void;
}

export async function createTicket(backend: Backend, input: CreateTicketInput): Promise<Ticket> {
  const title = validateTitle(input.title);
  const body = validateBody(input.body);
  const tags = normalizeTags(input.tags ?? []);
  const files = await Promise.all((input.attachments ?? []).map((path) => fileAttachmentSource(path)));
  if (files.length > 0) requireCapability(backend, 'attachments');
  // One key per logical create: a retried request after a lost response makes one ticket.
  const idempotencyKey = backend.capabilities.has('idempotent-create') ? randomUUID() : undefined;
  // `key=` means "remove" on update; on a new ticket there is nothing to remove.
  const fields = input.fields ? Object.fromEntries(Object.entries(input.fields).filter(([, v]) => v !== null)) : undefined;
  const ticket = await backend.tickets.create(
    {title, body, priority: input.priority, type: input.type, tags, fields},
    {idempotencyKey},
  );
  for (const file of files) {
    try {
      const report = input.onUploadProgress;
      if (report) file.onProgress = (sent, total) => report(file.name, sent, total);
      const onRetry = input.onUploadRetry;
      // One key per file for every attempt: a retried upload whose answer was lost is replayed, not stored twice.
      ticket.attachments.push(
        await backend.tickets.attach(ticket.id, file, {idempotencyKey: randomUUID(), attempts: {onRetry: onRetry && ((event) => onRetry(file.name, event))}}),
      );
      input.onUploadDone?.(file.name);
    } catch (error) {
      const failure = error instanceof SupportError ? error.message : String((error as Error).message);
      throw new PartialCreateError(ticket, file.name, failure, error);
    }
  }
  return ticket;
}

/** The ticket exists, but an attachment did not make it: say so, and never create it twice. */
export class PartialCreateError extends SupportError {
  constructor(
    readonly ticket: Ticket,
    fileName: string,
    reason: string,
    cause: unknown,
  ) {
    super(`Ticket ${ticket.id} was created, but attaching ${fileName} failed: ${reason}`, {
      hint: `Do not create the ticket again; view it with \`support ticket view ${ticket.id}\`.`,
      cause,
    });
  }
}

export function listTickets(backend: Backend, query: TicketQuery): Promise<TicketPage> {
  // A filter the backend does not have is refused, never silently dropped.
  if (query.externalId !== undefined) requireCapability(backend, 'external-id');
  if (query.updatedSince !== undefined || (query.sort !== undefined && query.sort !== '-createdAt')) requireCapability(backend, 'updated-since');
  return backend.tickets.list({...query, tags: query.tags ? normalizeTags(query.tags) : undefined});
}

export function viewTicket(backend: Backend, id: string): Promise<TicketWithComments> {
  return backend.tickets.view(id);
}

export interface CommentInput {
  body: string;
  internal?: boolean;
}

/** Adds a comment and returns the ticket with all its comments. */
export async function commentOnTicket(backend: Backend, id: string, input: CommentInput): Promise<TicketWithComments> {
  const body = validateBody(input.body, 'comment');
  if (input.internal) requireCapability(backend, 'internal-comments');
  // One key for the comment, so that a retry after a lost answer posts it once.
  await backend.tickets.comment(id, {body, public: !input.internal}, {idempotencyKey: randomUUID()});
  return backend.tickets.view(id);
}

export async function updateTicket(backend: Backend, id: string, changes: TicketChanges): Promise<Ticket> {
  const normalized: TicketChanges = {...changes};
  if (changes.title !== undefined) normalized.title = validateTitle(changes.title);
  if (changes.addTags) normalized.addTags = normalizeTags(changes.addTags);
  if (changes.removeTags) normalized.removeTags = normalizeTags(changes.removeTags);
  const hasChange = Object.values(normalized).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0));
  if (!hasChange) {
    throw new UsageError('Nothing to update.', {
      hint: 'Give at least one of --status, --priority, --type, --assignee, --add-tag, --remove-tag, --field.',
    });
  }
  // On a backend that can refuse a stale change, the change is made to the ticket as it is read
  // here and to nothing else: someone else's change in between is a VersionConflictError
  // (exit 5), never silently overwritten.
  const ifVersion = backend.capabilities.has('conditional-update') ? (await backend.tickets.get(id)).version : undefined;
  return backend.tickets.update(id, normalized, {idempotencyKey: randomUUID(), ...(ifVersion === undefined ? {} : {ifVersion})});
}

/** Close means solved, as in Zendesk: the requester can still reply and reopen it. */
export function closeTicket(backend: Backend, id: string): Promise<Ticket> {
  return backend.tickets.update(id, {status: 'solved'}, {idempotencyKey: randomUUID()});
}

export function reopenTicket(backend: Backend, id: string): Promise<Ticket> {
  return backend.tickets.update(id, {status: 'open'}, {idempotencyKey: randomUUID()});
}
