/**
 * `supportkit-cli/backend`: what a backend plugin may import from the toolkit, and nothing more.
 * It is kept stable within a major version (PLUGIN_API_VERSION names the declaration format
 * it goes with); everything else in the package is internal and may change in any release.
 * docs/backends.md ("Backend plugins") is the guide.
 *
 * At run time the CLI that loads a plugin answers its imports of this module with its own copy,
 * so the error classes a plugin throws are the ones the CLI maps to exit codes.
 */

// The interface a backend implements, and what its factory receives.
export type {
  AttachmentSource,
  AttemptControl,
  Backend,
  BackendFactory,
  BackendOptions,
  CallOptions,
  Capability,
  CreateOptions,
  Identity,
  ImportPoliciesOptions,
  KbApi,
  KbChangesPage,
  KbDeletion,
  KbUpsertOutcome,
  RateLimitInfo,
  RetryEvent,
  SlaApi,
  SlaPolicyVersion,
  SlaTicketEvaluation,
  TicketApi,
} from '../backends/backend.js';
export {CAPABILITIES} from '../backends/backend.js';
export {requireCapability, unsupported} from '../backends/capabilities.js';

// The domain: tickets, comments, events and articles as the toolkit models them.
export type {
  Attachment,
  Comment,
  NewComment,
  NewTicket,
  Role,
  Ticket,
  TicketChanges,
  TicketEvent,
  TicketEventType,
  TicketFields,
  TicketPage,
  TicketPriority,
  TicketQuery,
  TicketStatus,
  TicketType,
  TicketWithComments,
} from '../domain/ticket.js';
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  OPEN_STATUSES,
  ROLES,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  TICKET_TYPES,
  assertStatusChange,
} from '../domain/ticket.js';
export type {Article, ArticleInput, ArticleLocale, KbHit, KbSearchQuery} from '../domain/article.js';
export {MATCH_END, MATCH_START} from '../domain/article.js';

// Errors: each carries the exit code the CLI ends with (README, "Exit codes").
export {
  AuthError,
  ExitCode,
  NotFoundError,
  RateLimitError,
  RejectedError,
  SupportError,
  UnavailableError,
  UnsupportedError,
  UsageError,
  type ExitCodeValue,
  type SupportErrorOptions,
} from '../domain/errors.js';

// The declaration in a plugin's package.json ("supportkit" field).
export {PLUGIN_API_VERSION} from '../backends/plugins.js';
export type {BackendPluginManifest, PluginBackendDeclaration, PluginOptionDeclaration} from '../backends/plugins.js';
