import {CancelledError, ExitCode, SupportError, UsageError} from '../domain/errors.js';

export interface Failure {
  exitCode: number;
  code: string;
  message: string;
  hint?: string;
  stack?: string;
}

interface OclifLikeError extends Error {
  oclif?: {exit?: number};
  code?: string;
  exitCode?: unknown;
  hint?: unknown;
  /** NonExistentFlagsError: the flags as typed. */
  flags?: string[];
}

/** What the failing command can tell about itself, for a hint that names it. */
export interface FailureContext {
  /** `support ticket create` */
  commandLine?: string;
  /** Its flags' names, without dashes, for "did you mean". */
  flagNames?: readonly string[];
  /** The closest of `candidates` to `word` (src/cli/suggest.ts), when the caller loaded it. */
  closest?: (word: string, candidates: readonly string[]) => string[];
}

const PARSE_ERRORS = /^(CLIParseError|FailedFlagValidationError|RequiredArgsError|UnexpectedArgsError|NonExistentFlagsError|FlagInvalidOptionError|ArgInvalidOptionError)$/;

export function isParseError(error: unknown): boolean {
  const err = error as OclifLikeError;
  return err?.oclif?.exit === ExitCode.usage || PARSE_ERRORS.test(err?.name ?? '');
}

/**
 * oclif's parser speaks in several lines ("Missing 1 required arg:", "id  Ticket id.", "See more
 * help with --help"): they become one sentence, and the help pointer becomes the hint.
 */
function parseFailure(err: OclifLikeError, context: FailureContext): UsageError {
  const lines = err.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help/i.test(l));
  const [first = 'The command line is not valid', ...details] = lines;
  const described = details.map((l) => {
    const m = /^(\S+)\s{2,}(.+?)\.?$/.exec(l);
    return m ? `${m[1]} (${m[2]})` : l.replace(/\.$/, '');
  });
  let message = `${first.replace(/^Error:\s*/, '').replace(/:$/, '')}${described.length ? `: ${described.join(', ')}` : ''}`;
  message = /[.?!]$/.test(message) ? message : `${message}.`;
  if (/^Nonexistent flag/.test(err.message) && err.flags?.length && context.flagNames && context.closest) {
    const typed = err.flags[0]!.replace(/^-+/, '').split('=')[0]!;
    const [best] = context.closest(typed, context.flagNames);
    if (best) message = `${message.replace(/\.$/, '')}. Did you mean --${best}?`;
  }
  const hint = context.commandLine ? `Run \`${context.commandLine} --help\` to see its usage.` : 'Run the command with --help to see its flags.';
  return new UsageError(message, {hint});
}

const EXIT_CODES = new Set<number>(Object.values(ExitCode));

/**
 * A SupportError of another copy of the toolkit: a backend plugin that bundled its own
 * `supportkit-cli/backend` (or a test importing the built one) throws classes that are not ours, but
 * carries the same code, exit code and hint.
 */
function supportErrorOfAnotherCopy(err: OclifLikeError): boolean {
  return typeof err.code === 'string' && /^[a-z_]+$/.test(err.code) && typeof err.exitCode === 'number' && EXIT_CODES.has(err.exitCode);
}

/** The one place where an error becomes an exit code, a sentence and a hint. */
export function describeFailure(error: unknown, context: FailureContext = {}): Failure {
  const err = (error instanceof Error ? error : new Error(String(error))) as OclifLikeError;
  if (err instanceof SupportError) {
    return {exitCode: err.exitCode, code: err.code, message: err.message, hint: err.hint, stack: err.stack};
  }
  if (supportErrorOfAnotherCopy(err)) {
    return {exitCode: err.exitCode as number, code: err.code!, message: err.message, hint: typeof err.hint === 'string' ? err.hint : undefined, stack: err.stack};
  }
  // @inquirer/prompts: Ctrl-C or Ctrl-D at a prompt.
  if (err.name === 'ExitPromptError' || err.name === 'AbortPromptError') {
    return describeFailure(new CancelledError('Cancelled.'));
  }
  // oclif's parser: unknown flag, bad option, missing argument. It exits 2 for these.
  if (isParseError(err)) {
    const usage = parseFailure(err, context);
    return {exitCode: usage.exitCode, code: usage.code, message: usage.message, hint: usage.hint, stack: err.stack};
  }
  if (err.code === 'EPIPE') return {exitCode: ExitCode.ok, code: 'ok', message: ''};
  return {
    exitCode: ExitCode.error,
    code: 'internal',
    message: `Unexpected error: ${err.message}`,
    hint: 'Run again with --debug to see where it happened, and report it with that output.',
    stack: err.stack,
  };
}

/**
 * The command has already reported what went wrong (a partial import lists its failed files):
 * exit with the code, print nothing more.
 */
export class AlreadyReportedError extends SupportError {
  constructor() {
    super('');
  }
}
