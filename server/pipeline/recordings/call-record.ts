/**
 * A recorded call in the shared call model (server/calls/model.ts): keys to correlate it with SIP
 * reports of the same call, its streams, and samples from our RTP analysis ('computed-rtp', one
 * per 5-second interval) next to the RTCP ('rtcp') and RTCP XR ('rtcp-xr') found in the recording.
 */
import type { CallRecord, QualityMetrics, SampleRecord } from '../../calls/model.js';
import type { RtpSeriesBucket } from '../../analysis/rtp-stream.js';
import type { RecordedCallSeries, RecordedCallSummary, RecordingSample } from './types.js';

export function recordedCallRecord(s: RecordedCallSummary, series: RecordedCallSeries): CallRecord {
  const bySample = (streamId: number | null) => series.samples.filter((x) => x.streamId === streamId).map(sampleRecord);
  return {
    keys: {
      ...(s.sessionId !== 'none' ? { recordingSession: s.sessionId } : {}),
      ...(s.deviceId !== null ? { deviceId: s.deviceId } : {}),
      ssrcs: s.ssrcs,
      startMs: s.startMs,
      endMs: s.endMs,
    },
    info: { active: s.active, ...(s.streams[0]?.codec ? { codec: s.streams[0].codec } : {}) },
    segments: [],
    streams: s.streams.map((st) => ({
      direction: st.direction,
      ssrc: st.ssrc,
      localAddr: s.deviceAddr,
      ...(st.localPort !== null ? { localPort: st.localPort } : {}),
      ...(st.farAddr !== null ? { remoteAddr: st.farAddr } : {}),
      ...(st.farPort !== null ? { remotePort: st.farPort } : {}),
      payloadType: st.payloadType,
      ...(st.codec ? { codec: st.codec } : {}),
      samples: [
        ...(series.streams.find((x) => x.streamId === st.id)?.perFiveSeconds ?? []).filter((b) => b.packets > 0).map(computedSample),
        ...bySample(st.id),
      ],
    })),
    callSamples: bySample(null),
  };
}

function computedSample(b: RtpSeriesBucket): SampleRecord {
  const metrics: QualityMetrics = {
    lossPct: Math.max(0, b.lostPct),
    jitterMs: b.meanJitterMs,
    jitterMaxMs: b.maxJitterMs,
    maxDeltaMs: b.maxDeltaMs,
    packets: b.packets,
    packetsLost: Math.max(0, b.lost),
  };
  // The E-model estimate is conversational (it includes the assumed delay): R, and MOS-CQ from it.
  if (b.rFactor !== undefined) metrics.rFactor = b.rFactor;
  if (b.mos !== undefined) metrics.mosCq = b.mos;
  return { source: 'computed-rtp', startMs: b.startMs, endMs: b.startMs + b.durationMs, metrics };
}

function sampleRecord(s: RecordingSample): SampleRecord {
  return { source: s.source, startMs: s.startMs, endMs: s.endMs, metrics: s.metrics };
}
