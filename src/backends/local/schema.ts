import type {DatabaseSync} from 'node:sqlite';

import {writeTransaction} from './sqlite.js';

/**
 * Versioned migrations, applied in order; `PRAGMA user_version` records the last one. Never
 * edit a shipped migration: add the next one.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    type TEXT NOT NULL,
    requester TEXT NOT NULL,
    assignee TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX tickets_newest ON tickets (created_at DESC, id DESC);
  CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX ticket_tags_by_tag ON ticket_tags (tag, ticket_id);
  CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    author_role TEXT NOT NULL,
    body TEXT NOT NULL,
    public INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX comments_by_ticket ON comments (ticket_id, id);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX events_by_ticket ON events (ticket_id, id);
  CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX attachments_by_ticket ON attachments (ticket_id, id);
  CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    ticket_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // SLA policy sets, one row per import, kept in the policy file's own format (validated again
  // on read). Version 1 is the built-in default as it shipped with this migration, frozen here
  // so that a later change to DEFAULT_SLA_POLICY_FILE never re-times existing tickets; it is in
  // force from the epoch, so tickets created before any import have SLA clocks too.
  `
  CREATE TABLE sla_policy_versions (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    effective_from INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    policy_file TEXT NOT NULL
  );
  CREATE INDEX sla_policy_versions_by_time ON sla_policy_versions (effective_from, version);
  INSERT INTO sla_policy_versions (effective_from, imported_at, source, policy_file) VALUES (0, 0, '(built-in default)',
    '{"calendars":[{"name":"business-hours","timezone":"UTC","hours":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]},"holidays":[]}],"policies":[{"name":"urgent","match":{"priority":["urgent"]},"calendar":"24x7","targets":{"firstResponse":"1h","nextResponse":"2h","resolution":"8h"},"pauseOn":["pending","on_hold"]},{"name":"high","match":{"priority":["high"]},"calendar":"business-hours","targets":{"firstResponse":"4h","nextResponse":"8h","resolution":"24h"},"pauseOn":["pending","on_hold"]},{"name":"standard","match":{},"calendar":"business-hours","targets":{"firstResponse":"8h","nextResponse":"16h","resolution":"40h"},"pauseOn":["pending","on_hold"]}]}');
  CREATE INDEX tickets_by_status ON tickets (status, id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: DatabaseSync): void {
  const current = () => (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version;
  if (current() >= SCHEMA_VERSION) return;
  writeTransaction(db, () => {
    // Read again inside the lock: another process may have migrated meanwhile.
    for (let version = current(); version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}
