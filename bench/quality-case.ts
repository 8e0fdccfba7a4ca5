/**
 * The `quality` case: the fleet quality view's API (`GET /api/quality`, what the Quality page asks
 * for: KPIs with the previous period, the series and one breakdown) over a month of 10^6 stored
 * calls from 1,000 phones, on SQLite and on ClickHouse (started by the bench). Each range the page
 * offers (6 h, 24 h, 7 d, 30 d) is asked REQUESTS times one at a time, the breakdown dimension
 * cycling through site, model, firmware, peer, codec; p50 / p99 per range and backend.
 * Size: IPP_BENCH_QUALITY_CALLS (default 10^6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clickHouseBinary, startClickHouse } from './clickhouse-server.js';
import { freePorts } from './free-ports.js';
import { getJson, peakRssMb, sleep, startCollectorProcess, stopProcess, type BenchOptions, type CaseResult } from './harness.js';
import { percentiles } from './live-probe.js';
import { QUALITY_SITES, seedQuality } from './seed-quality.js';

const DAY_MS = 86_400_000;
const SPAN_MS = 30 * DAY_MS;
const RANGES: ReadonlyArray<[string, number]> = [['6h', DAY_MS / 4], ['24h', DAY_MS], ['7d', 7 * DAY_MS], ['30d', 30 * DAY_MS]];
const DIMENSIONS = ['site', 'model', 'firmware', 'peer', 'codec'] as const;
const FULL = { calls: Number(process.env.IPP_BENCH_QUALITY_CALLS ?? 1_000_000), requests: 20 };
const SMOKE = { calls: 20_000, requests: 3 };

async function measure(dataDir: string, storeUrl: string | null, load: typeof FULL): Promise<Record<string, unknown>> {
  const nowMs = Date.now();
  const seedStarted = performance.now();
  await seedQuality({ dataDir, ...(storeUrl ? { store: storeUrl } : {}) }, { calls: load.calls, nowMs, spanMs: SPAN_MS });
  const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
  const { tcp: [web] } = await freePorts(1, 0);
  const child = startCollectorProcess(['--data-dir', dataDir, ...(storeUrl ? ['--store', storeUrl] : []), '--bind', '127.0.0.1', '--web-port', String(web),
    '--syslog-port', '0', '--syslog-tcp-port', '0', '--recording-port', '0', '--sip-port', '0', '--hep-port', '0', '--sites', QUALITY_SITES]);
  try {
    const base = `http://127.0.0.1:${web}`;
    for (let i = 0; i < 600; i++) {
      try { await getJson(`${base}/api/health`); break; } catch { await sleep(100); }
    }
    const ranges: Record<string, unknown> = {};
    for (const [name, span] of RANGES) {
      const url = (i: number) => `${base}/api/quality?from=${new Date(nowMs - span).toISOString()}&to=${new Date(nowMs).toISOString()}&by=${DIMENSIONS[i % DIMENSIONS.length]}`;
      const first = await getJson<{ kpis: { calls: number } }>(url(0));
      const ms: number[] = [];
      for (let i = 0; i < load.requests; i++) {
        const t0 = performance.now();
        const res = await fetch(url(i));
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${url(i)}: ${res.status}`);
        ms.push(performance.now() - t0);
      }
      const p = percentiles(ms);
      ranges[name] = { callsInRange: first.kpis.calls, p50Ms: p.p50, p99Ms: p.p99 };
    }
    return { seedSeconds, ranges, collectorPeakRssMb: peakRssMb(child.pid!) };
  } finally {
    await stopProcess(child);
  }
}

export async function qualityCase(o: BenchOptions): Promise<CaseResult> {
  const load = o.smoke ? SMOKE : FULL;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-quality-'));
  const notes = ['call rows are written straight into each backend\'s calls table (bench/seed-quality.ts); on ClickHouse the table is then merged (OPTIMIZE … FINAL), as a table settles between bursts of ingest',
    'the client, the collector, its store worker (and the ClickHouse server) share the machine'];
  const backends: Record<string, unknown> = {};
  try {
    backends.sqlite = await measure(path.join(dir, 'sqlite'), null, load);
    if (clickHouseBinary()) {
      const server = await startClickHouse();
      try {
        backends.clickhouse = await measure(path.join(dir, 'clickhouse'), server.url, load);
      } finally {
        await server.stop();
      }
    } else {
      notes.push('clickhouse-server is not installed: the ClickHouse half was skipped');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const p99 = (b: unknown, range: string) => ((b as { ranges?: Record<string, { p99Ms: number }> } | undefined)?.ranges?.[range]?.p99Ms ?? null);
  return {
    name: 'quality',
    load: `${load.calls} calls over 30 days from 1,000 phones on 4 sites; GET /api/quality ${load.requests} times per range (6 h, 24 h, 7 d, 30 d), one at a time, the breakdown cycling site, model, firmware, peer, codec`,
    result: {
      ...backends,
      sqlite24hP99Ms: p99(backends.sqlite, '24h'), sqlite30dP99Ms: p99(backends.sqlite, '30d'),
      clickhouse24hP99Ms: p99(backends.clickhouse, '24h'), clickhouse30dP99Ms: p99(backends.clickhouse, '30d'),
    },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    notes,
  };
}
