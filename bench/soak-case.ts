/**
 * Soak: syslog at a steady rate (by default half the highest zero-loss rate measured on this
 * machine) for an hour, sampled every 10 s: resident memory, stored vs sent, and the live push
 * latency of a marker line (sent by UDP, received by a socket.io client subscribed to it). A leak
 * shows as an RSS slope, a slowing store as loss or growing latency late in the run.
 * Only run when asked (`npm run bench -- --case soak`); the smoke run does 5 s of it.
 */
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { getJson, peakRssMb, runSender, settle, sleep, startCollectorProcess, stopProcess, UDP_SENDER, type BenchOptions, type CaseResult } from './harness.js';

const DEFAULT_RATE = 25_000;
const DEFAULT_SECONDS = 3600;
const SMOKE_RATE = 2000;
const SMOKE_SECONDS = 5;
const SAMPLE_INTERVAL_MS = 10_000;
const SMOKE_SAMPLE_INTERVAL_MS = 1000;
/** Early and late behaviour are compared over this long at each end (or a third of a shorter run). */
const COMPARE_WINDOW_S = 600;
/** Memory grows while caches and the heap warm up; the slope of a long run leaves this start out. */
const WARMUP_S = 60;
const BASE_PORT = 47_300;
const MARKER = 'soak-marker';

interface Sample { atS: number; rssMb: number | null; sentEstimate: number; stored: number; dropped: number; latencyMs: number | null }
interface Health { counters: Record<string, { stored: number; dropped: number }> }

export async function soakCase(o: BenchOptions): Promise<CaseResult> {
  const rate = o.smoke ? SMOKE_RATE : Number(process.env.IPP_SOAK_RATE ?? DEFAULT_RATE);
  const seconds = o.smoke ? SMOKE_SECONDS : Number(process.env.IPP_SOAK_SECONDS ?? DEFAULT_SECONDS);
  const intervalMs = o.smoke ? SMOKE_SAMPLE_INTERVAL_MS : SAMPLE_INTERVAL_MS;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-bench-soak-'));
  const [web, udp] = [BASE_PORT, BASE_PORT + 1];
  const child = startCollectorProcess(['--data-dir', dataDir, '--bind', '127.0.0.1', '--web-port', String(web), '--syslog-port', String(udp),
    '--syslog-tcp-port', '0', '--recording-port', '0', '--sip-port', '0', '--retention-max-mb', '100000']);
  const base = `http://127.0.0.1:${web}`;
  const health = () => getJson<Health>(`${base}/api/health`);
  for (let i = 0; i < 100; i++) {
    try { await health(); break; } catch { await sleep(100); }
  }
  const live = await subscribe(base);
  const markers = dgram.createSocket('udp4');
  try {
    const samples: Sample[] = [];
    const start = performance.now();
    const sending = runSender(UDP_SENDER, ['127.0.0.1', String(udp), String(rate), String(seconds)]);
    let done = false;
    void sending.finally(() => { done = true; });
    for (let n = 0; !done; n++) {
      await Promise.race([sleep(intervalMs), sending]);
      if (done) break;
      const latencyMs = await live.roundTrip(n, (text) => new Promise<void>((r) => markers.send(text, udp, '127.0.0.1', () => r())));
      const h = await health();
      const atS = (performance.now() - start) / 1000;
      samples.push({
        atS: round(atS), rssMb: currentRssMb(child.pid!), sentEstimate: Math.min(Math.round(rate * atS), rate * seconds),
        stored: h.counters['syslog-udp']?.stored ?? 0, dropped: h.counters['syslog-udp']?.dropped ?? 0, latencyMs,
      });
    }
    const { sent } = await sending;
    const markersSent = samples.length;
    const stored = await settle(async () => (await health()).counters['syslog-udp']?.stored ?? 0);
    const dropped = (await health()).counters['syslog-udp']?.dropped ?? 0;
    const window = Math.min(COMPARE_WINDOW_S, seconds / 3);
    const early = samples.filter((s) => s.atS <= window);
    const late = samples.filter((s) => s.atS >= seconds - window);
    return {
      name: 'soak',
      load: `UDP syslog over loopback at ${rate} lines/s for ${seconds} s (80-400 byte lines), one marker line per ${intervalMs / 1000} s sample timed through a live socket.io subscription`,
      result: {
        rateLinesPerS: rate,
        seconds,
        sent,
        stored: stored - markersSent,
        lost: sent + markersSent - stored,
        dropped,
        lossPct: round(((sent + markersSent - stored) / Math.max(1, sent + markersSent)) * 100, 4),
        rssSlopeMbPerHour: rssSlopeMbPerHour(seconds > 3 * WARMUP_S ? samples.filter((s) => s.atS >= WARMUP_S) : samples),
        latencyMs: { first: percentiles(early), last: percentiles(late), windowS: window },
        markersMissed: samples.filter((s) => s.latencyMs === null).length,
        samples,
      },
      peakRssMb: peakRssMb(child.pid!),
      notes: ['sender, collector and this sampler share the 2 cores; the default rate is half the syslog case\'s highest zero-loss rate (IPP_SOAK_RATE, IPP_SOAK_SECONDS change it)'],
    };
  } finally {
    markers.close();
    live.close();
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Resident memory now (VmRSS), in MB. */
function currentRssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

const MARKER_TIMEOUT_MS = 5000;

/** A live-tail client subscribed to the marker lines; `roundTrip` sends one and times its arrival. */
async function subscribe(base: string): Promise<{ roundTrip(n: number, send: (text: string) => Promise<void>): Promise<number | null>; close(): void }> {
  const socket: Socket = ioClient(base, { transports: ['websocket'] });
  const waiting = new Map<string, (at: number) => void>();
  socket.on('logs:batch', (batch: { lines: Array<{ message: string }> }) => {
    const at = performance.now();
    for (const line of batch.lines) {
      const key = /soak-marker-\d+/.exec(line.message)?.[0];
      if (key) waiting.get(key)?.(at);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await new Promise<void>((resolve) => socket.emit('logs:subscribe', { q: MARKER }, () => resolve()));
  return {
    async roundTrip(n, send) {
      const key = `${MARKER}-${n}`;
      const arrived = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), MARKER_TIMEOUT_MS);
        waiting.set(key, (at) => { clearTimeout(timer); resolve(at); });
      });
      const sentAt = performance.now();
      await send(`<134>Nov 26 10:00:01 voip_task[412]: ${key} live latency probe`);
      const at = await arrived;
      waiting.delete(key);
      return at === null ? null : round(at - sentAt);
    },
    close: () => socket.close(),
  };
}

/** Least-squares slope of RSS over time, in MB per hour. */
function rssSlopeMbPerHour(samples: readonly Sample[]): number | null {
  const pts = samples.filter((s) => s.rssMb !== null).map((s) => ({ x: s.atS / 3600, y: s.rssMb! }));
  if (pts.length < 2) return null;
  const mx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const my = pts.reduce((a, p) => a + p.y, 0) / pts.length;
  const sxx = pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? null : round(pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx);
}

function percentiles(samples: readonly Sample[]): { p50: number | null; p99: number | null; n: number } {
  const v = samples.map((s) => s.latencyMs).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const at = (q: number) => (v.length === 0 ? null : v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!);
  return { p50: at(0.5), p99: at(0.99), n: v.length };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
