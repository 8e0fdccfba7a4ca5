/**
 * Reads what the kernel dropped on our UDP sockets (see parsers/proc-net-udp.ts). Listeners bind
 * exclusively, so a local port names one of our sockets; a dual-stack socket shows in udp6 only.
 */
import { readFile } from 'node:fs/promises';
import { parseProcNetUdp } from '../../parsers/proc-net-udp.js';
import type { Counters } from '../counters.js';
import type { ListenerStatus } from './listener.js';

const TABLES = ['/proc/net/udp', '/proc/net/udp6'];

/** Kernel drops per local port, or null where the tables do not exist (not Linux). */
export async function readKernelUdpDrops(): Promise<Map<number, number> | null> {
  const texts = await Promise.all(TABLES.map((t) => readFile(t, 'utf8').catch(() => null)));
  if (texts.every((t) => t === null)) return null;
  const drops = new Map<number, number>();
  for (const text of texts) {
    for (const row of parseProcNetUdp(text ?? '')) drops.set(row.localPort, (drops.get(row.localPort) ?? 0) + row.drops);
  }
  return drops;
}

/**
 * Copies each listening UDP socket's kernel drops into its source's counters every interval, so
 * /api/health and the dashboard show losses that happened before the collector saw a datagram.
 */
export function startKernelDropSampler(listeners: () => readonly ListenerStatus[], counters: Counters, intervalMs: number): () => void {
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const drops = await readKernelUdpDrops();
      if (!drops) return;
      for (const l of listeners()) {
        if (l.transport !== 'udp' || l.state !== 'listening') continue;
        counters.source(l.name).kernelDropped = drops.get(l.port) ?? 0;
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  void sample();
  return () => clearInterval(timer);
}
