import {AuthError, UsageError} from '../../domain/errors.js';
import {bearerAuth, emailTokenAuth} from '../../http/auth.js';
import {createHttpClient, type HttpClientOptions} from '../../http/client.js';
import type {Backend, BackendOptions, Capability, Identity} from '../backend.js';
import {ZendeskApi} from './api.js';
import {ZendeskKb} from './kb.js';
import {roleIn} from './map.js';
import {ZendeskSla} from './sla.js';
import {ZendeskTickets} from './tickets.js';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'tickets',
  'comments',
  'internal-comments',
  'attachments',
  'events',
  'kb',
  'kb-sync',
  'sla',
  'idempotent-create',
  'custom-fields',
]);

/** What to do instead, for what Zendesk's API cannot do through this backend. */
const HINTS: Partial<Record<Capability, string>> = {
  'kb-write': 'Write and publish articles in Zendesk Guide; `support kb search --profile NAME` finds them there.',
  'sla-policies': 'Zendesk keeps its SLA policies in Admin Center (Objects and rules > Service level agreements); `support sla status` shows the clocks Zendesk computes.',
};

/** Tests tune timeouts and retries; the CLI uses the defaults of src/http. */
export type ZendeskBackendOptions = BackendOptions & {http?: Pick<HttpClientOptions, 'timeouts' | 'retry' | 'sleep'>};

/**
 * Zendesk Support (tickets, comments, attachments, SLA clocks) and its Help Center (knowledge
 * base), through Zendesk's REST API. With the profile's email the token is an API token (Basic
 * `{email}/token:{token}`); without, an OAuth access token (Bearer).
 */
export async function createZendeskBackend(options: ZendeskBackendOptions): Promise<Backend> {
  if (!options.url) {
    throw new UsageError(`The profile "${options.profile}" has no URL.`, {
      hint: `Add one: support profile remove ${options.profile}, then support profile add ${options.profile} --backend zendesk --url https://SUBDOMAIN.zendesk.com --email you@example.com`,
    });
  }
  const settings = options.settings ?? {};
  const http = createHttpClient({
    baseUrl: options.url,
    auth: options.email ? emailTokenAuth(options.email) : bearerAuth,
    token: async () => {
      const token = await options.token?.();
      if (!token) {
        throw new AuthError(`No token is stored for the profile "${options.profile}".`, {hint: `Run \`support auth login --profile ${options.profile}\`.`});
      }
      return token;
    },
    // Zendesk moves accounts behind redirects (a renamed subdomain, http to https); the token follows only to the same origin.
    redirects: 3,
    userAgent: 'supportkit (zendesk backend)',
    debug: options.debug,
    ...options.http,
  });
  const api = new ZendeskApi(http, options.profile);
  const tickets = new ZendeskTickets(api, {group: settings.group, brand: settings.brand, form: settings.form});
  const self = (): Pick<Backend, 'kind' | 'hints'> => ({kind: 'zendesk', hints: HINTS});
  const account = new URL(options.url).host;
  return {
    kind: 'zendesk',
    capabilities: CAPABILITIES,
    hints: HINTS,
    location: http.baseUrl,
    tickets,
    kb: new ZendeskKb(api, {locale: settings.locale, brand: settings.brand}, self),
    sla: new ZendeskSla(api, tickets, self),
    rateLimit: () => http.rateLimit(),
    serverClock: () => http.serverClock(),
    whoami: async (): Promise<Identity> => {
      const user = await api.me();
      // A credential Zendesk cannot read gets the anonymous user (id null), not a 401.
      if (user.id === null || user.id === undefined) {
        throw new AuthError(`Zendesk did not recognise the credentials of the profile "${options.profile}" (it answered as an anonymous user).`, {
          hint: options.email
            ? `Check that the token is an API token of ${options.email}, then run \`support auth login --profile ${options.profile}\`.`
            : 'Without --email the token must be an OAuth access token; for an API token, add the profile again with --email.',
        });
      }
      if (user.role === 'end-user') {
        throw new AuthError(`The token of the profile "${options.profile}" belongs to ${user.email ?? user.name}, an end user: the Support API needs an agent or admin.`, {
          hint: 'Log in with the API token of an agent.',
        });
      }
      return {name: user.email || user.name, role: roleIn(user), backendRole: user.role, account, displayName: user.name, id: String(user.id)};
    },
    close: () => http.close(),
  };
}
