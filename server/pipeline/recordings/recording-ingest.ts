/**
 * Live ingest of debug recordings (UDP, default port 50000): counts every datagram, groups it with
 * the tracker, batches the original datagrams to the store in large columnar writes, saves call
 * summaries as calls go on and when they end, feeds ended calls to the call correlator, and pushes
 * coalesced `recordings:update` events to browsers once a second.
 */
import type { ClockSkewEstimator } from '../../calls/clock-skew.js';
import type { CallCorrelator } from '../../calls/correlator.js';
import type { Counters } from '../../counters.js';
import type { LiveHub } from '../../live/hub.js';
import type { RecordingStore } from '../../store/recording-store.js';
import type { RowIds, Store } from '../../store/types.js';
import { recordedCallRecord } from './call-record.js';
import { DatagramBatch, type DatagramColumns } from './datagram-batch.js';
import type { RecordedCall } from './recorded-call.js';
import { RecordingTracker } from './tracker.js';
import type { RecordedCallSummary } from './types.js';

export const RECORDINGS_SOURCE = 'recordings';
const TICK_MS = 1000;
/** An active call's summary is saved at most this often (its series only when it ends). */
const ACTIVE_SAVE_INTERVAL_MS = 5000;
const RETRY_DELAY_MS = 1000;
/** Calls pushed to browsers and calls in progress saved per tick at most. */
const MAX_LIVE_CALLS_PER_TICK = 200;
const MAX_SAVES_PER_TICK = 100;

export interface RecordingIngestOptions {
  readonly store: Store;
  /** Numbering of recorded calls and streams (Store.rowIds). */
  readonly ids: RowIds;
  readonly counters: Counters;
  readonly live: LiveHub | null;
  readonly correlator: CallCorrelator | null;
  readonly inactivityMs: number;
  /** Datagrams per store write. */
  readonly batchDatagrams: number;
  readonly flushIntervalMs: number;
  /** Datagram bytes waiting for the store beyond which new datagrams are not stored (counted as dropped). */
  readonly maxQueuedBytes: number;
  readonly deviceId?: (address: string) => number | null;
  readonly now: () => number;
  /** Phone clocks as measured from reports and syslog: a recorded call notes its phone's (its times are arrival-anchored already). */
  readonly clocks?: ClockSkewEstimator;
}

export class RecordingIngest {
  readonly tracker: RecordingTracker;
  private readonly tables: RecordingStore;
  private batch = new DatagramBatch();
  private readonly waiting: DatagramColumns[] = [];
  private waitingBytes = 0;
  private writing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly tickTimer: NodeJS.Timeout;
  private readonly changed = new Set<RecordedCall>();
  /** When each call in progress was last saved, and how many datagrams it had then. */
  private readonly saved = new Map<number, { atMs: number; datagrams: number }>();
  private readonly pendingSaves = new Set<Promise<unknown>>();
  lastError: string | null = null;

  constructor(private readonly o: RecordingIngestOptions) {
    this.tables = o.store.recordings;
    this.tracker = new RecordingTracker({
      inactivityMs: o.inactivityMs,
      callIds: o.ids.recordedCall,
      streamIds: o.ids.recordedStream,
      deviceId: o.deviceId,
      sink: {
        datagram: (callId, arrivalMs, srcPort, bytes) => this.keep(callId, arrivalMs, srcPort, bytes),
        callChanged: (call) => this.changed.add(call),
        callEnded: (call) => this.ended(call),
      },
    });
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.tickTimer.unref();
  }

  handle(data: Buffer, from: string, fromPort: number): void {
    const c = this.o.counters.source(RECORDINGS_SOURCE);
    c.received++;
    c.bytes += data.length;
    const now = this.o.now();
    const r = this.tracker.handle(data, now, from, fromPort);
    if (typeof r === 'object') this.o.counters.malformed(RECORDINGS_SOURCE, from, r.message, data, now);
    else if (r === 'over-capacity') c.dropped++;
    else c.parsed++;
  }

  /** A call in progress, from memory (stored calls come from the store). */
  activeCall(id: number): RecordedCall | undefined {
    return this.tracker.activeCall(id);
  }

  /** Ends every call, writes every datagram and summary. */
  async close(): Promise<void> {
    clearInterval(this.tickTimer);
    this.tracker.endAll('shutdown');
    await this.flush();
    await Promise.all([...this.pendingSaves]);
  }

  /** Resolves once every datagram received so far is written. */
  async flush(): Promise<void> {
    this.seal();
    while (this.writing || this.waiting.length > 0) {
      if (!this.writing) this.writeNext();
      await this.writing;
      if (this.lastError && !this.writing) throw new Error(`recordings store write failed: ${this.lastError}`);
    }
  }

  private keep(callId: number, arrivalMs: number, srcPort: number, bytes: Uint8Array): void {
    if (this.waitingBytes + this.batch.bytes + bytes.length > this.o.maxQueuedBytes) {
      this.o.counters.source(RECORDINGS_SOURCE).dropped++;
      return;
    }
    this.batch.add(callId, arrivalMs, srcPort, bytes);
    if (this.batch.n >= this.o.batchDatagrams) {
      this.seal();
      if (!this.writing) this.writeNext();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.seal();
        if (!this.writing) this.writeNext();
      }, this.o.flushIntervalMs);
    }
  }

  private seal(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.batch.n === 0) return;
    const cols = this.batch.take();
    this.waiting.push(cols);
    this.waitingBytes += cols.data.length;
  }

  private writeNext(): void {
    const cols = this.waiting[0];
    if (!cols) return;
    this.writing = this.tables.writeDatagrams(cols).then(
      () => {
        this.waiting.shift();
        this.waitingBytes -= cols.data.length;
        this.lastError = null;
        this.o.counters.source(RECORDINGS_SOURCE).stored += cols.n;
      },
      (err: Error) => { this.lastError = err.message; },
    ).finally(() => {
      this.writing = null;
      if (this.waiting.length === 0) return;
      if (this.lastError) setTimeout(() => { if (!this.writing) this.writeNext(); }, RETRY_DELAY_MS).unref();
      else this.writeNext();
    });
  }

  /**
   * Once a second: end quiet calls, push changed calls to browsers, save calls in progress. Both are
   * budgeted per tick, so a thousand concurrent calls never stall the socket for long (a summary
   * costs tens of µs; 1,000 at once would hold the main thread for ~80 ms, longer than the receive
   * buffer lasts at 100,000 datagrams/s). Calls left over wait for the next tick.
   */
  private tick(): void {
    const now = this.o.now();
    this.tracker.sweep(now);
    const updates: RecordedCallSummary[] = [];
    if ((this.o.live?.clientCount ?? 0) > 0) {
      for (const call of this.changed) {
        if (updates.length === MAX_LIVE_CALLS_PER_TICK) break;
        this.changed.delete(call);
        if (call.active) updates.push(call.summary());
      }
    } else {
      this.changed.clear();
    }
    const toSave: RecordedCallSummary[] = [];
    for (const call of this.tracker.activeCalls()) {
      if (toSave.length === MAX_SAVES_PER_TICK) break;
      const saved = this.saved.get(call.id);
      if (saved && (now - saved.atMs < ACTIVE_SAVE_INTERVAL_MS || saved.datagrams === call.datagrams)) continue;
      this.saved.set(call.id, { atMs: now, datagrams: call.datagrams });
      toSave.push(call.summary());
    }
    if (toSave.length > 0) this.track(this.tables.saveCalls(toSave.map((summary) => ({ summary, series: null }))));
    if (updates.length > 0) this.o.live?.broadcast('recordings:update', { calls: updates });
  }

  /**
   * Only an ended call goes to the correlator: announced early, with a partial time range and not all
   * its SSRCs, it was matched to another call of the same phone by time overlap (seen with the simulator).
   */
  private ended(call: RecordedCall): void {
    this.changed.delete(call);
    this.saved.delete(call.id);
    const summary = call.summary();
    const series = call.series();
    this.track(this.tables.saveCalls([{ summary, series }]));
    this.o.live?.broadcast('recordings:update', { calls: [summary] });
    if (this.o.correlator) {
      const record = recordedCallRecord(summary, series);
      const skewMs = summary.deviceId === null ? null : this.o.clocks?.skewMs(summary.deviceId) ?? null;
      this.track(this.o.correlator.ingest(skewMs === null ? record : { ...record, info: { ...record.info, clockSkewMs: skewMs } }));
    }
  }

  private track(p: Promise<unknown>): void {
    const done = p.then(
      () => undefined,
      (err: Error) => { this.lastError = err.message; },
    );
    this.pendingSaves.add(done);
    void done.finally(() => this.pendingSaves.delete(done));
  }
}
