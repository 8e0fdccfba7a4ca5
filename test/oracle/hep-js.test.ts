/**
 * Oracle: our HEP decoder against `hep-js` (sipcapture's HEP3 library, an independent encoder and
 * decoder): packets it encapsulates (generic chunks, the auth key, vendor chunks) decode to its
 * rcinfo field by field and to what its own decapsulate reads; a voice-quality PUBLISH sent
 * through HEP in a capture decodes (report and calls) exactly as the same PUBLISH sent directly,
 * with the agent's addresses and time. HEP2 and broken packets: hand-built, clear errors.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeHep, type HepPacket } from '../../parsers/hep.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { pcapRecords } from '../../server/commands/decode.js';
import { decodeUdpRecord } from '../../server/capture/udp-records.js';
import { readPcapUdp } from '../../server/capture/pcap-reader.js';
import { fileURLToPath } from 'node:url';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile } from '../../server/export/pcap-writer.js';
import { buildVqPublish } from '../../server/simulator/wire/sip.js';

interface HepJs {
  encapsulate(msg: string, rcinfo: Record<string, unknown>): Buffer;
  decapsulate(b: Buffer): { payload: string; rcinfo: Record<string, unknown> };
  addVendorExtensions(ext: Record<number, Record<number, { keyName: string; type?: string }>>): void;
}
const HEPjs = createRequire(import.meta.url)('hep-js') as HepJs;
HEPjs.addVendorExtensions({ 0x0008: { 0x0080: { keyName: 'conversationId' }, 0x0087: { keyName: 'testUInt32', type: 'UInt32' } } });

const T0 = Date.UTC(2026, 11, 5, 9, 0, 0);
const OPTIONS = 'OPTIONS sip:collector@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\nFrom: <sip:p@192.0.2.10>;tag=1\r\nTo: <sip:c@192.0.2.1>\r\nCall-ID: hep-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
const RCINFO = {
  type: 'HEP', version: 3, payload_type: 'SIP', captureId: 2001, capturePass: 'myHep', protocolFamily: 2, protocol: 17,
  timeSeconds: T0 / 1000, timeUseconds: 979, payloadType: 1, srcIp: '192.0.2.10', dstIp: '192.0.2.1', srcPort: 5060, dstPort: 5062,
  hepNodeName: 'sbc-1', conversationId: 'conv-42', testUInt32: 77,
};

function ours(b: Uint8Array): HepPacket {
  const r = decodeHep(b);
  if (isDecodeError(r)) throw new Error(r.message);
  return r;
}

describe('HEP3 against hep-js', () => {
  const packet = HEPjs.encapsulate(OPTIONS, RCINFO);

  it('decodes every generic chunk hep-js writes to the rcinfo it was given', () => {
    const p = ours(packet);
    expect({ version: p.version, family: p.family, ipProtocol: p.ipProtocol, src: p.src, dst: p.dst, srcPort: p.srcPort, dstPort: p.dstPort, timeSec: p.timeSec, timeUsec: p.timeUsec, protocolType: p.protocolType, captureId: p.captureId, authKey: p.authKey, groupId: p.groupId })
      .toEqual({ version: 3, family: 2, ipProtocol: 17, src: '192.0.2.10', dst: '192.0.2.1', srcPort: 5060, dstPort: 5062, timeSec: T0 / 1000, timeUsec: 979, protocolType: 1, captureId: 2001, authKey: 'myHep', groupId: 'sbc-1' });
    expect(Buffer.from(p.payload!).toString()).toBe(OPTIONS);
  });

  it('agrees with hep-js decapsulate field by field, and keeps vendor chunks raw', () => {
    const p = ours(packet);
    const theirs = HEPjs.decapsulate(packet);
    const r = theirs.rcinfo;
    expect([p.family, p.ipProtocol, p.src, p.dst, p.srcPort, p.dstPort, p.timeSec, p.timeUsec, p.protocolType, p.captureId])
      .toEqual([r['protocolFamily'], r['protocol'], r['srcIp'], r['dstIp'], r['srcPort'], r['dstPort'], r['timeSeconds'], r['timeUseconds'], r['payloadType'], r['captureId']]);
    expect(Buffer.from(p.payload!).toString()).toBe(theirs.payload);
    const vendor = p.chunks.filter((c) => c.vendor === 8);
    expect(vendor.map((c) => c.type)).toEqual([0x80, 0x87]);
    expect(Buffer.from(vendor[0]!.value).toString()).toBe('conv-42');
    expect(Buffer.from(vendor[1]!.value).readUInt32BE(0)).toBe(77);
  });

  it('refuses cut-off and lying packets with a clear reason', () => {
    const cut = decodeHep(packet.subarray(0, packet.length - 3));
    expect(isDecodeError(cut) && cut.message).toMatch(/cut off: \d+ of \d+ bytes/);
    const lying = Buffer.from(packet);
    lying.writeUInt16BE(2, 6 + 4); // the first chunk's length below its header
    expect(isDecodeError(decodeHep(lying)) && (decodeHep(lying) as { message: string }).message).toMatch(/less than its header/);
    const overrun = Buffer.from(packet);
    overrun.writeUInt16BE(60_000, 6 + 4);
    expect((decodeHep(overrun) as { message: string }).message).toMatch(/runs past the packet/);
    expect((decodeHep(Buffer.from('hello')) as { message: string }).message).toMatch(/not HEP/);
  });
});

describe('HEP2', () => {
  it('reads the fixed header: family, ports, addresses, little-endian time and capture id', () => {
    const h = Buffer.alloc(28);
    h[0] = 2; h[1] = 28; h[2] = 2; h[3] = 17;
    h.writeUInt16BE(5060, 4); h.writeUInt16BE(5062, 6);
    Buffer.from([192, 0, 2, 10, 192, 0, 2, 1]).copy(h, 8);
    h.writeUInt32LE(T0 / 1000, 16); h.writeUInt32LE(123, 20); h.writeUInt16LE(2001, 24);
    const p = ours(Buffer.concat([h, Buffer.from(OPTIONS)]));
    expect([p.version, p.src, p.dst, p.srcPort, p.dstPort, p.timeSec, p.timeUsec, p.captureId, p.protocolType]).toEqual([2, '192.0.2.10', '192.0.2.1', 5060, 5062, T0 / 1000, 123, 2001, 1]);
    expect(Buffer.from(p.payload!).toString()).toBe(OPTIONS);
    h[1] = 40;
    expect((decodeHep(Buffer.concat([h, Buffer.from(OPTIONS)])) as { message: string }).message).toMatch(/header length 40 where family 2 needs 28/);
  });
});

describe('HEP in a capture', () => {
  it('decodes a quality report sent through HEP as the same report sent directly, with the agent\'s addresses and time', async () => {
    const publish = buildVqPublish({
      collector: '192.0.2.1', source: { ip: '192.0.2.10', port: 5060 }, publishCallId: 'pub@hep',
      report: {
        callId: 'call-hep@192.0.2.10', localId: '<sip:1000@x>', remoteId: '<sip:2000@x>', startMs: T0, stopMs: T0 + 60_000,
        localAddr: { ip: '192.0.2.10', port: 6000, ssrc: 0x11111111 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x22222222 },
        local: { lossPct: 2.5 },
      },
    });
    const agentTimeMs = T0 + 61_000;
    const hep = HEPjs.encapsulate(publish, { ...RCINFO, dstPort: 5060, timeSeconds: agentTimeMs / 1000, timeUseconds: 0 });
    const frame = ethernetFrame(ipUdpPacket({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: '198.51.100.1', dstPort: 9060 }, hep));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-hep-'));
    const file = path.join(dir, 'hep.pcap');
    writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, [{ tsSec: T0 / 1000 + 65, tsUsec: 0, data: frame }]));
    const records: { proto: string; record: { captureId?: number; inner?: { proto: string; record: unknown } } }[] = [];
    for await (const r of pcapRecords(file)) records.push(r as (typeof records)[number]);
    expect(records).toHaveLength(1);
    expect(records[0]!.proto).toBe('hep');
    expect(records[0]!.record.captureId).toBe(2001);
    const direct = decodeUdpRecord({ frame: 1, timeMs: agentTimeMs, src: '192.0.2.10', srcPort: 5060, dst: '192.0.2.1', dstPort: 5060, payload: Buffer.from(publish) });
    expect(records[0]!.record.inner).toEqual(JSON.parse(JSON.stringify(direct)));
    expect((direct.record as { calls: unknown[] }).calls.length).toBeGreaterThan(0);
  });
});

describe('sipp traffic through HEP', () => {
  // test/fixtures/sipp/sipp-uac-uas.pcap: `sipp -sn uas` and `sipp -sn uac -m 3` on loopback, captured by tshark.
  const SIPP = fileURLToPath(new URL('../fixtures/sipp/sipp-uac-uas.pcap', import.meta.url));

  it('decodes every SIP message of a sipp call, encapsulated by hep-js, as the message captured directly', async () => {
    const direct: { src: string; srcPort: number; dst: string; dstPort: number; timeMs: number; record: unknown }[] = [];
    const frames: Buffer[] = [];
    for await (const u of readPcapUdp(SIPP)) {
      direct.push({ src: u.src, srcPort: u.srcPort, dst: u.dst, dstPort: u.dstPort, timeMs: u.timeMs, record: decodeUdpRecord(u) });
      const sec = Math.floor(u.timeMs / 1000);
      const hep = HEPjs.encapsulate(Buffer.from(u.payload).toString('latin1'), {
        protocolFamily: 2, protocol: 17, srcIp: u.src, dstIp: u.dst, srcPort: u.srcPort, dstPort: u.dstPort,
        timeSeconds: sec, timeUseconds: Math.round((u.timeMs - sec * 1000) * 1000), payloadType: 1, captureId: 7, hepNodeName: 'sipp',
      });
      frames.push(ethernetFrame(ipUdpPacket({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: '198.51.100.1', dstPort: 9060 }, hep)));
    }
    expect(direct.length).toBe(18);
    expect(direct.every((d) => (d.record as { proto: string }).proto === 'sip')).toBe(true);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-hep-sipp-')), 'sipp-hep.pcap');
    writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, frames.map((data, i) => ({ tsSec: T0 / 1000 + i, tsUsec: 0, data }))));
    const viaHep: { proto: string; record: { captureId: number; src: string; srcPort: number; dst: string; dstPort: number; timeSec: number; timeUsec: number; inner: unknown } }[] = [];
    for await (const r of pcapRecords(file)) viaHep.push(r as (typeof viaHep)[number]);
    expect(viaHep.map((r) => r.proto)).toEqual(direct.map(() => 'hep'));
    viaHep.forEach((r, i) => {
      const d = direct[i]!;
      expect([r.record.src, r.record.srcPort, r.record.dst, r.record.dstPort, r.record.captureId]).toEqual([d.src, d.srcPort, d.dst, d.dstPort, 7]);
      expect(Math.abs(r.record.timeSec * 1000 + r.record.timeUsec / 1000 - d.timeMs)).toBeLessThan(0.002);
      expect(r.record.inner).toEqual(d.record);
    });
  });
});
