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
  // 2: the knowledge base. kb_fts holds analysed terms (see kb/text.ts), not the article
  // text, so it is contentless: snippets are cut from kb_articles.body. Every write takes the
  // next change_seq (kept in kb_meta), and deleted slugs stay in kb_tombstones, so that a
  // sync asks for "everything after seq N" and hears of deletions too.
  `
  CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    locale TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    url TEXT,
    content_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    change_seq INTEGER NOT NULL,
    -- Long text last: filters on the columns above never walk the body's overflow pages.
    title TEXT NOT NULL,
    -- The Markdown, deflated (kb/store.ts): articles of about 2 KB would otherwise fill one
    -- 4 KB page each and double the file; deflated they are a third of that.
    body_z BLOB NOT NULL
  );
  CREATE INDEX kb_articles_changes ON kb_articles (change_seq);
  CREATE TABLE kb_tombstones (
    slug TEXT PRIMARY KEY,
    id INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL,
    change_seq INTEGER NOT NULL
  );
  CREATE INDEX kb_tombstones_changes ON kb_tombstones (change_seq);
  CREATE VIRTUAL TABLE kb_fts USING fts5 (
    title, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
  );
  CREATE VIRTUAL TABLE kb_vocab USING fts5vocab (kb_fts, 'row');
  -- Each term with the number of articles that hold it, kept by kb/store.ts on every write.
  -- Typo, compound and prefix lookups probe hundreds of candidates per query; kb_vocab would
  -- count each one by walking its whole doclist. A term whose count fell to 0 stays, unused.
  CREATE TABLE kb_terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE kb_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 3: SLA policy sets, one row per import, kept in the policy file's own format (validated again
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
  // 4: the stable ids of the people behind requester, assignee, comment authors and event
  // actors. Names stay for people to read; ownership goes by id. The reference server writes
  // its tokens' principals here (src/server/state.ts); the local backend has no ids and leaves
  // them NULL, as does a row of an older server store whose writer could not be told apart
  // (docs/protocol.md, "Upgrading a server's store").
  `
  ALTER TABLE tickets ADD COLUMN requester_id TEXT;
  ALTER TABLE tickets ADD COLUMN assignee_id TEXT;
  ALTER TABLE comments ADD COLUMN author_id TEXT;
  ALTER TABLE events ADD COLUMN actor_id TEXT;
  CREATE INDEX tickets_by_requester_id ON tickets (requester_id, created_at DESC, id DESC) WHERE requester_id IS NOT NULL;
  CREATE INDEX tickets_by_assignee_id ON tickets (assignee_id, created_at DESC, id DESC) WHERE assignee_id IS NOT NULL;
  `,
  // 5: the knowledge base's ranking index (kb/postings.ts): each term's articles with their
  // field counts, 1,024 ids to a row, and each article's field lengths and language, 4,096 to a
  // row. Filled from kb_articles by kb/store.ts on first use, since analysis runs in JavaScript.
  `
  CREATE TABLE kb_postings (term TEXT NOT NULL, blk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (term, blk)) WITHOUT ROWID;
  CREATE TABLE kb_norms (blk INTEGER PRIMARY KEY, data BLOB NOT NULL);
  -- The fields each term was ever seen in (1 title, 2 body, 4 tags): a bound on its score that
  -- lets a query skip articles that cannot make the top (kb/rank.ts).
  ALTER TABLE kb_terms ADD COLUMN fields INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: a ticket's version, one more on every change: what an ETag of the reference server is made of.
  `
  ALTER TABLE tickets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
  `,
  // 7: a ticket's id in the system it was migrated from (unique where set), and the order of
  // last change, for incremental exports (updatedSince, sort by updatedAt).
  `
  ALTER TABLE tickets ADD COLUMN external_id TEXT;
  CREATE UNIQUE INDEX tickets_by_external_id ON tickets (external_id) WHERE external_id IS NOT NULL;
  CREATE INDEX tickets_by_update ON tickets (updated_at, id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the store to `target` (the latest by default; the tests build older stores with a lower one). */
export function migrate(db: DatabaseSync, target = SCHEMA_VERSION): void {
  const current = () => (db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version;
  if (current() >= target) return;
  writeTransaction(db, () => {
    // Read again inside the lock: another process may have migrated meanwhile.
    for (let version = current(); version < target; version++) {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}
