import type {FastifyRequest} from 'fastify';

import type {SlaPolicyVersion, SlaTicketEvaluation} from '../../backends/backend.js';
import {metricToJson} from '../../domain/sla/engine.js';
import {formatProblem, policySetToFile, problemPathToPointer, validateSlaPolicyFile} from '../../domain/sla/policy-file.js';
import {Problem} from '../problem.js';
import {canonicalJson, sha256, type Caller, type Handlers, type RouteContext} from './context.js';

/**
 * The SLA routes of `support serve` (openapi.yaml, tag sla): the policy set in force and its
 * versions, the admin-only import, and the clocks of one ticket or of many in one pass. Every
 * store evaluates with the same engine (src/domain/sla), so a server answers exactly what the
 * local backend would for the same data.
 */

const iso = (ms: number) => new Date(ms).toISOString();

/** A version as the wire has it: the policy file's form (durations like "8h"), every field present. */
function versionJson(v: SlaPolicyVersion) {
  const file = policySetToFile(v.policySet) as {calendars: unknown[]; policies: Array<Record<string, unknown>>};
  return {
    version: v.version,
    effectiveFrom: v.effectiveFrom,
    importedAt: v.importedAt,
    source: v.source,
    calendars: file.calendars,
    policies: file.policies.map((p) => ({...p, pauseOn: p['pauseOn'] ?? []})),
  };
}

/** One ticket as `support sla status --json` prints it. */
function ticketJson(e: SlaTicketEvaluation) {
  return {ticketId: e.ticketId, title: e.title, policy: e.policy, metrics: e.metrics.map(metricToJson)};
}

export function slaHandlers(ctx: RouteContext): Handlers {
  const {sla} = ctx.store;
  const deps = {now: ctx.now, idempotent: ctx.idempotent, hash: (value: unknown) => sha256(canonicalJson(value))};
  const atOf = (req: FastifyRequest) => {
    const {at} = req.query as {at?: string};
    return at === undefined ? deps.now() : Date.parse(at);
  };
  // A customer's view is their own tickets: another requester's ticket does not exist for them.
  const scope = (caller: Caller) => (caller.role === 'customer' ? {requesterId: caller.principalId} : {});

  return {
    listSlaPolicies: async () => ({status: 200, body: versionJson(await sla.policies())}),

    listSlaPolicyVersions: async () => ({status: 200, body: {versions: (await sla.policyVersions()).map(versionJson)}}),

    importSlaPolicies: async (req, caller) => {
      if (caller.role !== 'admin') {
        throw new Problem('forbidden', `Only an admin may import SLA policies; this token has the ${caller.role} role.`, {
          hint: 'Use an admin token (support serve token create --role admin), or ask the server’s admin to import the file.',
        });
      }
      const {source} = req.query as {source?: string};
      const result = validateSlaPolicyFile(req.body);
      if (!result.ok) {
        const {problems} = result;
        throw new Problem('invalid-policy', `The SLA policy set has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}: ${problems.map(formatProblem).join('; ')}`, {
          hint: 'Fix every problem listed in errors and import again; nothing was changed.',
          errors: problems.map((p) => ({location: 'body', path: problemPathToPointer(p.path), message: p.message})),
        });
      }
      return deps.idempotent(req, caller, 'importSlaPolicies', deps.hash({source: source ?? null, body: req.body}), async () => ({
        status: 201,
        body: versionJson(await sla.importPolicies(result.policySet, {source: source ?? `(imported by ${caller.name})`})),
        headers: {location: '/v1/sla/policies'},
      }));
    },

    getTicketSla: async (req, caller) => {
      const id = (req.params as {ticketId: string}).ticketId;
      const at = atOf(req);
      const [evaluation] = await sla.status([id], at, scope(caller));
      return {status: 200, body: {at: iso(at), ...ticketJson(evaluation!)}};
    },

    getSlaStatus: async (req, caller) => {
      const {ticket} = req.query as {ticket?: string[]};
      const at = atOf(req);
      const which = ticket?.length ? [...new Set(ticket.map((id) => id.trim()))] : 'open';
      const evaluations = await sla.status(which, at, scope(caller));
      return {status: 200, body: {at: iso(at), tickets: evaluations.map(ticketJson)}};
    },
  };
}
