/**
 * One recorded media stream of a call: trace point + direction + SSRC + far end. Wraps the
 * Wireshark-compatible analyser, counts duplicates, and keeps the full series history (one object
 * per closed second, never one per packet).
 */
import { resolvePayloadType } from '../../analysis/codecs.js';
import { RtpStreamAnalyser, type RtpPacketInfo, type RtpSeriesBucket } from '../../analysis/rtp-stream.js';
import { g711LawForPayloadType } from '../../media/g711.js';
import type { StreamDirection } from '../../calls/model.js';
import type { AcdrRecordingKind } from '../../../parsers/acdr/recording-kind.js';
import { DuplicateWindow } from './duplicate-window.js';
import type { RecordedStreamKind, RecordedStreamSeries, RecordedStreamSummary } from './types.js';

/** Four hours of per-second points per stream; longer calls keep their latest four hours. */
const MAX_PER_SECOND_BUCKETS = 4 * 3600;
const MAX_PER_FIVE_SECOND_BUCKETS = MAX_PER_SECOND_BUCKETS / 5;

export interface StreamIdentity {
  readonly kind: RecordedStreamKind;
  readonly recordingKind: AcdrRecordingKind;
  readonly tracePoint: number;
  readonly tracePointName: string;
  readonly direction: StreamDirection;
  readonly mediaType: number;
  readonly ssrc: number;
  readonly localPort: number | null;
  readonly farAddr: string | null;
  readonly farPort: number | null;
  /** The far address as compared on the hot path: a number for IPv4 extensions, else the text. */
  readonly farKey: number | string | null;
}

export class RecordedStream {
  private readonly analyser: RtpStreamAnalyser;
  private readonly duplicateWindow = new DuplicateWindow();
  private readonly perSecond: RtpSeriesBucket[] = [];
  private readonly perFive: RtpSeriesBucket[] = [];

  constructor(
    readonly id: number,
    readonly callId: number,
    readonly identity: StreamIdentity,
  ) {
    this.analyser = new RtpStreamAnalyser({
      // The analyser's own rings are not needed: every closed bucket comes through onBucket.
      maxPerSecondBuckets: 0,
      maxPerFiveSecondBuckets: 0,
      onBucket: (b) => {
        const list = b.durationMs === 1000 ? this.perSecond : this.perFive;
        list.push(b);
        if (list.length > (b.durationMs === 1000 ? MAX_PER_SECOND_BUCKETS : MAX_PER_FIVE_SECOND_BUCKETS)) list.shift();
      },
    });
  }

  /** RTP clock of the first payload type (as the analyser uses it), 0 when unknown. */
  clockRate = 0;
  private packets = 0;

  add(p: RtpPacketInfo): void {
    if (this.packets++ === 0) this.clockRate = resolvePayloadType(p.payloadType)?.clockRate ?? 0;
    this.analyser.add(p);
    this.duplicateWindow.add(p.seq);
  }

  series(): RecordedStreamSeries {
    const r = this.analyser.result();
    return {
      streamId: this.id,
      perSecond: [...this.perSecond, ...r.perSecond],
      perFiveSeconds: [...this.perFive, ...r.perFiveSeconds],
    };
  }

  summary(): RecordedStreamSummary {
    const r = this.analyser.result();
    const s = r.stats;
    const fives = [...this.perFive, ...r.perFiveSeconds];
    let mosSum = 0;
    let mosN = 0;
    let minMos: number | null = null;
    let rSum = 0;
    for (const b of fives) {
      if (b.mos === undefined || b.rFactor === undefined || b.packets === 0) continue;
      mosSum += b.mos;
      rSum += b.rFactor;
      mosN++;
      if (minMos === null || b.mos < minMos) minMos = b.mos;
    }
    const id = this.identity;
    return {
      id: this.id,
      callId: this.callId,
      kind: id.kind,
      recordingKind: id.recordingKind,
      tracePoint: id.tracePoint,
      tracePointName: id.tracePointName,
      direction: id.direction,
      mediaType: id.mediaType,
      ssrc: s.ssrc >>> 0,
      payloadType: s.payloadType,
      codec: s.codec ?? null,
      clockRate: s.clockRate,
      localPort: id.localPort,
      farAddr: id.farAddr,
      farPort: id.farPort,
      packets: s.packets,
      expected: s.expected,
      lost: s.lost,
      lostPercent: s.lostPct,
      sequenceErrors: s.sequenceErrors,
      duplicates: this.duplicateWindow.duplicates,
      minDeltaMs: s.minDeltaMs,
      meanDeltaMs: s.meanDeltaMs,
      maxDeltaMs: s.maxDeltaMs,
      minJitterMs: s.minJitterMs,
      meanJitterMs: s.meanJitterMs,
      maxJitterMs: s.maxJitterMs,
      maxSkewMs: s.maxSkewMs,
      clockDriftMs: s.clockDriftMs,
      clockDriftPct: s.clockDriftPct,
      freqDriftHz: s.freqDriftHz,
      startMs: s.startMs,
      endMs: s.endMs,
      problem: s.problem,
      mos: mosN > 0 ? mosSum / mosN : null,
      minMos,
      rFactor: mosN > 0 ? rSum / mosN : null,
      audio: g711LawForPayloadType(s.payloadType) !== undefined,
    };
  }
}
