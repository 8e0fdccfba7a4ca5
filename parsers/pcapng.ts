/**
 * pcapng blocks (draft-ietf-opsawg-pcapng): Section Header, Interface Description, Enhanced and
 * Simple Packet blocks with their options. Pure: one whole block in, a typed block out; the
 * streaming reader (server/capture/pcapng-reader.ts) finds the blocks in a file.
 *
 * | ours                               | tshark                          |
 * |------------------------------------|---------------------------------|
 * | section.majorVersion/minorVersion  | pcapng shb version (capinfos)   |
 * | interface.linkType                 | (capinfos -E: encapsulation)    |
 * | interface.unitsPerSecond           | if_tsresol (frame.time_epoch)   |
 * | interface.name                     | frame.interface_name            |
 * | packet.interfaceId                 | frame.interface_id              |
 * | packet.capturedLength              | frame.cap_len                   |
 * | packet.originalLength              | frame.len                       |
 * | packet.comments                    | frame.comment (pkt_comment)     |
 *
 * Every length is checked against the block before it is used; option lists are bounded.
 */
import { decodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'pcapng';

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
/** Obsolete Packet Block (pcapng 1.0): like an EPB with a 16-bit interface id. */
export const PCAPNG_PB = 0x00000002;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_NRB = 0x00000004;
export const PCAPNG_ISB = 0x00000005;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_DSB = 0x0000000a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Type, length ... length: the smallest block there is. */
export const PCAPNG_MIN_BLOCK_BYTES = 12;
const SHB_MIN_BYTES = 28;
const IDB_MIN_BYTES = 20;
const EPB_MIN_BYTES = 32;
const PB_MIN_BYTES = 32;
const SPB_MIN_BYTES = 16;
/** Block types a reader may meet in a well-formed file: used to find the next block after damage. */
export const PCAPNG_KNOWN_BLOCKS: ReadonlySet<number> = new Set([PCAPNG_SHB, PCAPNG_IDB, PCAPNG_PB, PCAPNG_SPB, PCAPNG_NRB, PCAPNG_ISB, PCAPNG_EPB, PCAPNG_DSB, 0x00000bad, 0x40000bad]);
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
/** More options than any writer emits; stops a hostile list from running long. */
const MAX_OPTIONS = 256;
const MICROSECONDS = 1_000_000;
const TWO_POW_32 = 0x1_0000_0000;

export interface PcapngSection {
  readonly kind: 'section';
  readonly littleEndian: boolean;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly comments: readonly string[];
}

export interface PcapngInterface {
  readonly kind: 'interface';
  readonly linkType: number;
  /** 0 = no limit. */
  readonly snapLength: number;
  /** Timestamp units per second (if_tsresol; 10^6 when absent). */
  readonly unitsPerSecond: number;
  /** Seconds added to every timestamp of this interface (if_tsoffset). */
  readonly offsetSeconds: number;
  readonly name: string | null;
  readonly comments: readonly string[];
}

export interface PcapngPacket {
  readonly kind: 'packet';
  /** A Simple Packet Block belongs to the section's first interface (0) and has no time (nulls). */
  readonly interfaceId: number;
  readonly timestampHigh: number | null;
  readonly timestampLow: number | null;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
  readonly comments: readonly string[];
}

export interface PcapngOther {
  readonly kind: 'other';
  readonly type: number;
}

export type PcapngBlock = PcapngSection | PcapngInterface | PcapngPacket | PcapngOther;

function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** A block's type and total length from its first 8 bytes, in the section's byte order. */
export function pcapngBlockHead(b: Uint8Array, le: boolean): { type: number; totalLength: number } {
  return { type: u32(b, 0, le), totalLength: u32(b, 4, le) };
}

/** The byte order a Section Header Block declares (its bytes 8–11), or an error if it is neither. */
export function pcapngSectionOrder(head: Uint8Array): boolean | DecodeError {
  if (head.length < 12) return decodeError(FORMAT, `section header too short: ${head.length} of 12 bytes`, 0);
  if (u32(head, 8, true) === BYTE_ORDER_MAGIC) return true;
  if (u32(head, 8, false) === BYTE_ORDER_MAGIC) return false;
  return decodeError(FORMAT, `byte-order magic ${Buffer.from(head.subarray(8, 12)).toString('hex')} is neither 1a2b3c4d nor 4d3c2b1a`, 8);
}

/** Whether a block's declared length is one a reader may trust enough to read that many bytes. */
export function plausibleBlockLength(totalLength: number, maxBytes: number): boolean {
  return totalLength >= PCAPNG_MIN_BLOCK_BYTES && totalLength % 4 === 0 && totalLength <= maxBytes;
}

/**
 * Decodes one whole block (type through trailing length). `littleEndian` is the section's order;
 * for a Section Header Block the block's own byte-order magic decides. `snapLength` is the first
 * interface's, needed to size a Simple Packet Block's data.
 */
export function decodePcapngBlock(block: Uint8Array, littleEndian: boolean, snapLength = 0): PcapngBlock | DecodeError {
  if (block.length < PCAPNG_MIN_BLOCK_BYTES) return decodeError(FORMAT, `block too short: ${block.length} of ${PCAPNG_MIN_BLOCK_BYTES} bytes`, 0);
  let le = littleEndian;
  if (u32(block, 0, true) === PCAPNG_SHB) {
    const order = pcapngSectionOrder(block);
    if (typeof order !== 'boolean') return order;
    le = order;
  }
  const { type, totalLength } = pcapngBlockHead(block, le);
  if (totalLength !== block.length) return decodeError(FORMAT, `block length ${totalLength} but ${block.length} bytes given`, 4);
  const trailer = u32(block, block.length - 4, le);
  if (trailer !== totalLength) return decodeError(FORMAT, `block length ${totalLength} at its start but ${trailer} at its end`, block.length - 4);
  const body = block.subarray(8, block.length - 4);
  switch (type) {
    case PCAPNG_SHB: return section(block, body, le);
    case PCAPNG_IDB: return iface(block, body, le);
    case PCAPNG_EPB: return enhancedPacket(block, body, le);
    case PCAPNG_PB: return obsoletePacket(block, body, le);
    case PCAPNG_SPB: return simplePacket(block, body, le, snapLength);
    default: return { kind: 'other', type };
  }
}

/** Milliseconds since the epoch (fractional) of a packet's 64-bit timestamp on its interface. */
export function pcapngTimeMs(high: number, low: number, i: Pick<PcapngInterface, 'unitsPerSecond' | 'offsetSeconds'>): number {
  // Split so neither part loses precision: high × 2^32 units would pass 2^53 for nanosecond clocks.
  return ((high * TWO_POW_32) / i.unitsPerSecond) * 1000 + (low / i.unitsPerSecond) * 1000 + i.offsetSeconds * 1000;
}

function section(block: Uint8Array, body: Uint8Array, le: boolean): PcapngSection | DecodeError {
  if (block.length < SHB_MIN_BYTES) return decodeError(FORMAT, `section header block too short: ${block.length} of ${SHB_MIN_BYTES} bytes`, 0);
  const opts = options(body, 16, le, 8);
  if ('kind' in opts) return opts;
  return { kind: 'section', littleEndian: le, majorVersion: u16(body, 4, le), minorVersion: u16(body, 6, le), comments: opts.comments };
}

function iface(block: Uint8Array, body: Uint8Array, le: boolean): PcapngInterface | DecodeError {
  if (block.length < IDB_MIN_BYTES) return decodeError(FORMAT, `interface description block too short: ${block.length} of ${IDB_MIN_BYTES} bytes`, 0);
  const opts = options(body, 8, le, 8);
  if ('kind' in opts) return opts;
  let unitsPerSecond = MICROSECONDS;
  let offsetSeconds = 0;
  let name: string | null = null;
  for (const o of opts.list) {
    if (o.code === IF_TSRESOL && o.value.length >= 1) {
      const v = o.value[0]!;
      // Top bit set: a power of two, else a power of ten (if_tsresol). Past 2^-63 / 10^-18 nothing is real.
      const exp = v & 0x7f;
      if ((v & 0x80) !== 0 ? exp > 63 : exp > 18) return decodeError(FORMAT, `if_tsresol ${v} is beyond any clock`, 0);
      unitsPerSecond = (v & 0x80) !== 0 ? 2 ** exp : 10 ** exp;
    } else if (o.code === IF_TSOFFSET && o.value.length >= 8) {
      const hi = u32(o.value, le ? 4 : 0, le) | 0;
      const lo = u32(o.value, le ? 0 : 4, le);
      offsetSeconds = hi * TWO_POW_32 + lo;
    } else if (o.code === IF_NAME) {
      name = Buffer.from(o.value).toString('utf8');
    }
  }
  return { kind: 'interface', linkType: u16(body, 0, le), snapLength: u32(body, 4, le), unitsPerSecond, offsetSeconds, name, comments: opts.comments };
}

function enhancedPacket(block: Uint8Array, body: Uint8Array, le: boolean): PcapngPacket | DecodeError {
  if (block.length < EPB_MIN_BYTES) return decodeError(FORMAT, `enhanced packet block too short: ${block.length} of ${EPB_MIN_BYTES} bytes`, 0);
  return packetWithOptions(body, le, u32(body, 0, le), 20);
}

function obsoletePacket(block: Uint8Array, body: Uint8Array, le: boolean): PcapngPacket | DecodeError {
  if (block.length < PB_MIN_BYTES) return decodeError(FORMAT, `packet block too short: ${block.length} of ${PB_MIN_BYTES} bytes`, 0);
  return packetWithOptions(body, le, u16(body, 0, le), 20);
}

/** EPB and PB: interface, 64-bit time, captured and original length at body offsets 4–19, then data. */
function packetWithOptions(body: Uint8Array, le: boolean, interfaceId: number, dataAt: number): PcapngPacket | DecodeError {
  const capturedLength = u32(body, 12, le);
  const padded = (capturedLength + 3) & ~3;
  if (dataAt + padded > body.length) {
    return decodeError(FORMAT, `captured length ${capturedLength} runs past the block (${body.length - dataAt} bytes of data room)`, 8 + 12);
  }
  const opts = options(body, dataAt + padded, le, 8);
  if ('kind' in opts) return opts;
  return {
    kind: 'packet',
    interfaceId,
    timestampHigh: u32(body, 4, le),
    timestampLow: u32(body, 8, le),
    capturedLength,
    originalLength: u32(body, 16, le),
    data: body.subarray(dataAt, dataAt + capturedLength),
    comments: opts.comments,
  };
}

function simplePacket(block: Uint8Array, body: Uint8Array, le: boolean, snapLength: number): PcapngPacket | DecodeError {
  if (block.length < SPB_MIN_BYTES) return decodeError(FORMAT, `simple packet block too short: ${block.length} of ${SPB_MIN_BYTES} bytes`, 0);
  const originalLength = u32(body, 0, le);
  // The data is the smaller of the original length and the snap length; the block's size bounds both.
  const room = body.length - 4;
  const capturedLength = Math.min(originalLength, snapLength > 0 ? snapLength : originalLength, room);
  return { kind: 'packet', interfaceId: 0, timestampHigh: null, timestampLow: null, capturedLength, originalLength, data: body.subarray(4, 4 + capturedLength), comments: [] };
}

interface OptionList {
  readonly list: Array<{ code: number; value: Uint8Array }>;
  readonly comments: string[];
}

/** Options from `at` to the end of the body; `blockOffset` maps body offsets to block offsets for errors. */
function options(body: Uint8Array, at: number, le: boolean, blockOffset: number): OptionList | DecodeError {
  const list: OptionList['list'] = [];
  const comments: string[] = [];
  let o = at;
  while (o + 4 <= body.length) {
    if (list.length >= MAX_OPTIONS) return decodeError(FORMAT, `more than ${MAX_OPTIONS} options`, blockOffset + o);
    const code = u16(body, o, le);
    const length = u16(body, o + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (o + 4 + length > body.length) return decodeError(FORMAT, `option ${code} of ${length} bytes runs past the block`, blockOffset + o);
    const value = body.subarray(o + 4, o + 4 + length);
    list.push({ code, value });
    if (code === OPT_COMMENT) comments.push(Buffer.from(value).toString('utf8'));
    o += 4 + ((length + 3) & ~3);
  }
  return { list, comments };
}
