/**
 * RTP (RFC 3550 §5.1) packet decoder, with the RFC 8285 header-extension elements on request.
 *
 * Field ↔ tshark: version → rtp.version, padding → rtp.padding, hasExtension → rtp.ext,
 * csrcCount → rtp.cc, marker → rtp.marker, payloadType → rtp.p_type, sequence → rtp.seq,
 * timestamp → rtp.timestamp, ssrc → rtp.ssrc, csrc[] → rtp.csrc.item, extension.profile →
 * rtp.ext.profile, extension.lengthWords → rtp.ext.len, extension.data → rtp.hdr_ext (per word),
 * paddingCount → rtp.padding.count, payload → rtp.payload (padding excluded).
 * RFC 8285 elements: id → rtp.ext.rfc5285.id, data → rtp.ext.rfc5285.data.
 */
import { decodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'rtp';
const RTP_HEADER_BYTES = 12;
const RTP_VERSION = 2;
const EXT_HEADER_BYTES = 4;
const ONE_BYTE_PROFILE = 0xbede;
/** RFC 8285 two-byte form: 0x100 in the top 12 bits, "appbits" in the low 4. */
const TWO_BYTE_PROFILE_MASK = 0xfff0;
const TWO_BYTE_PROFILE = 0x1000;
const ONE_BYTE_RESERVED_ID = 15;

export interface RtpHeaderExtension {
  readonly profile: number;
  /** Length in 32-bit words, excluding the 4-byte extension header. */
  readonly lengthWords: number;
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly version: number;
  readonly padding: boolean;
  readonly hasExtension: boolean;
  readonly csrcCount: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrc: readonly number[];
  readonly extension: RtpHeaderExtension | null;
  /** Number of padding bytes (last octet), 0 without padding. */
  readonly paddingCount: number;
  /** Payload view without header, extension and padding. */
  readonly payload: Uint8Array;
  /** Offset of `payload` in the packet. */
  readonly payloadStart: number;
}

export interface RtpExtensionElement {
  readonly id: number;
  readonly data: Uint8Array;
}

const NO_CSRC: readonly number[] = Object.freeze([]);

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function decodeRtp(bytes: Uint8Array): RtpPacket | DecodeError {
  const b = bytes;
  const end = b.length;
  if (end < RTP_HEADER_BYTES) return decodeError(FORMAT, `RTP header too short: ${end} of ${RTP_HEADER_BYTES} bytes at offset 0`, 0);
  const version = b[0]! >> 6;
  if (version !== RTP_VERSION) return decodeError(FORMAT, `RTP version ${version} not supported (expected 2)`, 0);
  const padding = (b[0]! & 0x20) !== 0;
  const hasExtension = (b[0]! & 0x10) !== 0;
  const csrcCount = b[0]! & 0x0f;
  let p = RTP_HEADER_BYTES;
  if (end < p + 4 * csrcCount) return decodeError(FORMAT, `RTP CSRC list truncated: ${end - p} of ${4 * csrcCount} bytes at offset ${p}`, p);
  let csrc = NO_CSRC;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++, p += 4) list.push(u32(b, p));
    csrc = list;
  }
  let extension: RtpHeaderExtension | null = null;
  if (hasExtension) {
    if (end - p < EXT_HEADER_BYTES) return decodeError(FORMAT, `RTP header extension truncated: ${end - p} of ${EXT_HEADER_BYTES} bytes at offset ${p}`, p);
    const profile = (b[p]! << 8) | b[p + 1]!;
    const lengthWords = (b[p + 2]! << 8) | b[p + 3]!;
    const dataStart = p + EXT_HEADER_BYTES;
    if (end - dataStart < 4 * lengthWords) {
      return decodeError(FORMAT, `RTP header extension length ${lengthWords} words exceeds packet: ${end - dataStart} bytes left at offset ${p + 2}`, p + 2);
    }
    extension = { profile, lengthWords, data: b.subarray(dataStart, dataStart + 4 * lengthWords) };
    p = dataStart + 4 * lengthWords;
  }
  let paddingCount = 0;
  if (padding) {
    paddingCount = b[end - 1]!;
    if (paddingCount === 0 || paddingCount > end - p) {
      return decodeError(FORMAT, `RTP padding count ${paddingCount} invalid: ${end - p} bytes after the header`, end - 1);
    }
  }
  return {
    version,
    padding,
    hasExtension,
    csrcCount,
    marker: (b[1]! & 0x80) !== 0,
    payloadType: b[1]! & 0x7f,
    sequence: (b[2]! << 8) | b[3]!,
    timestamp: u32(b, 4),
    ssrc: u32(b, 8),
    csrc,
    extension,
    paddingCount,
    payload: b.subarray(p, end - paddingCount),
    payloadStart: p,
  };
}

/**
 * RFC 8285 elements of a one-byte (profile 0xBEDE) or two-byte (0x100x) header extension; null
 * for other profiles. Kept out of decodeRtp so ordinary media packets allocate nothing for it.
 */
export function decodeRtpExtensionElements(ext: RtpHeaderExtension): RtpExtensionElement[] | DecodeError | null {
  const oneByte = ext.profile === ONE_BYTE_PROFILE;
  if (!oneByte && (ext.profile & TWO_BYTE_PROFILE_MASK) !== TWO_BYTE_PROFILE) return null;
  const d = ext.data;
  const elements: RtpExtensionElement[] = [];
  let p = 0;
  while (p < d.length) {
    if (d[p] === 0) {
      p++; // padding between elements
      continue;
    }
    let id: number;
    let len: number;
    if (oneByte) {
      id = d[p]! >> 4;
      len = (d[p]! & 0x0f) + 1;
      // ID 15 ends processing (RFC 8285 §4.2).
      if (id === ONE_BYTE_RESERVED_ID) break;
      p += 1;
    } else {
      if (p + 2 > d.length) return decodeError(FORMAT, `RTP two-byte extension element header truncated at offset ${p}`, p);
      id = d[p]!;
      len = d[p + 1]!;
      p += 2;
    }
    if (p + len > d.length) return decodeError(FORMAT, `RTP extension element ${id} length ${len} exceeds extension: ${d.length - p} bytes left`, p);
    elements.push({ id, data: d.subarray(p, p + len) });
    p += len;
  }
  return elements;
}
