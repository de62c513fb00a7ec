import {AuthError, UsageError} from '../../domain/errors.js';
import {createHttpClient, type HttpClientOptions} from '../../http/client.js';
import type {Backend, BackendOptions, Capability, Identity} from '../backend.js';
import {RestKb} from './kb.js';
import {RestTickets} from './tickets.js';
import {RestSla} from './sla.js';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'tickets',
  'comments',
  'internal-comments',
  'attachments',
  'events',
  'kb',
  'kb-write',
  'kb-sync',
  'idempotent-create',
  'custom-fields',
  'sla',
  'sla-policies',
  'conditional-update',
  'external-id',
  'updated-since',
]);

/** Tests tune timeouts and retries, and give a virtual clock; the CLI uses the defaults of src/http. */
export type RestBackendOptions = BackendOptions & {http?: Pick<HttpClientOptions, 'timeouts' | 'retry' | 'sleep' | 'now'>};

export async function createRestBackend(options: RestBackendOptions): Promise<Backend> {
  if (!options.url) {
    throw new UsageError(`The profile "${options.profile}" has no URL.`, {
      hint: `Add one: support profile remove ${options.profile}, then support profile add ${options.profile} --backend rest --url https://...`,
    });
  }
  const http = createHttpClient({
    baseUrl: options.url,
    token: async () => {
      const token = await options.token?.();
      if (!token) {
        throw new AuthError(`No token is stored for the profile "${options.profile}".`, {
          hint: `Run \`support auth login --profile ${options.profile}\`.`,
        });
      }
      return token;
    },
    userAgent: 'supportkit (rest backend)',
    debug: options.debug,
    ...options.http,
  });
  const tickets = new RestTickets(http, options.profile);
  return {
    kind: 'rest',
    capabilities: CAPABILITIES,
    location: http.baseUrl,
    tickets,
    kb: new RestKb((req) => tickets.call(req)),
    whoami: async (): Promise<Identity> => {
      const me = await tickets.call<{id?: string; name: string; role: string; expiresAt?: string | null; scopes?: string[]}>({method: 'GET', path: 'v1/me'});
      // An admin is an agent who may also manage tokens and SLA policies. Servers before
      // principals answer no id; servers before protocol 1.1 nothing of expiry and scopes.
      return {
        name: me.name,
        role: me.role === 'customer' ? 'customer' : 'agent',
        backendRole: me.role,
        account: new URL(options.url!).host,
        ...(me.id ? {id: me.id} : {}),
        ...(me.expiresAt === undefined ? {} : {expiresAt: me.expiresAt}),
        ...(me.scopes === undefined ? {} : {scopes: me.scopes}),
      };
    },
    rateLimit: () => http.rateLimit(),
    serverClock: () => http.serverClock(),
    sla: new RestSla((req) => tickets.call(req)),
    close: () => http.close(),
  };
}
