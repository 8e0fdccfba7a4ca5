/**
 * Dashboard API and live push: a collector opens a data directory seeded with a two-hour call (a
 * sample a second) and 100,000 ended calls, then answers what the dashboard asks, timed one request
 * at a time: the two-hour call's decimated timeline, pages of the calls list under several sorts
 * (a deep offset among them) and a call's detail. Then syslog marker lines are sent at a modest
 * rate and timed from the datagram's send to their arrival at a socket.io client subscribed with
 * `logs:subscribe`, which is what a user watching the live tail waits for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './free-ports.js';
import { getJson, peakRssMb, startCollectorProcess, stopProcess, waitForDashboard, type BenchOptions, type CaseResult } from './harness.js';
import { liveLatency, percentiles, type Percentiles } from './live-probe.js';
import { LONG_CALL_ID, seedCalls } from './seed-calls.js';

const FULL = { historyCalls: 100_000, requestsPerEndpoint: 200, markers: 2000 };
const SMOKE = { historyCalls: 1000, requestsPerEndpoint: 20, markers: 200 };
/** Markers per second: a busy fleet's log rate, far below the syslog case's limits, so latency is not queueing. */
const MARKER_RATE_PER_S = 100;
/** A marker not pushed within this long counts as missed. */
const MARKER_TIMEOUT_MS = 5000;
const TIMELINE_POINTS = 600;
const PAGE_SIZE = 50;
const SORTS = ['start', 'worstMos', 'loss', 'jitter', 'duration'] as const;
const MARKER = 'api-marker';


export async function apiCase(o: BenchOptions): Promise<CaseResult> {
  const load = o.smoke ? SMOKE : FULL;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-api-'));
  let child: ReturnType<typeof startCollectorProcess> | undefined;
  try {
    const seedStarted = performance.now();
    await seedCalls(dataDir, load.historyCalls);
    const seedSeconds = round((performance.now() - seedStarted) / 1000);
    const { tcp: [webPort], udp: [syslogPort] } = await freePorts(1, 1);
    child = startCollectorProcess(['--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(webPort), '--syslog-port', String(syslogPort),
      '--syslog-tcp-port', '0', '--recording-port', '0', '--sip-port', '0']);
    const base = `http://127.0.0.1:${webPort}`;
    await waitForDashboard(base);
    const { calls } = await getJson<{ calls: Array<{ id: number }> }>(`${base}/api/calls?q=${encodeURIComponent(LONG_CALL_ID)}`);
    const longId = calls[0]?.id;
    if (longId === undefined) throw new Error('the seeded two-hour call is not listed');
    const n = load.requestsPerEndpoint;
    const deepOffset = Math.floor(load.historyCalls / 2);
    const timelineMs = await timeRequests(n, () => `${base}/api/calls/${longId}/timeline?maxPoints=${TIMELINE_POINTS}`);
    const pageMs = await timeRequests(n, (i) => `${base}/api/calls?limit=${PAGE_SIZE}&offset=${i % 2 === 0 ? deepOffset : (i * PAGE_SIZE) % deepOffset}&sort=${SORTS[i % SORTS.length]}&order=desc`);
    const detailMs = await timeRequests(n, () => `${base}/api/calls/${longId}`);
    const live = await liveLatency({ base, syslogPort: syslogPort!, marker: MARKER, count: load.markers, ratePerS: MARKER_RATE_PER_S, timeoutMs: MARKER_TIMEOUT_MS, warmupMs: 0 });
    return {
      name: 'api',
      load: `${load.historyCalls} stored calls plus a two-hour call (a sample a second); ${n} requests per endpoint, one at a time; ${load.markers} syslog markers at ${MARKER_RATE_PER_S}/s through a live socket.io subscription`,
      result: {
        seedSeconds,
        timelineP50Ms: timelineMs.p50, timelineP99Ms: timelineMs.p99,
        callsPageP50Ms: pageMs.p50, callsPageP99Ms: pageMs.p99,
        callDetailP50Ms: detailMs.p50, callDetailP99Ms: detailMs.p99,
        livePushP50Ms: live.latency.p50, livePushP99Ms: live.latency.p99,
        markersMissed: live.missed,
        callsPage: { sorts: SORTS, deepOffset, pageSize: PAGE_SIZE },
      },
      peakRssMb: peakRssMb(child.pid!),
      notes: ['the client, the collector and its store worker share the machine; calls pages alternate a deep offset (half the calls) with shallow ones, cycling the sorts',
        'live-push latency includes the live hub\'s batching of log lines'],
    };
  } finally {
    if (child) await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function timeRequests(n: number, url: (i: number) => string): Promise<Percentiles> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url(i));
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url(i)}: ${res.status}`);
    ms.push(performance.now() - t0);
  }
  return percentiles(ms);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
