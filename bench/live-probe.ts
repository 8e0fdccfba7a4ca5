/**
 * Datagram-to-browser latency: marker lines sent at a steady rate while a socket.io client follows
 * the live tail filtered on the marker, each timed from its send to its arrival in a `logs:batch`.
 */
import dgram from 'node:dgram';
import { io as ioClient } from 'socket.io-client';
import { sleep } from './harness.js';

export interface Percentiles { p50: number | null; p99: number | null; n: number }

/**
 * @param o.warmupMs time between subscribing and the first marker: the collector's first second
 * under a new load runs code not compiled yet, and a marker sent then times the compiler, not
 * the steady tail a user watches.
 */
export async function liveLatency(o: { base: string; syslogPort: number; marker: string; count: number; ratePerS: number; timeoutMs: number; warmupMs: number }): Promise<{ latency: Percentiles; missed: number }> {
  const socket = ioClient(o.base, { transports: ['websocket'] });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const pattern = new RegExp(`${o.marker}-(\\d+)`);
  socket.on('logs:batch', (batch: { lines: Array<{ message: string }> }) => {
    const at = performance.now();
    for (const line of batch.lines) {
      const m = pattern.exec(line.message);
      const sent = m ? sentAt.get(Number(m[1])) : undefined;
      if (sent === undefined) continue;
      latencies.push(at - sent);
      sentAt.delete(Number(m![1]));
    }
  });
  const udp = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await new Promise<void>((resolve) => socket.emit('logs:subscribe', { q: o.marker }, () => resolve()));
    await sleep(o.warmupMs);
    const started = performance.now();
    for (let i = 0; i < o.count; i++) {
      const due = started + (i * 1000) / o.ratePerS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sentAt.set(i, performance.now());
      udp.send(`<134>Nov 26 10:00:01 voip_task[412]: ${o.marker}-${i} live latency probe`, o.syslogPort, '127.0.0.1');
    }
    const deadline = performance.now() + o.timeoutMs;
    while (sentAt.size > 0 && performance.now() < deadline) await sleep(50);
    return { latency: percentiles(latencies), missed: sentAt.size };
  } finally {
    udp.close();
    socket.close();
  }
}

export function percentiles(values: readonly number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => (v.length === 0 ? null : Math.round(v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]! * 10) / 10);
  return { p50: at(0.5), p99: at(0.99), n: v.length };
}
