/**
 * Debug recordings: (1) ACDR datagrams over loopback from the C sender (bench/blast.c, the same
 * datagrams as the capture below), 1,000 recorded calls at once (two G.711 streams each), 5 s
 * steps at rising rates until one is not stored (sent ≠ stored); (2) `ipp-collector analyze` over
 * a generated capture of more than 90 MB against `tshark -d udp.port==50000,acdr -q -z
 * rtp,streams` on the same file, both whole processes, best of 3 each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ethernetFrame, ipUdpPacket } from '../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapGlobalHeader, pcapRecord, pcapTime } from '../server/export/pcap-writer.js';
import { PACKAGE_ROOT } from '../server/package-root.js';
import { blaster, type Blaster } from './blaster.js';
import { freePorts } from './free-ports.js';
import { highestZeroLossRate, rateLadder, type BenchOptions, type CaseResult, type RateStep } from './harness.js';

const FULL_RATES = [25_000, 50_000, 100_000, 150_000, 200_000, 300_000];
const STEP_SECONDS = 5;
const TIMING_RUNS = 3;
const SMOKE_RATES = [5_000];
const SMOKE_TIMING_RUNS = 1;
const CALLS = 1000;
const SMOKE_CALLS = 50;
const FULL_CAPTURE_DATAGRAMS = 600_000;
const SMOKE_CAPTURE_DATAGRAMS = 20_000;
const RECORDING_PORT = 50_000;

// ACDR v9 record: 28-byte header, 9-byte media extension (IPv4), then RTP (12 + 160 bytes G.711).
const ACDR_V9_HEADER_BYTES = 28;
const MEDIA_EXT_BYTES = 9;
const RTP_AT = ACDR_V9_HEADER_BYTES + MEDIA_EXT_BYTES;
const G711_FRAME_BYTES = 160;
const DATAGRAM_BYTES = RTP_AT + 12 + G711_FRAME_BYTES;
const FRAME_US = 20_000;

/** A generator of the k-th datagram of the load: call (k/2) mod calls, rx/tx by parity, in place (bench/blast.c sends the same). */
class AcdrLoad {
  private readonly b: Buffer;

  constructor(private readonly calls: number) {
    const b = Buffer.alloc(DATAGRAM_BYTES, 0xff);
    b.fill(0, 0, RTP_AT + 12);
    b[0] = 9; // version
    b.writeInt32BE(3, 7); // src channel
    b.writeInt32BE(-1, 11);
    b[18] = MEDIA_EXT_BYTES;
    b.writeUIntBE(0xabcdef, 19, 3);
    b[22] = 1; // reset counter
    b[17] = 1; // media: RTP
    b[RTP_AT] = 0x80;
    this.b = b;
  }

  /** Datagram k, in the buffer the next call rewrites. */
  at(k: number, sequence: number): Buffer {
    const b = this.b;
    const call = (k >>> 1) % this.calls;
    const rx = (k & 1) === 0;
    const n = Math.floor(k / (2 * this.calls));
    const timeUs = n * FRAME_US + call * 7;
    b.writeUInt32BE(timeUs % 2 ** 32, 1);
    b.writeUInt16BE(sequence & 0xffff, 5);
    b[16] = rx ? 0 : 1; // trace point Net2Dsp / Dsp2Net
    b.writeUIntBE(call + 1, 23, 5); // session number
    // Extension: far end 198.51.(call/256).(call%256):40000+call, local port 4000+call, TOS 184.
    b[28] = 198; b[29] = 51; b[30] = (call >> 8) & 0xff; b[31] = call & 0xff;
    b.writeUInt16BE(40_000 + (call % 20_000), 32);
    b.writeUInt16BE(4000 + (call % 20_000), 34);
    b[36] = 184;
    b[RTP_AT + 1] = 0;
    b.writeUInt16BE(n & 0xffff, RTP_AT + 2);
    b.writeUInt32BE((n * G711_FRAME_BYTES) % 2 ** 32, RTP_AT + 4);
    b.writeUInt32BE(((rx ? 0x1000_0000 : 0x2000_0000) + call) >>> 0, RTP_AT + 8);
    return b;
  }
}

export async function recordingsCase(o: BenchOptions): Promise<CaseResult> {
  const rates = o.smoke ? SMOKE_RATES : FULL_RATES;
  const seconds = o.smoke ? 1 : STEP_SECONDS;
  const calls = o.smoke ? SMOKE_CALLS : CALLS;
  const blast = blaster();
  const ingest = blast ? await ingestSteps(blast, rates, seconds, calls) : { steps: [], peakRssMb: null };
  const held = highestZeroLossRate(ingest.steps);
  const analysis = analyzeVersusTshark(o.smoke ? SMOKE_CAPTURE_DATAGRAMS : FULL_CAPTURE_DATAGRAMS, calls, o.smoke ? SMOKE_TIMING_RUNS : TIMING_RUNS);
  return {
    name: 'recordings',
    load: `ACDR v9 RTP datagrams (${DATAGRAM_BYTES} bytes) over loopback from one phone address, ${calls} calls × 2 streams, ${seconds} s per rate step, rates ${rates.join(', ')}/s; analyze over ${analysis.datagrams} datagrams`,
    result: {
      highestRateZeroLoss: held,
      steps: ingest.steps,
      analyzeDatagramsPerS: analysis.oursPerS,
      tsharkDatagramsPerS: analysis.tsharkPerS,
      analyzeSeconds: analysis.oursS,
      tsharkSeconds: analysis.tsharkS,
      captureMb: analysis.captureMb,
    },
    peakRssMb: ingest.peakRssMb,
    reference: analysis.tsharkS === null ? null : { tool: 'tshark -d udp.port==50000,acdr -q -z rtp,streams', seconds: analysis.tsharkS },
    // < 1: analyze is faster than tshark on the same capture (the goal is ≤ 0.5).
    ratio: analysis.tsharkS === null ? null : Math.round((analysis.oursS / analysis.tsharkS) * 100) / 100,
    notes: [
      'zero loss = every datagram the sender sent was stored (counters.recordings.stored); sender, collector threads (receiver, main, store) share the cores',
      `ratio is analyze time / tshark time on the same file (< 1 means analyze is faster), best of ${o.smoke ? SMOKE_TIMING_RUNS : TIMING_RUNS} each; both are whole processes, start-up and reading the file included`,
      ...(blast ? [] : ['no C compiler (gcc) to build bench/blast.c: the ingest ladder was not run']),
    ],
  };
}

async function ingestSteps(blast: Blaster, rates: number[], seconds: number, calls: number): Promise<{ steps: RateStep[]; peakRssMb: number | null }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-rec-'));
  const { tcp: [web], udp: [udp] } = await freePorts(1, 1);
  try {
    return await rateLadder({
      collectorArgs: ['--data-dir', dataDir, '--bind', '127.0.0.1', '--syslog-port', '0', '--syslog-tcp-port', '0', '--sip-port', '0', '--hep-port', '0',
        '--recording-port', String(udp), '--recordings-max-mb', '100000'],
      webPort: web!,
      source: 'recordings',
      rates,
      send: (rate, offset) => blast.send(udp!, rate * seconds, rate, `acdr:${calls}`, offset),
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function analyzeVersusTshark(datagrams: number, calls: number, runs: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-cap-'));
  const file = path.join(dir, 'recordings.pcap');
  try {
    writeCapture(file, datagrams, calls);
    const captureMb = Math.round(statSync(file).size / 1e6);
    const bestOf = (run: () => boolean): number | null => {
      let best: number | null = null;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        if (!run()) return null;
        const s = (performance.now() - t0) / 1000;
        best = best === null ? s : Math.min(best, s);
      }
      return best;
    };
    const oursS = bestOf(() => {
      execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'dist/server/cli.js'), 'analyze', file, '--json'], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
      return true;
    })!;
    const tsharkS = bestOf(() => spawnSync('tshark', ['-r', file, '-d', `udp.port==${RECORDING_PORT},acdr`, '-q', '-z', 'rtp,streams'], { stdio: 'ignore' }).status === 0);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return { datagrams, captureMb, oursS: round(oursS), oursPerS: Math.round(datagrams / oursS), tsharkS: tsharkS === null ? null : round(tsharkS), tsharkPerS: tsharkS === null ? null : Math.round(datagrams / tsharkS) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Streams the capture to disk (capture time = device time), so a large one never sits in memory. */
export function writeCapture(file: string, datagrams: number, calls: number): void {
  const load = new AcdrLoad(calls);
  const fd = openSync(file, 'w');
  const startMs = Date.UTC(2026, 0, 1);
  try {
    writeSync(fd, pcapGlobalHeader(LINKTYPE_ETHERNET));
    const parts: Buffer[] = [];
    for (let k = 0; k < datagrams; k++) {
      const d = load.at(k, k);
      const timeMs = startMs + d.readUInt32BE(1) / 1000;
      parts.push(pcapRecord({ ...pcapTime(timeMs), data: ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 50010, dstAddr: '192.0.2.200', dstPort: RECORDING_PORT }, d, k & 0xffff)) }));
      if (parts.length === 10_000) writeSync(fd, Buffer.concat(parts.splice(0)));
    }
    if (parts.length) writeSync(fd, Buffer.concat(parts));
  } finally {
    closeSync(fd);
  }
  void statSync(file);
}
