/**
 * Oracle: every encapsulation a capture may hold, against tshark's protocol hierarchy
 * (`tshark -q -z io,phs`). One generated pcap per encapsulation, each with SIP datagrams inside it
 * and one frame we do not decode (ARP, or ESP inside the tunnel); `decode`'s records must give as
 * many SIP frames as tshark's `sip` rows, and name the undecoded frame with its count.
 * CI installs: tshark.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipUdpPacket } from '../../server/export/ip-udp.js';
import { pcapFile } from '../../server/export/pcap-writer.js';
import { pcapRecords } from '../../server/commands/decode.js';
import { requireTshark, runTshark } from '../support/tshark.js';

const haveTshark = requireTshark();
const DIR = mkdtempSync(path.join(os.tmpdir(), 'ipp-encap-'));
const T0 = Date.UTC(2026, 11, 5, 9, 0, 0) / 1000;
const SIP_FRAMES = 3;
const MAC = Buffer.from('00908f000001020000000002', 'hex');

const sip = (n: number) => Buffer.from(`OPTIONS sip:collector@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${n}\r\nFrom: <sip:p@192.0.2.10>;tag=${n}\r\nTo: <sip:collector@192.0.2.1>\r\nCall-ID: encap-${n}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`);
const innerIp = (n: number) => ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 5060, dstAddr: '192.0.2.1', dstPort: 5060 }, sip(n), n);
const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const eth = (type: number, payload: Buffer) => Buffer.concat([MAC, u16(type), payload]);
const arp = () => eth(0x0806, Buffer.alloc(28, 1));

/** An IPv4 packet of any protocol (no checksum: tshark does not check it by default). */
function ipv4(protocol: number, payload: Buffer, src = '198.51.100.1', dst = '198.51.100.2'): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = 64;
  h[9] = protocol;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  return Buffer.concat([h, payload]);
}
const esp = () => ipv4(50, Buffer.alloc(24, 7));
const gre = (protocol: number, payload: Buffer, seq?: number) =>
  Buffer.concat([Buffer.from([seq === undefined ? 0 : 0x10, 0]), u16(protocol), seq === undefined ? Buffer.alloc(0) : Buffer.from([0, 0, 0, seq]), payload]);
const erspan2 = (inner: Buffer) => Buffer.concat([Buffer.from([0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0]), inner]);
const erspan3 = (inner: Buffer) => Buffer.concat([Buffer.from([0x20, 0x64, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 0]), inner]);
const vxlan = (inner: Buffer) => ipUdpPacket({ srcAddr: '198.51.100.1', srcPort: 40000, dstAddr: '198.51.100.2', dstPort: 4789 }, Buffer.concat([Buffer.from([0x08, 0, 0, 0, 0, 0, 0x2a, 0]), inner]));
const vlan = (ids: number[], type: number, payload: Buffer) => {
  const tags = ids.map((id, i) => Buffer.concat([u16(id), u16(i + 1 < ids.length ? 0x8100 : type)]));
  return Buffer.concat([MAC, u16(ids.length > 1 ? 0x88a8 : 0x8100), ...tags, payload]);
};
const mpls = (payload: Buffer) => eth(0x8847, Buffer.concat([Buffer.from([0x00, 0x01, 0x01, 0x40]), payload]));
const mpls2 = (payload: Buffer) => eth(0x8847, Buffer.concat([Buffer.from([0x00, 0x02, 0x00, 0x40, 0x00, 0x01, 0x01, 0x40]), payload]));
const sll = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 6]), MAC.subarray(0, 6), Buffer.alloc(2), u16(type), payload]);
const sll2 = (type: number, payload: Buffer) => Buffer.concat([u16(type), Buffer.alloc(2), Buffer.from([0, 0, 0, 2, 0, 1, 0, 6]), MAC.subarray(0, 6), Buffer.alloc(2), payload]);
const loop = (payload: Buffer) => Buffer.concat([Buffer.from([2, 0, 0, 0]), payload]);
/** IPv6 with a hop-by-hop and a destination-options header before UDP. */
function ipv6Ext(n: number): Buffer {
  const udp = ipUdpPacket({ srcAddr: '2001:db8::10', srcPort: 5060, dstAddr: '2001:db8::1', dstPort: 5060 }, sip(n));
  const fixed = udp.subarray(0, 40);
  const transport = udp.subarray(40);
  const hop = Buffer.from([60, 0, 1, 4, 0, 0, 0, 0]);
  const dest = Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]);
  const h = Buffer.from(fixed);
  h[6] = 0;
  h.writeUInt16BE(transport.length + 16, 4);
  return Buffer.concat([h, hop, dest, transport]);
}

interface Case { name: string; linkType: number; frames: (n: number) => Buffer; other: Buffer; otherKind: RegExp }
const CASES: Case[] = [
  { name: '802.1Q', linkType: 1, frames: (n) => vlan([100], 0x0800, innerIp(n)), other: arp(), otherKind: /^ARP/ },
  { name: 'QinQ', linkType: 1, frames: (n) => vlan([200, 100], 0x0800, innerIp(n)), other: arp(), otherKind: /^ARP/ },
  { name: 'MPLS', linkType: 1, frames: (n) => mpls(innerIp(n)), other: mpls(esp()), otherKind: /^ESP .* in mpls$/ },
  { name: 'MPLS two labels', linkType: 1, frames: (n) => mpls2(innerIp(n)), other: arp(), otherKind: /^ARP/ },
  { name: 'GRE (IP)', linkType: 1, frames: (n) => eth(0x0800, ipv4(47, gre(0x0800, innerIp(n)))), other: eth(0x0800, ipv4(47, gre(0x0800, esp()))), otherKind: /^ESP .* in gre$/ },
  { name: 'GRE (Ethernet)', linkType: 1, frames: (n) => eth(0x0800, ipv4(47, gre(0x6558, eth(0x0800, innerIp(n))))), other: arp(), otherKind: /^ARP/ },
  { name: 'ERSPAN II', linkType: 1, frames: (n) => eth(0x0800, ipv4(47, gre(0x88be, erspan2(eth(0x0800, innerIp(n))), n))), other: eth(0x0800, ipv4(47, gre(0x88be, erspan2(arp()), 9))), otherKind: /^ARP .* in gre\/erspan$/ },
  { name: 'ERSPAN III', linkType: 1, frames: (n) => eth(0x0800, ipv4(47, gre(0x22eb, erspan3(eth(0x0800, innerIp(n))), n))), other: arp(), otherKind: /^ARP/ },
  { name: 'VXLAN', linkType: 1, frames: (n) => eth(0x0800, vxlan(eth(0x0800, innerIp(n)))), other: eth(0x0800, vxlan(arp())), otherKind: /^ARP .* in vxlan$/ },
  { name: 'Linux SLL', linkType: 113, frames: (n) => sll(0x0800, innerIp(n)), other: sll(0x0806, Buffer.alloc(28, 1)), otherKind: /^ARP/ },
  { name: 'Linux SLL2', linkType: 276, frames: (n) => sll2(0x0800, innerIp(n)), other: sll2(0x0806, Buffer.alloc(28, 1)), otherKind: /^ARP/ },
  { name: 'raw IP', linkType: 101, frames: (n) => innerIp(n), other: esp(), otherKind: /^ESP/ },
  { name: 'loopback/null', linkType: 0, frames: (n) => loop(innerIp(n)), other: loop(esp()), otherKind: /^ESP/ },
  { name: 'IPv6 extension headers', linkType: 1, frames: (n) => eth(0x86dd, ipv6Ext(n)), other: arp(), otherKind: /^ARP/ },
];

/** `name → frames` of every row of tshark's protocol hierarchy (summed where a name repeats). */
function phs(file: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of runTshark(file, ['-q', '-z', 'io,phs']).split('\n')) {
    const m = /^\s*(\S+)\s+frames:(\d+)/.exec(line);
    if (m) rows.set(m[1]!, (rows.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return rows;
}

describe.skipIf(!haveTshark)('encapsulations: decode vs tshark -z io,phs', () => {
  for (const c of CASES) {
    it(`finds every SIP frame inside ${c.name} as tshark does, and names the frame it cannot decode`, async () => {
      const file = path.join(DIR, `${c.name.replace(/\W+/g, '-')}.pcap`);
      const frames = [...Array.from({ length: SIP_FRAMES }, (_, i) => c.frames(i + 1)), c.other];
      writeFileSync(file, pcapFile(c.linkType, frames.map((data, i) => ({ tsSec: T0 + i, tsUsec: 0, data }))));
      const oracle = phs(file);
      const records: { proto: string; record: { kind?: string; frames?: number; error?: string } }[] = [];
      for await (const r of pcapRecords(file)) records.push(r as (typeof records)[number]);
      expect(oracle.get('sip')).toBe(SIP_FRAMES);
      expect(records.filter((r) => r.proto === 'sip' && r.record.error === undefined).length).toBe(oracle.get('sip'));
      const undecoded = records.filter((r) => r.proto === 'undecoded');
      expect(undecoded.length).toBe(1);
      expect(undecoded[0]!.record.kind).toMatch(c.otherKind);
      expect(undecoded[0]!.record.frames).toBe(1);
      expect(records.filter((r) => r.proto === 'error')).toEqual([]);
    });
  }
});
