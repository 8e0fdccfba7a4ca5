/**
 * The `recordings` domain on the fleet store (the RecordingStore contract, ../recording-store.ts):
 * recorded calls as their summary JSON beside the columns the list filters on, their streams and
 * series, and the original ACDR datagrams.
 *
 * Summaries, streams and series are rows replaced by newer versions (ReplacingMergeTree, read with
 * FINAL). One collector records a call (its datagrams all reach that collector), so versions from
 * its own time-ordered ids suffice. Datagrams are one row each, written in one INSERT per batch,
 * sorted by (call, batch, position in batch) so a call reads back in the order it was written;
 * partitioned by arrival day, the bulk of the store. The bytes go in raw through TSV and come back
 * as hex (JSON output must be UTF-8 text).
 */
import type { DatagramColumns } from '../../pipeline/recordings/datagram-batch.js';
import type { RecordedCallSeries, RecordedCallSummary } from '../../pipeline/recordings/types.js';
import type { IdSource } from '../ids.js';
import type { CallToSave, RecordedCallQuery, RecordingStore } from '../recording-store.js';
import type { FleetContext } from './context.js';
import { deleteByIds } from './mutations.js';
import { int, list, num, str } from './sql.js';
import { TsvWriter } from './tsv.js';

type ListedCall = Omit<RecordedCallSummary, 'streams'> & { streamCount: number };

/** Ids in one query at most: keeps it under max_query_size (256 KiB). */
const IDS_PER_QUERY = 10_000;

/** Where each table keeps its call id: what removing whole calls deletes by. */
const CALL_ID_COLUMNS = { recording_datagrams: 'call_id', recording_streams: 'call_id', recording_series: 'call_id', recording_calls: 'id' } as const;

export class ClickHouseRecordings implements RecordingStore {
  private readonly ids: IdSource;

  constructor(readonly ctx: FleetContext) {
    this.ids = ctx.ids();
  }

  static tables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS recording_calls (
        id Int64, version UInt64, session_id String, device_addr String, device_id Nullable(Int64), start_ms Float64, end_ms Float64,
        active UInt8, worst_mos Nullable(Float64), verdict String, import_id Nullable(Int64), summary String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS recording_streams (
        call_id Int64, id Int64, version UInt64, stats String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (call_id, id)`,
      `CREATE TABLE IF NOT EXISTS recording_series (
        call_id Int64, version UInt64, series String
      ) ENGINE = ReplacingMergeTree(version) ORDER BY call_id`,
      `CREATE TABLE IF NOT EXISTS recording_datagrams (
        call_id Int64, batch UInt64, seq UInt32, arrival_ms Float64, src_port UInt16, bytes UInt32, data String
      ) ENGINE = MergeTree PARTITION BY toYYYYMMDD(toDateTime(toUInt32(greatest(arrival_ms, 0) / 1000))) ORDER BY (call_id, batch, seq)`,
    ];
  }

  async writeDatagrams(c: DatagramColumns): Promise<void> {
    const batch = this.ids.next();
    const w = new TsvWriter();
    for (let i = 0; i < c.n; i++) {
      const start = i === 0 ? 0 : c.ends[i - 1]!;
      w.row([c.callId[i]!, batch, i, c.arrivalMs[i]!, c.srcPort[i]!, c.ends[i]! - start, c.data.subarray(start, c.ends[i]!)]);
    }
    await this.ctx.db.insertTsv('recording_datagrams', ['call_id', 'batch', 'seq', 'arrival_ms', 'src_port', 'bytes', 'data'], w.take());
  }

  async saveCalls(calls: readonly CallToSave[]): Promise<void> {
    const heads = new TsvWriter();
    const streams = new TsvWriter();
    const series = new TsvWriter();
    for (const { summary: s, series: x, importId } of calls) {
      const { streams: own, ...head } = s;
      const version = this.ids.next();
      heads.row([s.id, version, s.sessionId, s.deviceAddr, s.deviceId, s.startMs, s.endMs, s.active, s.worstMos, s.verdict, importId ?? null, JSON.stringify(head)]);
      for (const st of own) streams.row([s.id, st.id, version, JSON.stringify(st)]);
      if (x) series.row([s.id, version, JSON.stringify(x)]);
    }
    // The call row last: a call listed has its streams and series stored.
    await Promise.all([
      this.ctx.db.insertTsv('recording_streams', ['call_id', 'id', 'version', 'stats'], streams.take()),
      this.ctx.db.insertTsv('recording_series', ['call_id', 'version', 'series'], series.take()),
    ]);
    await this.ctx.db.insertTsv('recording_calls',
      ['id', 'version', 'session_id', 'device_addr', 'device_id', 'start_ms', 'end_ms', 'active', 'worst_mos', 'verdict', 'import_id', 'summary'], heads.take());
  }

  async listCalls(q: RecordedCallQuery): Promise<ListedCall[]> {
    const where: string[] = [];
    if (q.deviceAddr !== undefined) where.push(`device_addr = ${str(q.deviceAddr)}`);
    if (q.deviceId !== undefined) where.push(`device_id = ${int(q.deviceId)}`);
    if (q.fromMs !== undefined) where.push(`end_ms >= ${num(q.fromMs)}`);
    if (q.toMs !== undefined) where.push(`start_ms <= ${num(q.toMs)}`);
    if (q.minMos !== undefined) where.push(`worst_mos >= ${num(q.minMos)}`);
    if (q.maxMos !== undefined) where.push(`worst_mos <= ${num(q.maxMos)}`);
    if (q.verdicts?.length) where.push(`verdict IN ${list(q.verdicts)}`);
    if (q.active !== undefined) where.push(`active = ${q.active ? 1 : 0}`);
    if (q.beforeId !== undefined) where.push(`id < ${int(q.beforeId)}`);
    const rows = await this.ctx.db.rows<{ id: number; summary: string }>(`SELECT id, summary FROM recording_calls FINAL
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${int(q.limit)}`);
    if (rows.length === 0) return [];
    const counts = new Map((await this.ctx.db.rows<{ call_id: number; n: number }>(`SELECT call_id, count() AS n FROM recording_streams FINAL
      WHERE call_id IN ${list(rows.map((r) => r.id))} GROUP BY call_id`)).map((r) => [r.call_id, r.n]));
    return rows.map((r) => ({ ...(JSON.parse(r.summary) as Omit<RecordedCallSummary, 'streams'>), streamCount: counts.get(r.id) ?? 0 }));
  }

  async getCall(id: number): Promise<RecordedCallSummary | null> {
    const [[row], streams] = await Promise.all([
      this.ctx.db.rows<{ summary: string }>(`SELECT summary FROM recording_calls FINAL WHERE id = ${int(id)}`),
      this.ctx.db.rows<{ stats: string }>(`SELECT stats FROM recording_streams FINAL WHERE call_id = ${int(id)} ORDER BY id`),
    ]);
    if (!row) return null;
    return { ...(JSON.parse(row.summary) as Omit<RecordedCallSummary, 'streams'>), streams: streams.map((r) => JSON.parse(r.stats) as RecordedCallSummary['streams'][number]) };
  }

  async getSeries(id: number): Promise<RecordedCallSeries | null> {
    const [row] = await this.ctx.db.rows<{ series: string }>(`SELECT series FROM recording_series FINAL WHERE call_id = ${int(id)}`);
    return row ? (JSON.parse(row.series) as RecordedCallSeries) : null;
  }

  async readDatagrams(callId: number): Promise<DatagramColumns | null> {
    const rows = await this.ctx.db.rows<{ arrival_ms: number; src_port: number; h: string }>(`SELECT arrival_ms, src_port, hex(data) AS h
      FROM recording_datagrams WHERE call_id = ${int(callId)} ORDER BY batch, seq`);
    if (rows.length === 0) return null;
    const n = rows.length;
    const out = {
      n, callId: new Float64Array(n).fill(callId), arrivalMs: new Float64Array(n), srcPort: new Uint16Array(n), ends: new Uint32Array(n),
      data: new Uint8Array(rows.reduce((a, r) => a + r.h.length / 2, 0)),
    };
    let end = 0;
    rows.forEach((r, i) => {
      out.arrivalMs[i] = r.arrival_ms;
      out.srcPort[i] = r.src_port;
      end += Buffer.from(out.data.buffer, end).write(r.h, 'hex');
      out.ends[i] = end;
    });
    return out;
  }

  async enforceRetention(maxAgeMs: number, maxDatagramBytes: number, nowMs: number): Promise<{ deletedCalls: number }> {
    const old = await this.ctx.db.rows<{ id: number }>(`SELECT id FROM recording_calls FINAL WHERE active = 0 AND end_ms < ${num(nowMs - maxAgeMs)}`);
    let deletedCalls = (await this.deleteCalls(old.map((r) => r.id))).deletedCalls;
    const perCall = await this.ctx.db.rows<{ call_id: number; b: number }>('SELECT call_id, sum(bytes) AS b FROM recording_datagrams GROUP BY call_id ORDER BY call_id');
    let total = perCall.reduce((a, r) => a + r.b, 0);
    const oldest: number[] = [];
    for (const r of perCall) {
      if (total <= maxDatagramBytes) break;
      oldest.push(r.call_id);
      total -= r.b;
    }
    deletedCalls += (await this.deleteCalls(oldest)).deletedCalls;
    return { deletedCalls };
  }

  async deleteImport(importId: number): Promise<{ deletedCalls: number }> {
    const rows = await this.ctx.db.rows<{ id: number }>(`SELECT id FROM recording_calls FINAL WHERE import_id = ${int(importId)}`);
    return this.deleteCalls(rows.map((r) => r.id));
  }

  async stats(): Promise<{ calls: number; datagramBytes: number }> {
    const [[calls], [bytes]] = await Promise.all([
      this.ctx.db.rows<{ n: number }>('SELECT count() AS n FROM recording_calls FINAL'),
      this.ctx.db.rows<{ b: number }>('SELECT sum(bytes) AS b FROM recording_datagrams'),
    ]);
    return { calls: calls!.n, datagramBytes: bytes!.b };
  }

  /** Removes whole calls; counts those that had a summary (a call may so far have only datagrams). */
  private async deleteCalls(ids: readonly number[]): Promise<{ deletedCalls: number }> {
    let deletedCalls = 0;
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const [r] = await this.ctx.db.rows<{ n: number }>(`SELECT count() AS n FROM recording_calls FINAL WHERE id IN ${list(ids.slice(i, i + IDS_PER_QUERY))}`);
      deletedCalls += r!.n;
    }
    await deleteByIds(this.ctx.db, CALL_ID_COLUMNS, ids);
    return { deletedCalls };
  }
}
