// The fleet quality aggregates (server/store/call-quality.ts) on every backend: the same seeded
// calls give the same KPIs, series and breakdowns, each checked against a plain reference computed
// here from the stored calls, and a breakdown row's slice lists exactly the calls it counted.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VERDICT_THRESHOLDS } from '../../server/analysis/e-model.js';
import type { Call, CallRecord } from '../../server/calls/model.js';
import {
  meanOfMilli, MILLI, P5_LEVEL, QUALITY_DIMENSIONS, type QualityDimension, type QualityKpis, type QualityRange, type QualitySlice,
} from '../../server/store/call-quality.js';
import type { Store } from '../../server/store/types.js';
import { eachBackend } from './backends.js';

const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const MIN = 60_000;
const CALLS = 90;
const DEVICES = [11, 12, 13, 14, 15, undefined] as const;
const CODECS = ['PCMA', 'PCMU', 'G722', undefined] as const;
const REMOTES = ['<sip:200@PBX.Example.com;user=phone>', 'sip:300@carrier.net:5060', '<sip:400@10.0.0.9>', 'anonymous', undefined,
  'sip:500@carrier.net', 'sip:600@;odd', 'sip:700@\ttab.example'] as const;
const DEVICE_VALUES: Readonly<Record<'site' | 'model' | 'firmware', ReadonlyArray<readonly [number, string]>>> = {
  site: [[11, 'Berlin'], [12, 'Berlin'], [13, 'Paris'], [14, 'unassigned']],
  model: [[11, '420HD'], [12, '445HD'], [13, '420HD'], [14, '450HD'], [15, '420HD']],
  // An empty value is no value: device 15's calls count as unknown firmware.
  firmware: [[11, '3.4.6'], [12, '3.4.8'], [13, '3.4.8'], [14, '3.4.6'], [15, '']],
};

function record(i: number): CallRecord {
  const start = T0 + i * 80_000;
  const judged = i % 9 !== 4;
  const metrics = { mosLq: 1 + ((i * 37) % 400) / 100, lossPct: i % 11 === 0 ? 100 : (i % 13) / 2, jitterMs: (i * 7) % 45 };
  const device = DEVICES[i % DEVICES.length];
  const codec = CODECS[i % CODECS.length];
  const remoteId = REMOTES[i % REMOTES.length];
  return {
    keys: { sipCallId: `quality-${i}@10.0.0.5`, startMs: start, endMs: start + 2 * MIN, ...(device !== undefined ? { deviceId: device } : {}), ...(remoteId !== undefined ? { remoteId } : {}) },
    info: codec !== undefined ? { codec } : {},
    segments: [],
    streams: [{ direction: 'rx', samples: judged ? [{ source: 'vq-session', startMs: start, endMs: start + 2 * MIN, metrics }] : [] }],
    callSamples: [],
  };
}

/** The reference: the contract's definitions over calls in memory. */
function peerOf(remoteId: string | null): string | null {
  if (remoteId === null || !remoteId.includes('@')) return null;
  const host = /^[^;>:\s]*/.exec(remoteId.slice(remoteId.indexOf('@') + 1))![0].toLowerCase();
  return host === '' ? null : host;
}

function keyOf(c: Call, slice: QualitySlice): string | null {
  if (slice.by === 'codec') return c.codec;
  if (slice.by === 'peer') return peerOf(c.remoteId);
  const v = slice.deviceValues?.find(([id]) => id === c.deviceId)?.[1];
  return v === undefined || v === '' ? null : v;
}

const mean = (xs: number[]) => meanOfMilli(xs.reduce((a, x) => a + Math.trunc(x * MILLI + 0.5), 0), xs.length);
const present = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);

function expectedKpis(calls: readonly Call[]): QualityKpis {
  const mos = present(calls.map((c) => c.avgMos)).sort((a, b) => a - b);
  return {
    calls: calls.length,
    judged: calls.filter((c) => c.verdict !== 'unknown').length,
    poor: calls.filter((c) => c.verdict === 'poor').length,
    meanMos: mean(mos),
    p5Mos: mos.length === 0 ? null : mos[Math.floor(P5_LEVEL * mos.length)]!,
    meanLossPct: mean(present(calls.map((c) => c.maxLossPct))),
    meanJitterMs: mean(present(calls.map((c) => c.maxJitterMs))),
    oneWay: calls.filter((c) => (c.maxLossPct ?? 0) >= 100).length,
  };
}

const inRange = (calls: readonly Call[], r: QualityRange) => calls.filter((c) => c.startMs >= r.fromMs && c.startMs < r.toMs);

function sliceOf(by: QualityDimension): QualitySlice {
  return by === 'site' || by === 'model' || by === 'firmware' ? { by, deviceValues: DEVICE_VALUES[by] } : { by };
}

const RANGES: Record<string, QualityRange> = {
  all: { fromMs: T0, toMs: T0 + 2 * 3_600_000 },
  middle: { fromMs: T0 + 30 * MIN, toMs: T0 + 90 * MIN },
  empty: { fromMs: T0 - 3_600_000, toMs: T0 },
};

eachBackend('call quality', (backend) => {
  let store: Store;
  let stored: Call[];
  beforeAll(async () => {
    store = await backend.open();
    const results = await store.calls.ingestMany(Array.from({ length: CALLS }, (_, i) => record(i)), DEFAULT_VERDICT_THRESHOLDS);
    stored = results.map((r) => {
      if ('error' in r) throw new Error(r.error);
      return r.call;
    });
  }, 60_000);

  it('seeds what the checks need: poor, unjudged and one-way calls, calls without device, codec or peer', () => {
    expect(new Set(stored.map((c) => c.id)).size).toBe(CALLS);
    expect(stored.filter((c) => c.verdict === 'poor').length).toBeGreaterThan(5);
    expect(stored.filter((c) => c.verdict === 'unknown').length).toBeGreaterThan(5);
    expect(stored.filter((c) => c.maxLossPct === 100).length).toBeGreaterThan(3);
    expect(stored.filter((c) => c.deviceId === null && c.codec === null).length).toBeGreaterThan(0);
  });

  describe.each(Object.keys(RANGES))('range %s', (name) => {
    const range = RANGES[name]!;

    it('KPIs', async () => {
      const kpis = await store.calls.qualityKpis(range);
      expect(kpis).toEqual(expectedKpis(inRange(stored, range)));
      if (name === 'all') expect(kpis).toMatchObject({ calls: CALLS, oneWay: 8 });
      if (name === 'empty') expect(kpis).toEqual({ calls: 0, judged: 0, poor: 0, meanMos: null, p5Mos: null, meanLossPct: null, meanJitterMs: null, oneWay: 0 });
    });

    it.each([5 * MIN, 15 * MIN])('series in %d ms steps', async (bucketMs) => {
      const byBucket = new Map<number, Call[]>();
      for (const c of inRange(stored, range)) {
        const b = Math.floor(c.startMs / bucketMs) * bucketMs;
        byBucket.set(b, [...(byBucket.get(b) ?? []), c]);
      }
      const expected = [...byBucket].sort(([a], [b]) => a - b).map(([startMs, calls]) => {
        const k = expectedKpis(calls);
        return { startMs, calls: k.calls, judged: k.judged, poor: k.poor, meanMos: k.meanMos };
      });
      expect(await store.calls.qualitySeries(range, bucketMs)).toEqual(expected);
    });

    it.each(QUALITY_DIMENSIONS)('breakdown by %s, worst first, each row listing exactly its calls', async (by) => {
      const slice = sliceOf(by);
      const groups = new Map<string | null, Call[]>();
      for (const c of inRange(stored, range)) groups.set(keyOf(c, slice), [...(groups.get(keyOf(c, slice)) ?? []), c]);
      const share = (k: QualityKpis) => (k.judged === 0 ? -1 : k.poor / k.judged);
      const expected = [...groups].map(([key, calls]) => ({ key, ...expectedKpis(calls) })).sort((a, b) =>
        share(b) - share(a) || (a.meanMos ?? 99) - (b.meanMos ?? 99) || b.calls - a.calls
        || (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
      const rows = await store.calls.qualityBreakdown(range, slice, 100);
      expect(rows).toEqual(expected);
      expect((await store.calls.qualityBreakdown(range, slice, 2)).map((r) => r.key)).toEqual(expected.slice(0, 2).map((r) => r.key));
      for (const row of rows) {
        const page = await store.calls.listCalls({ startFromMs: range.fromMs, startToMs: range.toMs, slice: { ...slice, value: row.key }, limit: 500 });
        expect(page.total).toBe(row.calls);
        expect(page.calls.map((c) => c.id).sort()).toEqual(groups.get(row.key)!.map((c) => c.id).sort());
      }
    });
  });

  it('cuts the peer host from the remote id: lower case, up to ; > : or white space, none without one', async () => {
    const rows = await store.calls.qualityBreakdown(RANGES.all!, { by: 'peer' }, 100);
    expect(rows.map((r) => r.key).sort()).toEqual(['10.0.0.9', 'carrier.net', 'pbx.example.com', null].sort());
    const site = await store.calls.qualityBreakdown(RANGES.all!, sliceOf('site'), 100);
    expect(site.map((r) => r.key).sort()).toEqual(['Berlin', 'Paris', 'unassigned', null].sort());
  });
});
