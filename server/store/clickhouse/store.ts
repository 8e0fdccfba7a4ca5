/**
 * The fleet store: every domain on one ClickHouse database, which several collectors share. Tables
 * are created on first start; each domain keeps its SQL in its own file.
 */
import { TimeOrderedIds } from '../ids.js';
import type { LogQuery, LogWrite, RetentionPolicy, RowIds, Store } from '../types.js';
import { ClickHouseAlerts } from './alerts.js';
import { ClickHouseAuth } from './auth.js';
import { ClickHouseCalls } from './calls.js';
import { ClickHouseDb, type ClickHouseTarget } from './connection.js';
import { fleetContext, type FleetContext } from './context.js';
import { ClickHouseCrashes } from './crashes.js';
import { ClickHouseImports } from './imports.js';
import { ClickHouseLogs } from './logs.js';
import { ClickHouseRecordings } from './recordings.js';

export interface FleetStoreOptions {
  /** `--collector-id`: 0–15, distinct per collector of one deployment. */
  readonly slot: number;
  readonly now: () => number;
}

const DOMAINS = [ClickHouseLogs, ClickHouseCalls, ClickHouseRecordings, ClickHouseCrashes, ClickHouseImports, ClickHouseAuth, ClickHouseAlerts];

export class ClickHouseStore implements Store {
  readonly shared = true;
  readonly calls: ClickHouseCalls;
  readonly recordings: ClickHouseRecordings;
  readonly crashes: ClickHouseCrashes;
  readonly symbols: ClickHouseCrashes;
  readonly imports: ClickHouseImports;
  readonly auth: ClickHouseAuth;
  readonly alerts: ClickHouseAlerts;
  private readonly logs: ClickHouseLogs;

  private constructor(private readonly ctx: FleetContext) {
    this.logs = new ClickHouseLogs(ctx);
    this.calls = new ClickHouseCalls(ctx);
    this.recordings = new ClickHouseRecordings(ctx);
    this.crashes = new ClickHouseCrashes(ctx);
    this.symbols = this.crashes;
    this.imports = new ClickHouseImports(ctx, this.calls);
    this.auth = new ClickHouseAuth(ctx);
    this.alerts = new ClickHouseAlerts(ctx);
  }

  /** Connects and creates what is missing; rejects when the server cannot be reached. */
  static async open(target: ClickHouseTarget, o: FleetStoreOptions): Promise<ClickHouseStore> {
    const db = await ClickHouseDb.connect(target);
    for (const domain of DOMAINS) for (const ddl of domain.tables(db.features)) await db.run(ddl);
    await ClickHouseCalls.addMissingColumns(db);
    await ClickHouseAuth.addMissingColumns(db);
    return new ClickHouseStore(fleetContext(db, o.slot, o.now));
  }

  async rowIds(): Promise<RowIds> {
    const { slot, now } = this.ctx;
    const shared = new TimeOrderedIds(slot, now);
    return {
      log: new TimeOrderedIds(slot, now),
      recordedCall: shared,
      recordedStream: shared,
      forImport: () => ({ call: shared, stream: shared }),
      newDeviceId: deviceIdOf,
    };
  }

  loadDevices() { return this.logs.loadDevices(); }
  fleetDevices() { return this.logs.fleetDevices(); }
  write(batch: LogWrite) { return this.logs.write(batch); }
  queryLogs(q: LogQuery) { return this.logs.queryLogs(q); }
  getLog(id: number) { return this.logs.getLog(id); }
  deleteImportedLogs(importId: number) { return this.logs.deleteImportedLogs(importId); }
  enforceRetention(p: RetentionPolicy, nowMs: number) { return this.logs.enforceRetention(p, nowMs); }
  stats() { return this.logs.stats(); }

  async close(): Promise<void> {
    await this.ctx.db.close();
  }
}

/**
 * Every collector must give a phone the same device id without asking the others: the id is a
 * 48-bit FNV-1a hash of its address (a collision among 10^5 phones has odds of about 10^-5).
 */
export function deviceIdOf(address: string): number {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(address, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return Number(h & 0xffff_ffff_ffffn) || 1;
}
