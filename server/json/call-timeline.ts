/** A call's quality samples as chart series and as CSV, for the API, bundles and reports. */
import type { QualityMetrics, QualitySample } from '../calls/model.js';

/** Units of each metric, once, for the timeline's axis labels. */
export const METRIC_UNITS: Readonly<Record<keyof QualityMetrics, string>> = {
  mosLq: 'MOS', mosCq: 'MOS', rFactor: 'R', lossPct: '%', discardPct: '%', burstDensityPct: '%', burstDurationMs: 'ms',
  gapDensityPct: '%', gapDurationMs: 'ms', jitterMs: 'ms', jitterMaxMs: 'ms', jitterBufferNominalMs: 'ms', jitterBufferMaxMs: 'ms',
  roundTripMs: 'ms', endSystemDelayMs: 'ms', maxDeltaMs: 'ms', signalLevelDb: 'dBm0', noiseLevelDb: 'dBm0',
  residualEchoReturnLossDb: 'dB', concealedRatio: 'ratio', degradationMos: 'MOS', packets: 'packets', packetsLost: 'packets',
};

export interface TimelineSeries {
  readonly streamId: number | null;
  readonly direction: string | null;
  readonly source: string;
  readonly metric: string;
  readonly unit: string;
  /** [startMs, endMs, value], oldest first. */
  readonly points: Array<[number, number, number]>;
}

/** One series per stream, source and metric, in the order samples arrived. */
export function timeline(samples: readonly QualitySample[]): TimelineSeries[] {
  const series = new Map<string, TimelineSeries>();
  for (const s of samples) {
    for (const [metric, value] of Object.entries(s.metrics) as Array<[keyof QualityMetrics, number]>) {
      if (typeof value !== 'number') continue;
      const key = `${s.streamId}|${s.source}|${metric}`;
      let line = series.get(key);
      if (!line) {
        line = { streamId: s.streamId, direction: s.direction, source: s.source, metric, unit: METRIC_UNITS[metric] ?? '', points: [] };
        series.set(key, line);
      }
      line.points.push([s.startMs, s.endMs, value]);
    }
  }
  return [...series.values()];
}

/** Metrics where a lower value is the worse one; every other metric is worse when higher. */
const LOWER_IS_WORSE: ReadonlySet<string> = new Set(['mosLq', 'mosCq', 'rFactor', 'residualEchoReturnLossDb']);

/**
 * At most `maxPoints` points: the series' time range cut into equal buckets, each keeping the worst
 * value in it (lowest MOS, highest loss), spanning the first to the last sample it holds. A one-second
 * loss burst in a two-hour call stays visible at any zoom, which an average or every-Nth point loses.
 */
export function decimate(series: TimelineSeries, maxPoints: number): TimelineSeries {
  const pts = series.points;
  if (pts.length <= maxPoints) return series;
  const first = pts[0]![0];
  const span = Math.max(1, pts[pts.length - 1]![0] - first + 1);
  const lowerWorse = LOWER_IS_WORSE.has(series.metric);
  const out: Array<[number, number, number]> = [];
  let bucket = -1;
  for (const [start, end, value] of pts) {
    const b = Math.min(maxPoints - 1, Math.floor(((start - first) / span) * maxPoints));
    const last = out[out.length - 1];
    if (b !== bucket || !last) {
      out.push([start, end, value]);
      bucket = b;
    } else {
      last[1] = Math.max(last[1], end);
      if (lowerWorse ? value < last[2] : value > last[2]) last[2] = value;
    }
  }
  return { ...series, points: out };
}

const CSV_METRICS = Object.keys(METRIC_UNITS) as Array<keyof QualityMetrics>;

/**
 * One row per sample, every metric a column (empty where the source does not report it). Every cell is
 * a number, an ISO time or one of our own enum words, so nothing needs quoting.
 */
export function samplesCsv(samples: readonly QualitySample[]): string {
  const head = ['start', 'end', 'stream_id', 'direction', 'source', ...CSV_METRICS.map((m) => `${m} (${METRIC_UNITS[m]})`)];
  const rows = samples.map((s) => [
    new Date(s.startMs).toISOString(),
    new Date(s.endMs).toISOString(),
    s.streamId ?? '',
    s.direction ?? '',
    s.source,
    ...CSV_METRICS.map((m) => s.metrics[m] ?? ''),
  ].join(','));
  return [head.join(','), ...rows].join('\r\n') + '\r\n';
}
