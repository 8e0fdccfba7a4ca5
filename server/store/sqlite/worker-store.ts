/**
 * The SQLite backend behind a worker thread: inserts and full-text queries use the second core and
 * never stall the sockets on the main thread.
 */
import { Worker } from 'node:worker_threads';
import type { StoreMethod, StoreRequest, StoreResponse } from './worker.js';
import { countingRowIds } from './row-ids.js';
import { domainStores, type DomainStores } from './domains.js';
import {
  QueryError, type DeviceRecord, type LogQuery, type LogWrite, type RetentionPolicy, type RetentionResult, type Store,
  type StoreStats, type StoredLog,
} from '../types.js';

export class WorkerSqliteStore implements Store {
  private nextRequestId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | null = null;
  readonly calls: DomainStores['calls'];
  readonly recordings: DomainStores['recordings'];
  readonly crashes: DomainStores['crashes'];
  readonly symbols: DomainStores['symbols'];
  readonly imports: DomainStores['imports'];
  readonly auth: DomainStores['auth'];
  readonly alerts: DomainStores['alerts'];
  readonly shared = false;
  private readonly recordingIds: DomainStores['recordingIds'];

  private constructor(private readonly worker: Worker) {
    ({ calls: this.calls, recordings: this.recordings, crashes: this.crashes, symbols: this.symbols, imports: this.imports, auth: this.auth, alerts: this.alerts, recordingIds: this.recordingIds } =
      domainStores((name, method, args) => this.call('domainCall', [name, method, args])));
    worker.on('message', (res: StoreResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.value);
      else p.reject(res.queryError ? new QueryError(res.message) : new Error(res.message));
    });
    const fail = (err: Error) => {
      this.exited = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`store worker exited (code ${code})`)));
  }

  static open(file: string, workerUrl: URL): Promise<WorkerSqliteStore> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, { workerData: { file } });
      const onReady = (res: StoreResponse) => {
        worker.off('error', reject);
        if (res.ok) resolve(new WorkerSqliteStore(worker));
        else reject(new Error(res.message));
      };
      worker.once('message', onReady);
      worker.once('error', reject);
    });
  }

  private call<T>(method: StoreMethod, args: unknown[] = [], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies StoreRequest, transfer);
    });
  }

  async rowIds() { return countingRowIds(await this.call<{ log: number; device: number }>('nextIds'), await this.recordingIds()); }
  loadDevices() { return this.call<DeviceRecord[]>('loadDevices'); }
  fleetDevices() { return this.loadDevices(); }
  // Cloned, not transferred: a failed write keeps its block for the retry.
  write(batch: LogWrite) { return this.call<void>('write', [batch]); }
  queryLogs(q: LogQuery) { return this.call<StoredLog[]>('queryLogs', [q]); }
  getLog(id: number) { return this.call<StoredLog | null>('getLog', [id]); }
  deleteImportedLogs(importId: number) { return this.call<number>('deleteImportedLogs', [importId]); }
  enforceRetention(p: RetentionPolicy, nowMs: number) { return this.call<RetentionResult>('enforceRetention', [p, nowMs]); }
  stats() { return this.call<StoreStats>('stats'); }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.call<void>('close');
    await this.worker.terminate();
  }
}
