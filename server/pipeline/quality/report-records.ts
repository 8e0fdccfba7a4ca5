/**
 * SIP quality reports (RFC 6035 vq-rtcpxr in PUBLISH/NOTIFY, MS-QoE XML in SERVICE) → call
 * records of the one call model. Pure: the SIP receiver stores what this returns, and `analyze`
 * prints it for reports found in a capture, without a store.
 *
 * Directions (seen from the reporting phone): a vq report's LocalMetrics describe what it received
 * (rx: the peer's SSRC, from RemoteAddr), RemoteMetrics what the peer received from it (tx: the
 * reporter's SSRC, from LocalAddr). QoE InboundStream is rx, OutboundStream tx.
 */
import { isDecodeError, type DecodeError } from '../../../parsers/decode-error.js';
import { decodeMsQoe, type MsQoeAudioMetrics, type MsQoeReport, type MsQoeSession } from '../../../parsers/ms-qoe.js';
import { sipBodyText, sipHeader, type SipRequest } from '../../../parsers/sip.js';
import { decodeVqRtcpxrReports, type VqMetrics, type VqReport } from '../../../parsers/vq-rtcpxr.js';
import type { CallRecord, MediaEndpoint, QualityMetrics, QualitySource, SampleRecord, StreamSpec } from '../../calls/model.js';

export const VQ_CONTENT_TYPE = 'application/vq-rtcpxr';
export const QOE_CONTENT_TYPE = 'application/vq-rtcpxr+xml';

export type DecodedSipReport =
  /** Every report of the body (one in most; an interval and a session report from some phones). */
  | { readonly kind: 'vq-rtcpxr'; readonly reports: readonly VqReport[] }
  | { readonly kind: 'ms-qoe'; readonly report: MsQoeReport };

/** Why a request that claims to carry a report cannot be taken, as a SIP status and reason. */
export interface ReportRefusal {
  readonly status: number;
  readonly reason: string;
  /** Extra response headers (Accept for 415, Allow-Events for 489). */
  readonly headers: readonly (readonly [string, string])[];
}

/** Media type without parameters, lower-cased. */
export function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The report a PUBLISH/NOTIFY (Event: vq-rtcpxr) or SERVICE carries, a refusal saying what is
 * wrong with it, or null for a request that carries no report (a PUBLISH refresh without body).
 */
export function decodeSipReport(req: SipRequest): DecodedSipReport | ReportRefusal | null {
  const type = mediaType(req.contentType ?? sipHeader(req, 'Content-Type'));
  if (req.method === 'SERVICE') {
    if (type !== QOE_CONTENT_TYPE) return refuse(415, `Unsupported Media Type ${type || '(none)'}, expected ${QOE_CONTENT_TYPE}`, [['Accept', QOE_CONTENT_TYPE]]);
    const report = decodeMsQoe(req.body);
    return isDecodeError(report) ? bad('QoE XML', report) : { kind: 'ms-qoe', report };
  }
  const event = (sipHeader(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
  if (event !== 'vq-rtcpxr') return refuse(489, `Bad Event ${event ? JSON.stringify(event) : '(none)'}, only vq-rtcpxr is accepted`, [['Allow-Events', 'vq-rtcpxr']]);
  // RFC 3903 §4.1: a PUBLISH without a body refreshes an earlier publication.
  if (req.body.length === 0) return null;
  if (type !== VQ_CONTENT_TYPE) return refuse(415, `Unsupported Media Type ${type || '(none)'}, expected ${VQ_CONTENT_TYPE}`, [['Accept', VQ_CONTENT_TYPE]]);
  const reports = decodeVqRtcpxrReports(sipBodyText(req));
  return isDecodeError(reports) ? bad('vq-rtcpxr body', reports) : { kind: 'vq-rtcpxr', reports };
}

function refuse(status: number, reason: string, headers: ReportRefusal['headers'] = []): ReportRefusal {
  return { status, reason, headers };
}

function bad(what: string, e: DecodeError): ReportRefusal {
  return { status: 400, reason: `Bad ${what}: ${e.message}`, headers: [] };
}

export function isRefusal(x: DecodedSipReport | ReportRefusal | null): x is ReportRefusal {
  return x !== null && 'status' in x;
}

export interface ReportContext {
  /** When the report arrived (frame time for captures): the fallback for missing timestamps. */
  readonly receivedMs: number;
  readonly deviceId?: number;
  readonly importId?: number;
}

/** The call records a decoded report describes: one per vq report of the body, one per session for QoE. */
export function reportToCallRecords(decoded: DecodedSipReport, ctx: ReportContext): CallRecord[] {
  return decoded.kind === 'vq-rtcpxr' ? decoded.reports.map((r) => vqRecord(r, ctx)) : decoded.report.sessions.map((s) => qoeRecord(s, ctx));
}

/**
 * The latest time each report names on the phone's clock (a vq report's STOP, a QoE dialog's end):
 * the phone sends it right then, so against the receive time it measures the phone's clock.
 */
export function reportDeviceTimes(decoded: DecodedSipReport): number[] {
  const latest = (times: ReadonlyArray<number | undefined>) => {
    const t = times.filter((x): x is number => x !== undefined);
    return t.length > 0 ? [Math.max(...t)] : [];
  };
  return decoded.kind === 'vq-rtcpxr'
    ? decoded.reports.flatMap((r) => latest([r.localMetrics?.timestamps?.stopMs, r.remoteMetrics?.timestamps?.stopMs, r.localMetrics?.timestamps?.startMs, r.remoteMetrics?.timestamps?.startMs]))
    : decoded.report.sessions.flatMap((x) => latest([x.dialog.endMs, x.dialog.startMs]));
}

const VQ_SOURCES: Readonly<Record<VqReport['type'], QualitySource>> = {
  VQSessionReport: 'vq-session',
  VQIntervalReport: 'vq-interval',
  VQAlertReport: 'vq-alert',
};

function vqRecord(r: VqReport, ctx: ReportContext): CallRecord {
  const source = VQ_SOURCES[r.type];
  const times = [r.localMetrics?.timestamps?.startMs, r.localMetrics?.timestamps?.stopMs, r.remoteMetrics?.timestamps?.startMs, r.remoteMetrics?.timestamps?.stopMs]
    .filter((t): t is number => t !== undefined);
  // RFC 6035's own example has STOP before START: order them rather than trust them.
  const startMs = times.length > 0 ? Math.min(...times) : ctx.receivedMs;
  const endMs = times.length > 0 ? Math.max(...times) : ctx.receivedMs;
  const codec = r.localMetrics?.sessionDesc?.payloadDesc ?? r.remoteMetrics?.sessionDesc?.payloadDesc;
  const media: MediaEndpoint[] = [];
  for (const a of [r.localAddr, r.remoteAddr]) if (a?.ip !== undefined && a.port !== undefined) media.push({ addr: a.ip, port: a.port });
  const addrs = {
    ...(r.localAddr?.ip !== undefined ? { localAddr: r.localAddr.ip } : {}),
    ...(r.localAddr?.port !== undefined ? { localPort: r.localAddr.port } : {}),
    ...(r.remoteAddr?.ip !== undefined ? { remoteAddr: r.remoteAddr.ip } : {}),
    ...(r.remoteAddr?.port !== undefined ? { remotePort: r.remoteAddr.port } : {}),
  };
  const stream = (direction: 'rx' | 'tx', ssrc: number | undefined, m: VqMetrics) => ({
    direction,
    ...(ssrc !== undefined ? { ssrc } : {}),
    ...addrs,
    ...(m.sessionDesc?.payloadType !== undefined ? { payloadType: m.sessionDesc.payloadType } : {}),
    ...(m.sessionDesc?.payloadDesc !== undefined ? { codec: m.sessionDesc.payloadDesc } : {}),
    samples: [vqSample(source, m, startMs, endMs)],
  });
  const streams: Array<StreamSpec & { samples: SampleRecord[] }> = [];
  if (r.localMetrics) streams.push(stream('rx', r.remoteAddr?.ssrc, r.localMetrics));
  if (r.remoteMetrics) streams.push(stream('tx', r.localAddr?.ssrc, r.remoteMetrics));
  const sipCallId = r.callId ?? r.dialogId?.callId;
  const ssrcs = [r.localAddr?.ssrc, r.remoteAddr?.ssrc].filter((s): s is number => s !== undefined);
  return {
    keys: {
      ...(sipCallId !== undefined ? { sipCallId } : {}),
      ...(r.localId !== undefined ? { localId: r.localId } : {}),
      ...(r.remoteId !== undefined ? { remoteId: r.remoteId } : {}),
      ...(ctx.deviceId !== undefined ? { deviceId: ctx.deviceId } : {}),
      ssrcs,
      media,
      startMs,
      endMs,
    },
    info: {
      ...(codec !== undefined ? { codec } : {}),
      // An interval report says the call goes on; a session report ends it (or its segment).
      active: r.type === 'VQIntervalReport',
      ...(ctx.importId !== undefined ? { importId: ctx.importId } : {}),
    },
    segments: r.type === 'VQSessionReport' ? [{ startMs, endMs, reason: 'report', codec: codec ?? null }] : [],
    streams,
    callSamples: [],
  };
}

function vqSample(source: QualitySource, m: VqMetrics, startMs: number, endMs: number): SampleRecord {
  const t = m.timestamps;
  const times = [t?.startMs, t?.stopMs].filter((x): x is number => x !== undefined);
  return {
    source,
    startMs: times.length > 0 ? Math.min(...times) : startMs,
    endMs: times.length > 0 ? Math.max(...times) : endMs,
    metrics: defined<QualityMetrics>({
      mosLq: m.qualityEst?.mosLq,
      mosCq: m.qualityEst?.mosCq,
      rFactor: m.qualityEst?.rlq,
      lossPct: m.packetLoss?.networkLossPct,
      discardPct: m.packetLoss?.jbDiscardPct,
      burstDensityPct: m.burstGapLoss?.burstDensityPct,
      burstDurationMs: m.burstGapLoss?.burstDurationMs,
      gapDensityPct: m.burstGapLoss?.gapDensityPct,
      gapDurationMs: m.burstGapLoss?.gapDurationMs,
      jitterMs: m.delay?.interArrivalJitterMs,
      jitterBufferNominalMs: m.jitterBuffer?.nominalMs,
      jitterBufferMaxMs: m.jitterBuffer?.maxMs,
      roundTripMs: m.delay?.roundTripMs,
      endSystemDelayMs: m.delay?.endSystemMs,
      signalLevelDb: m.signal?.signalLevelDb,
      noiseLevelDb: m.signal?.noiseLevelDb,
      residualEchoReturnLossDb: m.signal?.rerlDb,
    }),
  };
}

function qoeRecord(s: MsQoeSession, ctx: ReportContext): CallRecord {
  const d = s.dialog;
  const startMs = d.startMs ?? d.endMs ?? ctx.receivedMs;
  const endMs = d.endMs ?? startMs;
  // Audio only: video and sharing lines carry no voice quality.
  const audio = s.mediaLines.filter((l) => l.label === undefined || /audio/i.test(l.label));
  const streams: Array<StreamSpec & { samples: SampleRecord[] }> = [];
  const media: MediaEndpoint[] = [];
  let codec: string | undefined;
  for (const line of audio) {
    for (const a of [line.localAddr, line.remoteAddr]) if (a?.ip !== undefined && a.port !== undefined) media.push({ addr: a.ip, port: a.port });
    for (const st of line.streams) {
      const m = st.metrics;
      codec ??= m.payloadDescription;
      streams.push({
        direction: st.direction === 'inbound' ? 'rx' : 'tx',
        ...(line.localAddr?.ip !== undefined ? { localAddr: line.localAddr.ip } : {}),
        ...(line.localAddr?.port !== undefined ? { localPort: line.localAddr.port } : {}),
        ...(line.remoteAddr?.ip !== undefined ? { remoteAddr: line.remoteAddr.ip } : {}),
        ...(line.remoteAddr?.port !== undefined ? { remotePort: line.remoteAddr.port } : {}),
        ...(m.payloadType !== undefined ? { payloadType: m.payloadType } : {}),
        ...(m.payloadDescription !== undefined ? { codec: m.payloadDescription } : {}),
        samples: [{ source: 'ms-qoe', startMs, endMs, metrics: qoeMetrics(m, st.direction) }],
      });
    }
  }
  const local = d.reporterIsCaller === false ? d.toUri : d.fromUri;
  const remote = d.reporterIsCaller === false ? d.fromUri : d.toUri;
  return {
    keys: {
      ...(d.callId !== undefined ? { sipCallId: d.callId } : {}),
      ...(local !== undefined ? { localId: local } : {}),
      ...(remote !== undefined ? { remoteId: remote } : {}),
      ...(ctx.deviceId !== undefined ? { deviceId: ctx.deviceId } : {}),
      media,
      startMs,
      endMs,
    },
    info: { ...(codec !== undefined ? { codec } : {}), active: false, ...(ctx.importId !== undefined ? { importId: ctx.importId } : {}) },
    segments: [{ startMs, endMs, reason: 'report', codec: codec ?? null }],
    streams,
    callSamples: [],
  };
}

/** QoE fractions become percent; the listening MOS is the one for the stream's direction. */
function qoeMetrics(m: MsQoeAudioMetrics, direction: 'inbound' | 'outbound'): QualityMetrics {
  const pct = (v: number | undefined) => (v === undefined ? undefined : v * 100);
  return defined<QualityMetrics>({
    mosLq: direction === 'inbound' ? m.recvListenMos ?? m.overallAvgNetworkMos : m.sendListenMos,
    lossPct: pct(m.packetLossRate),
    burstDensityPct: pct(m.burstDensity),
    burstDurationMs: m.burstDurationMs,
    gapDensityPct: pct(m.gapDensity),
    gapDurationMs: m.gapDurationMs,
    jitterMs: m.jitterInterArrivalMs,
    jitterMaxMs: m.jitterInterArrivalMaxMs,
    roundTripMs: m.roundTripMs,
    concealedRatio: m.ratioConcealedSamplesAvg,
    degradationMos: m.degradationAvg,
    packets: m.packetUtilization,
  });
}

/** Drops undefined and null ("sent, but unavailable") values, so a sample lists what it measured. */
function defined<T extends object>(o: { [K in keyof T]?: T[K] | null }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}
