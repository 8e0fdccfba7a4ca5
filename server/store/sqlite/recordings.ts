/**
 * The `recordings` store domain: recorded calls (summary with stream stats), their streams, series
 * and samples, and the original ACDR datagrams so captures can be exported later.
 *
 * Datagrams are kept compactly: one row per call per written batch, holding that call's datagrams
 * end to end with their arrival times, source ports and end offsets as packed arrays. At 100,000
 * datagrams a second that is a few thousand rows a second instead of 100,000, and a call's capture
 * is read back in a handful of rows. Retention drops whole calls, oldest first, by age and by size.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { CallToSave, RecordedCallQuery } from '../recording-store.js';
import type { Schema } from './migrations.js';
import { vacuumBeyondSlack } from './vacuum.js';
import type { DatagramColumns } from '../../pipeline/recordings/datagram-batch.js';
import type { RecordedCallSeries, RecordedCallSummary } from '../../pipeline/recordings/types.js';

/** The attached database (its own file) that holds the recordings' tables. */
export const RECORDINGS_SCHEMA_NAME = 'recordings';

const R = RECORDINGS_SCHEMA_NAME;
const COPY_RECORDINGS = `
    INSERT OR IGNORE INTO ${R}.recording_calls SELECT id, session_id, device_addr, device_id, start_ms, end_ms, active, worst_mos, verdict, summary, series, import_id FROM main.recording_calls;
    INSERT OR IGNORE INTO ${R}.recording_streams SELECT id, call_id, direction, ssrc, codec, stats FROM main.recording_streams;
    INSERT OR IGNORE INTO ${R}.recording_chunks SELECT id, call_id, first_ms, last_ms, count, bytes, times, ports, ends, data FROM main.recording_chunks;`;

export const RECORDINGS_SCHEMA: Schema = {
  name: 'recordings',
  migrations: [
    `
    CREATE TABLE recording_calls (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL,
      device_addr TEXT NOT NULL,
      device_id INTEGER,
      start_ms REAL NOT NULL,
      end_ms REAL NOT NULL,
      active INTEGER NOT NULL,
      worst_mos REAL,
      verdict TEXT NOT NULL,
      summary TEXT NOT NULL,
      series TEXT
    );
    CREATE INDEX recording_calls_start ON recording_calls(start_ms);
    CREATE INDEX recording_calls_device ON recording_calls(device_addr, start_ms);
    CREATE TABLE recording_streams (
      id INTEGER PRIMARY KEY,
      call_id INTEGER NOT NULL,
      direction TEXT NOT NULL,
      ssrc INTEGER NOT NULL,
      codec TEXT,
      stats TEXT NOT NULL
    );
    CREATE INDEX recording_streams_call ON recording_streams(call_id);
    CREATE TABLE recording_chunks (
      id INTEGER PRIMARY KEY,
      call_id INTEGER NOT NULL,
      first_ms REAL NOT NULL,
      last_ms REAL NOT NULL,
      count INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      times BLOB NOT NULL,
      ports BLOB NOT NULL,
      ends BLOB NOT NULL,
      data BLOB NOT NULL
    );
    CREATE INDEX recording_chunks_call ON recording_chunks(call_id, id);
    `,
    // 2: calls from an imported capture carry its id, so the import can be removed as a unit.
    `
    ALTER TABLE recording_calls ADD COLUMN import_id INTEGER;
    CREATE INDEX recording_calls_import ON recording_calls(import_id) WHERE import_id IS NOT NULL;
    `,
    // 3: the tables move to their own file (attached as RECORDINGS_SCHEMA_NAME). The datagrams are
    // most of a store's bytes; beside the logs, measuring what the logs alone took meant reading
    // the datagrams' whole b-tree (seconds at a few GB: the worker stalled and ingest queued behind
    // it), and a stale measurement made retention delete lines far under their budget.
    `
    CREATE TABLE IF NOT EXISTS ${R}.recording_calls (
      id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, device_addr TEXT NOT NULL, device_id INTEGER,
      start_ms REAL NOT NULL, end_ms REAL NOT NULL, active INTEGER NOT NULL, worst_mos REAL, verdict TEXT NOT NULL,
      summary TEXT NOT NULL, series TEXT, import_id INTEGER
    );
    CREATE TABLE IF NOT EXISTS ${R}.recording_streams (
      id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL, direction TEXT NOT NULL, ssrc INTEGER NOT NULL, codec TEXT, stats TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${R}.recording_chunks (
      id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL, first_ms REAL NOT NULL, last_ms REAL NOT NULL, count INTEGER NOT NULL,
      bytes INTEGER NOT NULL, times BLOB NOT NULL, ports BLOB NOT NULL, ends BLOB NOT NULL, data BLOB NOT NULL
    );
    ${COPY_RECORDINGS}
    CREATE INDEX IF NOT EXISTS ${R}.recording_calls_start ON recording_calls(start_ms);
    CREATE INDEX IF NOT EXISTS ${R}.recording_calls_device ON recording_calls(device_addr, start_ms);
    CREATE INDEX IF NOT EXISTS ${R}.recording_calls_import ON recording_calls(import_id) WHERE import_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ${R}.recording_streams_call ON recording_streams(call_id);
    CREATE INDEX IF NOT EXISTS ${R}.recording_chunks_call ON recording_chunks(call_id, id);
    `,
    // 4: only then the old tables go, in a later transaction. Each file commits on its own, so the
    // copy is made again first: rows that one crash kept from the new file come over now.
    `
    ${COPY_RECORDINGS}
    DROP TABLE main.recording_calls;
    DROP TABLE main.recording_streams;
    DROP TABLE main.recording_chunks;
    `,
  ],
};


export class RecordingsTables {
  private readonly insertChunk: Statement;
  private readonly upsertCall: Statement;
  private readonly upsertStream: Statement;
  /**
   * The stored datagrams' bytes, summed once and then kept up to date by every write and delete:
   * summing them each retention round read the whole datagram table (a second at a few GB).
   */
  private datagramBytesKept: number | null = null;

  constructor(private readonly db: Db) {
    this.insertChunk = db.prepare(`INSERT INTO recording_chunks (call_id, first_ms, last_ms, count, bytes, times, ports, ends, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.upsertCall = db.prepare(`INSERT INTO recording_calls (id, session_id, device_addr, device_id, start_ms, end_ms, active, worst_mos, verdict, summary, series, import_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET device_id = excluded.device_id, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
      active = excluded.active, worst_mos = excluded.worst_mos, verdict = excluded.verdict, summary = excluded.summary,
      series = COALESCE(excluded.series, recording_calls.series)`);
    this.upsertStream = db.prepare(`INSERT INTO recording_streams (id, call_id, direction, ssrc, codec, stats) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET codec = excluded.codec, stats = excluded.stats`);
  }

  /** Highest ids in use, including calls that so far have only datagrams. */
  nextIds(): { call: number; stream: number } {
    const call = (this.db.prepare(`SELECT MAX(COALESCE((SELECT MAX(id) FROM recording_calls), 0),
      COALESCE((SELECT MAX(call_id) FROM recording_chunks), 0)) + 1 AS n`).get() as { n: number }).n;
    const stream = (this.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 AS n FROM recording_streams').get() as { n: number }).n;
    return { call, stream };
  }

  /** One batch of datagrams, in one transaction: a chunk row per call. */
  writeDatagrams(c: DatagramColumns): void {
    const byCall = new Map<number, number[]>();
    for (let i = 0; i < c.n; i++) {
      const id = c.callId[i]!;
      const list = byCall.get(id);
      if (list) list.push(i);
      else byCall.set(id, [i]);
    }
    let written = 0;
    this.db.transaction(() => {
      for (const [callId, rows] of byCall) {
        const times = new Float64Array(rows.length);
        const ports = new Uint16Array(rows.length);
        const ends = new Uint32Array(rows.length);
        let size = 0;
        for (const i of rows) size += c.ends[i]! - (i === 0 ? 0 : c.ends[i - 1]!);
        const data = Buffer.allocUnsafe(size);
        let o = 0;
        rows.forEach((i, k) => {
          const start = i === 0 ? 0 : c.ends[i - 1]!;
          data.set(c.data.subarray(start, c.ends[i]!), o);
          o += c.ends[i]! - start;
          times[k] = c.arrivalMs[i]!;
          ports[k] = c.srcPort[i]!;
          ends[k] = o;
        });
        this.insertChunk.run(callId, times[0]!, times[rows.length - 1]!, rows.length, size, bytesOf(times), bytesOf(ports), bytesOf(ends), data);
        written += size;
      }
    })();
    if (this.datagramBytesKept !== null) this.datagramBytesKept += written;
  }

  saveCalls(calls: readonly CallToSave[]): void {
    this.db.transaction(() => {
      for (const { summary: s, series, importId } of calls) {
        const { streams, ...head } = s;
        this.upsertCall.run(s.id, s.sessionId, s.deviceAddr, s.deviceId, s.startMs, s.endMs, s.active ? 1 : 0, s.worstMos, s.verdict,
          JSON.stringify(head), series ? JSON.stringify(series) : null, importId ?? null);
        for (const st of streams) this.upsertStream.run(st.id, s.id, st.direction, st.ssrc, st.codec, JSON.stringify(st));
      }
    })();
  }

  /** Newest first, without stream details (`streamCount` instead). */
  listCalls(q: RecordedCallQuery): Array<Omit<RecordedCallSummary, 'streams'> & { streamCount: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...v: unknown[]) => { where.push(sql); args.push(...v); };
    if (q.deviceAddr !== undefined) add('device_addr = ?', q.deviceAddr);
    if (q.deviceId !== undefined) add('device_id = ?', q.deviceId);
    if (q.fromMs !== undefined) add('end_ms >= ?', q.fromMs);
    if (q.toMs !== undefined) add('start_ms <= ?', q.toMs);
    if (q.minMos !== undefined) add('worst_mos >= ?', q.minMos);
    if (q.maxMos !== undefined) add('worst_mos <= ?', q.maxMos);
    if (q.verdicts?.length) add(`verdict IN (${q.verdicts.map(() => '?').join(',')})`, ...q.verdicts);
    if (q.active !== undefined) add('active = ?', q.active ? 1 : 0);
    if (q.beforeId !== undefined) add('id < ?', q.beforeId);
    const rows = this.db.prepare(`SELECT c.summary, (SELECT COUNT(*) FROM recording_streams s WHERE s.call_id = c.id) AS n
      FROM recording_calls c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(...args, q.limit) as Array<{ summary: string; n: number }>;
    return rows.map((r) => ({ ...(JSON.parse(r.summary) as Omit<RecordedCallSummary, 'streams'>), streamCount: r.n }));
  }

  getCall(id: number): RecordedCallSummary | null {
    const row = this.db.prepare('SELECT summary FROM recording_calls WHERE id = ?').get(id) as { summary: string } | undefined;
    if (!row) return null;
    const streams = (this.db.prepare('SELECT stats FROM recording_streams WHERE call_id = ? ORDER BY id').all(id) as Array<{ stats: string }>)
      .map((r) => JSON.parse(r.stats) as RecordedCallSummary['streams'][number]);
    return { ...(JSON.parse(row.summary) as Omit<RecordedCallSummary, 'streams'>), streams };
  }

  getSeries(id: number): RecordedCallSeries | null {
    const row = this.db.prepare('SELECT series FROM recording_calls WHERE id = ?').get(id) as { series: string | null } | undefined;
    return row?.series ? (JSON.parse(row.series) as RecordedCallSeries) : null;
  }

  /** Every stored datagram of a call in arrival order, or null when none is stored. */
  readDatagrams(callId: number): DatagramColumns | null {
    const rows = this.db.prepare('SELECT count, bytes, times, ports, ends, data FROM recording_chunks WHERE call_id = ? ORDER BY id').all(callId) as Array<{
      count: number; bytes: number; times: Buffer; ports: Buffer; ends: Buffer; data: Buffer;
    }>;
    if (rows.length === 0) return null;
    const n = rows.reduce((a, r) => a + r.count, 0);
    const size = rows.reduce((a, r) => a + r.bytes, 0);
    const out = { n, callId: new Float64Array(n).fill(callId), arrivalMs: new Float64Array(n), srcPort: new Uint16Array(n), ends: new Uint32Array(n), data: new Uint8Array(size) };
    let k = 0;
    let base = 0;
    for (const r of rows) {
      out.arrivalMs.set(view(r.times, Float64Array, r.count), k);
      out.srcPort.set(view(r.ports, Uint16Array, r.count), k);
      const ends = view(r.ends, Uint32Array, r.count);
      for (let i = 0; i < r.count; i++) out.ends[k + i] = base + ends[i]!;
      out.data.set(r.data, base);
      base += r.bytes;
      k += r.count;
    }
    return out;
  }

  /** Drops whole ended calls, oldest first: past the age, then until the datagrams fit the size. */
  enforceRetention(maxAgeMs: number, maxDatagramBytes: number, nowMs: number): { deletedCalls: number } {
    let deleted = 0;
    const old = this.db.prepare('SELECT id FROM recording_calls WHERE active = 0 AND end_ms < ?').all(nowMs - maxAgeMs) as Array<{ id: number }>;
    for (const { id } of old) deleted += this.deleteCall(id);
    // The kept byte count falls with each deleted call, so the loop needs no sums of its own.
    const oldest = this.db.prepare('SELECT DISTINCT call_id AS id FROM recording_chunks ORDER BY call_id LIMIT 100');
    while (this.datagramBytes() > maxDatagramBytes) {
      const batch = oldest.all() as Array<{ id: number }>;
      if (batch.length === 0) break;
      for (const { id } of batch) {
        if (this.datagramBytes() <= maxDatagramBytes) break;
        deleted += this.deleteCall(id);
      }
    }
    vacuumBeyondSlack(this.db, RECORDINGS_SCHEMA_NAME, maxDatagramBytes);
    return { deletedCalls: deleted };
  }

  /** Removes every call of an imported capture with its streams and datagrams. */
  deleteImport(importId: number): { deletedCalls: number } {
    const ids = this.db.prepare('SELECT id FROM recording_calls WHERE import_id = ?').all(importId) as Array<{ id: number }>;
    let deletedCalls = 0;
    for (const { id } of ids) deletedCalls += this.deleteCall(id);
    return { deletedCalls };
  }

  stats(): { calls: number; datagramBytes: number } {
    const calls = (this.db.prepare('SELECT COUNT(*) AS n FROM recording_calls').get() as { n: number }).n;
    return { calls, datagramBytes: this.datagramBytes() };
  }

  private datagramBytes(): number {
    this.datagramBytesKept ??= (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM recording_chunks').get() as { b: number }).b;
    return this.datagramBytesKept;
  }

  private deleteCall(id: number): number {
    const { deleted, bytes } = this.db.transaction(() => {
      const bytes = (this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM recording_chunks WHERE call_id = ?').get(id) as { b: number }).b;
      this.db.prepare('DELETE FROM recording_chunks WHERE call_id = ?').run(id);
      this.db.prepare('DELETE FROM recording_streams WHERE call_id = ?').run(id);
      return { deleted: this.db.prepare('DELETE FROM recording_calls WHERE id = ?').run(id).changes, bytes };
    })();
    if (this.datagramBytesKept !== null) this.datagramBytesKept -= bytes;
    return deleted;
  }
}

function bytesOf(a: Float64Array | Uint16Array | Uint32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A typed array over a blob; copied when the blob is not aligned for the element size. */
function view<T extends Float64Array | Uint16Array | Uint32Array>(b: Buffer, Kind: { new (buf: ArrayBuffer, off: number, len: number): T; BYTES_PER_ELEMENT: number }, count: number): T {
  if (b.byteOffset % Kind.BYTES_PER_ELEMENT === 0) return new Kind(b.buffer as ArrayBuffer, b.byteOffset, count);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Kind(copy.buffer, 0, count);
}
