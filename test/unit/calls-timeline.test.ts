// Timeline decimation (`/api/calls/:id/timeline?maxPoints=N`) and the samples CSV export.
import { describe, expect, it } from 'vitest';
import { decimate, samplesCsv, timeline, type TimelineSeries } from '../../server/json/call-timeline.js';
import type { QualitySample } from '../../server/calls/model.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const SECOND_MS = 1000;

function series(metric: string, values: number[]): TimelineSeries {
  return { streamId: 1, direction: 'rx', source: 'computed-rtp', metric, unit: '', points: values.map((v, i) => [T0 + i * SECOND_MS, T0 + (i + 1) * SECOND_MS, v]) };
}

describe('timeline decimation', () => {
  it('leaves a series that already fits untouched', () => {
    const s = series('lossPct', [0, 1, 2]);
    expect(decimate(s, 10)).toBe(s);
  });

  it('keeps a one-second loss burst in a two-hour call cut to 500 points', () => {
    const values = Array.from({ length: 7200 }, () => 0);
    values[4321] = 37.5;
    const out = decimate(series('lossPct', values), 500);
    expect(out.points.length).toBeLessThanOrEqual(500);
    const burst = out.points.find((p) => p[2] === 37.5);
    expect(burst).toBeDefined();
    expect(burst![0]).toBeLessThanOrEqual(T0 + 4321 * SECOND_MS);
    expect(burst![1]).toBeGreaterThanOrEqual(T0 + 4322 * SECOND_MS);
  });

  it('keeps the lowest MOS of a bucket, since lower is worse for MOS', () => {
    const values = Array.from({ length: 100 }, () => 4.3);
    values[55] = 2.1;
    const out = decimate(series('mosLq', values), 10);
    expect(Math.min(...out.points.map((p) => p[2]))).toBe(2.1);
    expect(out.points).toHaveLength(10);
  });

  it('buckets cover the whole call without overlapping', () => {
    const out = decimate(series('jitterMs', Array.from({ length: 1000 }, (_, i) => i % 7)), 50);
    expect(out.points[0]![0]).toBe(T0);
    expect(out.points[out.points.length - 1]![1]).toBe(T0 + 1000 * SECOND_MS);
    for (let i = 1; i < out.points.length; i++) expect(out.points[i]![0]).toBeGreaterThanOrEqual(out.points[i - 1]![1]);
  });
});

describe('samples CSV', () => {
  const samples: QualitySample[] = [
    { callId: 1, streamId: 7, direction: 'rx', source: 'computed-rtp', startMs: T0, endMs: T0 + 5000, metrics: { mosLq: 4.1, lossPct: 2.5 } },
    { callId: 1, streamId: null, direction: null, source: 'vq-session', startMs: T0, endMs: T0 + 60_000, metrics: { signalLevelDb: -20 } },
  ];

  it('writes a header with units and one row per sample, empty cells for metrics a source lacks', () => {
    const lines = samplesCsv(samples).split('\r\n');
    const head = lines[0]!.split(',');
    expect(head.slice(0, 5)).toEqual(['start', 'end', 'stream_id', 'direction', 'source']);
    expect(head).toContain('mosLq (MOS)');
    expect(head).toContain('lossPct (%)');
    const row = (i: number) => Object.fromEntries(head.map((h, j) => [h, lines[i]!.split(',')[j]]));
    expect(row(1)).toMatchObject({ start: '2026-01-01T09:00:00.000Z', stream_id: '7', direction: 'rx', 'mosLq (MOS)': '4.1', 'lossPct (%)': '2.5', 'jitterMs (ms)': '' });
    expect(row(2)).toMatchObject({ stream_id: '', direction: '', source: 'vq-session', 'signalLevelDb (dBm0)': '-20' });
    expect(lines).toHaveLength(4); // header, 2 rows, final CRLF
  });

  it('agrees with the timeline on what each sample says', () => {
    expect(timeline(samples).map((s) => [s.metric, s.points.length])).toEqual([['mosLq', 1], ['lossPct', 1], ['signalLevelDb', 1]]);
  });
});
