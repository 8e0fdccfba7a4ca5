/**
 * The store's domains beyond logs (recordings, calls, crashes, …). Each domain brings a schema and
 * a synchronous class over the shared connection; the worker answers calls to it by name, and the
 * stores expose each as its typed contract (../*-store.ts), every method async.
 */
import type { Database as Db } from 'better-sqlite3';
import type { AlertStore } from '../alert-store.js';
import type { AuthStore } from '../auth-store.js';
import type { CallStore } from '../call-store.js';
import type { CrashStore, SymbolStore } from '../crash-store.js';
import type { ImportStore } from '../import-store.js';
import type { RecordingStore } from '../recording-store.js';
import type { Schema } from './migrations.js';
import { ALERTS_SCHEMA, AlertsTables } from './alerts.js';
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

export const DOMAINS = {
  calls: { schema: CALLS_SCHEMA, open: (db: Db) => new CallsTables(db) },
  recordings: { schema: RECORDINGS_SCHEMA, open: (db: Db) => new RecordingsTables(db) },
  crashes: { schema: CRASHES_SCHEMA, open: (db: Db) => new CrashesTables(db) },
  // After calls: its removal of an import's calls uses their tables.
  imports: { schema: IMPORTS_SCHEMA, open: (db: Db) => new ImportsTables(db) },
  auth: { schema: AUTH_SCHEMA, open: (db: Db) => new AuthTables(db) },
  alerts: { schema: ALERTS_SCHEMA, open: (db: Db) => new AlertsTables(db) },
} satisfies Record<string, StoreDomain>;

export type DomainName = keyof typeof DOMAINS;

/** A synchronous domain class seen through the store: each method returns a promise of its result. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** The typed store members, built from one function that forwards a domain's method call. */
export interface DomainStores {
  readonly calls: CallStore;
  readonly recordings: RecordingStore;
  readonly crashes: CrashStore;
  readonly symbols: SymbolStore;
  readonly imports: ImportStore;
  readonly auth: AuthStore;
  readonly alerts: AlertStore;
  /** Highest recorded call and stream ids plus one (for the store's RowIds). */
  readonly recordingIds: () => Promise<{ call: number; stream: number }>;
}

export function domainStores(call: (domain: DomainName, method: string, args: unknown[]) => Promise<unknown>): DomainStores {
  const face = <T>(name: DomainName): Async<T> => new Proxy({}, {
    get: (_, method: string) => (...args: unknown[]) => call(name, method, args),
  }) as Async<T>;
  // The classes' method signatures are checked against the contracts here.
  const calls: CallStore = face<CallsTables>('calls');
  const recordingTables = face<RecordingsTables>('recordings');
  const recordings: RecordingStore = recordingTables;
  const crashes: CrashStore & SymbolStore = face<CrashesTables>('crashes');
  const imports: ImportStore = face<ImportsTables>('imports');
  const auth: AuthStore = face<AuthTables>('auth');
  const alerts: AlertStore = face<AlertsTables>('alerts');
  return { calls, recordings, crashes, symbols: crashes, imports, auth, alerts, recordingIds: () => recordingTables.nextIds() };
}
