/**
 * Syslog lines and devices on the fleet store.
 *
 * Lines: MergeTree ordered by (device, receive time, id), one partition per UTC day, so a device's
 * recent lines are a short range read and retention drops whole days. Every row carries a
 * fingerprint the server computes on insert (cityHash64 of device, raw bytes, and the receive time
 * in 10 s steps when the line has no timestamp of its own): phones and relays that send the same datagram to two collectors give two
 * rows with one fingerprint, and every read keeps one of them.
 *
 * Devices: each collector writes its own counts for a device (ReplacingMergeTree by (id,
 * collector)), so collectors never overwrite each other; the fleet's view sums them.
 *
 * Search: the words and phrases of search-text.ts as case-insensitive substrings. 18.16 has no
 * data-skipping index, so a search reads the message column of the rows its other filters leave;
 * on a server that has them (20.x and later) a token bloom filter lets single words skip granules.
 */
import type { PhoneModule } from '../../../parsers/phone-module.js';
import type { SdElement, SyslogFormat } from '../../../parsers/syslog.js';
import type { IdSource } from '../ids.js';
import { codeOrNull, numberOrNull, rawOf, messageOf } from '../log-columns.js';
import { searchTerms } from '../search-text.js';
import type {
  DeviceRecord, LogQuery, LogSource, LogStore, LogWrite, RetentionPolicy, RetentionResult, StoreStats, StoredLog,
} from '../types.js';
import { describe, type ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import { waitForMutations } from './mutations.js';
import { int, list, str } from './sql.js';
import { TsvWriter } from './tsv.js';

const LOG_COLUMNS = ['id', 'received_ms', 'device_id', 'source', 'format', 'facility', 'severity', 'device_time', 'device_ts', 'hostname',
  'app', 'pid', 'msgid', 'module', 'seq', 'sid', 'message', 'raw', 'structured_data', 'warnings', 'import_id'];
const DEVICE_COLUMNS = ['id', 'collector', 'version', 'address', 'mac', 'model', 'firmware', 'hostname', 'first_seen', 'last_seen', 'logs',
  'seq_gaps', 'seq_out_of_order', 'modules'];
/** Lines without a device timestamp count as the same line when their copies arrive within this. */
const UNTIMED_DUPLICATE_WINDOW_MS = 10_000;
const DAY_MS = 86_400_000;

interface LogRow {
  id: number; received_ms: number; device_id: number; source: string; format: string; facility: number | null; severity: number | null;
  device_time: string | null; device_ts: number | null; hostname: string | null; app: string | null; pid: string | null; msgid: string | null;
  module: string; seq: number | null; sid: string | null; message: string; raw: string; structured_data: string; warnings: string[];
  import_id: number | null;
}

interface DeviceRow {
  id: number; collector: number; address: string; mac: string | null; model: string | null; firmware: string | null; hostname: string | null;
  first_seen: number; last_seen: number; logs: number; seq_gaps: number; seq_out_of_order: number; modules: string;
}

export class ClickHouseLogs implements LogStore {
  private readonly versions: IdSource;

  constructor(private readonly ctx: FleetContext) {
    this.versions = ctx.ids();
  }

  static tables(f: ServerFeatures): string[] {
    const tables = [
      `CREATE TABLE IF NOT EXISTS logs (
        id UInt64, received_ms Int64, received DateTime MATERIALIZED toDateTime(intDiv(received_ms, 1000)),
        device_id UInt64, source String, format String, facility Nullable(UInt8), severity Nullable(UInt8),
        device_time Nullable(String), device_ts Nullable(Int64), hostname Nullable(String), app Nullable(String), pid Nullable(String),
        msgid Nullable(String), module String, seq Nullable(Int64), sid Nullable(String), message String, raw String,
        structured_data String, warnings Array(String), import_id Nullable(UInt64),
        fingerprint UInt64 MATERIALIZED cityHash64(device_id, raw, if(isNull(device_ts), intDiv(received_ms, ${int(UNTIMED_DUPLICATE_WINDOW_MS)}), 0))
      ) ENGINE = MergeTree PARTITION BY toYYYYMMDD(received) ORDER BY (device_id, received_ms, id)`,
      `CREATE TABLE IF NOT EXISTS devices (
        id UInt64, collector UInt8, version UInt64, address String, mac Nullable(String), model Nullable(String), firmware Nullable(String),
        hostname Nullable(String), first_seen Int64, last_seen Int64, logs UInt64, seq_gaps UInt64, seq_out_of_order UInt64, modules String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (id, collector)`,
    ];
    if (f.skippingIndexes) tables.push('ALTER TABLE logs ADD INDEX IF NOT EXISTS message_tokens lower(message) TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 4');
    return tables;
  }

  async loadDevices(): Promise<DeviceRecord[]> {
    const rows = await this.ctx.db.rows<DeviceRow>(`SELECT ${DEVICE_COLUMNS.join(', ')} FROM devices FINAL WHERE collector = ${int(this.ctx.slot)}`);
    return rows.map(toDevice);
  }

  async fleetDevices(): Promise<DeviceRecord[]> {
    const rows = await this.ctx.db.rows<DeviceRow>(`SELECT ${DEVICE_COLUMNS.join(', ')} FROM devices FINAL ORDER BY id, last_seen`);
    const merged = new Map<number, DeviceRecord>();
    for (const row of rows) {
      const d = toDevice(row);
      const m = merged.get(d.id);
      if (!m) {
        merged.set(d.id, d);
        continue;
      }
      // Rows come oldest last-seen first: a newer collector's facts win where it has them.
      const modules: Record<string, number> = { ...m.modules };
      for (const [k, v] of Object.entries(d.modules)) modules[k] = (modules[k] ?? 0) + v;
      merged.set(d.id, {
        id: d.id, address: d.address, mac: d.mac ?? m.mac, model: d.model ?? m.model, firmware: d.firmware ?? m.firmware, hostname: d.hostname ?? m.hostname,
        firstSeen: Math.min(m.firstSeen, d.firstSeen), lastSeen: Math.max(m.lastSeen, d.lastSeen),
        logs: m.logs + d.logs, seqGaps: m.seqGaps + d.seqGaps, seqOutOfOrder: m.seqOutOfOrder + d.seqOutOfOrder, modules,
      });
    }
    return [...merged.values()];
  }

  /** Two INSERTs (lines, then devices): a batch is durable once both return. */
  async write(batch: LogWrite): Promise<void> {
    const c = batch.logs;
    if (c.n > 0) {
      const w = new TsvWriter();
      const t = c.text;
      for (let i = 0; i < c.n; i++) {
        // Capture times from imports can carry fractions of a millisecond; the column is whole ms.
        w.row([c.id[i]!, Math.round(c.receivedAt[i]!), c.deviceId[i]!, t.source[i]!, t.format[i]!, codeOrNull(c.facility[i]!), codeOrNull(c.severity[i]!), t.deviceTime[i]!,
          Number.isNaN(c.deviceTs[i]!) ? null : Math.round(c.deviceTs[i]!), t.hostname[i]!, t.app[i]!, t.pid[i]!, t.msgid[i]!, t.module[i]!, numberOrNull(c.seq[i]!), t.sid[i]!,
          messageOf(c, i), rawOf(c, i), t.sd[i] ?? '', t.warnings[i] ? JSON.parse(t.warnings[i]!) as string[] : [], numberOrNull(c.importId[i]!)]);
      }
      await this.ctx.db.insertTsv('logs', LOG_COLUMNS, w.take());
    }
    if (batch.devices.length > 0) {
      const w = new TsvWriter();
      for (const d of batch.devices) {
        w.row([d.id, this.ctx.slot, this.versions.next(), d.address, d.mac, d.model, d.firmware, d.hostname, d.firstSeen, d.lastSeen, d.logs,
          d.seqGaps, d.seqOutOfOrder, JSON.stringify(d.modules)]);
      }
      await this.ctx.db.insertTsv('devices', DEVICE_COLUMNS, w.take());
    }
  }

  /**
   * Two steps: the ids of the page (reading only the key columns), then those rows whole, so a
   * page never reads the message and raw bytes of every line the filters leave.
   */
  async queryLogs(q: LogQuery): Promise<StoredLog[]> {
    const where = this.conditions(q);
    const order = q.afterId !== undefined ? 'ASC' : 'DESC';
    const keys = await this.ctx.db.rows<{ id: number; device_id: number; received_ms: number }>(
      `SELECT id, device_id, received_ms FROM logs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id ${order} LIMIT 1 BY fingerprint LIMIT ${int(q.limit)}`);
    if (keys.length === 0) return [];
    const times = keys.map((k) => k.received_ms);
    const rows = await this.ctx.db.rows<LogRow>(
      `SELECT ${selectColumns()} FROM logs
       WHERE device_id IN ${list([...new Set(keys.map((k) => k.device_id))])}
         AND received_ms BETWEEN ${int(Math.min(...times))} AND ${int(Math.max(...times))} AND id IN ${list(keys.map((k) => k.id))}
       ORDER BY id ${order} LIMIT 1 BY id`);
    return rows.map(toStoredLog);
  }

  async getLog(id: number): Promise<StoredLog | null> {
    const [row] = await this.ctx.db.rows<LogRow>(`SELECT ${selectColumns()} FROM logs WHERE id = ${int(id)} LIMIT 1`);
    return row ? toStoredLog(row) : null;
  }

  async deleteImportedLogs(importId: number): Promise<number> {
    const n = await this.countWhere(`import_id = ${int(importId)}`);
    if (n === 0) return 0;
    await this.ctx.db.run(`ALTER TABLE logs DELETE WHERE import_id = ${int(importId)}`);
    await waitForMutations(this.ctx.db, ['logs']);
    return n;
  }

  /**
   * By age: whole days before the cut are dropped as partitions, the rest of the cut's day by a
   * delete. By size: the oldest days go, whole, until the lines fit (a day is the unit here).
   */
  async enforceRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult> {
    const cut = Math.floor(nowMs - policy.maxAgeMs);
    let deleted = await this.countWhere(`received_ms < ${int(cut)}`);
    const cutDay = dayId(cut);
    for (const p of await this.partitions()) if (p.day < cutDay) await this.dropPartition(p.day);
    if (await this.countWhere(`received_ms < ${int(cut)}`) > 0) {
      await this.ctx.db.run(`ALTER TABLE logs DELETE WHERE received_ms < ${int(cut)}`);
      await waitForMutations(this.ctx.db, ['logs']);
    }
    let parts = await this.partitions();
    while (parts.length > 1 && parts.reduce((s, p) => s + p.bytes, 0) > policy.maxSizeBytes) {
      deleted += parts[0]!.rows;
      await this.dropPartition(parts[0]!.day);
      parts = await this.partitions();
    }
    // Partition drops and the mutation run on the server, not under a lock our writes wait for: one call finishes.
    return { deletedLogs: deleted, sizeBytes: parts.reduce((s, p) => s + p.bytes, 0), more: false };
  }

  async stats(): Promise<StoreStats> {
    const [size] = await this.ctx.db.rows<{ bytes: number }>(
      `SELECT sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = ${str(this.ctx.db.target.database)} AND active`);
    const [count] = await this.ctx.db.rows<{ n: number }>('SELECT count() AS n FROM logs');
    return { backend: 'clickhouse', path: describe(this.ctx.db.target), sizeBytes: size?.bytes ?? 0, logs: count?.n ?? 0, searchIndexLag: 0 };
  }

  private conditions(q: LogQuery): string[] {
    const where: string[] = [];
    if (q.deviceId !== undefined) where.push(`device_id = ${int(q.deviceId)}`);
    if (q.modules && q.modules.length > 0) where.push(`module IN ${list(q.modules)}`);
    if (q.maxSeverity !== undefined) where.push(`(severity IS NULL OR severity <= ${int(q.maxSeverity)})`);
    if (q.fromMs !== undefined) where.push(`received_ms >= ${int(Math.floor(q.fromMs))}`, `received >= toDateTime(${int(Math.floor(q.fromMs / 1000))})`);
    if (q.toMs !== undefined) where.push(`received_ms <= ${int(Math.ceil(q.toMs))}`, `received <= toDateTime(${int(Math.ceil(q.toMs / 1000))})`);
    if (q.beforeId !== undefined) where.push(`id < ${int(q.beforeId)}`);
    if (q.afterId !== undefined) where.push(`id > ${int(q.afterId)}`);
    if (q.importId !== undefined) where.push(`import_id = ${int(q.importId)}`);
    if (q.text !== undefined && q.text.trim() !== '') where.push(this.textCondition(q.text));
    return where;
  }

  private textCondition(text: string): string {
    const alternatives = searchTerms(text).map((terms) => terms.map((t) => {
      const found = `positionCaseInsensitiveUTF8(message, ${str(t.text)}) ${t.exclude ? '=' : '>'} 0`;
      // A token the bloom filter can answer narrows the granules read before the substring test.
      return this.ctx.db.features.hasToken && !t.exclude && /^[a-z0-9]+$/.test(t.text) ? `hasToken(lower(message), ${str(t.text)}) AND ${found}` : found;
    }).join(' AND '));
    return `((${alternatives.join(') OR (')}))`;
  }

  private async countWhere(condition: string): Promise<number> {
    const [r] = await this.ctx.db.rows<{ n: number }>(`SELECT count() AS n FROM (SELECT fingerprint FROM logs WHERE ${condition} LIMIT 1 BY fingerprint)`);
    return r?.n ?? 0;
  }

  /** The logs' day partitions, oldest first. */
  private async partitions(): Promise<Array<{ day: number; rows: number; bytes: number }>> {
    const rows = await this.ctx.db.rows<{ partition: string; rows: number; bytes: number }>(
      `SELECT partition, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
       WHERE database = ${str(this.ctx.db.target.database)} AND table = 'logs' AND active GROUP BY partition ORDER BY partition`);
    return rows.map((r) => ({ day: Number(r.partition), rows: r.rows, bytes: r.bytes }));
  }

  private async dropPartition(day: number): Promise<void> {
    await this.ctx.db.run(`ALTER TABLE logs DROP PARTITION ${int(day)}`);
  }
}

function dayId(ms: number): number {
  const d = new Date(Math.floor(ms / DAY_MS) * DAY_MS);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function selectColumns(): string {
  return LOG_COLUMNS.map((c) => (c === 'raw' ? 'hex(raw) AS raw' : c)).join(', ');
}

function toStoredLog(r: LogRow): StoredLog {
  return {
    id: r.id, receivedAt: r.received_ms, deviceId: r.device_id, source: r.source as LogSource, format: r.format as SyslogFormat,
    facility: r.facility, severity: r.severity, deviceTime: r.device_time, deviceTs: r.device_ts, hostname: r.hostname, app: r.app,
    pid: r.pid, msgid: r.msgid, module: r.module as PhoneModule, seq: r.seq, sid: r.sid, message: r.message,
    raw: new Uint8Array(Buffer.from(r.raw, 'hex')),
    structuredData: r.structured_data ? (JSON.parse(r.structured_data) as SdElement[]) : null,
    warnings: r.warnings, importId: r.import_id,
  };
}

function toDevice(r: DeviceRow): DeviceRecord {
  return {
    id: r.id, address: r.address, mac: r.mac, model: r.model, firmware: r.firmware, hostname: r.hostname, firstSeen: r.first_seen,
    lastSeen: r.last_seen, logs: r.logs, seqGaps: r.seq_gaps, seqOutOfOrder: r.seq_out_of_order, modules: JSON.parse(r.modules) as Record<string, number>,
  };
}
