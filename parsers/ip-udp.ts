/**
 * Link layer → IP → UDP unwrapping of one captured frame, so each UDP payload can go to its
 * application decoder (SIP, ACDR, syslog, RTP/RTCP).
 *
 * | ours                        | tshark                                  |
 * |-----------------------------|-----------------------------------------|
 * | vlanIds[i]                  | vlan.id                                 |
 * | etherType                   | eth.type (sll.etype)                    |
 * | ip.version                  | ip.version / ipv6.version               |
 * | ip.src / ip.dst             | ip.src / ip.dst, ipv6.src / ipv6.dst    |
 * | ip.protocol                 | ip.proto / ipv6.nxt (after extensions)  |
 * | ip.moreFragments            | ip.flags.mf (ipv6.fragment.more)        |
 * | ip.fragmentOffset (bytes)   | ip.frag_offset (ipv6.fragment.offset×8) |
 * | udp.srcPort / udp.dstPort   | udp.srcport / udp.dstport               |
 * | udp.length                  | udp.length                              |
 *
 * Link types: Ethernet (1, with 802.1Q/802.1ad tags), raw IP (101, 228 IPv4, 229 IPv6), BSD
 * loopback (0, 108), Linux cooked v1 (113) and v2 (276): what tcpdump on a mirror port, a Linux box
 * (`-i any`) or a phone-side tool writes. Fragments are reported as such, not reassembled here.
 */
import { decodeError, type DecodeError } from './decode-error.js';
import { ipv4Text, ipv6Text } from './acdr/ip-text.js';

const FORMAT = 'ip-udp';

export const LINKTYPE_NULL = 0;
/** OpenBSD loopback: like NULL, but the family is always in network order. */
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERNET_HEADER_BYTES = 14;
const VLAN_TAG_BYTES = 4;
/** More tags than any real network stacks; stops a frame of repeated tags from looping long. */
const MAX_VLAN_TAGS = 4;
const IPV4_MIN_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const UDP_HEADER_BYTES = 8;
const IP_PROTO_UDP = 17;
const IPV6_EXTENSION_HEADERS: ReadonlySet<number> = new Set([0, 43, 60]);
const IPV6_FRAGMENT_HEADER = 44;
/** Hop-by-hop, routing, destination options: bounded so a hostile chain cannot run on. */
const MAX_IPV6_EXTENSIONS = 8;

export interface IpHeader {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  /** Transport protocol (17 UDP, 6 TCP, ...), after IPv6 extension headers. */
  readonly protocol: number;
  readonly moreFragments: boolean;
  /** Offset of this fragment's data in the original datagram, bytes. */
  readonly fragmentOffset: number;
  /** IPv4 identification or IPv6 fragment id, to reassemble fragments. */
  readonly fragmentId: number;
  /** The IP payload (after IPv4 options / IPv6 extension headers), trimmed to the IP length. */
  readonly payload: Uint8Array;
}

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly payload: Uint8Array;
  /** The capture kept fewer bytes than the UDP length says (snap length). */
  readonly truncated: boolean;
}

export interface LinkFrame {
  readonly etherType: number | null;
  readonly vlanIds: readonly number[];
  /** Null for a frame that carries no IP (ARP, LLDP, ...). */
  readonly ip: IpHeader | null;
  /** Null when not UDP, or a non-first fragment (its UDP header is in the first one). */
  readonly udp: UdpHeader | null;
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/** Decodes one captured frame of the given pcap link type. */
export function decodeIpUdp(linkType: number, frame: Uint8Array): LinkFrame | DecodeError {
  const link = unwrapLink(linkType, frame);
  if (typeof link === 'string') return decodeError(FORMAT, link, 0);
  const { etherType, vlanIds, offset } = link;
  if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return { etherType, vlanIds, ip: null, udp: null };
  const ip = etherType === ETHERTYPE_IPV4 ? decodeIpv4(frame, offset) : decodeIpv6(frame, offset);
  if (typeof ip === 'string') return decodeError(FORMAT, ip, offset);
  if (ip.protocol !== IP_PROTO_UDP || ip.fragmentOffset !== 0) return { etherType, vlanIds, ip, udp: null };
  const udp = decodeUdp(ip.payload);
  if (typeof udp === 'string') return decodeError(FORMAT, udp, offset);
  return { etherType, vlanIds, ip, udp };
}

/** Decodes a UDP header and payload (also used on a reassembled datagram). */
export function decodeUdp(b: Uint8Array): UdpHeader | string {
  if (b.length < UDP_HEADER_BYTES) return `UDP header too short: ${b.length} of ${UDP_HEADER_BYTES} bytes`;
  const length = u16(b, 4);
  if (length < UDP_HEADER_BYTES) return `UDP length ${length} is less than its header`;
  const end = Math.min(length, b.length);
  return { srcPort: u16(b, 0), dstPort: u16(b, 2), length, payload: b.subarray(UDP_HEADER_BYTES, end), truncated: length > b.length };
}

function unwrapLink(linkType: number, b: Uint8Array): { etherType: number | null; vlanIds: number[]; offset: number } | string {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (b.length < ETHERNET_HEADER_BYTES) return `Ethernet header too short: ${b.length} of ${ETHERNET_HEADER_BYTES} bytes`;
      let type = u16(b, 12);
      let o = ETHERNET_HEADER_BYTES;
      const vlanIds: number[] = [];
      while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
        if (vlanIds.length >= MAX_VLAN_TAGS) return `more than ${MAX_VLAN_TAGS} VLAN tags`;
        if (b.length < o + VLAN_TAG_BYTES) return `VLAN tag cut off at offset ${o}`;
        vlanIds.push(u16(b, o) & 0x0fff);
        type = u16(b, o + 2);
        o += VLAN_TAG_BYTES;
      }
      return { etherType: type, vlanIds, offset: o };
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6: {
      if (b.length < 1) return 'empty frame';
      const version = b[0]! >> 4;
      return { etherType: version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : null, vlanIds: [], offset: 0 };
    }
    case LINKTYPE_LOOP:
    case LINKTYPE_NULL: {
      if (b.length < 4) return `loopback header too short: ${b.length} of 4 bytes`;
      // The address family is in the host order of the capturing machine: read both.
      const family = b[0] !== 0 ? b[0]! : b[3]!;
      const etherType = family === 2 ? ETHERTYPE_IPV4 : family === 24 || family === 28 || family === 30 ? ETHERTYPE_IPV6 : null;
      return { etherType, vlanIds: [], offset: 4 };
    }
    case LINKTYPE_LINUX_SLL:
      if (b.length < 16) return `Linux cooked header too short: ${b.length} of 16 bytes`;
      return { etherType: u16(b, 14), vlanIds: [], offset: 16 };
    case LINKTYPE_LINUX_SLL2:
      if (b.length < 20) return `Linux cooked v2 header too short: ${b.length} of 20 bytes`;
      return { etherType: u16(b, 0), vlanIds: [], offset: 20 };
    default:
      return `link type ${linkType} is not supported (Ethernet, raw IP, loopback and Linux cooked are)`;
  }
}

function decodeIpv4(b: Uint8Array, o: number): IpHeader | string {
  if (b.length < o + IPV4_MIN_HEADER_BYTES) return `IPv4 header too short: ${b.length - o} of ${IPV4_MIN_HEADER_BYTES} bytes`;
  if (b[o]! >> 4 !== 4) return `IP version ${b[o]! >> 4} where IPv4 was announced`;
  const headerBytes = (b[o]! & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) return `IPv4 header length ${headerBytes} is below ${IPV4_MIN_HEADER_BYTES}`;
  if (b.length < o + headerBytes) return `IPv4 options cut off: ${b.length - o} of ${headerBytes} bytes`;
  const total = u16(b, o + 2);
  if (total < headerBytes) return `IPv4 total length ${total} is less than its header (${headerBytes})`;
  const flagsFrag = u16(b, o + 6);
  // Ethernet pads short frames; the IP total length says where the datagram ends.
  const end = Math.min(b.length, o + total);
  return {
    version: 4,
    src: ipv4Text(b, o + 12),
    dst: ipv4Text(b, o + 16),
    protocol: b[o + 9]!,
    moreFragments: (flagsFrag & 0x2000) !== 0,
    fragmentOffset: (flagsFrag & 0x1fff) * 8,
    fragmentId: u16(b, o + 4),
    payload: b.subarray(o + headerBytes, end),
  };
}

function decodeIpv6(b: Uint8Array, o: number): IpHeader | string {
  if (b.length < o + IPV6_HEADER_BYTES) return `IPv6 header too short: ${b.length - o} of ${IPV6_HEADER_BYTES} bytes`;
  if (b[o]! >> 4 !== 6) return `IP version ${b[o]! >> 4} where IPv6 was announced`;
  const end = Math.min(b.length, o + IPV6_HEADER_BYTES + u16(b, o + 4));
  let next = b[o + 6]!;
  let p = o + IPV6_HEADER_BYTES;
  let moreFragments = false;
  let fragmentOffset = 0;
  let fragmentId = 0;
  for (let n = 0; IPV6_EXTENSION_HEADERS.has(next) || next === IPV6_FRAGMENT_HEADER; n++) {
    if (n >= MAX_IPV6_EXTENSIONS) return `more than ${MAX_IPV6_EXTENSIONS} IPv6 extension headers`;
    if (end < p + 8) return `IPv6 extension header ${next} cut off at offset ${p}`;
    if (next === IPV6_FRAGMENT_HEADER) {
      const field = u16(b, p + 2);
      fragmentOffset = (field >> 3) * 8;
      moreFragments = (field & 1) !== 0;
      fragmentId = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      next = b[p]!;
      p += 8;
    } else {
      const length = (b[p + 1]! + 1) * 8;
      if (end < p + length) return `IPv6 extension header ${next} cut off at offset ${p}`;
      next = b[p]!;
      p += length;
    }
  }
  return {
    version: 6,
    src: ipv6Text(b, o + 8),
    dst: ipv6Text(b, o + 24),
    protocol: next,
    moreFragments,
    fragmentOffset,
    fragmentId,
    payload: b.subarray(p, end),
  };
}
