/**
 * The store's domains beyond logs (recordings, quality reports, crashes, …). Each domain brings a
 * schema and a synchronous class over the shared connection; the worker answers calls to it by
 * name, and `Store.domain(name)` gives its promise-based face. Adding a domain is one entry here.
 */
import type { Database as Db } from 'better-sqlite3';
import type { Schema } from './migrations.js';
import { AUTH_SCHEMA, AuthTables } from './auth.js';
import { CALLS_SCHEMA, CallsTables } from './calls.js';
import { CRASHES_SCHEMA, CrashesTables } from './crashes.js';
import { IMPORTS_SCHEMA, ImportsTables } from './imports.js';
import { RECORDINGS_SCHEMA, RecordingsTables } from './recordings.js';

export interface StoreDomain {
  readonly schema: Schema;
  /** Builds the domain's tables object over an open, migrated connection. */
  open(db: Db): object;
}

export const DOMAINS: Readonly<Record<string, StoreDomain>> = {
  calls: { schema: CALLS_SCHEMA, open: (db) => new CallsTables(db) },
  recordings: { schema: RECORDINGS_SCHEMA, open: (db) => new RecordingsTables(db) },
  crashes: { schema: CRASHES_SCHEMA, open: (db) => new CrashesTables(db) },
  // After calls: its removal of an import's calls uses their tables.
  imports: { schema: IMPORTS_SCHEMA, open: (db) => new ImportsTables(db) },
  auth: { schema: AUTH_SCHEMA, open: (db) => new AuthTables(db) },
};
