/**
 * The one call model every source feeds: debug recordings (computed from RTP, in-call RTCP and
 * RTCP XR), SIP PUBLISH vq-rtcpxr reports, Microsoft QoE reports. A call is what any of them told
 * us of; each source adds streams, segments and quality samples to it, never a call of its own.
 *
 * Units are stated once, here: times in ms since the epoch, durations and delays in ms, rates in
 * percent (0–100), levels in dB(m), MOS on 1–5, R on 0–120 (wideband goes past 100).
 */

/** Where a sample came from, as the dashboard tells them apart. */
export type QualitySource =
  | 'computed-rtp' // our RTP stream analysis of a recording (Wireshark-compatible) + E-model
  | 'rtcp' // RTCP SR/RR report blocks found in a recording or on the wire
  | 'rtcp-xr' // RTCP XR VoIP metrics (RFC 3611 BT=7) found in a recording or on the wire
  | 'vq-interval' // RFC 6035 VQIntervalReport
  | 'vq-session' // RFC 6035 VQSessionReport (end of a call or segment)
  | 'vq-alert' // RFC 6035 VQAlertReport
  | 'ms-qoe'; // Microsoft QoE XML (SIP SERVICE)

/** Direction seen from the phone: what it received, or what it sent. */
export type StreamDirection = 'rx' | 'tx';

export type Verdict = 'good' | 'fair' | 'poor' | 'unknown';

/** Every metric is optional: a source reports what it measures and nothing else. */
export interface QualityMetrics {
  mosLq?: number;
  mosCq?: number;
  rFactor?: number;
  /** Network packet loss, % of expected packets. */
  lossPct?: number;
  /** Jitter-buffer discards, % of packets. */
  discardPct?: number;
  burstDensityPct?: number;
  burstDurationMs?: number;
  gapDensityPct?: number;
  gapDurationMs?: number;
  /** Interarrival jitter (mean, RFC 3550), ms. */
  jitterMs?: number;
  /** Highest interarrival jitter in the interval, ms. */
  jitterMaxMs?: number;
  jitterBufferNominalMs?: number;
  jitterBufferMaxMs?: number;
  roundTripMs?: number;
  endSystemDelayMs?: number;
  /** Largest gap between two packets, ms (recordings). */
  maxDeltaMs?: number;
  signalLevelDb?: number;
  noiseLevelDb?: number;
  residualEchoReturnLossDb?: number;
  /** Share of samples concealed, 0–1 (MS QoE RatioConcealedSamplesAvg). */
  concealedRatio?: number;
  /** MOS lost to the network, MOS units (MS QoE DegradationAvg). */
  degradationMos?: number;
  packets?: number;
  packetsLost?: number;
}

export interface QualitySample {
  readonly callId: number;
  /** The stream it describes, when the source names one (SSRC / addresses); null for call-wide. */
  readonly streamId: number | null;
  readonly direction: StreamDirection | null;
  readonly source: QualitySource;
  readonly startMs: number;
  readonly endMs: number;
  readonly metrics: QualityMetrics;
}

/** A stretch of a call between hold/resume or codec changes; reports arrive per segment. */
export interface CallSegment {
  readonly startMs: number;
  readonly endMs: number | null;
  readonly reason: 'start' | 'hold' | 'resume' | 'codec-change' | 'report';
  readonly codec: string | null;
}

export interface CallStream {
  readonly id: number;
  readonly callId: number;
  readonly direction: StreamDirection;
  readonly ssrc: number | null;
  readonly localAddr: string | null;
  readonly localPort: number | null;
  readonly remoteAddr: string | null;
  readonly remotePort: number | null;
  readonly payloadType: number | null;
  readonly codec: string | null;
  /** Which sources described this stream. */
  readonly sources: readonly QualitySource[];
  readonly verdict: Verdict;
  readonly verdictReason: string | null;
}

/** How a call is recognised when another source speaks of it (see the correlation order in docs). */
export interface CallKeys {
  /** The SIP Call-ID the report carries in its body (CallID:), not the PUBLISH's own Call-ID. */
  readonly sipCallId?: string;
  /** ACDR recording session, `board:reset:session`. */
  readonly recordingSession?: string;
  readonly localId?: string;
  readonly remoteId?: string;
  readonly deviceId?: number;
  readonly ssrcs?: readonly number[];
  /** RTP addresses and ports the call's streams used (either end). */
  readonly media?: readonly MediaEndpoint[];
  readonly startMs?: number;
  readonly endMs?: number;
  /**
   * Set when the times were moved off a wrong device clock by this much (calls/clock-skew.ts):
   * matching then allows for the estimate's error (CLOCK_CORRECTION_SLACK_MS).
   */
  readonly clockSkewMs?: number;
}

export interface MediaEndpoint {
  readonly addr: string;
  readonly port: number;
}

export interface Call {
  readonly id: number;
  readonly deviceId: number | null;
  readonly sipCallId: string | null;
  readonly recordingSession: string | null;
  /** Local party (LocalID, From of an outgoing call). */
  readonly localId: string | null;
  readonly remoteId: string | null;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly active: boolean;
  readonly codec: string | null;
  readonly sources: readonly QualitySource[];
  readonly segments: readonly CallSegment[];
  readonly worstMos: number | null;
  readonly avgMos: number | null;
  readonly maxLossPct: number | null;
  readonly maxJitterMs: number | null;
  readonly verdict: Verdict;
  /** Why, in words an FAE reads: "loss 12 % > 10 % (vq-session, rx, 10:42:05)". */
  readonly verdictReason: string | null;
  /** Set for data that came from an imported capture, so it can be told apart and removed. */
  readonly importId: number | null;
  /**
   * How far the phone's clock was off (its time minus the collector's receive time, ms; positive:
   * ahead), when it was off by more than a few seconds; its reports' times were corrected by it.
   */
  readonly clockSkewMs: number | null;
}

/** What a source knows of a call beyond its keys; unknown fields leave the stored values alone. */
export interface CallInfo {
  readonly codec?: string;
  /** True while the call is known to go on (a recording still growing); reports end it. */
  readonly active?: boolean;
  readonly importId?: number;
  /** The phone's clock skew when the source measured one (see Call.clockSkewMs). */
  readonly clockSkewMs?: number;
}

/** A stream as a source describes it; matched to a stored stream by direction and SSRC or addresses. */
export interface StreamSpec {
  readonly direction: StreamDirection;
  readonly ssrc?: number;
  readonly localAddr?: string;
  readonly localPort?: number;
  readonly remoteAddr?: string;
  readonly remotePort?: number;
  readonly payloadType?: number;
  readonly codec?: string;
}

/** A sample before it is tied to a stored call and stream. */
export interface SampleRecord {
  readonly source: QualitySource;
  readonly startMs: number;
  readonly endMs: number;
  readonly metrics: QualityMetrics;
}

/**
 * Everything one report (or one recorded call) says, before correlation and storage: what the
 * SIP receiver stores, and what `analyze` prints without a store.
 */
export interface CallRecord {
  readonly keys: CallKeys;
  readonly info: CallInfo;
  readonly segments: readonly CallSegment[];
  readonly streams: readonly (StreamSpec & { readonly samples: readonly SampleRecord[] })[];
  /** Samples that describe the call as a whole (no stream named). */
  readonly callSamples: readonly SampleRecord[];
}
