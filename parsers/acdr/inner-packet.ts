/**
 * The "header added" payload of an ACDR record: the recorded packet with its original IP header
 * (or, for T.38 and DTLS, only its UDP header). We unwrap it so the inner payload can go to the
 * same decoder as a record without the flag, and keep the addresses for stream grouping.
 */
import { ipv4Text, ipv6Text } from './ip-text.js';

export interface AcdrInnerPacket {
  /** 4 or 6; null when only a UDP header was recorded (T.38, DTLS). */
  readonly ipVersion: 4 | 6 | null;
  readonly srcAddr: string | null;
  readonly dstAddr: string | null;
  /** IP protocol number (17 UDP, 6 TCP, ...). */
  readonly protocol: number;
  /** Null when the transport is neither UDP nor TCP. */
  readonly srcPort: number | null;
  readonly dstPort: number | null;
  /** Offset of the inner payload from the start of the ACDR payload (before unwrapping). */
  readonly headerBytes: number;
}

const IPV4_MIN_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const UDP_HEADER_BYTES = 8;
const TCP_MIN_HEADER_BYTES = 20;
const IP_PROTO_TCP = 6;
const IP_PROTO_UDP = 17;

export interface InnerResult {
  readonly inner: AcdrInnerPacket;
  /** End of the inner payload (IP total length / UDP length may be shorter than the record). */
  readonly payloadEnd: number;
}

/** Parses the UDP header at `o`; `end` bounds the record. Returns a message on failure. */
export function parseInnerUdp(b: Uint8Array, o: number, end: number): InnerResult | string {
  if (end - o < UDP_HEADER_BYTES) return `header_added UDP header truncated: ${end - o} of ${UDP_HEADER_BYTES} bytes at offset ${o}`;
  return {
    inner: {
      ipVersion: null,
      srcAddr: null,
      dstAddr: null,
      protocol: IP_PROTO_UDP,
      srcPort: (b[o]! << 8) | b[o + 1]!,
      dstPort: (b[o + 2]! << 8) | b[o + 3]!,
      headerBytes: UDP_HEADER_BYTES,
    },
    payloadEnd: udpPayloadEnd(b, o, end),
  };
}

function udpPayloadEnd(b: Uint8Array, o: number, end: number): number {
  const udpLen = (b[o + 4]! << 8) | b[o + 5]!;
  // A lying UDP length must not push the payload past the record, nor before the header end.
  return udpLen >= UDP_HEADER_BYTES && o + udpLen <= end ? o + udpLen : end;
}

/** Parses an IPv4/IPv6 header at `o`, then UDP or TCP when present. */
export function parseInnerIp(b: Uint8Array, o: number, end: number): InnerResult | string {
  if (end - o < 1) return `header_added IP header missing at offset ${o}`;
  const ipVersion = b[o]! >> 4;
  let protocol: number;
  let ipEnd: number;
  let t: number;
  let srcAddr: string;
  let dstAddr: string;
  if (ipVersion === 4) {
    const ihl = (b[o]! & 0x0f) * 4;
    if (ihl < IPV4_MIN_HEADER_BYTES || end - o < ihl) return `header_added IPv4 header truncated: ${end - o} of ${Math.max(ihl, IPV4_MIN_HEADER_BYTES)} bytes at offset ${o}`;
    const totalLen = (b[o + 2]! << 8) | b[o + 3]!;
    ipEnd = totalLen >= ihl && o + totalLen <= end ? o + totalLen : end;
    protocol = b[o + 9]!;
    srcAddr = ipv4Text(b, o + 12);
    dstAddr = ipv4Text(b, o + 16);
    t = o + ihl;
  } else if (ipVersion === 6) {
    if (end - o < IPV6_HEADER_BYTES) return `header_added IPv6 header truncated: ${end - o} of ${IPV6_HEADER_BYTES} bytes at offset ${o}`;
    const payloadLen = (b[o + 4]! << 8) | b[o + 5]!;
    ipEnd = o + IPV6_HEADER_BYTES + payloadLen <= end ? o + IPV6_HEADER_BYTES + payloadLen : end;
    // Extension headers are not walked: recorded media packets do not carry them.
    protocol = b[o + 6]!;
    srcAddr = ipv6Text(b, o + 8);
    dstAddr = ipv6Text(b, o + 24);
    t = o + IPV6_HEADER_BYTES;
  } else {
    return `header_added payload is not IPv4/IPv6 (version nibble ${ipVersion}) at offset ${o}`;
  }
  let srcPort: number | null = null;
  let dstPort: number | null = null;
  let payloadStart = t;
  let payloadEnd = ipEnd;
  if (protocol === IP_PROTO_UDP) {
    if (ipEnd - t < UDP_HEADER_BYTES) return `header_added UDP header truncated: ${ipEnd - t} of ${UDP_HEADER_BYTES} bytes at offset ${t}`;
    srcPort = (b[t]! << 8) | b[t + 1]!;
    dstPort = (b[t + 2]! << 8) | b[t + 3]!;
    payloadStart = t + UDP_HEADER_BYTES;
    payloadEnd = udpPayloadEnd(b, t, ipEnd);
  } else if (protocol === IP_PROTO_TCP) {
    if (ipEnd - t < TCP_MIN_HEADER_BYTES) return `header_added TCP header truncated: ${ipEnd - t} of ${TCP_MIN_HEADER_BYTES} bytes at offset ${t}`;
    const dataOffset = (b[t + 12]! >> 4) * 4;
    if (dataOffset < TCP_MIN_HEADER_BYTES || ipEnd - t < dataOffset) return `header_added TCP data offset ${dataOffset} invalid at offset ${t}`;
    srcPort = (b[t]! << 8) | b[t + 1]!;
    dstPort = (b[t + 2]! << 8) | b[t + 3]!;
    payloadStart = t + dataOffset;
  }
  return {
    inner: { ipVersion, srcAddr, dstAddr, protocol, srcPort, dstPort, headerBytes: payloadStart - o },
    payloadEnd,
  };
}
