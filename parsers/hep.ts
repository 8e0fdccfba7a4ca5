/**
 * HEP, Homer's encapsulation protocol: what capture agents (heplify, captagent, Kamailio siptrace,
 * FreeSWITCH, Asterisk res_hep, OpenSIPS) send of the packets they saw. Version 3 is a "HEP3"
 * header with chunks (vendor id, type id, length, value); versions 1 and 2 a fixed header before
 * the payload. Pure: bytes in, a HepPacket or a DecodeError out.
 *
 * | ours                | HEP3 chunk (vendor 0) | HEP2 field (offset)                 |
 * |---------------------|-----------------------|-------------------------------------|
 * | family (2 / 10)     | 0x0001                | 2                                   |
 * | ipProtocol          | 0x0002                | 3                                   |
 * | src / dst           | 0x0003/4 (v4), 0x0005/6 (v6) | after the ports              |
 * | srcPort / dstPort   | 0x0007 / 0x0008       | 4 / 6                               |
 * | timeSec / timeUsec  | 0x0009 / 0x000a       | after addresses, little endian (v2) |
 * | protocolType        | 0x000b (1 SIP, 5 RTCP, 100 log, ...) | (SIP)                |
 * | captureId           | 0x000c                | after the time, u16 LE (v2)         |
 * | keepAliveSec        | 0x000d                |                                     |
 * | authKey             | 0x000e                |                                     |
 * | payload             | 0x000f (0x0010 when compressed: kept, `compressed` set) | rest |
 * | correlationId       | 0x0011                |                                     |
 * | vlanId              | 0x0012                |                                     |
 * | groupId / nodeName  | 0x0013 / 0x0013       |                                     |
 * | other chunks        | kept raw in `chunks`  |                                     |
 */
import { decodeError, type DecodeError } from './decode-error.js';
import { ipv4Text, ipv6Text } from './acdr/ip-text.js';

const FORMAT = 'hep';
const HEP3_MAGIC = 0x48455033; // "HEP3"
const HEP3_HEADER_BYTES = 6;
const CHUNK_HEADER_BYTES = 6;
/** More chunks than any agent sends; stops a packet of empty chunks from running on. */
const MAX_CHUNKS = 256;
/** HEP3's length field is 16 bits: no packet is longer. */
export const MAX_HEP_BYTES = 65_535;
const HEP2_FIXED_BYTES = 8;
const AF_INET = 2;
const AF_INET6 = 10;

/** HEP protocol type ids (chunk 0x000b) we name; others are kept as numbers. */
export const HEP_PROTOCOL_TYPES: Readonly<Record<number, string>> = {
  1: 'sip', 2: 'xmpp', 3: 'sdp', 4: 'rtp', 5: 'rtcp', 6: 'mgcp', 7: 'megaco', 8: 'm2ua', 9: 'm3ua', 10: 'iax', 11: 'h322',
  12: 'h321', 13: 'm2pa', 34: 'rtcp-xr', 35: 'rtcp-json', 50: 'mos', 53: 'dns', 54: 'isup', 84: 'diameter', 100: 'log', 254: 'qos',
};

export interface HepChunk {
  readonly vendor: number;
  readonly type: number;
  readonly value: Uint8Array;
}

export interface HepPacket {
  readonly version: 1 | 2 | 3;
  readonly family: number | null;
  readonly ipProtocol: number | null;
  readonly src: string | null;
  readonly dst: string | null;
  readonly srcPort: number | null;
  readonly dstPort: number | null;
  readonly timeSec: number | null;
  readonly timeUsec: number | null;
  /** Chunk 0x000b; versions 1 and 2 carry SIP only, so 1. */
  readonly protocolType: number | null;
  readonly captureId: number | null;
  readonly keepAliveSec: number | null;
  readonly authKey: string | null;
  readonly correlationId: string | null;
  readonly vlanId: number | null;
  readonly groupId: string | null;
  readonly payload: Uint8Array | null;
  /** The payload came in chunk 0x0010 (compressed); it is handed on as sent. */
  readonly compressed: boolean;
  /** Vendor chunks and generic chunks not in the table above, raw, in order. */
  readonly chunks: readonly HepChunk[];
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u32le = (b: Uint8Array, o: number): number => ((b[o + 3]! << 24) | (b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!) >>> 0;
const text = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(b).replace(/\0+$/, '');

/** True when the bytes start like a HEP packet (HEP3 magic, or a v1/v2 header of a sane length). */
export function looksLikeHep(b: Uint8Array): boolean {
  if (b.length >= 4 && u32(b, 0) === HEP3_MAGIC) return true;
  return b.length >= 16 && (b[0] === 1 || b[0] === 2) && (b[2] === AF_INET || b[2] === AF_INET6) && b[1] === hep2HeaderBytes(b[0]!, b[2]!);
}

/** The length of the HEP packet at the start of a TCP stream's bytes, or null when more are needed. */
export function hepFrameLength(b: Uint8Array): number | null {
  if (b.length < HEP3_HEADER_BYTES) return null;
  return u32(b, 0) === HEP3_MAGIC ? u16(b, 4) : null;
}

export function decodeHep(b: Uint8Array): HepPacket | DecodeError {
  if (b.length > MAX_HEP_BYTES) return decodeError(FORMAT, `${b.length} bytes is longer than a HEP packet can be (${MAX_HEP_BYTES})`, 0);
  if (b.length >= 4 && u32(b, 0) === HEP3_MAGIC) return decodeHep3(b);
  if (b.length >= 1 && (b[0] === 1 || b[0] === 2)) return decodeHep2(b);
  return decodeError(FORMAT, `not HEP: starts with ${Buffer.from(b.subarray(0, 4)).toString('hex') || 'nothing'} (HEP3 starts "HEP3", HEP1/2 with version 1 or 2)`, 0);
}

function hep2HeaderBytes(version: number, family: number): number {
  const addresses = family === AF_INET6 ? 32 : 8;
  return HEP2_FIXED_BYTES + addresses + (version === 2 ? 12 : 0);
}

function decodeHep2(b: Uint8Array): HepPacket | DecodeError {
  const version = b[0] as 1 | 2;
  if (b.length < 4) return decodeError(FORMAT, `HEP${version} header too short: ${b.length} bytes`, 0);
  const family = b[2]!;
  if (family !== AF_INET && family !== AF_INET6) return decodeError(FORMAT, `HEP${version} address family ${family} is neither 2 (IPv4) nor 10 (IPv6)`, 2);
  const header = hep2HeaderBytes(version, family);
  if (b[1] !== header) return decodeError(FORMAT, `HEP${version} header length ${b[1]} where family ${family} needs ${header}`, 1);
  if (b.length < header) return decodeError(FORMAT, `HEP${version} header cut off: ${b.length} of ${header} bytes`, 0);
  const size = family === AF_INET6 ? 16 : 4;
  const addr = family === AF_INET6 ? ipv6Text : ipv4Text;
  const at = HEP2_FIXED_BYTES + 2 * size;
  // HEP2's time and capture id are in the sender's byte order, little endian on every agent there is.
  return {
    version, family, ipProtocol: b[3]!, srcPort: u16(b, 4), dstPort: u16(b, 6),
    src: addr(b, HEP2_FIXED_BYTES), dst: addr(b, HEP2_FIXED_BYTES + size),
    timeSec: version === 2 ? u32le(b, at) : null,
    timeUsec: version === 2 ? u32le(b, at + 4) : null,
    captureId: version === 2 ? b[at + 8]! | (b[at + 9]! << 8) : null,
    protocolType: 1, keepAliveSec: null, authKey: null, correlationId: null, vlanId: null, groupId: null,
    payload: b.subarray(header), compressed: false, chunks: [],
  };
}

function decodeHep3(b: Uint8Array): HepPacket | DecodeError {
  if (b.length < HEP3_HEADER_BYTES) return decodeError(FORMAT, `HEP3 header too short: ${b.length} of ${HEP3_HEADER_BYTES} bytes`, 0);
  const total = u16(b, 4);
  if (total < HEP3_HEADER_BYTES) return decodeError(FORMAT, `HEP3 length ${total} is less than its header`, 4);
  if (total > b.length) return decodeError(FORMAT, `HEP3 packet cut off: ${b.length} of ${total} bytes`, 4);
  const p: { -readonly [K in keyof HepPacket]: HepPacket[K] } = {
    version: 3, family: null, ipProtocol: null, src: null, dst: null, srcPort: null, dstPort: null, timeSec: null, timeUsec: null,
    protocolType: null, captureId: null, keepAliveSec: null, authKey: null, correlationId: null, vlanId: null, groupId: null,
    payload: null, compressed: false, chunks: [],
  };
  const chunks: HepChunk[] = [];
  let o = HEP3_HEADER_BYTES;
  for (let n = 0; o < total; n++) {
    if (n >= MAX_CHUNKS) return decodeError(FORMAT, `more than ${MAX_CHUNKS} chunks`, o);
    if (total - o < CHUNK_HEADER_BYTES) return decodeError(FORMAT, `chunk header cut off: ${total - o} of ${CHUNK_HEADER_BYTES} bytes`, o);
    const vendor = u16(b, o);
    const type = u16(b, o + 2);
    const length = u16(b, o + 4);
    if (length < CHUNK_HEADER_BYTES) return decodeError(FORMAT, `chunk ${vendor}/${type} length ${length} is less than its header`, o + 4);
    if (o + length > total) return decodeError(FORMAT, `chunk ${vendor}/${type} runs past the packet: ${length} bytes at offset ${o} of ${total}`, o);
    const v = b.subarray(o + CHUNK_HEADER_BYTES, o + length);
    const problem = vendor === 0 ? genericChunk(p, type, v) : 'keep';
    if (typeof problem === 'string' && problem !== 'keep') return decodeError(FORMAT, `chunk ${type}: ${problem}`, o);
    if (problem === 'keep') chunks.push({ vendor, type, value: v });
    o += length;
  }
  p.chunks = chunks;
  return p;
}

/** Sets the field of a generic chunk; 'keep' for a chunk we do not know, or a problem in words. */
function genericChunk(p: { -readonly [K in keyof HepPacket]: HepPacket[K] }, type: number, v: Uint8Array): string | 'keep' | null {
  const need = (n: number): string | null => (v.length === n ? null : `${v.length} bytes where ${n} are needed`);
  switch (type) {
    case 1: return need(1) ?? ((p.family = v[0]!), null);
    case 2: return need(1) ?? ((p.ipProtocol = v[0]!), null);
    case 3: return need(4) ?? ((p.src = ipv4Text(v, 0)), null);
    case 4: return need(4) ?? ((p.dst = ipv4Text(v, 0)), null);
    case 5: return need(16) ?? ((p.src = ipv6Text(v, 0)), null);
    case 6: return need(16) ?? ((p.dst = ipv6Text(v, 0)), null);
    case 7: return need(2) ?? ((p.srcPort = u16(v, 0)), null);
    case 8: return need(2) ?? ((p.dstPort = u16(v, 0)), null);
    case 9: return need(4) ?? ((p.timeSec = u32(v, 0)), null);
    case 10: return need(4) ?? ((p.timeUsec = u32(v, 0)), null);
    case 11: return need(1) ?? ((p.protocolType = v[0]!), null);
    case 12: return need(4) ?? ((p.captureId = u32(v, 0)), null);
    case 13: return need(2) ?? ((p.keepAliveSec = u16(v, 0)), null);
    case 14: p.authKey = text(v); return null;
    case 15: p.payload = v; return null;
    case 16: p.payload = v; p.compressed = true; return null;
    case 17: p.correlationId = text(v); return null;
    case 18: return need(2) ?? ((p.vlanId = u16(v, 0) & 0x0fff), null);
    case 19: p.groupId = text(v); return null;
    default: return 'keep';
  }
}

/** The HEP protocol type's name ("sip", "rtcp", "log"), or "type N". */
export function hepProtocolName(type: number | null): string {
  return type === null ? 'unknown' : HEP_PROTOCOL_TYPES[type] ?? `type ${type}`;
}
