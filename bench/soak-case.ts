/**
 * Soak: the simulator's fleet (syslog, ACDR recordings, vq-rtcpxr and MS-QoE reports from calls
 * with impairments) plus a steady syslog load at debug-level rates, for `--minutes` (an hour when
 * asked: `npm run bench -- soak --minutes 60`). Every minute it prints the collector's RSS, heap,
 * store size, event-loop lag, counters and a live-tail round trip. It fails when anything sent is
 * not received (or was dropped by us), or when memory keeps growing after warm-up. A leak shows as a
 * slope, a slowing store as loss or growing lag late in the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.js';
import { blaster } from './blaster.js';
import { freePorts } from './free-ports.js';
import { getJson, peakRssMb, rssMb, settle, sleep, startCollectorProcess, stopProcess, waitForListener, type BenchOptions, type CaseResult } from './harness.js';
import { liveLatency, type Percentiles } from './live-probe.js';
import { syslogTemplates } from './syslog-lines.js';

const DEFAULT_MINUTES = 3;
const SMOKE_SECONDS = 6;
const SAMPLE_INTERVAL_MS = 60_000;
const SMOKE_SAMPLE_INTERVAL_MS = 2000;
/** A fleet of this many phones, each starting this many calls an hour: ~3,300 datagrams/s, mostly RTP. */
const PHONES = Number(process.env.IPP_SOAK_PHONES ?? 200);
const CALLS_PER_HOUR = Number(process.env.IPP_SOAK_CALLS_PER_HOUR ?? 20);
/** Syslog beside the fleet: a site's phones at debug log level. */
const SYSLOG_RATE = Number(process.env.IPP_SOAK_SYSLOG_RATE ?? 5000);
/** The store is bounded by retention: at these sizes the oldest lines and recorded calls go, so the disk is flat too. */
const RETENTION_MB = Number(process.env.IPP_SOAK_RETENTION_MB ?? 2000);
const RECORDINGS_MB = Number(process.env.IPP_SOAK_RECORDINGS_MB ?? 4096);
/** Memory is judged only on runs this long: shorter ones are still warming up. */
const JUDGE_MEMORY_AFTER_S = 600;
const WARMUP_S = 300;
/** The store indexes for search once this many lines wait (twice its own bound): past it the index is not keeping up. */
const MAX_INDEX_LAG_ROWS = 200_000;
/** Past this RSS slope (after warm-up) memory is called unbounded. */
const MAX_RSS_SLOPE_MB_PER_HOUR = 50;
const MARKER = 'soak-marker';

/** Where each kind of the simulator's datagrams is counted by the collector. */
const SOURCE_OF_KIND: Record<string, string> = {
  'syslog': 'syslog-udp', 'acdr-rtp': 'recordings', 'acdr-rtcp': 'recordings', 'sip-publish': 'sip-udp', 'sip-service': 'sip-udp',
};
const SOURCES = ['syslog-udp', 'recordings', 'sip-udp'] as const;

interface SourceCounters { received: number; stored: number; dropped: number; malformed: number; kernelDropped: number; queued: number }
interface Health {
  counters: Record<string, SourceCounters>;
  store: { sizeBytes: number; logs: number; searchIndexLag: number };
  process: { rssMb: number; heapUsedMb: number; externalMb: number; eventLoopLag: { p99Ms: number; maxMs: number } };
}
interface Sample {
  minute: number; atS: number; rssMb: number | null; heapUsedMb: number; externalMb: number; storeMb: number; storedLogs: number; indexLag: number;
  eventLoopP99Ms: number; eventLoopMaxMs: number; live: Percentiles & { missed: number };
  counters: Record<string, SourceCounters>;
}

export async function soakCase(o: BenchOptions): Promise<CaseResult> {
  const seconds = o.smoke ? SMOKE_SECONDS : Math.round((o.minutes ?? DEFAULT_MINUTES) * 60);
  const intervalMs = o.smoke ? SMOKE_SAMPLE_INTERVAL_MS : SAMPLE_INTERVAL_MS;
  const syslogRate = o.smoke ? 500 : SYSLOG_RATE;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-soak-'));
  const ports = await freePorts(1, 3);
  const [web, syslog, recordings, sip] = [ports.tcp[0]!, ports.udp[0]!, ports.udp[1]!, ports.udp[2]!];
  const child = startCollectorProcess(['--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(web), '--syslog-port', String(syslog),
    '--syslog-tcp-port', '0', '--recording-port', String(recordings), '--sip-port', String(sip), '--retention-max-mb', String(RETENTION_MB),
    '--recordings-max-mb', String(RECORDINGS_MB)]);
  const base = `http://127.0.0.1:${web}`;
  const health = () => getJson<Health>(`${base}/api/health`);
  const eventsFile = path.join(dataDir, 'fleet.events.json');
  try {
    for (const l of ['syslog-udp', 'recordings', 'sip-udp']) await waitForListener(base, l);
    const fleet = runSimulator(['--target', '127.0.0.1', '--syslog-port', String(syslog), '--recording-port', String(recordings), '--sip-port', String(sip),
      '--phones', String(PHONES), '--calls-per-hour', String(CALLS_PER_HOUR), '--duration', String(seconds), '--seed', '7', '--events', eventsFile]);
    const blast = blaster();
    const syslogLoad = blast
      ? blast.send(syslog, syslogRate * seconds, syslogRate, blast.writePool(syslogTemplates()), 0)
      : Promise.resolve({ sent: 0, elapsedMs: 0 });
    const started = performance.now();
    let fleetDone = false;
    void fleet.finally(() => { fleetDone = true; });
    const samples: Sample[] = [];
    let markersSent = 0;
    for (let minute = 1; !fleetDone; minute++) {
      await Promise.race([sleep(intervalMs), fleet]);
      if (fleetDone) break;
      const live = await liveLatency({ base, syslogPort: syslog, marker: `${MARKER}${minute}x`, count: 10, ratePerS: 20, timeoutMs: 3000, warmupMs: 0 });
      markersSent += 10;
      const h = await health();
      const s: Sample = {
        minute, atS: round((performance.now() - started) / 1000), rssMb: rssMb(child.pid!), heapUsedMb: h.process.heapUsedMb, externalMb: h.process.externalMb,
        storeMb: round(h.store.sizeBytes / 2 ** 20), storedLogs: h.store.logs, indexLag: h.store.searchIndexLag,
        eventLoopP99Ms: h.process.eventLoopLag.p99Ms, eventLoopMaxMs: h.process.eventLoopLag.maxMs,
        live: { ...live.latency, missed: live.missed }, counters: pick(h.counters),
      };
      samples.push(s);
      process.stderr.write(`soak ${o.smoke ? `${s.atS}s` : `min ${minute}`}: rss ${s.rssMb} MB, heap ${s.heapUsedMb} MB, external ${s.externalMb} MB, store ${s.storeMb} MB (${s.storedLogs} lines, index lag ${s.indexLag}), ` +
        `loop p99 ${s.eventLoopP99Ms} ms (max ${s.eventLoopMaxMs}), live p99 ${s.live.p99} ms, ` +
        SOURCES.map((src) => `${src} ${s.counters[src]!.received}/${s.counters[src]!.dropped}/${s.counters[src]!.kernelDropped}/${s.counters[src]!.queued}`).join(', ') + ' (received/dropped/kernel/queued)\n');
    }
    const simulated = await fleet;
    const blasted = await syslogLoad;
    const sent: Record<string, number> = Object.fromEntries(SOURCES.map((s) => [s, 0]));
    for (const [kind, n] of Object.entries(simulated.counts)) sent[SOURCE_OF_KIND[kind] ?? kind] = (sent[SOURCE_OF_KIND[kind] ?? kind] ?? 0) + n;
    sent['syslog-udp']! += blasted.sent + markersSent;
    await settle(async () => SOURCES.reduce(async (a, src) => (await a) + ((await health()).counters[src]?.received ?? 0), Promise.resolve(0)));
    const final = pick((await health()).counters);
    const books = Object.fromEntries(SOURCES.map((src) => {
      const c = final[src]!;
      return [src, { sent: sent[src]!, ...c, lost: sent[src]! - c.received + c.dropped }];
    }));
    const failures: string[] = [];
    for (const [src, b] of Object.entries(books)) if (b.lost !== 0) failures.push(`${src}: ${b.lost} of ${b.sent} lost (${b.kernelDropped} in the kernel buffer, ${b.dropped} dropped by the collector)`);
    const judged = samples.filter((s) => s.atS >= WARMUP_S);
    const slope = seconds >= JUDGE_MEMORY_AFTER_S ? slopePerHour(judged.map((s) => [s.atS, s.rssMb])) : null;
    if (slope !== null && slope > MAX_RSS_SLOPE_MB_PER_HOUR) failures.push(`RSS grows ${slope} MB/h after warm-up (limit ${MAX_RSS_SLOPE_MB_PER_HOUR})`);
    const lastLag = samples.at(-1)?.indexLag ?? 0;
    if (lastLag > MAX_INDEX_LAG_ROWS) failures.push(`search index ${lastLag} lines behind at the end (limit ${MAX_INDEX_LAG_ROWS}): searches scan that tail`);
    return {
      name: 'soak',
      load: `the simulator's fleet (${PHONES} phones, ${CALLS_PER_HOUR} calls/h each: ${simulated.datagrams} datagrams, ${simulated.calls} calls) ` +
        `plus ${syslogRate} syslog lines/s for ${seconds} s over loopback; a live-tail round trip of 10 marker lines per ${intervalMs / 1000} s sample; retention at ${RETENTION_MB} MB of lines and ${RECORDINGS_MB} MB of recorded datagrams`,
      result: {
        seconds,
        passed: failures.length === 0,
        failures,
        books,
        rssMb: { first: samples[0]?.rssMb ?? null, last: samples.at(-1)?.rssMb ?? null, slopeMbPerHourAfterWarmup: slope, judged: slope !== null },
        heapUsedMb: { first: samples[0]?.heapUsedMb ?? null, last: samples.at(-1)?.heapUsedMb ?? null, slopeMbPerHourAfterWarmup: slopePerHour(judged.map((s) => [s.atS, s.heapUsedMb])) },
        indexLag: { worst: Math.max(0, ...samples.map((s) => s.indexLag)), last: lastLag },
        storeMb: { first: samples[0]?.storeMb ?? null, last: samples.at(-1)?.storeMb ?? null },
        eventLoopP99Ms: { worst: Math.max(0, ...samples.map((s) => s.eventLoopP99Ms)), last: samples.at(-1)?.eventLoopP99Ms ?? null },
        liveP99Ms: { first: samples[0]?.live.p99 ?? null, last: samples.at(-1)?.live.p99 ?? null, missed: samples.reduce((a, s) => a + s.live.missed, 0) },
        sentDatagrams: Object.values(sent).reduce((a, b) => a + b, 0),
        samples,
      },
      peakRssMb: peakRssMb(child.pid!),
      notes: [
        'simulator, syslog sender, collector and this sampler share the 2 cores',
        'lost = sent − received + dropped per source: what the kernel dropped is not received, so it counts as lost',
        `memory is judged (slope after ${WARMUP_S} s) only on runs of ${JUDGE_MEMORY_AFTER_S} s or more`,
        'IPP_SOAK_PHONES, IPP_SOAK_CALLS_PER_HOUR and IPP_SOAK_SYSLOG_RATE change the load; IPP_SOAK_RETENTION_MB and IPP_SOAK_RECORDINGS_MB the budgets',
      ],
    };
  } finally {
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Simulated { counts: Record<string, number>; datagrams: number; calls: number }

/** Runs `ipp-collector simulate` live and reads what it sent from its event log. */
function runSimulator(args: string[]): Promise<Simulated> {
  const eventsFile = args[args.indexOf('--events') + 1]!;
  return new Promise((resolve, reject) => {
    const sim = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist/server/cli.js'), 'simulate', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    sim.on('error', reject);
    sim.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`simulate exited ${code}`));
      const log = JSON.parse(readFileSync(eventsFile, 'utf8')) as { counts: Record<string, number>; calls: unknown[] };
      resolve({ counts: log.counts, datagrams: Object.values(log.counts).reduce((a, b) => a + b, 0), calls: log.calls.length });
    });
  });
}

function pick(counters: Record<string, SourceCounters>): Record<string, SourceCounters> {
  return Object.fromEntries(SOURCES.map((src) => {
    const c = counters[src];
    return [src, { received: c?.received ?? 0, stored: c?.stored ?? 0, dropped: c?.dropped ?? 0, malformed: c?.malformed ?? 0, kernelDropped: c?.kernelDropped ?? 0, queued: c?.queued ?? 0 }];
  }));
}

/** Least-squares slope of a value over time (seconds), per hour. */
function slopePerHour(points: ReadonlyArray<readonly [number, number | null]>): number | null {
  const pts = points.filter((p): p is [number, number] => p[1] !== null).map(([s, y]) => ({ x: s / 3600, y }));
  if (pts.length < 2) return null;
  const mx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const my = pts.reduce((a, p) => a + p.y, 0) / pts.length;
  const sxx = pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? null : round(pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
