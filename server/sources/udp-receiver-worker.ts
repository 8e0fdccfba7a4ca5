/**
 * Receiver thread: owns one UDP socket and hands what it reads to the main thread in batches. In
 * Node, reading a datagram costs more than decoding it (measured on the 2-core bench machine: a
 * bare dgram reader saturates a core near 155,000 datagrams/s), so the socket gets a thread of
 * its own and the main thread only decodes.
 *
 * The main thread acknowledges each batch; while too many datagrams are unacknowledged, new ones
 * are read and dropped here, counted and reported with the next batch, so memory stays bounded and
 * every loss is known. The bound is far above the kernel's receive buffer, so that a pause of the
 * main thread (a full garbage collection) is absorbed here rather than lost.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { plainAddress } from './listener.js';
import { bindUdpSocket, type UdpBindOptions } from './udp-listener.js';
import { DatagramBatchBuilder } from './datagram-batch.js';

export interface ReceiverSettings {
  readonly bind: UdpBindOptions;
  readonly maxDatagrams: number;
  readonly batchBytes: number;
  readonly flushMs: number;
  /** Datagrams handed over and not yet taken by the main thread, beyond which new ones are dropped here. */
  readonly maxUnacknowledged: number;
}

export type ToReceiver = { type: 'ack'; datagrams: number } | { type: 'close' };
export type FromReceiver =
  | { type: 'bound'; status: import('./listener.js').ListenerStatus }
  | { type: 'batch'; batch: import('./datagram-batch.js').DatagramBatch }
  | { type: 'closed' };

const port = parentPort!;
const settings = workerData as ReceiverSettings;
const { socket, status } = await bindUdpSocket(settings.bind);
port.postMessage({ type: 'bound', status } satisfies FromReceiver);

if (socket) {
  const builder = new DatagramBatchBuilder(settings.maxDatagrams, settings.batchBytes);
  let unacknowledged = 0;
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) { clearTimeout(timer); timer = null; }
    if (builder.n === 0 && dropped === 0) return;
    const { batch, transfer } = builder.take(dropped);
    dropped = 0;
    unacknowledged += batch.n;
    port.postMessage({ type: 'batch', batch } satisfies FromReceiver, transfer);
  };
  socket.on('message', (msg, rinfo) => {
    if (unacknowledged >= settings.maxUnacknowledged) {
      dropped++;
      if (!timer) timer = setTimeout(flush, settings.flushMs);
      return;
    }
    const from = plainAddress(rinfo.address);
    if (!builder.add(msg, from, rinfo.port)) {
      flush();
      builder.add(msg, from, rinfo.port);
    }
    if (builder.n >= settings.maxDatagrams) flush();
    else if (!timer) timer = setTimeout(flush, settings.flushMs);
  });
  port.on('message', (m: ToReceiver) => {
    if (m.type === 'ack') {
      unacknowledged -= m.datagrams;
      return;
    }
    socket.close(() => {
      flush();
      port.postMessage({ type: 'closed' } satisfies FromReceiver);
      port.close();
    });
  });
} else {
  port.close();
}
