import {join} from 'node:path';

import type {Backend, BackendOptions, Capability} from '../backend.js';
import {LocalSla} from '../../store/embedded/sla.js';
import {LocalKbApi} from '../../store/embedded/kb/api.js';
import {openLocalStore} from '../../store/embedded/store.js';
import {LocalTickets} from '../../store/embedded/tickets.js';

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'tickets',
  'comments',
  'internal-comments',
  'attachments',
  'events',
  'sla',
  'sla-policies',
  'kb',
  'kb-write',
  'kb-sync',
  'idempotent-create',
  'custom-fields',
  'conditional-update',
  'external-id',
  'updated-since',
]);

/** The directory of the embedded store inside the CLI's data directory. */
export const localStoreRoot = (dataDir: string) => join(dataDir, 'local');

export async function createLocalBackend(options: BackendOptions): Promise<Backend> {
  const store = await openLocalStore(localStoreRoot(options.dataDir));
  return {
    kind: 'local',
    capabilities: CAPABILITIES,
    location: store.file,
    tickets: new LocalTickets(store, options.identity),
    sla: new LocalSla(store),
    // Seeds the built-in help articles on first use, so a fresh machine has answers.
    kb: new LocalKbApi(async () => (await import('../../store/embedded/kb/builtin.js')).openLocalKb(store)),
    whoami: async () => options.identity,
    close: async () => store.close(),
  };
}
