/** Shared pieces of the benchmark cases: child processes, polling, memory readings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../server/package-root.js';

export interface BenchOptions {
  readonly smoke: boolean;
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

export function startCollectorProcess(args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist/server/cli.js'), 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a sender process to completion and returns what it printed as JSON. */
export function runSender(args: string[]): Promise<{ sent: number; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist/bench/udp-sender.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}
