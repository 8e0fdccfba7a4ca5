/**
 * Per-stream RTP analysis that reproduces Wireshark's RTP Stream Analysis (`tshark -z rtp,streams`,
 * ui/tap-rtp-analysis.c) number for number, plus per-second and per-5-second series with an E-model
 * estimate per 5-second interval.
 *
 * Matched by experiment against tshark 4.0.17 (the Debian 12 build CI uses): a packet is "in time
 * sequence" when its timestamp is within 2^31 after the stream's FIRST timestamp, only such packets
 * update delta/jitter, and the mean jitter is Wireshark's running mean of J. Wireshark master
 * differs (extended timestamps compared with the previous packet), so upgrading tshark may need a
 * second look at the oracle test.
 *
 * Cost: O(1) work and memory per packet. Only closed series buckets are kept, and only a bounded
 * number of them, so a thousand live streams stay cheap. Feed packets in capture (arrival) order,
 * one analyser per stream (flow + SSRC, as Wireshark splits them; see `RtpStreamSet`).
 */
import { resolvePayloadType, type CodecInfo } from './codecs.js';
import { mosFromR, rFactor } from './e-model.js';

/** The minimal packet shape the analyser needs; any RTP decoder can produce it. */
export interface RtpPacketInfo {
  /** Capture/arrival time in ms (epoch or any monotonic origin; only differences matter). */
  readonly arrivalMs: number;
  /** rtp.seq */
  readonly seq: number;
  /** rtp.timestamp */
  readonly rtpTimestamp: number;
  /** rtp.ssrc */
  readonly ssrc: number;
  /** rtp.p_type */
  readonly payloadType: number;
  /** rtp.marker */
  readonly marker: boolean;
  readonly payloadBytes: number;
}

export interface RtpStreamOptions {
  /** Dynamic payload types from SDP; without an entry a dynamic PT has no clock, so no jitter (as tshark). */
  readonly dynamicPayloadTypes?: ReadonlyMap<number, CodecInfo>;
  /** One-way network delay (e.g. RTT/2 from RTCP) added to the E-model delay estimate. */
  readonly networkDelayMs?: number;
  /** How many closed buckets each series keeps (oldest dropped first). */
  readonly maxPerSecondBuckets?: number;
  readonly maxPerFiveSecondBuckets?: number;
  /** Called with every bucket as it closes, so a sink can keep the full history. */
  readonly onBucket?: (bucket: RtpSeriesBucket) => void;
}

/** The numbers of `tshark -q -z rtp,streams` (tshark 4.0 columns) plus the analysis dialog's extras. */
export interface RtpStreamStats {
  readonly ssrc: number;
  /** Payload type of the first packet, as tshark's Payload column. */
  readonly payloadType: number;
  readonly codec: string | undefined;
  readonly clockRate: number;
  /** Pkts */
  readonly packets: number;
  /** Last sequence number − first + 1, with wraps counted as Wireshark counts them. */
  readonly expected: number;
  /** Lost = expected − packets; negative when duplicates outnumber losses, exactly as Wireshark. */
  readonly lost: number;
  readonly lostPct: number;
  /** Times the sequence number was not the expected next one (gap, late, duplicate). */
  readonly sequenceErrors: number;
  readonly minDeltaMs: number;
  readonly meanDeltaMs: number;
  readonly maxDeltaMs: number;
  /** Arrival time and 1-based position in this stream of the packet that ended the max delta. */
  readonly maxDeltaAtMs: number | undefined;
  readonly maxDeltaPacket: number | undefined;
  readonly minJitterMs: number;
  readonly meanJitterMs: number;
  readonly maxJitterMs: number;
  /** Largest |nominal − arrival| time offset since the first packet. */
  readonly maxSkewMs: number;
  /** Least-squares drift of the sender's RTP clock against arrival time over the stream. */
  readonly clockDriftMs: number;
  readonly clockDriftPct: number;
  readonly freqDriftHz: number;
  readonly startMs: number;
  readonly endMs: number;
  /** tshark's "Problems?" column: any sequence or timestamp error. */
  readonly problem: boolean;
}

export interface RtpSeriesBucket {
  /** 1000 or 5000. */
  readonly durationMs: number;
  /** Bucket start, aligned to a multiple of durationMs on the arrival clock. */
  readonly startMs: number;
  readonly packets: number;
  /** Advance of the highest extended sequence number during the bucket (RFC 3550 A.3). */
  readonly expected: number;
  /** expected − packets; negative when duplicates or late packets outnumber losses. */
  readonly lost: number;
  readonly lostPct: number;
  readonly maxJitterMs: number;
  readonly meanJitterMs: number;
  readonly maxDeltaMs: number;
  /** Mean observed loss-run length × (1 − loss ratio): 1 for random loss, > 1 when bursty. */
  readonly burstRatio: number;
  /** E-model R and MOS (5-second buckets only, and only for codecs with E-model parameters). */
  readonly rFactor: number | undefined;
  readonly mos: number | undefined;
  /** Delay the E-model assumed: network (if given) + packetisation + a 2×jitter buffer. */
  readonly oneWayDelayMs: number | undefined;
}

interface EModelEstimate {
  readonly rFactor: number;
  readonly mos: number;
  readonly oneWayDelayMs: number;
}

export interface RtpStreamResult {
  readonly stats: RtpStreamStats;
  readonly perSecond: readonly RtpSeriesBucket[];
  readonly perFiveSeconds: readonly RtpSeriesBucket[];
}

const SEQ_MODULO = 0x1_0000;
const TIMESTAMP_MODULO = 0x1_0000_0000;
const TIMESTAMP_HALF_RANGE = 0x8000_0000;
/** Wireshark's "massively late is really a lost wrap" heuristic (Wireshark issue 5958). */
const SEQ_WRAP_HEURISTIC = 0xff00;
/** RFC 3550 A.1: a jump of at most this many is taken as in-order with loss, not a restart. */
const MAX_DROPOUT = 3000;
const PT_CN = 13;
const PT_CN_OLD = 19;
const SECOND_MS = 1000;
const FIVE_SECONDS_MS = 5000;
/** Live views need the last minute per second and the last ten minutes per 5 s; sinks take the rest via onBucket. */
const DEFAULT_MAX_PER_SECOND_BUCKETS = 60;
const DEFAULT_MAX_PER_FIVE_SECOND_BUCKETS = 120;
/** A nominal jitter buffer holds about twice the interarrival jitter. */
const JITTER_BUFFER_JITTER_MULTIPLE = 2;

/** Accumulates one series bucket; reset in place when it closes, so nothing is allocated per packet. */
class BucketAccumulator {
  startMs = Number.NaN;
  packets = 0;
  extSeqAtStart = 0;
  maxJitterMs = 0;
  jitterSumMs = 0;
  jitterCount = 0;
  maxDeltaMs = 0;
  lossRuns = 0;
  lossRunPackets = 0;
  readonly closed: RtpSeriesBucket[] = [];

  constructor(
    readonly durationMs: number,
    private readonly maxClosed: number,
  ) {}

  open(startMs: number, extSeqAtStart: number): void {
    this.startMs = startMs;
    this.extSeqAtStart = extSeqAtStart;
    this.packets = 0;
    this.maxJitterMs = 0;
    this.jitterSumMs = 0;
    this.jitterCount = 0;
    this.maxDeltaMs = 0;
    this.lossRuns = 0;
    this.lossRunPackets = 0;
  }

  snapshot(extSeqNow: number, quality: (lostPct: number, burstRatio: number, meanJitterMs: number) => EModelEstimate | undefined): RtpSeriesBucket {
    const expected = extSeqNow - this.extSeqAtStart;
    const lost = expected - this.packets;
    const lostPct = expected > 0 ? (lost * 100) / expected : 0;
    const lossRatio = expected > 0 ? Math.max(0, lost) / expected : 0;
    const meanRun = this.lossRuns > 0 ? this.lossRunPackets / this.lossRuns : 0;
    const burstRatio = meanRun > 0 ? meanRun * (1 - lossRatio) : 1;
    const meanJitterMs = this.jitterCount > 0 ? this.jitterSumMs / this.jitterCount : 0;
    const q = quality(lostPct, burstRatio, meanJitterMs);
    // One literal with every field keeps all buckets on one hidden class: the smallest objects V8 makes.
    return {
      durationMs: this.durationMs,
      startMs: this.startMs,
      packets: this.packets,
      expected,
      lost,
      lostPct,
      maxJitterMs: this.maxJitterMs,
      meanJitterMs,
      maxDeltaMs: this.maxDeltaMs,
      burstRatio,
      rFactor: q?.rFactor,
      mos: q?.mos,
      oneWayDelayMs: q?.oneWayDelayMs,
    };
  }

  addDelta(deltaMs: number): void {
    if (deltaMs > this.maxDeltaMs) this.maxDeltaMs = deltaMs;
  }

  addJitter(jitterMs: number): void {
    if (jitterMs > this.maxJitterMs) this.maxJitterMs = jitterMs;
    this.jitterSumMs += jitterMs;
    this.jitterCount++;
  }

  addLossRun(missing: number): void {
    this.lossRuns++;
    this.lossRunPackets += missing;
  }

  keep(bucket: RtpSeriesBucket): void {
    this.closed.push(bucket);
    if (this.closed.length > this.maxClosed) this.closed.shift();
  }
}

export class RtpStreamAnalyser {
  private readonly options: RtpStreamOptions;
  private readonly perSecond: BucketAccumulator;
  private readonly perFive: BucketAccumulator;

  // Wireshark's tap_rtp_stat_t, field for field where it matters for the output.
  private packets = 0;
  private originMs = 0;
  private ssrc = 0;
  private firstPayloadType = 0;
  private lastPayloadType = 0;
  private startSeq = 0;
  private stopSeq = 0;
  private seqNum = 0;
  private seqCycles = 0;
  private under = false;
  private sequenceErrors = 0;
  private problem = false;
  private timeMs = 0;
  private firstTimestamp = 0;
  private lastNominalMs = 0;
  private deltaMs = 0;
  private maxDeltaMs = 0;
  private minDeltaMs = -1;
  private meanDeltaMs = 0;
  private maxDeltaPacket: number | undefined;
  private maxDeltaAtMs: number | undefined;
  private jitterMs = 0;
  private maxJitterMs = 0;
  private minJitterMs = -1;
  private meanJitterMs = 0;
  private maxSkewMs = 0;
  private clockRate = 0;
  private endMs = 0;
  // Least-squares fit of nominal (RTP clock) time on arrival time, centred for numeric stability.
  private fitN = 0;
  private fitMeanT = 0;
  private fitMeanTs = 0;
  private fitCtt = 0;
  private fitCtTs = 0;

  // RFC 3550 A.1 extended highest sequence number, for per-bucket loss (independent of the above).
  private maxSeq = 0;
  private rfcCycles = 0;

  constructor(options: RtpStreamOptions = {}) {
    this.options = options;
    this.perSecond = new BucketAccumulator(SECOND_MS, options.maxPerSecondBuckets ?? DEFAULT_MAX_PER_SECOND_BUCKETS);
    this.perFive = new BucketAccumulator(FIVE_SECONDS_MS, options.maxPerFiveSecondBuckets ?? DEFAULT_MAX_PER_FIVE_SECOND_BUCKETS);
  }

  add(p: RtpPacketInfo): void {
    if (this.packets === 0) {
      this.first(p);
      return;
    }
    const now = p.arrivalMs - this.originMs;
    this.rollBuckets(p.arrivalMs);
    const extSeqBefore = this.extendedMaxSeq();
    this.trackRfcSequence(p.seq);
    this.noteLossRun(this.extendedMaxSeq() - extSeqBefore - 1);

    // Wireshark 4.0 judges timestamp order against the stream's first packet, modulo 2^32, so a
    // late packet is "not in time sequence" only if it predates the first one.
    const relTimestamp = mod32(p.rtpTimestamp - this.firstTimestamp);
    const inTimeSequence = relTimestamp < TIMESTAMP_HALF_RANGE;
    let wrongSeq = false;

    if (inTimeSequence) {
      if (p.seq < this.startSeq && !this.under) {
        this.seqCycles++;
        this.under = true;
      } else if (p.seq === 0 && this.stopSeq === 65535 && !this.under) {
        this.seqCycles++;
        this.under = true;
      } else if (p.seq > this.startSeq && this.under) {
        this.under = false;
      }
    }
    if (inTimeSequence && this.seqNum + 1 === p.seq) {
      this.seqNum = p.seq;
    } else if (inTimeSequence && this.seqNum === 65535 && p.seq === 0) {
      this.seqNum = p.seq;
    } else if (inTimeSequence && (this.seqNum + 1 < p.seq || this.seqNum - p.seq > SEQ_WRAP_HEURISTIC)) {
      this.seqNum = p.seq;
      wrongSeq = true;
    } else if (this.seqNum + 1 > p.seq) {
      wrongSeq = true;
    }
    if (wrongSeq) this.sequenceErrors++;
    if (wrongSeq || !inTimeSequence) this.problem = true;

    const isCn = p.payloadType === PT_CN || p.payloadType === PT_CN_OLD;
    const followsCn = this.lastPayloadType === PT_CN || this.lastPayloadType === PT_CN_OLD;
    this.lastPayloadType = p.payloadType;
    const clockRate = resolvePayloadType(p.payloadType, this.options.dynamicPayloadTypes)?.clockRate ?? 0;

    if (inTimeSequence && clockRate !== 0) {
      this.clockRate = clockRate;
      // Wireshark divides by clock_rate/1000 in integer arithmetic (44100 Hz → 44 ticks per ms).
      const nominalMs = relTimestamp / Math.trunc(clockRate / 1000);
      const diffMs = Math.abs(now - (this.timeMs + nominalMs - this.lastNominalMs));
      this.jitterMs = (15 * this.jitterMs + diffMs) / 16;
      this.deltaMs = now - this.timeMs;
      this.lastNominalMs = nominalMs;
      const skewMs = nominalMs - now;
      if (Math.abs(skewMs) > Math.abs(this.maxSkewMs)) this.maxSkewMs = skewMs;
      this.fit(now, nominalMs);
    } else if (inTimeSequence) {
      this.deltaMs = now - this.timeMs;
    }

    this.packets++;
    if (!p.marker && !isCn && inTimeSequence && !followsCn) {
      if (this.deltaMs > this.maxDeltaMs) {
        this.maxDeltaMs = this.deltaMs;
        this.maxDeltaPacket = this.packets;
        this.maxDeltaAtMs = p.arrivalMs;
      }
      if (this.minDeltaMs === -1 || this.deltaMs < this.minDeltaMs) this.minDeltaMs = this.deltaMs;
      // Wireshark divides by the packets so far minus one, counted over all packets, not just these.
      this.meanDeltaMs = (this.meanDeltaMs * (this.packets - 2) + this.deltaMs) / (this.packets - 1);
      this.perSecond.addDelta(this.deltaMs);
      this.perFive.addDelta(this.deltaMs);
      if (clockRate !== 0) {
        if (this.jitterMs > this.maxJitterMs) this.maxJitterMs = this.jitterMs;
        this.meanJitterMs = (this.meanJitterMs * (this.packets - 2) + this.jitterMs) / (this.packets - 1);
        if (this.minJitterMs === -1 || this.jitterMs < this.minJitterMs) this.minJitterMs = this.jitterMs;
        this.perSecond.addJitter(this.jitterMs);
        this.perFive.addJitter(this.jitterMs);
      }
    }
    if (inTimeSequence) this.timeMs = now;
    this.stopSeq = p.seq;
    this.endMs = p.arrivalMs;
    this.perSecond.packets++;
    this.perFive.packets++;
  }

  result(): RtpStreamResult {
    const expected = this.packets === 0 ? 0 : this.stopSeq + this.seqCycles * SEQ_MODULO - this.startSeq + 1;
    const lost = expected - this.packets;
    const slope = this.driftSlope();
    const durationMs = this.endMs - this.originMs;
    const codec = resolvePayloadType(this.firstPayloadType, this.options.dynamicPayloadTypes);
    const extSeq = this.extendedMaxSeq();
    const open = (b: BucketAccumulator) =>
      Number.isNaN(b.startMs) ? b.closed : [...b.closed, this.closeBucket(b, extSeq)];
    return {
      stats: {
        ssrc: this.ssrc,
        payloadType: this.firstPayloadType,
        codec: codec?.name,
        clockRate: this.clockRate,
        packets: this.packets,
        expected,
        lost,
        lostPct: expected !== 0 ? (lost * 100) / expected : 0,
        sequenceErrors: this.sequenceErrors,
        minDeltaMs: this.minDeltaMs,
        meanDeltaMs: this.meanDeltaMs,
        maxDeltaMs: this.maxDeltaMs,
        maxDeltaAtMs: this.maxDeltaAtMs,
        maxDeltaPacket: this.maxDeltaPacket,
        minJitterMs: this.minJitterMs,
        meanJitterMs: this.meanJitterMs,
        maxJitterMs: this.maxJitterMs,
        maxSkewMs: this.maxSkewMs,
        clockDriftMs: slope === undefined ? 0 : durationMs * (slope - 1),
        clockDriftPct: slope === undefined ? 0 : 100 * (slope - 1),
        freqDriftHz: slope === undefined ? 0 : this.clockRate * slope,
        startMs: this.originMs,
        endMs: this.endMs,
        problem: this.problem,
      },
      perSecond: open(this.perSecond),
      perFiveSeconds: open(this.perFive),
    };
  }

  private first(p: RtpPacketInfo): void {
    this.packets = 1;
    this.originMs = p.arrivalMs;
    this.endMs = p.arrivalMs;
    this.ssrc = p.ssrc;
    this.firstPayloadType = p.payloadType;
    this.lastPayloadType = p.payloadType;
    this.startSeq = p.seq;
    this.stopSeq = p.seq;
    this.seqNum = p.seq;
    this.firstTimestamp = p.rtpTimestamp;
    this.maxSeq = p.seq;
    this.fit(0, 0);
    // The series counts the first packet's own sequence number as expected.
    const extSeqBefore = p.seq - 1;
    this.perSecond.open(alignDown(p.arrivalMs, SECOND_MS), extSeqBefore);
    this.perFive.open(alignDown(p.arrivalMs, FIVE_SECONDS_MS), extSeqBefore);
    this.perSecond.packets = 1;
    this.perFive.packets = 1;
  }

  private extendedMaxSeq(): number {
    return this.rfcCycles * SEQ_MODULO + this.maxSeq;
  }

  private trackRfcSequence(seq: number): void {
    const delta = (seq - this.maxSeq + SEQ_MODULO) % SEQ_MODULO;
    if (delta === 0 || delta > MAX_DROPOUT) return;
    if (seq < this.maxSeq) this.rfcCycles++;
    this.maxSeq = seq;
  }

  private noteLossRun(missing: number): void {
    if (missing <= 0) return;
    this.perSecond.addLossRun(missing);
    this.perFive.addLossRun(missing);
  }

  private rollBuckets(arrivalMs: number): void {
    this.roll(this.perSecond, arrivalMs);
    this.roll(this.perFive, arrivalMs);
  }

  /** Closes the bucket when a packet arrives past its end; empty seconds in between are skipped. */
  private roll(b: BucketAccumulator, arrivalMs: number): void {
    const start = alignDown(arrivalMs, b.durationMs);
    if (start <= b.startMs) return;
    const extSeq = this.extendedMaxSeq();
    const bucket = this.closeBucket(b, extSeq);
    b.keep(bucket);
    this.options.onBucket?.(bucket);
    b.open(start, extSeq);
  }

  private closeBucket(b: BucketAccumulator, extSeq: number): RtpSeriesBucket {
    return b.snapshot(extSeq, (lostPct, burstRatio, meanJitterMs) =>
      b.durationMs === FIVE_SECONDS_MS ? this.quality(lostPct, burstRatio, meanJitterMs) : undefined,
    );
  }

  private quality(lostPct: number, burstRatio: number, meanJitterMs: number): EModelEstimate | undefined {
    const codec = resolvePayloadType(this.firstPayloadType, this.options.dynamicPayloadTypes);
    if (!codec?.emodel) return undefined;
    const oneWayDelayMs =
      (this.options.networkDelayMs ?? 0) + (codec.frameMs ?? 0) + JITTER_BUFFER_JITTER_MULTIPLE * meanJitterMs;
    const r = rFactor({ codec: codec.emodel, lossPct: Math.max(0, lostPct), burstRatio, oneWayDelayMs });
    return { rFactor: r, mos: mosFromR(r), oneWayDelayMs };
  }

  private fit(t: number, ts: number): void {
    this.fitN++;
    const dt = t - this.fitMeanT;
    this.fitMeanT += dt / this.fitN;
    this.fitMeanTs += (ts - this.fitMeanTs) / this.fitN;
    this.fitCtt += dt * (t - this.fitMeanT);
    this.fitCtTs += dt * (ts - this.fitMeanTs);
  }

  /** Nominal-time ms per arrival ms; undefined until two distinct arrival times were fitted. */
  private driftSlope(): number | undefined {
    return this.fitCtt > 0 ? this.fitCtTs / this.fitCtt : undefined;
  }
}

/** Wireshark's stream key: the UDP flow plus the SSRC; a new SSRC on the same flow is a new stream. */
export class RtpStreamSet {
  private readonly streams = new Map<string, { flow: string; ssrc: number; analyser: RtpStreamAnalyser }>();

  constructor(private readonly options: RtpStreamOptions = {}) {}

  add(flow: string, p: RtpPacketInfo): void {
    const key = `${flow}|${p.ssrc >>> 0}`;
    let s = this.streams.get(key);
    if (!s) {
      s = { flow, ssrc: p.ssrc >>> 0, analyser: new RtpStreamAnalyser(this.options) };
      this.streams.set(key, s);
    }
    s.analyser.add(p);
  }

  /** In order of each stream's first packet, like tshark's list. */
  results(): Array<{ flow: string; ssrc: number; result: RtpStreamResult }> {
    return [...this.streams.values()].map(({ flow, ssrc, analyser }) => ({ flow, ssrc, result: analyser.result() }));
  }
}

function mod32(x: number): number {
  return ((x % TIMESTAMP_MODULO) + TIMESTAMP_MODULO) % TIMESTAMP_MODULO;
}

function alignDown(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}
