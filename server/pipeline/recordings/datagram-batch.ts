/**
 * Original recording datagrams collected column by column for the store: one growing byte buffer
 * and a few typed arrays, so 100,000 datagrams a second cost no object each and cross to the store
 * worker as a handful of arrays.
 */

/** A batch as it crosses to the store: datagram i is data[ends[i-1]..ends[i]). */
export interface DatagramColumns {
  readonly n: number;
  readonly callId: Float64Array;
  /** Arrival time at the collector (or capture time), ms since the epoch. */
  readonly arrivalMs: Float64Array;
  /** The sender's UDP source port (the address is the call's device address). */
  readonly srcPort: Uint16Array;
  readonly ends: Uint32Array;
  readonly data: Uint8Array;
}

const INITIAL_DATAGRAMS = 1024;
const INITIAL_BYTES = 256 * 1024;

export class DatagramBatch {
  private callId = new Float64Array(INITIAL_DATAGRAMS);
  private arrivalMs = new Float64Array(INITIAL_DATAGRAMS);
  private srcPort = new Uint16Array(INITIAL_DATAGRAMS);
  private ends = new Uint32Array(INITIAL_DATAGRAMS);
  private data = new Uint8Array(INITIAL_BYTES);
  n = 0;
  bytes = 0;

  add(callId: number, arrivalMs: number, srcPort: number, bytes: Uint8Array): void {
    if (this.n === this.ends.length) this.growRows();
    if (this.bytes + bytes.length > this.data.length) this.growBytes(this.bytes + bytes.length);
    this.data.set(bytes, this.bytes);
    this.bytes += bytes.length;
    this.callId[this.n] = callId;
    this.arrivalMs[this.n] = arrivalMs;
    this.srcPort[this.n] = srcPort;
    this.ends[this.n] = this.bytes;
    this.n++;
  }

  /** The batch trimmed to size; the builder starts empty again. */
  take(): DatagramColumns {
    const n = this.n;
    const out: DatagramColumns = {
      n,
      callId: this.callId.slice(0, n),
      arrivalMs: this.arrivalMs.slice(0, n),
      srcPort: this.srcPort.slice(0, n),
      ends: this.ends.slice(0, n),
      data: this.data.slice(0, this.bytes),
    };
    this.n = 0;
    this.bytes = 0;
    return out;
  }

  private growRows(): void {
    const size = this.ends.length * 2;
    const grow = <T extends Float64Array | Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.callId = grow(this.callId, (k) => new Float64Array(k));
    this.arrivalMs = grow(this.arrivalMs, (k) => new Float64Array(k));
    this.srcPort = grow(this.srcPort, (k) => new Uint16Array(k));
    this.ends = grow(this.ends, (k) => new Uint32Array(k));
  }

  private growBytes(atLeast: number): void {
    let size = this.data.length * 2;
    while (size < atLeast) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.data.subarray(0, this.bytes));
    this.data = b;
  }
}

/** Datagram i of a batch (a view, no copy). */
export function datagramAt(c: DatagramColumns, i: number): Uint8Array {
  return c.data.subarray(i === 0 ? 0 : c.ends[i - 1]!, c.ends[i]!);
}
