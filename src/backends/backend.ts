import type {RateLimitInfo} from '../domain/rate-limit.js';
import type {
  Attachment,
  Comment,
  NewComment,
  NewTicket,
  Role,
  Ticket,
  TicketChanges,
  TicketEvent,
  TicketPage,
  TicketQuery,
  TicketWithComments,
} from '../domain/ticket.js';

/**
 * What a backend can do. Commands check these to say "the github backend has no knowledge
 * base" instead of failing obscurely; a method called without its capability throws
 * UnsupportedError.
 */
export const CAPABILITIES = [
  'tickets',
  'comments',
  'internal-comments',
  'attachments',
  'events',
  'kb',
  'sla',
  'idempotent-create',
  'custom-fields',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CreateOptions {
  /** Sent with the create so that a retried request makes one ticket. */
  idempotencyKey?: string;
}

/** A file to attach; `open` is called once per attempt, so a retry never reuses a consumed stream. */
export interface AttachmentSource {
  name: string;
  size: number;
  contentType?: string;
  open(): NodeJS.ReadableStream;
  /** Told as bytes go out, for a progress bar; remote adapters call it, the local one need not. */
  onProgress?(sent: number, total: number): void;
}

export interface TicketApi {
  create(input: NewTicket, options?: CreateOptions): Promise<Ticket>;
  get(id: string): Promise<Ticket>;
  /** With comments, in the order they were written. */
  view(id: string): Promise<TicketWithComments>;
  list(query: TicketQuery): Promise<TicketPage>;
  update(id: string, changes: TicketChanges): Promise<Ticket>;
  comment(id: string, input: NewComment): Promise<Comment>;
  attach(id: string, file: AttachmentSource): Promise<Attachment>;
  /** The ticket's history, oldest first (capability 'events'). */
  events(id: string): Promise<TicketEvent[]>;
}

export interface Identity {
  name: string;
  role: Role;
}

export interface Backend {
  readonly kind: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly tickets: TicketApi;
  /** The latest rate-limit figures, for backends whose API reports them. */
  rateLimit?(): RateLimitInfo | undefined;
  /** Who the backend acts as, when it can tell. */
  whoami(): Promise<Identity>;
  close(): Promise<void>;
}

/** What an adapter needs to open; built from the active profile and its credentials. */
export interface BackendOptions {
  profile: string;
  /** Base URL, for the remote backends. */
  url?: string;
  /** Resolved lazily so that a local backend never touches the keyring. */
  token?: () => Promise<string | undefined>;
  /** The CLI's data directory: where the local store and caches live. */
  dataDir: string;
  cacheDir: string;
  identity: Identity;
  debug?: (line: string) => void;
}

export type {RateLimitInfo};

export type BackendFactory = (options: BackendOptions) => Promise<Backend>;
