import {AuthError, NotFoundError, RejectedError, UnavailableError} from '../../domain/errors.js';
import {HttpStatusError} from '../../http/client.js';

/**
 * The error bodies of Jira Service Management's two API families:
 * - Service Desk API: `{errorMessage, i18nErrorMessage: {i18nKey, parameters}}`, and for a
 *   request type's form, 422 `{errorMessage, errors: [{code, detail, status, title, context}]}`
 *   (https://developer.atlassian.com/cloud/jira/service-desk/rest/intro/#status);
 * - platform API: `{errorMessages: [...], errors: {field: message}}`
 *   (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes).
 */
interface JsmErrorBody {
  errorMessage?: string;
  errorMessages?: string[];
  errors?: Record<string, string> | {code?: string; detail?: string; title?: string; context?: {id?: string; type?: string}[]}[];
}

export interface ErrorContext {
  profile: string;
  /** What the request was about, for "There is no request ITSM-42": e.g. "request ITSM-42". */
  subject?: string;
  /** What the request did, for "Jira Service Management refused to update ITSM-42". */
  action?: string;
  /** The name a field has in `fields` (region for customfield_10050), for messages. */
  fieldName?: (id: string) => string;
}

const VENDOR = 'Jira Service Management';

const clause = (text: string) => text.trim().replace(/\s+/g, ' ').replace(/[.]+$/, '');
const sentence = (text: string) => {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/** The first field problem as one clause naming the field, or the first message; undefined when the body says nothing. */
export function describeBody(body: unknown, fieldName: (id: string) => string = (id) => id): {field?: string; text?: string} {
  if (typeof body === 'string') return body.trim() ? {text: clause(body)} : {};
  if (!body || typeof body !== 'object') return {};
  const b = body as JsmErrorBody;
  if (Array.isArray(b.errors) && b.errors.length) {
    const e = b.errors[0]!;
    const where = e.context?.find((c) => c.id)?.id;
    const why = clause(e.detail ?? e.title ?? e.code ?? 'is invalid');
    return where ? {field: `the form question ${where} is invalid (${why})`} : {text: why};
  }
  if (b.errors && !Array.isArray(b.errors)) {
    const entries = Object.entries(b.errors).filter(([, v]) => typeof v === 'string' && v.trim());
    if (entries.length) {
      const [id, why] = entries[0]!;
      const name = fieldName(id);
      const more = entries.length > 1 ? `; ${entries.length - 1} more field${entries.length > 2 ? 's' : ''} too (${entries.slice(1).map(([f]) => fieldName(f)).join(', ')})` : '';
      return {field: `the field ${name}${name === id ? '' : ` (${id})`} is invalid (${clause(why)})${more}`};
    }
  }
  const text = b.errorMessage ?? b.errorMessages?.find((m) => m.trim());
  return text ? {text: clause(text)} : {};
}

/** A 4xx answer of Jira Service Management as the CLI's error (and exit code), in one sentence with a hint. */
export function toDomainError(error: unknown, ctx: ErrorContext): unknown {
  if (!(error instanceof HttpStatusError)) return error;
  const {field, text} = describeBody(error.body, ctx.fieldName);
  const action = ctx.action ?? 'do that';
  if (error.status === 401) {
    return new AuthError(`${VENDOR} refused the credentials of the profile "${ctx.profile}"${text ? `: ${sentence(text)}` : '.'}`, {
      hint: `Check the API token (and the --email of the profile), then run \`support auth login --profile ${ctx.profile}\`.`,
      cause: error,
    });
  }
  if (error.status === 404) {
    // Jira answers 404 also when the user may not browse the issue.
    return new NotFoundError(ctx.subject ? `There is no ${ctx.subject} in ${VENDOR}, or this user may not see it.` : `${VENDOR} has no such record${text ? ` (${text})` : ''}.`, {
      hint: ctx.subject?.startsWith('request') ? 'List requests with `support ticket list`.' : undefined,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new RejectedError(`${VENDOR} does not let this user ${action}${text ? `: ${sentence(text)}` : '.'}`, {
      hint: 'The Service Desk API needs an agent of the service desk; ask a Jira admin for the permission, or use a profile of a user who has it.',
      cause: error,
    });
  }
  if (error.status === 409) {
    return new RejectedError(`${VENDOR} refused to ${action}: the request changed at the same time${text ? ` (${text})` : ''}.`, {hint: 'Run the command again; it reads the request afresh.', cause: error});
  }
  if (error.status === 413) {
    return new RejectedError(`${VENDOR} refused to ${action}: the file is larger than the site accepts.`, {hint: 'Split or compress the file; a Jira admin sets the attachment size limit.', cause: error});
  }
  if (error.status === 400 || error.status === 422) {
    const what = field ? `${field}.` : text ? sentence(text) : `it answered ${error.status}.`;
    return new RejectedError(`${VENDOR} refused to ${action}: ${what}`, {hint: field ? 'Correct that field and try again.' : 'Check the values given, then try again.', cause: error});
  }
  if (error.status >= 300 && error.status < 400) {
    return new UnavailableError(`${VENDOR} redirected to ${String(error.headers.location ?? 'another address')}, which the CLI does not follow for this request.`, {
      hint: 'Check the profile URL (support profile list): it should be https://SITE.atlassian.net.',
      cause: error,
    });
  }
  if (error.status >= 400 && error.status < 500) {
    return new RejectedError(`${VENDOR} refused to ${action}${text ? `: ${sentence(text)}` : ` (${error.status}).`}`, {cause: error});
  }
  return new UnavailableError(`${VENDOR} failed to ${action} (${error.status}).`, {cause: error});
}

/** A request named as Jira does: its key (ITSM-42, any case) or its numeric issue id. Anything else names none. */
export function requestKey(id: string): string {
  const text = id.trim().replace(/^#/, '');
  if (/^[A-Za-z][A-Za-z0-9_]*-\d{1,15}$/.test(text)) return text.toUpperCase();
  if (/^\d{1,15}$/.test(text)) return text;
  throw new NotFoundError(`There is no request ${id} in ${VENDOR}: requests are named by their key, like ITSM-42.`, {hint: 'List requests with `support ticket list`.'});
}
