import { describe, expect, it } from 'vitest';
import { RtpStreamAnalyser } from '../../server/analysis/rtp-stream.js';
import { CountingIds } from '../../server/store/ids.js';
import { MAX_ACTIVE_CALLS, RecordingTracker, type RecordingSink } from '../../server/pipeline/recordings/tracker.js';
import type { RecordedCall } from '../../server/pipeline/recordings/recorded-call.js';
import { SenderState } from '../../server/pipeline/recordings/sender-state.js';
import { DuplicateWindow } from '../../server/pipeline/recordings/duplicate-window.js';
import { buildAcdr } from '../../server/simulator/wire/acdr.js';
import { genRtpStream } from '../../server/simulator/wire/rtp-stream.js';
import { PHONE_ADDR, recordedCallRecords, recordingFeed, type RecordingDatagram } from '../fixtures/gen-recording.js';

function run(feed: readonly RecordingDatagram[], inactivityMs = 30_000) {
  const ended: RecordedCall[] = [];
  const stored: number[] = [];
  const sink: RecordingSink = { datagram: (callId) => stored.push(callId), callChanged: () => undefined, callEnded: (c) => ended.push(c) };
  const tracker = new RecordingTracker({ inactivityMs, callIds: new CountingIds(1), streamIds: new CountingIds(1), sink });
  const results = feed.map((d) => {
    const r = tracker.handle(d.bytes, d.timeMs, PHONE_ADDR, 50010);
    tracker.sweep(d.timeMs);
    return r;
  });
  return { tracker, ended, stored, results };
}

describe('recording tracker', () => {
  it('groups one session into a call with an rx and a tx stream whose stats equal the analyser fed directly', () => {
    const rxSpec = { lossRate: 0.02, reorderAt: [40, 90], duplicateAt: [60, 61], jitterMs: 8 };
    const feed = recordingFeed(recordedCallRecords({ seed: 7, sessionId: 42, rx: rxSpec }));
    const { tracker } = run(feed);
    const [call] = tracker.activeCalls();
    expect(tracker.activeCount).toBe(1);
    const s = call!.summary();
    expect(s.sessionId).toBe('abcdef:3:42');
    expect(s.streams.map((x) => [x.direction, x.tracePoint]).sort()).toEqual([['rx', 0], ['tx', 1]]);
    const direct = new RtpStreamAnalyser();
    for (const p of genRtpStream({ seed: 7, packetCount: 500, ssrc: 0x1111_0000 + 42, payloadType: 0, startMs: Date.UTC(2026, 0, 1, 10), ...rxSpec })) direct.add(p);
    const d = direct.result().stats;
    const rx = s.streams.find((x) => x.direction === 'rx')!;
    expect(rx.packets).toBe(d.packets);
    expect(rx.lost).toBe(d.lost);
    expect(rx.maxDeltaMs).toBeCloseTo(d.maxDeltaMs, 6);
    expect(rx.maxJitterMs).toBeCloseTo(d.maxJitterMs, 6);
    expect(rx.meanJitterMs).toBeCloseTo(d.meanJitterMs, 6);
    expect(rx.duplicates).toBe(2);
    expect(rx.farAddr).toBe('198.51.100.7');
    expect(rx.codec).toBe('PCMU');
    expect(rx.mos).not.toBeNull();
    expect(s.recordingGaps).toBe(0);
    expect(s.undecodableCodecs).toEqual([]);
  });

  it('puts in-call RTCP and RTCP XR on the call timeline, with the round trip from the far end answering our SR', () => {
    const { tracker } = run(recordingFeed(recordedCallRecords({ seed: 3, sessionId: 5, packetCount: 800 })));
    const series = tracker.activeCalls()[0]!.series();
    const xr = series.samples.filter((x) => x.source === 'rtcp-xr');
    expect(xr.length).toBe(3);
    expect(xr[0]!.metrics).toMatchObject({ mosLq: 4.2, mosCq: 4.1, rFactor: 90, roundTripMs: 60, jitterBufferNominalMs: 40 });
    expect(xr[0]!.direction).toBe('rx');
    const rr = series.samples.filter((x) => x.source === 'rtcp' && x.direction === 'tx');
    expect(rr[0]!.metrics.roundTripMs).toBeCloseTo(50, 1);
    expect(rr[0]!.streamId).toBe(tracker.activeCalls()[0]!.summary().streams.find((x) => x.direction === 'tx')!.id);
    const phoneReports = series.samples.filter((x) => x.source === 'rtcp' && x.direction === 'rx');
    expect(phoneReports[0]!.metrics.jitterMs).toBe(10);
    expect(series.streams[0]!.perFiveSeconds.length).toBeGreaterThanOrEqual(3);
  });

  it('ends a call shortly after an RTCP BYE, and another after inactivity', () => {
    const a = recordedCallRecords({ seed: 1, sessionId: 1, packetCount: 100 });
    const b = recordedCallRecords({ seed: 2, sessionId: 2, packetCount: 100, bye: false, startMs: Date.UTC(2026, 0, 1, 10, 0, 0, 500) });
    const { tracker, ended } = run(recordingFeed([...a, ...b]), 10_000);
    tracker.sweep(Date.UTC(2026, 0, 1, 10, 0, 5));
    expect(ended.map((c) => [c.sessionId, c.endReason])).toEqual([['abcdef:3:1', 'bye']]);
    tracker.sweep(Date.UTC(2026, 0, 1, 10, 0, 20));
    expect(ended.map((c) => c.endReason)).toEqual(['bye', 'inactivity']);
    expect(tracker.activeCount).toBe(0);
  });

  it('counts gaps in the ACDR sequence as recording loss, apart from network loss', () => {
    const feed = recordingFeed(recordedCallRecords({ seed: 4, sessionId: 9, packetCount: 200, rtcpEveryMs: 0 }), { skipSequence: [10, 11, 12, 50], firstSequence: 65530 });
    const { tracker } = run(feed);
    const s = tracker.activeCalls()[0]!.summary();
    expect(s.recordingGaps).toBe(4);
    expect(tracker.recordingGaps()).toBe(4);
    expect(s.datagrams).toBe(feed.length);
  });

  it('reports garbage, truncated headers and unknown versions as decode errors and keeps going', () => {
    const good = recordingFeed(recordedCallRecords({ seed: 5, sessionId: 3, packetCount: 10, rtcpEveryMs: 0, bye: false }));
    const bad = [Uint8Array.of(), Uint8Array.of(0x09, 1, 2), buildAcdr({ version: 0x1a, tracePoint: 0, mediaType: 1 }, Uint8Array.of(1, 2, 3)), new Uint8Array(40).fill(0xee)];
    const feed = [...bad.map((bytes) => ({ timeMs: good[0]!.timeMs, bytes })), ...good];
    const { results, tracker } = run(feed);
    expect(results.slice(0, 4).every((r) => typeof r === 'object')).toBe(true);
    expect(results.slice(4).every((r) => r === 'call')).toBe(true);
    expect(tracker.activeCalls()[0]!.summary().streams[0]!.packets).toBe(10);
  });

  it('names the codecs it cannot turn into audio', () => {
    const { tracker } = run(recordingFeed(recordedCallRecords({ seed: 6, sessionId: 4, packetCount: 50, payloadType: 18, rtcpEveryMs: 0 })));
    expect(tracker.activeCalls()[0]!.summary().undecodableCodecs).toEqual(['G729']);
  });
});

describe('sender clock and windows', () => {
  it('unwraps the 32-bit µs device timestamp', () => {
    const s = new SenderState('x');
    const t0 = s.deviceTimeMs(9, 2 ** 32 - 1000, 1_000_000);
    const t1 = s.deviceTimeMs(9, 1000, 1_000_002);
    expect(t1 - t0).toBeCloseTo(2, 9);
    // A late record from before the wrap still lands before it.
    expect(s.deviceTimeMs(9, 2 ** 32 - 500, 1_000_003) - t0).toBeCloseTo(0.5, 9);
  });

  it('counts a repeated sequence number once as a duplicate, not a late one', () => {
    const w = new DuplicateWindow();
    for (const seq of [65534, 65535, 0, 2, 1, 1, 0, 3]) w.add(seq);
    expect(w.duplicates).toBe(2);
  });
});

describe('tracker bounds', () => {
  it('stops taking new calls past the cap, keeps the ones it has, and forgets idle senders but not their gaps', () => {
    const sink: RecordingSink = { datagram: () => undefined, callChanged: () => undefined, callEnded: () => undefined };
    const tracker = new RecordingTracker({ inactivityMs: 30_000, callIds: new CountingIds(1), streamIds: new CountingIds(1), sink });
    const one = (sessionId: number, seq: number) => buildAcdr({ version: 9, timestampUs: seq, sequence: seq, tracePoint: 0, mediaType: 5, session: { boardId: 1, resetCounter: 1, sessionId } });
    for (let i = 1; i <= MAX_ACTIVE_CALLS; i++) expect(tracker.handle(one(i, i * 2), 1000, '10.0.0.1', 1)).toBe('call');
    expect(tracker.handle(one(MAX_ACTIVE_CALLS + 1, 1), 1000, '10.0.0.1', 1)).toBe('over-capacity');
    expect(tracker.handle(one(1, 3), 1000, '10.0.0.1', 1)).toBe('call');
    const gaps = tracker.recordingGaps();
    expect(gaps).toBeGreaterThan(0);
    tracker.sweep(1000 + 31_000);
    expect(tracker.activeCount).toBe(0);
    tracker.sweep(1000 + 3_700_000);
    expect(tracker.recordingGaps()).toBe(gaps);
  });
});
