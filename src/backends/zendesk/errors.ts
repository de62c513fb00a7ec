import {AuthError, NotFoundError, RejectedError, UnavailableError} from '../../domain/errors.js';
import {HttpStatusError} from '../../http/client.js';

/** Zendesk's error bodies (https://developer.zendesk.com/api-reference/introduction/requests/): two shapes, or plain text. */
interface ZdErrorBody {
  error?: string | {title?: string; message?: string};
  description?: string;
  details?: Record<string, {description?: string; error?: string}[]>;
  errors?: {code?: string; title?: string; detail?: string}[];
}

export interface ErrorContext {
  profile: string;
  /** What the request was about, for "There is no ticket 42": e.g. "ticket 42". */
  subject?: string;
  /** What the request did, for "Zendesk refused to update ticket 42": e.g. "update ticket 42". */
  action?: string;
}

const sentence = (text: string) => {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** The first problem of a 422's details as one clause naming the field: "the field seats is invalid (Seats: is not a number)". */
function detailSentence(details: ZdErrorBody['details']): string | undefined {
  const entries = Object.entries(details ?? {}).filter(([, list]) => Array.isArray(list) && list.length);
  if (!entries.length) return undefined;
  const [field, [first]] = entries[0]! as [string, {description?: string; error?: string}[]];
  const why = (first?.description ?? first?.error ?? '').trim().replace(/\.$/, '');
  const more = entries.length > 1 ? `; ${entries.length - 1} more field${entries.length > 2 ? 's' : ''} too (${entries.slice(1).map(([f]) => f).join(', ')})` : '';
  return `the field ${field} is invalid${why ? ` (${why})` : ''}${more}.`;
}

function describe(body: ZdErrorBody | string | undefined): {code?: string; text?: string} {
  if (typeof body === 'string') return {text: body.trim() || undefined};
  if (!body || typeof body !== 'object') return {};
  if (Array.isArray(body.errors) && body.errors.length) {
    const e = body.errors[0]!;
    return {code: e.code, text: e.detail ?? e.title};
  }
  const code = typeof body.error === 'string' ? body.error : body.error?.title;
  // Some errors carry their sentence in `error` itself: {"error": "Couldn't authenticate you"}.
  const text = body.description ?? (typeof body.error === 'object' ? body.error.message : code && /\s/.test(code) ? code : undefined);
  return {code, text};
}

/** A 4xx answer of Zendesk as the CLI's error (and exit code), in one sentence with a hint. */
export function toDomainError(error: unknown, ctx: ErrorContext): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const body = error.body as ZdErrorBody | undefined;
  const {code, text} = describe(body);
  const action = ctx.action ?? 'do that';
  if (error.status === 401) {
    return new AuthError(`Zendesk refused the credentials of the profile "${ctx.profile}"${text ? `: ${sentence(text)}` : '.'}`, {
      hint: `Check the token (and the --email of the profile, for an API token), then run \`support auth login --profile ${ctx.profile}\`.`,
      cause: error,
    });
  }
  if (error.status === 404) {
    return new NotFoundError(ctx.subject ? `There is no ${ctx.subject} in Zendesk, or this user may not see it.` : `Zendesk has no such ${text ? `record (${text})` : 'record'}.`, {
      hint: ctx.subject?.startsWith('ticket') ? 'List tickets with `support ticket list`.' : undefined,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new RejectedError(`Zendesk does not let this user ${action}${text ? `: ${sentence(text)}` : '.'}`, {
      hint: 'Ask a Zendesk admin for the permission, or use a profile of a user who has it.',
      cause: error,
    });
  }
  if (error.status === 400 && code === 'IdempotentRequestError') {
    return new RejectedError('Zendesk refused the create: its idempotency key was already used for a different ticket.', {
      hint: 'Each new ticket needs its own key; the CLI makes one per create, so this comes from a reused journal or script.',
      cause: error,
    });
  }
  if (error.status === 409) {
    return new RejectedError(`Zendesk refused to ${action}: the ticket changed at the same time${text ? ` (${sentence(text).replace(/\.$/, '')})` : ''}.`, {
      hint: 'Run the command again; it reads the ticket afresh.',
      cause: error,
    });
  }
  if (error.status === 422 || error.status === 400) {
    const detail = detailSentence(body && typeof body === 'object' ? body.details : undefined);
    const what = detail ?? (text ? sentence(text) : `it answered ${error.status}${code ? ` ${code}` : ''}.`);
    return new RejectedError(`Zendesk refused to ${action}: ${what}`, {
      hint: detail ? 'Correct that field and try again.' : 'Check the values given, then try again.',
      cause: error,
    });
  }
  if (error.status >= 300 && error.status < 400) {
    return new UnavailableError(`Zendesk redirected to ${String(error.headers.location ?? 'another address')}, which the CLI does not follow for this request.`, {
      hint: 'Check the profile URL (support profile list): it should be https://SUBDOMAIN.zendesk.com.',
      cause: error,
    });
  }
  if (error.status === 413) {
    return new RejectedError(`Zendesk refused to ${action}: the file is larger than it accepts.`, {hint: 'Zendesk takes attachments of up to 50 MB; split or compress the file.', cause: error});
  }
  if (error.status >= 400 && error.status < 500) {
    return new RejectedError(`Zendesk refused to ${action}${text ? `: ${sentence(text)}` : ` (${error.status}).`}`, {cause: error});
  }
  return new UnavailableError(`Zendesk failed to ${action} (${error.status}).`, {cause: error});
}

/** A ticket id as Zendesk numbers them; anything else names no ticket. */
export function ticketNumber(id: string): number {
  const text = id.trim().replace(/^#/, '');
  if (!/^\d{1,15}$/.test(text)) throw new NotFoundError(`There is no ticket ${id} in Zendesk: its tickets are numbered.`, {hint: 'Give the number, e.g. support ticket view 42.'});
  return Number(text);
}

