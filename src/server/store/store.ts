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

export interface TicketStore {
  /**
   * Creates a ticket, or with an idempotency key used before for the same input, answers the
   * ticket it made (`replayed`). Two requests with one key at once, on any instances, make one
   * ticket: the second waits for the first and replays it. A key used for another input is a
   * RejectedError.
   */
  create(actor: Actor, input: NewTicket, options?: {idempotencyKey?: string}): Promise<{ticket: StoredTicket; replayed: boolean}>;
  /** NotFoundError when there is none. */
  get(id: string): Promise<StoredTicket>;
  /** `@me` in requester or assignee is the actor. A cursor it did not give out is a UsageError. */
  list(actor: Actor, query: ServerTicketQuery): Promise<TicketPage>;
  /** A status change the workflow forbids is a RejectedError. */
  update(actor: Actor, id: string, changes: TicketChanges): Promise<StoredTicket>;
  comments(id: string): Promise<Comment[]>;
  comment(actor: Actor, id: string, input: NewComment): Promise<Comment>;
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
}

/**
 * Every ticket's events as one stream, whichever instance wrote them: a reader that asks for
 * what follows its cursor never misses an event, even one whose transaction committed after a
 * later one's, and never sees one twice. Cursors are opaque strings of the store.
 */
export interface EventFeed {
  after(cursor: string | undefined, limit: number, filter?: {requesterId?: string}): Promise<EventPage>;
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

export interface TokenInfo {
  id: string;
  /** The user the token acts as: the stable id that owns tickets and signs comments and events. */
  principalId: string;
  name: string;
  role: TokenRole;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret: returned once, never stored. */
  token: string;
}

/**
 * Tokens and the principals they act as. Every store also keeps, unused by protocol 1.0, a
 * token's expiry and scopes (NULL: none), so that they can be added without a migration of data.
 */
export interface TokenStore {
  /** A new token acting as a new principal; a name is never given to a second principal. */
  create(name: string, role: TokenRole): Promise<CreatedToken>;
  list(): Promise<TokenInfo[]>;
  /** By id, or by name when one live token has it. */
  revoke(idOrName: string): Promise<TokenInfo>;
  /** The live token with this secret, read from the store on every call: a revocation on any instance holds at once. */
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
