import {randomUUID} from 'node:crypto';

import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';

import {UnavailableError, UsageError} from '../domain/errors.js';
import {redactUrl} from '../domain/redact.js';
import {parseJsonBody} from './json-body.js';
import {ClientGone, isHangUp, Problem, toProblem, validationProblem} from './problem.js';
import {rateLimitVerdict} from './rate-limit.js';
import {attachmentHandlers} from './routes/attachments.js';
import {commentHandlers} from './routes/comments.js';
import {routeContext, type Caller, type Handlers} from './routes/context.js';
import {eventHandlers} from './routes/events.js';
import {kbHandlers} from './routes/kb.js';
import {slaHandlers} from './routes/sla.js';
import {ticketHandlers} from './routes/tickets.js';
import {tokenHandlers} from './routes/tokens.js';
import {webhookHandlers} from './routes/webhooks.js';
import {allowedMethods, loadSpec, operations, requestValidator, routerPath, type Operation} from './spec.js';
import {openServerStore} from './store/open.js';
import type {ServerStore} from './store/store.js';
import {canWrite} from './store/tokens.js';
import {startDispatcher, type DispatcherOptions} from './webhooks/dispatcher.js';

export interface ServerOptions {
  /** The server's own directory: support.db (the local store's format), attachments, server.db; with PostgreSQL only the search index. */
  dataDir: string;
  /** A PostgreSQL URL: several instances on one database. Absent: SQLite in dataDir. */
  databaseUrl?: string | undefined;
  /** PostgreSQL connections per instance. */
  poolSize?: number;
  /** Requests per minute per token; 0 switches the limit off. */
  rateLimit?: number;
  /** Largest attachment accepted, in bytes. */
  maxUploadBytes?: number;
  /** One line per request (method, path with secrets masked, status, time, token name). */
  log?: (line: string) => void;
  now?: () => number;
  /** How this instance delivers webhooks (tests shorten the waits); false: it delivers none. */
  webhooks?: Partial<DispatcherOptions> | false;
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
  store: ServerStore;
  /** Stops accepting, lets requests in flight finish, then closes the stores. */
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT = 600;
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** JSON bodies: a ticket body may be 1 MiB of text, escaped JSON a little more. */
const JSON_BODY_LIMIT = 2 * 1024 * 1024;

export async function buildServer(options: ServerOptions): Promise<{app: FastifyInstance; store: ServerStore}> {
  const now = options.now ?? Date.now;
  const {default: Fastify} = await import('fastify');
  const spec = await loadSpec();
  const store = await openServerStore({dataDir: options.dataDir, databaseUrl: options.databaseUrl, now, log: options.log, poolSize: options.poolSize});
  try {
    return await buildApp(options, store, spec, Fastify, now);
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function buildApp(
  options: ServerOptions,
  store: ServerStore,
  spec: Awaited<ReturnType<typeof loadSpec>>,
  Fastify: typeof import('fastify').default,
  now: () => number,
): Promise<{app: FastifyInstance; store: ServerStore}> {
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const callers = new WeakMap<FastifyRequest, Caller>();

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
    const token = await store.tokens.verify(match[1]!);
    if (!token) throw new Problem('unauthorized', 'The bearer token is not valid: unknown, revoked or expired.', {hint});
    const caller: Caller = {
      token,
      principalId: token.principalId,
      name: token.name,
      role: token.role,
      actor: {id: token.principalId, name: token.name, role: token.role === 'customer' ? 'customer' : 'agent'},
    };
    callers.set(request, caller);
    // A read-only token is refused before its request's body is read (the body parser runs after this hook).
    if (request.routeOptions.url !== undefined && !['GET', 'HEAD'].includes(request.method) && !canWrite(token)) {
      throw new Problem('insufficient-scope', `The token "${caller.name}" is read-only: it may read, not ${request.method === 'DELETE' ? 'delete' : 'change'} anything.`, {
        hint: 'Use a token with the write scope (support serve token create without --read-only).',
      });
    }
    if (rateLimit > 0) {
      const at = now();
      const verdict = rateLimitVerdict(rateLimit, await store.rateLimits.hit(token.id, at), at);
      reply.headers(verdict.headers);
      if (!verdict.allowed) {
        throw new Problem('rate-limited', `This token may make ${rateLimit} requests a minute.`, {
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

  const ctx = routeContext(store, now, maxUpload);
  const handlers: Handlers = {
    // The protocol version is the spec's: the server speaks what it validates against.
    health: async () => ({status: 200, body: {status: 'ok', version: spec.info.version}}),
    getMe: async (_req, caller) => ({
      status: 200,
      body: {id: caller.principalId, name: caller.name, role: caller.role, expiresAt: caller.token.expiresAt, scopes: caller.token.scopes},
    }),
    ...ticketHandlers(ctx),
    ...commentHandlers(ctx),
    ...attachmentHandlers(ctx),
    ...tokenHandlers(ctx),
    ...kbHandlers(ctx),
    ...slaHandlers(ctx),
    ...eventHandlers(ctx),
    ...webhookHandlers(ctx),
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

  // Every instance delivers webhooks; a write here wakes its dispatcher at once, the others poll.
  const dispatcher = options.webhooks === false ? undefined : startDispatcher(store.webhooks, {...options.webhooks, log: options.log, now});
  if (dispatcher) {
    app.addHook('onResponse', async (request, res) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && res.statusCode < 300) dispatcher.nudge();
    });
  }

  app.addHook('onClose', async () => {
    await dispatcher?.close();
    await store.close();
  });
  return {app, store};
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
  const {app, store} = await buildServer(options);
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
    store,
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
