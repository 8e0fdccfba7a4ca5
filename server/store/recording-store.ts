/**
 * The recordings contract: recorded calls (summary with stream stats), their series, and the
 * original ACDR datagrams so captures can be exported later.
 */
import type { Verdict } from '../calls/model.js';
import type { DatagramColumns } from '../pipeline/recordings/datagram-batch.js';
import type { RecordedCallSeries, RecordedCallSummary } from '../pipeline/recordings/types.js';

export interface RecordedCallQuery {
  /** Device address or id. */
  readonly deviceAddr?: string;
  readonly deviceId?: number;
  /** Calls that overlap [fromMs, toMs]. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Worst 5-second MOS at least / at most this. */
  readonly minMos?: number;
  readonly maxMos?: number;
  readonly verdicts?: readonly Verdict[];
  readonly active?: boolean;
  /** Only calls with a smaller id (paging, newest first). */
  readonly beforeId?: number;
  readonly limit: number;
}

export interface CallToSave {
  readonly summary: RecordedCallSummary;
  /** Written when given (ended calls); an active call's series is served from memory. */
  readonly series: RecordedCallSeries | null;
  /** Set for a call from an imported capture. */
  readonly importId?: number;
}

export interface RecordingStore {
  /** Appends one batch of datagrams (each names its call); kept in arrival order per call. */
  writeDatagrams(c: DatagramColumns): Promise<void>;
  /** Inserts or replaces calls by id (a null series keeps the stored one). */
  saveCalls(calls: readonly CallToSave[]): Promise<void>;
  /** Newest first, without stream details (`streamCount` instead). */
  listCalls(q: RecordedCallQuery): Promise<Array<Omit<RecordedCallSummary, 'streams'> & { streamCount: number }>>;
  getCall(id: number): Promise<RecordedCallSummary | null>;
  getSeries(id: number): Promise<RecordedCallSeries | null>;
  /** Every stored datagram of a call in arrival order, or null when none is stored. */
  readDatagrams(callId: number): Promise<DatagramColumns | null>;
  /** Drops whole ended calls, oldest first: past the age, then until the datagrams fit the size. */
  enforceRetention(maxAgeMs: number, maxDatagramBytes: number, nowMs: number): Promise<{ deletedCalls: number }>;
  /** Removes every call of an imported capture with its streams and datagrams. */
  deleteImport(importId: number): Promise<{ deletedCalls: number }>;
  stats(): Promise<{ calls: number; datagramBytes: number }>;
}
