/** The JSON shapes of calls, streams and samples, one place for the API, the live push and bundles. */
import type { Call, CallStream, QualitySample } from '../calls/model.js';
import type { CallJson, CallStreamJson, SampleJson } from './types.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function callJson(c: Call): CallJson {
  return {
    id: c.id,
    deviceId: c.deviceId,
    sipCallId: c.sipCallId,
    recordingSession: c.recordingSession,
    localId: c.localId,
    remoteId: c.remoteId,
    start: new Date(c.startMs).toISOString(),
    end: iso(c.endMs),
    durationMs: c.endMs === null ? null : c.endMs - c.startMs,
    active: c.active,
    codec: c.codec,
    sources: c.sources,
    segments: c.segments.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs), reason: s.reason, codec: s.codec })),
    worstMos: c.worstMos,
    avgMos: c.avgMos,
    maxLossPct: c.maxLossPct,
    maxJitterMs: c.maxJitterMs,
    verdict: c.verdict,
    verdictReason: c.verdictReason,
    importId: c.importId,
    clockSkewMs: c.clockSkewMs,
  };
}

export function streamJson(s: CallStream): CallStreamJson {
  return {
    id: s.id,
    direction: s.direction,
    ssrc: s.ssrc,
    ssrcHex: s.ssrc === null ? null : `0x${s.ssrc.toString(16).padStart(8, '0')}`,
    localAddr: s.localAddr,
    localPort: s.localPort,
    remoteAddr: s.remoteAddr,
    remotePort: s.remotePort,
    payloadType: s.payloadType,
    codec: s.codec,
    sources: s.sources,
    verdict: s.verdict,
    verdictReason: s.verdictReason,
  };
}

/** Samples keep ms times: the dashboard charts them. */
export function sampleJson(s: QualitySample): SampleJson {
  return { streamId: s.streamId, direction: s.direction, source: s.source, startMs: s.startMs, endMs: s.endMs, metrics: s.metrics as Record<string, number> };
}
