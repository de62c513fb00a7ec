import {AuthError, UsageError} from '../../domain/errors.js';
import {bearerAuth} from '../../http/auth.js';
import {createHttpClient, type HttpClientOptions} from '../../http/client.js';
import type {Backend, BackendOptions, Capability, CapabilityContext, Identity} from '../backend.js';
import {GithubApi} from './api.js';
import {githubRateLimit} from './errors.js';
import {conventionsFrom} from './map.js';
import {GithubTickets} from './tickets.js';
import {githubHost} from './token.js';

/** The REST API version the adapter is written against (and its fake checks). */
export const GITHUB_API_VERSION = '2022-11-28';
export const GITHUB_API = 'https://api.github.com';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['tickets', 'comments']);

/** Where people open an issue in a browser: github.com, or the Enterprise Server host of the API root. */
export function webBase(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.host === 'api.github.com') return 'https://github.com';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

function hints(web: string, repo: string): Backend['hints'] {
  return {
    attachments: ({ticketId}: CapabilityContext) =>
      `GitHub's API takes no files. Drag the file into a comment of ${ticketId ? `${web}/${repo}/issues/${ticketId}` : `the issue (${web}/${repo}/issues)`} in the browser, or upload it as a gist or a release asset and post its link${ticketId ? ` with \`support ticket comment ${ticketId} --body URL\`` : ''}.`,
    'internal-comments': `Everyone who can read ${repo} reads its issue comments: keep private notes elsewhere, or use a private repository.`,
    events: `Read the issue's history on its page (${web}/${repo}/issues).`,
    kb: 'GitHub has no knowledge base; keep articles in a local or rest profile (support kb import --profile NAME).',
    'kb-write': 'GitHub has no knowledge base; keep articles in a local or rest profile (support kb import --profile NAME).',
    'kb-sync': 'GitHub has no knowledge base to copy.',
    sla: 'GitHub keeps no SLA clocks; use a local, rest or zendesk profile for SLA reports.',
    'sla-policies': 'GitHub keeps no SLA clocks; use a local, rest or zendesk profile for SLA reports.',
    'idempotent-create': 'GitHub takes no idempotency key; `ticket bulk create` marks what it creates so that a rerun does not create twice.',
    'custom-fields': 'GitHub issues have no custom fields: use labels (tags), or --field milestone=N.',
  };
}

/** Tests tune timeouts and retries; the CLI uses the defaults of src/http. */
export type GithubBackendOptions = BackendOptions & {http?: Pick<HttpClientOptions, 'timeouts' | 'retry' | 'sleep'>};

/**
 * The issues of one GitHub repository as tickets, through GitHub's REST API (github.com, or an
 * Enterprise Server's API root given with --url). The token goes as Bearer, with the API
 * version pinned; pull requests never show as tickets. GitHub has no knowledge base, SLA
 * clocks, internal comments, attachments or custom fields: the capabilities say so.
 */
export async function createGithubBackend(options: GithubBackendOptions): Promise<Backend> {
  const repo = options.repo;
  const slash = repo?.indexOf('/') ?? -1;
  if (!repo || slash < 1) {
    throw new UsageError(`The profile "${options.profile}" names no repository.`, {
      hint: `Add one: support profile remove ${options.profile}, then support profile add ${options.profile} --backend github --repo OWNER/NAME`,
    });
  }
  const conventions = conventionsFrom(options.settings ?? {});
  const baseUrl = options.url ?? GITHUB_API;
  const http = createHttpClient({
    baseUrl,
    auth: bearerAuth,
    headers: {accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION},
    token: async () => {
      const token = await options.token?.();
      if (!token) {
        throw new AuthError(`No token is stored for the profile "${options.profile}", and none was found in GH_TOKEN, GITHUB_TOKEN or \`gh auth token\`.`, {
          hint: `Run \`support auth login --profile ${options.profile}\` (or \`gh auth login\`).`,
        });
      }
      return token;
    },
    rateLimited: githubRateLimit,
    userAgent: 'supportkit (github backend)',
    debug: options.debug,
    ...options.http,
  });
  const api = new GithubApi(http, options.profile, repo.slice(0, slash), repo.slice(slash + 1));
  const web = webBase(baseUrl);
  const backendHints = hints(web, repo);
  const self = (): Pick<Backend, 'kind' | 'hints'> => ({kind: 'github', hints: backendHints});
  return {
    kind: 'github',
    capabilities: CAPABILITIES,
    hints: backendHints,
    location: `${http.baseUrl}/repos/${repo}`,
    tickets: new GithubTickets(api, conventions, self),
    rateLimit: () => http.rateLimit(),
    whoami: async (): Promise<Identity> => {
      const [me, permission] = await Promise.all([api.me(), api.permission()]);
      const role = permission && ['admin', 'maintain', 'write', 'triage'].includes(permission.role_name) ? 'agent' : 'customer';
      return {
        name: me.login,
        role,
        backendRole: permission?.role_name ?? 'read',
        account: `${githubHost(options.url)}/${repo}`,
        ...(me.name ? {displayName: me.name} : {}),
        id: String(me.id),
      };
    },
    close: () => http.close(),
  };
}
