import { describe, expect, it } from 'vitest';
import { decodeRtcp, looksLikeRtcp, ntpMiddle32, ntpToUnixMs, rttFromCaptureTimes, rttFromLsr, type RtcpCompound, type RtcpPacket, type XrBlock } from '../../parsers/rtcp.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import {
  buildRtcpApp, buildRtcpBye, buildRtcpRr, buildRtcpSdes, buildRtcpSr, buildRtcpXr, rleBits, rleRun, rtcpCompound, rtcpCorpus, rtcpPacket,
  TYPICAL_VOIP_METRICS, xrBlock, xrDlrr, xrDuplicateRle, xrLossRle, xrReceiptTimes, xrRrt, xrStats, xrVoipMetrics,
} from '../../server/simulator/wire/acdr.js';

function ok(bytes: Uint8Array): RtcpCompound {
  const r = decodeRtcp(bytes);
  if (isDecodeError(r)) throw new Error(r.message);
  return r;
}

function only<T extends RtcpPacket['type']>(bytes: Uint8Array, type: T): Extract<RtcpPacket, { type: T }> {
  const p = ok(bytes).packets[0]!;
  expect(p.type).toBe(type);
  return p as Extract<RtcpPacket, { type: T }>;
}

function xrBlocks(...blocks: Uint8Array[]): readonly XrBlock[] {
  return only(buildRtcpXr({ ssrc: 1, blocks }), 'xr').blocks;
}

const BLOCK = { ssrc: 0x55667788, fractionLost: 13, cumulativeLost: -3, extHighestSeq: 0x00021f40, jitter: 87, lsr: 0x3a4b5c6d, dlsr: 32768 };

describe('RTCP sender and receiver reports', () => {
  it('decodes SR sender info and report blocks, with a signed 24-bit cumulative loss', () => {
    const sr = only(buildRtcpSr({ ssrc: 0x1a2b3c4d, ntpSec: 0xe9b5a0c1, ntpFrac: 0x80000000, rtpTimestamp: 160000, packetCount: 1000, octetCount: 160000, reports: [BLOCK] }), 'sr');
    expect(sr).toMatchObject({ version: 2, padding: false, count: 1, packetType: 200, length: 12, ssrc: 0x1a2b3c4d, ntpSec: 0xe9b5a0c1, ntpFrac: 0x80000000, rtpTimestamp: 160000, packetCount: 1000, octetCount: 160000, profileExtension: null });
    expect(sr.reports).toEqual([{ ssrc: 0x55667788, fractionLost: 13, cumulativeLost: -3, extHighestSeq: 0x00021f40, highestSeq: 0x1f40, seqCycles: 2, jitter: 87, lsr: 0x3a4b5c6d, dlsr: 32768 }]);
  });

  it('decodes an empty RR and keeps a profile-specific extension', () => {
    expect(only(buildRtcpRr({ ssrc: 7 }), 'rr')).toMatchObject({ ssrc: 7, reports: [], length: 1 });
    expect(Array.from(only(buildRtcpRr({ ssrc: 7, reports: [BLOCK], profileExtension: Uint8Array.of(1, 2, 3, 4) }), 'rr').profileExtension!)).toEqual([1, 2, 3, 4]);
  });
});

describe('RTCP SDES, BYE, APP', () => {
  it('decodes SDES chunks with CNAME, TOOL and PRIV items', () => {
    const sdes = only(buildRtcpSdes([{ ssrc: 1, items: [{ type: 1, text: 'phone@192.0.2.10' }, { type: 6, text: 'AudioCodes 450HD' }] }, { ssrc: 2, items: [{ type: 8, prefix: 'ac', text: 'v1' }] }]), 'sdes');
    expect(sdes.chunks).toEqual([
      { ssrc: 1, items: [{ type: 1, text: 'phone@192.0.2.10', prefix: null }, { type: 6, text: 'AudioCodes 450HD', prefix: null }] },
      { ssrc: 2, items: [{ type: 8, text: 'v1', prefix: 'ac' }] },
    ]);
  });

  it('decodes BYE with and without a reason', () => {
    expect(only(buildRtcpBye({ ssrcs: [1, 2], reason: 'call ended' }), 'bye')).toMatchObject({ ssrcs: [1, 2], reason: 'call ended' });
    expect(only(buildRtcpBye({ ssrcs: [1] }), 'bye')).toMatchObject({ ssrcs: [1], reason: null });
  });

  it('decodes APP subtype, name and data', () => {
    const app = only(buildRtcpApp({ subtype: 3, ssrc: 9, name: 'ACQX', data: Uint8Array.of(1, 2, 3, 4) }), 'app');
    expect(app).toMatchObject({ subtype: 3, ssrc: 9, name: 'ACQX' });
    expect(Array.from(app.data)).toEqual([1, 2, 3, 4]);
  });

  it('keeps feedback packets raw', () => {
    const fb = only(rtcpPacket(205, 1, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0)), 'other');
    expect(fb).toMatchObject({ packetType: 205, count: 1 });
    expect(fb.body.length).toBe(12);
  });
});

describe('RTCP XR blocks', () => {
  it('decodes Loss RLE and Duplicate RLE chunks (runs, bit vectors, null chunks)', () => {
    const [loss, dup] = xrBlocks(
      xrLossRle({ ssrc: 5, beginSeq: 1000, endSeq: 1316, thinning: 3, chunks: [rleRun(1, 300), rleBits(0x7bfe), rleRun(0, 1)] }),
      xrDuplicateRle({ ssrc: 5, beginSeq: 1000, endSeq: 1016, chunks: [rleRun(0, 16)] }),
    );
    expect(loss).toEqual({ bt: 1, typeSpecific: 3, blockLength: 4, kind: 'loss-rle', thinning: 3, ssrc: 5, beginSeq: 1000, endSeq: 1316,
      chunks: [{ kind: 'run', runType: 1, length: 300 }, { kind: 'bits', vector: 0x7bfe }, { kind: 'run', runType: 0, length: 1 }, { kind: 'null' }] });
    expect(dup).toMatchObject({ kind: 'duplicate-rle', chunks: [{ kind: 'run', runType: 0, length: 16 }, { kind: 'null' }] });
  });

  it('decodes Packet Receipt Times, RRT and DLRR', () => {
    const [rt, rrt, dlrr] = xrBlocks(
      xrReceiptTimes({ ssrc: 5, beginSeq: 2000, endSeq: 2003, thinning: 1, times: [160000, 160160, 160330] }),
      xrRrt(0xe9b5a0c2, 0x40000000),
      xrDlrr([{ ssrc: 5, lrr: 0xa0c24000, dlrr: 6554 }]),
    );
    expect(rt).toMatchObject({ kind: 'receipt-times', thinning: 1, ssrc: 5, beginSeq: 2000, endSeq: 2003, receiptTimes: [160000, 160160, 160330] });
    expect(rrt).toEqual({ bt: 4, typeSpecific: 0, blockLength: 2, kind: 'rrt', ntpSec: 0xe9b5a0c2, ntpFrac: 0x40000000 });
    expect(dlrr).toMatchObject({ kind: 'dlrr', blockLength: 3, items: [{ ssrc: 5, lrr: 0xa0c24000, dlrr: 6554 }] });
  });

  it('decodes the Statistics Summary flags and values', () => {
    const [s] = xrBlocks(xrStats({ lossFlag: true, dupFlag: false, jitterFlag: true, ttlOrHopLimit: 2, ssrc: 5, beginSeq: 1, endSeq: 501, lostPackets: 7, dupPackets: 0,
      minJitter: 3, maxJitter: 90, meanJitter: 20, devJitter: 11, minTtl: 60, maxTtl: 64, meanTtl: 62, devTtl: 1 }));
    expect(s).toEqual({ bt: 6, typeSpecific: 0xb0, blockLength: 9, kind: 'stats', lossFlag: true, dupFlag: false, jitterFlag: true, ttlOrHopLimit: 2, ssrc: 5, beginSeq: 1, endSeq: 501,
      lostPackets: 7, dupPackets: 0, minJitter: 3, maxJitter: 90, meanJitter: 20, devJitter: 11, minTtl: 60, maxTtl: 64, meanTtl: 62, devTtl: 1 });
  });

  it('decodes every VoIP Metrics field: signed levels, MOS /10, RX config bits', () => {
    const [m] = xrBlocks(xrVoipMetrics(TYPICAL_VOIP_METRICS));
    expect(m).toEqual({
      bt: 7, typeSpecific: 0, blockLength: 8, kind: 'voip-metrics', ssrc: 0x55667788, lossRate: 13, discardRate: 5, burstDensity: 64, gapDensity: 3,
      burstDurationMs: 120, gapDurationMs: 4500, rttMs: 120, endSystemDelayMs: 45, signalLevelDbm0: -20, noiseLevelDbm0: -70, rerlDb: 52, gmin: 16,
      rFactor: 82, extRFactor: null, mosLq: 4.1, mosCq: 3.9, plc: 3, jba: 3, jbRate: 4, jbNominalMs: 40, jbMaxMs: 80, jbAbsMaxMs: 200,
    });
  });

  it('maps the "unavailable" value 127 and zero delays to null', () => {
    const [m] = xrBlocks(xrVoipMetrics({ ...TYPICAL_VOIP_METRICS, signalLevel: 127, noiseLevel: 127, rerl: 127, rFactor: 127, mosLq: 127, mosCq: 127, rttMs: 0, endSystemDelayMs: 0 }));
    expect(m).toMatchObject({ signalLevelDbm0: null, noiseLevelDbm0: null, rerlDb: null, rFactor: null, mosLq: null, mosCq: null, rttMs: null, endSystemDelayMs: null });
  });

  it('keeps unknown block types and known types with a wrong length raw, and continues after them', () => {
    const [unknown, badVoip, rrt] = xrBlocks(xrBlock(42, 0x5a, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), xrBlock(7, 0, new Uint8Array(8)), xrRrt(1, 2));
    expect(unknown).toMatchObject({ bt: 42, typeSpecific: 0x5a, kind: 'raw', note: null });
    expect(Array.from((unknown as { data: Uint8Array }).data)).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(badVoip).toMatchObject({ bt: 7, kind: 'raw', note: 'VoIP Metrics block length 2, expected 8' });
    expect(rrt).toMatchObject({ kind: 'rrt' });
  });
});

describe('RTCP compound packets', () => {
  it('walks every packet of the corpus compounds', () => {
    expect(rtcpCorpus().map((c) => ok(c.bytes).packets.map((p) => p.type).join('+'))).toEqual(['sr+sdes', 'rr+sdes+bye', 'rr+sdes+app', 'rr+sdes+xr', 'xr', 'sr+sdes+bye', 'rr+sdes']);
  });

  it('strips padding from the last packet', () => {
    const bye = ok(rtcpCorpus()[5]!.bytes).packets[2]!;
    expect(bye).toMatchObject({ type: 'bye', padding: true, paddingCount: 8, ssrcs: [0x1a2b3c4d, 0x55667788] });
  });

  it('notes compound-rule deviations without failing', () => {
    expect(ok(buildRtcpXr({ ssrc: 1, blocks: [] })).notes).toEqual(['compound does not start with SR/RR (reduced-size RTCP)']);
    expect(ok(buildRtcpRr({ ssrc: 1 })).notes).toEqual(['compound has no SDES CNAME']);
    const cname = buildRtcpSdes([{ ssrc: 1, items: [{ type: 1, text: 'c' }] }]);
    expect(ok(rtcpCompound(buildRtcpRr({ ssrc: 1 }), buildRtcpBye({ ssrcs: [1] }), cname)).notes).toEqual(['BYE is not the last packet']);
    expect(ok(rtcpCompound(buildRtcpRr({ ssrc: 1, padding: 4 }), cname)).notes).toEqual(['packet 1 has padding but is not the last packet']);
  });

  it('keeps the good packets when a trailing packet is bad', () => {
    const good = rtcpCompound(buildRtcpRr({ ssrc: 1 }), buildRtcpSdes([{ ssrc: 1, items: [{ type: 1, text: 'c' }] }]));
    const r = ok(rtcpCompound(good, Uint8Array.of(0x80, 200, 0, 20, 0, 0)));
    expect(r.packets.map((p) => p.type)).toEqual(['rr', 'sdes']);
    expect(r.error).toMatchObject({ kind: 'decode-error', message: 'RTCP packet 3: length field says 84 bytes, 6 left at offset 20', offset: 22 });
  });

  it('fails as a whole only when the first packet is bad', () => {
    expect(decodeRtcp(new Uint8Array(0))).toMatchObject({ message: 'RTCP datagram is empty' });
    expect(decodeRtcp(Uint8Array.of(0x80, 200))).toMatchObject({ message: 'RTCP packet 1: header truncated: 2 of 4 bytes at offset 0' });
    expect(decodeRtcp(Uint8Array.of(0x40, 200, 0, 0))).toMatchObject({ message: 'RTCP packet 1: version 1 not supported (expected 2) at offset 0' });
    expect(decodeRtcp(Uint8Array.of(0x81, 201, 0, 1, 0, 0, 0, 1))).toMatchObject({ message: 'RTCP packet 1: 1 report blocks need 24 bytes, 0 left at offset 8' });
    expect(decodeRtcp(Uint8Array.of(0xa0, 201, 0, 1, 0, 0, 0, 0))).toMatchObject({ message: expect.stringContaining('padding count 0 invalid') });
  });

  it('stops at an XR block whose length overruns the packet', () => {
    const xr = buildRtcpXr({ ssrc: 1, blocks: [xrRrt(1, 2)] });
    xr[11] = 9; // RRT block length 2 → 9 words
    expect(decodeRtcp(xr)).toMatchObject({ message: 'RTCP packet 1: XR block type 4 length 9 words overruns the packet (8 bytes left) at offset 8' });
  });

  it('rejects SDES items and BYE reasons whose lengths lie', () => {
    const sdes = buildRtcpSdes([{ ssrc: 1, items: [{ type: 1, text: 'abc' }] }]);
    sdes[9] = 200;
    expect(decodeRtcp(sdes)).toMatchObject({ message: expect.stringContaining('SDES item type 1 truncated') });
    const bye = buildRtcpBye({ ssrcs: [1], reason: 'ab' });
    bye[8] = 50;
    expect(decodeRtcp(bye)).toMatchObject({ message: expect.stringContaining('BYE reason length 50 exceeds packet') });
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 5000; i++) {
      const b = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      if (b.length > 1) b[0] = 0x80 | (b[0]! & 0x3f);
      if (b.length > 2) b[1] = 200 + (b[1]! % 8);
      expect(() => decodeRtcp(b)).not.toThrow();
    }
  });

  it('recognises RTCP by version and packet type', () => {
    expect(looksLikeRtcp(buildRtcpRr({ ssrc: 1 }))).toBe(true);
    expect(looksLikeRtcp(Uint8Array.of(0x80, 8, 0, 1, 0, 0, 0, 0))).toBe(false);
  });
});

describe('RTCP round-trip time', () => {
  it('takes the middle 32 bits of an NTP timestamp and converts NTP to Unix time', () => {
    expect(ntpMiddle32(0xe9b5a0c1, 0x80000000)).toBe(0xa0c18000);
    expect(ntpToUnixMs(2_208_988_800 + 1, 0x80000000)).toBe(1500);
  });

  it('computes RTT from LSR/DLSR at the SR sender, with wrap-around', () => {
    // SR at mid32 0xa0c18000; report arrives 0.62 s later (40632 units) after being held 0.5 s.
    const arrival = (0xa0c18000 + 40632) >>> 0;
    expect(rttFromLsr(arrival, 0xa0c18000, 32768)).toBeCloseTo(120, 0);
    expect(rttFromLsr(10, 0xfffffff0, 0)).toBeCloseTo((26 * 1000) / 65536, 6);
    expect(rttFromLsr(arrival, 0, 0)).toBeNull();
    expect(rttFromLsr(0xa0c18000, 0xa0c18000, 10)).toBeNull(); // "negative" wraps to an implausible value
  });

  it('computes the passive RTT from capture times like tshark (SR at 0 s, RR at 0.62 s, DLSR 0.5 s → 120 ms)', () => {
    expect(rttFromCaptureTimes(0, 620, 32768)).toBe(120);
    expect(rttFromCaptureTimes(0, 400, 32768)).toBeNull();
  });
});
