/**
 * The error classes every layer throws. Each carries the exit code users' scripts rely on
 * (README, "Exit codes") and an optional hint: the next thing the user can do.
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  rejected: 5,
  rateLimited: 6,
  unavailable: 7,
  slaBreached: 8,
  cancelled: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface SupportErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class SupportError extends Error {
  /** Stable machine-readable code, printed under `--json`. */
  readonly code: string = 'error';
  readonly exitCode: ExitCodeValue = ExitCode.error;
  readonly hint?: string;

  constructor(message: string, options: SupportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause});
    this.name = new.target.name;
    if (options.hint) this.hint = options.hint;
  }
}

/** Bad flag, missing or malformed input: the user can fix the command line. */
export class UsageError extends SupportError {
  override readonly code = 'usage';
  override readonly exitCode = ExitCode.usage;
}

export class NotFoundError extends SupportError {
  override readonly code = 'not_found';
  override readonly exitCode = ExitCode.notFound;
}

export class AuthError extends SupportError {
  override readonly code = 'auth';
  override readonly exitCode = ExitCode.auth;
}

/** The backend refused the input: validation failure or conflict. */
export class RejectedError extends SupportError {
  override readonly code = 'rejected';
  override readonly exitCode = ExitCode.rejected;
}

/**
 * A conditional change refused because the ticket changed after it was read (HTTP 412, a lost
 * update prevented): nothing was applied. Run the command again to apply it to the latest version.
 */
export class VersionConflictError extends RejectedError {
  constructor(
    readonly ticketId: string,
    /** The version the change was based on. */
    readonly expected: number | undefined,
    /** The version the ticket has now, when the backend said. */
    readonly current: number | undefined,
    options: SupportErrorOptions = {},
  ) {
    const versions =
      expected !== undefined && current !== undefined ? ` (your change was based on version ${expected}; it is now at version ${current})` : '';
    super(`Ticket ${ticketId} was changed by someone else after it was read${versions}, so your change was not applied.`, {
      hint: options.hint ?? `Run the command again to apply it to the ticket as it is now; \`support ticket view ${ticketId}\` shows what changed.`,
      cause: options.cause,
    });
  }
}

/** A ticket with this external id exists already (external ids are unique): nothing was created. */
export class ExternalIdTakenError extends RejectedError {
  constructor(
    readonly externalId: string,
    /** The ticket that has it. */
    readonly ticketId: string,
    options: SupportErrorOptions = {},
  ) {
    super(`Ticket ${ticketId} already has the external id "${externalId}"; external ids are unique.`, {
      hint: options.hint ?? `Update ticket ${ticketId} instead, or use another external id.`,
      cause: options.cause,
    });
  }
}

export class RateLimitError extends SupportError {
  override readonly code = 'rate_limited';
  override readonly exitCode = ExitCode.rateLimited;
  /** What the backend asked us to wait, when it said. */
  readonly retryAfterSeconds?: number;

  constructor(message: string, options: SupportErrorOptions & {retryAfterSeconds?: number} = {}) {
    super(message, options);
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The network or the backend (a server, a database file) cannot be reached or used. */
export class UnavailableError extends SupportError {
  override readonly code = 'unavailable';
  override readonly exitCode = ExitCode.unavailable;
}

export class CancelledError extends SupportError {
  override readonly code = 'cancelled';
  override readonly exitCode = ExitCode.cancelled;
}

/** Local configuration that cannot be read: a broken settings or credentials file. */
export class ConfigError extends SupportError {
  override readonly code = 'config';
}

/** An installed plugin that cannot be used: its declaration, its code, or what its code answers. */
export class PluginError extends SupportError {
  override readonly code = 'plugin';
}

/** The backend has no such capability: say so instead of returning an empty result. */
export class UnsupportedError extends SupportError {
  override readonly code = 'unsupported';
  readonly backend: string;
  readonly capability: string;

  constructor(backend: string, capability: string, options: SupportErrorOptions & {message?: string} = {}) {
    super(options.message ?? `The ${backend} backend does not support ${capability}.`, options);
    this.backend = backend;
    this.capability = capability;
  }
}

/**
 * `sla status --fail-on-breach` found a breached metric. The command has printed its result
 * (the table, or the JSON on stdout) before this is thrown: only the exit code and a line on
 * stderr follow, never an error document in place of the result.
 */
export class SlaBreachedError extends SupportError {
  override readonly code = 'sla_breached';
  override readonly exitCode = ExitCode.slaBreached;
  readonly resultPrinted = true;
}
