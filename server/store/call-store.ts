/**
 * The calls contract: calls, their streams, segments and quality samples (server/calls/model.ts),
 * and the matching that decides which stored call a report or recording speaks of. Every backend
 * must give the same answers; matching is atomic per call (two records of one call arriving at
 * once never create two calls).
 */
import type { VerdictThresholds } from '../analysis/e-model.js';
import type {
  Call, CallInfo, CallKeys, CallRecord, CallSegment, CallStream, QualitySample, StreamSpec, Verdict,
} from '../calls/model.js';
import type { QualityBucket, QualityKpis, QualityRange, QualityRow, QualitySlice, QualitySliceValue } from './call-quality.js';

/** How far apart two time ranges may be and still count as the same call (clocks differ, reports lag). */
export const CORRELATION_SLACK_MS = 5000;
/** Longer calls are still found by Call-ID or recording session, not by time overlap. */
export const CORRELATION_MAX_CALL_MS = 12 * 3_600_000;

export type CallSort = 'start' | 'duration' | 'worstMos' | 'avgMos' | 'loss' | 'jitter';

export interface CallQuery {
  readonly deviceId?: number;
  /** Calls that overlap [fromMs, toMs]. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Calls that started in [startFromMs, startToMs): how the quality view counts a call, where it started. */
  readonly startFromMs?: number;
  readonly startToMs?: number;
  /** Only the calls behind one row of a quality breakdown (the same rule that grouped them). */
  readonly slice?: QualitySliceValue;
  readonly verdicts?: readonly Verdict[];
  /** Calls whose worst MOS is at least this. */
  readonly minMos?: number;
  /** Calls whose worst MOS is below this (to find the bad ones). */
  readonly maxMos?: number;
  /** Substring of the SIP Call-ID, local or remote id. */
  readonly text?: string;
  readonly sort?: CallSort;
  readonly order?: 'asc' | 'desc';
  readonly offset?: number;
  readonly limit: number;
}

export interface CallPage {
  readonly calls: Call[];
  /** Calls matching the filters, over all pages. */
  readonly total: number;
}

export interface CallDetail {
  readonly call: Call;
  readonly streams: CallStream[];
}

export interface IngestResult {
  readonly call: Call;
  /** The samples as stored, with their call and stream ids. */
  readonly samples: QualitySample[];
}

export interface CallStore {
  /**
   * The stored call these keys speak of, or a new one. Matched in order on: the SIP Call-ID, the
   * recording session, an SSRC of a stream, an RTP address:port of a stream, the local/remote ids,
   * the device; all but the first two only among calls whose time range overlaps the keys' (within
   * CORRELATION_SLACK_MS, calls up to CORRELATION_MAX_CALL_MS long), newest first among equals, and
   * only within the same import (null: live traffic). A candidate that contradicts a key (another
   * Call-ID, session or device) is skipped. The found call learns the keys it lacked and widens
   * its time range, so repeating the same keys returns the same call (idempotent).
   */
  findOrCreateCall(keys: CallKeys, info?: CallInfo): Promise<Call>;
  /** Adds a stream of the call, or completes the one with the same direction and SSRC (or, lacking one, compatible addresses). Idempotent. */
  addStream(callId: number, spec: StreamSpec): Promise<CallStream>;
  /** Adds a segment unless the same one (start, end, reason) is already there. Idempotent. */
  addSegment(callId: number, segment: CallSegment): Promise<void>;
  /**
   * Appends samples (each names its call and stream). A sample with the natural key of a stored one
   * (calls/sample-key.ts: call, stream, direction, source, start, end, metric names) is kept once,
   * so a report delivered twice (retransmitted, or sent to two collectors) counts once.
   */
  addSamples(samples: readonly QualitySample[]): Promise<void>;
  /** Recomputes the call's summary, its verdict and its streams' verdicts from all its samples. */
  recompute(callId: number, thresholds: VerdictThresholds): Promise<Call>;
  /** One record as findOrCreateCall + addSegment + addStream + addSamples + recompute, atomically. */
  ingest(record: CallRecord, thresholds: VerdictThresholds): Promise<IngestResult>;
  /**
   * Each record as `ingest` + addSegment + addStream + addSamples + recompute, atomically
   * per record; one that fails is reported alone ({ error }) and the others are kept. Results are
   * in the records' order.
   */
  ingestMany(records: readonly CallRecord[], thresholds: VerdictThresholds): Promise<Array<IngestResult | { readonly error: string }>>;
  getCall(id: number): Promise<CallDetail | null>;
  /** A call's samples, oldest first. */
  samples(callId: number): Promise<QualitySample[]>;
  listCalls(q: CallQuery): Promise<CallPage>;
  /** Fleet quality of the calls that started in the range, aggregated by the database (definitions in call-quality.ts). */
  qualityKpis(range: QualityRange): Promise<QualityKpis>;
  /** The range in steps of `bucketMs` from the epoch; steps without a call are left out. */
  qualitySeries(range: QualityRange, bucketMs: number): Promise<QualityBucket[]>;
  /** KPIs per value of one dimension, worst first, at most `limit` rows. */
  qualityBreakdown(range: QualityRange, slice: QualitySlice, limit: number): Promise<QualityRow[]>;
  /** Deletes calls that ended before `nowMs - maxAgeMs` with all they hold; an active call is kept. */
  enforceRetention(maxAgeMs: number, nowMs: number): Promise<{ deletedCalls: number }>;
}
