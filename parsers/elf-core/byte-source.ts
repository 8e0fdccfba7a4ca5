/**
 * Random access to a core file without holding it in memory. The server can back this with
 * positioned `fs.readSync` on a spooled file (a phone core is tens to hundreds of MB, mostly
 * PT_LOAD data the decoder never touches), tests and small uploads with a plain Uint8Array.
 * Reads are synchronous because decoders are pure functions with no I/O scheduling of their own.
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter (possibly empty) past the end, never throws. */
  read(offset: number, length: number): Uint8Array;
}

export function byteSourceFromBytes(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length))),
  };
}

/**
 * Wraps a caller-supplied source so that a read can never exceed the declared size, ask for a
 * negative or non-integer range, or escape as an exception: every length handed to `read` has
 * already been clamped against the file, so a lying header cannot make us allocate gigabytes.
 */
export function guardedSource(source: ByteSource): ByteSource {
  const size = Number.isSafeInteger(source.size) && source.size > 0 ? source.size : 0;
  return {
    size,
    read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset >= size) {
        return new Uint8Array(0);
      }
      try {
        const bytes = source.read(offset, Math.min(length, size - offset));
        return bytes instanceof Uint8Array ? bytes : new Uint8Array(0);
      } catch {
        return new Uint8Array(0);
      }
    },
  };
}

/** Fixed-endianness field access over one already-read block; reads outside the block yield 0n. */
export class FieldReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly wordSize: 4 | 8,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  has(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }

  u8(offset: number): number {
    return this.has(offset, 1) ? this.view.getUint8(offset) : 0;
  }

  u16(offset: number): number {
    return this.has(offset, 2) ? this.view.getUint16(offset, this.littleEndian) : 0;
  }

  u32(offset: number): number {
    return this.has(offset, 4) ? this.view.getUint32(offset, this.littleEndian) : 0;
  }

  i32(offset: number): number {
    return this.has(offset, 4) ? this.view.getInt32(offset, this.littleEndian) : 0;
  }

  u64(offset: number): bigint {
    return this.has(offset, 8) ? this.view.getBigUint64(offset, this.littleEndian) : 0n;
  }

  /** A pointer-sized unsigned value (`long`, `Elf_Addr`) as bigint, so 64-bit addresses stay exact. */
  word(offset: number): bigint {
    return this.wordSize === 8 ? this.u64(offset) : BigInt(this.u32(offset));
  }

  /** A NUL-terminated string inside [offset, offset + maxLength), decoded as UTF-8 with replacement. */
  cString(offset: number, maxLength: number): string {
    const end = Math.min(this.bytes.length, offset + maxLength);
    if (offset < 0 || offset >= end) return '';
    let stop = offset;
    while (stop < end && this.bytes[stop] !== 0) stop++;
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(offset, stop));
  }
}

export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
