import {AuthError, NotFoundError, RejectedError, UnavailableError, UnsupportedError, UsageError} from '../../domain/errors.js';
import {HttpStatusError} from '../../http/client.js';

interface ProblemBody {
  type?: string;
  title?: string;
  detail?: string;
  hint?: string;
}

const PREFIX = 'urn:supportkit:problem:';

/** A 4xx answer of a supportkit server as the CLI's error (and so its exit code), by the problem's stable type first. */
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
  if (error.status >= 400 && error.status < 500) return new RejectedError(detail, {hint, cause: error});
  return new UnavailableError(detail, {cause: error});
}
