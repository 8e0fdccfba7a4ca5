/**
 * The SQLite backend on the calling thread, for tests and tools that run from TypeScript source.
 * It indexes each batch for search at once, so what it wrote is searchable when `write` resolves.
 */
import { FTS_INDEX_CHUNK_ROWS, SqliteDatabase } from './database.js';
import type { LogQuery, LogWrite, RetentionPolicy, Store } from '../types.js';
import { countingRowIds } from './row-ids.js';
import { domainStores, type DomainStores } from './domains.js';

export class DirectSqliteStore implements Store {
  private readonly db: SqliteDatabase;
  readonly calls: DomainStores['calls'];
  readonly recordings: DomainStores['recordings'];
  readonly crashes: DomainStores['crashes'];
  readonly symbols: DomainStores['symbols'];
  readonly imports: DomainStores['imports'];
  readonly auth: DomainStores['auth'];
  readonly alerts: DomainStores['alerts'];
  readonly shared = false;
  private readonly recordingIds: DomainStores['recordingIds'];

  constructor(file: string) {
    this.db = new SqliteDatabase(file);
    const domains = this.db.domains as unknown as Record<string, Record<string, (...args: unknown[]) => unknown>>;
    ({ calls: this.calls, recordings: this.recordings, crashes: this.crashes, symbols: this.symbols, imports: this.imports, auth: this.auth, alerts: this.alerts, recordingIds: this.recordingIds } =
      domainStores(async (name, method, args) => domains[name]![method]!.apply(domains[name], args)));
  }

  async rowIds() { return countingRowIds(this.db.nextIds(), await this.recordingIds()); }
  async loadDevices() { return this.db.loadDevices(); }
  async fleetDevices() { return this.db.loadDevices(); }
  async write(batch: LogWrite) {
    this.db.write(batch.logs, batch.devices);
    while (this.db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
  }
  async queryLogs(q: LogQuery) { return this.db.queryLogs(q); }
  async getLog(id: number) { return this.db.getLog(id); }
  async deleteImportedLogs(importId: number) { return this.db.deleteImportedLogs(importId); }
  async enforceRetention(p: RetentionPolicy, nowMs: number) { return this.db.enforceRetention(p, nowMs); }
  async stats() { return this.db.stats(); }

  async close() { this.db.close(); }
}
