import type {Readable} from 'node:stream';

import type {AttachmentSource, SlaPolicyVersion, SlaTicketEvaluation} from '../../backends/backend.js';
import type {Article, ArticleInput, KbHit, KbSearchQuery} from '../../domain/article.js';
import type {SlaPolicySet} from '../../domain/sla/policy.js';
import type {Attachment, Comment, NewComment, NewTicket, Role, Ticket, TicketChanges, TicketEvent, TicketPage, TicketQuery} from '../../domain/ticket.js';

/**
 * What `support serve` keeps, behind one interface with two implementations: SQLite, embedded,
 * one process (sqlite/), and PostgreSQL, for several processes on one database (postgres/).
 * The routes (src/server/routes/) know only this file. Every method is async, and every write
 * is one transaction: what one instance wrote, every other instance reads at once.
 */
export interface ServerStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data is, for a log line: a directory, or a database URL without its password. */
  readonly location: string;
  tickets: TicketStore;
  events: EventFeed;
  kb: KbStore;
  sla: SlaStore;
  tokens: TokenStore;
  idempotency: IdempotencyStore;
  rateLimits: RateLimitStore;
  webhooks: WebhookStore;
  close(): Promise<void>;
}

export const TOKEN_ROLES = ['customer', 'agent', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Who writes: a token's principal. An admin writes as an agent. */
export interface Actor {
  id: string;
  name: string;
  role: Role;
}

/** A ticket as the store keeps it: `version` goes up by one on every change (for ETags). */
export interface StoredTicket extends Ticket {
  version: number;
}

/** The filters of `GET /v1/tickets`, with the stable ids a server filters by. */
export interface ServerTicketQuery extends TicketQuery {
  requesterId?: string;
  assigneeId?: string;
}

/**
 * A migration's history, which only admins may bring: who really wrote a ticket or comment
 * (by name: the principal of that name when there is one, else nobody's id) and when.
 */
export interface Imported {
  /** The requester of a ticket, the author of a comment. */
  by?: string;
  /** A comment author's role; default: the kind of the principal of that name, else customer. */
  role?: Role;
  createdAt?: number;
}

export interface TicketStore {
  /**
   * Creates a ticket, or with an idempotency key used before for the same input, answers the
   * ticket it made (`replayed`). Two requests with one key at once, on any instances, make one
   * ticket: the second waits for the first and replays it. A key used for another input is a
   * RejectedError; an external id another ticket has, an ExternalIdTakenError.
   */
  create(actor: Actor, input: NewTicket, options?: {idempotencyKey?: string; imported?: Imported}): Promise<{ticket: StoredTicket; replayed: boolean}>;
  /** NotFoundError when there is none. */
  get(id: string): Promise<StoredTicket>;
  /** `@me` in requester or assignee is the actor. A cursor it did not give out is a UsageError. */
  list(actor: Actor, query: ServerTicketQuery): Promise<TicketPage>;
  /**
   * A status change the workflow forbids is a RejectedError. With `ifVersion`, a ticket at another
   * version is left as it is: VersionConflictError, checked and changed in one transaction.
   */
  update(actor: Actor, id: string, changes: TicketChanges, options?: {ifVersion?: number}): Promise<StoredTicket>;
  comments(id: string): Promise<Comment[]>;
  comment(actor: Actor, id: string, input: NewComment, options?: {imported?: Imported}): Promise<Comment>;
  /** One ticket's history, oldest first. */
  events(id: string): Promise<TicketEvent[]>;
  /** Streams the file into the store (bytes every instance can read), then records it. */
  attach(actor: Actor, id: string, file: AttachmentSource): Promise<Attachment>;
  /** The bytes of an attachment of that ticket, or undefined when it has no such attachment. */
  openAttachment(ticketId: string, attachmentId: string): Promise<Readable | undefined>;
}

/** One page of the change feed. */
export interface EventPage {
  events: TicketEvent[];
  /** Pass back as `after` for the next page; the same cursor when nothing is new. */
  cursor: string;
  /** More events follow this page now. */
  more: boolean;
}

export interface EventFilter {
  /** Only the events of this principal's tickets. */
  requesterId?: string;
  /** Leave out the events of internal comments. */
  publicOnly?: boolean;
}

/**
 * Every ticket's events as one stream, whichever instance wrote them: a reader that asks for
 * what follows its cursor never misses an event, even one whose transaction committed after a
 * later one's, and never sees one twice. Cursors are opaque strings of the store.
 */
export interface EventFeed {
  /** A cursor this feed did not give out is a UsageError. */
  after(cursor: string | undefined, limit: number, filter?: EventFilter): Promise<EventPage>;
  /** A cursor after every event written so far: reading after it gives only what comes next. */
  end(): Promise<string>;
}

export type KbUpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface KbChanges {
  articles: Article[];
  deleted: {id: string; slug: string; deletedAt: string}[];
  seq: number;
  more: boolean;
}

export interface KbStore {
  /** Ranked hits with snippets: the same analysis and ranking on every store (src/store/embedded/kb). */
  search(query: KbSearchQuery): Promise<KbHit[]>;
  get(idOrSlug: string): Promise<Article>;
  upsert(input: ArticleInput): Promise<{article: Article; outcome: KbUpsertOutcome}>;
  delete(idOrSlug: string): Promise<void>;
  /** Articles written and deleted after `since`, oldest change first. */
  changes(since: number, limit: number): Promise<KbChanges>;
}

export interface SlaStore {
  policyVersions(): Promise<SlaPolicyVersion[]>;
  /** The version in force now. */
  policies(): Promise<SlaPolicyVersion>;
  importPolicies(set: SlaPolicySet, options: {source: string}): Promise<SlaPolicyVersion>;
  /** `requesterId` keeps only that principal's tickets: another's is reported as not existing. */
  status(tickets: readonly string[] | 'open', at: number, options?: {requesterId?: string}): Promise<SlaTicketEvaluation[]>;
}

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenInfo {
  id: string;
  /** The user the token acts as: the stable id that owns tickets and signs comments and events. */
  principalId: string;
  name: string;
  role: TokenRole;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** From then on the token is refused; null: never. */
  expiresAt: string | null;
  /** What the role's rights are limited to: `read` only, or `read` and `write` (everything the role may do). */
  scopes: TokenScope[];
}

export interface NewTokenOptions {
  /** Epoch ms; absent: the token never expires. */
  expiresAt?: number;
  /** Absent: read and write. */
  scopes?: TokenScope[];
}

export interface CreatedToken extends TokenInfo {
  /** The secret: returned once, never stored. */
  token: string;
}

/** Tokens and the principals they act as. */
export interface TokenStore {
  /** A new token acting as a new principal; a name is never given to a second principal. */
  create(name: string, role: TokenRole, options?: NewTokenOptions): Promise<CreatedToken>;
  list(): Promise<TokenInfo[]>;
  /** By id, or by name when one live token has it. */
  revoke(idOrName: string): Promise<TokenInfo>;
  /** The live token with this secret, read from the store on every call: a revocation on any instance holds at once. Expired tokens are not live. */
  verify(secret: string): Promise<TokenInfo | undefined>;
}

/** The stored answer of an idempotent request. */
export interface StoredResponse {
  requestHash: string;
  status: number;
  body: string;
}

export type IdempotencyClaim =
  /** The caller runs the request, then calls complete() or release(). */
  | {state: 'claimed'}
  /** The request ran before: replay this (or refuse it when the hash differs). */
  | {state: 'done'; response: StoredResponse}
  /** A request with this key is running now, on this instance or another. */
  | {state: 'busy'};

/** Idempotency keys of every request but ticket creation (which the ticket store keeps with the ticket). */
export interface IdempotencyStore {
  claim(scope: string, key: string): Promise<IdempotencyClaim>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Gives up a claim whose request failed, so that a retry runs it. */
  release(scope: string, key: string): Promise<void>;
}

/** Requests per token and fixed window, counted where every instance counts. */
export interface RateLimitStore {
  /** Counts one request and answers the count so far in the window that holds `now`, and when that window started. */
  hit(key: string, now: number): Promise<{count: number; windowStart: number}>;
}

/** Idempotency keys are kept at least this long, as the protocol promises. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A claim this old belongs to an instance that stopped mid-request: another may take it over. */
export const IDEMPOTENCY_CLAIM_TTL_MS = 10 * 60 * 1000;
export const RATE_WINDOW_MS = 60_000;

/** The event types a webhook may subscribe to: those of the change feed. */
export const WEBHOOK_EVENT_TYPES = ['created', 'status_changed', 'comment', 'updated', 'attachment'] as const;

/** A webhook subscription: where events are posted, which ones, and how they are signed. */
export interface Webhook {
  id: string;
  url: string;
  /** The event types delivered; null: all of them. */
  events: TicketEvent['type'][] | null;
  description: string | null;
  createdAt: string;
}

export interface CreatedWebhook extends Webhook {
  /** The signing secret (`whsec_...`): shown once here, kept by the server to sign with. */
  secret: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one subscription: its attempts so far and how the last one went. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: TicketEvent['type'];
  ticketId: string;
  /** pending: to be attempted (again) at nextAttemptAt; delivered: a 2xx answered; failed: every attempt failed. */
  state: DeliveryState;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  /** The receiver's HTTP status in the last attempt; null when it did not answer. */
  lastStatus: number | null;
  /** Why the last attempt failed, in one line; null after a success. */
  lastError: string | null;
}

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  nextCursor: string | null;
}

/** A delivery an instance has leased: it alone attempts it until the lease ends. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  /** The exact bytes to post: the same on every attempt. */
  payload: string;
  /** This attempt's number, from 1. */
  attempt: number;
}

export interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** When to try again; absent with ok, or when the attempts are used up (the delivery then fails). */
  retryAt?: number;
}

/**
 * Webhook subscriptions and their deliveries. Deliveries are made from the change feed, one per
 * event and matching subscription (never two: the pair is unique), by whichever instance gets to
 * it first (`enqueue`), and attempted under a lease (`claim`): while one instance holds it, no
 * other attempts the delivery, so a receiver never gets one event twice at once.
 */
export interface WebhookStore {
  /** `url` is checked by the caller (http or https). */
  create(input: {url: string; events: TicketEvent['type'][] | null; description?: string | null}): Promise<CreatedWebhook>;
  list(): Promise<Webhook[]>;
  /** NotFoundError when there is none. */
  get(id: string): Promise<Webhook>;
  /** Removes the subscription and its deliveries; pending ones are not attempted again. */
  remove(id: string): Promise<Webhook>;
  /** Newest first; a cursor it did not give out is a UsageError. */
  deliveries(query: {webhookId?: string; state?: DeliveryState; limit: number; cursor?: string}): Promise<DeliveryPage>;
  /**
   * Turns events that followed the last enqueued one into deliveries (at most `limit` events),
   * once across instances; answers how many events it read (0: it is up to date, or another
   * instance is at it right now).
   */
  enqueue(limit: number): Promise<number>;
  /** Leases up to `limit` deliveries that are due and not leased by anyone (or whose lease ran out) to `owner`. */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt of a delivery leased by `owner` and ends its lease; a lease lost meanwhile records nothing. */
  finish(owner: string, delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void>;
}

/** Deliveries delivered or failed are kept this long in the log. */
export const DELIVERY_LOG_TTL_MS = 30 * 24 * 3600 * 1000;
