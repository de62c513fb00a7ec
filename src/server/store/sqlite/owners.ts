import {writeTransaction} from '../../../store/embedded/sqlite.js';
import type {LocalStore} from '../../../store/embedded/store.js';
import type {Principal, ServerState} from './state.js';

const DONE = 'legacy-owners-attributed';

export interface Attribution {
  tickets: number;
  /** Tickets whose requester could not be told apart: no principal owns them, so no customer sees them. */
  unattributed: number;
}

/**
 * Once, on the first start after the upgrade to principals: gives the rows an older server wrote
 * (when a token's name was its user) the ids of the principals that wrote them.
 *
 * The old store recorded a writer by name and kind (`actor_role`: customer, or agent for agent
 * and admin tokens), and migration 2 of server.db made one principal of every name and kind its
 * tokens had, so the pair leads back to exactly one principal: a customer `alice` and an agent
 * `alice` get their own tickets again. A ticket's requester is the actor of its `created` event.
 * A row whose name and kind match no token of the store (the local backend wrote it, or
 * server.db was replaced) keeps its name and gets no id: only agents see such a ticket. Only
 * principals made by the migration are matched, never a token created since, so that a new token
 * cannot take over old tickets by taking their requester's name.
 */
export function attributeLegacyOwners(store: LocalStore, state: ServerState, now: () => number): Attribution | undefined {
  if (state.meta(DONE)) return undefined;
  const principals = state.legacyPrincipals();
  const byNameAndKind = new Map(principals.map((p) => [`${p.kind}\n${p.name}`, p.id]));
  const byName = new Map<string, Principal[]>();
  for (const p of principals) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const principalOf = (name: string, kind: string | null | undefined) => {
    if (kind) return byNameAndKind.get(`${kind === 'customer' ? 'customer' : 'agent'}\n${name}`);
    const named = byName.get(name) ?? [];
    return named.length === 1 ? named[0]!.id : undefined;
  };
  // An assignee is someone who works tickets: the agent of that name, else its only principal.
  const assigneeOf = (name: string) => byNameAndKind.get(`agent\n${name}`) ?? principalOf(name, undefined);

  const result: Attribution = {tickets: 0, unattributed: 0};
  const {db} = store;
  store.guard(() =>
    writeTransaction(db, () => {
      const tickets = db
        .prepare(
          `SELECT t.id, t.requester, t.assignee,
             (SELECT e.actor_role FROM events e WHERE e.ticket_id = t.id AND e.type = 'created' ORDER BY e.id LIMIT 1) AS created_by
           FROM tickets t WHERE t.requester_id IS NULL`,
        )
        .all() as {id: number; requester: string; assignee: string | null; created_by: string | null}[];
      const setTicket = db.prepare('UPDATE tickets SET requester_id = ?, assignee_id = COALESCE(assignee_id, ?) WHERE id = ?');
      for (const t of tickets) {
        const requester = principalOf(t.requester, t.created_by) ?? null;
        setTicket.run(requester, t.assignee ? (assigneeOf(t.assignee) ?? null) : null, t.id);
        result.tickets++;
        if (requester === null) result.unattributed++;
      }
      const comments = db.prepare('SELECT id, author, author_role FROM comments WHERE author_id IS NULL').all() as {id: number; author: string; author_role: string}[];
      const setComment = db.prepare('UPDATE comments SET author_id = ? WHERE id = ?');
      for (const c of comments) {
        const id = principalOf(c.author, c.author_role);
        if (id) setComment.run(id, c.id);
      }
      const events = db.prepare('SELECT id, actor, actor_role FROM events WHERE actor_id IS NULL').all() as {id: number; actor: string; actor_role: string}[];
      const setEvent = db.prepare('UPDATE events SET actor_id = ? WHERE id = ?');
      for (const e of events) {
        const id = principalOf(e.actor, e.actor_role);
        if (id) setEvent.run(id, e.id);
      }
      // Ticket-creation keys were scoped by name ("alice\n<key>"): the ticket tells whose key it was.
      const keys = db
        .prepare(
          `SELECT k.key, t.requester, t.requester_id FROM idempotency_keys k JOIN tickets t ON t.id = k.ticket_id
           WHERE t.requester_id IS NOT NULL AND substr(k.key, 1, length(t.requester) + 1) = t.requester || char(10)`,
        )
        .all() as {key: string; requester: string; requester_id: string}[];
      const setKey = db.prepare('UPDATE idempotency_keys SET key = ? WHERE key = ?');
      for (const k of keys) setKey.run(`${k.requester_id}${k.key.slice(k.requester.length)}`, k.key);
    }),
  );
  // Other stored responses were scoped by name too; a name that stood for two has no owner left.
  state.rescopeStoredResponses((name) => principalOf(name, undefined));
  state.setMeta(DONE, new Date(now()).toISOString());
  return result;
}
