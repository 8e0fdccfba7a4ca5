// The calls contract (server/store/call-store.ts) on every backend: which stored call a record
// speaks of, what the call learns, its summary and verdicts, the list, retention, and duplicate
// reports from two collectors counting once.
import { expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import type { CallRecord } from '../../server/calls/model.js';
import { eachBackend } from './backends.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const DAY_MS = 86_400_000;
const T = DEFAULT_VERDICT_THRESHOLDS;

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

function retained(sipCallId: string, startMs: number, endMs: number, active = false): CallRecord {
  return {
    keys: { sipCallId, startMs, endMs, deviceId: 1 },
    info: { codec: 'PCMA', active },
    segments: [{ startMs, endMs, reason: 'report', codec: 'PCMA' }],
    streams: [{ direction: 'rx', ssrc: sipCallId.length, codec: 'PCMA', samples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.1 } }] }],
    callSamples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4.0 } }],
  };
}

eachBackend('call store', (backend) => {
  it('stores a report as one call with two streams, a segment, samples and a good verdict', async () => {
    const { calls } = await backend.open();
    const { call, samples } = await calls.ingest(report(), T);
    expect(call).toMatchObject({ sipCallId: 'call-1@10.0.0.5', deviceId: 7, startMs: T0, endMs: T0 + 60_000, codec: 'PCMA', verdict: 'good', worstMos: 4.1, sources: ['vq-session'] });
    expect(call.segments).toEqual([{ startMs: T0, endMs: T0 + 60_000, reason: 'report', codec: 'PCMA' }]);
    expect(samples).toHaveLength(2);
    const detail = await calls.getCall(call.id);
    expect(detail?.call).toEqual(call);
    expect(detail?.streams.map((s) => [s.direction, s.ssrc, s.verdict])).toEqual([['rx', 0x2222, 'good'], ['tx', 0x1111, 'good']]);
    expect(await calls.samples(call.id)).toEqual([...samples].sort((a, b) => a.startMs - b.startMs));
  });

  it('adds a second hold segment to the same call when a report with the same CallID comes later', async () => {
    const { calls } = await backend.open();
    await calls.ingest(report(), T);
    const { call } = await calls.ingest(report({ start: T0 + 120_000, stop: T0 + 180_000, lossPct: 12 }), T);
    expect(call.segments.map((s) => s.startMs)).toEqual([T0, T0 + 120_000]);
    expect(call.endMs).toBe(T0 + 180_000);
    expect(call.verdict).toBe('poor');
    expect(call.verdictReason).toBe('loss 12 % > 10 % (vq-session, rx, 10:02:00)');
    const detail = await calls.getCall(call.id);
    // Same SSRCs: the streams are the ones of the first segment, not new ones.
    expect(detail?.streams).toHaveLength(2);
    expect((await calls.listCalls({ limit: 10 })).total).toBe(1);
  });

  it('ties a recording to a reported call by SSRC and time overlap, not by Call-ID', async () => {
    const { calls } = await backend.open();
    const reported = (await calls.ingest(report(), T)).call;
    const recorded = await calls.findOrCreateCall({ recordingSession: '1:2:3', ssrcs: [0x2222], startMs: T0 + 1000, endMs: T0 + 59_000 }, { active: true });
    expect(recorded.id).toBe(reported.id);
    expect(recorded.recordingSession).toBe('1:2:3');
    expect(recorded.active).toBe(true);
    const stream = await calls.addStream(recorded.id, { direction: 'rx', ssrc: 0x2222, payloadType: 8 });
    expect(stream.localPort).toBe(6000);
    expect(stream.payloadType).toBe(8);
    // Now known by its session too.
    expect((await calls.findOrCreateCall({ recordingSession: '1:2:3', startMs: T0 + 2000 })).id).toBe(reported.id);
  });

  it('ties by RTP address and port when no SSRC is known, and by local/remote id as a later resort', async () => {
    const { calls } = await backend.open();
    const reported = (await calls.ingest(report(), T)).call;
    expect((await calls.findOrCreateCall({ media: [{ addr: '10.0.0.9', port: 7000 }], startMs: T0, endMs: T0 + 1000 })).id).toBe(reported.id);
    expect((await calls.findOrCreateCall({ localId: '<sip:100@pbx>', remoteId: '<sip:200@pbx>', startMs: T0 + 30_000 })).id).toBe(reported.id);
    expect((await calls.findOrCreateCall({ deviceId: 7, startMs: T0 + 30_000 })).id).toBe(reported.id);
  });

  it('prefers the newest of equally matching calls, and an SSRC over a device', async () => {
    const { calls } = await backend.open();
    const older = await calls.findOrCreateCall({ sipCallId: 'older@x', deviceId: 3, startMs: T0, endMs: T0 + 60_000 });
    const newer = await calls.findOrCreateCall({ sipCallId: 'newer@x', deviceId: 3, startMs: T0 + 10_000, endMs: T0 + 60_000 });
    expect(newer.id).not.toBe(older.id);
    await calls.addStream(older.id, { direction: 'rx', ssrc: 42 });
    expect((await calls.findOrCreateCall({ deviceId: 3, startMs: T0 + 20_000 })).id).toBe(newer.id);
    expect((await calls.findOrCreateCall({ deviceId: 3, ssrcs: [42], startMs: T0 + 20_000 })).id).toBe(older.id);
  });

  it('never merges calls whose Call-IDs differ, even when they overlap in time on one device', async () => {
    const { calls } = await backend.open();
    const a = (await calls.ingest(report(), T)).call;
    const b = (await calls.ingest(report({ sipCallId: 'call-2@10.0.0.5' }), T)).call;
    expect(b.id).not.toBe(a.id);
    // Nor calls of another device or session.
    expect((await calls.findOrCreateCall({ deviceId: 8, ssrcs: [0x2222], startMs: T0 })).id).not.toBe(a.id);
  });

  it('does not tie by SSRC to a call far away in time', async () => {
    const { calls } = await backend.open();
    const a = (await calls.ingest(report(), T)).call;
    const b = await calls.findOrCreateCall({ ssrcs: [0x2222], startMs: T0 + 3_600_000 });
    expect(b.id).not.toBe(a.id);
  });

  it('keeps the phone clock skew a record stated, through later records that state none, in the call and the list', async () => {
    const recordedCall = async (calls: Awaited<ReturnType<typeof backend.open>>['calls']) => {
      const c = await calls.findOrCreateCall({ recordingSession: '1:2:9', ssrcs: [0x2222], startMs: T0, endMs: T0 + 60_000 });
      await calls.addStream(c.id, { direction: 'rx', ssrc: 0x2222 });
      return c;
    };
    // A report corrected off a clock 16 h ahead, still 40 s off: beyond the usual slack, within the corrected one.
    const corrected = report({ start: T0 + 100_000, stop: T0 + 160_000 });
    const skew = 16 * 3_600_000;
    const plain = (await backend.open()).calls;
    const other = await recordedCall(plain);
    expect((await plain.ingest(corrected, T)).call.id).not.toBe(other.id);

    const { calls } = await backend.open();
    const recorded = await recordedCall(calls);
    expect(recorded.clockSkewMs).toBeNull();
    const { call } = await calls.ingest({ ...corrected, keys: { ...corrected.keys, clockSkewMs: skew }, info: { ...corrected.info, clockSkewMs: skew } }, T);
    expect(call).toMatchObject({ id: recorded.id, clockSkewMs: skew, sipCallId: 'call-1@10.0.0.5' });
    const later = await calls.ingest(report({ start: T0 + 160_000, stop: T0 + 170_000 }), T);
    expect(later.call).toMatchObject({ id: recorded.id, clockSkewMs: skew });
    expect((await calls.getCall(recorded.id))?.call.clockSkewMs).toBe(skew);
    expect((await calls.listCalls({ limit: 10 })).calls.map((c) => c.clockSkewMs)).toEqual([skew]);
  });

  it('matches only within the same import, and removes an import\'s calls with all they hold', async () => {
    const store = await backend.open();
    const { calls } = store;
    const live = await calls.findOrCreateCall({ sipCallId: 'x@y', startMs: T0 });
    const imported = (await calls.ingest({ ...report({ sipCallId: 'x@y' }), info: { importId: 5 } }, T)).call;
    expect(imported.id).not.toBe(live.id);
    expect(imported.importId).toBe(5);
    expect((await calls.findOrCreateCall({ sipCallId: 'x@y', startMs: T0 }, { importId: 5 })).id).toBe(imported.id);
    expect(await store.imports.deleteImport(5)).toEqual({ deletedCalls: 1 });
    expect(await calls.getCall(imported.id)).toBeNull();
    expect(await calls.samples(imported.id)).toEqual([]);
    expect(await calls.getCall(live.id)).not.toBeNull();
  });

  it('is idempotent: the same keys, stream, segment and samples again change nothing', async () => {
    const { calls } = await backend.open();
    const keys = { recordingSession: '4:5:6', ssrcs: [9], startMs: T0, endMs: T0 + 5000 };
    const call = await calls.findOrCreateCall(keys, { active: true });
    expect(await calls.findOrCreateCall(keys)).toEqual(call);
    const spec = { direction: 'rx' as const, ssrc: 9, localAddr: '10.0.0.5', localPort: 6000 };
    const stream = await calls.addStream(call.id, spec);
    expect(await calls.addStream(call.id, spec)).toEqual(stream);
    const segment = { startMs: T0, endMs: null, reason: 'start' as const, codec: null };
    await calls.addSegment(call.id, segment);
    await calls.addSegment(call.id, segment);
    const sample = { callId: call.id, streamId: stream.id, direction: 'rx' as const, source: 'computed-rtp' as const, startMs: T0, endMs: T0 + 5000, metrics: { rFactor: 55 } };
    await calls.addSamples([sample]);
    await calls.addSamples([sample, { ...sample, metrics: { lossPct: 2 } }]);
    expect(await calls.samples(call.id)).toEqual([sample, { ...sample, metrics: { lossPct: 2 } }]);
    const updated = await calls.recompute(call.id, T);
    expect(updated.segments).toEqual([segment]);
    expect(updated.verdict).toBe('poor');
    expect((await calls.getCall(call.id))?.streams).toEqual([{ ...stream, sources: ['computed-rtp'], verdict: 'poor', verdictReason: updated.verdictReason }]);
  });

  it('matches atomically: records of one new call arriving at once make one call', async () => {
    const { calls } = await backend.open();
    const [a, b] = await Promise.all([calls.ingest(report(), T), calls.ingest(report({ start: T0 + 120_000, stop: T0 + 180_000 }), T)]);
    const [c, d] = await Promise.all([
      calls.findOrCreateCall({ recordingSession: '7:7:7', startMs: T0 }),
      calls.findOrCreateCall({ recordingSession: '7:7:7', startMs: T0 + 1000 }),
    ]);
    expect(b.call.id).toBe(a.call.id);
    expect(d.id).toBe(c.id);
    expect((await calls.listCalls({ limit: 10 })).total).toBe(2);
  });

  it('counts a report sent to two collectors once: one call, each sample once', async () => {
    const a = await backend.open();
    const b = await backend.open({ slot: 1, sameAs: a });
    const first = await a.calls.ingest(report({ lossPct: 12 }), T);
    const second = await b.calls.ingest(report({ lossPct: 12 }), T);
    expect(second.call.id).toBe(first.call.id);
    expect(second.call).toEqual(first.call);
    expect(await a.calls.samples(first.call.id)).toHaveLength(2);
    expect((await b.calls.listCalls({ limit: 10 })).total).toBe(1);
    expect((await b.calls.getCall(first.call.id))?.streams).toHaveLength(2);
    // Each collector's own samples count in the other's recompute.
    const third = await b.calls.ingest(report({ start: T0 + 120_000, stop: T0 + 180_000 }), T);
    expect(third.call.segments).toHaveLength(2);
    expect(await a.calls.samples(first.call.id)).toHaveLength(4);
    expect((await a.calls.recompute(first.call.id, T)).verdictReason).toBe('loss 12 % > 10 % (vq-session, rx, 10:00:00)');
  });

  it('ingests many records, each on its own: a broken one fails alone', async () => {
    const { calls } = await backend.open();
    const broken = report({ sipCallId: 'broken@x' });
    const results = await calls.ingestMany([
      report({ sipCallId: 'a@x' }),
      { ...broken, keys: { ...broken.keys, startMs: Number.NaN, endMs: Number.NaN } },
      report({ sipCallId: 'b@x' }),
    ], T);
    expect(results.map((r) => ('error' in r ? 'error' : r.call.sipCallId))).toEqual(['a@x', 'error', 'b@x']);
    expect((await calls.listCalls({ limit: 10 })).calls.map((x) => x.sipCallId).sort()).toEqual(['a@x', 'b@x']);
  });

  it('gives for a batch what the same records give one by one: shared calls, duplicates once, matches on calls of earlier batches', async () => {
    const [batched, single] = [await backend.open(), await backend.open()];
    const earlier = report({ sipCallId: 'shared@x', lossPct: 0 });
    const records = [
      report({ sipCallId: 'shared@x', start: T0 + 60_000, stop: T0 + 120_000, lossPct: 12 }),
      report({ sipCallId: 'new@x', start: T0 + 5000, stop: T0 + 50_000 }),
      report({ sipCallId: 'shared@x', start: T0 + 60_000, stop: T0 + 120_000, lossPct: 12 }),
      { ...report({ start: T0 + 10_000, stop: T0 + 40_000 }), keys: { ssrcs: [0x2222], startMs: T0 + 10_000, endMs: T0 + 40_000 } },
    ];
    await batched.calls.ingest(earlier, T);
    await single.calls.ingest(earlier, T);
    const results = await batched.calls.ingestMany(records, T);
    for (const r of records) await single.calls.ingest(r, T);
    const shape = async (s: typeof batched) => Promise.all((await s.calls.listCalls({ sort: 'start', order: 'asc', limit: 10 })).calls.map(async (c) => {
      const detail = (await s.calls.getCall(c.id))!;
      const { id: _id, ...call } = detail.call;
      return { call, streams: detail.streams.map(({ id: _s, callId: _c, ...st }) => st), samples: (await s.calls.samples(c.id)).map(({ callId: _c, streamId: _s, ...x }) => x) };
    }));
    expect(await shape(batched)).toEqual(await shape(single));
    expect((await batched.calls.listCalls({ limit: 10 })).total).toBe(2);
    const [a, b, c, d] = results as Array<{ call: { id: number; verdict: string } }>;
    expect(c!.call.id).toBe(a!.call.id);
    // Only an SSRC both calls have: the newest of them.
    expect(d!.call.id).toBe(b!.call.id);
    expect(b!.call.id).not.toBe(a!.call.id);
    expect(a!.call.verdict).toBe('poor');
  });

  it('lists, filters, sorts and pages calls in the store', async () => {
    const { calls } = await backend.open();
    for (let i = 0; i < 30; i++) {
      await calls.ingest(report({ sipCallId: `c${i}@x`, start: T0 + i * 600_000, stop: T0 + i * 600_000 + (i + 1) * 1000, lossPct: i % 3 === 0 ? 15 : 0, mosLq: 3 + i / 30 }), T);
    }
    const page = await calls.listCalls({ sort: 'duration', order: 'desc', limit: 5, offset: 5 });
    expect(page.total).toBe(30);
    expect(page.calls.map((x) => x.sipCallId)).toEqual(['c24@x', 'c23@x', 'c22@x', 'c21@x', 'c20@x']);
    expect(page.calls[0]?.segments).toHaveLength(1);
    // Poor: every third call by loss, and the first three by MOS (< 3.1).
    expect((await calls.listCalls({ verdicts: ['poor'], limit: 100 })).total).toBe(12);
    expect((await calls.listCalls({ minMos: 3.5, limit: 100 })).calls.every((x) => (x.worstMos ?? 0) >= 3.5)).toBe(true);
    expect((await calls.listCalls({ maxMos: 3.1, limit: 100 })).total).toBe(3);
    expect((await calls.listCalls({ text: 'c1', limit: 100 })).total).toBe(11);
    expect((await calls.listCalls({ text: '%', limit: 100 })).total).toBe(0);
    expect((await calls.listCalls({ fromMs: T0 + 600_000 * 10, toMs: T0 + 600_000 * 12, limit: 100 })).total).toBe(3);
    expect((await calls.listCalls({ deviceId: 7, limit: 1 })).calls.map((x) => x.sipCallId)).toEqual(['c29@x']);
    expect((await calls.listCalls({ deviceId: 8, limit: 1 })).total).toBe(0);
    const byMos = await calls.listCalls({ sort: 'worstMos', order: 'asc', limit: 1 });
    expect(byMos.calls[0]?.sipCallId).toBe('c0@x');
    const oldest = await calls.listCalls({ sort: 'start', order: 'asc', limit: 2, offset: 1 });
    expect(oldest.calls.map((x) => x.sipCallId)).toEqual(['c1@x', 'c2@x']);
  });

  it('sorts calls without a value last either way', async () => {
    const { calls } = await backend.open();
    await calls.ingest(report({ sipCallId: 'measured@x' }), T);
    await calls.findOrCreateCall({ sipCallId: 'unmeasured@x', startMs: T0 + 1000 });
    for (const order of ['asc', 'desc'] as const) {
      for (const sort of ['worstMos', 'avgMos', 'loss', 'jitter', 'duration'] as const) {
        expect((await calls.listCalls({ sort, order, limit: 10 })).calls.map((x) => x.sipCallId), `${sort} ${order}`).toEqual(['measured@x', 'unmeasured@x']);
      }
    }
  });

  it('deletes calls that ended before the cutoff with their streams, segments and samples, and keeps newer and active ones', async () => {
    const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
    const { calls } = await backend.open();
    const old = await calls.ingest(retained('old-call', NOW - 40 * DAY_MS, NOW - 40 * DAY_MS + 60_000), T);
    const recent = await calls.ingest(retained('recent-call', NOW - 2 * DAY_MS, NOW - 2 * DAY_MS + 60_000), T);
    // Started long ago and still going (a recording still growing): never deleted while active.
    const active = await calls.ingest(retained('active-call', NOW - 40 * DAY_MS, NOW - 40 * DAY_MS + 60_000, true), T);

    expect(await calls.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedCalls: 1 });
    expect(await calls.getCall(old.call.id)).toBeNull();
    expect(await calls.samples(old.call.id)).toEqual([]);
    const kept = await calls.getCall(recent.call.id);
    expect(kept?.streams).toHaveLength(1);
    expect(kept?.call.segments).toHaveLength(1);
    expect(await calls.samples(recent.call.id)).toHaveLength(2);
    expect((await calls.getCall(active.call.id))?.call.active).toBe(true);
    expect(await calls.enforceRetention(30 * DAY_MS, NOW)).toEqual({ deletedCalls: 0 });
    // A new call with the old one's Call-ID is a new call, not the deleted one back.
    const again = await calls.findOrCreateCall({ sipCallId: 'old-call', startMs: NOW });
    expect(again.id).not.toBe(old.call.id);
    expect(again.segments).toEqual([]);
  });
});
