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
    const batch: DatagramBatch = {
      n: this.n, bytes: this.bytes.subarray(0, this.used), ends: this.ends.subarray(0, this.n), from: this.from.subarray(0, this.n),
      ports: this.ports.subarray(0, this.n), addresses: this.addresses, dropped,
    };
    const transfer = [this.bytes.buffer, this.ends.buffer, this.from.buffer, this.ports.buffer] as ArrayBuffer[];
    this.bytes = uninitialised(this.byteCapacity);
    this.ends = new Uint32Array(this.maxDatagrams);
    this.from = new Uint32Array(this.maxDatagrams);
    this.ports = new Uint16Array(this.maxDatagrams);
    this.addresses = [];
    this.addressIndex = new Map();
    this.used = 0;
    this.n = 0;
    return { batch, transfer };
  }
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
