/**
 * Builds IPv4/IPv6 + UDP headers around a payload, with correct lengths and checksums, so exported
 * and generated captures look like real traffic to Wireshark (no "bad checksum" noise).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface UdpEndpoints {
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly dstPort: number;
}

function ipv4Bytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map((p) => Number(p)));
}

function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail = ''] = addr.includes('::') ? addr.split('::') : [addr, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function onesComplementSum(buffers: Buffer[]): number {
  let sum = 0;
  for (const buf of buffers) {
    for (let i = 0; i < buf.length; i += 2) {
      sum += (buf[i]! << 8) + (i + 1 < buf.length ? buf[i + 1]! : 0);
    }
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function checksum(buffers: Buffer[]): number {
  const c = ~onesComplementSum(buffers) & 0xffff;
  return c === 0 ? 0xffff : c;
}

function udpHeader(ep: UdpEndpoints, payloadLen: number): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(ep.srcPort, 0);
  udp.writeUInt16BE(ep.dstPort, 2);
  udp.writeUInt16BE(8 + payloadLen, 4);
  return udp;
}

/** An IP packet (no link layer) carrying one UDP datagram; IPv4 or IPv6 by the address form. */
export function ipUdpPacket(ep: UdpEndpoints, payload: Uint8Array, ipId = 0): Buffer {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const udp = udpHeader(ep, data.length);
  if (isIPv4(ep.srcAddr) && isIPv4(ep.dstAddr)) {
    const src = ipv4Bytes(ep.srcAddr);
    const dst = ipv4Bytes(ep.dstAddr);
    const pseudo = Buffer.alloc(12);
    src.copy(pseudo, 0);
    dst.copy(pseudo, 4);
    pseudo[9] = 17;
    pseudo.writeUInt16BE(udp.length + data.length, 10);
    // Padding an odd payload for the checksum must not shift the pseudo header, so sum in order.
    udp.writeUInt16BE(checksum([pseudo, udp, data]), 6);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udp.length + data.length, 2);
    ip.writeUInt16BE(ipId & 0xffff, 4);
    ip[8] = 64;
    ip[9] = 17;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(checksum([ip]), 10);
    return Buffer.concat([ip, udp, data]);
  }
  if (isIPv6(ep.srcAddr) && isIPv6(ep.dstAddr)) {
    const src = ipv6Bytes(ep.srcAddr);
    const dst = ipv6Bytes(ep.dstAddr);
    const pseudo = Buffer.alloc(40);
    src.copy(pseudo, 0);
    dst.copy(pseudo, 16);
    pseudo.writeUInt32BE(udp.length + data.length, 32);
    pseudo[39] = 17;
    udp.writeUInt16BE(checksum([pseudo, udp, data]), 6);
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(udp.length + data.length, 4);
    ip[6] = 17;
    ip[7] = 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
    return Buffer.concat([ip, udp, data]);
  }
  throw new Error(`ipUdpPacket: mixed or invalid addresses ${ep.srcAddr} → ${ep.dstAddr}`);
}

/** Ethernet II frame around an IP packet, with made-up but stable MACs. */
export function ethernetFrame(ipPacket: Buffer, srcMac = '00:90:8f:00:00:01', dstMac = '02:00:00:00:00:02'): Buffer {
  const eth = Buffer.alloc(14);
  Buffer.from(dstMac.split(':').map((h) => parseInt(h, 16))).copy(eth, 0);
  Buffer.from(srcMac.split(':').map((h) => parseInt(h, 16))).copy(eth, 6);
  eth.writeUInt16BE((ipPacket[0]! >> 4) === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ipPacket]);
}
