/**
 * The `calls` domain on the fleet store (the CallStore contract, ../call-store.ts). Which call a
 * record speaks of is decided in calls/matching.ts, as for the embedded store; this file fetches
 * the candidates from ClickHouse (so a call another collector created is found) and writes what
 * was decided.
 *
 * Tables: a call's summary and a stream are rows replaced by newer versions (ReplacingMergeTree,
 * read with FINAL); segments and samples are kept once per natural key the same way, so a report
 * sent to two collectors counts once. A version is always above the one the write was based on
 * and otherwise from this collector's time-ordered ids, so a later write wins even across clocks.
 *
 * Within one collector every read-modify-write goes through one Serial, so matching is atomic as
 * the contract says. Across collectors there is no lock: two collectors that see the first record
 * of one call within one round trip of each other (both fetch, neither finds, both write) create
 * two calls for it; later records find the newest of the two (by Call-ID or session, or by overlap)
 * and the older keeps what it had. Two collectors updating one existing call within a round trip
 * both base their row on what they read, and the higher version's keys and range win; the samples
 * of both are kept, and every recompute reads all of them, so the next one counts everything.
 *
 * Without transactions a record that fails part-way (the server went away) may leave segments or
 * samples whose call row was not written; they are never listed, and retention or the import's
 * removal does not reach them (they name no stored call).
 */
import type { VerdictThresholds } from '../../analysis/e-model.js';
import {
  compatible, findMatch, learn, MAX_TIME_CANDIDATES, timeWindow, type CallCandidates, type StoredStreamKeys,
} from '../../calls/matching.js';
import type {
  Call, CallInfo, CallKeys, CallRecord, CallSegment, CallStream, QualityMetrics, QualitySample, QualitySource, StreamSpec, Verdict,
} from '../../calls/model.js';
import { metricKind } from '../../calls/sample-key.js';
import { summarize } from '../../calls/summary.js';
import type { CallDetail, CallPage, CallQuery, CallSort, CallStore, IngestResult } from '../call-store.js';
import type { QualityBucket, QualityKpis, QualityRange, QualityRow, QualitySlice } from '../call-quality.js';
import type { IdSource } from '../ids.js';
import { ClickHouseCallQuality, sliceCondition } from './call-quality.js';
import type { FleetContext } from './context.js';
import { applyRecord, batchLookups, CallBatch, completeStream, newCall, type RowShapes, type StoredCall, type StoredStream } from './call-batch.js';
import { deleteByIds } from './mutations.js';
import { Serial } from './serial.js';
import { int, likeContains, list, num, str } from './sql.js';
import { CALL_ROW_COLUMNS } from '../call-rows.js';

// Times are Float64: recorded calls carry sub-millisecond times, and ms stay exact up to 2^53.
const CALL_COLUMNS = CALL_ROW_COLUMNS;
const STREAM_COLUMNS = ['call_id', 'id', 'version', 'direction', 'ssrc', 'local_addr', 'local_port', 'remote_addr', 'remote_port', 'payload_type', 'codec',
  'sources', 'verdict', 'verdict_reason'] as const;
const SEGMENT_COLUMNS = ['call_id', 'start_ms', 'end_ms', 'reason', 'codec', 'id'] as const;
/** `stream_id` 0 and `direction` '' stand for none: sorting-key columns cannot be Nullable on 18.16. */
const SAMPLE_COLUMNS = ['call_id', 'start_ms', 'end_ms', 'stream_id', 'direction', 'source', 'kind', 'metrics', 'id'] as const;

const SORT_COLUMNS: Readonly<Record<CallSort, string>> = {
  start: 'start_ms',
  duration: 'duration_ms',
  worstMos: 'worst_mos',
  avgMos: 'avg_mos',
  loss: 'max_loss_pct',
  jitter: 'max_jitter_ms',
};


interface CallRow {
  id: number; version: number; device_id: number | null; sip_call_id: string | null; recording_session: string | null; local_id: string | null;
  remote_id: string | null; start_ms: number; end_ms: number | null; duration_ms: number | null; active: number; codec: string | null; sources: string;
  worst_mos: number | null; avg_mos: number | null; max_loss_pct: number | null; max_jitter_ms: number | null; verdict: string;
  verdict_reason: string | null; import_id: number | null; clock_skew_ms: number | null;
}

interface StreamRow {
  call_id: number; id: number; version: number; direction: string; ssrc: number | null; local_addr: string | null; local_port: number | null;
  remote_addr: string | null; remote_port: number | null; payload_type: number | null; codec: string | null; sources: string; verdict: string;
  verdict_reason: string | null;
}

interface SegmentRow { call_id: number; start_ms: number; end_ms: number | null; reason: CallSegment['reason']; codec: string | null }

interface SampleRow { call_id: number; start_ms: number; end_ms: number; stream_id: number; direction: string; source: string; metrics: string }

/** What matching found for one record: the call as it will be written and its streams as known. */
interface Matched {
  readonly call: StoredCall;
  readonly streams: StoredStream[];
}

export class ClickHouseCalls implements CallStore {
  private readonly ids: IdSource;
  private readonly serial = new Serial();
  private readonly quality: ClickHouseCallQuality;

  constructor(readonly ctx: FleetContext) {
    this.ids = ctx.ids();
    this.quality = new ClickHouseCallQuality(ctx.db);
  }

  static tables(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS calls (
        id Int64, version UInt64,
        device_id Nullable(Int64), sip_call_id Nullable(String), recording_session Nullable(String), local_id Nullable(String), remote_id Nullable(String),
        start_ms Float64, end_ms Nullable(Float64), duration_ms Nullable(Float64), active UInt8, codec Nullable(String), sources String,
        worst_mos Nullable(Float64), avg_mos Nullable(Float64), max_loss_pct Nullable(Float64), max_jitter_ms Nullable(Float64),
        verdict String, verdict_reason Nullable(String), import_id Nullable(Int64), clock_skew_ms Nullable(Float64)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS call_streams (
        call_id Int64, id Int64, version UInt64, direction String, ssrc Nullable(Int64),
        local_addr Nullable(String), local_port Nullable(Int32), remote_addr Nullable(String), remote_port Nullable(Int32),
        payload_type Nullable(Int32), codec Nullable(String), sources String, verdict String, verdict_reason Nullable(String)
      ) ENGINE = ReplacingMergeTree(version) ORDER BY (call_id, id)`,
      `CREATE TABLE IF NOT EXISTS call_segments (
        call_id Int64, start_ms Float64, end_ms Nullable(Float64), reason String, codec Nullable(String), id UInt64
      ) ENGINE = ReplacingMergeTree ORDER BY (call_id, start_ms, ifNull(end_ms, -1), reason)`,
      `CREATE TABLE IF NOT EXISTS call_samples (
        call_id Int64, start_ms Float64, end_ms Float64, stream_id Int64, direction String, source String, kind String, metrics String, id UInt64
      ) ENGINE = ReplacingMergeTree ORDER BY (call_id, start_ms, end_ms, stream_id, direction, source, kind)`,
    ];
  }

  /** Columns added since a database was made (18.16 has no ADD COLUMN IF NOT EXISTS, so they are looked up). */
  static async addMissingColumns(db: FleetContext['db']): Promise<void> {
    const have = await db.rows<{ name: string }>(`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'calls'`);
    if (!have.some((c) => c.name === 'clock_skew_ms')) await db.run('ALTER TABLE calls ADD COLUMN clock_skew_ms Nullable(Float64)');
  }

  findOrCreateCall(keys: CallKeys, info: CallInfo = {}): Promise<Call> {
    return this.serial.run(async () => {
      const { call } = await this.match(keys, info);
      await this.writeCalls([{ ...call, version: this.versionAfter(call.version) }]);
      return { ...publicCall(call), segments: await this.segmentsOf(call.id) };
    });
  }

  addStream(callId: number, spec: StreamSpec): Promise<CallStream> {
    return this.serial.run(async () => {
      const stream = completeStream(callId, await this.streamsOf([callId]), spec, this.ids);
      await this.writeStreams([{ ...stream, version: this.versionAfter(stream.version) }]);
      return publicStream(stream);
    });
  }

  addSegment(callId: number, segment: CallSegment): Promise<void> {
    return this.serial.run(() => this.writeSegments(callId, [segment]));
  }

  addSamples(samples: readonly QualitySample[]): Promise<void> {
    return this.serial.run(() => this.writeSamples(samples));
  }

  recompute(callId: number, thresholds: VerdictThresholds): Promise<Call> {
    return this.serial.run(async () => {
      const [call, streams] = await Promise.all([this.callById(callId), this.streamsOf([callId])]);
      if (!call) throw new Error(`no call ${callId}`);
      return this.summarizeAndWrite(call, streams, new Set(), thresholds);
    });
  }

  ingest(record: CallRecord, thresholds: VerdictThresholds): Promise<IngestResult> {
    return this.serial.run(() => this.ingestNow(record, thresholds));
  }

  /**
   * A burst of records in one batch (see call-batch.ts): the candidates of all of them fetched at
   * once, four INSERTs in all. When the burst's time windows hold more stored calls than matching
   * considers for one record, the batch could miss one a record would have found alone: then the
   * records go one by one.
   */
  ingestMany(records: readonly CallRecord[], thresholds: VerdictThresholds): Promise<Array<IngestResult | { readonly error: string }>> {
    return this.serial.run(async () => {
      const stored = await this.batchCandidates(records);
      if (!stored) return this.ingestEach(records, thresholds);
      const batch = new CallBatch(stored, this.ids, ROWS);
      const added = records.map((r) => {
        try {
          return batch.add(r);
        } catch (err) {
          return { error: (err as Error).message };
        }
      });
      const touched = batch.touchedStored();
      const [samples, segments] = await Promise.all([this.samplesOfCalls(touched), this.segmentsOfCalls(touched)]);
      const { rows, calls } = batch.finish({ samples, segments }, thresholds);
      // Samples and segments before the calls and streams that list them: a failure between leaves nothing listed half-written.
      await Promise.all([this.ctx.db.insertTsv('call_segments', SEGMENT_COLUMNS, rows.segments), this.ctx.db.insertTsv('call_samples', SAMPLE_COLUMNS, rows.samples)]);
      await Promise.all([this.writeStreams(rows.streams), this.writeCalls(rows.calls)]);
      return added.map((a) => ('error' in a ? a : { call: calls.get(a.callId)!, samples: a.samples }));
    });
  }

  private async ingestEach(records: readonly CallRecord[], thresholds: VerdictThresholds): Promise<Array<IngestResult | { readonly error: string }>> {
    const out: Array<IngestResult | { readonly error: string }> = [];
    for (const r of records) {
      try {
        out.push(await this.ingestNow(r, thresholds));
      } catch (err) {
        out.push({ error: (err as Error).message });
      }
    }
    return out;
  }

  /** Every stored call a record of the batch could match, with its streams; null when a window holds too many to be sure. */
  private async batchCandidates(records: readonly CallRecord[]): Promise<{ calls: StoredCall[]; streams: StoredStream[] } | null> {
    const found = new Map<number, StoredCall>();
    for (const l of batchLookups(records)) {
      const inImport = l.importId === null ? 'import_id IS NULL' : `import_id = ${int(l.importId)}`;
      const byKey = [
        ...(l.sipCallIds.length ? [`sip_call_id IN ${list([...new Set(l.sipCallIds)])}`] : []),
        ...(l.sessions.length ? [`recording_session IN ${list([...new Set(l.sessions)])}`] : []),
      ];
      const w = l.window;
      const [keyed, windowed] = await Promise.all([
        byKey.length ? this.ctx.db.rows<CallRow>(`SELECT * FROM calls FINAL WHERE ${inImport} AND (${byKey.join(' OR ')})`) : [],
        w ? this.ctx.db.rows<CallRow>(`SELECT * FROM calls FINAL WHERE ${inImport} AND start_ms BETWEEN ${num(w.startFrom)} AND ${num(w.startTo)}
          AND ifNull(end_ms, start_ms) >= ${num(w.endFrom)} LIMIT ${MAX_TIME_CANDIDATES}`) : [],
      ]);
      if (windowed.length >= MAX_TIME_CANDIDATES) return null;
      for (const r of [...keyed, ...windowed]) found.set(r.id, toStoredCall(r));
    }
    const calls = [...found.values()];
    return { calls, streams: await this.streamsOf(calls.map((c) => c.id)) };
  }

  async getCall(id: number): Promise<CallDetail | null> {
    const [call, streams, segments] = await Promise.all([this.callById(id), this.streamsOf([id]), this.segmentsOf(id)]);
    if (!call) return null;
    return { call: { ...publicCall(call), segments }, streams: streams.map(publicStream) };
  }

  async samples(callId: number): Promise<QualitySample[]> {
    return (await this.samplesOfCalls([callId])).get(callId) ?? [];
  }

  private async samplesOfCalls(callIds: readonly number[]): Promise<Map<number, QualitySample[]>> {
    const out = new Map<number, QualitySample[]>();
    if (callIds.length === 0) return out;
    const rows = await this.ctx.db.rows<SampleRow>(`SELECT call_id, start_ms, end_ms, stream_id, direction, source, metrics
      FROM call_samples FINAL WHERE call_id IN ${list(callIds)} ORDER BY call_id, start_ms, id`);
    for (const r of rows) {
      const own = out.get(r.call_id);
      if (own) own.push(toSample(r));
      else out.set(r.call_id, [toSample(r)]);
    }
    return out;
  }

  async listCalls(q: CallQuery): Promise<CallPage> {
    const where: string[] = [];
    if (q.deviceId !== undefined) where.push(`device_id = ${int(q.deviceId)}`);
    if (q.fromMs !== undefined) where.push(`ifNull(end_ms, start_ms) >= ${num(q.fromMs)}`);
    if (q.toMs !== undefined) where.push(`start_ms <= ${num(q.toMs)}`);
    if (q.startFromMs !== undefined) where.push(`start_ms >= ${num(q.startFromMs)}`);
    if (q.startToMs !== undefined) where.push(`start_ms < ${num(q.startToMs)}`);
    if (q.slice) where.push(sliceCondition(q.slice));
    if (q.verdicts && q.verdicts.length > 0) where.push(`verdict IN ${list(q.verdicts)}`);
    if (q.minMos !== undefined) where.push(`worst_mos >= ${num(q.minMos)}`);
    if (q.maxMos !== undefined) where.push(`worst_mos < ${num(q.maxMos)}`);
    if (q.text !== undefined && q.text !== '') {
      const like = likeContains(q.text);
      where.push(`(sip_call_id LIKE ${like} OR local_id LIKE ${like} OR remote_id LIKE ${like})`);
    }
    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const column = SORT_COLUMNS[q.sort ?? 'start'];
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    // ClickHouse sorts NULL last either way, as the embedded store does; id keeps pages stable among equal values.
    const [rows, [count]] = await Promise.all([
      this.ctx.db.rows<CallRow>(`SELECT * FROM calls FINAL ${whereSql} ORDER BY ${column} ${dir}, id ${dir} LIMIT ${int(q.offset ?? 0)}, ${int(q.limit)}`),
      this.ctx.db.rows<{ n: number }>(`SELECT count() AS n FROM calls FINAL ${whereSql}`),
    ]);
    const segments = await this.segmentsOfCalls(rows.map((r) => r.id));
    return { calls: rows.map((r) => ({ ...publicCall(toStoredCall(r)), segments: segments.get(r.id) ?? [] })), total: count!.n };
  }

  qualityKpis(range: QualityRange): Promise<QualityKpis> {
    return this.quality.kpis(range);
  }

  qualitySeries(range: QualityRange, bucketMs: number): Promise<QualityBucket[]> {
    return this.quality.series(range, bucketMs);
  }

  qualityBreakdown(range: QualityRange, slice: QualitySlice, limit: number): Promise<QualityRow[]> {
    return this.quality.breakdown(range, slice, limit);
  }

  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedCalls: number }> {
    return this.serial.run(async () => {
      const rows = await this.ctx.db.rows<{ id: number }>(`SELECT id FROM calls FINAL WHERE active = 0 AND ifNull(end_ms, start_ms) < ${num(nowMs - maxAgeMs)}`);
      return this.deleteCalls(rows.map((r) => r.id));
    });
  }

  /**
   * Removes every call of an imported capture with its streams, segments and samples (for the
   * imports domain, which removes what an import brought; not part of the CallStore contract).
   */
  deleteImport(importId: number): Promise<{ deletedCalls: number }> {
    return this.serial.run(async () => {
      const rows = await this.ctx.db.rows<{ id: number }>(`SELECT id FROM calls FINAL WHERE import_id = ${int(importId)}`);
      return this.deleteCalls(rows.map((r) => r.id));
    });
  }

  private async deleteCalls(ids: readonly number[]): Promise<{ deletedCalls: number }> {
    // The call rows go last: until they do, a failed delete can be retried from them.
    await deleteByIds(this.ctx.db, { call_samples: 'call_id', call_segments: 'call_id', call_streams: 'call_id' }, ids);
    await deleteByIds(this.ctx.db, { calls: 'id' }, ids);
    return { deletedCalls: ids.length };
  }

  private async ingestNow(record: CallRecord, thresholds: VerdictThresholds): Promise<IngestResult> {
    const { call, streams } = await this.match(record.keys, record.info);
    const { samples, touched } = applyRecord(call.id, streams, record, this.ids);
    const changed = new Set(touched);
    await Promise.all([this.writeSegments(call.id, record.segments), this.writeSamples(samples)]);
    return { call: await this.summarizeAndWrite(call, streams, changed, thresholds), samples };
  }

  /** The call the keys speak of as it will be written (found and learned, or new); not written yet. */
  private async match(keys: CallKeys, info: CallInfo): Promise<Matched> {
    const importId = info.importId ?? null;
    const candidates = await this.candidates(keys, importId);
    const found = findMatch(keys, candidates);
    const learned = learn(found, keys, info);
    if (found) {
      return {
        call: { ...found, ...learned },
        streams: [...(candidates.streamsOf([found.id]).get(found.id) ?? [])] as StoredStream[],
      };
    }
    return { call: newCall(this.ids.next(), learned, importId), streams: [] };
  }

  /**
   * Everything matching may ask, fetched in two round trips: the newest call with the Call-ID and
   * with the session and the calls in the time window at once, then the streams of all of them.
   */
  private async candidates(keys: CallKeys, importId: number | null): Promise<CallCandidates<StoredCall>> {
    const inImport = importId === null ? 'import_id IS NULL' : `import_id = ${int(importId)}`;
    const newest = async (column: string, value: string | undefined) => {
      if (value === undefined) return undefined;
      const [row] = await this.ctx.db.rows<CallRow>(`SELECT * FROM calls FINAL WHERE ${column} = ${str(value)} AND ${inImport}
        ORDER BY start_ms DESC, id DESC LIMIT 1`);
      return row && toStoredCall(row);
    };
    const window = timeWindow(keys);
    const inWindow = window && `SELECT * FROM calls FINAL WHERE ${inImport} ${keys.sipCallId !== undefined ? 'AND sip_call_id IS NULL' : ''}
      AND start_ms BETWEEN ${num(window.startFrom)} AND ${num(window.startTo)} AND ifNull(end_ms, start_ms) >= ${num(window.endFrom)}
      ORDER BY start_ms DESC, id DESC LIMIT ${MAX_TIME_CANDIDATES}`;
    const [bySipCallId, byRecording, overlapping] = await Promise.all([
      newest('sip_call_id', keys.sipCallId),
      newest('recording_session', keys.recordingSession),
      inWindow ? this.ctx.db.rows<CallRow>(inWindow).then((rows) => rows.map(toStoredCall)) : [],
    ]);
    const asked = [bySipCallId, byRecording, ...overlapping.filter((c) => compatible(c, keys))].filter((c): c is StoredCall => c !== undefined);
    const streams = new Map<number, StoredStream[]>();
    for (const s of await this.streamsOf([...new Set(asked.map((c) => c.id))])) {
      const own = streams.get(s.callId);
      if (own) own.push(s);
      else streams.set(s.callId, [s]);
    }
    return {
      newestWith: (key) => (key === 'sipCallId' ? bySipCallId : byRecording),
      overlapping: () => overlapping,
      streamsOf: () => streams,
    };
  }

  /**
   * Summarizes the call from all its stored samples (every collector's), writes the call and the
   * streams whose verdict changed or that `changed` names, and returns the call with its segments.
   */
  private async summarizeAndWrite(call: StoredCall, streams: readonly StoredStream[], changed: ReadonlySet<number>, thresholds: VerdictThresholds): Promise<Call> {
    const [samples, segments] = await Promise.all([this.samples(call.id), this.segmentsOf(call.id)]);
    const summary = summarize(samples, thresholds);
    const written = streams.flatMap((s): StoredStream[] => {
      const v = summary.streams.get(s.id);
      if (!v) return changed.has(s.id) ? [{ ...s, version: this.versionAfter(s.version) }] : [];
      return [{ ...s, sources: v.sources, verdict: v.verdict, verdictReason: v.reason, version: this.versionAfter(s.version) }];
    });
    const summed: StoredCall = {
      ...call,
      sources: summary.sources, worstMos: summary.worstMos, avgMos: summary.avgMos, maxLossPct: summary.maxLossPct, maxJitterMs: summary.maxJitterMs,
      verdict: summary.verdict, verdictReason: summary.verdictReason, version: this.versionAfter(call.version),
    };
    await Promise.all([this.writeStreams(written), this.writeCalls([summed])]);
    return { ...publicCall(summed), segments };
  }

  /** A version above `base` (the row the write started from), from the time-ordered ids otherwise. */
  private versionAfter(base: number): number {
    return Math.max(this.ids.next(), base + 1);
  }

  private async callById(id: number): Promise<StoredCall | undefined> {
    const [row] = await this.ctx.db.rows<CallRow>(`SELECT * FROM calls FINAL WHERE id = ${int(id)}`);
    return row && toStoredCall(row);
  }

  private async streamsOf(callIds: readonly number[]): Promise<StoredStream[]> {
    if (callIds.length === 0) return [];
    const rows = await this.ctx.db.rows<StreamRow>(`SELECT * FROM call_streams FINAL WHERE call_id IN ${list(callIds)} ORDER BY call_id, id`);
    return rows.map(toStoredStream);
  }

  private async segmentsOf(callId: number): Promise<CallSegment[]> {
    return (await this.segmentsOfCalls([callId])).get(callId) ?? [];
  }

  private async segmentsOfCalls(callIds: readonly number[]): Promise<Map<number, CallSegment[]>> {
    const out = new Map<number, CallSegment[]>();
    if (callIds.length === 0) return out;
    const rows = await this.ctx.db.rows<SegmentRow>(`SELECT call_id, start_ms, end_ms, reason, codec FROM call_segments FINAL
      WHERE call_id IN ${list(callIds)} ORDER BY call_id, start_ms, id`);
    for (const r of rows) {
      const seg: CallSegment = { startMs: r.start_ms, endMs: r.end_ms, reason: r.reason, codec: r.codec };
      const own = out.get(r.call_id);
      if (own) own.push(seg);
      else out.set(r.call_id, [seg]);
    }
    return out;
  }

  private writeCalls(calls: readonly StoredCall[]): Promise<void> {
    return this.ctx.db.insertRows('calls', CALL_COLUMNS, calls.map(ROWS.call));
  }

  private writeStreams(streams: readonly StoredStream[]): Promise<void> {
    return this.ctx.db.insertRows('call_streams', STREAM_COLUMNS, streams.map(ROWS.stream));
  }

  private writeSegments(callId: number, segments: readonly CallSegment[]): Promise<void> {
    return this.ctx.db.insertRows('call_segments', SEGMENT_COLUMNS, segments.map((s) => ROWS.segment(callId, s, this.ids.next())));
  }

  private writeSamples(samples: readonly QualitySample[]): Promise<void> {
    return this.ctx.db.insertRows('call_samples', SAMPLE_COLUMNS, samples.map((x) => ROWS.sample(x, this.ids.next())));
  }
}

/** Each table's row in its column order (CALL_COLUMNS, …). */
const ROWS: RowShapes = {
  call: (c) => [
    c.id, c.version, c.deviceId, c.sipCallId, c.recordingSession, c.localId, c.remoteId, c.startMs, c.endMs, c.durationMs, c.active, c.codec,
    JSON.stringify(c.sources), c.worstMos, c.avgMos, c.maxLossPct, c.maxJitterMs, c.verdict, c.verdictReason, c.importId, c.clockSkewMs,
  ],
  stream: (s) => [
    s.callId, s.id, s.version, s.direction, s.ssrc, s.localAddr, s.localPort, s.remoteAddr, s.remotePort, s.payloadType, s.codec,
    JSON.stringify(s.sources), s.verdict, s.verdictReason,
  ],
  segment: (callId, s, id) => [callId, s.startMs, s.endMs, s.reason, s.codec, id],
  sample: (x, id) => [x.callId, x.startMs, x.endMs, x.streamId ?? 0, x.direction ?? '', x.source, metricKind(x.metrics), JSON.stringify(x.metrics), id],
};

function toStoredCall(r: CallRow): StoredCall {
  return {
    id: r.id, version: r.version, deviceId: r.device_id, sipCallId: r.sip_call_id, recordingSession: r.recording_session, localId: r.local_id,
    remoteId: r.remote_id, startMs: r.start_ms, endMs: r.end_ms, durationMs: r.duration_ms, active: r.active === 1, codec: r.codec,
    sources: JSON.parse(r.sources) as QualitySource[], worstMos: r.worst_mos, avgMos: r.avg_mos, maxLossPct: r.max_loss_pct,
    maxJitterMs: r.max_jitter_ms, verdict: r.verdict as Verdict, verdictReason: r.verdict_reason, importId: r.import_id,
    clockSkewMs: r.clock_skew_ms,
  };
}

function publicCall(c: StoredCall): Omit<Call, 'segments'> {
  const { version: _version, durationMs: _durationMs, ...call } = c;
  return call;
}

function toStoredStream(r: StreamRow): StoredStream {
  return {
    id: r.id, callId: r.call_id, version: r.version, direction: r.direction as StoredStreamKeys['direction'], ssrc: r.ssrc, localAddr: r.local_addr,
    localPort: r.local_port, remoteAddr: r.remote_addr, remotePort: r.remote_port, payloadType: r.payload_type, codec: r.codec,
    sources: JSON.parse(r.sources) as QualitySource[], verdict: r.verdict as Verdict, verdictReason: r.verdict_reason,
  };
}

function publicStream(s: StoredStream): CallStream {
  const { version: _version, ...stream } = s;
  return stream;
}

function toSample(r: SampleRow): QualitySample {
  return {
    callId: r.call_id,
    streamId: r.stream_id === 0 ? null : r.stream_id,
    direction: r.direction === '' ? null : (r.direction as QualitySample['direction']),
    source: r.source as QualitySource,
    startMs: r.start_ms,
    endMs: r.end_ms,
    metrics: JSON.parse(r.metrics) as QualityMetrics,
  };
}
