/**
 * The SQLite backend on the calling thread, for tests and tools that run from TypeScript source.
 * It indexes each batch for search at once, so what it wrote is searchable when `write` resolves.
 */
import { FTS_INDEX_CHUNK_ROWS, SqliteDatabase } from './database.js';
import type { Async, DeviceRecord, LogQuery, LogRecord, RetentionPolicy, Store } from '../types.js';

export class DirectSqliteStore implements Store {
  private readonly db: SqliteDatabase;

  constructor(file: string) {
    this.db = new SqliteDatabase(file);
  }

  async nextIds() { return this.db.nextIds(); }
  async loadDevices() { return this.db.loadDevices(); }
  async write(batch: { logs: readonly LogRecord[]; devices: readonly DeviceRecord[] }) {
    this.db.write(batch.logs, batch.devices);
    while (this.db.indexPending(FTS_INDEX_CHUNK_ROWS) > 0);
  }
  async queryLogs(q: LogQuery) { return this.db.queryLogs(q); }
  async getLog(id: number) { return this.db.getLog(id); }
  async deleteImportedLogs(importId: number) { return this.db.deleteImportedLogs(importId); }
  async enforceRetention(p: RetentionPolicy, nowMs: number) { return this.db.enforceRetention(p, nowMs); }
  async stats() { return this.db.stats(); }

  domain<T extends object>(name: string): Async<T> {
    const target = this.db.domains[name] as Record<string, (...args: unknown[]) => unknown> | undefined;
    if (!target) throw new Error(`no store domain "${name}"`);
    return new Proxy({}, {
      get: (_, method: string) => async (...args: unknown[]) => target[method]!.apply(target, args),
    }) as Async<T>;
  }
  async close() { this.db.close(); }
}
