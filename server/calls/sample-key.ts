/**
 * A quality sample's natural key: its call, stream, direction, source, time range and which
 * metrics it carries. A report delivered twice (retransmitted, or sent to two collectors for
 * redundancy) gives samples with the same key, and the store keeps them once.
 */
import type { QualityMetrics } from './model.js';

/** The metric names a sample carries, sorted: part of its key, so a sample measuring other things at the same instant stays apart. */
export function metricKind(m: QualityMetrics): string {
  return Object.entries(m).filter(([, v]) => v !== undefined).map(([k]) => k).sort().join(',');
}
