/** Shared pieces of the benchmark cases: child processes, polling, memory readings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.js';

export interface BenchOptions {
  readonly smoke: boolean;
  /** How long a case that runs for a while runs (the soak), when the user says. */
  readonly minutes?: number;
}

export interface CaseResult {
  readonly name: string;
  readonly load: string;
  readonly result: Record<string, unknown>;
  readonly peakRssMb: number | null;
  readonly reference?: Record<string, unknown> | null;
  readonly ratio?: number | null;
  readonly notes?: string[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident memory of a process (VmHWM), in MB. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Resident memory of a process now (VmRSS), in MB. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export function startCollectorProcess(args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist/server/cli.js'), 'serve', '--no-auth', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface SendResult { readonly sent: number; readonly elapsedMs: number }

/** Runs a sender process (a script of bench/) to completion and returns what it printed as JSON. */
export function runSender(script: string, args: string[]): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`sender exited ${code}`))));
  });
}

/** Polls `read` until its value stops changing for `quietMs` (or `maxMs` passes). */
export async function settle(read: () => Promise<number>, quietMs = 1500, maxMs = 60_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = await read();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(200);
    const v = await read();
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      break;
    }
  }
  return last;
}

/** Waits until the collector's health lists `listener` as listening: its web port answers before the receiver threads have bound. */
export async function waitForListener(base: string, listener: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const h = await getJson<{ listeners: Array<{ name: string; state: string }> }>(`${base}/api/health`);
      if (h.listeners.some((l) => l.name === listener && l.state === 'listening')) return;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`collector at ${base}: ${listener} did not start listening within ${timeoutMs} ms`);
}

/** Waits until the collector's dashboard answers (it answers last, once every listener is bound). */
export async function waitForDashboard(base: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await getJson(`${base}/api/health`);
      return;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`collector at ${base}: the dashboard did not answer within ${timeoutMs} ms`);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

export const UDP_SENDER = path.join(PACKAGE_ROOT, 'dist/bench/udp-sender.js');

export interface RateStep { rate: number; sent: number; stored: number; lost: number; sendSeconds: number }

/** The highest rate of a ladder with nothing lost (0 when even the first step lost something). */
export function highestZeroLossRate(steps: readonly RateStep[]): number {
  return steps.filter((s) => s.lost === 0).reduce((m, s) => Math.max(m, s.rate), 0);
}

/**
 * Starts a collector with `collectorArgs` (its web port given), then sends at each rate in turn,
 * waiting for the `source` counter to settle after each step, until a step loses something.
 */
export async function rateLadder(o: {
  readonly collectorArgs: string[];
  readonly webPort: number;
  readonly source: string;
  readonly rates: readonly number[];
  readonly send: (rate: number, offset: number) => Promise<SendResult>;
}): Promise<{ steps: RateStep[]; peakRssMb: number | null }> {
  const child = startCollectorProcess(['--web-port', String(o.webPort), ...o.collectorArgs]);
  const stored = async () => {
    const h = await getJson<{ counters: Record<string, { stored: number }> }>(`http://127.0.0.1:${o.webPort}/api/health`);
    return h.counters[o.source]?.stored ?? 0;
  };
  await waitForListener(`http://127.0.0.1:${o.webPort}`, o.source);
  const steps: RateStep[] = [];
  let offset = 0;
  try {
    for (const rate of o.rates) {
      const before = await stored();
      const s = await o.send(rate, offset);
      offset += s.sent;
      const after = await settle(stored);
      const step = { rate, sent: s.sent, stored: after - before, lost: s.sent - (after - before), sendSeconds: s.elapsedMs / 1000 };
      steps.push(step);
      if (step.lost > 0) break;
    }
    return { steps, peakRssMb: peakRssMb(child.pid!) };
  } finally {
    await stopProcess(child);
  }
}
