/** A recorded call and its streams as JSON: times as ISO strings, everything else as summarised. */
import type { RecordedCallSummary, RecordedStreamSummary } from '../pipeline/recordings/types.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function streamJson(s: RecordedStreamSummary) {
  const { startMs, endMs, ...rest } = s;
  return { ...rest, start: iso(startMs), end: iso(endMs) };
}

export function callJson<T extends Omit<RecordedCallSummary, 'streams'>>(c: T & { streams?: readonly RecordedStreamSummary[] }) {
  const { startMs, endMs, streams, ...rest } = c;
  return { ...rest, start: iso(startMs), end: iso(endMs), ...(streams ? { streams: streams.map(streamJson) } : {}) };
}
