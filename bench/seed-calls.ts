/**
 * Seeds a data directory with a dashboard-sized history: a two-hour call with an interval report
 * every second (a loss burst at 70 min) and a month of ended calls. The records go in through the
 * correlator's ingest, as a source would store them, before a collector opens the directory:
 * thousands of reports over the network take minutes to correlate one by one, and the benchmark and
 * the dashboard test are about answering and drawing, not receiving. Shared by `bench/api-case.ts`
 * and `test/e2e/dashboard.e2e.test.ts` (which loads the built copy, so schema versions match the
 * built collector).
 */
import { CallCorrelator } from '../server/calls/correlator.js';
import type { CallRecord, QualityMetrics, SampleRecord } from '../server/calls/model.js';
import { openStore } from '../server/store/open-store.js';

export const LONG_CALL_S = 7200;
export const BURST_AT_S = 4200;
export const BURST_LEN_S = 8;
export const LONG_CALL_ID = 'long-call-2h@127.0.0.1';
const HISTORY_SPACING_MS = 25_000;
/** Ingests in flight at once: enough to keep the store busy, few enough to bound memory. */
const HISTORY_BATCH = 500;
const DAY_MS = 86_400_000;

export interface SeededCalls {
  /** Start of the two-hour call; it ends at the second the seeding began. */
  readonly longCallStartMs: number;
}

export async function seedCalls(dataDir: string, historyCalls: number): Promise<SeededCalls> {
  const longCallStartMs = Math.floor(Date.now() / 1000) * 1000 - LONG_CALL_S * 1000;
  const store = await openStore({ dataDir });
  try {
    const correlator = new CallCorrelator(store);
    await correlator.ingest(longCall(longCallStartMs));
    await seedHistory(correlator, longCallStartMs, historyCalls);
  } finally {
    await store.close();
  }
  return { longCallStartMs };
}

function longCall(startMs: number): CallRecord {
  const samples: SampleRecord[] = [];
  for (let i = 0; i < LONG_CALL_S; i++) {
    const burst = i >= BURST_AT_S && i < BURST_AT_S + BURST_LEN_S;
    const wobble = (i * 7919) % 13;
    const metrics: QualityMetrics = burst
      ? { lossPct: 25, discardPct: 4, mosLq: 1.9, mosCq: 1.8, rFactor: 35, roundTripMs: 180, jitterMs: 48, jitterBufferNominalMs: 60, jitterBufferMaxMs: 120 }
      : { lossPct: wobble === 0 ? 0.5 : 0, discardPct: 0, mosLq: 4.1 + wobble / 100, mosCq: 4.0 + wobble / 100, rFactor: 90 + wobble / 10,
        roundTripMs: 40 + wobble, jitterMs: 2 + (wobble % 4), jitterBufferNominalMs: 40, jitterBufferMaxMs: 80 };
    samples.push({ source: 'vq-interval', startMs: startMs + i * 1000, endMs: startMs + (i + 1) * 1000, metrics });
  }
  const endMs = startMs + LONG_CALL_S * 1000;
  return {
    keys: { sipCallId: LONG_CALL_ID, localId: '<sip:1000@pbx.example.com>', remoteId: '<sip:2000@pbx.example.com>', startMs, endMs },
    info: { codec: 'PCMA' },
    segments: [{ startMs, endMs, reason: 'report', codec: 'PCMA' }],
    streams: [{ direction: 'rx', ssrc: 0x11223344, localAddr: '127.0.0.1', localPort: 6000, remoteAddr: '198.51.100.9', remotePort: 6002, codec: 'PCMA', samples }],
    callSamples: [],
  };
}

/**
 * Ended calls 25 s apart, all older than a day (so live views only see a run's own calls), with
 * MOS, loss and jitter spread so sorting has work to do.
 */
async function seedHistory(correlator: CallCorrelator, beforeMs: number, count: number): Promise<void> {
  const first = beforeMs - count * HISTORY_SPACING_MS - DAY_MS;
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const start = first + i * HISTORY_SPACING_MS;
    const metrics: QualityMetrics = { mosLq: 3 + (i % 15) / 10, lossPct: (i % 17) / 2, jitterMs: i % 40 };
    pending.push(correlator.ingest({
      keys: { sipCallId: `history-${i}@pbx.example.com`, remoteId: `sip:${3000 + (i % 900)}@pbx.example.com`, startMs: start, endMs: start + 60_000 + (i % 300) * 1000 },
      info: { codec: 'PCMU' }, segments: [], callSamples: [],
      streams: [{ direction: 'rx', samples: [{ source: 'vq-session', startMs: start, endMs: start + 60_000, metrics }] }],
    }));
    if (pending.length >= HISTORY_BATCH) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
}
