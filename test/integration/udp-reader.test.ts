/**
 * The receiver thread's two readers, the recvmmsg addon and Node's dgram, on the same traffic:
 * every datagram arrives byte for byte, in order, with its sender (IPv4 through the dual-stack
 * socket as a plain dotted quad, IPv6 as itself), empty and near-64 KiB datagrams included. The
 * build must have made the addon on this machine (Linux, a C compiler): without it the collector
 * still works, but this is where we would notice the fast path was gone.
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../bench/free-ports.js';
import type { DatagramBatch } from '../../server/sources/datagram-batch.js';
import { forEachDatagram } from '../../server/sources/datagram-batch.js';
import type { ListenerStatus } from '../../server/sources/listener.js';
import type { FromReceiver, ReceiverSettings, ToReceiver } from '../../server/sources/udp-receiver-worker.js';
import { waitFor } from '../support/senders.js';

const WORKER = new URL('../../dist/server/sources/udp-receiver-worker.js', import.meta.url);
const ADDON = new URL('../../dist/server/sources/native/recvmmsg.node', import.meta.url);

interface Received { data: Buffer; address: string; port: number }

/**
 * A free port can be taken between the probe and the bind by a test running beside this one: the
 * receiver then reports the bind failure, and another port is tried.
 */
async function receiveWith(reader: 'recvmmsg' | 'dgram', send: (port: number) => Promise<number[]>, expected: number) {
  for (let attempt = 1; ; attempt++) {
    const r = await receiveOnFreePort(reader, send, expected);
    if (r) return r;
    if (attempt === 3) throw new Error('three free ports in a row were taken before the receiver could bind them');
  }
}

async function receiveOnFreePort(reader: 'recvmmsg' | 'dgram', send: (port: number) => Promise<number[]>, expected: number) {
  const { udp: [port] } = await freePorts(0, 1);
  const settings: ReceiverSettings = {
    bind: { name: 'test', bind: '', port: port!, flag: '--test-port', receiveBufferBytes: 4 << 20 },
    maxDatagrams: 100, batchBytes: 128 * 1024, flushMs: 2, maxUnacknowledged: 100_000, maxUnacknowledgedBytes: 256 << 20,
  };
  const worker = new Worker(WORKER, { workerData: settings, env: { ...process.env, IPP_UDP_READER: reader === 'dgram' ? 'dgram' : '' } });
  const got: Received[] = [];
  const batches: DatagramBatch[] = [];
  let closed!: () => void;
  // A receiver that failed to bind ends without a 'closed' message: its exit settles it too.
  const done = new Promise<void>((r) => { closed = r; worker.once('exit', () => r()); });
  const status = await new Promise<ListenerStatus>((resolve) => worker.on('message', (m: FromReceiver) => {
    if (m.type === 'bound') resolve(m.status);
    else if (m.type === 'batch') {
      batches.push(m.batch);
      forEachDatagram(m.batch, (data, address, p) => got.push({ data: Buffer.from(data), address, port: p }));
      worker.postMessage({ type: 'ack', datagrams: m.batch.n, bytes: m.batch.bytes.buffer.byteLength } satisfies ToReceiver);
    } else closed();
  }));
  try {
    if (status.state !== 'listening') return null;
    const senderPorts = await send(port!);
    await waitFor(async () => got.length, (n) => n >= expected, 10_000);
    worker.postMessage({ type: 'close' } satisfies ToReceiver);
    await done;
    return { status, got, batches, senderPorts };
  } finally {
    await worker.terminate();
  }
}

/** 2,000 datagrams from an IPv4 and an IPv6 socket, alternating, plus an empty one and a 60,000-byte one. */
async function sendMixed(port: number): Promise<number[]> {
  const v4 = dgram.createSocket('udp4');
  const v6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  await Promise.all([new Promise<void>((r) => v4.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => v6.bind(0, '::1', () => r()))]);
  const one = (s: dgram.Socket, data: Buffer, host: string) => new Promise<void>((r, j) => s.send(data, port, host, (e) => (e ? j(e) : r())));
  for (let i = 0; i < 1000; i++) {
    await one(v4, Buffer.from(`<134>v4 line ${i}`), '127.0.0.1');
    await one(v6, Buffer.from(`<134>v6 line ${i}`), '::1');
  }
  await one(v4, Buffer.alloc(0), '127.0.0.1');
  await one(v6, Buffer.alloc(60_000, 0x61), '::1');
  const ports = [v4.address().port, v6.address().port];
  v4.close();
  v6.close();
  return ports;
}

describe.runIf(existsSync(fileURLToPath(WORKER)))('UDP readers', () => {
  it('the build made the recvmmsg addon, and the receiver thread reads with it', async () => {
    expect(existsSync(fileURLToPath(ADDON))).toBe(true);
    const { status } = await receiveWith('recvmmsg', async (port) => { await sendMixed(port); return []; }, 2002);
    expect(status).toMatchObject({ state: 'listening', reader: 'recvmmsg', address: '::' });
  });

  it('recvmmsg and dgram hand over the same datagrams, in order, with the same senders', async () => {
    const native = await receiveWith('recvmmsg', sendMixed, 2002);
    const plain = await receiveWith('dgram', sendMixed, 2002);
    expect(plain.status.reader).toBe('dgram');
    for (const r of [native, plain]) {
      const [v4Port, v6Port] = r.senderPorts;
      expect(r.got).toHaveLength(2002);
      const v4 = r.got.filter((g) => g.address === '127.0.0.1');
      const v6 = r.got.filter((g) => g.address === '::1');
      expect(v4.map((g) => g.data.toString())).toEqual([...Array.from({ length: 1000 }, (_, i) => `<134>v4 line ${i}`), '']);
      expect(v6.slice(0, 1000).map((g) => g.data.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `<134>v6 line ${i}`));
      expect(v6[1000]!.data.equals(Buffer.alloc(60_000, 0x61))).toBe(true);
      expect(new Set(v4.map((g) => g.port))).toEqual(new Set([v4Port]));
      expect(new Set(v6.map((g) => g.port))).toEqual(new Set([v6Port]));
      expect(r.batches.every((b) => b.n <= 100 && new Set(b.addresses).size === b.addresses.length)).toBe(true);
    }
  });

  it('says why when the port is taken, as the dgram reader does', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    try {
      const port = taken.address().port;
      const errors: unknown[] = [];
      for (const reader of ['recvmmsg', 'dgram'] as const) {
        const settings: ReceiverSettings = {
          bind: { name: 'syslog', bind: '127.0.0.1', port, flag: '--syslog-port', receiveBufferBytes: 1 << 20 },
          maxDatagrams: 10, batchBytes: 4096, flushMs: 2, maxUnacknowledged: 100, maxUnacknowledgedBytes: 1 << 20,
        };
        const worker = new Worker(WORKER, { workerData: settings, env: { ...process.env, IPP_UDP_READER: reader === 'dgram' ? 'dgram' : '' } });
        const m = await new Promise<FromReceiver>((r) => worker.once('message', r));
        await worker.terminate();
        expect(m).toMatchObject({ type: 'bound', status: { state: 'failed' } });
        errors.push(m.type === 'bound' && m.status.error);
      }
      expect(errors[0]).toMatch(/another program already uses it/);
      expect(errors[1]).toBe(errors[0]);
    } finally {
      taken.close();
    }
  });
});
