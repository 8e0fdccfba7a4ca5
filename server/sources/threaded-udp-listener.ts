/**
 * A UDP listener whose socket is read on a receiver thread (udp-receiver-worker.ts); batches of
 * datagrams arrive here and are handed to `onDatagram` one by one, as the on-thread listener does.
 * Run from TypeScript source (tests), where the compiled worker does not exist, it reads on this
 * thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BatchSlices } from './batch-slices.js';
import { forEachDatagram, type DatagramBatch } from './datagram-batch.js';
import { failedListener, type Listener } from './listener.js';
import type { SourceGuard } from './source-guard.js';
import { startUdpListener, type UdpBindOptions } from './udp-listener.js';
import type { FromReceiver, ReceiverSettings, ToReceiver } from './udp-receiver-worker.js';

/** Datagrams per batch at most: a batch's bytes stay a few hundred KB. */
const BATCH_DATAGRAMS = 1024;
const BATCH_BYTES = 256 * 1024;
/** Longest a datagram waits on the receiver thread: far below what a live tail shows. */
const FLUSH_MS = 2;
/**
 * Datagrams the main thread has not taken yet beyond which the receiver drops (and counts). A 5-s
 * burst at 150,000 lines/s on 2 cores left the main thread up to 250,000 behind while the sender
 * and the store took their share of the CPU, and it caught up within a second after; 400,000 is
 * about 100 MB of syslog-size datagrams, and the bytes' bound stops long ones first.
 */
const MAX_UNACKNOWLEDGED = 400_000;
const MAX_UNACKNOWLEDGED_BYTES = 192 * 1024 * 1024;

export interface ThreadedUdpOptions extends UdpBindOptions {
  readonly onDatagram: (data: Buffer, fromAddress: string, fromPort: number) => void;
  /** Datagrams read but dropped before reaching this thread because it was behind. */
  readonly onDropped: (count: number) => void;
  readonly guard?: SourceGuard;
}

const WORKER_URL = new URL('./udp-receiver-worker.js', import.meta.url);

export function startThreadedUdpListener(o: ThreadedUdpOptions): Promise<Listener> {
  if (!existsSync(fileURLToPath(WORKER_URL))) return startUdpListener(o);
  const settings: ReceiverSettings = {
    bind: { name: o.name, bind: o.bind, port: o.port, flag: o.flag, receiveBufferBytes: o.receiveBufferBytes },
    maxDatagrams: BATCH_DATAGRAMS, batchBytes: BATCH_BYTES, flushMs: FLUSH_MS,
    maxUnacknowledged: MAX_UNACKNOWLEDGED, maxUnacknowledgedBytes: MAX_UNACKNOWLEDGED_BYTES,
  };
  const worker = new Worker(WORKER_URL, { workerData: settings });
  const deliver = (data: Buffer, address: string, port: number) => {
    if (o.guard && !o.guard.admit(address)) return;
    o.onDatagram(data, address, port);
  };
  return new Promise((resolve) => {
    let closed: (() => void) | null = null;
    let receiverClosed = false;
    const batches = new BatchSlices<DatagramBatch>((batch) => {
      forEachDatagram(batch, deliver);
      if (batch.dropped > 0) o.onDropped(batch.dropped);
      worker.postMessage({ type: 'ack', datagrams: batch.n, bytes: batch.bytes.buffer.byteLength } satisfies ToReceiver);
    }, () => { if (receiverClosed) closed?.(); });
    worker.on('message', (m: FromReceiver) => {
      if (m.type === 'batch') {
        batches.push(m.batch);
      } else if (m.type === 'bound') {
        if (m.status.state !== 'listening') void worker.terminate();
        resolve({
          status: m.status,
          close: () => new Promise<void>((r) => {
            if (m.status.state !== 'listening') return r();
            closed = r;
            worker.postMessage({ type: 'close' } satisfies ToReceiver);
          }),
        });
      } else {
        receiverClosed = true;
        if (batches.length === 0) closed?.();
      }
    });
    worker.on('error', (err) => resolve(failedListener(o.name, 'udp', o.bind, o.port, `receiver thread failed: ${err.message}`)));
  });
}
