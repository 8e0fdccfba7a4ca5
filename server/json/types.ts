/**
 * The JSON shapes the server sends (REST API, live push, bundles, CLI output), in one module the
 * dashboard imports too (web/src/types.ts), so the two cannot drift. Types only, and imports only
 * from parsers/: web/ compiles it without Node's types.
 */
import type { SdElement } from '../../parsers/syslog.js';

/** The one JSON shape of a log line, shared by the REST API and the live push. */
export interface LogLineJson {
  id: number;
  receivedAt: string;
  deviceTime: string | null;
  deviceTs: string | null;
  device: { id: number; address: string };
  source: string;
  format: string;
  facility: number | null;
  severity: number | null;
  severityName: string | null;
  hostname: string | null;
  app: string | null;
  pid: string | null;
  msgid: string | null;
  module: string;
  seq: number | null;
  sid: string | null;
  message: string;
  raw: string;
  structuredData: readonly SdElement[] | null;
  warnings: readonly string[];
  importId: number | null;
}

export type VerdictJson = 'good' | 'fair' | 'poor' | 'unknown';

export interface CallSegmentJson { start: string | null; end: string | null; reason: string; codec: string | null }

/** A call as the calls list, the live push and bundles send it. */
export interface CallJson {
  id: number;
  deviceId: number | null;
  sipCallId: string | null;
  recordingSession: string | null;
  localId: string | null;
  remoteId: string | null;
  start: string;
  end: string | null;
  durationMs: number | null;
  active: boolean;
  codec: string | null;
  sources: readonly string[];
  segments: CallSegmentJson[];
  worstMos: number | null;
  avgMos: number | null;
  maxLossPct: number | null;
  maxJitterMs: number | null;
  verdict: VerdictJson;
  verdictReason: string | null;
  importId: number | null;
  /** The phone's clock minus the collector's receive time, ms (positive: ahead); null when right to a few seconds. */
  clockSkewMs: number | null;
}

export interface CallStreamJson {
  id: number;
  direction: 'rx' | 'tx';
  ssrc: number | null;
  ssrcHex: string | null;
  localAddr: string | null;
  localPort: number | null;
  remoteAddr: string | null;
  remotePort: number | null;
  payloadType: number | null;
  codec: string | null;
  sources: readonly string[];
  verdict: VerdictJson;
  verdictReason: string | null;
}

/** A quality sample: times stay in ms, the dashboard charts them. */
export interface SampleJson {
  streamId: number | null;
  direction: 'rx' | 'tx' | null;
  source: string;
  startMs: number;
  endMs: number;
  metrics: Record<string, number>;
}
