/**
 * In-call RTCP and RTCP XR found in a recording, turned into quality samples on the call's
 * timeline next to the computed RTP analysis: SR/RR report blocks (loss, jitter, round trip) and
 * XR VoIP metrics (reported MOS-LQ/CQ, R, loss, discard, burst/gap, round trip, jitter buffer).
 */
import { ntpMiddle32, rttFromCaptureTimes, type RtcpCompound, type RtcpReportBlock, type XrVoipMetricsBlock } from '../../../parsers/rtcp.js';
import type { QualityMetrics, StreamDirection } from '../../calls/model.js';
import type { RecordingSample } from './types.js';

/** Samples kept per call: a 5-second reporter over four hours in both directions, with room to spare. */
const MAX_SAMPLES_PER_CALL = 12_000;
/** SRs remembered for round-trip matching; reports answer one of the last few. */
const SENDER_REPORTS_KEPT = 16;
const FRACTION_SCALE = 256;

export interface StreamRef {
  readonly id: number;
  /** RTP clock of the stream, 0 when unknown. */
  readonly clockRate: number;
}

interface SentReport {
  mid32: number;
  atMs: number;
}

export class CallRtcpState {
  readonly samples: RecordingSample[] = [];
  private readonly phoneSrs: SentReport[] = [];
  private readonly lastReportMs = new Map<string, number>();
  byeSeen = false;

  /**
   * `recordDirection` is the record's: 'tx' = the phone sent this RTCP, 'rx' = it received it.
   * Times are device times on the wall clock (see types.ts).
   */
  add(compound: RtcpCompound, recordDirection: StreamDirection, atMs: number, streamBySsrc: (ssrc: number) => StreamRef | null): void {
    // A report the phone sent describes what it received, and the other way round.
    const about: StreamDirection = recordDirection === 'tx' ? 'rx' : 'tx';
    for (const p of compound.packets) {
      switch (p.type) {
        case 'sr':
          if (recordDirection === 'tx') this.rememberSr(ntpMiddle32(p.ntpSec, p.ntpFrac), atMs);
          for (const b of p.reports) this.reportBlock(b, recordDirection, about, atMs, streamBySsrc);
          break;
        case 'rr':
          for (const b of p.reports) this.reportBlock(b, recordDirection, about, atMs, streamBySsrc);
          break;
        case 'xr':
          for (const b of p.blocks) if (b.kind === 'voip-metrics') this.voipMetrics(b, about, atMs, streamBySsrc);
          break;
        case 'bye':
          this.byeSeen = true;
          break;
        default:
          break;
      }
    }
  }

  private rememberSr(mid32: number, atMs: number): void {
    this.phoneSrs.push({ mid32, atMs });
    if (this.phoneSrs.length > SENDER_REPORTS_KEPT) this.phoneSrs.shift();
  }

  private reportBlock(b: RtcpReportBlock, recordDirection: StreamDirection, about: StreamDirection, atMs: number, streamBySsrc: (ssrc: number) => StreamRef | null): void {
    const stream = streamBySsrc(b.ssrc);
    const metrics: QualityMetrics = { lossPct: (b.fractionLost * 100) / FRACTION_SCALE, packetsLost: b.cumulativeLost };
    if (stream && stream.clockRate > 0) metrics.jitterMs = b.jitter / (stream.clockRate / 1000);
    // Only the SR sender can time the round trip: a report the phone received answering its own SR.
    if (recordDirection === 'rx' && b.lsr !== 0) {
      const sr = this.phoneSrs.find((s) => s.mid32 === b.lsr);
      const rtt = sr ? rttFromCaptureTimes(sr.atMs, atMs, b.dlsr) : null;
      if (rtt !== null) metrics.roundTripMs = rtt;
    }
    this.push('rtcp', b.ssrc, about, stream, atMs, metrics);
  }

  private voipMetrics(m: XrVoipMetricsBlock, about: StreamDirection, atMs: number, streamBySsrc: (ssrc: number) => StreamRef | null): void {
    const metrics: QualityMetrics = {
      lossPct: (m.lossRate * 100) / FRACTION_SCALE,
      discardPct: (m.discardRate * 100) / FRACTION_SCALE,
      burstDensityPct: (m.burstDensity * 100) / FRACTION_SCALE,
      gapDensityPct: (m.gapDensity * 100) / FRACTION_SCALE,
      burstDurationMs: m.burstDurationMs,
      gapDurationMs: m.gapDurationMs,
      jitterBufferNominalMs: m.jbNominalMs,
      jitterBufferMaxMs: m.jbMaxMs,
    };
    if (m.mosLq !== null) metrics.mosLq = m.mosLq;
    if (m.mosCq !== null) metrics.mosCq = m.mosCq;
    if (m.rFactor !== null) metrics.rFactor = m.rFactor;
    if (m.rttMs !== null) metrics.roundTripMs = m.rttMs;
    if (m.endSystemDelayMs !== null) metrics.endSystemDelayMs = m.endSystemDelayMs;
    if (m.signalLevelDbm0 !== null) metrics.signalLevelDb = m.signalLevelDbm0;
    if (m.noiseLevelDbm0 !== null) metrics.noiseLevelDb = m.noiseLevelDbm0;
    if (m.rerlDb !== null) metrics.residualEchoReturnLossDb = m.rerlDb;
    this.push('rtcp-xr', m.ssrc, about, streamBySsrc(m.ssrc), atMs, metrics);
  }

  private push(source: RecordingSample['source'], ssrc: number, direction: StreamDirection, stream: StreamRef | null, atMs: number, metrics: QualityMetrics): void {
    const key = `${source}|${direction}|${ssrc}`;
    // A report covers the time since the previous one from the same reporter about the same stream.
    const startMs = this.lastReportMs.get(key) ?? atMs;
    this.lastReportMs.set(key, atMs);
    this.samples.push({ streamId: stream?.id ?? null, direction, source, ssrc: ssrc >>> 0, startMs, endMs: atMs, metrics });
    if (this.samples.length > MAX_SAMPLES_PER_CALL) this.samples.shift();
  }
}
