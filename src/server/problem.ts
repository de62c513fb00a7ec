import {AuthError, ExternalIdTakenError, NotFoundError, RejectedError, SupportError, UnavailableError, UsageError, VersionConflictError} from '../domain/errors.js';

/** The stable problem types of the protocol (openapi.yaml, Problem.type). Never rename one. */
export const PROBLEM_TYPES = {
  validation: {status: 400, title: 'The request is not valid.'},
  'malformed-json': {status: 400, title: 'The request body is not valid JSON.'},
  'invalid-cursor': {status: 400, title: 'The cursor was not given out by this server.'},
  unauthorized: {status: 401, title: 'A valid bearer token is required.'},
  forbidden: {status: 403, title: 'Your role may not do this.'},
  'insufficient-scope': {status: 403, title: 'The token’s scopes do not allow this.'},
  'not-found': {status: 404, title: 'Not found.'},
  'method-not-allowed': {status: 405, title: 'Method not allowed.'},
  conflict: {status: 409, title: 'The change conflicts with the current state.'},
  'precondition-failed': {status: 412, title: 'The resource changed since it was read.'},
  'payload-too-large': {status: 413, title: 'The request body is too large.'},
  'unsupported-media-type': {status: 415, title: 'The request body must be JSON.'},
  'idempotency-key-reused': {status: 422, title: 'The Idempotency-Key was used for a different request.'},
  'rate-limited': {status: 429, title: 'Too many requests.'},
  internal: {status: 500, title: 'The server failed.'},
  unavailable: {status: 503, title: 'The server cannot serve the request now.'},
  'not-implemented': {status: 501, title: 'This server does not implement that yet.'},
  'invalid-policy': {status: 422, title: 'The SLA policy set is not valid.'},
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;
export const problemUri = (type: ProblemType) => `urn:supportkit:problem:${type}`;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  hint?: string;
  requestId?: string;
  errors?: {location?: string; path?: string; message: string}[];
  /** precondition-failed: the version the resource has now (also in ETag). */
  currentVersion?: number;
  /** conflict of an external id: the ticket that has it. */
  ticketId?: string;
}

/** One failed rule of a request: which part, the field in it (a JSON pointer), what is wrong. */
export interface ValidationError {
  location: 'body' | 'query' | 'params' | 'headers';
  path: string;
  message: string;
}

/** The most failed rules one answer lists; `detail` still counts them all. */
export const MAX_REPORTED_ERRORS = 100;

/** The message of a field the schema does not have (a query parameter gets a better one from its operation). */
export const UNKNOWN_FIELD = 'is not a known field';

interface AjvError {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  /** Set on the errors of a `propertyNames` rule: the name that broke it. */
  propertyName?: string;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Ajv's errors as failed rules that each name their field, in words a person reads. */
export function validationErrors(location: ValidationError['location'], errors: readonly AjvError[]): ValidationError[] {
  const out: ValidationError[] = [];
  for (const e of errors) {
    const at = e.instancePath ?? '';
    const params = e.params ?? {};
    // A `propertyNames` rule reports the broken name's own error first; this one only repeats it.
    if (e.keyword === 'propertyNames') continue;
    if (e.propertyName !== undefined) {
      out.push({location, path: `${at}/${escapePointer(e.propertyName)}`, message: `has an invalid name: it ${e.message ?? 'is invalid'}`});
    } else if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      out.push({location, path: `${at}/${escapePointer(params.missingProperty)}`, message: 'is required'});
    } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      out.push({location, path: `${at}/${escapePointer(params.additionalProperty)}`, message: UNKNOWN_FIELD});
    } else {
      out.push({location, path: at, message: ruleMessage(e)});
    }
  }
  return out;
}

function ruleMessage(e: AjvError): string {
  const params = e.params ?? {};
  switch (e.keyword) {
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    case 'type':
      return `must be ${String(params.type).split(',').join(' or ')}`;
    case 'pattern':
      // `\S`: the spec's way to say "not only white space".
      if (params.pattern === '\\S') return 'must not be empty or only white space';
      return e.message ?? 'is invalid';
    case 'minProperties':
      return `must have at least ${String(params.limit)} field${params.limit === 1 ? '' : 's'}`;
    default:
      return e.message ?? 'is invalid';
  }
}

/** A JSON pointer as a person reads a field's place: /policies/0/targets -> policies[0].targets. */
function fieldName(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : out ? `.${segment}` : segment;
  }
  return out;
}

/** Who a failed rule is about, as the subject of a sentence. */
function subject(error: ValidationError): string {
  const name = fieldName(error.path);
  switch (error.location) {
    case 'body':
      return name ? `Field ${name}` : 'The body';
    case 'query':
      return name ? `Query parameter ${name}` : 'The query string';
    case 'headers':
      // Header names arrive lower-cased; shown as they are usually written.
      return name ? `Header ${name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())}` : 'The headers';
    case 'params':
      return name ? `Path parameter ${name}` : 'The path';
  }
}

/** One 400 `validation` problem for every rule a request breaks: the first in `detail`, all in `errors[]`. */
export function validationProblem(errors: readonly ValidationError[]): Problem {
  const first = errors[0];
  if (!first) return new Problem('validation', 'The request is not valid.');
  const more = errors.length - 1;
  const detail = `${subject(first)} ${first.message}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}.`;
  return new Problem('validation', detail, {errors: errors.slice(0, MAX_REPORTED_ERRORS)});
}

/** An error that becomes one problem+json response. */
export class Problem extends Error {
  readonly status: number;

  constructor(
    readonly type: ProblemType,
    detail: string,
    readonly extra: {hint?: string; errors?: ProblemBody['errors']; headers?: Record<string, string>; members?: Pick<ProblemBody, 'currentVersion' | 'ticketId'>} = {},
  ) {
    super(detail);
    this.status = PROBLEM_TYPES[type].status;
  }

  body(instance: string, requestId: string): ProblemBody {
    const body: ProblemBody = {type: problemUri(this.type), title: PROBLEM_TYPES[this.type].title, status: this.status, detail: this.message, instance, requestId};
    if (this.extra.hint) body.hint = this.extra.hint;
    if (this.extra.errors) body.errors = this.extra.errors;
    return {...body, ...this.extra.members};
  }
}

/** The client went away in the middle of its request: nothing to answer, nothing stored, nothing wrong here. */
export class ClientGone extends Error {}

/** Errors of a request stream whose client hung up (Node's `aborted`, a reset connection). */
export function isHangUp(error: unknown): boolean {
  const e = error as {code?: string; message?: string} | undefined;
  return e?.code === 'ECONNRESET' || e?.code === 'ECONNABORTED' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.message === 'aborted';
}

interface FrameworkError extends Error {
  code?: string;
  statusCode?: number;
  validation?: AjvError[];
  validationContext?: string;
}

/** Domain errors and framework errors, as the problem a client can act on. Internal details never leak. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  const e = error as FrameworkError;
  if (e.validation) {
    // A route validated by the framework (one part at a time) rather than by requestValidator.
    const context = e.validationContext ?? 'body';
    const location = (context === 'querystring' ? 'query' : context) as ValidationError['location'];
    return validationProblem(validationErrors(location, e.validation));
  }
  if (error instanceof NotFoundError) return new Problem('not-found', e.message, {hint: error.hint});
  if (error instanceof VersionConflictError) {
    return new Problem('precondition-failed', `Ticket ${error.ticketId} is at version ${error.current}, not ${error.expected}: it changed since it was read, and nothing was changed now.`, {
      hint: 'Read the ticket again (GET, for its ETag), apply your change to what it is now, and send it with the new If-Match.',
      headers: error.current === undefined ? {} : {etag: `"${error.current}"`},
      members: error.current === undefined ? {} : {currentVersion: error.current},
    });
  }
  if (error instanceof ExternalIdTakenError) return new Problem('conflict', e.message, {hint: error.hint, members: {ticketId: error.ticketId}});
  if (error instanceof UsageError) return new Problem('validation', e.message, {hint: error.hint});
  if (error instanceof RejectedError) return new Problem('conflict', e.message, {hint: error.hint});
  if (error instanceof AuthError) return new Problem('unauthorized', e.message);
  if (error instanceof UnavailableError) return new Problem('unavailable', 'The server’s database is busy or unavailable.', {headers: {'retry-after': '1'}});
  if (error instanceof SupportError) return new Problem('validation', e.message, {hint: error.hint});
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('payload-too-large', 'The request body is larger than this server accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem('unsupported-media-type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new Problem('malformed-json', 'The request body is not valid JSON.');
    case 'FST_ERR_BAD_URL':
      return new Problem('validation', 'The request path is not a valid URL: a %-escape in it does not decode to UTF-8.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('validation', 'Content-Length does not match the body.');
    default:
  }
  if (e instanceof SyntaxError) return new Problem('malformed-json', 'The request body is not valid JSON.');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new Problem('payload-too-large', 'The request body is larger than this server accepts.');
    if (e.statusCode === 415) return new Problem('unsupported-media-type', 'Send the body as application/json.');
    return new Problem('validation', 'The request is not valid.');
  }
  return new Problem('internal', 'The server failed; the failure was logged.');
}
