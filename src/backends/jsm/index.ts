import {AuthError, UsageError} from '../../domain/errors.js';
import {basicAuth, bearerAuth} from '../../http/auth.js';
import {createHttpClient, type HttpClientOptions} from '../../http/client.js';
import type {Backend, BackendOptions, Capability, Identity} from '../backend.js';
import {JsmApi} from './api.js';
import {JsmKb} from './kb.js';
import {userRef} from './map.js';
import {JsmSla} from './sla.js';
import {JsmTickets} from './tickets.js';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['tickets', 'comments', 'internal-comments', 'attachments', 'kb', 'sla', 'custom-fields']);

/** What to do instead, for what JSM's API cannot do through this backend. */
const HINTS: Partial<Record<Capability, string>> = {
  'kb-write': 'Write articles in Confluence, in the space linked to the service desk; `support kb search --profile NAME` finds them there.',
  'kb-sync': 'Search the knowledge base online with `support kb search`; an offline copy is for local, rest, zendesk and freshdesk profiles.',
  'sla-policies': 'Jira Service Management keeps its SLA goals in each service desk’s project settings (Project settings > SLAs); `support sla status` shows the clocks it computes.',
  events: 'Read the request’s history in Jira (the History tab); `support sla status` shows its SLA clocks.',
  'idempotent-create': 'Jira Service Management takes no idempotency key: a create is sent once, and never repeated after it may have arrived.',
};

/** Tests tune timeouts and retries; the CLI uses the defaults of src/http. */
export type JsmBackendOptions = BackendOptions & {http?: Pick<HttpClientOptions, 'timeouts' | 'retry' | 'sleep'>};

/**
 * Jira Service Management Cloud: requests through the Service Desk API (create, comments,
 * attachments, SLA, knowledge base) and the Jira platform API (who-am-I, fields, priority,
 * assignee, labels, workflow transitions, JQL search). With the profile's email the token is an
 * API token (Basic `{email}:{token}`); without, an OAuth 2.0 access token (Bearer), whose URL is
 * the api.atlassian.com gateway of the site.
 */
export async function createJsmBackend(options: JsmBackendOptions): Promise<Backend> {
  if (!options.url) {
    throw new UsageError(`The profile "${options.profile}" has no URL.`, {
      hint: `Add one: support profile remove ${options.profile}, then support profile add ${options.profile} --backend jsm --url https://SITE.atlassian.net --email you@example.com --option service-desk=KEY`,
    });
  }
  const settings = options.settings ?? {};
  const http = createHttpClient({
    baseUrl: options.url,
    auth: options.email ? basicAuth(options.email) : bearerAuth,
    token: async () => {
      const token = await options.token?.();
      if (!token) throw new AuthError(`No token is stored for the profile "${options.profile}".`, {hint: `Run \`support auth login --profile ${options.profile}\`.`});
      return token;
    },
    // Multipart uploads (attachTemporaryFile) are refused by XSRF protection without it; harmless elsewhere.
    headers: {'x-atlassian-token': 'no-check'},
    redirects: 3,
    userAgent: 'supportkit (jsm backend)',
    debug: options.debug,
    ...options.http,
  });
  const api = new JsmApi(http, options.profile, {serviceDesk: settings['service-desk'], requestType: settings['request-type'], typeMap: settings['type-map']});
  const self = (): Pick<Backend, 'kind' | 'hints'> => ({kind: 'jsm', hints: HINTS});
  const tickets = new JsmTickets(api, self);
  const account = new URL(options.url).host;
  return {
    kind: 'jsm',
    capabilities: CAPABILITIES,
    hints: HINTS,
    location: http.baseUrl,
    tickets,
    kb: new JsmKb(api, self),
    sla: new JsmSla(api, tickets, self),
    rateLimit: () => http.rateLimit(),
    whoami: async (): Promise<Identity> => {
      const me = await api.me();
      if (me.accountType === 'customer') {
        throw new AuthError(`The token of the profile "${options.profile}" belongs to ${userRef(me)}, a portal customer: the agent APIs need a Jira user.`, {hint: 'Log in with the API token of an agent of the service desk.'});
      }
      return {name: userRef(me), role: 'agent', ...(me.accountType ? {backendRole: me.accountType} : {}), account, ...(me.displayName ? {displayName: me.displayName} : {}), ...(me.accountId ? {id: me.accountId} : {})};
    },
    close: () => http.close(),
  };
}
