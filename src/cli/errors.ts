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
}

const EXIT_CODES = new Set<number>(Object.values(ExitCode));

/**
 * A SupportError of another copy of the toolkit: a backend plugin that bundled its own
 * `supportkit/backend` (or a test importing the built one) throws classes that are not ours, but
 * carries the same code, exit code and hint.
 */
function supportErrorOfAnotherCopy(err: OclifLikeError): boolean {
  return typeof err.code === 'string' && /^[a-z_]+$/.test(err.code) && typeof err.exitCode === 'number' && EXIT_CODES.has(err.exitCode);
}

/** The one place where an error becomes an exit code, a sentence and a hint. */
export function describeFailure(error: unknown): Failure {
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
  if (err.oclif?.exit === ExitCode.usage || /^(CLIParseError|FailedFlagValidationError|RequiredArgsError|UnexpectedArgsError|NonExistentFlagsError)$/.test(err.name)) {
    const [first, ...rest] = err.message.split('\n');
    const usage = new UsageError(first!.replace(/^Error:\s*/, ''), {
      hint: rest.find((l) => l.trim().startsWith('See more help')) ? rest.join(' ').trim() : 'Run the command with --help to see its flags.',
    });
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
