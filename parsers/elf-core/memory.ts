/**
 * The crashed process's memory as far as the core holds it: PT_LOAD segments, each with
 * `p_filesz` bytes present of `p_memsz` mapped. A read that falls into an undumped or truncated
 * range returns undefined ("memory unavailable", spec §3.1), never an error.
 */
import { FieldReader, type ByteSource } from './byte-source.js';
import { PF_W, PF_X, PT_LOAD, type ProgramHeader } from './elf-file.js';

export interface MemorySegment {
  readonly start: bigint;
  readonly end: bigint;
  readonly flags: number;
  readonly fileOffset: number;
  /** Bytes of the segment actually present in the file (p_filesz clamped to the file). */
  readonly presentBytes: number;
}

export class CoreMemory {
  readonly segments: readonly MemorySegment[];

  constructor(
    private readonly source: ByteSource,
    programHeaders: readonly ProgramHeader[],
    readonly littleEndian: boolean,
    readonly wordSize: 4 | 8,
  ) {
    this.segments = programHeaders
      .filter((ph) => ph.type === PT_LOAD && ph.memsz > 0n)
      .map((ph) => ({
        start: ph.vaddr,
        end: ph.vaddr + ph.memsz,
        flags: ph.flags,
        fileOffset: ph.offset,
        presentBytes: Math.max(0, Math.min(ph.filesz, source.size - ph.offset)),
      }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  segmentAt(address: bigint): MemorySegment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const segment = this.segments[mid]!;
      if (address < segment.start) high = mid - 1;
      else if (address >= segment.end) low = mid + 1;
      else return segment;
    }
    return undefined;
  }

  /**
   * "Could this be a return address": inside a mapping that is executable and not writable.
   * Writable+executable is excluded because MIPS and old ARM stacks are mapped RWX.
   */
  isCode(address: bigint): boolean {
    const segment = this.segmentAt(address);
    return segment !== undefined && (segment.flags & PF_X) !== 0 && (segment.flags & PF_W) === 0;
  }

  /** `length` bytes at `address` if all of them are dumped in one segment. */
  read(address: bigint, length: number): Uint8Array | undefined {
    const segment = this.segmentAt(address);
    if (segment === undefined || length < 0) return undefined;
    const within = Number(address - segment.start);
    if (within + length > segment.presentBytes) return undefined;
    const bytes = this.source.read(segment.fileOffset + within, length);
    return bytes.length === length ? bytes : undefined;
  }

  word(address: bigint): bigint | undefined {
    const bytes = this.read(address, this.wordSize);
    return bytes === undefined ? undefined : new FieldReader(bytes, this.littleEndian, this.wordSize).word(0);
  }

  /** A NUL-terminated string of at most `maxLength` bytes, read in chunks so a page edge does not lose it. */
  cString(address: bigint, maxLength: number): string | undefined {
    const segment = this.segmentAt(address);
    if (segment === undefined) return undefined;
    const available = segment.presentBytes - Number(address - segment.start);
    const bytes = this.read(address, Math.min(maxLength, Math.max(0, available)));
    if (bytes === undefined || bytes.length === 0) return undefined;
    const nul = bytes.indexOf(0);
    if (nul < 0) return undefined;
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, nul));
  }
}
