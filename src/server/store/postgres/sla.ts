import type {SlaPolicyVersion} from '../../../backends/backend.js';
import {NotFoundError} from '../../../domain/errors.js';
import {parseSlaPolicyFile, policySetToFile} from '../../../domain/sla/policy-file.js';
import {evaluateTicketSla, versionInForce} from '../../../domain/sla/versions.js';
import {OPEN_STATUSES, type TicketPriority, type TicketStatus, type TicketType} from '../../../domain/ticket.js';
import {notFound, ticketKey} from '../../../store/embedded/tickets.js';
import type {SlaStore} from '../store.js';
import type {Database} from './db.js';
import {toEvent} from './tickets.js';

interface VersionRow {
  version: number;
  effective_from: number;
  imported_at: number;
  source: string;
  policy_file: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

const TICKET_SQL = 'SELECT t.id, t.title, t.status, t.priority, t.type, t.created_at, t.tags FROM tickets t';
// Only these events move a clock; later ones still come, as in the SQLite store (src/store/embedded/sla.ts).
const EVENT_SQL = `SELECT e.id, e.ticket_id, e.type, e.at, e.actor, e.actor_id, e.actor_role, e.data FROM events e`;
const EVENT_TYPES = `e.type IN ('comment', 'status_changed')`;

/** SLA on PostgreSQL: the same pure engine (src/domain/sla) over two queries, tickets then their events. */
export function postgresSla(db: Database, now: () => number): SlaStore {
  const parsed = new Map<number, SlaPolicyVersion>();
  const toVersion = (row: VersionRow): SlaPolicyVersion => {
    let version = parsed.get(row.version);
    if (!version) {
      version = {
        version: row.version,
        effectiveFrom: iso(row.effective_from),
        importedAt: iso(row.imported_at),
        source: row.source,
        policySet: parseSlaPolicyFile(JSON.parse(row.policy_file), `version ${row.version} in the database`),
      };
      parsed.set(row.version, version);
    }
    return version;
  };
  const policyVersions = async () =>
    (await db.query<VersionRow>('SELECT version, effective_from, imported_at, source, policy_file FROM sla_policy_versions ORDER BY version')).rows.map(toVersion);

  return {
    policyVersions,

    async policies() {
      const current = versionInForce(await policyVersions(), now());
      if (!current) throw new NotFoundError('The server has no SLA policies.', {hint: 'Import a policy file: support sla policy import FILE'});
      return current;
    },

    async importPolicies(set, {source}) {
      const file = JSON.stringify(policySetToFile(set));
      const row = await db.tx(async (c) => {
        // One import at a time: versions stay in order, even across instances with skewed clocks.
        await c.query('LOCK TABLE sla_policy_versions IN SHARE ROW EXCLUSIVE MODE');
        const at = now();
        const {rows} = await c.query<{latest: number | null}>('SELECT max(effective_from) AS latest FROM sla_policy_versions');
        const effectiveFrom = Math.max(at, rows[0]?.latest ?? 0);
        const inserted = await c.query<VersionRow>(
          'INSERT INTO sla_policy_versions (effective_from, imported_at, source, policy_file) VALUES ($1, $2, $3, $4) RETURNING version, effective_from, imported_at, source, policy_file',
          [effectiveFrom, at, source, file],
        );
        return inserted.rows[0]!;
      });
      return toVersion(row);
    },

    async status(tickets, at, options = {}) {
      const versions = await policyVersions();
      const who = options.requesterId;
      let ticketRows: {id: number; title: string; status: string; priority: string; type: string; created_at: number; tags: string[]}[];
      if (tickets === 'open') {
        ticketRows = (
          await db.query(
            `${TICKET_SQL} WHERE t.status = ANY($1) AND t.created_at <= $2 ${who === undefined ? '' : 'AND t.requester_id = $3'} ORDER BY t.id`,
            who === undefined ? [OPEN_STATUSES, at] : [OPEN_STATUSES, at, who],
          )
        ).rows as typeof ticketRows;
      } else {
        const keys = tickets.map(ticketKey);
        ticketRows = (await db.query(`${TICKET_SQL} WHERE t.id = ANY($1) ${who === undefined ? '' : 'AND t.requester_id = $2'} ORDER BY t.id`, who === undefined ? [keys] : [keys, who]))
          .rows as typeof ticketRows;
        const found = new Set(ticketRows.map((r) => String(r.id)));
        const missing = tickets.find((id) => !found.has(String(ticketKey(id))));
        if (missing !== undefined) throw notFound(missing);
      }
      const ids = ticketRows.map((r) => r.id);
      const eventRows = ids.length
        ? (await db.query(`${EVENT_SQL} WHERE e.ticket_id = ANY($1) AND ${EVENT_TYPES} ORDER BY e.ticket_id, e.id`, [ids])).rows
        : [];
      const byTicket = new Map<number, ReturnType<typeof toEvent>[]>();
      for (const e of eventRows as Parameters<typeof toEvent>[0][]) {
        let list = byTicket.get(e.ticket_id);
        if (!list) byTicket.set(e.ticket_id, (list = []));
        list.push(toEvent(e));
      }
      const effective = versions.map((v) => ({...v, effectiveFrom: Date.parse(v.effectiveFrom)}));
      const results = ticketRows.map((row) => ({
        ...evaluateTicketSla(
          {
            id: String(row.id),
            priority: row.priority as TicketPriority,
            type: row.type as TicketType,
            tags: row.tags,
            createdAt: row.created_at,
            status: row.status as TicketStatus,
          },
          byTicket.get(row.id) ?? [],
          effective,
          at,
        ),
        title: row.title,
      }));
      if (tickets === 'open') return results;
      const byId = new Map(results.map((r) => [r.ticketId, r]));
      return [...new Set(tickets.map((id) => String(ticketKey(id))))].map((id) => byId.get(id)!);
    },
  };
}
