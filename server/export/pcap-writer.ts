/**
 * Classic libpcap file writer (the format every tool opens). Timestamps are microseconds since the
 * epoch as a bigint-free pair so long captures keep exact device times.
 */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_GLOBAL_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;

export interface PcapRecord {
  /** Seconds since the Unix epoch. */
  readonly tsSec: number;
  /** Microseconds within the second, 0..999999. */
  readonly tsUsec: number;
  readonly data: Uint8Array;
  /** Length on the wire when `data` was cut by a snap length. */
  readonly origLen?: number;
}

export function pcapGlobalHeader(linkType: number, snapLen = 262144): Buffer {
  const b = Buffer.alloc(PCAP_GLOBAL_HEADER_BYTES);
  b.writeUInt32LE(PCAP_MAGIC_US, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(snapLen, 16);
  b.writeUInt32LE(linkType, 20);
  return b;
}

export function pcapRecord(rec: PcapRecord): Buffer {
  const b = Buffer.alloc(PCAP_RECORD_HEADER_BYTES + rec.data.length);
  b.writeUInt32LE(rec.tsSec >>> 0, 0);
  b.writeUInt32LE(rec.tsUsec >>> 0, 4);
  b.writeUInt32LE(rec.data.length, 8);
  b.writeUInt32LE(rec.origLen ?? rec.data.length, 12);
  b.set(rec.data, PCAP_RECORD_HEADER_BYTES);
  return b;
}

export function pcapFile(linkType: number, records: Iterable<PcapRecord>): Buffer {
  const parts: Buffer[] = [pcapGlobalHeader(linkType)];
  for (const r of records) parts.push(pcapRecord(r));
  return Buffer.concat(parts);
}

/** Milliseconds (possibly fractional) since the epoch → pcap's seconds + microseconds. */
export function pcapTime(epochMs: number): { tsSec: number; tsUsec: number } {
  const us = Math.round(epochMs * 1000);
  return { tsSec: Math.floor(us / 1_000_000), tsUsec: us % 1_000_000 };
}
