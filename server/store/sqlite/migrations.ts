/**
 * Schemas by domain (logs, recordings, quality, …), each with its own version in `schema_versions`,
 * so each domain's tables evolve on their own. Migrations of a schema run in order, one
 * transaction each; a database from a newer collector is refused rather than guessed at.
 */
import type { Database as Db } from 'better-sqlite3';

export interface Schema {
  readonly name: string;
  readonly migrations: readonly string[];
}

export const LOGS_SCHEMA: Schema = {
  name: 'logs',
  migrations: [
    // 1: devices, logs, full-text index over log text (filled behind the writes, see database.ts).
    `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('fts_indexed_upto', 0);
    CREATE TABLE devices (
      id INTEGER PRIMARY KEY,
      address TEXT NOT NULL UNIQUE,
      mac TEXT, model TEXT, firmware TEXT, hostname TEXT,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
      logs INTEGER NOT NULL DEFAULT 0,
      seq_gaps INTEGER NOT NULL DEFAULT 0,
      seq_out_of_order INTEGER NOT NULL DEFAULT 0,
      modules TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE logs (
      id INTEGER PRIMARY KEY,
      received_at INTEGER NOT NULL,
      device_id INTEGER NOT NULL,
      source TEXT NOT NULL,
      format TEXT NOT NULL,
      facility INTEGER, severity INTEGER,
      device_time TEXT, device_ts INTEGER,
      hostname TEXT, app TEXT, pid TEXT, msgid TEXT,
      module TEXT NOT NULL,
      seq INTEGER, sid TEXT,
      message TEXT NOT NULL,
      raw BLOB NOT NULL,
      sd TEXT, warnings TEXT
    );
    CREATE INDEX logs_received_at ON logs(received_at);
    CREATE INDEX logs_device ON logs(device_id, id);
    CREATE INDEX logs_module ON logs(module, id);
    CREATE INDEX logs_sid ON logs(sid) WHERE sid IS NOT NULL;
    -- Contentless: the text lives once, in logs. Migration 3 makes this the first part of the index.
    CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='', contentless_delete=1, tokenize='unicode61');
    `,
    // 2: lines from an imported capture carry its id, so an import can be told apart and removed.
    `
    ALTER TABLE logs ADD COLUMN import_id INTEGER;
    CREATE INDEX logs_import ON logs(import_id) WHERE import_id IS NOT NULL;
    `,
    // 3: the search index in parts that retention drops whole (see search-index.ts); the one index
    // so far becomes the first part, its lines counted by the highest id it covers.
    `
    ALTER TABLE logs_fts RENAME TO logs_fts_0;
    CREATE TABLE logs_fts_parts (part INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, lines INTEGER NOT NULL);
    INSERT INTO logs_fts_parts (part, first_id, lines) SELECT 0, 0, value FROM meta WHERE key = 'fts_indexed_upto';
    `,
    // 4: a message that is the tail of its raw bytes is kept once, as where it begins in them
    // (msg_at, with message left empty); body reads the text either way. Text bound and stored twice
    // cost a third of the insert and 200 bytes a line.
    `
    ALTER TABLE logs ADD COLUMN msg_at INTEGER;
    ALTER TABLE logs ADD COLUMN body TEXT GENERATED ALWAYS AS
      (CASE WHEN msg_at IS NULL THEN message ELSE CAST(substr(raw, msg_at + 1) AS TEXT) END) VIRTUAL;
    `,
  ],
};

export function migrate(db: Db, file: string, schemas: readonly Schema[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const current = db.prepare('SELECT version FROM schema_versions WHERE name = ?');
  const record = db.prepare('INSERT INTO schema_versions (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version');
  for (const schema of schemas) {
    const version = (current.get(schema.name) as { version: number } | undefined)?.version ?? 0;
    if (version > schema.migrations.length) {
      throw new Error(`database ${file} has ${schema.name} schema version ${version}, newer than this collector knows (${schema.migrations.length}); upgrade the collector`);
    }
    for (let v = version; v < schema.migrations.length; v++) {
      db.transaction(() => {
        db.exec(schema.migrations[v]!);
        record.run(schema.name, v + 1);
      })();
    }
  }
}
