/**
 * The receiver thread (the built dist/ worker, as `serve` runs it): datagrams arrive in batches
 * with their senders, and when the main thread stops taking batches the thread drops and counts
 * instead of queueing without bound. Then the whole collector, flooded past a small receive
 * buffer, accounts for every datagram sent: read, or dropped by the kernel, and each read one
 * stored or dropped. Counting is checked here, not speed (that is the bench's job).
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import type { DatagramBatch } from '../../server/sources/datagram-batch.js';
import type { FromReceiver, ReceiverSettings } from '../../server/sources/udp-receiver-worker.js';
import { spawnCollector, type RunningCollector } from '../support/spawn-collector.js';
import { waitFor } from '../support/senders.js';

const WORKER = new URL('../../dist/server/sources/udp-receiver-worker.js', import.meta.url);
const LISTENER = new URL('../../dist/server/sources/threaded-udp-listener.js', import.meta.url);
const FLOOD = 30_000;
/** Sends `count` datagrams as fast as a socket takes them, from a thread of its own. */
const SENDER = `
const dgram = require('node:dgram');
const { workerData: { port, count } } = require('node:worker_threads');
const s = dgram.createSocket('udp4');
let left = count;
let open = 64;
const next = () => {
  if (left-- > 0) s.send('<134>Dec  6 10:00:00 phone voip_task[1]: backlog line', port, '127.0.0.1', next);
  else if (--open === 0) s.close();
};
for (let i = 0; i < 64; i++) next();
`;

async function send(port: number, lines: readonly string[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  for (const l of lines) await new Promise<void>((r) => s.send(l, port, '127.0.0.1', () => r()));
  s.close();
}

describe.runIf(existsSync(fileURLToPath(WORKER)))('UDP receiver thread', () => {
  it('hands datagrams over in batches with their senders, and drops and counts past its bound while they are not taken', async () => {
    const { udp: [port] } = await freePorts(0, 1);
    const settings: ReceiverSettings = {
      bind: { name: 'test', bind: '127.0.0.1', port: port!, flag: '--test-port', receiveBufferBytes: 1 << 20 },
      maxDatagrams: 50, batchBytes: 4096, flushMs: 2, maxUnacknowledged: 120, maxUnacknowledgedBytes: 1 << 20,
    };
    const worker = new Worker(WORKER, { workerData: settings });
    const batches: DatagramBatch[] = [];
    const bound = new Promise<FromReceiver>((resolve) => worker.on('message', (m: FromReceiver) => {
      if (m.type === 'bound') resolve(m);
      if (m.type === 'batch') batches.push(m.batch);
    }));
    try {
      expect(await bound).toMatchObject({ status: { state: 'listening', port } });
      // Never acknowledged: after 120 datagrams the thread must drop, not queue.
      await send(port!, Array.from({ length: 300 }, (_, i) => `<134>line ${i}`));
      const total = () => batches.reduce((n, b) => n + b.n + b.dropped, 0);
      await waitFor(async () => total(), (n) => n === 300, 5000);
      const handed = batches.reduce((n, b) => n + b.n, 0);
      expect(handed).toBeLessThanOrEqual(120 + 50);
      expect(batches.reduce((n, b) => n + b.dropped, 0)).toBe(300 - handed);
      const first = batches[0]!;
      expect(first.addresses).toEqual(['127.0.0.1']);
      expect(Buffer.from(first.bytes.subarray(0, first.ends[0])).toString()).toBe('<134>line 0');
      expect(batches.every((b) => b.n <= 50 && b.bytes.byteLength <= 4096)).toBe(true);
    } finally {
      await worker.terminate();
    }
  });

  for (const reader of ['recvmmsg', 'dgram'] as const) {
    it(`bounds what waits in bytes too, with ${reader}: long datagrams are dropped and counted before the datagram bound`, async () => {
      const { udp: [port] } = await freePorts(0, 1);
      const settings: ReceiverSettings = {
        bind: { name: 'test', bind: '127.0.0.1', port: port!, flag: '--test-port', receiveBufferBytes: 4 << 20 },
        maxDatagrams: 4, batchBytes: 64 * 1024, flushMs: 2, maxUnacknowledged: 100_000, maxUnacknowledgedBytes: 128 * 1024,
      };
      const worker = new Worker(WORKER, { workerData: settings, env: { ...process.env, IPP_UDP_READER: reader === 'dgram' ? 'dgram' : '' } });
      const batches: DatagramBatch[] = [];
      const bound = new Promise<FromReceiver>((resolve) => worker.on('message', (m: FromReceiver) => {
        if (m.type === 'bound') resolve(m);
        if (m.type === 'batch') batches.push(m.batch);
      }));
      try {
        expect(await bound).toMatchObject({ status: { state: 'listening' } });
        // 200 datagrams of 8 KiB, never acknowledged: 128 KiB of buffers is reached long before 100,000 datagrams.
        await send(port!, Array.from({ length: 200 }, (_, i) => `<134>long ${i} ${'x'.repeat(8 * 1024)}`));
        const total = () => batches.reduce((n, b) => n + b.n + b.dropped, 0);
        await waitFor(async () => total(), (n) => n === 200, 5000);
        const handed = batches.filter((b) => b.n > 0);
        const heldBytes = handed.reduce((n, b) => n + b.bytes.buffer.byteLength, 0);
        expect(heldBytes).toBeGreaterThanOrEqual(128 * 1024);
        // One batch past the bound at most: it is checked before each batch is handed over.
        expect(heldBytes - handed.at(-1)!.bytes.buffer.byteLength).toBeLessThan(128 * 1024);
        expect(batches.reduce((n, b) => n + b.dropped, 0)).toBe(200 - handed.reduce((n, b) => n + b.n, 0));
        expect(handed.reduce((n, b) => n + b.n, 0)).toBeLessThan(100);
      } finally {
        await worker.terminate();
      }
    });
  }

  it('decodes a backlog in slices, so it does not hold up other work (the store\'s answers)', async () => {
    const { startThreadedUdpListener } = await import(LISTENER.href) as typeof import('../../server/sources/threaded-udp-listener.js');
    const { udp: [port] } = await freePorts(0, 1);
    const DATAGRAMS = 20_000;
    let taken = 0;
    const listener = await startThreadedUdpListener({
      name: 'test', bind: '127.0.0.1', port: port!, flag: '--test-port', receiveBufferBytes: 8 << 20,
      // 50 us of decoding per datagram: a second of work, arriving far faster than that.
      onDatagram: () => { taken++; const until = performance.now() + 0.05; while (performance.now() < until); },
      onDropped: () => undefined,
    });
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => { const now = performance.now(); longestGap = Math.max(longestGap, now - last); last = now; }, 5);
    try {
      const sender = new Worker(SENDER, { eval: true, workerData: { port, count: DATAGRAMS } });
      await new Promise((r) => sender.once('exit', r));
      const sentAt = performance.now();
      await waitFor(async () => taken, (n) => n >= DATAGRAMS * 0.9, 20_000);
      // One slice (8 ms, or one batch of at most 1,024 datagrams, ~50 ms here) between timer turns, not the whole backlog.
      expect(longestGap).toBeLessThan(400);
      // And a backlog existed: the work went on well after the sender was done.
      expect(performance.now() - sentAt).toBeGreaterThan(300);
    } finally {
      clearInterval(ticker);
      await listener.close();
    }
  });

  describe('a collector flooded past its receive buffer', () => {
    let collector: RunningCollector | null = null;
    afterAll(async () => { await collector?.stop(); });

    it('counts every datagram: received + kernel-dropped = sent, received = stored + dropped + malformed', async () => {
      collector = await spawnCollector(['--udp-rcvbuf', '16384']);
      // In bursts of 50 as fast as the socket takes them: past what a 16 KB buffer holds whenever the
      // receiver is off the CPU, yet within loopback's own backlog, whose drops no socket counter sees.
      // A send the sender's own kernel refused (ENOBUFS) never left it: only the others count as sent.
      const s = dgram.createSocket('udp4');
      let refused = 0;
      for (let i = 0; i < FLOOD; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => new Promise<void>((r) =>
          s.send(`<134>Dec  6 10:00:00 phone voip_task[1]: flood line ${i + k}`, collector!.ports.syslogUdp, '127.0.0.1', (err) => { if (err) refused++; r(); }))));
      }
      s.close();
      const sent = FLOOD - refused;
      expect(sent).toBeGreaterThan(FLOOD * 0.9);
      interface Counts { received: number; kernelDropped: number; stored: number; dropped: number; malformed: number; queued: number }
      const health = async () => ((await (await fetch(`${collector!.webUrl}/api/health`)).json()) as { counters: Record<string, Counts> }).counters['syslog-udp']!;
      const c = await waitFor(health, (x) => x.received + x.kernelDropped === sent && x.queued === 0, 20_000);
      expect(c.received + c.kernelDropped).toBe(sent);
      expect(c.stored + c.dropped + c.malformed).toBe(c.received);
      expect(c.malformed).toBe(0);
    });
  });
});
