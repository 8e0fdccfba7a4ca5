/** A recorded call and its streams as JSON: times as ISO strings, everything else as summarised. */
import { acdrRecordingKind } from '../../parsers/acdr/recording-kind.js';
import type { RecordedCallSummary, RecordedStreamSummary } from '../pipeline/recordings/types.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function streamJson(s: RecordedStreamSummary) {
  const { startMs, endMs, ...rest } = s;
  // Streams stored before recording kinds were named: the same rule on their media type and trace point.
  return { ...rest, recordingKind: rest.recordingKind ?? acdrRecordingKind(rest.mediaType, rest.tracePoint), start: iso(startMs), end: iso(endMs) };
}

export function callJson<T extends Omit<RecordedCallSummary, 'streams'>>(c: T & { streams?: readonly RecordedStreamSummary[] }) {
  const { startMs, endMs, streams, ...rest } = c;
  // Calls stored before recording kinds were counted have none.
  return { ...rest, recordingKinds: rest.recordingKinds ?? [], start: iso(startMs), end: iso(endMs), ...(streams ? { streams: streams.map(streamJson) } : {}) };
}
