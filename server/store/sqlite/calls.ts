/**
 * The `calls` store domain (the CallStore contract, ../call-store.ts): calls, their streams, segments and quality samples (server/calls/model.ts),
 * and the correlation that decides which stored call a report or recording speaks of (decided in
 * calls/matching.ts; this file fetches the candidates). Correlation runs synchronously inside one
 * transaction, so two reports of the same call arriving together can never create two calls (the
 * worker answers one request at a time).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { VerdictThresholds } from '../../analysis/e-model.js';
import type {
  Call, CallInfo, CallKeys, CallRecord, CallSegment, CallStream, QualityMetrics, QualitySample, QualitySource,
  StreamSpec, Verdict,
} from '../../calls/model.js';
import {
  findMatch, learn, learnStream, matchStream, MAX_TIME_CANDIDATES, type CallCandidates, type StoredCallKeys, type StoredStreamKeys,
} from '../../calls/matching.js';
import { metricKind } from '../../calls/sample-key.js';
import { summarize } from '../../calls/summary.js';
import type { CallDetail, CallPage, CallQuery, CallSort, IngestResult } from '../call-store.js';
import type { QualityBucket, QualityKpis, QualityRange, QualityRow, QualitySlice } from '../call-quality.js';
import { CallQualityQueries, sliceCondition } from './call-quality.js';
import type { Schema } from './migrations.js';

export const CALLS_SCHEMA: Schema = {
  name: 'calls',
  migrations: [
    // 1: calls with their summary columns (list filters and sorts need no join), streams, segments, samples.
    `
    CREATE TABLE calls (
      id INTEGER PRIMARY KEY,
      device_id INTEGER,
      sip_call_id TEXT, recording_session TEXT, local_id TEXT, remote_id TEXT,
      start_ms INTEGER NOT NULL, end_ms INTEGER, duration_ms INTEGER,
      active INTEGER NOT NULL DEFAULT 0,
      codec TEXT,
      sources TEXT NOT NULL DEFAULT '[]',
      worst_mos REAL, avg_mos REAL, max_loss_pct REAL, max_jitter_ms REAL,
      verdict TEXT NOT NULL DEFAULT 'unknown', verdict_reason TEXT,
      import_id INTEGER
    );
    CREATE INDEX calls_start ON calls(start_ms);
    CREATE INDEX calls_device ON calls(device_id, start_ms);
    CREATE INDEX calls_sip_call_id ON calls(sip_call_id) WHERE sip_call_id IS NOT NULL;
    CREATE INDEX calls_recording ON calls(recording_session) WHERE recording_session IS NOT NULL;
    CREATE INDEX calls_verdict ON calls(verdict, start_ms);
    CREATE TABLE call_streams (
      id INTEGER PRIMARY KEY,
      call_id INTEGER NOT NULL,
      direction TEXT NOT NULL,
      ssrc INTEGER,
      local_addr TEXT, local_port INTEGER, remote_addr TEXT, remote_port INTEGER,
      payload_type INTEGER, codec TEXT,
      sources TEXT NOT NULL DEFAULT '[]',
      verdict TEXT NOT NULL DEFAULT 'unknown', verdict_reason TEXT
    );
    CREATE INDEX call_streams_call ON call_streams(call_id);
    CREATE INDEX call_streams_ssrc ON call_streams(ssrc) WHERE ssrc IS NOT NULL;
    CREATE INDEX call_streams_local ON call_streams(local_addr, local_port);
    CREATE INDEX call_streams_remote ON call_streams(remote_addr, remote_port);
    CREATE TABLE call_segments (
      id INTEGER PRIMARY KEY,
      call_id INTEGER NOT NULL,
      start_ms INTEGER NOT NULL, end_ms INTEGER,
      reason TEXT NOT NULL, codec TEXT,
      UNIQUE (call_id, start_ms, end_ms, reason)
    );
    CREATE TABLE call_samples (
      id INTEGER PRIMARY KEY,
      call_id INTEGER NOT NULL,
      stream_id INTEGER,
      direction TEXT,
      source TEXT NOT NULL,
      start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
      metrics TEXT NOT NULL
    );
    CREATE INDEX call_samples_call ON call_samples(call_id, start_ms);
    `,
    // 2: correlation by time looks at calls started in a bounded window; a report (it has a Call-ID)
    // only at calls without one, which this partial index keeps few.
    `
    CREATE INDEX calls_without_sip_call_id ON calls(start_ms) WHERE sip_call_id IS NULL;
    `,
    // 3: a sample is kept once per natural key (see calls/sample-key.ts), so a report delivered
    // twice counts once; an open segment (no end) once too, which the UNIQUE of 1 missed (NULLs
    // differ there). Duplicates stored before are dropped, the first kept.
    `
    DELETE FROM call_segments WHERE id NOT IN (SELECT MIN(id) FROM call_segments GROUP BY call_id, start_ms, IFNULL(end_ms, -1), reason);
    CREATE UNIQUE INDEX call_segments_key ON call_segments(call_id, start_ms, IFNULL(end_ms, -1), reason);
    ALTER TABLE call_samples ADD COLUMN kind TEXT NOT NULL DEFAULT '';
    UPDATE call_samples SET kind = COALESCE((SELECT group_concat(key, ',') FROM (SELECT key FROM json_each(call_samples.metrics) ORDER BY key)), '');
    DELETE FROM call_samples WHERE id NOT IN (
      SELECT MIN(id) FROM call_samples GROUP BY call_id, IFNULL(stream_id, 0), IFNULL(direction, ''), source, start_ms, end_ms, kind);
    CREATE UNIQUE INDEX call_samples_key ON call_samples(call_id, IFNULL(stream_id, 0), IFNULL(direction, ''), source, start_ms, end_ms, kind);
    `,
    // 4: the fleet quality view reads a time range's calls from this index alone, and finds the
    // range's 5th-percentile MOS from the low end of the second (call-quality.ts).
    `
    CREATE INDEX calls_quality ON calls(start_ms, verdict, avg_mos, max_loss_pct, max_jitter_ms, device_id, codec, remote_id);
    CREATE INDEX calls_mos ON calls(avg_mos, start_ms) WHERE avg_mos IS NOT NULL;
    `,
    // 5: how far the phone's clock was off (calls/clock-skew.ts), shown on the call page.
    `
    ALTER TABLE calls ADD COLUMN clock_skew_ms REAL;
    `,
  ],
};

const SORT_COLUMNS: Readonly<Record<CallSort, string>> = {
  start: 'start_ms',
  duration: 'duration_ms',
  worstMos: 'worst_mos',
  avgMos: 'avg_mos',
  loss: 'max_loss_pct',
  jitter: 'max_jitter_ms',
};

interface CallRow {
  id: number; device_id: number | null; sip_call_id: string | null; recording_session: string | null;
  local_id: string | null; remote_id: string | null; start_ms: number; end_ms: number | null; active: number;
  codec: string | null; sources: string; worst_mos: number | null; avg_mos: number | null; max_loss_pct: number | null;
  max_jitter_ms: number | null; verdict: string; verdict_reason: string | null; import_id: number | null; clock_skew_ms: number | null;
}

interface StreamRow {
  id: number; call_id: number; direction: string; ssrc: number | null; local_addr: string | null; local_port: number | null;
  remote_addr: string | null; remote_port: number | null; payload_type: number | null; codec: string | null;
  sources: string; verdict: string; verdict_reason: string | null;
}

interface SampleRow {
  call_id: number; stream_id: number | null; direction: string | null; source: string; start_ms: number; end_ms: number; metrics: string;
}

export class CallsTables {
  private readonly s: Record<string, Statement>;
  private readonly quality: CallQualityQueries;

  constructor(private readonly db: Db) {
    this.quality = new CallQualityQueries(db);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      callById: p('SELECT * FROM calls WHERE id = ?'),
      bySipCallId: p('SELECT * FROM calls WHERE sip_call_id = ? AND import_id IS ? ORDER BY start_ms DESC LIMIT 1'),
      byRecording: p('SELECT * FROM calls WHERE recording_session = ? AND import_id IS ? ORDER BY start_ms DESC LIMIT 1'),
      overlapping: p(`SELECT * FROM calls WHERE import_id IS ? AND start_ms BETWEEN ? AND ? AND COALESCE(end_ms, start_ms) >= ?
                       ORDER BY start_ms DESC LIMIT ${MAX_TIME_CANDIDATES}`),
      overlappingWithoutSipCallId: p(`SELECT * FROM calls WHERE sip_call_id IS NULL AND import_id IS ? AND start_ms BETWEEN ? AND ?
                       AND COALESCE(end_ms, start_ms) >= ? ORDER BY start_ms DESC LIMIT ${MAX_TIME_CANDIDATES}`),
      insertCall: p(`INSERT INTO calls (device_id, sip_call_id, recording_session, local_id, remote_id, start_ms, end_ms, duration_ms, active, codec, import_id,
                     clock_skew_ms)
                     VALUES (@deviceId, @sipCallId, @recordingSession, @localId, @remoteId, @startMs, @endMs, @durationMs, @active, @codec, @importId,
                     @clockSkewMs)`),
      updateCall: p(`UPDATE calls SET device_id = @deviceId, sip_call_id = @sipCallId, recording_session = @recordingSession,
                     local_id = @localId, remote_id = @remoteId, start_ms = @startMs, end_ms = @endMs, duration_ms = @durationMs,
                     active = @active, codec = @codec, clock_skew_ms = @clockSkewMs WHERE id = @id`),
      updateSummary: p(`UPDATE calls SET sources = @sources, worst_mos = @worstMos, avg_mos = @avgMos, max_loss_pct = @maxLossPct,
                        max_jitter_ms = @maxJitterMs, verdict = @verdict, verdict_reason = @verdictReason WHERE id = @id`),
      streamsOf: p('SELECT * FROM call_streams WHERE call_id = ? ORDER BY id'),
      insertStream: p(`INSERT INTO call_streams (call_id, direction, ssrc, local_addr, local_port, remote_addr, remote_port, payload_type, codec)
                       VALUES (@callId, @direction, @ssrc, @localAddr, @localPort, @remoteAddr, @remotePort, @payloadType, @codec)`),
      updateStream: p(`UPDATE call_streams SET ssrc = @ssrc, local_addr = @localAddr, local_port = @localPort, remote_addr = @remoteAddr,
                       remote_port = @remotePort, payload_type = @payloadType, codec = @codec WHERE id = @id`),
      streamVerdict: p('UPDATE call_streams SET sources = ?, verdict = ?, verdict_reason = ? WHERE id = ?'),
      segmentsOf: p('SELECT start_ms, end_ms, reason, codec FROM call_segments WHERE call_id = ? ORDER BY start_ms, id'),
      insertSegment: p('INSERT OR IGNORE INTO call_segments (call_id, start_ms, end_ms, reason, codec) VALUES (?, ?, ?, ?, ?)'),
      insertSample: p('INSERT OR IGNORE INTO call_samples (call_id, stream_id, direction, source, start_ms, end_ms, metrics, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      samplesOf: p('SELECT call_id, stream_id, direction, source, start_ms, end_ms, metrics FROM call_samples WHERE call_id = ? ORDER BY start_ms, id'),
    };
  }

  /**
   * The stored call these keys speak of, or a new one. Tried in order: the reported call's SIP
   * Call-ID, the recording session, an SSRC of a stream, an RTP address:port of a stream, the
   * local/remote ids, the device; all but the first two only among calls overlapping the keys'
   * time range. A candidate that contradicts a key (another Call-ID, session or device) is skipped.
   * The found call learns the keys it lacked and widens its time range.
   */
  findOrCreateCall(keys: CallKeys, info: CallInfo = {}): Call {
    return this.db.transaction(() => this.callFor(keys, info))();
  }

  /** Adds or updates a stream of the call (matched by direction, then SSRC or addresses). */
  addStream(callId: number, spec: StreamSpec): CallStream {
    return this.db.transaction(() => this.streamFor(callId, spec))();
  }

  /** Adds a segment unless the same one is already there (a retransmitted report). */
  addSegment(callId: number, segment: CallSegment): void {
    this.s.insertSegment!.run(callId, segment.startMs, segment.endMs, segment.reason, segment.codec);
  }

  addSamples(samples: readonly QualitySample[]): void {
    this.db.transaction(() => {
      for (const x of samples) this.insertSample(x);
    })();
  }

  /** Recomputes the call's summary, its verdict and its streams' verdicts from all its samples. */
  recompute(callId: number, thresholds: VerdictThresholds): Call {
    return this.db.transaction(() => this.recomputeNow(callId, thresholds))();
  }

  /** One report or recorded call, correlated and stored in one transaction. */
  ingest(record: CallRecord, thresholds: VerdictThresholds): IngestResult {
    return this.db.transaction(() => {
      const call = this.callFor(record.keys, record.info);
      for (const seg of record.segments) this.addSegment(call.id, seg);
      const samples: QualitySample[] = [];
      for (const st of record.streams) {
        const stream = this.streamFor(call.id, st);
        for (const x of st.samples) samples.push({ callId: call.id, streamId: stream.id, direction: stream.direction, ...x });
      }
      for (const x of record.callSamples) samples.push({ callId: call.id, streamId: null, direction: null, ...x });
      for (const x of samples) this.insertSample(x);
      return { call: this.recomputeNow(call.id, thresholds), samples };
    })();
  }

  /**
   * Several records in one transaction (a commit costs more than a report's statements); each in a
   * savepoint of its own, so one that fails is reported alone and the others are kept.
   */
  ingestMany(records: readonly CallRecord[], thresholds: VerdictThresholds): Array<IngestResult | { readonly error: string }> {
    return this.db.transaction(() => records.map((r) => {
      try {
        return this.ingest(r, thresholds);
      } catch (err) {
        return { error: (err as Error).message };
      }
    }))();
  }

  /**
   * Deletes calls that ended before `nowMs - maxAgeMs`, with their streams, segments and samples.
   * A call still active is kept however old its start: it is being written to.
   */
  enforceRetention(maxAgeMs: number, nowMs: number): { deletedCalls: number } {
    return this.db.transaction(() => {
      const old = 'SELECT id FROM calls WHERE active = 0 AND COALESCE(end_ms, start_ms) < ?';
      const cutoff = nowMs - maxAgeMs;
      for (const table of ['call_samples', 'call_segments', 'call_streams']) this.db.prepare(`DELETE FROM ${table} WHERE call_id IN (${old})`).run(cutoff);
      return { deletedCalls: this.db.prepare(`DELETE FROM calls WHERE id IN (${old})`).run(cutoff).changes };
    })();
  }

  getCall(id: number): CallDetail | null {
    const row = this.s.callById!.get(id) as CallRow | undefined;
    if (!row) return null;
    return { call: this.toCall(row), streams: (this.s.streamsOf!.all(id) as StreamRow[]).map(toStream) };
  }

  samples(callId: number): QualitySample[] {
    return (this.s.samplesOf!.all(callId) as SampleRow[]).map(toSample);
  }

  listCalls(q: CallQuery): CallPage {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.deviceId !== undefined) { where.push('device_id = ?'); args.push(q.deviceId); }
    if (q.fromMs !== undefined) { where.push('COALESCE(end_ms, start_ms) >= ?'); args.push(q.fromMs); }
    if (q.toMs !== undefined) { where.push('start_ms <= ?'); args.push(q.toMs); }
    if (q.startFromMs !== undefined) { where.push('start_ms >= ?'); args.push(q.startFromMs); }
    if (q.startToMs !== undefined) { where.push('start_ms < ?'); args.push(q.startToMs); }
    let named: Record<string, unknown> = {};
    if (q.slice) {
      const c = sliceCondition(q.slice);
      where.push(c.sql);
      named = c.params;
    }
    if (q.verdicts && q.verdicts.length > 0) { where.push(`verdict IN (${q.verdicts.map(() => '?').join(',')})`); args.push(...q.verdicts); }
    if (q.minMos !== undefined) { where.push('worst_mos >= ?'); args.push(q.minMos); }
    if (q.maxMos !== undefined) { where.push('worst_mos < ?'); args.push(q.maxMos); }
    if (q.text !== undefined && q.text !== '') {
      const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push("(sip_call_id LIKE ? ESCAPE '\\' OR local_id LIKE ? ESCAPE '\\' OR remote_id LIKE ? ESCAPE '\\')");
      args.push(like, like, like);
    }
    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const column = SORT_COLUMNS[q.sort ?? 'start'];
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    // Calls without the value sort last either way (SQLite puts NULL first ascending, last descending);
    // id keeps pages stable among equal values. Plain `start_ms DESC, id DESC` walks its index.
    const orderSql = dir === 'ASC' && column !== 'start_ms' ? `ORDER BY ${column} IS NULL, ${column} ASC, id ASC` : `ORDER BY ${column} ${dir}, id ${dir}`;
    const rows = this.db.prepare(`SELECT * FROM calls ${whereSql} ${orderSql} LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset ?? 0, named) as CallRow[];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM calls ${whereSql}`).get(...args, named) as { n: number }).n;
    return { calls: rows.map((r) => this.toCall(r)), total };
  }

  qualityKpis(range: QualityRange): QualityKpis {
    return this.quality.kpis(range);
  }

  qualitySeries(range: QualityRange, bucketMs: number): QualityBucket[] {
    return this.quality.series(range, bucketMs);
  }

  qualityBreakdown(range: QualityRange, slice: QualitySlice, limit: number): QualityRow[] {
    return this.quality.breakdown(range, slice, limit);
  }

  private callFor(keys: CallKeys, info: CallInfo): Call {
    const found = findMatch(keys, this.candidates(info.importId ?? null));
    const { active, ...learned } = learn(found, keys, info);
    const values = { ...learned, active: active ? 1 : 0 };
    if (found) {
      this.s.updateCall!.run({ ...values, id: found.id });
      return this.toCall(this.s.callById!.get(found.id) as CallRow);
    }
    const id = Number(this.s.insertCall!.run({ ...values, importId: info.importId ?? null }).lastInsertRowid);
    return this.toCall(this.s.callById!.get(id) as CallRow);
  }

  private candidates(importId: number | null): CallCandidates<StoredCallKeys> {
    return {
      newestWith: (key, value) => {
        const row = (key === 'sipCallId' ? this.s.bySipCallId! : this.s.byRecording!).get(value, importId) as CallRow | undefined;
        return row && callKeysOf(row);
      },
      overlapping: (w, withoutSipCallId) =>
        ((withoutSipCallId ? this.s.overlappingWithoutSipCallId! : this.s.overlapping!).all(importId, w.startFrom, w.startTo, w.endFrom) as CallRow[]).map(callKeysOf),
      streamsOf: (ids) => this.streamsOfCalls(ids),
    };
  }

  private streamsOfCalls(ids: readonly number[]): Map<number, StoredStreamKeys[]> {
    const out = new Map<number, StoredStreamKeys[]>();
    // SQLite's default bound-parameter limit is 32,766; chunks stay well under it.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      for (const r of this.db.prepare(`SELECT * FROM call_streams WHERE call_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as StreamRow[]) {
        const list = out.get(r.call_id);
        if (list) list.push(streamKeysOf(r));
        else out.set(r.call_id, [streamKeysOf(r)]);
      }
    }
    return out;
  }

  private streamFor(callId: number, spec: StreamSpec): CallStream {
    const match = matchStream((this.s.streamsOf!.all(callId) as StreamRow[]).map(streamKeysOf), spec);
    const values = learnStream(match, spec);
    let id: number;
    if (match) {
      this.s.updateStream!.run({ ...values, id: match.id });
      id = match.id;
    } else {
      id = Number(this.s.insertStream!.run({ ...values, callId, direction: spec.direction }).lastInsertRowid);
    }
    return toStream((this.s.streamsOf!.all(callId) as StreamRow[]).find((r) => r.id === id)!);
  }

  private insertSample(x: QualitySample): void {
    this.s.insertSample!.run(x.callId, x.streamId, x.direction, x.source, x.startMs, x.endMs, JSON.stringify(x.metrics), metricKind(x.metrics));
  }

  private recomputeNow(callId: number, thresholds: VerdictThresholds): Call {
    const summary = summarize(this.samples(callId), thresholds);
    for (const [streamId, v] of summary.streams) this.s.streamVerdict!.run(JSON.stringify(v.sources), v.verdict, v.reason, streamId);
    this.s.updateSummary!.run({
      id: callId,
      sources: JSON.stringify(summary.sources),
      worstMos: summary.worstMos,
      avgMos: summary.avgMos,
      maxLossPct: summary.maxLossPct,
      maxJitterMs: summary.maxJitterMs,
      verdict: summary.verdict,
      verdictReason: summary.verdictReason,
    });
    return this.toCall(this.s.callById!.get(callId) as CallRow);
  }

  private toCall(r: CallRow): Call {
    const segments = (this.s.segmentsOf!.all(r.id) as Array<{ start_ms: number; end_ms: number | null; reason: CallSegment['reason']; codec: string | null }>)
      .map((s) => ({ startMs: s.start_ms, endMs: s.end_ms, reason: s.reason, codec: s.codec }));
    return {
      id: r.id,
      deviceId: r.device_id,
      sipCallId: r.sip_call_id,
      recordingSession: r.recording_session,
      localId: r.local_id,
      remoteId: r.remote_id,
      startMs: r.start_ms,
      endMs: r.end_ms,
      active: r.active === 1,
      codec: r.codec,
      sources: JSON.parse(r.sources) as QualitySource[],
      segments,
      worstMos: r.worst_mos,
      avgMos: r.avg_mos,
      maxLossPct: r.max_loss_pct,
      maxJitterMs: r.max_jitter_ms,
      verdict: r.verdict as Verdict,
      verdictReason: r.verdict_reason,
      importId: r.import_id,
      clockSkewMs: r.clock_skew_ms,
    };
  }
}

function callKeysOf(r: CallRow): StoredCallKeys {
  return {
    id: r.id, deviceId: r.device_id, sipCallId: r.sip_call_id, recordingSession: r.recording_session, localId: r.local_id, remoteId: r.remote_id,
    startMs: r.start_ms, endMs: r.end_ms, active: r.active === 1, codec: r.codec, clockSkewMs: r.clock_skew_ms,
  };
}

function streamKeysOf(r: StreamRow): StoredStreamKeys {
  return {
    id: r.id, direction: r.direction as StoredStreamKeys['direction'], ssrc: r.ssrc, localAddr: r.local_addr, localPort: r.local_port,
    remoteAddr: r.remote_addr, remotePort: r.remote_port, payloadType: r.payload_type, codec: r.codec,
  };
}

function toStream(r: StreamRow): CallStream {
  return {
    id: r.id,
    callId: r.call_id,
    direction: r.direction as CallStream['direction'],
    ssrc: r.ssrc,
    localAddr: r.local_addr,
    localPort: r.local_port,
    remoteAddr: r.remote_addr,
    remotePort: r.remote_port,
    payloadType: r.payload_type,
    codec: r.codec,
    sources: JSON.parse(r.sources) as QualitySource[],
    verdict: r.verdict as Verdict,
    verdictReason: r.verdict_reason,
  };
}

function toSample(r: SampleRow): QualitySample {
  return {
    callId: r.call_id,
    streamId: r.stream_id,
    direction: r.direction as QualitySample['direction'],
    source: r.source as QualitySource,
    startMs: r.start_ms,
    endMs: r.end_ms,
    metrics: JSON.parse(r.metrics) as QualityMetrics,
  };
}
