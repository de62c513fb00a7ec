import {mkdirSync} from 'node:fs';

import {redactUrl} from '../../../domain/redact.js';
import type {ServerStore} from '../store.js';
import {openDatabase} from './db.js';
import {postgresKb} from './kb.js';
import {postgresSla} from './sla.js';
import {postgresIdempotency, postgresRateLimits, postgresTokens} from './state.js';
import {postgresEvents, postgresTickets, removeAbandonedBlobs} from './tickets.js';
import {postgresWebhooks} from './webhooks.js';

export interface PostgresStoreOptions {
  url: string;
  /** This instance's own directory: only the knowledge-base search index lives there. */
  dataDir: string;
  now: () => number;
  log?: ((line: string) => void) | undefined;
  /** Connections this instance keeps open at most. */
  poolSize?: number | undefined;
}

export const DEFAULT_POOL_SIZE = 10;

/**
 * The store on PostgreSQL: everything in the database, so that any number of instances on it
 * behave as one server. Writes are transactions; where the SQLite store takes its write lock
 * up front (BEGIN IMMEDIATE), this one locks the rows it changes (SELECT ... FOR UPDATE) or,
 * for what must be one sequence across instances (event ids, knowledge-base changes, token
 * names), an advisory lock held to COMMIT.
 */
export async function openPostgresServerStore(options: PostgresStoreOptions): Promise<ServerStore> {
  const db = await openDatabase(options.url, options.poolSize ?? DEFAULT_POOL_SIZE);
  try {
    mkdirSync(options.dataDir, {recursive: true, mode: 0o700});
    const abandoned = await removeAbandonedBlobs(db, options.now());
    if (abandoned > 0) options.log?.(`removed ${abandoned} unfinished upload${abandoned === 1 ? '' : 's'} left by an instance that stopped mid-upload`);
    const kb = await postgresKb(db, options.dataDir, options.now);
    const events = postgresEvents(db);
    return {
      kind: 'postgres',
      location: redactUrl(options.url),
      tickets: postgresTickets(db, options.now),
      events,
      kb,
      sla: postgresSla(db, options.now),
      tokens: postgresTokens(db, options.now),
      idempotency: postgresIdempotency(db, options.now),
      rateLimits: postgresRateLimits(db),
      webhooks: postgresWebhooks(db, options.now, events),
      close: async () => {
        kb.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
