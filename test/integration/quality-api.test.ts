// GET /api/quality over a spawned collector on a seeded fleet: KPIs with the previous day, the
// series, breakdowns worst first, and each row's calls-list filter giving exactly its calls.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredAccess } from '../../server/auth/policy.js';
import type { QualityJson } from '../../server/json/quality.js';
import { EXPECTED, FLEET_SITES, seedQualityFleet } from '../support/quality-fleet.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';

const DAY_MS = 86_400_000;
let collector: RunningCollector;
let dataDir: string;
const now = Date.now();
const from = new Date(now - DAY_MS).toISOString();
const to = new Date(now).toISOString();

async function get<T>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${collector.webUrl}${pathAndQuery}`);
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-quality-api-'));
  await seedQualityFleet(dataDir, now);
  collector = await spawnCollector(['--data-dir', dataDir, '--sites', FLEET_SITES]);
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /api/quality', () => {
  it('is a viewer\'s read', () => {
    expect(requiredAccess('GET', '/api/quality').access).toBe('viewer');
  });

  it('gives the KPIs of the range and of the day before, and a series in 15-minute steps', async () => {
    const { status, body } = await get<QualityJson>(`/api/quality?from=${from}&to=${to}&by=site`);
    expect(status).toBe(200);
    expect(body.kpis).toMatchObject({ calls: EXPECTED.calls, judged: EXPECTED.calls, poor: EXPECTED.poor, oneWay: EXPECTED.oneWay, crashes: 0 });
    expect(body.kpis.poorPct).toBeCloseTo((100 * EXPECTED.poor) / EXPECTED.calls, 3);
    // 50 MOS values, rank ⌊2.5⌋ = 2 from the lowest: past the two one-way calls (MOS 1), the lowest poor call.
    expect(body.kpis.p5Mos).toBe(2.6);
    expect(body.previous).toMatchObject({ calls: EXPECTED.previousCalls, poor: EXPECTED.previousPoor });
    expect(body.previousFrom).toBe(new Date(now - 2 * DAY_MS).toISOString());
    expect(body.bucketMs).toBe(15 * 60_000);
    // Steps are aligned to the clock: a range not on a step's edge has a part step at each end.
    const step = 15 * 60_000;
    expect(body.series).toHaveLength(Math.ceil(now / step) - Math.floor((now - DAY_MS) / step));
    expect(Date.parse(body.series[0]!.start) % step).toBe(0);
    expect(body.series.reduce((n, p) => n + p.calls, 0)).toBe(EXPECTED.calls);
    expect(body.series.reduce((n, p) => n + p.poor, 0)).toBe(EXPECTED.poor);
  });

  it('breaks down by site worst first, and each row\'s filter lists exactly its calls', async () => {
    const { body } = await get<QualityJson>(`/api/quality?from=${from}&to=${to}&by=site`);
    expect(body.breakdown.map((r) => [r.key, r.calls, r.poor])).toEqual(EXPECTED.sites);
    for (const row of body.breakdown) {
      const all = await get<{ total: number }>(`/api/calls?startFrom=${from}&startTo=${to}&site=${encodeURIComponent(row.key!)}`);
      expect(all.body.total).toBe(row.calls);
      const poor = await get<{ total: number; calls: Array<{ verdict: string }> }>(`/api/calls?startFrom=${from}&startTo=${to}&site=${encodeURIComponent(row.key!)}&verdict=poor`);
      expect(poor.body.total).toBe(row.poor);
      expect(poor.body.calls.every((c) => c.verdict === 'poor')).toBe(true);
    }
  });

  it('breaks down by model, firmware, peer and codec', async () => {
    const rows = async (by: string) => (await get<QualityJson>(`/api/quality?from=${from}&to=${to}&by=${by}`)).body.breakdown.map((r) => [r.key, r.calls, r.poor]);
    expect(await rows('peer')).toEqual([['sbc.carrier-b.net', 20, 8], ['pbx.example.com', 30, 3]]);
    expect(await rows('firmware')).toEqual([['3.4.8', 30, 8], ['3.4.6', 20, 3]]);
    expect(await rows('model')).toEqual([['450HD', 10, 3], ['420HD', 25, 7], ['445HD', 15, 1]]);
    expect(await rows('codec')).toEqual([['PCMU', 10, 3], ['PCMA', 25, 7], ['G722', 15, 1]]);
    const peer = await get<{ total: number }>(`/api/calls?startFrom=${from}&startTo=${to}&peer=sbc.carrier-b.net`);
    expect(peer.body.total).toBe(20);
  });

  it('lists the calls without a value with (none), and refuses what it cannot answer', async () => {
    expect((await get<{ total: number }>(`/api/calls?startFrom=${from}&startTo=${to}&codec=(none)`)).body.total).toBe(0);
    expect((await get<unknown>(`/api/quality?from=${to}&to=${from}`)).status).toBe(400);
    expect((await get<unknown>(`/api/quality?by=mood`)).status).toBe(400);
    expect((await get<unknown>(`/api/quality?from=2020-01-01T00:00:00Z&to=${to}`)).status).toBe(400);
    expect((await get<unknown>(`/api/calls?site=Paris&model=420HD`)).status).toBe(400);
  });
});
