/**
 * Offline analysis of a capture holding debug-recording datagrams: the live tracker run over the
 * capture's UDP datagrams with capture time as arrival time, with no store. Used by
 * `ipp-collector analyze` and the benchmark.
 */
import { looksLikeAcdr } from '../../../parsers/acdr.js';
import { CountingIds } from '../../store/ids.js';
import { isDecodeError } from '../../../parsers/decode-error.js';
import type { RecordedCall } from './recorded-call.js';
import { RecordingTracker } from './tracker.js';
import type { RecordedCallSummary } from './types.js';

/** One UDP datagram from a capture; times in ms since the epoch. */
export interface CapturedUdp {
  readonly timeMs: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

export interface AnalyzeOptions {
  /** Datagrams to this UDP port are recordings; 0 = any datagram that looks like ACDR (spec §1). */
  readonly port: number;
  readonly inactivityMs: number;
}

export interface AnalyzeReport {
  readonly calls: RecordedCallSummary[];
  /** Recording loss (ACDR sequence gaps) over all senders. */
  readonly recordingGaps: number;
  readonly datagrams: number;
  readonly malformed: number;
}

const SWEEP_EVERY_MS = 1000;

/** `batches`: the capture's datagrams a batch at a time (readPcapUdpBatches), or one batch of them all. */
export async function analyzeCapture(batches: AsyncIterable<readonly CapturedUdp[]> | Iterable<readonly CapturedUdp[]>, o: AnalyzeOptions): Promise<AnalyzeReport> {
  const ended: RecordedCall[] = [];
  const tracker = new RecordingTracker({
    inactivityMs: o.inactivityMs,
    callIds: new CountingIds(1),
    streamIds: new CountingIds(1),
    sink: { datagram: () => undefined, callChanged: () => undefined, callEnded: (c) => ended.push(c) },
  });
  let datagrams = 0;
  let malformed = 0;
  let nextSweepMs = Number.NEGATIVE_INFINITY;
  for await (const batch of batches) {
    for (const p of batch) {
      if (o.port === 0 ? !looksLikeAcdr(p.payload) : p.dstPort !== o.port) continue;
      datagrams++;
      if (isDecodeError(tracker.handle(p.payload, p.timeMs, p.src, p.srcPort))) malformed++;
      if (p.timeMs >= nextSweepMs) {
        tracker.sweep(p.timeMs);
        nextSweepMs = p.timeMs + SWEEP_EVERY_MS;
      }
    }
  }
  tracker.endAll('end-of-capture');
  return {
    calls: ended.sort((a, b) => a.id - b.id).map((c) => c.summary()),
    recordingGaps: tracker.recordingGaps(),
    datagrams,
    malformed,
  };
}
