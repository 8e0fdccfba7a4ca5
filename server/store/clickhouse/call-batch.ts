/**
 * Many call records ingested together on the fleet store: a burst of reports becomes a few
 * queries and four INSERTs instead of a dozen round trips and four INSERTs per record (each
 * INSERT is a part ClickHouse must merge). Matching stays calls/matching.ts's: the batch answers
 * its questions from a pool that holds every stored call any record of the batch could match
 * (fetched beforehand) and the calls earlier records of the batch created or changed, so each
 * record matches exactly as it would have alone, in order.
 *
 * Each record is checked as it is added (its rows encoded); one that cannot be stored fails alone
 * and leaves the pool as it was. Every call the batch touched is summarized once, at the end, from
 * its stored samples and the batch's; each record's result is its call as the batch leaves it.
 */
import type { VerdictThresholds } from '../../analysis/e-model.js';
import {
  findMatch, learn, learnStream, matchStream, MAX_TIME_CANDIDATES, timeWindow, type CallCandidates, type LearnedCall, type TimeWindow,
} from '../../calls/matching.js';
import type { Call, CallRecord, CallSegment, CallStream, QualitySample, StreamSpec } from '../../calls/model.js';
import { metricKind } from '../../calls/sample-key.js';
import { summarize } from '../../calls/summary.js';
import type { IdSource } from '../ids.js';
import { TsvWriter, type TsvValue } from './tsv.js';

/** A call as stored: the public call without segments, with its row version and duration. */
export type StoredCall = Omit<Call, 'segments'> & { readonly version: number; readonly durationMs: number | null };
export type StoredStream = CallStream & { readonly version: number };

/** What the store must fetch before a batch: for each import (null: live), the keys and the union of the records' windows. */
export interface BatchLookup {
  readonly importId: number | null;
  readonly sipCallIds: string[];
  readonly sessions: string[];
  window: TimeWindow | null;
}

/** The rows a finished batch writes, each table's in one INSERT. */
export interface BatchRows {
  readonly calls: StoredCall[];
  readonly streams: StoredStream[];
  readonly segments: Buffer;
  readonly samples: Buffer;
}

/** The rows of each table, in column order (the store's column lists). */
export interface RowShapes {
  call(c: StoredCall): readonly TsvValue[];
  stream(s: StoredStream): readonly TsvValue[];
  segment(callId: number, s: CallSegment, id: number): readonly TsvValue[];
  sample(x: QualitySample, id: number): readonly TsvValue[];
}

/** What matching found and learned for one record, before it is written. */
interface Planned {
  readonly call: StoredCall;
  readonly streams: StoredStream[];
  readonly samples: QualitySample[];
  readonly segments: readonly CallSegment[];
  readonly touchedStreams: readonly number[];
}

/** The lookups a batch needs, grouped by import; windows whose times are not finite are left out (those records fail when added). */
export function batchLookups(records: readonly CallRecord[]): BatchLookup[] {
  const byImport = new Map<number | null, BatchLookup>();
  for (const r of records) {
    const importId = r.info.importId ?? null;
    let l = byImport.get(importId);
    if (!l) byImport.set(importId, (l = { importId, sipCallIds: [], sessions: [], window: null }));
    if (r.keys.sipCallId !== undefined) l.sipCallIds.push(r.keys.sipCallId);
    if (r.keys.recordingSession !== undefined) l.sessions.push(r.keys.recordingSession);
    const w = timeWindow(r.keys);
    if (!w || ![w.startFrom, w.startTo, w.endFrom].every(Number.isFinite)) continue;
    l.window = l.window
      ? { startFrom: Math.min(l.window.startFrom, w.startFrom), startTo: Math.max(l.window.startTo, w.startTo), endFrom: Math.min(l.window.endFrom, w.endFrom) }
      : w;
  }
  return [...byImport.values()];
}

export class CallBatch {
  private readonly calls = new Map<number, StoredCall>();
  private readonly streams = new Map<number, StoredStream[]>();
  /** The version each fetched call and stream had: what the written row must exceed. */
  private readonly storedVersion = new Map<number, number>();
  private readonly touched = new Set<number>();
  private readonly changedStreams = new Set<number>();
  private readonly newSamples = new Map<number, QualitySample[]>();
  private readonly newSegments = new Map<number, CallSegment[]>();
  private readonly segmentRows: Buffer[] = [];
  private readonly sampleRows: Buffer[] = [];
  /** One writer for every record's rows: `take` hands out what a record wrote (or clears what a failed one left). */
  private readonly scratch = new TsvWriter();

  constructor(stored: { calls: readonly StoredCall[]; streams: readonly StoredStream[] }, private readonly ids: IdSource, private readonly shapes: RowShapes) {
    for (const c of stored.calls) {
      this.calls.set(c.id, c);
      this.storedVersion.set(c.id, c.version);
    }
    for (const s of stored.streams) {
      const own = this.streams.get(s.callId);
      if (own) own.push(s);
      else this.streams.set(s.callId, [s]);
    }
  }

  /** Matches one record into the pool; throws (leaving the pool untouched) when it cannot be stored. Returns its call id and samples. */
  add(record: CallRecord): { callId: number; samples: QualitySample[] } {
    const p = this.plan(record);
    // Encoding is the check: a value the store cannot hold (NaN, Infinity) throws here, before the pool changes.
    const w = this.scratch;
    w.take();
    w.row(this.shapes.call(p.call));
    for (const s of p.streams) w.row(this.shapes.stream(s));
    w.take();
    for (const s of p.segments) w.row(this.shapes.segment(p.call.id, s, this.ids.next()));
    const segmentRows = w.take();
    for (const x of p.samples) w.row(this.shapes.sample(x, this.ids.next()));
    this.sampleRows.push(w.take());
    this.segmentRows.push(segmentRows);
    this.calls.set(p.call.id, p.call);
    this.streams.set(p.call.id, p.streams);
    this.touched.add(p.call.id);
    for (const id of p.touchedStreams) this.changedStreams.add(id);
    push(this.newSamples, p.call.id, p.samples);
    push(this.newSegments, p.call.id, p.segments);
    return { callId: p.call.id, samples: p.samples };
  }

  /** Calls the batch touched that were stored before it: their stored samples and segments are needed to summarize them. */
  touchedStored(): number[] {
    return [...this.touched].filter((id) => this.storedVersion.has(id));
  }

  /**
   * Summarizes every touched call from its stored samples and segments plus the batch's (kept once
   * per natural key, the batch's copy winning, as the table does) and gives the rows to write and
   * each call as the batch leaves it.
   */
  finish(stored: { samples: ReadonlyMap<number, QualitySample[]>; segments: ReadonlyMap<number, CallSegment[]> }, thresholds: VerdictThresholds): { rows: BatchRows; calls: Map<number, Call> } {
    const callRows: StoredCall[] = [];
    const streamRows: StoredStream[] = [];
    const out = new Map<number, Call>();
    for (const id of this.touched) {
      const call = this.calls.get(id)!;
      const samples = once([...(stored.samples.get(id) ?? []), ...(this.newSamples.get(id) ?? [])], sampleKey);
      const segments = once([...(stored.segments.get(id) ?? []), ...(this.newSegments.get(id) ?? [])], segmentKey);
      const summary = summarize(samples, thresholds);
      for (const s of this.streams.get(id) ?? []) {
        const v = summary.streams.get(s.id);
        if (v) streamRows.push({ ...s, sources: v.sources, verdict: v.verdict, verdictReason: v.reason, version: this.versionAfter(s.version) });
        else if (this.changedStreams.has(s.id)) streamRows.push({ ...s, version: this.versionAfter(s.version) });
      }
      const summed: StoredCall = {
        ...call,
        sources: summary.sources, worstMos: summary.worstMos, avgMos: summary.avgMos, maxLossPct: summary.maxLossPct, maxJitterMs: summary.maxJitterMs,
        verdict: summary.verdict, verdictReason: summary.verdictReason, version: this.versionAfter(this.storedVersion.get(id) ?? 0),
      };
      callRows.push(summed);
      const { version: _version, durationMs: _durationMs, ...pub } = summed;
      out.set(id, { ...pub, segments });
    }
    return { rows: { calls: callRows, streams: streamRows, segments: Buffer.concat(this.segmentRows), samples: Buffer.concat(this.sampleRows) }, calls: out };
  }

  private plan(record: CallRecord): Planned {
    const { keys, info } = record;
    const importId = info.importId ?? null;
    const found = findMatch(keys, this.candidates(importId));
    const learned = learn(found, keys, info);
    const call: StoredCall = found ? { ...found, ...learned } : newCall(this.ids.next(), learned, importId);
    const streams = [...(this.streams.get(call.id) ?? [])];
    const { samples, touched } = applyRecord(call.id, streams, record, this.ids);
    return { call, streams, samples, segments: record.segments, touchedStreams: touched };
  }

  /** Matching's questions answered from the pool, within one import, as the store's queries would. */
  private candidates(importId: number | null): CallCandidates<StoredCall> {
    const inImport = [...this.calls.values()].filter((c) => c.importId === importId).sort(newestFirst);
    return {
      newestWith: (key, value) => inImport.find((c) => c[key] === value),
      overlapping: (w, withoutSipCallId) => inImport.filter((c) => (!withoutSipCallId || c.sipCallId === null)
        && c.startMs >= w.startFrom && c.startMs <= w.startTo && (c.endMs ?? c.startMs) >= w.endFrom).slice(0, MAX_TIME_CANDIDATES),
      streamsOf: (callIds) => new Map(callIds.map((id) => [id, this.streams.get(id) ?? []])),
    };
  }

  private versionAfter(base: number): number {
    return Math.max(this.ids.next(), base + 1);
  }
}

/** A call no stored call matched, version 0 (its first write gets a version above). */
export function newCall(id: number, learned: LearnedCall, importId: number | null): StoredCall {
  return { id, version: 0, ...learned, sources: [], worstMos: null, avgMos: null, maxLossPct: null, maxJitterMs: null, verdict: 'unknown', verdictReason: null, importId };
}

/** The stream a spec completes among the call's known streams (its version kept), or a new one (version 0). */
export function completeStream(callId: number, streams: readonly StoredStream[], spec: StreamSpec, ids: IdSource): StoredStream {
  const match = matchStream(streams, spec);
  const learned = learnStream(match, spec);
  if (match) return { ...match, ...learned };
  return { id: ids.next(), callId, direction: spec.direction, ...learned, sources: [], verdict: 'unknown', verdictReason: null, version: 0 };
}

/**
 * Completes a call's streams (in place) with a record's stream specs; gives the record's samples
 * with their call and stream ids, and the streams it touched.
 */
export function applyRecord(callId: number, streams: StoredStream[], record: CallRecord, ids: IdSource): { samples: QualitySample[]; touched: number[] } {
  const samples: QualitySample[] = [];
  const touched: number[] = [];
  for (const spec of record.streams) {
    const stream = completeStream(callId, streams, spec, ids);
    const at = streams.findIndex((s) => s.id === stream.id);
    if (at >= 0) streams[at] = stream;
    else streams.push(stream);
    touched.push(stream.id);
    for (const x of spec.samples) samples.push({ callId, streamId: stream.id, direction: stream.direction, ...x });
  }
  for (const x of record.callSamples) samples.push({ callId, streamId: null, direction: null, ...x });
  return { samples, touched };
}

function newestFirst(a: StoredCall, b: StoredCall): number {
  return b.startMs - a.startMs || b.id - a.id;
}

function push<T>(m: Map<number, T[]>, key: number, items: readonly T[]): void {
  if (items.length === 0) return;
  const own = m.get(key);
  if (own) own.push(...items);
  else m.set(key, [...items]);
}

/** Keeps the last item per key, at the place the last one takes among the items sorted by start. */
function once<T extends { startMs: number }>(items: readonly T[], key: (x: T) => string): T[] {
  const last = new Map<string, { item: T; seq: number }>();
  items.forEach((item, seq) => last.set(key(item), { item, seq }));
  return [...last.values()].sort((a, b) => a.item.startMs - b.item.startMs || a.seq - b.seq).map((x) => x.item);
}

/** The call_samples table's sorting key (what it keeps once). */
function sampleKey(x: QualitySample): string {
  return `${x.startMs}|${x.endMs}|${x.streamId ?? 0}|${x.direction ?? ''}|${x.source}|${metricKind(x.metrics)}`;
}

/** The call_segments table's sorting key. */
function segmentKey(s: CallSegment): string {
  return `${s.startMs}|${s.endMs ?? -1}|${s.reason}`;
}
