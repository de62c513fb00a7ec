import {resolve} from 'node:path';

import {UsageError} from '../domain/errors.js';
import type {Backend, BackendFactory, BackendOptions} from './backend.js';
import type {PluginBackendKind} from './plugins.js';

/** A profile setting that a backend kind takes, each with its own flag of `profile add`. */
export type ProfileField = 'url' | 'email' | 'repo';

/** A `--option key=value` that a backend kind understands, checked before anything is stored. */
export interface BackendOptionSpec {
  name: string;
  description: string;
  /** What a value must look like: text, a whole number (a vendor's id), yes/no, a file (stored absolute), or one of a list. */
  type: 'string' | 'integer' | 'boolean' | 'path' | readonly string[];
  example: string;
  /** `profile add` refuses a profile without it. */
  required?: boolean;
}

/**
 * What the CLI knows of a backend kind without loading its adapter: enough for `profile add`,
 * `auth login`, `init` and the docs to be driven by data.
 */
export interface BackendKindInfo {
  kind: string;
  description: string;
  /** Profile settings the kind needs (required) or may take (optional); any other is refused. */
  fields: Partial<Record<ProfileField, 'required' | 'optional'>>;
  /** What --url looks like, for hints. */
  urlExample?: string;
  /** Only https, except for a server on this machine (tests, a local fake). */
  httpsOnly?: boolean;
  /** The host a URL must have (except on this machine), and why, for vendors that answer on their own domain only. */
  urlHost?: {suffix: string; reason: string};
  /** The backend needs a token from `auth login` (or SUPPORT_TOKEN). */
  needsToken: boolean;
  /** What the token is called and where a user gets one, for prompts and hints. */
  tokenHelp?: string;
  /** Where else the kind finds a token, for messages: "GH_TOKEN, GITHUB_TOKEN or `gh auth token`". */
  externalTokens?: string;
  options: readonly BackendOptionSpec[];
  /** The oclif plugin that adds the kind; absent for the toolkit's own. */
  plugin?: string;
}

/**
 * A token found outside the CLI's own store, where the vendor's tools keep one (GitHub's
 * GH_TOKEN, or `gh auth token`): `origin` names it for `auth status`.
 */
export interface ExternalToken {
  token: string;
  source: 'env' | 'external';
  origin: string;
}

/** Where the kind looks for such a token, given the profile's settings; loaded only for that kind. */
export type ExternalTokenFinder = (profile: {url?: string}, env: NodeJS.ProcessEnv) => Promise<ExternalToken | undefined>;

interface AdapterEntry extends Omit<BackendKindInfo, 'kind'> {
  load: () => Promise<BackendFactory>;
  /** After SUPPORT_TOKEN and the stored token: a token the vendor's own tools hold. */
  externalToken?: ExternalTokenFinder;
}

/**
 * Backend kinds and how to load each. The only file that names adapters: an adapter is
 * imported when a profile asks for it, so `support --version` loads none of them.
 */
const ADAPTERS: Record<string, AdapterEntry> = {
  local: {
    description: 'embedded SQLite store on this machine (the default)',
    fields: {},
    needsToken: false,
    options: [],
    load: async () => (await import('./local/index.js')).createLocalBackend,
  },
  rest: {
    description: 'a server speaking the supportkit REST protocol, such as `support serve`',
    fields: {url: 'required'},
    urlExample: 'https://support.example.com',
    needsToken: true,
    tokenHelp: 'a token of the server (its admin makes one with `support serve token create`)',
    options: [],
    load: async () => (await import('./rest/index.js')).createRestBackend,
  },
  zendesk: {
    description: 'Zendesk Support and its Help Center',
    fields: {url: 'required', email: 'optional'},
    urlExample: 'https://SUBDOMAIN.zendesk.com',
    httpsOnly: true,
    needsToken: true,
    tokenHelp: 'a Zendesk API token (Admin Center > Apps and integrations > Zendesk API) with --email, or an OAuth access token without it',
    options: [
      {name: 'group', description: 'Group id that new tickets are assigned to.', type: 'integer', example: '360001234567'},
      {name: 'brand', description: 'Brand id of new tickets and of knowledge-base searches.', type: 'integer', example: '360000123456'},
      {name: 'form', description: 'Ticket form id of new tickets.', type: 'integer', example: '360000654321'},
      {name: 'locale', description: 'Help Center locale that --locale en stands for.', type: 'string', example: 'en-gb'},
    ],
    load: async () => (await import('./zendesk/index.js')).createZendeskBackend,
  },
  freshdesk: {
    description: 'Freshdesk and its Solutions knowledge base',
    fields: {url: 'required'},
    urlExample: 'https://DOMAIN.freshdesk.com',
    httpsOnly: true,
    urlHost: {suffix: '.freshdesk.com', reason: 'Freshdesk answers its API only on DOMAIN.freshdesk.com, not on a custom domain'},
    needsToken: true,
    tokenHelp: 'a Freshdesk API key (Freshdesk: your profile picture > Profile settings > View API key)',
    options: [
      {name: 'group', description: 'Group id that new tickets are assigned to.', type: 'integer', example: '36000012345'},
      {name: 'locale', description: 'Language of the solution articles whose category names none (default en).', type: 'string', example: 'de'},
    ],
    load: async () => (await import('./freshdesk/index.js')).createFreshdeskBackend,
  },
  jsm: {
    description: 'Jira Service Management Cloud: requests, its knowledge base and SLA clocks',
    fields: {url: 'required', email: 'optional'},
    urlExample: 'https://SITE.atlassian.net',
    httpsOnly: true,
    needsToken: true,
    tokenHelp: 'an Atlassian API token (id.atlassian.com > Security > API tokens) with --email, or an OAuth 2.0 access token without it',
    options: [
      {name: 'service-desk', description: 'Service desk of new requests and lists: its project key or id.', type: 'string', example: 'ITSM'},
      {name: 'request-type', description: 'Request type of new requests: its name or id.', type: 'string', example: 'Get IT help'},
      {name: 'type-map', description: 'The request type each --type stands for, as TYPE:REQUEST-TYPE pairs.', type: 'string', example: 'incident:Report an incident,question:Get IT help'},
    ],
    load: async () => (await import('./jsm/index.js')).createJsmBackend,
  },
  github: {
    description: 'GitHub Issues of one repository (github.com, or GitHub Enterprise Server with --url)',
    fields: {repo: 'required', url: 'optional'},
    urlExample: 'https://HOST/api/v3',
    httpsOnly: true,
    needsToken: true,
    tokenHelp: 'a GitHub token with access to the repository\'s issues (a fine-grained token with Issues read and write, or a classic token with repo scope)',
    externalTokens: 'GH_TOKEN, GITHUB_TOKEN or `gh auth token`',
    options: [
      {name: 'priority-labels', description: 'Labels that stand for priorities, as priority=label pairs; default low=priority: low,high=priority: high,urgent=priority: urgent.', type: 'string', example: 'high=P1,urgent=P0'},
      {name: 'type-labels', description: 'Labels that stand for ticket types, as type=label pairs; default incident=type: incident,problem=type: problem,task=type: task.', type: 'string', example: 'incident=bug,task=enhancement'},
      {name: 'status-labels', description: 'Labels that stand for open statuses GitHub lacks, as status=label pairs; default open=status: open,pending=status: pending,on_hold=status: on hold.', type: 'string', example: 'pending=waiting-for-reply'},
    ],
    load: async () => (await import('./github/index.js')).createGithubBackend,
    externalToken: async (profile, env) => (await import('./github/token.js')).findGithubToken(profile, env),
  },
};

/** The toolkit's own kinds; plugins may add more (describeBackendKinds lists them all). */
export const BACKEND_KINDS = Object.keys(ADAPTERS);

let pluginSource: (() => ReadonlyMap<string, PluginBackendKind>) | undefined;
let pluginKinds: ReadonlyMap<string, PluginBackendKind> | undefined;

/**
 * Where the kinds of installed plugins come from (see plugins.ts; the CLI passes what oclif
 * loaded, or nothing when no plugin is installed). Read on first need: a command that asks
 * nothing of the registry reads no plugin's declaration.
 */
export function useBackendPlugins(source: (() => ReadonlyMap<string, PluginBackendKind>) | undefined): void {
  pluginSource = source;
  pluginKinds = undefined;
}

function plugins(): ReadonlyMap<string, PluginBackendKind> {
  pluginKinds ??= pluginSource?.() ?? new Map();
  return pluginKinds;
}

function entry(kind: string): (AdapterEntry & {plugin?: string}) | undefined {
  return Object.hasOwn(ADAPTERS, kind) ? ADAPTERS[kind] : plugins().get(kind);
}

/** Every kind: the toolkit's own, then those of installed plugins. */
export function describeBackendKinds(): (BackendKindInfo & {needsUrl: boolean})[] {
  return [...BACKEND_KINDS, ...plugins().keys()].map((kind) => backendKind(kind));
}

export function backendKind(kind: string): BackendKindInfo & {needsUrl: boolean} {
  assertBackendKind(kind);
  const {load: _load, externalToken: _external, ...info} = entry(kind)!;
  return {kind, ...info, needsUrl: info.fields.url === 'required'};
}

export function assertBackendKind(kind: string): void {
  if (!entry(kind)) {
    throw new UsageError(`"${kind}" is not a known backend.`, {
      hint: `Use one of: ${[...BACKEND_KINDS, ...plugins().keys()].join(', ')}; a plugin may add others (support plugins install PACKAGE).`,
    });
  }
}

export function backendNeedsUrl(kind: string): boolean {
  return backendKind(kind).needsUrl;
}

export function backendNeedsToken(kind: string): boolean {
  return backendKind(kind).needsToken;
}

/**
 * Checks `--option key=value` pairs against what the kind declares: an unknown key or a value of
 * the wrong shape is a usage error naming the options there are.
 */
export function parseBackendOptions(kind: string, pairs: readonly string[]): Record<string, string> {
  const {options} = backendKind(kind);
  const out: Record<string, string> = {};
  const known = () => (options.length ? `The ${kind} backend takes: ${options.map((o) => `${o.name} (e.g. ${o.name}=${o.example})`).join(', ')}.` : `The ${kind} backend takes no options.`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    if (!key) throw new UsageError(`"${pair}" is not a key=value pair.`, {hint: `Write options as --option key=value. ${known()}`});
    const value = pair.slice(eq + 1).trim();
    const spec = options.find((o) => o.name === key);
    if (!spec) throw new UsageError(`"${key}" is not an option of the ${kind} backend.`, {hint: known()});
    if (!value) throw new UsageError(`The option ${key} has no value.`, {hint: `Write it as --option ${key}=${spec.example}.`});
    if (spec.type === 'integer' && !/^\d+$/.test(value)) {
      throw new UsageError(`The option ${key} must be a whole number, not "${value}".`, {hint: `${spec.description} For example: --option ${key}=${spec.example}.`});
    }
    if (spec.type === 'boolean' && !/^(true|false)$/.test(value)) {
      throw new UsageError(`The option ${key} must be true or false, not "${value}".`, {hint: spec.description});
    }
    if (Array.isArray(spec.type) && !spec.type.includes(value)) {
      throw new UsageError(`The option ${key} must be one of ${spec.type.join(', ')}, not "${value}".`, {hint: spec.description});
    }
    if (Object.hasOwn(out, key)) throw new UsageError(`The option ${key} is given twice.`, {hint: 'Give each option once.'});
    // A file named relative to where `profile add` ran means the same file wherever the profile is used.
    out[key] = spec.type === 'path' ? resolve(value) : value;
  }
  const absent = options.filter((o) => o.required && !Object.hasOwn(out, o.name));
  if (absent.length) {
    throw new UsageError(`The ${kind} backend needs the option${absent.length > 1 ? 's' : ''} ${absent.map((o) => o.name).join(', ')}.`, {
      hint: `Add ${absent.map((o) => `--option ${o.name}=${o.example}`).join(' ')}. ${absent.map((o) => `${o.name}: ${o.description}`).join(' ')}`,
    });
  }
  return out;
}

/** A token of the kind's vendor tools for this profile, when the kind looks for one and finds it. */
export async function findExternalToken(kind: string, profile: {url?: string}, env: NodeJS.ProcessEnv): Promise<ExternalToken | undefined> {
  if (!Object.hasOwn(ADAPTERS, kind)) return undefined;
  return ADAPTERS[kind]!.externalToken?.(profile, env);
}

export async function openBackend(kind: string, options: BackendOptions): Promise<Backend> {
  assertBackendKind(kind);
  const factory = await entry(kind)!.load();
  return factory(options);
}

/**
 * The offline copy of a remote knowledge base (`kb sync`, `kb search --offline`), kept by the
 * local engine in `root`; see store/embedded/kb/cache.ts.
 */
export async function openKbCache(root: string, source?: string): Promise<import('../store/embedded/kb/cache.js').KbCache | undefined> {
  return (await import('../store/embedded/kb/cache.js')).openKbCache(root, source);
}

/** SQLite's integrity check of the local store in `dataDir` (for `support doctor`); it creates nothing. */
export async function inspectLocalStore(dataDir: string): Promise<import('./local/health.js').LocalStoreHealth> {
  return (await import('./local/health.js')).inspectLocalStore(dataDir);
}
