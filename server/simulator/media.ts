/**
 * One call's media as the phone's debug recording shows it (acdr spec §6-7): RTP both ways every
 * 20 ms (sent at trace point Dsp2Net, received at Net2Dsp), the phone's RTCP SR + SDES + XR VoIP
 * metrics and the far end's SR every 5 s, BYE at the end. Impairments act on the received side
 * exactly as planned, and the receiver counters the reports read are updated packet by packet.
 *
 * Hot path: each stream keeps one pre-built ACDR+RTP datagram and patches the ACDR clock and
 * sequence, the RTP header fields and the 160 payload bytes into a fresh copy per packet.
 */
import type { G711Law } from '../media/g711.js';
import type { G711Codec, SimCall } from './plan.js';
import { DISCARD_LATE_MS, deriveQuality, JB_ABS_MAX_MS, JB_MAX_MS, JB_NOMINAL_MS, END_SYSTEM_DELAY_MS, ROUND_TRIP_MS, type DerivedQuality } from './quality.js';
import type { PhoneRuntime, Datagram, Source } from './runtime.js';
import { RxStats, type RxSnapshot, difference, GMIN } from './rx-stats.js';
import { FRAME_MS, SAMPLES_PER_FRAME, toneFrames, FRAMES_PER_CYCLE } from './tone.js';
import type { Impairment } from './scenarios.js';
import { acdrMediaExt, buildAcdr, buildRtcpBye, buildRtcpSdes, buildRtcpSr, buildRtp, buildRtcpXr, rtcpCompound, xrVoipMetrics, type ReportBlockFields } from './wire/acdr.js';
import { seededRandom } from './wire/rtp-stream.js';

const ACDR_VERSION = 7;
/** Field offsets in the v7 fixed header (acdr spec §2.2). */
const ACDR_CLOCK_OFFSET = 1;
const ACDR_SEQ_OFFSET = 5;
const TRACE_NET2DSP = 0;
const TRACE_DSP2NET = 1;
const MEDIA_RTP = 1;
const MEDIA_RTCP = 2;
const DSP_CHANNEL = 1;
const TOS_EF = 184;
const RTCP_INTERVAL_MS = 5000;
/** The phone's and the far end's reports are offset so they do not coincide. */
const PHONE_RTCP_PHASE_MS = 2500;
const REMOTE_RTCP_PHASE_MS = 1300;
/** The far end's packets are sent this far out of phase with the phone's. */
const REMOTE_PACKET_PHASE_MS = 7;
const NETWORK_DELAY_MS = 20;
/** Every real network wobbles a little. */
const NATURAL_JITTER_MS = 1.5;
const NTP_UNIX_OFFSET_S = 2_208_988_800;
const PT: Readonly<Record<G711Codec, number>> = { PCMU: 0, PCMA: 8 };
const LAW: Readonly<Record<G711Codec, G711Law>> = { PCMU: 'ulaw', PCMA: 'alaw' };

interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

const within = <W extends Window>(t: number, windows: readonly W[]): W | undefined => windows.find((w) => t >= w.startMs && t < w.endMs);

/** NTP timestamp of a wall-clock instant, as the two 32-bit SR fields. */
function ntp(epochMs: number): { sec: number; frac: number } {
  const sec = Math.floor(epochMs / 1000);
  return { sec: (sec + NTP_UNIX_OFFSET_S) >>> 0, frac: Math.floor(((epochMs - sec * 1000) / 1000) * 0x1_0000_0000) >>> 0 };
}
const ntpMiddle = (t: { sec: number; frac: number }): number => (((t.sec & 0xffff) << 16) | (t.frac >>> 16)) >>> 0;

/** Fixed description of one direction of the call. */
class StreamShape {
  readonly rtpTemplate: Buffer;
  /** The template up to the payload: the payload is written per packet anyway. */
  private readonly rtpHeaders: Uint8Array;
  readonly rtcpHeader: Buffer;
  readonly rtpOffset: number;
  constructor(readonly runtime: PhoneRuntime, call: SimCall, tracePoint: number) {
    const header = (mediaType: number, portOffset: number) => ({
      version: ACDR_VERSION,
      srcId: DSP_CHANNEL,
      dstId: -1,
      tracePoint,
      mediaType,
      session: { boardId: call.phone.boardId, resetCounter: call.phone.resetCounter, sessionId: call.session },
      headerExtension: acdrMediaExt({ farAddr: call.remoteAddr, farPort: call.remoteRtpPort + portOffset, localPort: call.localRtpPort + portOffset, ipTos: TOS_EF }),
    });
    const ssrc = tracePoint === TRACE_DSP2NET ? call.ssrcTx : call.ssrcRx;
    const rtp = buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc, payload: new Uint8Array(SAMPLES_PER_FRAME) });
    this.rtpTemplate = Buffer.from(buildAcdr(header(MEDIA_RTP, 0), rtp));
    this.rtpOffset = this.rtpTemplate.length - rtp.length;
    this.rtpHeaders = this.rtpTemplate.subarray(0, this.rtpOffset + 12);
    this.rtcpHeader = Buffer.from(buildAcdr(header(MEDIA_RTCP, 1)));
  }

  rtp(atMs: number, marker: boolean, payloadType: number, seq: number, timestamp: number, frame: Uint8Array): Buffer {
    const b = Buffer.allocUnsafe(this.rtpTemplate.length);
    // TypedArray.set: native for small copies, where Buffer.copy goes through JS.
    b.set(this.rtpHeaders);
    b.writeUInt32BE(this.runtime.deviceClockUs(atMs), ACDR_CLOCK_OFFSET);
    const o = this.rtpOffset;
    b[o + 1] = (marker ? 0x80 : 0) | payloadType;
    b.writeUInt16BE(seq & 0xffff, o + 2);
    b.writeUInt32BE(timestamp >>> 0, o + 4);
    b.set(frame, o + 12);
    return b;
  }

  rtcp(atMs: number, compound: Uint8Array): Buffer {
    const b = Buffer.allocUnsafe(this.rtcpHeader.length + compound.length);
    this.rtcpHeader.copy(b);
    b.set(compound, this.rtcpHeader.length);
    b.writeUInt32BE(this.runtime.deviceClockUs(atMs), ACDR_CLOCK_OFFSET);
    return b;
  }

  /** The ACDR sequence counts datagrams in the order the phone sends them, so it is set on sending. */
  emit(out: Datagram[], atMs: number, kind: 'acdr-rtp' | 'acdr-rtcp', bytes: Buffer): void {
    bytes.writeUInt16BE(this.runtime.nextAcdrSeq(), ACDR_SEQ_OFFSET);
    out.push({ atMs, phone: this.runtime.phone, port: 'recording', kind, bytes });
  }
}

/** A recorded burst of loss, as the receiver saw it (first and last lost sequence numbers). */
export interface ObservedBurst {
  readonly impairment: Impairment;
  firstSeq: number;
  lastSeq: number;
  lost: number;
}

export class CallMedia {
  readonly rx = new RxStats();
  txPackets = 0;
  /** What the far end has sent, lost packets included: its SR packet count. */
  remoteSent = 0;
  readonly bursts: ObservedBurst[] = [];
  readonly tx: Source;
  readonly receive: Source;
  private readonly holds: readonly Window[];
  private readonly codecChange: Impairment | undefined;
  readonly txSeq0: number;
  readonly txTs0: number;
  readonly rxSeq0: number;
  readonly rxTs0: number;
  private lastPhoneSr: { atMs: number; middle: number } | null = null;
  private lastRemoteSr: { atMs: number; middle: number } | null = null;
  private segmentStart: RxSnapshot = new RxStats().snapshot();
  private segmentTxStart = 0;
  private readonly tones: readonly [readonly Uint8Array[], readonly Uint8Array[]];

  constructor(readonly call: SimCall, readonly runtime: PhoneRuntime, readonly epochMs: number) {
    const rnd = seededRandom(call.mediaSeed);
    this.txSeq0 = Math.floor(rnd() * 0x10000);
    this.txTs0 = Math.floor(rnd() * 0x1_0000_0000);
    this.rxSeq0 = Math.floor(rnd() * 0x10000);
    this.rxTs0 = Math.floor(rnd() * 0x1_0000_0000);
    this.tones = [toneFrames(LAW[call.codec], 0), toneFrames(LAW[call.codec], 1)];
    this.holds = call.impairments.filter((i) => i.kind === 'hold');
    this.codecChange = call.impairments.find((i) => i.kind === 'codec-change');
    for (const i of call.impairments) if (i.kind === 'loss-burst') this.bursts.push({ impairment: i, firstSeq: -1, lastSeq: -1, lost: 0 });
    this.tx = new TxSource(this, new StreamShape(runtime, call, TRACE_DSP2NET));
    const oneWay = call.impairments.some((i) => i.kind === 'one-way');
    this.receive = oneWay ? { at: Infinity, step: () => undefined } : new RxSource(this, new StreamShape(runtime, call, TRACE_NET2DSP), seededRandom(call.mediaSeed ^ 0x2545f491));
  }

  codecAt(nominalMs: number): G711Codec {
    return this.codecChange && nominalMs >= this.codecChange.startMs ? this.codecChange.toCodec! : this.call.codec;
  }

  onHold(nominalMs: number): boolean {
    return within(nominalMs, this.holds) !== undefined;
  }

  /** The frame a stream plays at slot k: a cycling tone, a different one per direction. */
  frame(codec: G711Codec, voice: 0 | 1, k: number): Uint8Array {
    const frames = codec === this.call.codec ? this.tones[voice] : toneFrames(LAW[codec], voice);
    return frames[k % FRAMES_PER_CYCLE]!;
  }

  payloadType(codec: G711Codec): number {
    return PT[codec];
  }

  /** The rx quality of the current report segment, and starts the next one. */
  closeSegment(atMs: number): DerivedQuality {
    const now = this.rx.snapshot();
    const q = deriveQuality(difference(now, this.segmentStart), PT[this.codecAt(atMs)], this.remoteSentSince());
    this.segmentStart = now;
    this.segmentTxStart = this.txPackets;
    return q;
  }

  private remoteSentSince(): number {
    // The far end mirrors the phone's cadence, so for a silent inbound side the phone's own count stands in.
    return this.txPackets - this.segmentTxStart;
  }

  phoneRtcp(atMs: number, bye: boolean): Uint8Array {
    const wall = ntp(this.epochMs + atMs);
    const txTs = (this.txTs0 + Math.round((atMs - this.call.answerMs) * (SAMPLES_PER_FRAME / FRAME_MS))) >>> 0;
    const reports: ReportBlockFields[] = [];
    const blocks: Uint8Array[] = [];
    if (this.rx.received > 0) {
      const s = this.rx.snapshot();
      reports.push({
        ssrc: this.call.ssrcRx,
        fractionLost: this.rx.fractionLostSinceLastReport(),
        cumulativeLost: s.expected - s.received,
        extHighestSeq: this.rxSeq0 + s.expected - 1,
        jitter: Math.round(s.jitterTs),
        lsr: this.lastRemoteSr?.middle ?? 0,
        dlsr: this.lastRemoteSr ? Math.round(((atMs - this.lastRemoteSr.atMs) / 1000) * 65536) : 0,
      });
      blocks.push(this.voipMetrics(s));
    }
    this.lastPhoneSr = { atMs, middle: ntpMiddle(wall) };
    const cname = `${this.call.phone.extension}@${this.call.phone.addr}`;
    return rtcpCompound(
      buildRtcpSr({ ssrc: this.call.ssrcTx, ntpSec: wall.sec, ntpFrac: wall.frac, rtpTimestamp: txTs, packetCount: this.txPackets, octetCount: this.txPackets * SAMPLES_PER_FRAME, reports }),
      buildRtcpSdes([{ ssrc: this.call.ssrcTx, items: [{ type: 1, text: cname }, { type: 6, text: `AudioCodes ${this.call.phone.model} ${this.call.phone.firmware}` }] }]),
      ...(blocks.length > 0 ? [buildRtcpXr({ ssrc: this.call.ssrcTx, blocks })] : []),
      ...(bye ? [buildRtcpBye({ ssrcs: [this.call.ssrcTx] })] : []),
    );
  }

  /** RFC 3611 BT=7 about the received stream: loss and burst values cumulative since the start. */
  private voipMetrics(s: RxSnapshot): Uint8Array {
    const q = deriveQuality(s, PT[this.call.codec], 0);
    const fraction = (pct: number): number => Math.min(255, Math.round((pct / 100) * 256));
    return xrVoipMetrics({
      ssrc: this.call.ssrcRx,
      lossRate: fraction(q.lossPct),
      discardRate: fraction(q.discardPct),
      burstDensity: fraction(q.burstDensityPct),
      gapDensity: fraction(q.gapDensityPct),
      burstDurationMs: Math.min(0xffff, q.burstDurationMs),
      gapDurationMs: Math.min(0xffff, q.gapDurationMs),
      rttMs: ROUND_TRIP_MS,
      endSystemDelayMs: END_SYSTEM_DELAY_MS,
      signalLevel: -20,
      noiseLevel: -70,
      rerl: 52,
      gmin: GMIN,
      rFactor: Math.min(100, q.rFactor),
      extRFactor: 127,
      mosLq: Math.round(q.mosLq * 10),
      mosCq: Math.round(q.mosCq * 10),
      plc: 3,
      jba: 3,
      jbRate: 4,
      jbNominalMs: JB_NOMINAL_MS,
      jbMaxMs: Math.max(JB_MAX_MS, Math.min(JB_ABS_MAX_MS, Math.round(q.jitterMaxMs * 3))),
      jbAbsMaxMs: JB_ABS_MAX_MS,
    });
  }

  remoteRtcp(atMs: number, bye: boolean): Uint8Array {
    const wall = ntp(this.epochMs + atMs);
    const rxTs = (this.rxTs0 + Math.round((atMs - this.call.answerMs) * (SAMPLES_PER_FRAME / FRAME_MS))) >>> 0;
    this.lastRemoteSr = { atMs, middle: ntpMiddle(wall) };
    const block: ReportBlockFields = {
      ssrc: this.call.ssrcTx,
      fractionLost: 0,
      cumulativeLost: 0,
      extHighestSeq: this.txSeq0 + Math.max(0, this.txPackets - 1),
      jitter: 8,
      lsr: this.lastPhoneSr?.middle ?? 0,
      dlsr: this.lastPhoneSr ? Math.round(((atMs - this.lastPhoneSr.atMs) / 1000) * 65536) : 0,
    };
    const cname = `${this.call.remoteNumber}@${this.call.remoteAddr}`;
    return rtcpCompound(
      buildRtcpSr({ ssrc: this.call.ssrcRx, ntpSec: wall.sec, ntpFrac: wall.frac, rtpTimestamp: rxTs, packetCount: this.remoteSent, octetCount: this.remoteSent * SAMPLES_PER_FRAME, reports: this.txPackets > 0 ? [block] : [] }),
      buildRtcpSdes([{ ssrc: this.call.ssrcRx, items: [{ type: 1, text: cname }] }]),
      ...(bye ? [buildRtcpBye({ ssrcs: [this.call.ssrcRx] })] : []),
    );
  }

}

/** What the phone sends: RTP every 20 ms outside hold, its RTCP every 5 s, BYE at hang-up. */
class TxSource implements Source {
  at: number;
  private k = 0;
  private sent = 0;
  private nextRtcpMs: number;
  private resumed = true;

  constructor(private readonly m: CallMedia, private readonly shape: StreamShape) {
    this.at = m.call.answerMs;
    this.nextRtcpMs = m.call.answerMs + PHONE_RTCP_PHASE_MS;
  }

  private nextRtpMs(): number {
    return this.m.call.answerMs + this.k * FRAME_MS;
  }

  step(out: Datagram[]): void {
    const m = this.m;
    const end = m.call.endMs;
    const rtpMs = this.nextRtpMs();
    if (this.nextRtcpMs <= rtpMs || rtpMs >= end) {
      const t = Math.min(this.nextRtcpMs, end);
      const bye = t >= end;
      this.shape.emit(out, t, 'acdr-rtcp', this.shape.rtcp(t, m.phoneRtcp(t, bye)));
      this.nextRtcpMs += RTCP_INTERVAL_MS;
      if (bye) {
        this.at = Infinity;
        return;
      }
    } else {
      if (m.onHold(rtpMs)) {
        this.resumed = true;
      } else {
        const codec = m.codecAt(rtpMs);
        const bytes = this.shape.rtp(rtpMs, this.resumed, m.payloadType(codec), m.txSeq0 + this.sent, m.txTs0 + this.k * SAMPLES_PER_FRAME, m.frame(codec, 0, this.k));
        this.shape.emit(out, rtpMs, 'acdr-rtp', bytes);
        this.resumed = false;
        this.sent++;
        m.txPackets = this.sent;
      }
      this.k++;
    }
    this.at = Math.min(this.nextRtpMs(), this.nextRtcpMs, end);
  }
}

/**
 * What reaches the phone: the far end's RTP and RTCP after the planned impairments. Arrival times
 * never go backwards (a jitter spike bunches packets up rather than reordering them), so the
 * recording's clock runs forward like a real one.
 */
class RxSource implements Source {
  at: number;
  private k = 0;
  private sent = 0;
  private nextRtcpMs: number;
  private lastArrivalMs = -Infinity;
  private resumed = true;
  /** The next packet that arrives, with the losses before it: the receiver books them all on arrival. */
  private pending: { arrivalMs: number; bytes: Buffer; transitTs: number; discarded: boolean; lostBefore: number } | null = null;
  private lostSinceLastArrival = 0;
  private readonly bursts: readonly Impairment[];
  private readonly randomLoss: readonly Impairment[];
  private readonly spikes: readonly Impairment[];
  private readonly endMs: number;

  constructor(private readonly m: CallMedia, private readonly shape: StreamShape, private readonly rnd: () => number) {
    const imp = m.call.impairments;
    this.bursts = imp.filter((i) => i.kind === 'loss-burst');
    this.randomLoss = imp.filter((i) => i.kind === 'random-loss');
    this.spikes = imp.filter((i) => i.kind === 'jitter-spike');
    this.endMs = m.call.endMs + FRAME_MS;
    this.nextRtcpMs = m.call.answerMs + REMOTE_RTCP_PHASE_MS;
    this.advance();
    this.at = Math.min(this.pending?.arrivalMs ?? Infinity, this.rtcpAt());
  }

  /** Finds the next packet that arrives, counting the lost ones on the way. */
  private advance(): void {
    const m = this.m;
    while (this.pending === null) {
      const nominal = m.call.answerMs + REMOTE_PACKET_PHASE_MS + this.k * FRAME_MS;
      if (nominal >= m.call.endMs) break;
      const k = this.k++;
      // Draw the same number of values for every slot, so one impairment never shifts another's dice.
      const lossDraw = this.rnd();
      const jitterDraw = this.rnd();
      const spikeDraw = this.rnd();
      if (m.onHold(nominal)) {
        this.resumed = true;
        continue;
      }
      const seq = m.rxSeq0 + this.sent;
      this.sent++;
      m.remoteSent = this.sent;
      const burst = within(nominal, this.bursts);
      const random = within(nominal, this.randomLoss);
      if (burst || (random && lossDraw * 100 < random.lossPct!)) {
        this.lostSinceLastArrival++;
        if (burst) {
          const ob = m.bursts.find((b) => b.impairment === burst)!;
          if (ob.firstSeq < 0) ob.firstSeq = seq & 0xffff;
          ob.lastSeq = seq & 0xffff;
          ob.lost++;
        }
        continue;
      }
      const spike = within(nominal, this.spikes);
      const delayMs = NETWORK_DELAY_MS + jitterDraw * NATURAL_JITTER_MS + (spike ? spikeDraw * spike.maxDelayMs! : 0);
      const arrivalMs = Math.round(Math.max(this.lastArrivalMs + 0.01, nominal + delayMs) * 1000) / 1000;
      this.lastArrivalMs = arrivalMs;
      const codec = m.codecAt(nominal);
      const ts = m.rxTs0 + k * SAMPLES_PER_FRAME;
      const transitTs = arrivalMs * (SAMPLES_PER_FRAME / FRAME_MS) - k * SAMPLES_PER_FRAME;
      this.pending = {
        arrivalMs,
        bytes: this.shape.rtp(arrivalMs, this.resumed, m.payloadType(codec), seq, ts, m.frame(codec, 1, k)),
        transitTs,
        discarded: arrivalMs - nominal - NETWORK_DELAY_MS > DISCARD_LATE_MS,
        lostBefore: this.lostSinceLastArrival,
      };
      this.lostSinceLastArrival = 0;
      this.resumed = false;
    }
  }

  private rtcpAt(): number {
    if (this.nextRtcpMs === Infinity) return Infinity;
    return this.nextRtcpMs >= this.m.call.endMs ? this.endMs : this.nextRtcpMs;
  }

  step(out: Datagram[]): void {
    const m = this.m;
    const rtpAt = this.pending?.arrivalMs ?? Infinity;
    const rtcpAt = this.rtcpAt();
    if (rtcpAt <= rtpAt) {
      const bye = this.nextRtcpMs >= m.call.endMs;
      // The far end's RTCP crosses the same network: a loss burst swallows it too.
      if (!within(rtcpAt, this.bursts)) this.shape.emit(out, rtcpAt, 'acdr-rtcp', this.shape.rtcp(rtcpAt, m.remoteRtcp(rtcpAt, bye)));
      this.nextRtcpMs = bye ? Infinity : this.nextRtcpMs + RTCP_INTERVAL_MS;
    } else if (this.pending) {
      const p = this.pending;
      for (let i = 0; i < p.lostBefore; i++) m.rx.slot(true);
      m.rx.slot(false, p.transitTs, p.discarded);
      this.shape.emit(out, p.arrivalMs, 'acdr-rtp', p.bytes);
      this.pending = null;
      this.advance();
    }
    this.at = Math.min(this.pending?.arrivalMs ?? Infinity, this.rtcpAt());
  }
}
