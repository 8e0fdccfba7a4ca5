/**
 * The one door into the calls domain for every quality source (SIP reports, recordings, imports):
 * it ties what a source says to a stored call (see `CallStore.findOrCreateCall` for the order of
 * keys), keeps summaries and verdicts current, and tells listeners (the live push) what changed.
 *
 * Directions are seen from the phone: `rx` is what the phone received (a vq report's LocalMetrics,
 * QoE InboundStream, a recorded stream towards the phone), `tx` what it sent.
 *
 * Typical use by a source that builds a call piece by piece:
 *   const call = await correlator.findOrCreateCall({ recordingSession, ssrcs, startMs, endMs }, { active: true });
 *   const stream = await correlator.addStream(call.id, { direction: 'rx', ssrc, localAddr, localPort, ... });
 *   await correlator.addSamples(samples.map((s) => ({ ...s, callId: call.id, streamId: stream.id, direction: 'rx' })));
 *   await correlator.recompute(call.id);
 * or all at once, in one store transaction: `await correlator.ingest(record)`.
 */
import { DEFAULT_VERDICT_THRESHOLDS, type VerdictThresholds } from '../analysis/e-model.js';
import type { CallDetail, CallPage, CallQuery, CallStore, IngestResult } from '../store/call-store.js';
import type { Store } from '../store/types.js';
import type { Call, CallInfo, CallKeys, CallRecord, CallSegment, CallStream, QualitySample, StreamSpec } from './model.js';

export type { CallDetail, CallPage, CallQuery, IngestResult } from '../store/call-store.js';

/** Records written in one store transaction at most. */
const MAX_INGEST_BATCH = 500;

export interface CallListener {
  /** A call was created or changed (summary, verdict, segments). */
  onCall?(call: Call): void;
  /** Samples were stored for a call. */
  onSamples?(callId: number, samples: readonly QualitySample[]): void;
}

export class CallCorrelator {
  private readonly tables: CallStore;
  private readonly listeners = new Set<CallListener>();
  private readonly pending: Array<{ record: CallRecord; resolve: (r: IngestResult) => void; reject: (e: Error) => void }> = [];
  private flushing = false;

  constructor(store: Store, private readonly thresholds: VerdictThresholds = DEFAULT_VERDICT_THRESHOLDS, private readonly now: () => number = Date.now) {
    this.tables = store.calls;
  }

  /** Registers a listener for stored changes; returns the function that removes it. */
  listen(listener: CallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The call these keys speak of, found by the report's SIP Call-ID, recording session, SSRC,
   * RTP address, local/remote id, device and time overlap (in that order), or created. The call
   * learns keys it lacked. Without any time in the keys, a new call starts now.
   */
  async findOrCreateCall(keys: CallKeys, info: CallInfo = {}): Promise<Call> {
    const timed = keys.startMs === undefined && keys.endMs === undefined ? { ...keys, startMs: this.now() } : keys;
    const call = await this.tables.findOrCreateCall(timed, info);
    this.emitCall(call);
    return call;
  }

  /** Adds a stream to the call, or completes the matching one (same direction, SSRC or addresses). */
  addStream(callId: number, spec: StreamSpec): Promise<CallStream> {
    return this.tables.addStream(callId, spec);
  }

  /** Adds a segment (hold/resume, codec change, a report's START–STOP); a repeat is ignored. */
  addSegment(callId: number, segment: CallSegment): Promise<void> {
    return this.tables.addSegment(callId, segment);
  }

  /** Stores samples (each names its call and stream) and tells listeners; call `recompute` after. */
  async addSamples(samples: readonly QualitySample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.tables.addSamples(samples);
    const byCall = new Map<number, QualitySample[]>();
    for (const s of samples) {
      const list = byCall.get(s.callId);
      if (list) list.push(s);
      else byCall.set(s.callId, [s]);
    }
    for (const [callId, list] of byCall) this.emitSamples(callId, list);
  }

  /** Recomputes summary, call verdict and stream verdicts from all samples; tells listeners. */
  async recompute(callId: number): Promise<Call> {
    const call = await this.tables.recompute(callId, this.thresholds);
    this.emitCall(call);
    return call;
  }

  /**
   * A whole report or recorded call: correlate, add, recompute, tell listeners. Records that arrive
   * together are written in one store transaction (each still on its own: one failing rejects only
   * its own promise), which is what lets a burst of reports through.
   */
  ingest(record: CallRecord): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_INGEST_BATCH);
      let results: Awaited<ReturnType<CallStore['ingestMany']>>;
      try {
        results = await this.tables.ingestMany(batch.map((p) => p.record), this.thresholds);
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
        continue;
      }
      batch.forEach((p, i) => {
        const r = results[i]!;
        if ('error' in r) {
          p.reject(new Error(r.error));
          return;
        }
        this.emitCall(r.call);
        if (r.samples.length > 0) this.emitSamples(r.call.id, r.samples);
        p.resolve(r);
      });
    }
    this.flushing = false;
  }

  /** A call with its streams, or null. */
  getCall(id: number): Promise<CallDetail | null> {
    return this.tables.getCall(id);
  }

  /** All samples of a call, oldest first. */
  samples(callId: number): Promise<QualitySample[]> {
    return this.tables.samples(callId);
  }

  /** One page of calls, filtered and sorted in the store. */
  listCalls(query: CallQuery): Promise<CallPage> {
    return this.tables.listCalls(query);
  }

  private emitCall(call: Call): void {
    for (const l of this.listeners) l.onCall?.(call);
  }

  private emitSamples(callId: number, samples: readonly QualitySample[]): void {
    for (const l of this.listeners) l.onSamples?.(callId, samples);
  }
}
