import type {RateLimitInfo} from '../domain/rate-limit.js';
import type {CallOptions} from '../domain/retry.js';
import type {SlaEvaluation} from '../domain/sla/engine.js';
import type {SlaPolicySet} from '../domain/sla/policy.js';
import type {Article, ArticleInput, KbHit, KbSearchQuery} from '../domain/article.js';
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
 * UnsupportedError (see capabilities.ts for the sentences).
 * - tickets, comments, internal-comments, attachments, custom-fields: the ticket operations;
 * - events: a ticket's history (`tickets.events`);
 * - kb: search and read articles; kb-write: import and delete them; kb-sync: list what
 *   changed since a cursor (`kb sync`, the offline copy);
 * - sla: SLA clocks (`sla status`), evaluated natively or from policies and events;
 *   sla-policies: the toolkit's own policy files (`sla policy import/list/view`);
 * - idempotent-create: a repeated create with the same key makes one ticket;
 * - conditional-update: an update can name the version it was based on (`ifVersion`), and is
 *   refused with VersionConflictError when the ticket changed since (no lost updates);
 * - external-id: tickets keep a unique `externalId` (a migration's source id), and list filters by it;
 * - updated-since: list filters by `updatedSince` and sorts by `updatedAt` (incremental exports).
 */
export const CAPABILITIES = [
  'tickets',
  'comments',
  'internal-comments',
  'attachments',
  'events',
  'kb',
  'kb-write',
  'kb-sync',
  'sla',
  'sla-policies',
  'idempotent-create',
  'custom-fields',
  'conditional-update',
  'external-id',
  'updated-since',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What a command asked about when it met a capability the backend lacks. */
export interface CapabilityContext {
  ticketId?: string;
}

/** With the key sent with the create, a retried request makes one ticket. */
export type CreateOptions = CallOptions;

export interface UpdateOptions extends CallOptions {
  /**
   * The `version` of the ticket the change was based on (capability 'conditional-update'): the
   * backend applies it only if the ticket is still at that version, else throws
   * VersionConflictError. Backends without the capability ignore it.
   */
  ifVersion?: number;
  /**
   * false: the caller has no use for the ticket as it is after the change (a bulk run), so an
   * adapter whose API does not answer with it (Jira's edits and transitions answer 204) does not
   * ask for it again, and resolves with null.
   */
  readBack?: boolean;
}

export type {AttemptControl, CallOptions, RetryEvent} from '../domain/retry.js';

/** A file to attach; `open` is called once per attempt, so a retry never reuses a consumed stream. */
export interface AttachmentSource {
  name: string;
  size: number;
  contentType?: string;
  open(): NodeJS.ReadableStream;
  /** Told as bytes go out, for a progress bar; remote adapters call it, the local one need not. */
  onProgress?(sent: number, total: number): void;
}

/**
 * Each call is one logical operation. `options` carries the idempotency key its caller chose
 * for it and the caller's part in its retries (see domain/retry.ts); the adapter's HTTP client
 * is the one owner of those retries, and a caller never loops around a call.
 */
export interface TicketApi {
  create(input: NewTicket, options?: CreateOptions): Promise<Ticket>;
  get(id: string, options?: CallOptions): Promise<Ticket>;
  /** With comments, in the order they were written. */
  view(id: string, options?: CallOptions): Promise<TicketWithComments>;
  list(query: TicketQuery): Promise<TicketPage>;
  update(id: string, changes: TicketChanges, options?: UpdateOptions & {readBack?: true}): Promise<Ticket>;
  update(id: string, changes: TicketChanges, options: UpdateOptions): Promise<Ticket | null>;
  comment(id: string, input: NewComment, options?: CallOptions): Promise<Comment>;
  attach(id: string, file: AttachmentSource, options?: CallOptions): Promise<Attachment>;
  /** The ticket's history, oldest first (capability 'events'). */
  events(id: string): Promise<TicketEvent[]>;
}

/** One imported policy set. A ticket is measured by the version in force at its creation. */
export interface SlaPolicyVersion {
  /** 1, 2, 3...: each import adds one. */
  version: number;
  /** ISO time from which tickets created use this set; the first version starts at the epoch. */
  effectiveFrom: string;
  importedAt: string;
  /** Where the set came from: the imported file's name, or "(built-in default)". */
  source: string;
  policySet: SlaPolicySet;
}

/** One ticket's SLA clocks, as the engine reports them (epoch ms inside). */
export interface SlaTicketEvaluation extends SlaEvaluation {
  title: string;
}

export interface ImportPoliciesOptions {
  /** Shown by `sla policy list`: the file name, usually. */
  source?: string;
}

/**
 * SLA policies and clocks (capability 'sla'). A backend that stores the toolkit's policies
 * (capability 'sla-policies') implements `policies`, `policyVersions` and `importPolicies`;
 * `status` is for backends that evaluate natively (a helpdesk's own SLA API, or the local store
 * with one query for every event). A helpdesk that keeps its own policies implements `status`,
 * and its policy methods throw UnsupportedError (it lacks 'sla-policies').
 * Without `status`, services/sla.ts evaluates with the pure engine over `tickets.list` and
 * `tickets.events`, so an adapter never has to carry the engine itself.
 */
export interface SlaApi {
  /** The version in force now (capability 'sla-policies'). */
  policies(): Promise<SlaPolicyVersion>;
  /** Every version, oldest first (capability 'sla-policies'). */
  policyVersions(): Promise<SlaPolicyVersion[]>;
  /** Adds a version in force from now on; tickets created before keep theirs. Admin-only on a server. */
  importPolicies(set: SlaPolicySet, options?: ImportPoliciesOptions): Promise<SlaPolicyVersion>;
  /**
   * Clocks as of `at` (epoch ms) for the named tickets (NotFoundError for an unknown one) or for
   * every open ticket (new, open, pending, on hold) created by `at`: named tickets in the order
   * given, once each; open tickets in id order.
   */
  status?(tickets: readonly string[] | 'open', at: number): Promise<SlaTicketEvaluation[]>;
}

export type KbUpsertOutcome = 'created' | 'updated' | 'unchanged';

/** An article removed from the knowledge base, as a sync learns of it. */
export interface KbDeletion {
  id: string;
  slug: string;
  deletedAt: string;
}

/** One page of what changed after a cursor, oldest change first: what `kb sync` copies. */
export interface KbChangesPage {
  articles: Article[];
  deleted: KbDeletion[];
  /** Opaque; pass it back as `since` for the next page (and keep it for the next sync). */
  cursor: string;
  /** More changes wait after this page. */
  more: boolean;
  /**
   * Set by a backend that cannot tell deletions (Zendesk's Help Center forgets archived
   * articles): its pages list every article, 'first' opening the listing, and `deleted` stays
   * empty. A sync that applied a listing from its first page to its last drops the articles
   * the listing did not name.
   */
  listing?: 'first' | 'next';
}

/** The knowledge base (capability 'kb'). */
export interface KbApi {
  /** Ranked hits, best first; snippets carry MATCH_START/MATCH_END around matched words. */
  search(query: KbSearchQuery): Promise<KbHit[]>;
  /** By id or slug; NotFoundError when there is none. */
  get(idOrSlug: string): Promise<Article>;
  /** Creates or updates articles by slug; a server allows this to admins only. */
  upsert(articles: readonly ArticleInput[]): Promise<{slug: string; outcome: KbUpsertOutcome}[]>;
  /** Removes an article by id or slug (admins only on a server); syncs then drop it too. */
  delete(idOrSlug: string): Promise<void>;
  /** Changes after `since` (absent: from the beginning), for syncing a local copy. */
  changes(since?: string): Promise<KbChangesPage>;
}

export interface Identity {
  /** The user as the backend's tickets name them (requester, assignee, comment author). */
  name: string;
  role: Role;
  /** The account or server the user belongs to, when the backend tells (e.g. acme.zendesk.com). */
  account?: string;
  /** The backend's own word for the role, when it differs from `role` (Zendesk: admin, agent). */
  backendRole?: string;
  /** A display name, when `name` is an email or a login. */
  displayName?: string;
  /** A stable id of the user, where the backend has one (a server's principal); names are for reading. */
  id?: string;
  /** When the token stops working, where the backend tells (null: never). */
  expiresAt?: string | null;
  /** What the token may do beyond reading, where the backend tells: `read` alone is a read-only token. */
  scopes?: string[];
}

export interface ServerClock {
  /** The server's time (epoch ms; the Date header has whole seconds). */
  serverDate: number;
  /** This machine's time when the response arrived. */
  receivedAt: number;
}

export interface Backend {
  readonly kind: string;
  readonly capabilities: ReadonlySet<Capability>;
  /**
   * What to do instead, per capability the backend lacks: the hint of its "cannot" sentence; a
   * function when the hint names the ticket asked about (where to put a file instead).
   */
  readonly hints?: Partial<Record<Capability, string | ((about: CapabilityContext) => string)>>;
  /**
   * Where its tickets live, as a user names it: the base URL of a remote backend, the database
   * file of the local store. Bulk journals are kept per backend, location and principal.
   */
  readonly location?: string;
  readonly tickets: TicketApi;
  /** With capability 'sla'. */
  readonly sla?: SlaApi;
  /** Present when the backend has a knowledge base (capability 'kb'). */
  readonly kb?: KbApi;
  /** The latest rate-limit figures, for backends whose API reports them. */
  rateLimit?(): RateLimitInfo | undefined;
  /** Who the backend acts as, when it can tell. */
  whoami(): Promise<Identity>;
  /**
   * The server's clock as its latest response told it (the HTTP Date header), for remote
   * backends: `support doctor` compares it with this machine's.
   */
  serverClock?(): ServerClock | undefined;
  close(): Promise<void>;
}

/** What an adapter needs to open; built from the active profile and its credentials. */
export interface BackendOptions {
  profile: string;
  /** Base URL, for the remote backends. */
  url?: string;
  /** The login email that goes with the token, for backends whose tokens need one. */
  email?: string;
  /** The repository, owner/name, for backends that work one repository's issues (github). */
  repo?: string;
  /** The profile's `--option key=value` settings, already checked against the kind's declared options. */
  settings?: Readonly<Record<string, string>>;
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
