/** One recorded call (an ACDR session from one phone) with its streams and reported quality. */
import { verdict } from '../../analysis/e-model.js';
import { acdrMediaType } from '../../../parsers/acdr/names.js';
import { ACDR_RECORDING_KINDS, type AcdrRecordingKind } from '../../../parsers/acdr/recording-kind.js';
import type { StreamDirection, Verdict } from '../../calls/model.js';
import { CallRtcpState, type StreamRef } from './rtcp-quality.js';
import { RecordedStream, type StreamIdentity } from './recorded-stream.js';
import type { SenderState } from './sender-state.js';
import type { CallEndReason, RecordedCallSeries, RecordedCallSummary, RecordedStreamSummary, RecordingKindCount } from './types.js';

export interface KindTally {
  readonly kind: AcdrRecordingKind;
  readonly mediaType: number | null;
  datagrams: number;
  bytes: number;
  undecoded: number;
}

export class RecordedCall {
  /** By SSRC; the few streams sharing one are told apart by trace point, direction and far end. */
  private readonly bySsrc = new Map<number, RecordedStream[]>();
  readonly streams: RecordedStream[] = [];
  readonly rtcp = new CallRtcpState();
  readonly otherRecords = new Map<string, number>();
  /** By kind, or by media type (number) for 'other'. */
  private readonly kinds = new Map<AcdrRecordingKind | number, KindTally>();
  startMs = Number.POSITIVE_INFINITY;
  endMs = Number.NEGATIVE_INFINITY;
  /** Arrival-clock time of the last datagram: inactivity is judged on it. */
  lastArrivalMs = 0;
  datagrams = 0;
  bytes = 0;
  recordingGaps = 0;
  undecodedMedia = 0;
  endReason: CallEndReason | null = null;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly sessionId: string,
    readonly sender: SenderState,
    readonly deviceId: number | null,
  ) {}

  get active(): boolean {
    return this.endReason === null;
  }

  noteTime(deviceMs: number, arrivalMs: number, bytes: number): void {
    if (deviceMs < this.startMs) this.startMs = deviceMs;
    if (deviceMs > this.endMs) this.endMs = deviceMs;
    this.lastArrivalMs = arrivalMs;
    this.datagrams++;
    this.bytes += bytes;
  }

  stream(tracePoint: number, direction: StreamDirection, ssrc: number, farKey: number | string | null, farPort: number | null,
    nextId: () => number, identity: () => StreamIdentity): RecordedStream {
    let list = this.bySsrc.get(ssrc);
    if (list) {
      for (const s of list) {
        const i = s.identity;
        if (i.tracePoint === tracePoint && i.direction === direction && i.farPort === farPort && i.farKey === farKey) return s;
      }
    } else {
      list = [];
      this.bySsrc.set(ssrc, list);
    }
    const s = new RecordedStream(nextId(), this.id, identity());
    list.push(s);
    this.streams.push(s);
    return s;
  }

  tally(kind: AcdrRecordingKind, mediaType: number, bytes: number): KindTally {
    const key = kind === 'other' ? mediaType : kind;
    let t = this.kinds.get(key);
    if (!t) {
      t = { kind, mediaType: kind === 'other' ? mediaType : null, datagrams: 0, bytes: 0, undecoded: 0 };
      this.kinds.set(key, t);
    }
    t.datagrams++;
    t.bytes += bytes;
    return t;
  }

  recordingKinds(): RecordingKindCount[] {
    return [...this.kinds.values()].map((t) => ({
      kind: t.kind,
      name: t.mediaType === null ? ACDR_RECORDING_KINDS[t.kind].name : `Other: ${acdrMediaType(t.mediaType).text} (${t.mediaType})`,
      mediaType: t.mediaType,
      datagrams: t.datagrams,
      bytes: t.bytes,
      pcm: ACDR_RECORDING_KINDS[t.kind].pcm,
      undecoded: t.undecoded,
    }));
  }

  countOther(mediaTypeName: string): void {
    this.otherRecords.set(mediaTypeName, (this.otherRecords.get(mediaTypeName) ?? 0) + 1);
  }

  /** The RTP stream an RTCP report speaks of, by SSRC (the first recorded with it). */
  streamBySsrc(ssrc: number, direction: StreamDirection | null = null): StreamRef | null {
    let found: RecordedStream | null = null;
    for (const s of this.bySsrc.get(ssrc >>> 0) ?? []) {
      if (direction === null || s.identity.direction === direction) { found = s; break; }
      found ??= s;
    }
    return found ? { id: found.id, clockRate: found.clockRate } : null;
  }

  summary(): RecordedCallSummary {
    const streams = this.streams.map((s) => s.summary());
    return summarise(this, streams);
  }

  series(): RecordedCallSeries {
    return { callId: this.id, streams: this.streams.map((s) => s.series()), samples: [...this.rtcp.samples] };
  }
}

function summarise(c: RecordedCall, streams: RecordedStreamSummary[]): RecordedCallSummary {
  const mos = streams.flatMap((s) => (s.mos === null ? [] : [s.mos]));
  const minMos = streams.flatMap((s) => (s.minMos === null ? [] : [s.minMos]));
  const worstMos = minMos.length ? Math.min(...minMos) : null;
  const avgMos = mos.length ? mos.reduce((a, b) => a + b, 0) / mos.length : null;
  const maxLossPct = streams.length ? Math.max(...streams.map((s) => Math.max(0, s.lostPercent))) : null;
  const maxJitterMs = streams.length ? Math.max(...streams.map((s) => s.maxJitterMs)) : null;
  const meanJitterMs = streams.length ? Math.max(...streams.map((s) => s.meanJitterMs)) : undefined;
  const rtts = c.rtcp.samples.flatMap((s) => (s.metrics.roundTripMs === undefined ? [] : [s.metrics.roundTripMs]));
  let v: Verdict = 'unknown';
  if (streams.length > 0) {
    v = verdict({
      lossPct: maxLossPct ?? undefined,
      jitterMs: meanJitterMs,
      mos: worstMos ?? undefined,
      rttMs: rtts.length ? Math.max(...rtts) : undefined,
    });
  }
  const undecodable = new Set<string>();
  for (const s of streams) if (!s.audio) undecodable.add(s.codec ?? `PT ${s.payloadType}`);
  return {
    id: c.id,
    sessionId: c.sessionId,
    deviceAddr: c.sender.address,
    deviceId: c.deviceId,
    startMs: c.startMs,
    endMs: c.endMs,
    active: c.active,
    endReason: c.endReason,
    datagrams: c.datagrams,
    bytes: c.bytes,
    recordingGaps: c.recordingGaps,
    otherRecords: Object.fromEntries(c.otherRecords),
    recordingKinds: c.recordingKinds(),
    undecodedMedia: c.undecodedMedia,
    undecodableCodecs: [...undecodable],
    ssrcs: [...new Set(streams.map((s) => s.ssrc))],
    worstMos,
    avgMos,
    maxLossPct,
    maxJitterMs,
    verdict: v,
    streams,
  };
}
