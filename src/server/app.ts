import {createHash, randomUUID} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {join} from 'node:path';
import {Transform, type Readable} from 'node:stream';

import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';

import type {Identity} from '../backends/backend.js';
import {parseSeqCursor} from '../backends/local/kb/api.js';
import {openLocalKb} from '../backends/local/kb/builtin.js';
import {openLocalStore, type LocalStore} from '../backends/local/store.js';
import {LocalTickets, removeAbandonedUploads, type LocalTicketQuery} from '../backends/local/tickets.js';
import {snippetToHighlights, type ArticleInput, type KbLocale} from '../domain/article.js';
import {RejectedError, UnavailableError, UsageError} from '../domain/errors.js';
import {redactUrl} from '../domain/redact.js';
import {
  normalizeTags,
  validateBody,
  validateTitle,
  type Comment,
  type NewTicket,
  type Ticket,
  type TicketEvent,
  type TicketChanges,
  type TicketQuery,
} from '../domain/ticket.js';
import {parseJsonBody} from './json-body.js';
import {attributeLegacyOwners} from './owners.js';
import {ClientGone, isHangUp, Problem, toProblem, validationProblem} from './problem.js';
import {RateLimiter} from './rate-limit.js';
import {slaHandlers} from './sla.js';
import {allowedMethods, loadSpec, operations, requestValidator, routerPath, type Operation} from './spec.js';
import {ServerState, type StoredResponse, type TokenInfo, type TokenRole} from './state.js';

export interface ServerOptions {
  /** The server's own directory: support.db (the local store's format), attachments, server.db. */
  dataDir: string;
  /** Requests per minute per token; 0 switches the limit off. */
  rateLimit?: number;
  /** Largest attachment accepted, in bytes. */
  maxUploadBytes?: number;
  /** One line per request (method, path with secrets masked, status, time, token name). */
  log?: (line: string) => void;
  now?: () => number;
}

export interface ListenOptions extends ServerOptions {
  host?: string;
  port?: number;
  /** How long shutdown waits for requests in flight before cutting their connections. */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  app: FastifyInstance;
  state: ServerState;
  /** Stops accepting, lets requests in flight finish, then closes the stores. */
  close(): Promise<void>;
}

interface Caller {
  token: TokenInfo;
  /** Who the caller is: ownership, visibility and idempotency keys go by this id. */
  principalId: string;
  /** For people to read (requester, author); never decides anything. */
  name: string;
  role: TokenRole;
  /** Who the store records as author: an admin acts as an agent. */
  identity: Identity;
}

interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  stream?: Readable;
}

type Handler = (req: FastifyRequest, caller: Caller) => Promise<Result>;

export const DEFAULT_RATE_LIMIT = 600;
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** JSON bodies: a ticket body may be 1 MiB of text, escaped JSON a little more. */
const JSON_BODY_LIMIT = 2 * 1024 * 1024;
const PROTOCOL_VERSION = '1.0.0';

const NOT_FOUND_HINT = 'Run `support ticket list` to see ticket ids.';

/** On the wire every ticket, comment and event names its people's ids: null where none is known. */
const ticketJson = (t: Ticket) => ({...t, requesterId: t.requesterId ?? null, assigneeId: t.assigneeId ?? null});
const commentJson = (c: Comment) => ({...c, authorId: c.authorId ?? null});
const eventJson = (e: TicketEvent) => ({...e, actorId: e.actorId ?? null});

/** JSON with sorted keys, so that the same request hashes the same however its keys were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function buildServer(options: ServerOptions): Promise<{app: FastifyInstance; store: LocalStore; state: ServerState}> {
  const now = options.now ?? Date.now;
  const {default: Fastify} = await import('fastify');
  const spec = await loadSpec();
  const store = await openLocalStore(options.dataDir);
  // A server killed mid-upload left a partial file behind: nothing refers to it.
  const abandoned = removeAbandonedUploads(store);
  if (abandoned > 0) options.log?.(`removed ${abandoned} unfinished upload${abandoned === 1 ? '' : 's'} left by a server that stopped mid-upload`);
  const state = await ServerState.open(options.dataDir, now);
  const attributed = attributeLegacyOwners(store, state, now);
  if (attributed && attributed.unattributed > 0) {
    options.log?.(
      `upgraded the store to principals: ${attributed.unattributed} of ${attributed.tickets} tickets have a requester no token of this server matches; only agents see them (docs/protocol.md)`,
    );
  }
  // The same engine and built-in articles as the local backend.
  const kb = await openLocalKb(store, now);
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, now);
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const callers = new WeakMap<FastifyRequest, Caller>();
  const inFlightKeys = new Set<string>();

  const app = Fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: () => randomUUID(),
    // Slow-loris protection: a client has this long to send its headers.
    requestTimeout: 120_000,
    // A URL the router cannot decode (`/v1/tickets/%FF`) gets a problem too, not the framework's shape.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, toProblem(error)),
  });

  const sendProblem = (reply: FastifyReply, request: FastifyRequest, problem: Problem) => {
    if (problem.extra.headers) reply.headers(problem.extra.headers);
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="supportkit"');
    reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem.body(request.url.split('?')[0]!, request.id)));
  };

  const elapsed = (request: FastifyRequest) => {
    const started = (request as unknown as {startedAt?: bigint}).startedAt;
    return `${(started === undefined ? 0 : Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}ms`;
  };
  /** Requests already logged by the error handler (a client that hung up): no access line after it. */
  const loggedAborts = new WeakSet<FastifyRequest>();

  app.setErrorHandler((error, request, reply) => {
    const gone = reply.raw.destroyed || Boolean(request.raw.socket?.destroyed);
    if (error instanceof ClientGone || (gone && isHangUp(error))) {
      // Nobody is left to answer, and nothing went wrong here: one line, no stack.
      loggedAborts.add(request);
      const what = error instanceof ClientGone ? error.message : 'the client hung up before the request was complete.';
      options.log?.(`${request.method} ${redactUrl(request.url)} aborted ${elapsed(request)} ${callers.get(request)?.name ?? '-'}: ${what}`);
      return;
    }
    const problem = toProblem(error);
    if (problem.type === 'internal') options.log?.(`error ${request.id}: ${(error as Error).stack ?? String(error)}`);
    if (gone) return;
    if (problem.status === 413) {
      // Read (and drop) what the client is still sending, so that it gets to read the 413
      // instead of a connection reset; then close the connection. (A body refused before it
      // was read, by a 404 or a 409, Node reads and drops by itself, keeping the connection.)
      reply.header('connection', 'close');
      if (!request.raw.readableEnded) request.raw.resume();
    }
    sendProblem(reply, request, problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(spec, path);
    sendProblem(
      reply,
      request,
      allowed.length > 0
        ? new Problem('method-not-allowed', `${redactUrl(path)} has no ${request.method}; it allows ${allowed.join(', ')}.`, {headers: {allow: allowed.join(', ')}})
        : new Problem('not-found', `There is no ${request.method} ${redactUrl(path)} in this protocol.`),
    );
  });

  app.addHook('onRequest', async (request, reply) => {
    (request as unknown as {startedAt: bigint}).startedAt = process.hrtime.bigint();
    if ((request.routeOptions.config as {public?: boolean} | undefined)?.public) return;
    const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? '');
    const hint = 'Create a token with `support serve token create`, then run `support auth login`.';
    if (!match) throw new Problem('unauthorized', 'The request has no bearer token.', {hint});
    const token = state.verify(match[1]!);
    if (!token) throw new Problem('unauthorized', 'The bearer token is not valid: unknown or revoked.', {hint});
    const caller: Caller = {
      token,
      principalId: token.principalId,
      name: token.name,
      role: token.role,
      identity: {id: token.principalId, name: token.name, role: token.role === 'customer' ? 'customer' : 'agent'},
    };
    callers.set(request, caller);
    if (limiter.enabled) {
      const verdict = limiter.take(token.id);
      reply.headers(verdict.headers);
      if (!verdict.allowed) {
        throw new Problem('rate-limited', `This token may make ${options.rateLimit ?? DEFAULT_RATE_LIMIT} requests a minute.`, {
          headers: {'retry-after': verdict.headers['retry-after']!},
          hint: 'Wait for the number of seconds in Retry-After.',
        });
      }
    }
  });

  if (options.log) {
    const log = options.log;
    app.addHook('onResponse', async (request, reply) => {
      if (loggedAborts.has(request)) return;
      log(`${request.method} ${redactUrl(request.url)} ${reply.statusCode} ${elapsed(request)} ${callers.get(request)?.name ?? '-'}`);
    });
  }

  // JSON routes take only JSON: anything else is a 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  // JSON is read as bytes, so that invalid UTF-8 and a too deep nesting are refused before parsing.
  const defaultJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', {parseAs: 'buffer'}, (request, body, done) => {
    try {
      const value = parseJsonBody(body as Buffer, (text) => {
        let parsed: unknown;
        defaultJson(request, text, (error, result) => {
          if (error) throw error;
          parsed = result;
        });
        return parsed;
      });
      done(null, value);
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const principalOf = (name: string) => state.principalNamed(name)?.id;
  const tickets = (caller: Caller) => new LocalTickets(store, caller.identity, now, {principalOf});

  /**
   * An upload's body as a stream that fails past the size limit (the error handler then drains
   * the rest of the request, so that the client reads a 413 rather than a reset connection) and
   * when the client hangs up (one log line, nothing stored).
   */
  const uploadBody = (raw: Readable, declared: number): Readable => {
    let received = 0;
    const payload = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > maxUpload) done(new Problem('payload-too-large', `The file is larger than the ${maxUpload} bytes this server accepts.`));
        else done(null, chunk);
      },
    });
    const hungUp = () =>
      new ClientGone(`the client hung up after ${received} of ${Number.isFinite(declared) ? declared : 'an unknown number of'} bytes; nothing was stored.`);
    raw.on('error', (error) => payload.destroy(isHangUp(error) ? hungUp() : error));
    raw.on('close', () => {
      if (!raw.readableEnded) payload.destroy(hungUp());
    });
    return raw.pipe(payload);
  };

  /** The ticket, if the caller may see it. Someone else's ticket looks exactly like a missing one. */
  const visible = async (caller: Caller, id: string): Promise<Ticket> => {
    const ticket = await tickets(caller).get(id);
    if (caller.role === 'customer' && ticket.requesterId !== caller.principalId) {
      throw new Problem('not-found', `Ticket ${id} does not exist.`, {hint: NOT_FOUND_HINT});
    }
    return ticket;
  };

  const requireRole = (caller: Caller, ...roles: TokenRole[]) => {
    if (!roles.includes(caller.role)) throw new Problem('forbidden', `A ${caller.role} token may not do this; it needs the ${roles.join(' or ')} role.`);
  };

  const idempotencyKey = (req: FastifyRequest) => req.headers['idempotency-key'] as string | undefined;

  /** Keys are the caller's own: another user's key can never replay someone else's response. */
  const keyScope = (caller: Caller, scope: string) => `${caller.principalId}\n${scope}`;

  /** The stored response of a key used before, if the request is the same one; 422 when it is not. */
  const replay = (stored: StoredResponse, requestHash: string, what = 'request'): Result => {
    if (stored.requestHash !== requestHash) {
      throw new Problem('idempotency-key-reused', `This Idempotency-Key was already used for a different ${what}.`, {hint: `Use a new key for a new ${what}.`});
    }
    return {status: stored.status, body: JSON.parse(stored.body), headers: {'idempotent-replayed': 'true'}};
  };

  /**
   * Holds a key while its request runs, so that a second request with it (a client retrying
   * while the first attempt still runs) gets 409 with Retry-After instead of doing it twice.
   * Answers the release function.
   */
  const reserve = (scoped: string, key: string): (() => void) => {
    const flight = `${scoped}\n${key}`;
    if (inFlightKeys.has(flight)) {
      throw new Problem('conflict', 'A request with this Idempotency-Key is still being processed.', {
        headers: {'retry-after': '1'},
        hint: 'Retry after the number of seconds in Retry-After; you will get the first request’s answer.',
      });
    }
    inFlightKeys.add(flight);
    return () => inFlightKeys.delete(flight);
  };

  /** Replays the stored response of a repeated Idempotency-Key, or runs the request and stores its response. */
  const idempotent = async (req: FastifyRequest, caller: Caller, scope: string, requestHash: string, run: () => Promise<Result>): Promise<Result> => {
    const key = idempotencyKey(req);
    if (!key) return run();
    const scoped = keyScope(caller, scope);
    const stored = state.storedResponse(scoped, key);
    if (stored) return replay(stored, requestHash);
    const release = reserve(scoped, key);
    try {
      const result = await run();
      if (result.status < 300) state.storeResponse(scoped, key, {requestHash, status: result.status, body: JSON.stringify(result.body)});
      return {...result, headers: {...result.headers, 'idempotent-replayed': 'false'}};
    } finally {
      release();
    }
  };

  const handlers: Record<string, Handler> = {
    health: async () => ({status: 200, body: {status: 'ok', version: PROTOCOL_VERSION}}),
    getMe: async (_req, caller) => ({status: 200, body: {id: caller.principalId, name: caller.name, role: caller.role}}),

    createTicket: async (req, caller) => {
      const body = req.body as NewTicket;
      if (caller.role === 'customer' && body.assignee != null) throw new Problem('forbidden', 'Customers cannot assign tickets.');
      const input: NewTicket = {
        title: validateTitle(body.title),
        body: validateBody(body.body),
        priority: body.priority,
        type: body.type,
        tags: normalizeTags(body.tags ?? []),
        assignee: body.assignee ?? null,
        fields: body.fields ?? {},
      };
      const key = idempotencyKey(req);
      // Keys are the caller's own: another user's key can never replay someone else's ticket.
      const scoped = key ? keyScope(caller, key) : undefined;
      const replayed = scoped ? Boolean(store.db.prepare('SELECT 1 FROM idempotency_keys WHERE key = ?').get(scoped)) : false;
      let ticket: Ticket;
      try {
        ticket = await tickets(caller).create(input, {idempotencyKey: scoped});
      } catch (error) {
        if (error instanceof RejectedError) {
          throw new Problem('idempotency-key-reused', 'This Idempotency-Key was already used for a different ticket.', {hint: 'Use a new key for a new ticket.'});
        }
        throw error;
      }
      return {status: 201, body: ticketJson(ticket), headers: {location: `/v1/tickets/${ticket.id}`, 'idempotent-replayed': String(replayed)}};
    },

    listTickets: async (req, caller) => {
      const q = req.query as {status?: string[]; priority?: string[]; tag?: string[]; assignee?: string; requester?: string; search?: string; limit?: number; cursor?: string};
      const query: LocalTicketQuery = {
        status: q.status as TicketQuery['status'],
        priority: q.priority as TicketQuery['priority'],
        tags: q.tag ? normalizeTags(q.tag) : undefined,
        // `@me` is the caller's principal (LocalTickets); a name filters by the name shown.
        assignee: q.assignee,
        // A customer's list is their own tickets, whatever `requester` says.
        ...(caller.role === 'customer' ? {requesterId: caller.principalId} : {requester: q.requester}),
        search: q.search,
        limit: q.limit,
        cursor: q.cursor,
      };
      try {
        const page = await tickets(caller).list(query);
        return {status: 200, body: {...page, tickets: page.tickets.map(ticketJson)}};
      } catch (error) {
        if (error instanceof UsageError) throw new Problem('invalid-cursor', error.message, {hint: error.hint});
        throw error;
      }
    },

    getTicket: async (req, caller) => ({status: 200, body: ticketJson(await visible(caller, (req.params as {ticketId: string}).ticketId))}),

    updateTicket: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const body = req.body as TicketChanges;
      if (caller.role === 'customer') {
        const other = Object.keys(body).filter((k) => k !== 'title' && k !== 'status');
        if (other.length > 0) throw new Problem('forbidden', `Customers may change only the title and status, not ${other.join(', ')}.`);
        if (body.status !== undefined && body.status !== 'open' && body.status !== 'solved') {
          throw new Problem('forbidden', 'Customers may only reopen or solve their tickets.');
        }
      }
      const changes: TicketChanges = {...body};
      if (body.title !== undefined) changes.title = validateTitle(body.title);
      if (body.addTags) changes.addTags = normalizeTags(body.addTags);
      if (body.removeTags) changes.removeTags = normalizeTags(body.removeTags);
      return idempotent(req, caller, `updateTicket ${id}`, sha256(canonicalJson(body)), async () => ({
        status: 200,
        body: ticketJson(await tickets(caller).update(id, changes)),
      }));
    },

    listComments: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const {comments} = await tickets(caller).view(id);
      return {status: 200, body: {comments: (caller.role === 'customer' ? comments.filter((c) => c.public) : comments).map(commentJson)}};
    },

    addComment: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const body = req.body as {body: string; public?: boolean};
      const isPublic = body.public ?? true;
      if (caller.role === 'customer' && !isPublic) throw new Problem('forbidden', 'Customers cannot write internal notes.');
      const text = validateBody(body.body, 'comment');
      return idempotent(req, caller, `addComment ${id}`, sha256(canonicalJson({body: text, public: isPublic})), async () => ({
        status: 201,
        body: commentJson(await tickets(caller).comment(id, {body: text, public: isPublic})),
      }));
    },

    listEvents: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      await visible(caller, id);
      const events = await tickets(caller).events(id);
      const shown = caller.role === 'customer' ? events.filter((e) => !(e.type === 'comment' && e.data.public === false)) : events;
      return {status: 200, body: {events: shown.map(eventJson)}};
    },

    uploadAttachment: async (req, caller): Promise<Result> => {
      const id = (req.params as {ticketId: string}).ticketId;
      const {name} = req.query as {name: string};
      await visible(caller, id);
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxUpload) {
        throw new Problem('payload-too-large', `The file is ${declared} bytes; this server accepts at most ${maxUpload}.`);
      }
      const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      // The key is settled before a byte of the body is read: a completed upload replays, one
      // still streaming makes this one a 409, so that one key never makes two attachments.
      const key = idempotencyKey(req);
      const scoped = keyScope(caller, `uploadAttachment ${id}`);
      const stored = key ? state.storedResponse(scoped, key) : undefined;
      const release = key && !stored ? reserve(scoped, key) : undefined;
      try {
        const payload = uploadBody(req.body as Readable, declared);
        if (stored) {
          // A retried upload: hash what was sent again, and replay only when it is the same file.
          const hash = createHash('sha256');
          for await (const chunk of payload) hash.update(chunk as Buffer);
          return replay(stored, sha256(`${name}\n${hash.digest('hex')}`), 'upload');
        }
        let opened = false;
        const attachment = await tickets(caller).attach(id, {
          name,
          size: Number.isFinite(declared) ? declared : 0,
          contentType,
          open: () => {
            if (opened) throw new Error('The request body can be read only once.');
            opened = true;
            return payload;
          },
        });
        if (key) state.storeResponse(scoped, key, {requestHash: sha256(`${name}\n${attachment.sha256}`), status: 201, body: JSON.stringify(attachment)});
        return {
          status: 201,
          body: attachment,
          headers: {location: `/v1/tickets/${id}/attachments/${attachment.id}`, ...(key ? {'idempotent-replayed': 'false'} : {})},
        };
      } finally {
        release?.();
      }
    },

    getAttachment: async (req, caller) => {
      const {ticketId, attachmentId} = req.params as {ticketId: string; attachmentId: string};
      const ticket = await visible(caller, ticketId);
      const attachment = ticket.attachments.find((a) => a.id === attachmentId);
      if (!attachment) throw new Problem('not-found', `Ticket ${ticketId} has no attachment ${attachmentId}.`);
      return {status: 200, body: attachment};
    },

    downloadAttachment: async (req, caller) => {
      const {ticketId, attachmentId} = req.params as {ticketId: string; attachmentId: string};
      const ticket = await visible(caller, ticketId);
      const attachment = ticket.attachments.find((a) => a.id === attachmentId);
      const row = attachment
        ? (store.db.prepare('SELECT path FROM attachments WHERE id = ? AND ticket_id = ?').get(Number(attachmentId), Number(ticket.id)) as {path: string} | undefined)
        : undefined;
      if (!attachment || !row) throw new Problem('not-found', `Ticket ${ticketId} has no attachment ${attachmentId}.`);
      return {
        status: 200,
        stream: createReadStream(join(store.root, row.path)),
        headers: {
          'content-type': attachment.contentType,
          'content-length': String(attachment.size),
          etag: `"${attachment.sha256}"`,
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(attachment.name)}`,
        },
      };
    },

    listTokens: async (_req, caller) => {
      requireRole(caller, 'admin');
      return {status: 200, body: {tokens: state.listTokens()}};
    },
    createToken: async (req, caller) => {
      requireRole(caller, 'admin');
      const body = req.body as {name: string; role: TokenRole};
      return {status: 201, body: state.createToken(body.name, body.role)};
    },
    revokeToken: async (req, caller) => {
      requireRole(caller, 'admin');
      const {tokenId} = req.params as {tokenId: string};
      if (!state.listTokens().some((t) => t.id === tokenId)) throw new Problem('not-found', `No token has the id ${tokenId}.`);
      state.revokeToken(tokenId);
      return {status: 204};
    },

    searchArticles: async (req) => {
      const q = req.query as {q: string; limit?: number; locale?: KbLocale; prefer?: KbLocale; tag?: string[]};
      const hits = kb.search({text: q.q, limit: q.limit ?? 10, locale: q.locale, prefer: q.prefer, tags: q.tag});
      return {
        status: 200,
        body: {
          hits: hits.map((h) => {
            const {text, highlights} = snippetToHighlights(h.snippet);
            return {id: h.id, slug: h.slug, title: h.title, snippet: text, highlights, score: h.score, locale: h.locale, tags: h.tags, url: h.url};
          }),
        },
      };
    },
    getArticle: async (req) => ({status: 200, body: kb.get((req.params as {idOrSlug: string}).idOrSlug)}),
    upsertArticle: async (req, caller) => {
      requireRole(caller, 'admin');
      const slug = (req.params as {idOrSlug: string}).idOrSlug;
      const body = req.body as Omit<ArticleInput, 'slug' | 'updatedAt' | 'locale'> & {locale?: KbLocale; updatedAt?: string};
      const input: ArticleInput = {
        slug,
        title: body.title,
        body: body.body,
        tags: body.tags ?? [],
        locale: body.locale ?? 'en',
        ...(body.url ? {url: body.url} : {}),
        ...(body.updatedAt ? {updatedAt: Date.parse(body.updatedAt)} : {}),
      };
      const {article, outcome} = kb.upsert(input);
      return outcome === 'created'
        ? {status: 201, body: {outcome, article}, headers: {location: `/v1/kb/articles/${encodeURIComponent(article.slug)}`}}
        : {status: 200, body: {outcome, article}};
    },
    deleteArticle: async (req, caller) => {
      requireRole(caller, 'admin');
      kb.delete((req.params as {idOrSlug: string}).idOrSlug);
      return {status: 204};
    },
    listArticleChanges: async (req) => {
      const q = req.query as {since?: string; limit?: number};
      let since: number;
      try {
        since = parseSeqCursor(q.since);
      } catch (error) {
        throw new Problem('invalid-cursor', (error as UsageError).message, {hint: (error as UsageError).hint});
      }
      const page = kb.changes(since, q.limit ?? 500);
      return {status: 200, body: {articles: page.articles, deleted: page.deleted, cursor: String(page.seq), more: page.more}};
    },

    // SLA: policies, their import and the clocks (src/server/sla.ts).
    ...slaHandlers<Caller>({store, now, idempotent, hash: (value) => sha256(canonicalJson(value))}),
  };

  const reply = async (op: Operation, request: FastifyRequest, res: FastifyReply) => {
    const caller = callers.get(request)!;
    const result = await handlers[op.operationId]!(request, caller);
    if (result.headers) res.headers(result.headers);
    res.code(result.status);
    if (result.stream) return res.send(result.stream);
    if (result.body === undefined) return res.send();
    return res.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
  };

  for (const op of operations(spec)) {
    if (!handlers[op.operationId]) throw new Error(`openapi.yaml: no handler for ${op.operationId}.`);
    // Every part of the request at once, so that a 400 lists every rule it breaks.
    const validate = await requestValidator(op);
    const route = {
      method: op.method as 'GET',
      url: routerPath(op.path),
      preValidation: async (request: FastifyRequest) => {
        const errors = validate(request);
        if (errors.length > 0) throw validationProblem(errors);
      },
      config: {public: Array.isArray(op.security) && op.security.length === 0},
      handler: (request: FastifyRequest, res: FastifyReply) => reply(op, request, res),
    };
    if (op.operationId === 'uploadAttachment') {
      // The file streams straight to disk: no body parser, no JSON limit, whatever its media type.
      await app.register(async (child) => {
        child.removeAllContentTypeParsers();
        child.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
        child.route(route);
      });
    } else {
      app.route(route);
    }
  }

  app.addHook('onClose', async () => {
    store.close();
    state.close();
  });
  return {app, store, state};
}

/** Why the server cannot listen, in one sentence that names the flag to change. */
function listenError(error: unknown, host: string, port: number): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new UnavailableError(`Cannot listen on ${where}: the port is already in use.`, {
        hint: 'Stop the program that uses it, or choose another port with --port (0 picks a free one).',
      });
    case 'EACCES':
      return new UnavailableError(`Cannot listen on ${where}: this user may not use port ${port}.`, {
        hint: 'Choose a port above 1023 with --port, or put a proxy in front.',
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new UsageError(`Cannot listen on ${where}: ${host} is not an address of this machine.`, {
        hint: 'Give --host an address of this machine, like 127.0.0.1 or 0.0.0.0.',
      });
    default:
      return error as Error;
  }
}

export async function startServer(options: ListenOptions): Promise<RunningServer> {
  const {app, state} = await buildServer(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({host, port: options.port ?? 0});
  } catch (error) {
    await app.close();
    throw listenError(error, host, options.port ?? 0);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    app,
    state,
    close: () => {
      closing ??= (async () => {
        const grace = setTimeout(() => app.server.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
        try {
          await app.close();
        } finally {
          clearTimeout(grace);
        }
      })();
      return closing;
    },
  };
}
