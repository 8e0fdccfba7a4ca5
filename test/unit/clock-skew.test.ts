// Phone clock skew: the estimator (median of recent device − receive samples, reports before
// syslog, small skews ignored), moving a record onto the receive clock, and the SIP receiver tying a
// report from a phone 16 h off to its recorded call by SSRC in a real store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockSkewEstimator, MIN_SKEW_MS, onReceiveClock } from '../../server/calls/clock-skew.js';
import { CallCorrelator } from '../../server/calls/correlator.js';
import { timeWindow } from '../../server/calls/matching.js';
import type { CallRecord } from '../../server/calls/model.js';
import { Counters } from '../../server/counters.js';
import { parseClockSkew } from '../../server/commands/simulate.js';
import { SipReportReceiver } from '../../server/pipeline/quality/sip-receiver.js';
import { planSimulation } from '../../server/simulator/plan.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';
import { openStoreOnThisThread } from '../../server/store/open-store.js';
import type { Store } from '../../server/store/types.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe('clock skew estimator', () => {
  it('takes the median of the recent samples, so a late datagram or an odd line does not move it', () => {
    const e = new ClockSkewEstimator();
    for (const d of [16 * H + 200, 16 * H - 300, 16 * H + 100, 3 * H, 16 * H + 900]) e.note(1, 'report', T0 + d, T0);
    expect(e.skewMs(1)).toBe(16 * H);
    e.note(2, 'report', T0 - 16 * H - 1400, T0);
    expect(e.skewMs(2)).toBe(-16 * H - 1000);
  });

  it('forgets old samples: a clock that was fixed is judged by its new samples', () => {
    const e = new ClockSkewEstimator();
    for (let i = 0; i < 20; i++) e.note(1, 'report', T0 + 16 * H, T0);
    for (let i = 0; i < 15; i++) e.note(1, 'report', T0 + 300, T0);
    expect(e.skewMs(1)).toBeNull();
  });

  it('ignores skews under a few seconds and devices never measured', () => {
    const e = new ClockSkewEstimator();
    e.note(1, 'report', T0 + MIN_SKEW_MS - 600, T0);
    expect(e.skewMs(1)).toBeNull();
    expect(e.skewMs(99)).toBeNull();
    e.note(1, 'report', Number.NaN, T0);
    expect(e.skewMs(1)).toBeNull();
  });

  it('trusts reports (zoned times) over syslog (zone-less) when a device sent both', () => {
    const e = new ClockSkewEstimator();
    for (let i = 0; i < 5; i++) e.note(1, 'syslog', T0 + 2 * H, T0);
    expect(e.skewMs(1)).toBe(2 * H);
    e.note(1, 'report', T0 + 16 * H, T0);
    expect(e.skewMs(1)).toBe(16 * H);
  });
});

function record(startMs: number, endMs: number): CallRecord {
  return {
    keys: { sipCallId: 'c@x', ssrcs: [7], startMs, endMs },
    info: { codec: 'PCMU' },
    segments: [{ startMs, endMs, reason: 'report', codec: 'PCMU' }],
    streams: [{ direction: 'rx', ssrc: 7, samples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4 } }] }],
    callSamples: [{ source: 'vq-session', startMs, endMs, metrics: { mosLq: 4 } }],
  };
}

describe('onReceiveClock', () => {
  it('moves keys, segments and samples by the skew and states it for matching and the call', () => {
    const r = onReceiveClock(record(T0 + 16 * H, T0 + 16 * H + 60_000), 16 * H);
    expect([r.keys.startMs, r.keys.endMs, r.keys.clockSkewMs, r.info.clockSkewMs]).toEqual([T0, T0 + 60_000, 16 * H, 16 * H]);
    expect(r.segments[0]).toMatchObject({ startMs: T0, endMs: T0 + 60_000 });
    expect(r.streams[0]!.samples[0]).toMatchObject({ startMs: T0, endMs: T0 + 60_000 });
    expect(r.callSamples[0]).toMatchObject({ startMs: T0, endMs: T0 + 60_000 });
  });

  it('widens the matching window for corrected times only', () => {
    const plain = timeWindow({ startMs: T0, endMs: T0 + 1000 })!;
    const corrected = timeWindow({ startMs: T0, endMs: T0 + 1000, clockSkewMs: -16 * H })!;
    expect(plain.startTo - (T0 + 1000)).toBe(5000);
    expect(corrected.startTo - (T0 + 1000)).toBe(65_000);
    expect(plain.endFrom - corrected.endFrom).toBe(60_000);
  });
});

describe('a report from a phone whose clock is 16 h off', () => {
  let store: Store | null = null;
  afterEach(async () => { await store?.close(); store = null; });

  async function setup(clocks: ClockSkewEstimator | undefined) {
    store = openStoreOnThisThread(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-skew-')), 'db.sqlite'));
    const now = T0 + 61_000;
    const correlator = new CallCorrelator(store, undefined, () => now);
    // The recording of the call, on the receive clock, knows the phone's SSRCs but no Call-ID.
    const recorded = await correlator.ingest({
      keys: { recordingSession: 'abc:1:1', deviceId: 4, ssrcs: [0x1111, 0x2222], startMs: T0, endMs: T0 + 60_000 },
      info: { codec: 'PCMU' }, segments: [],
      streams: [{ direction: 'rx', ssrc: 0x2222, samples: [{ source: 'computed-rtp', startMs: T0, endMs: T0 + 5000, metrics: { mosCq: 4.3 } }] }],
      callSamples: [],
    });
    const receiver = new SipReportReceiver({ correlator, counters: new Counters(), deviceFor: () => 4, now: () => now, ...(clocks ? { clocks } : {}) });
    return { receiver, recordedId: recorded.call.id };
  }

  const publish = (skewMs: number) => Buffer.from(buildVqPublish({
    collector: '10.0.0.1', source: { ip: '10.0.0.5', port: 5060 }, publishCallId: `pub-${skewMs}`,
    report: {
      callId: 'skewed@10.0.0.5', localId: '<sip:a@x>', remoteId: '<sip:b@x>',
      localAddr: { ip: '10.0.0.5', port: 4000, ssrc: 0x1111 }, remoteAddr: { ip: '10.0.0.9', port: 20000, ssrc: 0x2222 },
      localMac: '00:90:8f:00:00:04', startMs: T0 + skewMs, stopMs: T0 + 60_000 + skewMs,
    },
  }));

  for (const skewMs of [16 * H, -16 * H]) {
    it(`is tied to its recorded call by SSRC and put on the receive clock (${skewMs > 0 ? '+' : '-'}16 h)`, async () => {
      const { receiver, recordedId } = await setup(new ClockSkewEstimator());
      await receiver.handle('sip-udp', publish(skewMs), { address: '10.0.0.5', port: 5060 });
      const detail = await store!.calls.getCall(recordedId);
      expect(detail?.call).toMatchObject({ sipCallId: 'skewed@10.0.0.5', clockSkewMs: skewMs - 1000, startMs: T0 });
      const vq = (await store!.calls.samples(recordedId)).filter((s) => s.source === 'vq-session');
      expect(vq.map((s) => [s.startMs, s.endMs])).toEqual([[T0 + 1000, T0 + 61_000]]);
      expect((await store!.calls.listCalls({ limit: 10 })).total).toBe(1);
    });
  }

  it('lands on a call of its own, hours away, without the estimator', async () => {
    const { receiver, recordedId } = await setup(undefined);
    await receiver.handle('sip-udp', publish(16 * H), { address: '10.0.0.5', port: 5060 });
    const page = await store!.calls.listCalls({ limit: 10 });
    expect(page.total).toBe(2);
    expect(page.calls.find((c) => c.id !== recordedId)).toMatchObject({ startMs: T0 + 16 * H, clockSkewMs: null });
  });
});

describe('simulator --clock-skew', () => {
  it('reads offsets like 16h, -16h, 30m, 1h30m and 0, and refuses the rest', () => {
    expect(['16h', '-16h', '+30m', '1h30m', '-90s', '0', '45min'].map(parseClockSkew)).toEqual([16 * H, -16 * H, 30 * 60_000, 90 * 60_000, -90_000, 0, 45 * 60_000]);
    for (const bad of ['', '16', 'h', '16 h', '1d', '--1h', '1h-1m']) expect(parseClockSkew(bad)).toBeNull();
  });

  it('gives phone i entry i % n of the list, and no skew without it', () => {
    const o = { phones: 5, callsPerHour: 1, durationMs: 10_000, seed: 1, scenario: 'clean' as const, startMs: 0, loopback: true };
    expect(planSimulation({ ...o, clockSkewsMs: [16 * H, -16 * H] }).phones.map((p) => p.clockSkewMs)).toEqual([16 * H, -16 * H, 16 * H, -16 * H, 16 * H]);
    expect(planSimulation(o).phones.every((p) => p.clockSkewMs === 0)).toBe(true);
  });
});
