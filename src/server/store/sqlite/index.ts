import {createReadStream} from 'node:fs';
import {join} from 'node:path';

import {UsageError} from '../../../domain/errors.js';
import type {Role, TicketEvent, TicketEventType} from '../../../domain/ticket.js';
import {openLocalKb} from '../../../store/embedded/kb/builtin.js';
import {LocalSla} from '../../../store/embedded/sla.js';
import {openLocalStore} from '../../../store/embedded/store.js';
import {LocalTickets, removeAbandonedUploads, ticketKey} from '../../../store/embedded/tickets.js';
import {
  IDEMPOTENCY_CLAIM_TTL_MS,
  RATE_WINDOW_MS,
  type Actor,
  type EventFeed,
  type IdempotencyStore,
  type Imported,
  type KbStore,
  type RateLimitStore,
  type ServerStore,
  type SlaStore,
  type StoredTicket,
  type TicketStore,
  type TokenStore,
} from '../store.js';
import {attributeLegacyOwners} from './owners.js';
import {ServerState} from './state.js';
import {sqliteWebhooks} from './webhooks.js';

export interface SqliteStoreOptions {
  /** support.db (the local backend's format), attachments/ and server.db (tokens, stored responses). */
  dataDir: string;
  now: () => number;
  log?: (line: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The embedded store: one process on one directory. Tickets, knowledge base and SLA are the
 * local backend's engine (src/store/embedded) on support.db, so a server answers exactly what
 * the local backend would for the same data; tokens and stored responses are in server.db.
 * Requests in flight and rate-limit windows are kept in memory: there is only this process.
 */
export async function openSqliteServerStore(options: SqliteStoreOptions): Promise<ServerStore> {
  const {dataDir, now, log} = options;
  const store = await openLocalStore(dataDir);
  // A server killed mid-upload left a partial file behind: nothing refers to it.
  const abandoned = removeAbandonedUploads(store);
  if (abandoned > 0) log?.(`removed ${abandoned} unfinished upload${abandoned === 1 ? '' : 's'} left by a server that stopped mid-upload`);
  const state = await ServerState.open(dataDir, now);
  const attributed = attributeLegacyOwners(store, state, now);
  if (attributed && attributed.unattributed > 0) {
    log?.(
      `upgraded the store to principals: ${attributed.unattributed} of ${attributed.tickets} tickets have a requester no token of this server matches; only agents see them (docs/protocol.md)`,
    );
  }
  // The same engine and built-in articles as the local backend.
  const kb = await openLocalKb(store, now);
  const sla = new LocalSla(store, now);
  const principalOf = (name: string) => state.principalNamed(name)?.id;
  const engine = (actor: Actor) => new LocalTickets(store, actor, now, {principalOf});
  const reader = engine({id: '', name: '', role: 'agent'});
  const stored = (ticket: import('../../../domain/ticket.js').Ticket): StoredTicket => ({...ticket, version: ticket.version ?? 1});
  /** Who an import says wrote it: the principal of that name when there is one. */
  const importedActor = (actor: Actor, imported: Imported | undefined): Actor => {
    if (imported?.by === undefined) return actor;
    const principal = state.principalNamed(imported.by);
    return {id: principal?.id ?? '', name: imported.by, role: imported.role ?? principal?.kind ?? 'customer'};
  };
  const importOptions = (actor: Actor, imported: Imported | undefined) =>
    imported ? {importedBy: actor.name, ...(imported.createdAt === undefined ? {} : {createdAt: imported.createdAt})} : {};

  const tickets: TicketStore = {
    async create(actor, input, {idempotencyKey, imported} = {}) {
      const replayed = idempotencyKey ? store.guard(() => Boolean(store.db.prepare('SELECT 1 FROM idempotency_keys WHERE key = ?').get(idempotencyKey))) : false;
      const by = importedActor(actor, imported);
      const ticket = await new LocalTickets(store, {...by, id: by.id || undefined}, now, {principalOf}).create(input, {idempotencyKey, ...importOptions(actor, imported)});
      return {ticket: stored(ticket), replayed};
    },
    get: async (id) => stored(await reader.get(id)),
    list: (actor, query) => engine(actor).list(query),
    update: async (actor, id, changes, options = {}) => stored(await engine(actor).update(id, changes, options)),
    comments: async (id) => (await reader.view(id)).comments,
    comment: (actor, id, input, {imported} = {}) => {
      const by = importedActor(actor, imported);
      return new LocalTickets(store, {...by, id: by.id || undefined}, now, {principalOf}).comment(id, input, importOptions(actor, imported));
    },
    events: (id) => reader.events(id),
    attach: (actor, id, file) => engine(actor).attach(id, file),
    async openAttachment(ticketId, attachmentId) {
      if (!/^\d{1,15}$/.test(attachmentId)) return undefined;
      const row = store.guard(
        () => store.db.prepare('SELECT path FROM attachments WHERE id = ? AND ticket_id = ?').get(Number(attachmentId), ticketKey(ticketId)) as {path: string} | undefined,
      );
      return row ? createReadStream(join(store.root, row.path)) : undefined;
    },
  };

  const events: EventFeed = {
    async after(cursor, limit, filter = {}) {
      const after = parseFeedCursor(cursor);
      const rows = store.guard(
        () =>
          store.db
            .prepare(
              `SELECT e.id, e.ticket_id, e.type, e.at, e.actor, e.actor_id, e.actor_role, e.data FROM events e
               ${filter.requesterId === undefined ? '' : 'JOIN tickets t ON t.id = e.ticket_id AND t.requester_id = ?'}
               WHERE e.id > ? ${filter.publicOnly ? "AND NOT (e.type = 'comment' AND json_extract(e.data, '$.public') = 0)" : ''}
               ORDER BY e.id LIMIT ?`,
            )
            .all(...(filter.requesterId === undefined ? [] : [filter.requesterId]), after, limit + 1) as unknown as EventRow[],
      );
      const page = rows.slice(0, limit);
      return {events: page.map(toEvent), cursor: String(page.at(-1)?.id ?? after), more: rows.length > limit};
    },
    async end() {
      const row = store.guard(() => store.db.prepare('SELECT MAX(id) AS id FROM events').get() as {id: number | null});
      return String(row.id ?? 0);
    },
  };

  const kbStore: KbStore = {
    search: async (query) => kb.search(query),
    get: async (idOrSlug) => kb.get(idOrSlug),
    upsert: async (input) => kb.upsert(input),
    delete: async (idOrSlug) => void kb.delete(idOrSlug),
    changes: async (since, limit) => kb.changes(since, limit),
  };

  const slaStore: SlaStore = {
    policyVersions: () => sla.policyVersions(),
    policies: () => sla.policies(),
    importPolicies: (set, {source}) => sla.importPolicies(set, {source}),
    status: (which, at, filter) => sla.status(which, at, filter),
  };

  const tokens: TokenStore = {
    create: async (name, role, options) => state.createToken(name, role, options),
    list: async () => state.listTokens(),
    revoke: async (idOrName) => state.revokeToken(idOrName),
    verify: async (secret) => state.verify(secret),
  };

  // Requests running now, by key: one process, so memory is where they are.
  const running = new Map<string, number>();
  const flight = (scope: string, key: string) => `${scope}\n${key}`;
  const idempotency: IdempotencyStore = {
    async claim(scope, key) {
      const stored = state.storedResponse(scope, key);
      if (stored) return {state: 'done', response: stored};
      const since = running.get(flight(scope, key));
      if (since !== undefined && now() - since < IDEMPOTENCY_CLAIM_TTL_MS) return {state: 'busy'};
      running.set(flight(scope, key), now());
      return {state: 'claimed'};
    },
    async complete(scope, key, response) {
      state.storeResponse(scope, key, response);
      running.delete(flight(scope, key));
    },
    async release(scope, key) {
      running.delete(flight(scope, key));
    },
  };

  // A window per key that starts with its first request (cheap and easy to explain).
  const windows = new Map<string, {start: number; count: number}>();
  const rateLimits: RateLimitStore = {
    async hit(key, at) {
      let window = windows.get(key);
      if (!window || at - window.start >= RATE_WINDOW_MS) {
        window = {start: at, count: 0};
        windows.set(key, window);
        if (windows.size > 10_000) for (const [k, w] of windows) if (at - w.start >= RATE_WINDOW_MS) windows.delete(k);
      }
      window.count++;
      return {count: window.count, windowStart: window.start};
    },
  };

  return {
    kind: 'sqlite',
    location: dataDir,
    tickets,
    events,
    kb: kbStore,
    sla: slaStore,
    tokens,
    idempotency,
    rateLimits,
    webhooks: sqliteWebhooks(state, now, events),
    close: async () => {
      store.close();
      state.close();
    },
  };
}

interface EventRow {
  id: number;
  ticket_id: number;
  type: string;
  at: number;
  actor: string;
  actor_id: string | null;
  actor_role: string;
  data: string;
}

const toEvent = (r: EventRow): TicketEvent => ({
  id: String(r.id),
  ticketId: String(r.ticket_id),
  type: r.type as TicketEventType,
  at: iso(r.at),
  actor: r.actor,
  ...(r.actor_id === null ? {} : {actorId: r.actor_id}),
  actorRole: r.actor_role as Role,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

/** A feed position: the id of the last event read. */
function parseFeedCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new UsageError(`"${cursor}" is not a cursor of this event feed.`, {hint: 'Pass the cursor of the previous page unchanged.'});
  return Number(cursor);
}
