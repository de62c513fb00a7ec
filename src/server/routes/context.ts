import {createHash} from 'node:crypto';
import type {Readable} from 'node:stream';

import type {FastifyRequest} from 'fastify';

import type {Comment, Ticket, TicketEvent} from '../../domain/ticket.js';
import {Problem} from '../problem.js';
import type {Actor, ServerStore, StoredResponse, TokenInfo, TokenRole} from '../store/store.js';

/** Who sent a request: its token, and the principal the token acts as. */
export interface Caller {
  token: TokenInfo;
  /** Who the caller is: ownership, visibility and idempotency keys go by this id. */
  principalId: string;
  /** For people to read (requester, author); never decides anything. */
  name: string;
  role: TokenRole;
  /** Who the store records as author: an admin acts as an agent. */
  actor: Actor;
}

export interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  stream?: Readable;
}

export type Handler = (req: FastifyRequest, caller: Caller) => Promise<Result>;
/** A resource's routes: operationId (openapi.yaml) -> handler. */
export type Handlers = Record<string, Handler>;

/** What every route module is given. */
export interface RouteContext {
  store: ServerStore;
  now: () => number;
  maxUploadBytes: number;
  /** The ticket, if the caller may see it. Someone else's ticket looks exactly like a missing one. */
  visible(caller: Caller, id: string): Promise<Ticket>;
  requireRole(caller: Caller, ...roles: TokenRole[]): void;
  /** Replays the stored response of a repeated Idempotency-Key, or runs the request and stores its response. */
  idempotent(req: FastifyRequest, caller: Caller, scope: string, requestHash: string, run: () => Promise<Result>): Promise<Result>;
}

export const NOT_FOUND_HINT = 'Run `support ticket list` to see ticket ids.';

/** On the wire every ticket, comment and event names its people's ids: null where none is known. */
export const ticketJson = (t: Ticket) => ({...t, requesterId: t.requesterId ?? null, assigneeId: t.assigneeId ?? null, externalId: t.externalId ?? null, version: t.version ?? 1});
export const commentJson = (c: Comment) => ({...c, authorId: c.authorId ?? null});
export const eventJson = (e: TicketEvent) => ({...e, actorId: e.actorId ?? null});

/** JSON with sorted keys, so that the same request hashes the same however its keys were ordered. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const idempotencyKey = (req: FastifyRequest) => req.headers['idempotency-key'] as string | undefined;

/** Keys are the caller's own: another user's key can never replay someone else's response. */
export const keyScope = (caller: Caller, scope: string) => `${caller.principalId}\n${scope}`;

/** The stored response of a key used before, if the request is the same one; 422 when it is not. */
export function replay(stored: StoredResponse, requestHash: string, what = 'request'): Result {
  if (stored.requestHash !== requestHash) {
    throw new Problem('idempotency-key-reused', `This Idempotency-Key was already used for a different ${what}.`, {hint: `Use a new key for a new ${what}.`});
  }
  return {status: stored.status, body: JSON.parse(stored.body), headers: {'idempotent-replayed': 'true'}};
}

/** A second request with a key whose first request still runs, here or on another instance. */
export const stillRunning = () =>
  new Problem('conflict', 'A request with this Idempotency-Key is still being processed.', {
    headers: {'retry-after': '1'},
    hint: 'Retry after the number of seconds in Retry-After; you will get the first request’s answer.',
  });

export function routeContext(store: ServerStore, now: () => number, maxUploadBytes: number): RouteContext {
  const visible = async (caller: Caller, id: string): Promise<Ticket> => {
    const ticket = await store.tickets.get(id);
    if (caller.role === 'customer' && ticket.requesterId !== caller.principalId) {
      throw new Problem('not-found', `Ticket ${id} does not exist.`, {hint: NOT_FOUND_HINT});
    }
    return ticket;
  };
  return {
    store,
    now,
    maxUploadBytes,
    visible,
    requireRole(caller, ...roles) {
      if (!roles.includes(caller.role)) throw new Problem('forbidden', `A ${caller.role} token may not do this; it needs the ${roles.join(' or ')} role.`);
    },
    async idempotent(req, caller, scope, requestHash, run) {
      const key = idempotencyKey(req);
      if (!key) return run();
      const scoped = keyScope(caller, scope);
      const claim = await store.idempotency.claim(scoped, key);
      if (claim.state === 'done') return replay(claim.response, requestHash);
      if (claim.state === 'busy') throw stillRunning();
      let result: Result;
      try {
        result = await run();
      } catch (error) {
        await store.idempotency.release(scoped, key);
        throw error;
      }
      if (result.status < 300) await store.idempotency.complete(scoped, key, {requestHash, status: result.status, body: JSON.stringify(result.body)});
      else await store.idempotency.release(scoped, key);
      return {...result, headers: {...result.headers, 'idempotent-replayed': 'false'}};
    },
  };
}
