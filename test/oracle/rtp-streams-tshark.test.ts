/**
 * Oracle: our RTP stream analysis against `tshark -q -z rtp,streams` on generated captures with
 * loss, bursts, reordering, duplicates, jitter, drift, markers, comfort noise, SSRC changes and
 * sequence/timestamp wraps. tshark prints 3 decimals, so values must agree within that rounding.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RtpStreamSet, type RtpStreamStats } from '../../server/analysis/rtp-stream.js';
import { genRtpStream, rtpCapture, seededRandom, type CaptureStream, type RtpStreamSpec } from '../../server/simulator/wire/rtp-stream.js';

const RTP_PORT = 40000;
/** Half a unit in tshark's last printed digit, plus float noise from µs capture times. */
const MS_TOLERANCE = 0.0006;

function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveTshark = tsharkAvailable();
if (!haveTshark && process.env.IPP_ALLOW_MISSING_ORACLES !== '1') {
  throw new Error('tshark is not installed: install it (apt-get install tshark) or set IPP_ALLOW_MISSING_ORACLES=1 to skip');
}

interface TsharkRow {
  startS: number;
  endS: number;
  srcPort: number;
  ssrc: number;
  packets: number;
  lost: number;
  lostPct: number;
  minDelta: number;
  meanDelta: number;
  maxDelta: number;
  minJitter: number;
  meanJitter: number;
  maxJitter: number;
  problem: boolean;
}

// tshark 4.0 columns: Start End SrcIP Port DstIP Port SSRC Payload Pkts Lost(%) Min/Mean/Max Delta, Min/Mean/Max Jitter, Problems?
const ROW =
  /^\s*([\d.]+)\s+([\d.]+)\s+\S+\s+(\d+)\s+\S+\s+\d+\s+0x([0-9A-Fa-f]+)\s+.+?\s+(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*(X?)\s*$/;

function tsharkStreams(pcapPath: string): TsharkRow[] {
  const out = execFileSync('tshark', ['-r', pcapPath, '-d', `udp.port==${RTP_PORT},rtp`, '-q', '-z', 'rtp,streams'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').flatMap((line) => {
    const m = ROW.exec(line);
    if (!m) return [];
    const n = (i: number) => Number(m[i]);
    return [
      {
        startS: n(1),
        endS: n(2),
        srcPort: n(3),
        ssrc: parseInt(m[4]!, 16),
        packets: n(5),
        lost: n(6),
        lostPct: n(7),
        minDelta: n(8),
        meanDelta: n(9),
        maxDelta: n(10),
        minJitter: n(11),
        meanJitter: n(12),
        maxJitter: n(13),
        problem: m[14] === 'X',
      },
    ];
  });
}

const SCENARIOS: ReadonlyArray<{ name: string; spec: RtpStreamSpec }> = [
  { name: 'clean G.711 with jitter', spec: { seed: 1, packetCount: 300, jitterMs: 15 } },
  {
    name: 'loss, reordering, duplicates, sequence and timestamp wrap',
    spec: { seed: 3, packetCount: 400, jitterMs: 15, lossRate: 0.05, reorderAt: [50, 120, 399], duplicateAt: [70, 200], startSeq: 65500, startTimestamp: 0xffff_ff00 },
  },
  { name: 'PCMA burst loss and markers', spec: { seed: 2, packetCount: 300, payloadType: 8, jitterMs: 3, markerAt: [0, 100, 151], bursts: [{ at: 150, length: 5 }] } },
  { name: 'loss of the packet that wraps the sequence', spec: { seed: 4, packetCount: 200, startSeq: 65530, bursts: [{ at: 5, length: 1 }], jitterMs: 2 } },
  { name: 'sequence starting at 65535', spec: { seed: 5, packetCount: 100, startSeq: 65535, jitterMs: 1 } },
  { name: 'jitter larger than the packet interval (natural reordering)', spec: { seed: 6, packetCount: 500, jitterMs: 60 } },
  { name: 'sender clock drift', spec: { seed: 7, packetCount: 1000, clockDriftPpm: 800, jitterMs: 4 } },
  { name: 'dynamic payload type without SDP (no clock, no jitter)', spec: { seed: 8, packetCount: 200, payloadType: 101, jitterMs: 5, lossRate: 0.02 } },
  { name: 'SSRC change on the same flow', spec: { seed: 9, packetCount: 300, ssrcChangeAt: 140, jitterMs: 8, lossRate: 0.03 } },
  { name: 'comfort noise in a talk spurt gap', spec: { seed: 10, packetCount: 300, comfortNoiseAt: [100, 101, 102, 200], markerAt: [103], jitterMs: 6 } },
  { name: 'G.722 at its 8000 Hz RTP clock', spec: { seed: 11, packetCount: 300, payloadType: 9, payloadBytes: 160, jitterMs: 9, lossRate: 0.01 } },
  { name: 'G.729 30 ms frames', spec: { seed: 12, packetCount: 300, payloadType: 18, frameMs: 30, payloadBytes: 30, jitterMs: 12, duplicateAt: [3, 4, 5] } },
  ...Array.from({ length: 8 }, (_, k) => {
    const r = seededRandom(1000 + k);
    return {
      name: `random impairments #${k}`,
      spec: {
        seed: 100 + k,
        packetCount: 200 + Math.floor(r() * 800),
        startSeq: Math.floor(r() * 65536),
        startTimestamp: Math.floor(r() * 0x1_0000_0000),
        lossRate: r() * 0.1,
        jitterMs: r() * 50,
        clockDriftPpm: (r() - 0.5) * 2000,
        reorderAt: [Math.floor(r() * 150), Math.floor(r() * 150)],
        duplicateAt: [Math.floor(r() * 150)],
        bursts: [{ at: 20 + Math.floor(r() * 100), length: 1 + Math.floor(r() * 8) }],
        markerAt: [Math.floor(r() * 150)],
      },
    };
  }),
];

function flowOf(s: CaptureStream): string {
  return `${s.endpoints.srcAddr}:${s.endpoints.srcPort}>${s.endpoints.dstAddr}:${s.endpoints.dstPort}`;
}

describe.skipIf(!haveTshark)('RTP stream analysis agrees with tshark -z rtp,streams', () => {
  const streams: CaptureStream[] = SCENARIOS.map(({ spec }, i) => ({
    endpoints: { srcAddr: '10.1.0.1', srcPort: 20000 + 2 * i, dstAddr: '10.1.0.2', dstPort: RTP_PORT },
    // Stagger stream starts so the capture's time origin is not every stream's own origin.
    packets: genRtpStream({ ...spec, startMs: 1_700_000_000_000 + 37 * i }),
  }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  const pcapPath = path.join(dir, 'rtp-streams.pcap');
  fs.writeFileSync(pcapPath, rtpCapture(streams));
  const rows = tsharkStreams(pcapPath);
  const captureOriginMs = Math.min(...streams.map((s) => s.packets[0]!.arrivalMs));

  const set = new RtpStreamSet();
  const merged = streams.flatMap((s) => s.packets.map((p) => ({ flow: flowOf(s), p })));
  merged.sort((a, b) => a.p.arrivalMs - b.p.arrivalMs);
  for (const { flow, p } of merged) set.add(flow, p);
  const ours = new Map<string, RtpStreamStats>();
  for (const s of set.results()) ours.set(`${s.flow.split('>')[0]!.split(':')[1]}/${s.ssrc}`, s.result.stats);

  it('finds the same streams', () => {
    expect(rows.map((r) => `${r.srcPort}/${r.ssrc}`).sort()).toEqual([...ours.keys()].sort());
  });

  SCENARIOS.forEach(({ name }, i) => {
    it(`matches packets, loss, delta and jitter: ${name}`, () => {
      const mine = rows.filter((r) => r.srcPort === 20000 + 2 * i);
      expect(mine.length).toBeGreaterThan(0);
      for (const t of mine) {
        const o = ours.get(`${t.srcPort}/${t.ssrc}`);
        expect(o, `stream ${t.srcPort}/${t.ssrc}`).toBeDefined();
        if (!o) continue;
        expect({ packets: o.packets, lost: o.lost, problem: o.problem }).toEqual({ packets: t.packets, lost: t.lost, problem: t.problem });
        // %.1f of an exact .x5 can go either way, so allow half a printed unit.
        expect(Math.abs(o.lostPct - t.lostPct)).toBeLessThanOrEqual(0.05 + 1e-9);
        const close = (a: number, b: number, what: string) => expect(Math.abs(a - b), `${what}: ours ${a}, tshark ${b}`).toBeLessThanOrEqual(MS_TOLERANCE);
        close(o.minDeltaMs, t.minDelta, 'min delta');
        close(o.meanDeltaMs, t.meanDelta, 'mean delta');
        close(o.maxDeltaMs, t.maxDelta, 'max delta');
        close(o.minJitterMs, t.minJitter, 'min jitter');
        close(o.meanJitterMs, t.meanJitter, 'mean jitter');
        close(o.maxJitterMs, t.maxJitter, 'max jitter');
        close((o.startMs - captureOriginMs) / 1000, t.startS, 'start s');
        close((o.endMs - captureOriginMs) / 1000, t.endS, 'end s');
      }
    });
  });
});
