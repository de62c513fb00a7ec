import {AuthError, NotFoundError, RejectedError, UnavailableError, UnsupportedError, UsageError, VersionConflictError} from '../../domain/errors.js';
import {HttpStatusError} from '../../http/client.js';

interface ProblemBody {
  type?: string;
  title?: string;
  detail?: string;
  hint?: string;
  errors?: unknown;
  currentVersion?: unknown;
  ticketId?: unknown;
}

interface FailedRule {
  location?: string;
  path?: string;
  message: string;
}

const PREFIX = 'urn:supportkit:problem:';
/** Failed rules listed under the first line; the rest are counted. */
const SHOWN_RULES = 10;

/** A JSON pointer as a person reads a field's place: /tags/0 -> tags[0]. */
function fieldName(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : out ? `.${segment}` : segment;
  }
  return out;
}

function ruleLine(rule: FailedRule): string {
  const name = fieldName(typeof rule.path === 'string' ? rule.path : '');
  const where =
    rule.location === 'query' ? `query parameter ${name}` : rule.location === 'headers' ? `header ${name}` : rule.location === 'params' ? `path parameter ${name}` : name || 'body';
  return `  ${where}: ${rule.message}`;
}

/**
 * A 400 `validation` answer lists every rule the request broke. Like gh with a 422: one
 * sentence, then one line per failed rule (the first ones, then how many more).
 */
function validationMessage(detail: string, errors: unknown): string {
  const rules = Array.isArray(errors) ? (errors as FailedRule[]).filter((e) => e && typeof e.message === 'string') : [];
  if (rules.length < 2) return detail;
  const lines = rules.slice(0, SHOWN_RULES).map(ruleLine);
  if (rules.length > SHOWN_RULES) lines.push(`  and ${rules.length - SHOWN_RULES} more`);
  return `The server refused the request for ${rules.length} reasons:\n${lines.join('\n')}`;
}

/** A 4xx answer of a supportkit server as the CLI's error (and so its exit code), by the problem's stable type first. */
/** The problem body of an error the server answered, when it was one. */
export function problemOf(error: unknown): ProblemBody | undefined {
  const cause = error instanceof HttpStatusError ? error : (error as {cause?: unknown} | undefined)?.cause;
  return cause instanceof HttpStatusError && cause.body && typeof cause.body === 'object' ? (cause.body as ProblemBody) : undefined;
}

export function toDomainError(error: unknown, profile: string): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const problem = (error.body && typeof error.body === 'object' ? error.body : {}) as ProblemBody;
  const type = problem.type?.startsWith(PREFIX) ? problem.type.slice(PREFIX.length) : undefined;
  const detail = problem.detail ?? problem.title ?? `The server answered ${error.status}.`;
  const hint = problem.hint;
  if (error.status === 401 || type === 'unauthorized') {
    return new AuthError(`The server refused the token of profile "${profile}": ${detail}`, {
      hint: `Run \`support auth login --profile ${profile}\` with a valid token.`,
      cause: error,
    });
  }
  if (error.status === 404 || type === 'not-found') return new NotFoundError(detail, {hint, cause: error});
  if (type === 'invalid-cursor') return new UsageError(detail, {hint: hint ?? 'Pass the nextCursor value of the previous page unchanged.', cause: error});
  if (type === 'insufficient-scope') {
    return new RejectedError(detail, {hint: `This token is read-only. Log in with one that may write: support auth login --profile ${profile}.`, cause: error});
  }
  if (error.status === 412 || type === 'precondition-failed') {
    // The caller (RestTickets.update) knows which version it sent; the server says which one it has.
    const id = /\/v1\/tickets\/([^/?]+)/.exec(error.url)?.[1];
    const current = typeof problem.currentVersion === 'number' ? problem.currentVersion : undefined;
    return new VersionConflictError(id ? decodeURIComponent(id) : '?', undefined, current, {cause: error});
  }
  if (error.status === 403 || type === 'forbidden') {
    return new RejectedError(detail, {hint: hint ?? 'This needs a token with another role; ask the server’s admin.', cause: error});
  }
  if (error.status === 501 || type === 'not-implemented') return new UnsupportedError('rest', detail.replace(/\.$/, ''), {cause: error});
  if (error.status >= 300 && error.status < 400) {
    return new UnavailableError(`The server redirected to ${String(error.headers.location ?? 'another address')}, which the protocol never does.`, {
      hint: 'Check the profile URL (support profile list): it may need https:// or a different path.',
      cause: error,
    });
  }
  if (type === 'validation') {
    return new RejectedError(validationMessage(detail, problem.errors), {hint: hint ?? 'Correct what the server named, then run the command again.', cause: error});
  }
  if (error.status >= 400 && error.status < 500) return new RejectedError(detail, {hint, cause: error});
  return new UnavailableError(detail, {cause: error});
}
