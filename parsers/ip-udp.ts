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
 *
 * Tunnels a mirror session or an overlay puts around the frame are opened, outermost first, and
 * named in `tunnels` (tshark's layer names): MPLS label stacks, GRE (IP or Ethernet inside), ERSPAN
 * types II and III (in GRE), VXLAN (UDP 4789). The IP and UDP reported are the innermost ones.
 * A frame that ends in something else is named by `undecodedKind`, so callers can count it.
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
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** GRE protocol types. */
const GRE_TRANSPARENT_ETHERNET = 0x6558;
const GRE_ERSPAN_II = 0x88be;
const GRE_ERSPAN_III = 0x22eb;
const IP_PROTO_GRE = 47;
const VXLAN_PORT = 4789;
const VXLAN_HEADER_BYTES = 8;
/** Tunnels inside tunnels, bounded so a hostile frame cannot nest on. */
const MAX_TUNNELS = 4;
/** MPLS labels in one stack (RFC 3032 sets no limit; real stacks hold 1-3). */
const MAX_MPLS_LABELS = 8;
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
  /** Tunnels opened on the way in, outermost first: 'mpls', 'gre', 'erspan', 'vxlan'. */
  readonly tunnels: readonly string[];
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/** Decodes one captured frame of the given pcap link type. */
export function decodeIpUdp(linkType: number, frame: Uint8Array): LinkFrame | DecodeError {
  const link = unwrapLink(linkType, frame);
  if (typeof link === 'string') return decodeError(FORMAT, link, 0);
  return decodeFromEtherType(frame, link.etherType, link.vlanIds, link.offset, []);
}

function decodeFromEtherType(frame: Uint8Array, type: number | null, vlanIds: readonly number[], offset: number, tunnels: string[]): LinkFrame | DecodeError {
  let etherType = type;
  let o = offset;
  if (etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_MPLS_MULTICAST) {
    const mpls = skipMpls(frame, o);
    if (typeof mpls === 'string') return decodeError(FORMAT, mpls, o);
    tunnels.push('mpls');
    ({ etherType, offset: o } = mpls);
  }
  if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return { etherType, vlanIds, ip: null, udp: null, tunnels };
  const ip = etherType === ETHERTYPE_IPV4 ? decodeIpv4(frame, o) : decodeIpv6(frame, o);
  if (typeof ip === 'string') return decodeError(FORMAT, ip, o);
  const payloadOffset = ip.payload.byteOffset - frame.byteOffset;
  if (ip.protocol === IP_PROTO_GRE && ip.fragmentOffset === 0 && !ip.moreFragments) {
    const inner = openGre(frame, payloadOffset, ip.payload.length, tunnels);
    if (inner !== null) return inner;
  }
  if (ip.protocol !== IP_PROTO_UDP || ip.fragmentOffset !== 0) return { etherType, vlanIds, ip, udp: null, tunnels };
  const udp = decodeUdp(ip.payload);
  if (typeof udp === 'string') return decodeError(FORMAT, udp, o);
  if (udp.dstPort === VXLAN_PORT && !ip.moreFragments && udp.payload.length >= VXLAN_HEADER_BYTES + ETHERNET_HEADER_BYTES && (udp.payload[0]! & 0x08) !== 0) {
    if (tunnels.length >= MAX_TUNNELS) return decodeError(FORMAT, `more than ${MAX_TUNNELS} tunnels`, o);
    tunnels.push('vxlan');
    const inner = frame.subarray(udp.payload.byteOffset - frame.byteOffset + VXLAN_HEADER_BYTES, udp.payload.byteOffset - frame.byteOffset + udp.payload.length);
    return decodeEthernetFrom(inner, tunnels);
  }
  return { etherType, vlanIds, ip, udp, tunnels };
}

function decodeEthernetFrom(frame: Uint8Array, tunnels: string[]): LinkFrame | DecodeError {
  const link = unwrapLink(LINKTYPE_ETHERNET, frame);
  if (typeof link === 'string') return decodeError(FORMAT, `inside ${tunnels.at(-1)}: ${link}`, 0);
  return decodeFromEtherType(frame, link.etherType, link.vlanIds, link.offset, tunnels);
}

/** The frame inside a GRE packet (RFC 2784/2890), or null for a GRE payload we do not open. */
function openGre(frame: Uint8Array, o: number, length: number, tunnels: string[]): LinkFrame | DecodeError | null {
  if (length < 4) return decodeError(FORMAT, `GRE header too short: ${length} of 4 bytes`, o);
  if (tunnels.length >= MAX_TUNNELS) return decodeError(FORMAT, `more than ${MAX_TUNNELS} tunnels`, o);
  const flags = frame[o]!;
  const version = frame[o + 1]! & 0x07;
  if (version !== 0) return null;
  const protocol = u16(frame, o + 2);
  // Checksum (C) and routing (R) share one 4-byte word, then key (K), then sequence number (S).
  let header = 4 + ((flags & 0xc0) !== 0 ? 4 : 0) + ((flags & 0x20) !== 0 ? 4 : 0) + ((flags & 0x10) !== 0 ? 4 : 0);
  if (length < header) return decodeError(FORMAT, `GRE header cut off: ${length} of ${header} bytes`, o);
  const end = o + length;
  let inner: 'ethernet' | 'ip' | null = null;
  tunnels.push('gre');
  if (protocol === GRE_TRANSPARENT_ETHERNET) inner = 'ethernet';
  else if (protocol === ETHERTYPE_IPV4 || protocol === ETHERTYPE_IPV6) inner = 'ip';
  else if (protocol === GRE_ERSPAN_II || protocol === GRE_ERSPAN_III) {
    // Type I (no sequence number) has no ERSPAN header of its own.
    const erspanBytes = protocol === GRE_ERSPAN_III ? 12 : (flags & 0x10) !== 0 ? 8 : 0;
    if (length < header + erspanBytes) return decodeError(FORMAT, `ERSPAN header cut off at offset ${o + header}`, o + header);
    // ERSPAN III: the O flag (bit 0 of the last byte) announces an 8-byte platform subheader.
    const platform = protocol === GRE_ERSPAN_III && (frame[o + header + 11]! & 0x01) !== 0 ? 8 : 0;
    header += erspanBytes + platform;
    if (length < header) return decodeError(FORMAT, `ERSPAN platform subheader cut off at offset ${o + header - platform}`, o);
    tunnels.push('erspan');
    inner = 'ethernet';
  }
  if (inner === null) {
    tunnels.pop();
    return null;
  }
  const rest = frame.subarray(o + header, end);
  if (inner === 'ethernet') return decodeEthernetFrom(rest, tunnels);
  return decodeFromEtherType(rest, protocol, [], 0, tunnels);
}

/** Past an MPLS label stack (RFC 3032) to the payload, whose IP version tells its type (pseudowires are not opened). */
function skipMpls(b: Uint8Array, offset: number): { etherType: number | null; offset: number } | string {
  let o = offset;
  for (let n = 0; ; n++) {
    if (n >= MAX_MPLS_LABELS) return `more than ${MAX_MPLS_LABELS} MPLS labels`;
    if (b.length < o + 4) return `MPLS label cut off at offset ${o}`;
    const bottom = (b[o + 2]! & 0x01) !== 0;
    o += 4;
    if (bottom) break;
  }
  if (b.length <= o) return `nothing after the MPLS labels at offset ${o}`;
  const version = b[o]! >> 4;
  return { etherType: version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : null, offset: o };
}

const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 89: 'OSPF', 103: 'PIM', 112: 'VRRP', 132: 'SCTP' };
const ETHERTYPE_NAMES: Readonly<Record<number, string>> = { 0x0806: 'ARP', 0x88cc: 'LLDP', 0x8863: 'PPPoE discovery', 0x8864: 'PPPoE', 0x888e: 'EAPOL', 0x88e5: 'MACsec', 0x8809: 'slow protocols (LACP)', 0x88f7: 'PTP', 0x8035: 'RARP' };

/**
 * What a decoded frame that holds no UDP carries, in words ("ARP (ethertype 0x0806)", "ESP (IP
 * protocol 50)"), for counting per kind; null for UDP, TCP and fragments (those are decoded).
 */
export function undecodedKind(f: LinkFrame): string | null {
  const inside = f.tunnels.length > 0 ? ` in ${f.tunnels.join('/')}` : '';
  if (!f.ip) {
    if (f.etherType === null) return `frame without a known network layer${inside}`;
    if (f.etherType < 0x0600) return `802.3 / LLC frame (length field ${f.etherType})${inside}`;
    const name = ETHERTYPE_NAMES[f.etherType];
    const hex = `0x${f.etherType.toString(16).padStart(4, '0')}`;
    return `${name ? `${name} (ethertype ${hex})` : `ethertype ${hex}`}${inside}`;
  }
  if (f.udp || f.ip.protocol === IP_PROTO_UDP || f.ip.protocol === 6 || f.ip.moreFragments || f.ip.fragmentOffset > 0) return null;
  const name = IP_PROTOCOL_NAMES[f.ip.protocol];
  return `${name ? `${name} (IP protocol ${f.ip.protocol})` : `IP protocol ${f.ip.protocol}`}${inside}`;
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
      // (Also the Ethernet inside tunnels.)
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
