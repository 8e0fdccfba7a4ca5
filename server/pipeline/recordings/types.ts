/**
 * What the recording pipeline reports about a recorded call and its streams, as JSON-ready values.
 * The same shapes serve the store, the API, live updates and `ipp-collector analyze`.
 *
 * Time: every time of a recorded packet is the ACDR header timestamp (the phone's device clock, µs),
 * placed on the wall clock by anchoring each sender's device clock to the arrival time of its first
 * datagram. Jitter, delta and the series therefore describe the phone's own view of its media, not
 * the trip from the phone to the collector. All times are ms since the epoch.
 */
import type { QualityMetrics, QualitySource, StreamDirection, Verdict } from '../../calls/model.js';
import type { RtpSeriesBucket, RtpStreamStats } from '../../analysis/rtp-stream.js';
import type { AcdrRecordingKind } from '../../../parsers/acdr/recording-kind.js';

export type RecordedStreamKind = 'rtp' | 'pcm';

/** The Wireshark-compatible figures a recorded stream shares with the analyser's result. */
type WiresharkStreamFigures = Pick<RtpStreamStats, 'packets' | 'expected' | 'lost' | 'sequenceErrors' | 'minDeltaMs' | 'meanDeltaMs'
  | 'maxDeltaMs' | 'minJitterMs' | 'meanJitterMs' | 'maxJitterMs' | 'maxSkewMs' | 'clockDriftMs' | 'clockDriftPct' | 'freqDriftHz'
  | 'startMs' | 'endMs' | 'problem'>;

export interface RecordedStreamSummary extends WiresharkStreamFigures {
  readonly id: number;
  readonly callId: number;
  readonly kind: RecordedStreamKind;
  /** The phone's recording it comes from (parsers/acdr/recording-kind.ts): 'rtp', or a PCM kind ('network', 'tdm', 'dsp-pcm'). */
  readonly recordingKind: AcdrRecordingKind;
  /** ACDR trace point (acdr.trace_pt) and its name, e.g. 0 Net2Dsp (received), 1 Dsp2Net (sent). */
  readonly tracePoint: number;
  readonly tracePointName: string;
  readonly direction: StreamDirection;
  readonly mediaType: number;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly codec: string | null;
  readonly clockRate: number;
  readonly localPort: number | null;
  readonly farAddr: string | null;
  readonly farPort: number | null;
  // Wireshark RTP stream analysis (tshark -z rtp,streams) on device time: the RtpStreamStats fields, plus
  readonly lostPercent: number;
  /** Packets whose sequence number was already received within the last 1024 (Wireshark does not count these). */
  readonly duplicates: number;
  /** Mean and lowest E-model MOS over the 5-second intervals; null when the codec has no E-model values. */
  readonly mos: number | null;
  readonly minMos: number | null;
  readonly rFactor: number | null;
  /** True when a WAV can be made (G.711 µ-law / A-law). */
  readonly audio: boolean;
}

/** One recording kind of a call; 'other' has one entry per media type. */
export interface RecordingKindCount {
  readonly kind: AcdrRecordingKind;
  /** e.g. 'Network (TDM out)'; for 'other': 'Other: <tshark's media type text> (<value>)'. */
  readonly name: string;
  /** Set for 'other' only. */
  readonly mediaType: number | null;
  readonly datagrams: number;
  /** Whole datagram bytes, ACDR header included. */
  readonly bytes: number;
  /** PCM kind: its RTP-framed G.711 records are streams with audio (WAV). */
  readonly pcm: boolean;
  /** PCM-kind records whose payload is not an RTP packet: kept raw (in the original pcap) but not played. */
  readonly undecoded: number;
}

export type CallEndReason = 'inactivity' | 'bye' | 'shutdown' | 'end-of-capture';

export interface RecordedCallSummary {
  readonly id: number;
  /** ACDR session id `board:reset:session` (acdr.full_session_id); `none` for records without one. */
  readonly sessionId: string;
  /** The phone: the address the recording datagrams came from. */
  readonly deviceAddr: string;
  /** The device's id when the collector knows it (e.g. from syslog), else null. */
  readonly deviceId: number | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly active: boolean;
  readonly endReason: CallEndReason | null;
  readonly datagrams: number;
  readonly bytes: number;
  /** ACDR datagrams missing from this sender's sequence while the call ran (recording loss, not network loss). */
  readonly recordingGaps: number;
  /** Records that belong to the call but are not RTP/RTCP, by media type name (SIP, events, …). */
  readonly otherRecords: Readonly<Record<string, number>>;
  /** Datagrams and bytes per recording kind (DSP, RTP, EC/CNG/NR debug, network, TDM, ...), in first-seen order. */
  readonly recordingKinds: readonly RecordingKindCount[];
  /** RTP/RTCP payloads inside ACDR records that did not decode. */
  readonly undecodedMedia: number;
  /** Codecs in this call we cannot turn into audio (everything but G.711). */
  readonly undecodableCodecs: readonly string[];
  readonly ssrcs: readonly number[];
  readonly worstMos: number | null;
  readonly avgMos: number | null;
  readonly maxLossPct: number | null;
  readonly maxJitterMs: number | null;
  readonly verdict: Verdict;
  readonly streams: readonly RecordedStreamSummary[];
}

/** A quality report found inside the recording (RTCP SR/RR blocks, RTCP XR VoIP metrics). */
export interface RecordingSample {
  readonly streamId: number | null;
  /** The phone's receive direction for reports about what it received ('rx'), else 'tx'. */
  readonly direction: StreamDirection;
  readonly source: Extract<QualitySource, 'rtcp' | 'rtcp-xr'>;
  /** SSRC of the stream the report describes. */
  readonly ssrc: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly metrics: QualityMetrics;
}

export interface RecordedStreamSeries {
  readonly streamId: number;
  readonly perSecond: readonly RtpSeriesBucket[];
  readonly perFiveSeconds: readonly RtpSeriesBucket[];
}

export interface RecordedCallSeries {
  readonly callId: number;
  readonly streams: readonly RecordedStreamSeries[];
  /** Reported quality (RTCP, RTCP XR) next to the computed series. */
  readonly samples: readonly RecordingSample[];
}
