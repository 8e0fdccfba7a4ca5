import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW, type LinkFrame } from '../../parsers/ip-udp.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';

const payload = Buffer.from('hello');
const v4 = ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 5060, dstAddr: '10.0.0.1', dstPort: 5062 }, payload, 7);
const v6 = ipUdpPacket({ srcAddr: '2001:db8::5', srcPort: 40000, dstAddr: 'fe80::1', dstPort: 40002 }, payload);

function ok(r: ReturnType<typeof decodeIpUdp>): LinkFrame {
  if (isDecodeError(r)) throw new Error(r.message);
  return r;
}

/** Inserts tags (TPID + VLAN id) between the MACs and the EtherType: outer 802.1ad, inner 802.1Q. */
function vlanTagged(frame: Buffer, ids: number[]): Buffer {
  const tags = ids.map((id, i) => {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(i === 0 && ids.length > 1 ? 0x88a8 : 0x8100, 0);
    tag.writeUInt16BE(id, 2);
    return tag;
  });
  return Buffer.concat([frame.subarray(0, 12), ...tags, frame.subarray(12)]);
}

describe('IP/UDP unwrapping', () => {
  it('reads addresses, ports and payload of an IPv4 UDP datagram in Ethernet', () => {
    const f = ok(decodeIpUdp(LINKTYPE_ETHERNET, ethernetFrame(v4)));
    expect(f.ip).toMatchObject({ version: 4, src: '10.0.0.5', dst: '10.0.0.1', protocol: 17, moreFragments: false, fragmentOffset: 0, fragmentId: 7 });
    expect(f.udp).toMatchObject({ srcPort: 5060, dstPort: 5062, length: 13, truncated: false });
    expect(Buffer.from(f.udp!.payload).toString()).toBe('hello');
  });

  it('reads IPv6 with compressed address text', () => {
    const f = ok(decodeIpUdp(LINKTYPE_RAW, v6));
    expect(f.ip).toMatchObject({ version: 6, src: '2001:db8::5', dst: 'fe80::1' });
    expect(f.udp?.dstPort).toBe(40002);
  });

  it('steps over 802.1Q and 802.1ad tags and lists their ids', () => {
    const f = ok(decodeIpUdp(LINKTYPE_ETHERNET, vlanTagged(ethernetFrame(v4), [100, 42])));
    expect(f.vlanIds).toEqual([100, 42]);
    expect(f.udp?.srcPort).toBe(5060);
  });

  it('reads Linux cooked and BSD loopback frames', () => {
    const sll = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 6, 0, 0x90, 0x8f, 0, 0, 1, 0, 0, 0x08, 0x00]), v4]);
    expect(ok(decodeIpUdp(LINKTYPE_LINUX_SLL, sll)).udp?.dstPort).toBe(5062);
    const lo = Buffer.concat([Buffer.from([2, 0, 0, 0]), v4]);
    expect(ok(decodeIpUdp(LINKTYPE_NULL, lo)).ip?.src).toBe('10.0.0.5');
  });

  it('ignores Ethernet padding after a short datagram', () => {
    const padded = Buffer.concat([ethernetFrame(v4), Buffer.alloc(20)]);
    expect(ok(decodeIpUdp(LINKTYPE_ETHERNET, padded)).udp?.payload.length).toBe(5);
  });

  it('marks a datagram the snap length cut as truncated and keeps what there is', () => {
    const f = ok(decodeIpUdp(LINKTYPE_RAW, v4.subarray(0, v4.length - 2)));
    expect(f.udp).toMatchObject({ truncated: true, length: 13 });
    expect(f.udp?.payload.length).toBe(3);
  });

  it('reports a non-first fragment as IP without UDP, and non-IP frames without IP', () => {
    const frag = Buffer.from(v4);
    frag.writeUInt16BE(0x0001, 6); // offset 8 bytes, no more fragments
    const f = ok(decodeIpUdp(LINKTYPE_RAW, frag));
    expect(f.ip?.fragmentOffset).toBe(8);
    expect(f.udp).toBeNull();
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    expect(ok(decodeIpUdp(LINKTYPE_ETHERNET, arp))).toMatchObject({ etherType: 0x0806, ip: null, udp: null });
  });

  it('refuses cut-off headers, lying lengths and unknown link types with what and where', () => {
    const e1 = decodeIpUdp(LINKTYPE_ETHERNET, Buffer.alloc(10));
    expect(isDecodeError(e1) && e1.message).toMatch(/Ethernet header too short: 10 of 14 bytes/);
    const bad = Buffer.from(v4);
    bad[0] = 0x44; // IHL 16 bytes
    const e2 = decodeIpUdp(LINKTYPE_RAW, bad);
    expect(isDecodeError(e2) && e2.message).toMatch(/IPv4 header length 16 is below 20/);
    const shortUdp = Buffer.from(v4);
    shortUdp.writeUInt16BE(4, 24); // UDP length 4
    const e3 = decodeIpUdp(LINKTYPE_RAW, shortUdp);
    expect(isDecodeError(e3) && e3.message).toMatch(/UDP length 4 is less than its header/);
    const e4 = decodeIpUdp(147, v4);
    expect(isDecodeError(e4) && e4.message).toMatch(/link type 147 is not supported/);
    const tags = Buffer.concat([Buffer.alloc(12), Buffer.from([0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1]), v4]);
    const e5 = decodeIpUdp(LINKTYPE_ETHERNET, tags);
    expect(isDecodeError(e5) && e5.message).toMatch(/more than 4 VLAN tags/);
  });

  it('never throws on random bytes', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: rnd() % 80 }, rnd));
      if (b.length > 0 && i % 2 === 0) b[0] = 0x45;
      expect(() => decodeIpUdp(i % 2 === 0 ? LINKTYPE_RAW : LINKTYPE_ETHERNET, b)).not.toThrow();
    }
  });
});
