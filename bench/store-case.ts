/**
 * The `store` case: the same generated fleet (calls with their streams, syslog lines decoded by
 * the collector's own ingest) written to each backend — SQLite in a temp directory, and ClickHouse
 * on a real server started for the run — then the queries users run, timed p50/p99: poor calls of
 * the last 24 h, one device's calls, worst MOS first, a word in the logs, one device's recent lines.
 * Sizes: IPP_BENCH_STORE_CALLS and IPP_BENCH_STORE_LINES (the issue asks 10^6 calls and 10^8 lines
 * where the machine allows; the defaults fit this 2-core box in a few minutes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallCorrelator } from '../server/calls/correlator.js';
import type { CallRecord, QualityMetrics } from '../server/calls/model.js';
import { Counters } from '../server/counters.js';
import { DeviceRegistry } from '../server/pipeline/device-registry.js';
import { SyslogIngest } from '../server/pipeline/syslog-ingest.js';
import type { BatchWriter } from '../server/store/batch-writer.js';
import { openStore } from '../server/store/open-store.js';
import type { LogRecord, Store } from '../server/store/types.js';
import { clickHouseBinary, startClickHouse } from './clickhouse-server.js';
import type { BenchOptions, CaseResult } from './harness.js';
import { syslogLine } from './syslog-lines.js';
import { packLogs } from '../server/store/log-columns.js';

const DEVICES = 1000;
const WRITE_BATCH = 50_000;
const QUERY_RUNS = 30;
const DAY_MS = 86_400_000;
const SEARCH_WORD = 'overrun';

interface Sizes { readonly calls: number; readonly lines: number }

function sizes(smoke: boolean): Sizes {
  const env = (name: string, def: number) => Number(process.env[name] ?? def);
  return smoke ? { calls: 2000, lines: 20_000 } : { calls: env('IPP_BENCH_STORE_CALLS', 100_000), lines: env('IPP_BENCH_STORE_LINES', 5_000_000) };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timed(run: () => Promise<unknown>): Promise<{ p50Ms: number; p99Ms: number }> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < QUERY_RUNS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: Math.round(percentile(times, 50) * 10) / 10, p99Ms: Math.round(percentile(times, 99) * 10) / 10 };
}

/** Calls spread over a week, one per device in turn; MOS, loss and jitter spread so filters and sorts work. */
function callRecord(i: number, nowMs: number, total: number, deviceIds: readonly number[]): CallRecord {
  const start = nowMs - 7 * DAY_MS + Math.floor((i * 7 * DAY_MS) / total);
  const metrics: QualityMetrics = { mosLq: 2.2 + (i % 23) / 10, lossPct: (i % 17) / 2, jitterMs: i % 40 };
  return {
    keys: { sipCallId: `bench-${i}@pbx.example.com`, deviceId: deviceIds[i % deviceIds.length]!, startMs: start, endMs: start + 60_000 + (i % 300) * 1000 },
    info: { codec: 'PCMA' }, segments: [], callSamples: [],
    streams: [{ direction: 'rx', ssrc: 0x10000 + i, samples: [{ source: 'vq-session', startMs: start, endMs: start + 60_000, metrics }] }],
  };
}

/** Lines through the real decoder and device registry, collected instead of queued for a store. */
async function writeLines(store: Store, n: number, nowMs: number): Promise<{ ratePerS: number; deviceIds: number[] }> {
  const ids = await store.rowIds();
  const devices = new DeviceRegistry([], ids.newDeviceId);
  let batch: LogRecord[] = [];
  let clock = nowMs - DAY_MS;
  const collect = { enqueue: (r: LogRecord) => { batch.push(r); return true; } } as unknown as BatchWriter;
  const ingest = new SyslogIngest({ devices, writer: collect, live: null, counters: new Counters(), logIds: ids.log, now: () => clock });
  const datagrams = Array.from({ length: 4096 }, (_, i) => Buffer.from(syslogLine(i) + (i % 50 === 0 ? ` jitter buffer ${SEARCH_WORD}` : '')));
  let writeMs = 0;
  for (let i = 0; i < n; i++) {
    clock = nowMs - DAY_MS + Math.floor((i * DAY_MS) / n);
    ingest.handle('syslog-udp', datagrams[i % datagrams.length]!, `10.20.${Math.floor((i % DEVICES) / 250)}.${(i % DEVICES) % 250 + 1}`);
    if (batch.length >= WRITE_BATCH || i === n - 1) {
      const t = performance.now();
      await store.write({ logs: packLogs(batch), devices: devices.takeDirty() });
      writeMs += performance.now() - t;
      batch = [];
    }
  }
  return { ratePerS: Math.round(n / (writeMs / 1000)), deviceIds: devices.all().map((d) => d.id) };
}

async function measure(store: Store, s: Sizes): Promise<Record<string, unknown>> {
  const nowMs = Date.now();
  const lines = await writeLines(store, s.lines, nowMs);
  const correlator = new CallCorrelator(store);
  const t = performance.now();
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < s.calls; i++) {
    pending.push(correlator.ingest(callRecord(i, nowMs, s.calls, lines.deviceIds)));
    if (pending.length >= 1000) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const callsPerS = Math.round(s.calls / ((performance.now() - t) / 1000));
  const device = lines.deviceIds[7]!;
  const stats = await store.stats();
  return {
    logLinesStored: s.lines,
    callsStored: s.calls,
    logLinesPerS: lines.ratePerS,
    callsPerS,
    bytesPerLogLine: Math.round((stats.sizeBytes / s.lines) * 10) / 10,
    queries: {
      poorCallsLast24h: await timed(() => store.calls.listCalls({ verdicts: ['poor'], fromMs: nowMs - DAY_MS, toMs: nowMs, limit: 50 })),
      oneDeviceCalls: await timed(() => store.calls.listCalls({ deviceId: device, limit: 50 })),
      worstMosFirst: await timed(() => store.calls.listCalls({ sort: 'worstMos', order: 'asc', limit: 50 })),
      wordInLogs: await timed(() => store.queryLogs({ text: SEARCH_WORD, limit: 100 })),
      oneDeviceLines: await timed(() => store.queryLogs({ deviceId: device, limit: 100 })),
    },
  };
}

export async function storeCase(o: BenchOptions): Promise<CaseResult> {
  const s = sizes(o.smoke);
  const notes: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-store-'));
  const backends: Record<string, unknown> = {};
  try {
    const sqlite = await openStore({ dataDir: path.join(dir, 'sqlite') });
    try {
      backends.sqlite = await measure(sqlite, s);
    } finally {
      await sqlite.close();
    }
    if (clickHouseBinary()) {
      const server = await startClickHouse();
      try {
        const clickhouse = await openStore({ dataDir: path.join(dir, 'clickhouse'), store: server.url });
        try {
          backends.clickhouse = await measure(clickhouse, s);
        } finally {
          await clickhouse.close();
        }
      } finally {
        await server.stop();
      }
    } else {
      notes.push('clickhouse-server is not installed: the ClickHouse half was skipped');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rate = (b: unknown) => (b as { logLinesPerS?: number } | undefined)?.logLinesPerS ?? null;
  const ch = rate(backends.clickhouse);
  const lite = rate(backends.sqlite);
  return {
    name: 'store',
    load: `${s.calls} calls and ${s.lines} syslog lines from ${DEVICES} devices, written to each backend, then ${QUERY_RUNS} runs of each query`,
    result: { ...backends, clickhouseLogLinesPerS: ch, sqliteLogLinesPerS: lite },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    reference: backends.sqlite ? { backend: 'sqlite', logLinesPerS: lite } : null,
    ratio: ch !== null && lite ? Math.round((ch / lite) * 100) / 100 : null,
    notes,
  };
}
