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

function report(over: Partial<CallRecord> & { sipCallId?: string; start?: number; stop?: number; lossPct?: number; mosLq?: number } = {}): CallRecord {
  const start = over.start ?? T0;
  const stop = over.stop ?? T0 + 60_000;
  return {
    keys: { sipCallId: over.sipCallId ?? 'call-1@10.0.0.5', localId: '<sip:100@pbx>', remoteId: '<sip:200@pbx>', deviceId: 7, ssrcs: [0x1111, 0x2222], startMs: start, endMs: stop },
    info: { codec: 'PCMA' },
    segments: [{ startMs: start, endMs: stop, reason: 'report', codec: 'PCMA' }],
    streams: [
      { direction: 'rx', ssrc: 0x2222, localAddr: '10.0.0.5', localPort: 6000, remoteAddr: '10.0.0.9', remotePort: 7000, codec: 'PCMA',
        samples: [{ source: 'vq-session', startMs: start, endMs: stop, metrics: { lossPct: over.lossPct ?? 0, mosLq: over.mosLq ?? 4.2, jitterMs: 3 } }] },
      { direction: 'tx', ssrc: 0x1111, localAddr: '10.0.0.5', localPort: 6000, remoteAddr: '10.0.0.9', remotePort: 7000, codec: 'PCMA',
        samples: [{ source: 'vq-session', startMs: start, endMs: stop, metrics: { lossPct: 0, mosLq: 4.1 } }] },
    ],
    callSamples: [],
    ...over,
  };
}

describe('call correlator', () => {
  it('stores a report as one call with two streams, a segment, samples and a good verdict', async () => {
    const c = open();
    const { call, samples } = await c.ingest(report());
    expect(call).toMatchObject({ sipCallId: 'call-1@10.0.0.5', deviceId: 7, startMs: T0, endMs: T0 + 60_000, codec: 'PCMA', verdict: 'good', worstMos: 4.1, sources: ['vq-session'] });
    expect(call.segments).toEqual([{ startMs: T0, endMs: T0 + 60_000, reason: 'report', codec: 'PCMA' }]);
    expect(samples).toHaveLength(2);
    const detail = await c.getCall(call.id);
    expect(detail?.streams.map((s) => [s.direction, s.ssrc, s.verdict])).toEqual([['rx', 0x2222, 'good'], ['tx', 0x1111, 'good']]);
  });

  it('adds a second hold segment to the same call when a report with the same CallID comes later', async () => {
    const c = open();
    await c.ingest(report());
    const { call } = await c.ingest(report({ start: T0 + 120_000, stop: T0 + 180_000, lossPct: 12 }));
    expect(call.segments.map((s) => s.startMs)).toEqual([T0, T0 + 120_000]);
    expect(call.endMs).toBe(T0 + 180_000);
    expect(call.verdict).toBe('poor');
    expect(call.verdictReason).toBe('loss 12 % > 10 % (vq-session, rx, 10:02:00)');
    const detail = await c.getCall(call.id);
    // Same SSRCs: the streams are the ones of the first segment, not new ones.
    expect(detail?.streams).toHaveLength(2);
    expect((await c.listCalls({ limit: 10 })).total).toBe(1);
  });

  it('ties a recording to a reported call by SSRC and time overlap, not by Call-ID', async () => {
    const c = open();
    const reported = (await c.ingest(report())).call;
    const recorded = await c.findOrCreateCall({ recordingSession: '1:2:3', ssrcs: [0x2222], startMs: T0 + 1000, endMs: T0 + 59_000 }, { active: true });
    expect(recorded.id).toBe(reported.id);
    expect(recorded.recordingSession).toBe('1:2:3');
    const stream = await c.addStream(recorded.id, { direction: 'rx', ssrc: 0x2222, payloadType: 8 });
    expect(stream.localPort).toBe(6000);
    expect(stream.payloadType).toBe(8);
  });

  it('ties by RTP address and port when no SSRC is known, and by local/remote id as a later resort', async () => {
    const c = open();
    const reported = (await c.ingest(report())).call;
    expect((await c.findOrCreateCall({ media: [{ addr: '10.0.0.9', port: 7000 }], startMs: T0, endMs: T0 + 1000 })).id).toBe(reported.id);
    expect((await c.findOrCreateCall({ localId: '<sip:100@pbx>', remoteId: '<sip:200@pbx>', startMs: T0 + 30_000 })).id).toBe(reported.id);
    expect((await c.findOrCreateCall({ deviceId: 7, startMs: T0 + 30_000 })).id).toBe(reported.id);
  });

  it('never merges calls whose Call-IDs differ, even when they overlap in time on one device', async () => {
    const c = open();
    const a = (await c.ingest(report())).call;
    const b = (await c.ingest(report({ sipCallId: 'call-2@10.0.0.5' }))).call;
    expect(b.id).not.toBe(a.id);
  });

  it('does not tie by SSRC to a call far away in time', async () => {
    const c = open();
    const a = (await c.ingest(report())).call;
    const b = await c.findOrCreateCall({ ssrcs: [0x2222], startMs: T0 + 3_600_000 });
    expect(b.id).not.toBe(a.id);
  });

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
    const broken = report({ sipCallId: 'broken@x' });
    const results = await Promise.allSettled([
      c.ingest(report({ sipCallId: 'a@x' })),
      c.ingest({ ...broken, keys: { ...broken.keys, startMs: Number.NaN, endMs: Number.NaN } }),
      c.ingest(report({ sipCallId: 'b@x' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await c.listCalls({ limit: 10 })).calls.map((x) => x.sipCallId).sort()).toEqual(['a@x', 'b@x']);
  });

  it('lists, filters, sorts and pages calls in the store', async () => {
    const c = open();
    for (let i = 0; i < 30; i++) {
      await c.ingest(report({ sipCallId: `c${i}@x`, start: T0 + i * 600_000, stop: T0 + i * 600_000 + (i + 1) * 1000, lossPct: i % 3 === 0 ? 15 : 0, mosLq: 3 + i / 30 }));
    }
    const page = await c.listCalls({ sort: 'duration', order: 'desc', limit: 5, offset: 5 });
    expect(page.total).toBe(30);
    expect(page.calls.map((x) => x.sipCallId)).toEqual(['c24@x', 'c23@x', 'c22@x', 'c21@x', 'c20@x']);
    // Poor: every third call by loss, and the first three by MOS (< 3.1).
    expect((await c.listCalls({ verdicts: ['poor'], limit: 100 })).total).toBe(12);
    expect((await c.listCalls({ minMos: 3.5, limit: 100 })).calls.every((x) => (x.worstMos ?? 0) >= 3.5)).toBe(true);
    expect((await c.listCalls({ text: 'c1', limit: 100 })).total).toBe(11);
    expect((await c.listCalls({ text: '%', limit: 100 })).total).toBe(0);
    expect((await c.listCalls({ fromMs: T0 + 600_000 * 10, toMs: T0 + 600_000 * 12, limit: 100 })).total).toBe(3);
    const byMos = await c.listCalls({ sort: 'worstMos', order: 'asc', limit: 1 });
    expect(byMos.calls[0]?.sipCallId).toBe('c0@x');
  });
});
