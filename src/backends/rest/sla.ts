import {randomUUID} from 'node:crypto';

import {SupportError} from '../../domain/errors.js';
import type {SlaMetricJson} from '../../domain/sla/engine.js';
import {parseSlaPolicyFile, pointerToProblemPath, policySetToFile, SlaPolicyFileError} from '../../domain/sla/policy-file.js';
import type {SlaPolicySet} from '../../domain/sla/policy.js';
import {HttpStatusError, type HttpRequest} from '../../http/client.js';
import type {ImportPoliciesOptions, SlaApi, SlaPolicyVersion, SlaTicketEvaluation} from '../backend.js';

/** A policy-set version as the protocol sends it (openapi.yaml, SlaPolicySet). */
interface VersionJson {
  version: number;
  effectiveFrom: string;
  importedAt: string;
  source: string;
  calendars: unknown[];
  policies: unknown[];
}

/** One ticket's clocks as the protocol sends them (SlaTicketStatus). */
interface TicketStatusJson {
  ticketId: string;
  title: string;
  policy: string | null;
  metrics: SlaMetricJson[];
}

interface ProblemJson {
  type?: string;
  errors?: {path?: string; message: string}[];
}

/** Named tickets per request of GET /v1/sla/status (the spec's maxItems), so that URLs stay short. */
const TICKETS_PER_REQUEST = 100;

const ms = (text: string | null): number | null => (text === null ? null : Date.parse(text));

/** Back to the engine's form (epoch ms); the target is what was spent plus what is left. */
function toEvaluation(t: TicketStatusJson, at: number): SlaTicketEvaluation {
  return {
    ticketId: t.ticketId,
    title: t.title,
    policy: t.policy,
    at,
    metrics: t.metrics.map((m) => ({
      metric: m.metric,
      policy: t.policy ?? '',
      status: m.status,
      startedAt: Date.parse(m.startedAt),
      dueAt: ms(m.dueAt),
      achievedAt: ms(m.achievedAt),
      targetSeconds: m.elapsedSeconds + m.remainingSeconds,
      elapsedSeconds: m.elapsedSeconds,
      remainingSeconds: m.remainingSeconds,
      paused: m.paused,
      breached: m.breached,
    })),
  };
}

/**
 * SLA over the supportkit REST protocol: the server stores the policies and evaluates the
 * clocks, so `sla status` over every open ticket is one request, not one per ticket.
 */
export class RestSla implements SlaApi {
  constructor(private readonly call: <T>(req: HttpRequest) => Promise<T>) {}

  async policies(): Promise<SlaPolicyVersion> {
    return this.toVersion(await this.call<VersionJson>({method: 'GET', path: 'v1/sla/policies'}));
  }

  async policyVersions(): Promise<SlaPolicyVersion[]> {
    const {versions} = await this.call<{versions: VersionJson[]}>({method: 'GET', path: 'v1/sla/versions'});
    return versions.map((v) => this.toVersion(v));
  }

  async importPolicies(set: SlaPolicySet, options: ImportPoliciesOptions = {}): Promise<SlaPolicyVersion> {
    try {
      const created = await this.call<VersionJson>({
        method: 'POST',
        path: 'v1/sla/policies',
        query: {source: options.source},
        json: policySetToFile(set),
        // A retry after a lost response adds one version, not two.
        idempotencyKey: randomUUID(),
      });
      return this.toVersion(created);
    } catch (error) {
      // The server checks the set with the same rules; its problems read as the local import's do.
      const cause = error instanceof SupportError ? error.cause : undefined;
      const problem = cause instanceof HttpStatusError ? (cause.body as ProblemJson | undefined) : undefined;
      if (problem?.type === 'urn:supportkit:problem:invalid-policy' && problem.errors?.length) {
        throw new SlaPolicyFileError(
          problem.errors.map((e) => ({path: pointerToProblemPath(e.path ?? ''), message: e.message})),
          options.source ? `${options.source} (checked by the server)` : undefined,
        );
      }
      throw error;
    }
  }

  async status(tickets: readonly string[] | 'open', at: number): Promise<SlaTicketEvaluation[]> {
    const when = new Date(at).toISOString();
    if (tickets === 'open') return this.statusPage(undefined, when, at);
    if (tickets.length === 1) {
      const one = await this.call<TicketStatusJson & {at: string}>({method: 'GET', path: `v1/tickets/${encodeURIComponent(tickets[0]!)}/sla`, query: {at: when}});
      return [toEvaluation(one, at)];
    }
    const out: SlaTicketEvaluation[] = [];
    for (let i = 0; i < tickets.length; i += TICKETS_PER_REQUEST) out.push(...(await this.statusPage(tickets.slice(i, i + TICKETS_PER_REQUEST), when, at)));
    return out;
  }

  private async statusPage(tickets: readonly string[] | undefined, when: string, at: number): Promise<SlaTicketEvaluation[]> {
    const report = await this.call<{at: string; tickets: TicketStatusJson[]}>({method: 'GET', path: 'v1/sla/status', query: {ticket: tickets ? [...tickets] : undefined, at: when}});
    return report.tickets.map((t) => toEvaluation(t, at));
  }

  private toVersion(v: VersionJson): SlaPolicyVersion {
    return {
      version: v.version,
      effectiveFrom: v.effectiveFrom,
      importedAt: v.importedAt,
      source: v.source,
      policySet: parseSlaPolicyFile({calendars: v.calendars, policies: v.policies}, `version ${v.version} from the server`),
    };
  }
}
