import { describe, expect, it } from 'vitest';
import { codecByName } from '../../server/analysis/codecs.js';
import { RtpStreamAnalyser, RtpStreamSet, type RtpPacketInfo, type RtpSeriesBucket } from '../../server/analysis/rtp-stream.js';
import { genRtpStream, type RtpStreamSpec } from '../../server/simulator/wire/rtp-stream.js';

const T0_MS = 1_700_000_000_000;

function analyse(packets: readonly RtpPacketInfo[], options?: ConstructorParameters<typeof RtpStreamAnalyser>[0]) {
  const a = new RtpStreamAnalyser(options);
  for (const p of packets) a.add(p);
  return a.result();
}

function run(spec: Omit<RtpStreamSpec, 'seed'> & { seed?: number }) {
  return analyse(genRtpStream({ seed: 1, startMs: T0_MS, ...spec }));
}

/** A packet by hand: sequence n, 8 kHz timestamp 160·n, arriving at `atMs`. */
function pkt(n: number, atMs: number, extra: Partial<RtpPacketInfo> = {}): RtpPacketInfo {
  return { arrivalMs: T0_MS + atMs, seq: 100 + n, rtpTimestamp: 160 * n, ssrc: 7, payloadType: 0, marker: false, payloadBytes: 160, ...extra };
}

describe('RTP stream statistics', () => {
  it('counts a clean stream with no loss, 20 ms deltas and zero jitter', () => {
    const s = run({ packetCount: 250 }).stats;
    expect(s).toMatchObject({ packets: 250, expected: 250, lost: 0, sequenceErrors: 0, problem: false, codec: 'PCMU', clockRate: 8000 });
    expect(s.maxDeltaMs).toBeCloseTo(20, 6);
    expect(s.maxJitterMs).toBeCloseTo(0, 6);
    expect(s.endMs - s.startMs).toBeCloseTo(249 * 20, 6);
  });

  it('computes RFC 3550 jitter, its running mean and the max delta as Wireshark does', () => {
    const s = analyse([pkt(0, 0), pkt(1, 20), pkt(2, 45)]).stats;
    // D = |45 − (20 + 20)| = 5 → J = 5/16; Wireshark's mean divides by deltas seen: (0 + 5/16) / 2.
    expect(s.maxJitterMs).toBeCloseTo(0.3125, 9);
    expect(s.meanJitterMs).toBeCloseTo(0.15625, 9);
    expect(s.minJitterMs).toBe(0);
    expect([s.maxDeltaMs, s.maxDeltaPacket, s.maxDeltaAtMs]).toEqual([25, 3, T0_MS + 45]);
  });

  it('counts a lost packet when the sequence jumps', () => {
    const s = analyse([pkt(0, 0), pkt(1, 20), pkt(3, 60), pkt(4, 80)]).stats;
    expect(s).toMatchObject({ packets: 4, expected: 5, lost: 1, sequenceErrors: 1, problem: true });
    expect(s.lostPct).toBeCloseTo(20, 9);
    expect(s.maxDeltaMs).toBe(40);
  });

  it('reports negative loss when duplicates outnumber losses, as Wireshark does', () => {
    const s = run({ packetCount: 100, duplicateAt: [10, 20, 30] }).stats;
    expect(s).toMatchObject({ packets: 103, expected: 100, lost: -3, sequenceErrors: 3 });
  });

  it('counts the sequence wrap at 65535 and the timestamp wrap at 2^32', () => {
    const s = run({ packetCount: 200, startSeq: 65500, startTimestamp: 0xffff_f000 }).stats;
    expect(s).toMatchObject({ packets: 200, expected: 200, lost: 0, problem: false });
    expect(s.maxJitterMs).toBeCloseTo(0, 6);
  });

  it('flags reordering as a sequence error without inventing loss', () => {
    const s = run({ packetCount: 100, reorderAt: [40] }).stats;
    expect(s).toMatchObject({ packets: 100, lost: 0, problem: true });
    expect(s.sequenceErrors).toBe(2);
  });

  it('leaves marker and comfort-noise packets out of the max delta', () => {
    const gap = [pkt(0, 0), pkt(1, 20), pkt(2, 500, { marker: true }), pkt(3, 520)];
    expect(analyse(gap).stats.maxDeltaMs).toBe(20);
    const cn = [pkt(0, 0), pkt(1, 20, { payloadType: 13 }), pkt(2, 400), pkt(3, 420)];
    expect(analyse(cn).stats.maxDeltaMs).toBe(20);
  });

  it('has no jitter for a dynamic payload type unless SDP names it, like tshark', () => {
    const packets = genRtpStream({ seed: 2, packetCount: 100, payloadType: 111, clockRate: 48000, jitterMs: 10, startMs: T0_MS });
    expect(analyse(packets).stats).toMatchObject({ maxJitterMs: 0, minJitterMs: -1, clockRate: 0, codec: undefined });
    const withSdp = analyse(packets, { dynamicPayloadTypes: new Map([[111, codecByName('opus', 48000)]]) }).stats;
    expect(withSdp).toMatchObject({ clockRate: 48000, codec: 'opus' });
    expect(withSdp.maxJitterMs).toBeGreaterThan(0.5);
  });

  it('keeps telephone-event packets out of jitter even with SDP', () => {
    const packets = genRtpStream({ seed: 3, packetCount: 20, payloadType: 101, jitterMs: 10, startMs: T0_MS });
    const s = analyse(packets, { dynamicPayloadTypes: new Map([[101, codecByName('telephone-event', 8000)]]) }).stats;
    expect(s.maxJitterMs).toBe(0);
  });

  it('measures sender clock drift', () => {
    // The sender's clock runs 1000 ppm slow: 20.02 ms of arrival per 20 ms of RTP time.
    const s = run({ packetCount: 1001, clockDriftPpm: 1000 }).stats;
    expect(s.clockDriftPct).toBeCloseTo(-0.0999, 3);
    expect(s.clockDriftMs).toBeCloseTo(-20, 0);
    expect(s.freqDriftHz).toBeCloseTo(7992, 0);
  });

  it('splits streams by flow and SSRC, a new SSRC starting a new stream', () => {
    const set = new RtpStreamSet();
    for (const p of genRtpStream({ seed: 4, packetCount: 100, ssrcChangeAt: 60, startMs: T0_MS })) set.add('a', p);
    for (const p of genRtpStream({ seed: 5, packetCount: 10, startMs: T0_MS })) set.add('b', p);
    expect(set.results().map((r) => [r.flow, r.result.stats.packets])).toEqual([['a', 60], ['a', 40], ['b', 10]]);
  });

  it('returns zeros, not NaN, before any packet', () => {
    const s = new RtpStreamAnalyser().result();
    expect(s.stats).toMatchObject({ packets: 0, expected: 0, lost: 0, lostPct: 0 });
    expect(s.perSecond).toEqual([]);
  });
});

describe('RTP stream series', () => {
  it('buckets packets per second on the arrival clock', () => {
    const r = run({ packetCount: 150 });
    expect(r.perSecond.map((b) => [b.startMs - T0_MS, b.packets, b.lost])).toEqual([[0, 50, 0], [1000, 50, 0], [2000, 50, 0]]);
  });

  it('puts a loss burst into its own second with a burst ratio above 1', () => {
    const r = run({ packetCount: 150, bursts: [{ at: 70, length: 5 }] });
    const second = r.perSecond[1]!;
    expect([second.packets, second.expected, second.lost]).toEqual([45, 50, 5]);
    expect(second.burstRatio).toBeCloseTo(5 * (1 - 0.1), 9);
    expect(r.perSecond[0]!.burstRatio).toBe(1);
  });

  it('estimates R and MOS per 5 seconds from that interval alone', () => {
    const r = run({ packetCount: 500, lossRate: 0.05, seed: 9 });
    const [first, second] = r.perFiveSeconds;
    expect(r.perFiveSeconds).toHaveLength(2);
    for (const b of [first!, second!]) {
      expect(b.rFactor).toBeLessThan(90);
      expect(b.mos).toBeGreaterThan(3);
      expect(b.oneWayDelayMs).toBeGreaterThanOrEqual(20);
    }
    const clean = run({ packetCount: 250 }).perFiveSeconds[0]!;
    // 20 ms packetisation and no jitter: Id = 0.024 · 20.
    expect(clean.rFactor).toBeCloseTo(93.2 - 0.48, 6);
    expect(r.perSecond.every((b) => b.rFactor === undefined)).toBe(true);
  });

  it('gives no R for a codec without E-model parameters', () => {
    const packets = genRtpStream({ seed: 6, packetCount: 100, payloadType: 9, startMs: T0_MS });
    expect(analyse(packets).perFiveSeconds[0]!.rFactor).toBeUndefined();
  });

  it('keeps a bounded number of closed buckets but reports every one to onBucket', () => {
    const seen: RtpSeriesBucket[] = [];
    const r = analyse(genRtpStream({ seed: 7, packetCount: 500, startMs: T0_MS }), { maxPerSecondBuckets: 3, onBucket: (b) => seen.push(b) });
    expect(seen.filter((b) => b.durationMs === 1000)).toHaveLength(9);
    expect(r.perSecond.map((b) => b.startMs - T0_MS)).toEqual([6000, 7000, 8000, 9000]);
  });

  it('adds up bucket losses to the stream loss when nothing is reordered', () => {
    const r = run({ packetCount: 3000, lossRate: 0.03, seed: 11 });
    expect(r.perSecond.reduce((n, b) => n + b.lost, 0)).toBe(r.stats.lost);
  });
});

describe('RTP stream cost', () => {
  it('handles 1,000 streams × 10 s at 50 packets/s quickly', () => {
    const one = genRtpStream({ seed: 8, packetCount: 500, jitterMs: 10, lossRate: 0.01, startMs: T0_MS });
    const analysers = Array.from({ length: 1000 }, () => new RtpStreamAnalyser());
    const started = performance.now();
    for (const p of one) for (const a of analysers) a.add(p);
    const ms = performance.now() - started;
    expect(analysers[999]!.result().stats.packets).toBe(one.length);
    expect(ms).toBeLessThan(5000);
  });
});
