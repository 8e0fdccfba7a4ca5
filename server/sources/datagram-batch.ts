/**
 * Datagrams read on the receiver thread cross to the main thread in batches: the bytes end to end
 * in one transferred buffer, sender ports in a typed array and each distinct sender address once,
 * so a batch costs one message however many datagrams it holds.
 */
export interface DatagramBatch {
  readonly n: number;
  readonly bytes: Uint8Array;
  /** Datagram i spans ends[i-1]..ends[i] of `bytes`. */
  readonly ends: Uint32Array;
  /** Datagram i came from addresses[from[i]]:ports[i]. */
  readonly from: Uint32Array;
  readonly ports: Uint16Array;
  readonly addresses: string[];
  /** Datagrams read from the socket and dropped on the receiver thread since the last batch (the main thread was behind). */
  readonly dropped: number;
}

export class DatagramBatchBuilder {
  private bytes: Uint8Array;
  private ends: Uint32Array;
  private from: Uint32Array;
  private ports: Uint16Array;
  private addresses: string[] = [];
  private addressIndex = new Map<string, number>();
  private used = 0;
  n = 0;

  constructor(private readonly maxDatagrams: number, private readonly byteCapacity: number) {
    this.bytes = uninitialised(byteCapacity);
    this.ends = new Uint32Array(maxDatagrams);
    this.from = new Uint32Array(maxDatagrams);
    this.ports = new Uint16Array(maxDatagrams);
  }

  /** False when the batch is full (by count or bytes): take it and add again. */
  add(data: Uint8Array, address: string, port: number): boolean {
    if (this.n >= this.maxDatagrams) return false;
    if (this.used + data.length > this.bytes.length) {
      if (this.n > 0) return false;
      // One datagram larger than the whole buffer (up to 64 KiB): a batch of its own.
      this.bytes = uninitialised(data.length);
    }
    let a = this.addressIndex.get(address);
    if (a === undefined) {
      a = this.addresses.length;
      this.addresses.push(address);
      this.addressIndex.set(address, a);
    }
    this.bytes.set(data, this.used);
    this.used += data.length;
    this.ends[this.n] = this.used;
    this.from[this.n] = a;
    this.ports[this.n] = port;
    this.n++;
    return true;
  }

  /** The batch so far and the buffers to transfer with it; the builder starts afresh. */
  take(dropped: number): { batch: DatagramBatch; transfer: ArrayBuffer[] } {
    const sealed = sealBatch({ bytes: this.bytes, ends: this.ends, from: this.from, ports: this.ports }, this.n, this.used, this.addresses, dropped);
    if (!sealed.arraysKept) {
      this.bytes = uninitialised(this.byteCapacity);
      this.ends = new Uint32Array(this.maxDatagrams);
      this.from = new Uint32Array(this.maxDatagrams);
      this.ports = new Uint16Array(this.maxDatagrams);
    }
    this.addresses = [];
    this.addressIndex = new Map();
    this.used = 0;
    this.n = 0;
    return { batch: sealed.batch, transfer: sealed.transfer };
  }
}

/** The arrays a receiver reads datagrams into, sized for a full batch. */
export interface BatchArrays {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  readonly from: Uint32Array;
  readonly ports: Uint16Array;
}

/**
 * The first `n` datagrams (`used` bytes) of the arrays as a batch to transfer. A batch that fills
 * less than half of them is copied into buffers of its own size and the arrays are kept for the
 * next one: at a few thousand datagrams a second a batch holds a handful, and transferring the
 * whole 256 KiB each time allocated hundreds of MB a second, every queued line keeping its
 * batch's buffer alive (the soak saw 600 MB of such buffers while its store caught up).
 */
export function sealBatch(a: BatchArrays, n: number, used: number, addresses: string[], dropped: number): { batch: DatagramBatch; transfer: ArrayBuffer[]; arraysKept: boolean } {
  const arraysKept = used < a.bytes.length / 2;
  const batch: DatagramBatch = arraysKept
    ? { n, bytes: copyOf(a.bytes, used), ends: a.ends.slice(0, n), from: a.from.slice(0, n), ports: a.ports.slice(0, n), addresses, dropped }
    : { n, bytes: a.bytes.subarray(0, used), ends: a.ends.subarray(0, n), from: a.from.subarray(0, n), ports: a.ports.subarray(0, n), addresses, dropped };
  return { batch, transfer: [batch.bytes.buffer, batch.ends.buffer, batch.from.buffer, batch.ports.buffer] as ArrayBuffer[], arraysKept };
}

/** A copy in a buffer of its own (Buffer's `slice` would be a view of the same memory). */
function copyOf(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(0, length));
  return out;
}

/** A buffer of its own (not a slice of Node's pool, so it can be transferred), not zero-filled: only written bytes are sent. */
export function uninitialised(bytes: number): Uint8Array {
  return Buffer.allocUnsafeSlow(bytes);
}

/** Calls `each` for every datagram of a batch, with a Buffer view of its bytes (no copy). */
export function forEachDatagram(b: DatagramBatch, each: (data: Buffer, address: string, port: number) => void): void {
  const all = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  let start = 0;
  for (let i = 0; i < b.n; i++) {
    const end = b.ends[i]!;
    each(all.subarray(start, end), b.addresses[b.from[i]!]!, b.ports[i]!);
    start = end;
  }
}
