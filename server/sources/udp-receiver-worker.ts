/**
 * Receiver thread: owns one UDP socket and hands what it reads to the main thread in batches. In
 * Node, reading a datagram costs more than decoding it (measured on the 2-core bench machine: a
 * bare dgram reader saturates a core near 155,000 datagrams/s), so the socket gets a thread of
 * its own and the main thread only decodes.
 *
 * Read with recvmmsg through the native addon where it was built (native-udp-socket.ts): one
 * call per batch; else with Node's dgram, one callback per datagram.
 *
 * The main thread acknowledges each batch; while too many datagrams are unacknowledged, new ones
 * are read and dropped here, counted and reported with the next batch, so memory stays bounded and
 * every loss is known. The bound is far above the kernel's receive buffer, so that a pause of the
 * main thread (a full garbage collection) is absorbed here rather than lost.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { plainAddress } from './listener.js';
import { bindUdpSocket, type UdpBindOptions } from './udp-listener.js';
import { DatagramBatchBuilder, sealBatch, uninitialised, type DatagramBatch } from './datagram-batch.js';
import { bindNativeUdpSocket, type NativeUdpSocket } from './native-udp-socket.js';

export interface ReceiverSettings {
  readonly bind: UdpBindOptions;
  readonly maxDatagrams: number;
  readonly batchBytes: number;
  readonly flushMs: number;
  /** Datagrams handed over and not yet taken by the main thread, beyond which new ones are dropped here. */
  readonly maxUnacknowledged: number;
  /** The same bound in bytes of the batches' buffers: long datagrams reach it first. */
  readonly maxUnacknowledgedBytes: number;
}

/** An acknowledgement gives back a batch's datagrams and the bytes of its buffer (batchBytes, sealBatch). */
export type ToReceiver = { type: 'ack'; datagrams: number; bytes: number } | { type: 'close' };
export type FromReceiver =
  | { type: 'bound'; status: import('./listener.js').ListenerStatus }
  | { type: 'batch'; batch: import('./datagram-batch.js').DatagramBatch }
  | { type: 'closed' };

const port = parentPort!;
const settings = workerData as ReceiverSettings;
/** Longest a native read waits for a first datagram: the acknowledgements and a close wait at most this long. */
const IDLE_MS = 50;

/** What the main thread has been handed and not taken yet. */
class Unacknowledged {
  private datagrams = 0;
  private bytes = 0;

  get full(): boolean {
    return this.datagrams >= settings.maxUnacknowledged || this.bytes >= settings.maxUnacknowledgedBytes;
  }

  handed(batch: DatagramBatch): void {
    this.datagrams += batch.n;
    this.bytes += batch.bytes.buffer.byteLength;
  }

  taken(ack: { datagrams: number; bytes: number }): void {
    this.datagrams -= ack.datagrams;
    this.bytes -= ack.bytes;
  }
}

const native = bindNativeUdpSocket(settings.bind);
if (native) {
  port.postMessage({ type: 'bound', status: native.status } satisfies FromReceiver);
  if (native.socket) readNative(native.socket);
  else port.close();
} else {
  const { socket, status } = await bindUdpSocket(settings.bind);
  port.postMessage({ type: 'bound', status } satisfies FromReceiver);
  if (socket) readDgram(socket);
  else port.close();
}

function readNative(socket: NativeUdpSocket): void {
  const held = new Unacknowledged();
  let closing = false;
  let fresh = newArrays();
  port.on('message', (m: ToReceiver) => {
    if (m.type === 'ack') held.taken(m);
    else closing = true;
  });
  const step = () => {
    if (closing) {
      socket.close();
      port.postMessage({ type: 'closed' } satisfies FromReceiver);
      port.close();
      return;
    }
    const addresses: string[] = [];
    const n = socket.receive(fresh.bytes, fresh.ends, fresh.from, fresh.ports, settings.flushMs, IDLE_MS, addresses);
    if (n > 0 && held.full) {
      // Read and dropped, counted at once; the arrays are reused.
      port.postMessage({ type: 'batch', batch: { ...empty, dropped: n } } satisfies FromReceiver);
    } else if (n > 0) {
      const { batch, transfer, arraysKept } = sealBatch(fresh, n, fresh.ends[n - 1]!, addresses, 0);
      held.handed(batch);
      port.postMessage({ type: 'batch', batch } satisfies FromReceiver, transfer);
      if (!arraysKept) fresh = newArrays();
    }
    setImmediate(step);
  };
  setImmediate(step);
}

const empty: DatagramBatch = { n: 0, bytes: new Uint8Array(0), ends: new Uint32Array(0), from: new Uint32Array(0), ports: new Uint16Array(0), addresses: [], dropped: 0 };

function newArrays() {
  return {
    bytes: uninitialised(settings.batchBytes), ends: new Uint32Array(settings.maxDatagrams),
    from: new Uint32Array(settings.maxDatagrams), ports: new Uint16Array(settings.maxDatagrams),
  };
}

function readDgram(socket: import('node:dgram').Socket): void {
  const builder = new DatagramBatchBuilder(settings.maxDatagrams, settings.batchBytes);
  const held = new Unacknowledged();
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) { clearTimeout(timer); timer = null; }
    if (builder.n === 0 && dropped === 0) return;
    const { batch, transfer } = builder.take(dropped);
    dropped = 0;
    held.handed(batch);
    port.postMessage({ type: 'batch', batch } satisfies FromReceiver, transfer);
  };
  socket.on('message', (msg, rinfo) => {
    if (held.full) {
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
      held.taken(m);
      return;
    }
    socket.close(() => {
      flush();
      port.postMessage({ type: 'closed' } satisfies FromReceiver);
      port.close();
    });
  });
}
