import {AuthError, UsageError} from '../../domain/errors.js';
import {apiKeyAuth} from '../../http/auth.js';
import {createHttpClient, type HttpClientOptions} from '../../http/client.js';
import type {Backend, BackendOptions, Capability, Identity} from '../backend.js';
import {FreshdeskApi} from './api.js';
import {FreshdeskKb} from './kb.js';
import {FreshdeskSla} from './sla.js';
import {FreshdeskTickets} from './tickets.js';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['tickets', 'comments', 'internal-comments', 'attachments', 'kb', 'kb-sync', 'sla', 'custom-fields']);

/** What to do instead, for what Freshdesk's API cannot do through this backend. */
const HINTS: Partial<Record<Capability, string>> = {
  events: 'Freshdesk’s API v2 keeps no history of a ticket’s changes; its web view shows the activity, and `support ticket view` shows the conversations.',
  'idempotent-create': 'Freshdesk takes no idempotency key: a create whose answer was lost is not sent again; look for the ticket with `support ticket list` before creating it again.',
  'kb-write': 'Write and publish solution articles in Freshdesk (Solutions); `support kb search --profile NAME` finds them there.',
  'sla-policies': 'Freshdesk keeps its SLA policies in Admin > SLA Policies; `support sla status` shows the due-by times Freshdesk sets from them.',
};

/** Tests tune timeouts and retries; the CLI uses the defaults of src/http. */
export type FreshdeskBackendOptions = BackendOptions & {http?: Pick<HttpClientOptions, 'timeouts' | 'retry' | 'sleep'>};

/**
 * Freshdesk (tickets, replies and notes, attachments, SLA due-by times) and its Solutions
 * (knowledge base), through Freshdesk's API v2 with an API key (Basic `key:X`).
 */
export async function createFreshdeskBackend(options: FreshdeskBackendOptions): Promise<Backend> {
  if (!options.url) {
    throw new UsageError(`The profile "${options.profile}" has no URL.`, {
      hint: `Add one: support profile remove ${options.profile}, then support profile add ${options.profile} --backend freshdesk --url https://DOMAIN.freshdesk.com`,
    });
  }
  const settings = options.settings ?? {};
  const http = createHttpClient({
    baseUrl: options.url,
    auth: apiKeyAuth,
    token: async () => {
      const token = await options.token?.();
      if (!token) throw new AuthError(`No API key is stored for the profile "${options.profile}".`, {hint: `Run \`support auth login --profile ${options.profile}\`.`});
      return token;
    },
    userAgent: 'supportkit (freshdesk backend)',
    debug: options.debug,
    ...options.http,
  });
  const api = new FreshdeskApi(http, options.profile);
  const self = (): Pick<Backend, 'kind' | 'hints'> => ({kind: 'freshdesk', hints: HINTS});
  const tickets = new FreshdeskTickets(api, {group: settings.group}, self);
  const account = new URL(options.url).host;
  return {
    kind: 'freshdesk',
    capabilities: CAPABILITIES,
    hints: HINTS,
    location: http.baseUrl,
    tickets,
    kb: new FreshdeskKb(api, {locale: settings.locale ?? 'en', portal: http.baseUrl}, self),
    sla: new FreshdeskSla(tickets, self),
    rateLimit: () => http.rateLimit(),
    whoami: async (): Promise<Identity> => {
      const agent = await api.me();
      const email = agent.contact.email ?? '';
      return {name: email || agent.contact.name, role: 'agent', backendRole: agent.type ?? 'agent', account, displayName: agent.contact.name, id: String(agent.id)};
    },
    close: () => http.close(),
  };
}
