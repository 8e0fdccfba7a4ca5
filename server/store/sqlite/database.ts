/**
 * The SQLite backend, synchronous (better-sqlite3). It runs inside the store worker so that
 * writes and queries never hold up the sockets on the main thread.
 */
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { DOMAINS } from './domains.js';
import { LOGS_SCHEMA, migrate } from './migrations.js';
import { RECORDINGS_SCHEMA_NAME } from './recordings.js';
import { LogSearchIndex } from './search-index.js';
import { filePages, vacuumBeyondSlack } from './vacuum.js';
import { searchTerms } from '../search-text.js';
import { codeOrNull, numberOrNull, rawOf, type LogColumns } from '../log-columns.js';
import {
  QueryError, type DeviceRecord, type LogQuery, type RetentionPolicy, type RetentionResult,
  type StoreStats, type StoredLog,
} from '../types.js';
import type { PhoneModule } from '../../../parsers/phone-module.js';
import type { SyslogFormat } from '../../../parsers/syslog.js';
import type { LogSource } from '../types.js';

/** Rows removed per retention step, so one step never holds the write lock for long. */
const RETENTION_CHUNK_ROWS = 20_000;
/** Longest one retention call works before it lets writes in. */
const RETENTION_SLICE_MS = 200;
/** How long a measurement of the other domains' bytes stands (they change slowly next to the logs). */
const OTHER_BYTES_TTL_MS = 10 * 60_000;
/**
 * Search indexing costs more than the insert itself (measured: 200k rows/s plain, 60k/s with
 * FTS5), so lines are written first and indexed in the background. Queries cover the not yet
 * indexed tail with a plain scan, so a search never misses a stored line.
 */
export const FTS_INDEX_CHUNK_ROWS = 2000;

/** A line's columns as read back: the text once, as `body`, never also the `message` it may be kept in. */
const LOG_COLUMNS = ['id', 'received_at', 'device_id', 'source', 'format', 'facility', 'severity', 'device_time', 'device_ts', 'hostname',
  'app', 'pid', 'msgid', 'module', 'seq', 'sid', 'body', 'raw', 'sd', 'warnings', 'import_id'];
const LOG_SELECT = LOG_COLUMNS.map((c) => `l.${c}`).join(', ');

interface LogRow {
  id: number; received_at: number; device_id: number; source: string; format: string;
  facility: number | null; severity: number | null; device_time: string | null; device_ts: number | null;
  hostname: string | null; app: string | null; pid: string | null; msgid: string | null; module: string;
  seq: number | null; sid: string | null; body: string; raw: Buffer; sd: string | null; warnings: string | null;
  import_id: number | null;
}

interface DeviceRow {
  id: number; address: string; mac: string | null; model: string | null; firmware: string | null;
  hostname: string | null; first_seen: number; last_seen: number; logs: number; seq_gaps: number;
  seq_out_of_order: number; modules: string;
}

export class SqliteDatabase {
  private readonly db: Db;
  private readonly insertLog: Statement;
  private readonly upsertDevice: Statement;
  private readonly searchIndex: LogSearchIndex;
  /**
   * Lines stored, counted once at open and kept with each write and delete: /api/health asks every
   * couple of seconds while a dashboard is open, and COUNT(*) over millions of lines took the worker
   * a tenth of a second each time.
   */
  private lineCount: number;
  private otherBytesMeasured: { bytes: number; at: number } | null = null;
  /** The other domains' tables, by name (see domains.ts). */
  readonly domains: Readonly<Record<string, object>>;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.prepare(`ATTACH DATABASE ? AS ${RECORDINGS_SCHEMA_NAME}`).run(recordingsFileOf(file));
    for (const schema of ['main', RECORDINGS_SCHEMA_NAME]) {
      // auto_vacuum must be chosen before the first table exists; it lets retention shrink the file.
      this.db.pragma(`${schema}.auto_vacuum = INCREMENTAL`);
      this.db.pragma(`${schema}.journal_mode = WAL`);
      // Migrations move tables between the files, which commit one by one: each commit is made durable.
      this.db.pragma(`${schema}.synchronous = FULL`);
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('wal_autocheckpoint = 8000');
    migrate(this.db, file, [LOGS_SCHEMA, ...Object.values(DOMAINS).map((d) => d.schema)]);
    for (const schema of ['main', RECORDINGS_SCHEMA_NAME]) this.db.pragma(`${schema}.synchronous = NORMAL`);
    this.domains = Object.fromEntries(Object.entries(DOMAINS).map(([name, d]) => [name, d.open(this.db)]));
    this.insertLog = this.db.prepare(`INSERT INTO logs (id, received_at, device_id, source, format, facility, severity,
      device_time, device_ts, hostname, app, pid, msgid, module, seq, sid, message, msg_at, raw, sd, warnings, import_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.upsertDevice = this.db.prepare(`INSERT INTO devices (id, address, mac, model, firmware, hostname, first_seen,
      last_seen, logs, seq_gaps, seq_out_of_order, modules) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET mac = excluded.mac, model = excluded.model, firmware = excluded.firmware,
      hostname = excluded.hostname, last_seen = excluded.last_seen, logs = excluded.logs, seq_gaps = excluded.seq_gaps,
      seq_out_of_order = excluded.seq_out_of_order, modules = excluded.modules`);
    this.searchIndex = new LogSearchIndex(this.db);
    this.lineCount = (this.db.prepare('SELECT COUNT(*) AS n FROM logs').get() as { n: number }).n;
  }

  nextIds(): { log: number; device: number } {
    // Past the index too: the index keeps entries of deleted lines, which a reused id would match.
    const log = (this.db.prepare('SELECT MAX(COALESCE(MAX(id), 0), ?) + 1 AS n FROM logs').get(this.searchIndex.indexedUpto) as { n: number }).n;
    const device = (this.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 AS n FROM devices').get() as { n: number }).n;
    return { log, device };
  }

  loadDevices(): DeviceRecord[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY id').all() as DeviceRow[]).map(toDevice);
  }

  write(logs: LogColumns, devices: readonly DeviceRecord[]): void {
    const c = logs;
    const t = c.text;
    const row: unknown[] = new Array(22);
    this.db.transaction(() => {
      for (let i = 0; i < c.n; i++) {
        row[0] = c.id[i]; row[1] = c.receivedAt[i]; row[2] = c.deviceId[i]; row[3] = t.source[i]; row[4] = t.format[i];
        row[5] = codeOrNull(c.facility[i]!); row[6] = codeOrNull(c.severity[i]!); row[7] = t.deviceTime[i]; row[8] = numberOrNull(c.deviceTs[i]!);
        row[9] = t.hostname[i]; row[10] = t.app[i]; row[11] = t.pid[i]; row[12] = t.msgid[i]; row[13] = t.module[i];
        row[14] = numberOrNull(c.seq[i]!); row[15] = t.sid[i];
        row[16] = t.message[i] ?? ''; row[17] = codeOrNull(c.messageAt[i]!);
        row[18] = rawOf(c, i);
        row[19] = t.sd[i]; row[20] = t.warnings[i]; row[21] = numberOrNull(c.importId[i]!);
        this.insertLog.run(row);
      }
      for (const d of devices) {
        this.upsertDevice.run(d.id, d.address, d.mac, d.model, d.firmware, d.hostname, d.firstSeen, d.lastSeen, d.logs,
          d.seqGaps, d.seqOutOfOrder, JSON.stringify(d.modules));
      }
    })();
    this.lineCount += c.n;
  }

  /** Indexes up to `maxRows` stored lines for search; returns how many it indexed. */
  indexPending(maxRows: number): number {
    return this.searchIndex.indexPending(maxRows, this.lineCount);
  }

  /** Stored lines not yet searchable through the index (the scan covers them meanwhile). */
  searchIndexLag(): number {
    const max = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM logs').get() as { m: number }).m;
    return Math.max(0, max - this.searchIndex.indexedUpto);
  }

  queryLogs(q: LogQuery): StoredLog[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.deviceId !== undefined) { where.push('l.device_id = ?'); params.push(q.deviceId); }
    if (q.modules && q.modules.length > 0) { where.push(`l.module IN (${q.modules.map(() => '?').join(',')})`); params.push(...q.modules); }
    if (q.maxSeverity !== undefined) { where.push('(l.severity IS NULL OR l.severity <= ?)'); params.push(q.maxSeverity); }
    if (q.fromMs !== undefined) { where.push('l.received_at >= ?'); params.push(q.fromMs); }
    if (q.toMs !== undefined) { where.push('l.received_at <= ?'); params.push(q.toMs); }
    if (q.beforeId !== undefined) { where.push('l.id < ?'); params.push(q.beforeId); }
    if (q.afterId !== undefined) { where.push('l.id > ?'); params.push(q.afterId); }
    if (q.importId !== undefined) { where.push('l.import_id = ?'); params.push(q.importId); }
    const order = q.afterId !== undefined ? 'ASC' : 'DESC';
    const select = (extraWhere: readonly string[], extraParams: readonly unknown[], from: string, limit: number, orderBy = 'l.id'): LogRow[] => {
      const conds = [...extraWhere, ...where];
      const sql = `SELECT ${LOG_SELECT} FROM ${from} ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''} ORDER BY ${orderBy} ${order} LIMIT ?`;
      return this.db.prepare(sql).all(...extraParams, ...params, limit) as LogRow[];
    };
    if (q.text === undefined || q.text.trim() === '') return select([], [], 'logs l', q.limit).map(toStoredLog);

    const upto = this.searchIndex.indexedUpto;
    const alternatives = searchTerms(q.text);
    const matches = alternatives.map((terms) => terms.map((t) => `instr(lower(l.body), ?) ${t.exclude ? '=' : '>'} 0`).join(' AND '));
    const tail = (limit: number) => select(['l.id > ?', `((${matches.join(') OR (')}))`], [upto, ...alternatives.flat().map((t) => t.text)], 'logs l', limit);
    const indexed = (match: string, limit: number) =>
      this.searchIndex.search(order, limit, (from, matchesPart, n) => select([matchesPart, 'l.id <= ?'], [match, upto], from, n, 'f.rowid'));
    const searchIndexed = (limit: number): LogRow[] => {
      if (limit <= 0) return [];
      try {
        return indexed(q.text!, limit);
      } catch {
        // People paste addresses and Call-IDs ("10.0.0.5", "a84b4c76e66710@pc33"): search them as phrases.
        const phrases = q.text!.trim().split(/\s+/).map((t) => `"${t.replace(/"/g, '""')}"`).join(' ');
        try {
          return indexed(phrases, limit);
        } catch (err2) {
          throw new QueryError(`cannot search for ${JSON.stringify(q.text)}: ${(err2 as Error).message}`);
        }
      }
    };
    // Newest first: the unindexed tail holds the newest lines; ascending order starts in the index.
    const rows = order === 'DESC'
      ? (() => { const t = tail(q.limit); return t.concat(searchIndexed(q.limit - t.length)); })()
      : (() => { const i = searchIndexed(q.limit); return i.concat(tail(q.limit - i.length)); })();
    return rows.slice(0, q.limit).map(toStoredLog);
  }

  deleteImportedLogs(importId: number): number {
    let total = 0;
    for (;;) {
      const ids = this.db.prepare('SELECT id FROM logs WHERE import_id = ? LIMIT ?').all(importId, RETENTION_CHUNK_ROWS) as Array<{ id: number }>;
      const n = this.deleteLines(ids.map((r) => r.id));
      total += n;
      if (n === 0) return total;
    }
  }

  getLog(id: number): StoredLog | null {
    const row = this.db.prepare(`SELECT ${LOG_SELECT} FROM logs l WHERE l.id = ?`).get(id) as LogRow | undefined;
    return row ? toStoredLog(row) : null;
  }

  /**
   * Deletes lines older than the age limit, then the oldest lines while the log tables outgrow
   * their size budget. Oldest means by receive time: imported captures bring old lines with new
   * ids, so id order is not time order. One call works for at most RETENTION_SLICE_MS and says
   * whether it stopped with lines still to delete: the store's writes go between the slices (a
   * store 1.5 GB over its budget held the write lock for minutes, and ingest stalled behind it).
   */
  enforceRetention(policy: RetentionPolicy, nowMs: number, sliceMs = RETENTION_SLICE_MS): RetentionResult {
    const until = performance.now() + sliceMs;
    let deleted = 0;
    let more = false;
    const cutoff = nowMs - policy.maxAgeMs;
    for (;;) {
      const n = this.deleteOldest(RETENTION_CHUNK_ROWS, cutoff);
      deleted += n;
      if (n < RETENTION_CHUNK_ROWS) break;
      if (performance.now() > until) { more = true; break; }
    }
    // Freed pages are reused by later writes, so used pages (not the file's length) measure what is kept.
    while (!more && this.usedBytes() > policy.maxSizeBytes && this.usedBytes() - this.otherBytes(nowMs) > policy.maxSizeBytes) {
      const rows = (this.db.prepare('SELECT MAX(id) - MIN(id) + 1 AS n FROM logs').get() as { n: number | null }).n ?? 0;
      // A tenth of what is left per step, so a small overshoot does not empty the store.
      const removed = this.deleteOldest(Math.max(1, Math.min(RETENTION_CHUNK_ROWS, Math.ceil(rows / 10))), Number.MAX_SAFE_INTEGER);
      deleted += removed;
      if (removed === 0) break;
      if (performance.now() > until) more = true;
    }
    vacuumBeyondSlack(this.db, 'main', policy.maxSizeBytes);
    return { deletedLogs: deleted, sizeBytes: this.fileBytes(), more };
  }

  /**
   * Bytes of the main file's other tables (calls, crashes, accounts…; recordings have a file of
   * their own), measured one b-tree at a time (dbstat reads only the b-tree its `name =` names; any
   * other filter reads the whole file) and remembered for OTHER_BYTES_TTL_MS.
   */
  private otherBytes(nowMs: number): number {
    if (this.otherBytesMeasured && nowMs - this.otherBytesMeasured.at < OTHER_BYTES_TTL_MS) return this.otherBytesMeasured.bytes;
    const names = (this.db.prepare("SELECT name FROM sqlite_schema WHERE name <> 'logs' AND name NOT LIKE 'logs\\_%' ESCAPE '\\' AND rootpage > 0").all() as Array<{ name: string }>).map((r) => r.name);
    const measure = this.db.prepare('SELECT SUM(pgsize) AS b FROM dbstat WHERE aggregate = TRUE AND name = ?');
    let bytes = 0;
    for (const name of ['sqlite_schema', ...names]) bytes += (measure.get(name) as { b: number | null }).b ?? 0;
    this.otherBytesMeasured = { bytes, at: nowMs };
    return bytes;
  }

  /** Deletes up to `limit` of the oldest lines received before `beforeMs`, with their index entries. */
  private deleteOldest(limit: number, beforeMs: number): number {
    const ids = this.db.prepare('SELECT id FROM logs WHERE received_at < ? ORDER BY received_at LIMIT ?').all(beforeMs, limit) as Array<{ id: number }>;
    return this.deleteLines(ids.map((r) => r.id));
  }

  /** Deletes these lines, and the search index's parts that covered only deleted lines, in one transaction. */
  private deleteLines(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    const list = JSON.stringify(ids);
    const deleted = this.db.transaction(() => {
      const n = this.db.prepare('DELETE FROM logs WHERE id IN (SELECT value FROM json_each(?))').run(list).changes;
      this.searchIndex.dropEmptiedParts();
      return n;
    })();
    this.lineCount -= deleted;
    return deleted;
  }

  /** Bytes the main file's pages hold (the logs and the small domains; recordings have their own file). */
  private usedBytes(): number {
    const p = filePages(this.db, 'main');
    return (p.count - p.free) * p.size;
  }

  /** Both files' length, what the store takes on disk (write-ahead logs aside). */
  private fileBytes(): number {
    return ['main', RECORDINGS_SCHEMA_NAME].reduce((bytes, schema) => {
      const p = filePages(this.db, schema);
      return bytes + p.count * p.size;
    }, 0);
  }

  stats(): StoreStats {
    return { backend: 'sqlite', path: this.file, sizeBytes: this.fileBytes(), logs: this.lineCount, searchIndexLag: this.searchIndexLag() };
  }

  close(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

function toDevice(r: DeviceRow): DeviceRecord {
  return {
    id: r.id, address: r.address, mac: r.mac, model: r.model, firmware: r.firmware, hostname: r.hostname,
    firstSeen: r.first_seen, lastSeen: r.last_seen, logs: r.logs, seqGaps: r.seq_gaps, seqOutOfOrder: r.seq_out_of_order,
    modules: JSON.parse(r.modules) as Record<string, number>,
  };
}

function toStoredLog(r: LogRow): StoredLog {
  return {
    id: r.id, receivedAt: r.received_at, deviceId: r.device_id, source: r.source as LogSource, format: r.format as SyslogFormat,
    facility: r.facility, severity: r.severity, deviceTime: r.device_time, deviceTs: r.device_ts, hostname: r.hostname,
    app: r.app, pid: r.pid, msgid: r.msgid, module: r.module as PhoneModule, seq: r.seq, sid: r.sid, message: r.body,
    raw: new Uint8Array(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength),
    structuredData: r.sd ? JSON.parse(r.sd) : null, warnings: r.warnings ? JSON.parse(r.warnings) : [],
    importId: r.import_id,
  };
}

/** The recordings' file beside the main one: `ipp-collector.sqlite` → `ipp-collector-recordings.sqlite`. */
export function recordingsFileOf(file: string): string {
  return file === ':memory:' ? file : file.replace(/(\.sqlite)?$/, '-recordings.sqlite');
}
