import {AuthError, NotFoundError, RejectedError, UnavailableError} from '../../domain/errors.js';
import {HttpStatusError, type HttpResponse} from '../../http/client.js';

/** GitHub's error body (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api). */
interface GhErrorBody {
  message?: string;
  documentation_url?: string;
  errors?: ({resource?: string; field?: string; code?: string; message?: string} | string)[];
}

export interface ErrorContext {
  profile: string;
  repo: string;
  /** What the request was about, for "There is no issue 42": e.g. "issue 42". */
  subject?: string;
  /** What the request did, for "GitHub refused to update issue 42": e.g. "update issue 42". */
  action?: string;
}

const sentence = (text: string) => {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

const CODES: Record<string, string> = {
  missing: 'does not exist',
  missing_field: 'is required',
  invalid: 'is invalid',
  already_exists: 'already exists',
  unprocessable: 'cannot be processed',
};

/** The first problem of a 422 as a clause: "the field assignees is invalid (bob cannot be assigned)". */
function validationSentence(errors: GhErrorBody['errors']): string | undefined {
  const first = errors?.[0];
  if (!first) return undefined;
  if (typeof first === 'string') return sentence(first);
  const why = first.code === 'custom' || !first.code ? (first.message ?? 'is invalid') : (CODES[first.code] ?? first.code);
  const more = errors!.length > 1 ? `; ${errors!.length - 1} more problem${errors!.length > 2 ? 's' : ''} too` : '';
  const extra = first.code !== 'custom' && first.message ? ` (${first.message.replace(/\.$/, '')})` : '';
  return `the field ${first.field ?? first.resource ?? '?'} ${why.replace(/\.$/, '')}${extra}${more}.`;
}

/**
 * GitHub answers 403 or 429 for its rate limits: the primary one (x-ratelimit-remaining 0, wait
 * until x-ratelimit-reset) and the secondary ones (a message saying so, often with
 * retry-after). Its advice without either header: wait at least a minute.
 */
export function githubRateLimit(answer: {status: number; headers: HttpResponse['headers']; body: unknown}): {waitMs?: number} | undefined {
  if (answer.status !== 403 && answer.status !== 429) return undefined;
  const header = (name: string) => {
    const v = answer.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const message = String((answer.body as GhErrorBody | undefined)?.message ?? '');
  const exhausted = header('x-ratelimit-remaining') === '0';
  const secondary = /secondary rate limit|abuse detection/i.test(message);
  if (!exhausted && !secondary && !header('retry-after') && !/rate limit/i.test(message)) return undefined;
  // retry-after and an exhausted window's reset are read by the HTTP client; only the bare message needs a wait here.
  return secondary && !header('retry-after') ? {waitMs: 60_000} : {};
}

/** A 4xx answer of GitHub as the CLI's error (and exit code), in one sentence with a hint. */
export function toDomainError(error: unknown, ctx: ErrorContext): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const body = (error.body ?? {}) as GhErrorBody;
  const text = typeof body.message === 'string' && body.message.trim() ? body.message : undefined;
  const action = ctx.action ?? 'do that';
  if (error.status === 401) {
    return new AuthError(`GitHub refused the token of the profile "${ctx.profile}"${text ? `: ${sentence(text)}` : '.'}`, {
      hint: `Make a new token (or run \`gh auth login\`), then \`support auth login --profile ${ctx.profile}\`.`,
      cause: error,
    });
  }
  if (error.status === 404) {
    return new NotFoundError(ctx.subject ? `There is no ${ctx.subject} in ${ctx.repo}, or this token cannot see it.` : `GitHub has no repository ${ctx.repo}, or this token cannot see it.`, {
      hint: ctx.subject?.startsWith('issue') ? 'List issues with `support ticket list`.' : 'Check --repo of the profile (support profile list), and that the token may read that repository.',
      cause: error,
    });
  }
  if (error.status === 410) {
    return new RejectedError(`Issues are turned off in ${ctx.repo}${ctx.subject ? `, so ${ctx.subject} cannot be read or changed` : ''}.`, {
      hint: 'An admin turns them on in the repository\'s Settings > General > Features > Issues.',
      cause: error,
    });
  }
  if (error.status === 403) {
    return new RejectedError(`GitHub does not let this token ${action} in ${ctx.repo}${text ? `: ${sentence(text)}` : '.'}`, {
      hint: 'A fine-grained token needs Issues read and write on the repository; a classic one the repo scope (public_repo for public repositories).',
      cause: error,
    });
  }
  if (error.status === 422 || error.status === 400) {
    const detail = validationSentence(body.errors);
    return new RejectedError(`GitHub refused to ${action}: ${detail ?? (text ? sentence(text) : `it answered ${error.status}.`)}`, {
      hint: detail ? 'Correct that and try again.' : 'Check the values given, then try again.',
      cause: error,
    });
  }
  if (error.status >= 300 && error.status < 400) {
    return new UnavailableError(`GitHub answered ${error.status} (moved to ${String(error.headers.location ?? 'another address')}), which the CLI does not follow for this request.`, {
      hint: 'The repository may have been renamed or transferred: add the profile again with its new --repo.',
      cause: error,
    });
  }
  return new RejectedError(`GitHub refused to ${action}${text ? `: ${sentence(text)}` : ` (${error.status}).`}`, {cause: error});
}

/** An issue number as GitHub numbers them; anything else names no issue. */
export function issueNumber(id: string, repo: string): number {
  const text = id.trim().replace(/^#/, '');
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1) throw new NotFoundError(`There is no issue ${id} in ${repo}: its issues are numbered.`, {hint: 'Give the number, e.g. support ticket view 42.'});
  return Number(text);
}
