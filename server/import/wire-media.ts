/**
 * RTP and RTCP seen directly on the wire in an imported capture, tied to calls through the SDP of
 * captured SIP (INVITE / 200 OK m= and c= lines): each RTP stream is analysed with the
 * Wireshark-compatible analyser into 'computed-rtp' samples (one per 5 seconds), and RTCP on the
 * port above is read for report blocks ('rtcp') and XR VoIP metrics ('rtcp-xr'). Without SDP, a
 * flow between even ports ≥ 1024 carrying a static audio payload type is taken as RTP (heuristic).
 *
 * Directions are the phone's; the phone is taken to be the side whose SDP came first (the offer):
 * media sent to the offer's address is 'rx', media sent from it 'tx'. A capture taken at the far
 * end reverses that; nothing on the wire says which side is the phone.
 */
import { codecByName, type CodecInfo } from '../analysis/codecs.js';
import { RtpStreamAnalyser, type RtpSeriesBucket } from '../analysis/rtp-stream.js';
import type { CallRecord, QualityMetrics, SampleRecord, StreamDirection } from '../calls/model.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeRtcp, looksLikeRtcp } from '../../parsers/rtcp.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { sipBodyText, sipHeader, type SipMessage } from '../../parsers/sip.js';
import { CallRtcpState } from '../pipeline/recordings/rtcp-quality.js';
import type { CapturedUdp } from '../capture/pcap-reader.js';

const MAX_CALLS = 20_000;
const MAX_STREAMS = 50_000;
/** Heuristic RTP (no SDP) needs this many packets before it counts as a stream. */
const HEURISTIC_MIN_PACKETS = 50;
const HEURISTIC_AUDIO_TYPES: ReadonlySet<number> = new Set([0, 3, 4, 8, 9, 18]);
const MIN_MEDIA_PORT = 1024;

interface WireCall {
  readonly sipCallId: string | null;
  /** The offer's side: the phone. */
  phoneAddr: string | null;
  readonly dynamic: Map<number, CodecInfo>;
  firstMs: number;
  lastMs: number;
  readonly rtcp: CallRtcpState;
}

interface WireStream {
  readonly call: WireCall;
  readonly id: number;
  readonly direction: StreamDirection;
  readonly flow: CapturedUdp;
  readonly ssrc: number;
  readonly analyser: RtpStreamAnalyser;
  readonly buckets: RtpSeriesBucket[];
  payloadType: number;
}

const endpointKey = (addr: string, port: number) => `${addr}|${port}`;

export class WireMedia {
  private readonly byEndpoint = new Map<string, WireCall>();
  private readonly bySipCallId = new Map<string, WireCall>();
  private readonly streams = new Map<string, WireStream>();
  private readonly heuristic = new Map<string, WireCall>();
  private nextStreamId = 1;
  rtpPackets = 0;
  rtcpPackets = 0;

  /** Learns media endpoints from a captured SIP message's SDP body. */
  noteSip(msg: SipMessage, src: string): void {
    const callId = sipHeader(msg, 'Call-ID');
    if (!callId || !/application\/sdp/i.test(sipHeader(msg, 'Content-Type') ?? '')) return;
    const sdp = parseSdp(sipBodyText(msg));
    if (!sdp) return;
    let call = this.bySipCallId.get(callId);
    if (!call) {
      if (this.bySipCallId.size >= MAX_CALLS) return;
      call = { sipCallId: callId, phoneAddr: sdp.addr, dynamic: new Map(), firstMs: Infinity, lastMs: -Infinity, rtcp: new CallRtcpState() };
      this.bySipCallId.set(callId, call);
    }
    for (const [pt, codec] of sdp.rtpmap) call.dynamic.set(pt, codec);
    call.phoneAddr ??= src;
    this.byEndpoint.set(endpointKey(sdp.addr, sdp.port), call);
    this.byEndpoint.set(endpointKey(sdp.addr, sdp.port + 1), call);
  }

  /** Takes a UDP datagram if it is media of a known (or heuristically found) call; false otherwise. */
  handle(u: CapturedUdp): boolean {
    const call = this.byEndpoint.get(endpointKey(u.dst, u.dstPort)) ?? this.byEndpoint.get(endpointKey(u.src, u.srcPort));
    const p = u.payload;
    if (call) {
      if (looksLikeRtcp(p)) return this.rtcp(call, u);
      return this.rtp(call, u);
    }
    if (u.srcPort % 2 !== 0 || u.dstPort % 2 !== 0 || u.srcPort < MIN_MEDIA_PORT || u.dstPort < MIN_MEDIA_PORT) return false;
    if (p.length < 12 || p[0]! >> 6 !== 2 || !HEURISTIC_AUDIO_TYPES.has(p[1]! & 0x7f)) return false;
    const flowKey = `${u.src}|${u.srcPort}|${u.dst}|${u.dstPort}`;
    let h = this.heuristic.get(flowKey);
    if (!h) {
      if (this.heuristic.size >= MAX_CALLS) return false;
      h = { sipCallId: null, phoneAddr: u.src, dynamic: new Map(), firstMs: Infinity, lastMs: -Infinity, rtcp: new CallRtcpState() };
      this.heuristic.set(flowKey, h);
    }
    return this.rtp(h, u);
  }

  private rtp(call: WireCall, u: CapturedUdp): boolean {
    const r = decodeRtp(u.payload);
    if (isDecodeError(r)) return false;
    const key = `${u.src}|${u.srcPort}|${u.dst}|${u.dstPort}|${r.ssrc >>> 0}`;
    let s = this.streams.get(key);
    if (!s) {
      if (this.streams.size >= MAX_STREAMS) return false;
      const buckets: RtpSeriesBucket[] = [];
      s = {
        call, id: this.nextStreamId++, direction: u.src === call.phoneAddr ? 'tx' : 'rx', flow: u, ssrc: r.ssrc >>> 0, buckets, payloadType: r.payloadType,
        analyser: new RtpStreamAnalyser({ dynamicPayloadTypes: call.dynamic, onBucket: (b) => { if (b.durationMs === 5000) buckets.push(b); } }),
      };
      this.streams.set(key, s);
    }
    s.analyser.add({ arrivalMs: u.timeMs, seq: r.sequence, rtpTimestamp: r.timestamp, ssrc: r.ssrc, payloadType: r.payloadType, marker: r.marker, payloadBytes: r.payload.length });
    call.firstMs = Math.min(call.firstMs, u.timeMs);
    call.lastMs = Math.max(call.lastMs, u.timeMs);
    this.rtpPackets++;
    return true;
  }

  private rtcp(call: WireCall, u: CapturedUdp): boolean {
    const c = decodeRtcp(u.payload);
    if (isDecodeError(c)) return false;
    const sent: StreamDirection = u.src === call.phoneAddr ? 'tx' : 'rx';
    call.rtcp.add(c, sent, u.timeMs, (ssrc) => {
      for (const s of this.streams.values()) if (s.call === call && s.ssrc === ssrc >>> 0) return { id: s.id, clockRate: s.analyser.result().stats.clockRate };
      return null;
    });
    this.rtcpPackets++;
    return true;
  }

  /** One call record per call with media, for the correlator. */
  finish(importId: number): CallRecord[] {
    const byCall = new Map<WireCall, WireStream[]>();
    for (const s of this.streams.values()) {
      if (s.call.sipCallId === null && s.analyser.result().stats.packets < HEURISTIC_MIN_PACKETS) continue;
      const list = byCall.get(s.call);
      if (list) list.push(s);
      else byCall.set(s.call, [s]);
    }
    const records: CallRecord[] = [];
    for (const [call, streams] of byCall) {
      const results = streams.map((s) => ({ s, r: s.analyser.result() }));
      const codec = results[0]?.r.stats.codec;
      records.push({
        keys: {
          ...(call.sipCallId !== null ? { sipCallId: call.sipCallId } : {}),
          ssrcs: streams.map((s) => s.ssrc),
          media: streams.map((s) => ({ addr: s.flow.dst, port: s.flow.dstPort })),
          startMs: call.firstMs,
          endMs: call.lastMs,
        },
        info: { active: false, importId, ...(codec ? { codec } : {}) },
        segments: [],
        streams: results.map(({ s, r }) => ({
          direction: s.direction,
          ssrc: s.ssrc,
          localAddr: s.direction === 'rx' ? s.flow.dst : s.flow.src,
          localPort: s.direction === 'rx' ? s.flow.dstPort : s.flow.srcPort,
          remoteAddr: s.direction === 'rx' ? s.flow.src : s.flow.dst,
          remotePort: s.direction === 'rx' ? s.flow.srcPort : s.flow.dstPort,
          payloadType: r.stats.payloadType,
          ...(r.stats.codec ? { codec: r.stats.codec } : {}),
          samples: [
            ...[...s.buckets, ...r.perFiveSeconds.filter((b) => !s.buckets.some((x) => x.startMs === b.startMs))].filter((b) => b.packets > 0).map(computedSample),
            ...call.rtcp.samples.filter((x) => x.streamId === s.id).map(({ source, startMs, endMs, metrics }) => ({ source, startMs, endMs, metrics })),
          ],
        })),
        callSamples: call.rtcp.samples.filter((x) => x.streamId === null).map(({ source, startMs, endMs, metrics }) => ({ source, startMs, endMs, metrics })),
      });
    }
    return records;
  }

  /** Per-stream stats for the import summary and the tshark oracle. */
  streamStats(): Array<{ src: string; srcPort: number; dst: string; dstPort: number; ssrc: number; packets: number; lost: number; maxDeltaMs: number; maxJitterMs: number; meanJitterMs: number; sipCallId: string | null }> {
    return [...this.streams.values()].map((s) => {
      const st = s.analyser.result().stats;
      return { src: s.flow.src, srcPort: s.flow.srcPort, dst: s.flow.dst, dstPort: s.flow.dstPort, ssrc: s.ssrc, packets: st.packets, lost: st.lost, maxDeltaMs: st.maxDeltaMs, maxJitterMs: st.maxJitterMs, meanJitterMs: st.meanJitterMs, sipCallId: s.call.sipCallId };
    });
  }
}

function computedSample(b: RtpSeriesBucket): SampleRecord {
  const metrics: QualityMetrics = { lossPct: Math.max(0, b.lostPct), jitterMs: b.meanJitterMs, jitterMaxMs: b.maxJitterMs, maxDeltaMs: b.maxDeltaMs, packets: b.packets, packetsLost: Math.max(0, b.lost) };
  if (b.rFactor !== undefined) metrics.rFactor = b.rFactor;
  if (b.mos !== undefined) metrics.mosCq = b.mos;
  return { source: 'computed-rtp', startMs: b.startMs, endMs: b.startMs + b.durationMs, metrics };
}

interface Sdp {
  readonly addr: string;
  readonly port: number;
  readonly rtpmap: Array<[number, CodecInfo]>;
}

/** The first audio m= line with its connection address (media-level c= wins) and rtpmaps. */
export function parseSdp(text: string): Sdp | null {
  let sessionAddr: string | null = null;
  let mediaAddr: string | null = null;
  let port: number | null = null;
  let inAudio = false;
  const rtpmap: Array<[number, CodecInfo]> = [];
  for (const line of text.split(/\r?\n/)) {
    const c = /^c=IN IP[46] ([0-9a-fA-F.:]+)/.exec(line);
    if (c) {
      if (port === null) sessionAddr = c[1]!;
      else if (inAudio) mediaAddr = c[1]!;
      continue;
    }
    const m = /^m=(\w+) (\d+)/.exec(line);
    if (m) {
      if (port !== null) inAudio = false;
      else if (m[1] === 'audio') {
        port = Number(m[2]);
        inAudio = true;
      }
      continue;
    }
    const a = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (a && inAudio) rtpmap.push([Number(a[1]), codecByName(a[2]!, Number(a[3]))]);
  }
  const addr = mediaAddr ?? sessionAddr;
  return addr !== null && port !== null && port > 0 && port < 65535 ? { addr, port, rtpmap } : null;
}
