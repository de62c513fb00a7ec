import {NotFoundError} from '../../domain/errors.js';
import {parseSlaPolicyFile, policySetToFile} from '../../domain/sla/policy-file.js';
import type {SlaPolicySet} from '../../domain/sla/policy.js';
import {evaluateTicketSla, versionInForce} from '../../domain/sla/versions.js';
import {OPEN_STATUSES, type Role, type TicketEvent, type TicketEventType, type TicketPriority, type TicketStatus, type TicketType} from '../../domain/ticket.js';
import type {ImportPoliciesOptions, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../../backends/backend.js';
import {writeTransaction} from './sqlite.js';
import type {LocalStore} from './store.js';
import {notFound, ticketKey} from './tickets.js';

interface VersionRow {
  version: number;
  effective_from: number;
  imported_at: number;
  source: string;
  policy_file: string;
}

interface SlaTicketRow {
  id: number;
  title: string;
  status: string;
  priority: string;
  type: string;
  created_at: number;
  tags: string;
}

interface EventRow {
  id: number;
  ticket_id: number;
  type: string;
  at: number;
  actor: string;
  actor_role: string;
  data: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const OPEN_SQL = OPEN_STATUSES.map((s) => `'${s}'`).join(', ');

const TICKET_SQL = `SELECT t.id, t.title, t.status, t.priority, t.type, t.created_at,
  (SELECT json_group_array(tag) FROM ticket_tags WHERE ticket_id = t.id) AS tags
  FROM tickets t`;
// Only these events move a clock. Events after `at` still come: the first status change tells
// the engine the status the ticket started in.
const EVENT_SQL = `SELECT e.id, e.ticket_id, e.type, e.at, e.actor, e.actor_role, e.data FROM events e`;
const EVENT_TYPES = `e.type IN ('comment', 'status_changed')`;

/**
 * SLA on the embedded store. Policy versions live in `sla_policy_versions`; status is
 * evaluated here with the pure engine over two queries (tickets, then every relevant event of
 * those tickets), not one query per ticket, so that 10,000 open tickets cost one pass. The
 * reference server can call this directly.
 */
export class LocalSla implements SlaApi {
  private parsed = new Map<number, SlaPolicyVersion>();

  constructor(
    private readonly store: LocalStore,
    private readonly now: () => number = Date.now,
  ) {}

  async policyVersions(): Promise<SlaPolicyVersion[]> {
    const rows = this.store.guard(
      () => this.store.db.prepare('SELECT version, effective_from, imported_at, source, policy_file FROM sla_policy_versions ORDER BY version').all() as unknown as VersionRow[],
    );
    return rows.map((row) => this.toVersion(row));
  }

  async policies(): Promise<SlaPolicyVersion> {
    const current = versionInForce(await this.policyVersions(), this.now());
    // The migration seeds version 1; an empty table means someone emptied it by hand.
    if (!current) throw new NotFoundError('The local store has no SLA policies.', {hint: 'Import a policy file: support sla policy import FILE'});
    return current;
  }

  async importPolicies(set: SlaPolicySet, options: ImportPoliciesOptions = {}): Promise<SlaPolicyVersion> {
    const {db} = this.store;
    const file = JSON.stringify(policySetToFile(set));
    const row = this.store.guard(() =>
      writeTransaction(db, () => {
        const at = this.now();
        // Never before the latest version, even if the clock stepped back: versions stay in order.
        const {latest} = db.prepare('SELECT MAX(effective_from) AS latest FROM sla_policy_versions').get() as {latest: number | null};
        const effectiveFrom = Math.max(at, latest ?? 0);
        const result = db
          .prepare('INSERT INTO sla_policy_versions (effective_from, imported_at, source, policy_file) VALUES (?, ?, ?, ?)')
          .run(effectiveFrom, at, options.source ?? '(imported)', file);
        return {version: Number(result.lastInsertRowid), effective_from: effectiveFrom, imported_at: at, source: options.source ?? '(imported)', policy_file: file};
      }),
    );
    return this.toVersion(row);
  }

  /**
   * `requesterId` keeps only the tickets of that principal, for the reference server's
   * customers: a named ticket of someone else is then reported as not existing.
   */
  async status(tickets: readonly string[] | 'open', at: number, options: {requesterId?: string} = {}): Promise<SlaTicketEvaluation[]> {
    const versions = await this.policyVersions();
    const {db} = this.store;
    const mine = options.requesterId === undefined ? '' : ' AND t.requester_id = ?';
    const who = options.requesterId === undefined ? [] : [options.requesterId];
    const {ticketRows, eventRows} = this.store.guard(() => {
      if (tickets === 'open') {
        const where = `t.status IN (${OPEN_SQL}) AND t.created_at <= ?${mine}`;
        return {
          ticketRows: db.prepare(`${TICKET_SQL} WHERE ${where} ORDER BY t.id`).all(at, ...who) as unknown as SlaTicketRow[],
          // IN (subquery) rather than a join: SQLite then walks events_by_ticket in order, with no sort.
          eventRows: db
            .prepare(`${EVENT_SQL} WHERE e.ticket_id IN (SELECT t.id FROM tickets t WHERE ${where}) AND ${EVENT_TYPES} ORDER BY e.ticket_id, e.id`)
            .all(at, ...who) as unknown as EventRow[],
        };
      }
      const keys = JSON.stringify(tickets.map(ticketKey));
      const ticketRows = db
        .prepare(`${TICKET_SQL} WHERE t.id IN (SELECT value FROM json_each(?))${mine} ORDER BY t.id`)
        .all(keys, ...who) as unknown as SlaTicketRow[];
      const found = JSON.stringify(ticketRows.map((r) => r.id));
      const eventRows = db
        .prepare(`${EVENT_SQL} WHERE e.ticket_id IN (SELECT value FROM json_each(?)) AND ${EVENT_TYPES} ORDER BY e.ticket_id, e.id`)
        .all(found) as unknown as EventRow[];
      return {ticketRows, eventRows};
    });
    if (tickets !== 'open') {
      const found = new Set(ticketRows.map((r) => String(r.id)));
      const missing = tickets.find((id) => !found.has(String(ticketKey(id))));
      if (missing !== undefined) throw notFound(missing);
    }

    const byTicket = new Map<number, TicketEvent[]>();
    for (const e of eventRows) {
      let list = byTicket.get(e.ticket_id);
      if (!list) byTicket.set(e.ticket_id, (list = []));
      list.push({
        id: String(e.id),
        ticketId: String(e.ticket_id),
        type: e.type as TicketEventType,
        at: iso(e.at),
        actor: e.actor,
        actorRole: e.actor_role as Role,
        data: JSON.parse(e.data) as Record<string, unknown>,
      });
    }
    const effective = versions.map((v) => ({...v, effectiveFrom: Date.parse(v.effectiveFrom)}));
    const results = ticketRows.map((row) => {
      const evaluation = evaluateTicketSla(
        {
          id: String(row.id),
          priority: row.priority as TicketPriority,
          type: row.type as TicketType,
          tags: JSON.parse(row.tags) as string[],
          createdAt: row.created_at,
          status: row.status as TicketStatus,
        },
        byTicket.get(row.id) ?? [],
        effective,
        at,
      );
      return {...evaluation, title: row.title};
    });
    if (tickets === 'open') return results;
    const byId = new Map(results.map((r) => [r.ticketId, r]));
    return [...new Set(tickets.map((id) => String(ticketKey(id))))].map((id) => byId.get(id)!);
  }

  private toVersion(row: VersionRow): SlaPolicyVersion {
    let version = this.parsed.get(row.version);
    if (!version) {
      version = {
        version: row.version,
        effectiveFrom: iso(row.effective_from),
        importedAt: iso(row.imported_at),
        source: row.source,
        policySet: parseSlaPolicyFile(JSON.parse(row.policy_file), `version ${row.version} in ${this.store.file}`),
      };
      this.parsed.set(row.version, version);
    }
    return version;
  }
}
