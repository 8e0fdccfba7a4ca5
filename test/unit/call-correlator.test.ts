import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallCorrelator } from '../../server/calls/correlator.js';
import type { Call, CallRecord, QualitySample } from '../../server/calls/model.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/types.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const stores: Store[] = [];

function open(): CallCorrelator {
  const store = openStoreOnThisThread(path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-calls-')), 'db.sqlite'));
  stores.push(store);
  return new CallCorrelator(store, undefined, () => T0);
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function report(sipCallId: string): CallRecord {
  return {
    keys: { sipCallId, deviceId: 7, startMs: T0, endMs: T0 + 60_000 },
    info: { codec: 'PCMA' },
    segments: [{ startMs: T0, endMs: T0 + 60_000, reason: 'report', codec: 'PCMA' }],
    streams: [{ direction: 'rx', ssrc: 0x2222, samples: [{ source: 'vq-session', startMs: T0, endMs: T0 + 60_000, metrics: { mosLq: 4.2 } }] }],
    callSamples: [],
  };
}

// What the store decides (matching, summaries, the list) is the calls contract, test/contract/call-store.test.ts;
// here what the correlator adds: the time of a key without one, listeners, batching of ingests.
describe('call correlator', () => {
  it('tells listeners of changed calls and stored samples', async () => {
    const c = open();
    const calls: Call[] = [];
    const samples: QualitySample[] = [];
    c.listen({ onCall: (x) => calls.push(x), onSamples: (_, s) => samples.push(...s) });
    const call = await c.findOrCreateCall({ recordingSession: '9:9:9' });
    expect(call.startMs).toBe(T0);
    const stream = await c.addStream(call.id, { direction: 'tx', ssrc: 5 });
    await c.addSamples([{ callId: call.id, streamId: stream.id, direction: 'tx', source: 'computed-rtp', startMs: T0, endMs: T0 + 5000, metrics: { rFactor: 55 } }]);
    const updated = await c.recompute(call.id);
    expect(updated.verdict).toBe('poor');
    expect(updated.verdictReason).toMatch(/^MOS 2\.8\d? < 3\.1 \(computed-rtp, tx, 10:00:00\)$/);
    expect(calls.map((x) => x.verdict)).toEqual(['unknown', 'poor']);
    expect(samples).toHaveLength(1);
  });

  it('uses the Microsoft classifier for QoE samples: degradation makes it poor, MOS alone does not', async () => {
    const c = open();
    const rec = (metrics: QualitySample['metrics'], id: string): CallRecord => ({
      keys: { sipCallId: id, startMs: T0, endMs: T0 + 1000 }, info: {}, segments: [], callSamples: [],
      streams: [{ direction: 'rx', samples: [{ source: 'ms-qoe', startMs: T0, endMs: T0 + 1000, metrics }] }],
    });
    expect((await c.ingest(rec({ degradationMos: 1.3 }, 'a'))).call.verdictReason).toBe('degradation 1.3 MOS > 1 MOS (ms-qoe, rx, 10:00:00)');
    expect((await c.ingest(rec({ mosLq: 3.0 }, 'b'))).call.verdict).toBe('fair');
    expect((await c.ingest(rec({ concealedRatio: 0.09 }, 'c'))).call.verdictReason).toBe('concealed 9 % > 7 % (ms-qoe, rx, 10:00:00)');
  });

  it('writes reports that arrive together in one go, and a broken one fails alone', async () => {
    const c = open();
    const broken = report('broken@x');
    const results = await Promise.allSettled([
      c.ingest(report('a@x')),
      c.ingest({ ...broken, keys: { ...broken.keys, startMs: Number.NaN, endMs: Number.NaN } }),
      c.ingest(report('b@x')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await c.listCalls({ limit: 10 })).calls.map((x) => x.sipCallId).sort()).toEqual(['a@x', 'b@x']);
  });
});
