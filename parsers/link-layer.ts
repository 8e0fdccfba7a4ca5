/**
 * A captured frame down to its transport: what `ip-udp.ts` finds (link layer, VLANs, IPv4/IPv6,
 * UDP), plus the TCP header when the IP payload is TCP, so SIP and syslog over TCP in a capture
 * can be reassembled and framed like live connections.
 *
 * | ours                 | tshark          |
 * |----------------------|-----------------|
 * | tcp.srcPort/dstPort  | tcp.srcport/dstport |
 * | tcp.seq              | tcp.seq_raw     |
 * | tcp.syn/fin/rst      | tcp.flags.syn/fin/reset |
 * | tcp.payload.length   | tcp.len         |
 */
import { decodeError, isDecodeError, type DecodeError } from './decode-error.js';
import { decodeIpUdp, type LinkFrame } from './ip-udp.js';

const IP_PROTO_TCP = 6;
const TCP_MIN_HEADER_BYTES = 20;

export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly payload: Uint8Array;
}

export interface TransportFrame extends LinkFrame {
  /** Null when not TCP, or a non-first IP fragment. */
  readonly tcp: TcpHeader | null;
}

export function decodeTransport(linkType: number, frame: Uint8Array): TransportFrame | DecodeError {
  const link = decodeIpUdp(linkType, frame);
  if (isDecodeError(link)) return link;
  const ip = link.ip;
  if (!ip || ip.protocol !== IP_PROTO_TCP || ip.fragmentOffset !== 0 || ip.moreFragments) return { ...link, tcp: null };
  const tcp = decodeTcp(ip.payload);
  if (typeof tcp === 'string') return decodeError('tcp', tcp, frame.length - ip.payload.length);
  return { ...link, tcp };
}

export function decodeTcp(b: Uint8Array): TcpHeader | string {
  if (b.length < TCP_MIN_HEADER_BYTES) return `TCP header too short: ${b.length} of ${TCP_MIN_HEADER_BYTES} bytes`;
  const headerBytes = (b[12]! >> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER_BYTES) return `TCP header length ${headerBytes} is below ${TCP_MIN_HEADER_BYTES}`;
  if (headerBytes > b.length) return `TCP options cut off: ${b.length} of ${headerBytes} bytes`;
  const flags = b[13]!;
  return {
    srcPort: (b[0]! << 8) | b[1]!,
    dstPort: (b[2]! << 8) | b[3]!,
    seq: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    syn: (flags & 0x02) !== 0,
    fin: (flags & 0x01) !== 0,
    rst: (flags & 0x04) !== 0,
    payload: b.subarray(headerBytes),
  };
}
