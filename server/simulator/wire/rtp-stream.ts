/**
 * Deterministic RTP stream generator with network impairments, for the stream analyser's unit tests,
 * for captures fed to tshark in the oracle test, and the seeded PRNG the phone simulator draws from.
 * Everything derives from a seed, so a failing case can be regenerated exactly.
 */
import { ethernetFrame, ipUdpPacket, type UdpEndpoints } from '../../export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime, type PcapRecord } from '../../export/pcap-writer.js';

const RTP_HEADER_BYTES = 12;
const SEQ_MODULO = 0x1_0000;
const TIMESTAMP_MODULO = 0x1_0000_0000;
const PT_COMFORT_NOISE = 13;

/** One generated packet: the analyser's input shape plus the payload length used to build bytes. */
export interface GenRtpPacket {
  readonly arrivalMs: number;
  readonly seq: number;
  readonly rtpTimestamp: number;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly marker: boolean;
  readonly payloadBytes: number;
}

export interface RtpStreamSpec {
  readonly seed: number;
  readonly packetCount: number;
  readonly ssrc?: number;
  readonly payloadType?: number;
  readonly clockRate?: number;
  readonly frameMs?: number;
  readonly payloadBytes?: number;
  readonly startMs?: number;
  /** First sequence number; near 65535 to exercise the wrap. */
  readonly startSeq?: number;
  /** First RTP timestamp; near 2^32 to exercise the wrap. */
  readonly startTimestamp?: number;
  /** Probability that any single packet is dropped. */
  readonly lossRate?: number;
  /** Packet indices (by send order) where a burst of `length` consecutive packets is dropped. */
  readonly bursts?: ReadonlyArray<{ readonly at: number; readonly length: number }>;
  /** Packet indices that arrive after their successor. */
  readonly reorderAt?: readonly number[];
  /** Packet indices that are delivered twice. */
  readonly duplicateAt?: readonly number[];
  /** Each packet's network delay is uniform in [0, jitterMs). */
  readonly jitterMs?: number;
  /** Sender clock error: positive means the sender's wall clock runs slow, so packets come late. */
  readonly clockDriftPpm?: number;
  /** Packet indices with the marker bit set (talk-spurt starts). */
  readonly markerAt?: readonly number[];
  /** Packet indices sent as comfort noise (PT 13), which Wireshark leaves out of delta and jitter. */
  readonly comfortNoiseAt?: readonly number[];
  /** From this packet index on, the sender uses a new SSRC, sequence and timestamp base. */
  readonly ssrcChangeAt?: number;
}

/** mulberry32: tiny, fast and good enough to scatter impairments reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Packets in arrival order, as a receiver would capture them. */
export function genRtpStream(spec: RtpStreamSpec): GenRtpPacket[] {
  const rnd = seededRandom(spec.seed);
  const clockRate = spec.clockRate ?? 8000;
  const frameMs = spec.frameMs ?? 20;
  const samplesPerFrame = Math.round((clockRate * frameMs) / 1000);
  const payloadType = spec.payloadType ?? 0;
  const payloadBytes = spec.payloadBytes ?? samplesPerFrame;
  const startMs = spec.startMs ?? 1_700_000_000_000;
  const jitterMs = spec.jitterMs ?? 0;
  const driftFactor = 1 + (spec.clockDriftPpm ?? 0) / 1e6;
  const dropped = new Set<number>();
  for (const b of spec.bursts ?? []) for (let i = b.at; i < b.at + b.length; i++) dropped.add(i);
  const reorder = new Set(spec.reorderAt ?? []);
  const duplicate = new Set(spec.duplicateAt ?? []);
  const markers = new Set(spec.markerAt ?? []);
  const comfortNoise = new Set(spec.comfortNoiseAt ?? []);

  let ssrc = spec.ssrc ?? 0x1234_5678;
  let seqBase = spec.startSeq ?? 1000;
  let tsBase = spec.startTimestamp ?? 160_000;
  let indexBase = 0;
  const sent: Array<GenRtpPacket & { order: number }> = [];
  for (let i = 0; i < spec.packetCount; i++) {
    if (i === spec.ssrcChangeAt) {
      ssrc = (ssrc ^ 0x5a5a_5a5a) >>> 0;
      seqBase = Math.floor(rnd() * SEQ_MODULO);
      tsBase = Math.floor(rnd() * TIMESTAMP_MODULO);
      indexBase = i;
    }
    const lostAtRandom = rnd() < (spec.lossRate ?? 0);
    const delayMs = rnd() * jitterMs;
    if (lostAtRandom || dropped.has(i)) continue;
    const k = i - indexBase;
    // Microsecond arrival times: that is what pcap keeps, so the analyser and tshark see the same numbers.
    const arrivalMs = Math.round((startMs + i * frameMs * driftFactor + delayMs) * 1000) / 1000;
    const packet = {
      arrivalMs,
      seq: (seqBase + k) % SEQ_MODULO,
      rtpTimestamp: (tsBase + k * samplesPerFrame) % TIMESTAMP_MODULO,
      ssrc,
      payloadType: comfortNoise.has(i) ? PT_COMFORT_NOISE : payloadType,
      marker: markers.has(i),
      payloadBytes,
    };
    sent.push({ ...packet, order: i });
    if (duplicate.has(i)) sent.push({ ...packet, arrivalMs: arrivalMs + 0.5, order: i + 0.5 });
  }
  for (let j = 0; j + 1 < sent.length; j++) {
    const a = sent[j]!;
    const b = sent[j + 1]!;
    if (reorder.has(a.order)) {
      // Swap arrival slots so the later-sent packet is seen first, keeping arrival times increasing.
      sent[j] = { ...b, arrivalMs: a.arrivalMs };
      sent[j + 1] = { ...a, arrivalMs: b.arrivalMs };
      j++;
    }
  }
  return sent
    .sort((x, y) => x.arrivalMs - y.arrivalMs)
    .map(({ order: _order, ...p }) => p);
}

/** A 12-byte RTP header (version 2, no CSRC, no extension) plus a zero-filled payload. */
export function rtpPacketBytes(p: GenRtpPacket): Buffer {
  const b = Buffer.alloc(RTP_HEADER_BYTES + p.payloadBytes, 0xff);
  b[0] = 0x80;
  b[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  b.writeUInt16BE(p.seq, 2);
  b.writeUInt32BE(p.rtpTimestamp >>> 0, 4);
  b.writeUInt32BE(p.ssrc >>> 0, 8);
  return b;
}

export interface CaptureStream {
  readonly endpoints: UdpEndpoints;
  readonly packets: readonly GenRtpPacket[];
}

/** An Ethernet pcap holding all streams interleaved by arrival time (capture time = arrival time). */
export function rtpCapture(streams: readonly CaptureStream[]): Buffer {
  const frames = streams.flatMap((s) => s.packets.map((p) => ({ p, endpoints: s.endpoints })));
  frames.sort((x, y) => x.p.arrivalMs - y.p.arrivalMs);
  const records: PcapRecord[] = frames.map(({ p, endpoints }, i) => ({
    ...pcapTime(p.arrivalMs),
    data: ethernetFrame(ipUdpPacket(endpoints, rtpPacketBytes(p), i)),
  }));
  return pcapFile(LINKTYPE_ETHERNET, records);
}
