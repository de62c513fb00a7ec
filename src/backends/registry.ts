import {UsageError} from '../domain/errors.js';
import type {Backend, BackendFactory, BackendOptions} from './backend.js';

/**
 * Backend kinds and how to load each. The only file that names adapters: an adapter is
 * imported when a profile asks for it, so `support --version` loads none of them.
 */
const ADAPTERS: Record<string, {description: string; needsUrl: boolean; load: () => Promise<BackendFactory>}> = {
  local: {
    description: 'embedded SQLite store on this machine (the default)',
    needsUrl: false,
    load: async () => (await import('./local/index.js')).createLocalBackend,
  },
  rest: {
    description: 'a server speaking the supportkit REST protocol, such as `support serve`',
    needsUrl: true,
    load: async () => (await import('./rest/index.js')).createRestBackend,
  },
};

export const BACKEND_KINDS = Object.keys(ADAPTERS);

export function describeBackendKinds(): {kind: string; description: string; needsUrl: boolean}[] {
  return Object.entries(ADAPTERS).map(([kind, a]) => ({kind, description: a.description, needsUrl: a.needsUrl}));
}

export function assertBackendKind(kind: string): void {
  if (!ADAPTERS[kind]) {
    throw new UsageError(`"${kind}" is not a known backend.`, {hint: `Use one of: ${BACKEND_KINDS.join(', ')}.`});
  }
}

export function backendNeedsUrl(kind: string): boolean {
  assertBackendKind(kind);
  return ADAPTERS[kind]!.needsUrl;
}

export async function openBackend(kind: string, options: BackendOptions): Promise<Backend> {
  assertBackendKind(kind);
  const factory = await ADAPTERS[kind]!.load();
  return factory(options);
}

/**
 * The offline copy of a remote knowledge base (`kb sync`, `kb search --offline`), kept by the
 * local engine in `root`; see local/kb/cache.ts.
 */
export async function openKbCache(root: string, source?: string): Promise<import('./local/kb/cache.js').KbCache | undefined> {
  return (await import('./local/kb/cache.js')).openKbCache(root, source);
}

/** SQLite's integrity check of the local store in `dataDir` (for `support doctor`); it creates nothing. */
export async function inspectLocalStore(dataDir: string): Promise<import('./local/health.js').LocalStoreHealth> {
  return (await import('./local/health.js')).inspectLocalStore(dataDir);
}
