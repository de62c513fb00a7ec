import {AuthError, NotFoundError, RejectedError, UnavailableError} from '../../domain/errors.js';
import {HttpStatusError} from '../../http/client.js';

/**
 * Freshdesk's error bodies (https://developers.freshdesk.com/api/#error): a 400 lists what failed,
 * `{"description": "Validation failed", "errors": [{"field", "message", "code"}]}`; other errors
 * are `{"code", "message"}`, and a 404 may have no body at all.
 */
interface FdErrorBody {
  description?: string;
  errors?: {field?: string; message?: string; code?: string}[];
  code?: string;
  message?: string;
}

export interface ErrorContext {
  profile: string;
  /** What the request was about, for "There is no ticket 42 in Freshdesk": e.g. "ticket 42". */
  subject?: string;
  /** What the request did, for "Freshdesk refused to update ticket 42": e.g. "update ticket 42". */
  action?: string;
  /** Wire names of custom fields -> the keys `fields` uses (cf_seats -> seats), to name them as the user does. */
  fieldKey?: (name: string) => string;
}

const clause = (text: string) => text.trim().replace(/\s+/g, ' ').replace(/\.$/, '');
const sentence = (text: string) => {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** A 400's errors as one clause naming the field: "the field seats is invalid (It should be a/an Number)". */
function validationSentence(body: FdErrorBody, fieldKey: (name: string) => string): string | undefined {
  const errors = (body.errors ?? []).filter((e) => e && (e.field || e.message));
  if (!errors.length) return undefined;
  const [first] = errors;
  const field = first!.field ? fieldKey(first!.field.replace(/^custom_fields\./, '')) : undefined;
  const why = first!.message ? clause(first!.message) : first!.code;
  const more = errors.length > 1 ? `; ${errors.length - 1} more field${errors.length > 2 ? 's' : ''} too (${errors.slice(1).map((e) => (e.field ? fieldKey(e.field.replace(/^custom_fields\./, '')) : e.code)).join(', ')})` : '';
  if (!field) return `${why}${more}.`;
  const what = first!.code === 'missing_field' ? 'is missing' : 'is invalid';
  return `the field ${field} ${what}${why ? ` (${why})` : ''}${more}.`;
}

/** A 4xx answer of Freshdesk as the CLI's error (and exit code), in one sentence with a hint. */
export function toDomainError(error: unknown, ctx: ErrorContext): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const body = (error.body && typeof error.body === 'object' ? error.body : {}) as FdErrorBody;
  const text = body.message ?? body.description;
  const action = ctx.action ?? 'do that';
  if (error.status === 401) {
    return new AuthError(`Freshdesk refused the API key of the profile "${ctx.profile}"${text ? `: ${sentence(text)}` : '.'}`, {
      hint: `Check the key (Freshdesk: Profile settings > View API key), then run \`support auth login --profile ${ctx.profile}\`.`,
      cause: error,
    });
  }
  if (error.status === 404) {
    return new NotFoundError(ctx.subject ? `There is no ${ctx.subject} in Freshdesk, or this agent may not see it.` : 'Freshdesk has no such record.', {
      hint: ctx.subject?.startsWith('ticket') ? 'List tickets with `support ticket list`.' : undefined,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new RejectedError(`Freshdesk does not let this agent ${action}${text ? `: ${sentence(text)}` : '.'}`, {
      hint: 'Ask a Freshdesk admin for the permission (the API key has the agent’s role), or use a profile of an agent who has it.',
      cause: error,
    });
  }
  if (error.status === 400 || error.status === 409 || error.status === 415 || error.status === 422) {
    const detail = validationSentence(body, ctx.fieldKey ?? ((n) => n));
    const what = detail ?? (text ? sentence(text) : `it answered ${error.status}${body.code ? ` ${body.code}` : ''}.`);
    return new RejectedError(`Freshdesk refused to ${action}: ${what}`, {
      hint: detail ? 'Correct that field and try again.' : 'Check the values given, then try again.',
      cause: error,
    });
  }
  if (error.status >= 300 && error.status < 400) {
    return new UnavailableError(`Freshdesk redirected to ${String(error.headers.location ?? 'another address')}, which the CLI does not follow for this request.`, {
      hint: 'Check the profile URL (support profile list): it should be https://DOMAIN.freshdesk.com, not a custom domain.',
      cause: error,
    });
  }
  if (error.status >= 400 && error.status < 500) {
    return new RejectedError(`Freshdesk refused to ${action}${text ? `: ${sentence(text)}` : ` (${error.status}).`}`, {cause: error});
  }
  return new UnavailableError(`Freshdesk failed to ${action} (${error.status}).`, {cause: error});
}

/** A ticket id as Freshdesk numbers them; anything else names no ticket. */
export function ticketNumber(id: string): number {
  const text = id.trim().replace(/^#/, '');
  if (!/^\d{1,15}$/.test(text)) throw new NotFoundError(`There is no ticket ${id} in Freshdesk: its tickets are numbered.`, {hint: 'Give the number, e.g. support ticket view 42.'});
  return Number(text);
}
