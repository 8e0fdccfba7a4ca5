/**
 * The same traffic written as pcap (µs/ns, both byte orders), as pcapng (one and several
 * interfaces, Ethernet, VLAN-tagged, Linux cooked v1/v2) imports to the same calls, logs and
 * quality; SIP over TCP split across segments, IP-fragmented SIP and RTP on the wire found through
 * SDP land in the right call. The same traffic over IPv6 and with SIP in IP fragments (v4 and v6)
 * imports the same; damaged files fail with a clear reason or import the rest with each problem's
 * offset.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { openImportServices } from '../../server/import/import-services.js';
import { runImport } from '../../server/import/run-import.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { simulateToPcap } from '../../server/simulator/run.js';
import type { ImportRow } from '../../server/store/import-store.js';
import { classicRecords, ipFragments, ipv6Frame, pcapngFile, reencodePcap } from '../fixtures/gen-pcapng.js';
import { genRtpStream, rtpPacketBytes } from '../../server/simulator/wire/rtp-stream.js';
import { buildSipRequest } from '../../server/simulator/wire/sip.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
const PORTS = { syslog: 514, recording: 50000, sip: 5060 };

async function importInto(name: string, file: string): Promise<{ row: ImportRow; calls: unknown[]; logs: number }> {
  const s = await openImportServices({ ...DEFAULT_CONFIG, dataDir: path.join(dir, `data-${name}`) });
  try {
    const created = await s.store.imports.create(name, fs.statSync(file).size, 0);
    const row = await runImport(s, created.id, file, { ports: PORTS, inactivityMs: 30_000 });
    const page = await s.store.calls.listCalls({ limit: 1000, sort: 'start', order: 'asc' } as never);
    const logs = (await s.store.queryLogs({ importId: created.id, limit: 100_000 })).length;
    const calls = page.calls.map((c) => ({ sipCallId: c.sipCallId, recordingSession: c.recordingSession, sources: c.sources, worstMos: c.worstMos, verdict: c.verdict, importId: c.importId, startMs: Math.round(c.startMs / 1000) }));
    return { row, calls, logs };
  } finally {
    await s.close();
  }
}

/** Linux cooked v1 / v2 headers in place of an Ethernet header. */
function cooked(frame: Buffer, v: 1 | 2): Buffer {
  const ip = frame.subarray(14);
  if (v === 1) {
    const h = Buffer.alloc(16);
    h.writeUInt16BE(0, 0); h.writeUInt16BE(1, 2); h.writeUInt16BE(6, 4); h.writeUInt16BE(0x0800, 14);
    return Buffer.concat([h, ip]);
  }
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x0800, 0); h.writeUInt32BE(2, 4); h.writeUInt16BE(1, 8); h[10] = 0; h[11] = 6;
  return Buffer.concat([h, ip]);
}

function vlan(frame: Buffer, ids: number[]): Buffer {
  const tags = ids.map((id, i) => { const t = Buffer.alloc(4); t.writeUInt16BE(id, 0); t.writeUInt16BE(i === ids.length - 1 ? frame.readUInt16BE(12) : 0x8100, 2); return t; });
  const head = Buffer.from(frame.subarray(0, 14));
  head.writeUInt16BE(ids.length > 1 ? 0x88a8 : 0x8100, 12);
  return Buffer.concat([head, ...tags, frame.subarray(14)]);
}

describe('importing one capture in every format', () => {
  it('gets the same calls, logs and quality from pcap µs/ns in both byte orders, from pcapng with other link layers, over IPv6 and with SIP in IP fragments', async () => {
    const base = path.join(dir, 'sim.pcap');
    await simulateToPcap({ target: '192.0.2.200', phones: 3, callsPerHour: 120, durationMs: 90_000, seed: 11, scenario: 'mixed', startMs: Date.parse('2026-01-01T09:00:00Z'), ports: PORTS }, base);
    const us = fs.readFileSync(base);
    const rec = classicRecords(us);
    const ng = (frames: (f: Buffer, i: number) => { iface: number; data: Buffer }, interfaces: Array<{ linkType: number; tsresol?: number }>) => pcapngFile([
      { interfaces, packets: rec.map((r, i) => { const f = frames(r.data, i); return { interfaceId: f.iface, timeMs: r.timeMs, data: f.data }; }) },
    ]);
    const variants: Record<string, Buffer> = {
      'us-be': reencodePcap(us, { nanoseconds: false, bigEndian: true }),
      'ns-le': reencodePcap(us, { nanoseconds: true, bigEndian: false }),
      'ns-be': reencodePcap(us, { nanoseconds: true, bigEndian: true }),
      'ng-eth': ng((d) => ({ iface: 0, data: d }), [{ linkType: 1, tsresol: 9 }]),
      'ng-vlan-sll': ng((d, i) => (i % 3 === 0 ? { iface: 0, data: vlan(d, [10]) } : i % 3 === 1 ? { iface: 1, data: cooked(d, 1) } : { iface: 2, data: vlan(d, [100, 20]) }), [{ linkType: 1 }, { linkType: 113 }, { linkType: 1, tsresol: 9 }]),
      'ng-sll2': ng((d) => ({ iface: 0, data: cooked(d, 2) }), [{ linkType: 276, tsresol: 0x80 | 30 }]),
      'ipv6': pcapFile(LINKTYPE_ETHERNET, rec.map((r) => ({ ...pcapTime(r.timeMs), data: ipv6Frame(r.data) }))),
      'sip-fragmented-v4': pcapFile(LINKTYPE_ETHERNET, rec.flatMap((r, i) => fragmentSip(r.data, i).map((data) => ({ ...pcapTime(r.timeMs), data })))),
      'sip-fragmented-v6': pcapFile(LINKTYPE_ETHERNET, rec.flatMap((r, i) => fragmentSip(ipv6Frame(r.data), i).map((data) => ({ ...pcapTime(r.timeMs), data })))),
    };
    const reference = await importInto('us', base);
    expect(reference.row.status).toBe('done');
    expect(reference.calls.length).toBeGreaterThan(0);
    expect(reference.logs).toBeGreaterThan(0);
    const sipFragments = variants['sip-fragmented-v4']!.length - us.length;
    expect(sipFragments, 'the simulated SIP reports are big enough to be fragmented').toBeGreaterThan(0);
    for (const [name, bytes] of Object.entries(variants)) {
      const file = path.join(dir, `${name}.cap`);
      fs.writeFileSync(file, bytes);
      const got = await importInto(name, file);
      expect(got.row.status, name).toBe('done');
      expect(got.row.errors, name).toEqual([]);
      expect(got.calls, name).toEqual(reference.calls);
      expect(got.logs, name).toBe(reference.logs);
      expect((got.row.summary as { protocols: unknown }).protocols, name).toEqual((reference.row.summary as { protocols: unknown }).protocols);
    }
  }, 120_000);

  it('reads SIP over TCP split across segments, IP-fragmented SIP, IPv6, and RTP on the wire through SDP', async () => {
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const phone = { addr: '192.0.2.10', port: 5060 };
    const pbx = { addr: '192.0.2.1', port: 5060 };
    const sdp = (addr: string, port: number) => `v=0\r\no=- 1 1 IN IP4 ${addr}\r\ns=-\r\nc=IN IP4 ${addr}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
    const invite = buildSipRequest({
      method: 'INVITE', requestUri: 'sip:200@pbx.example.com', from: '<sip:100@pbx.example.com>', fromTag: 'a1', to: '<sip:200@pbx.example.com>', callId: 'wire-call-1', cseq: 1,
      source: { ip: phone.addr, port: phone.port }, transport: 'TCP', contentType: 'application/sdp', body: sdp(phone.addr, 4000),
    });
    const frames: Array<{ timeMs: number; data: Buffer }> = [];
    // INVITE over TCP, cut in three segments, the middle one sent twice (a retransmission) and out of order.
    const bytes = Buffer.from(invite);
    const cuts = [0, 40, 200, bytes.length];
    const seg = (i: number, seq: number) => tcpFrame(phone, pbx, seq, bytes.subarray(cuts[i]!, cuts[i + 1]!));
    frames.push({ timeMs: t0, data: tcpFrame(phone, pbx, 999, Buffer.alloc(0), 0x02) }, { timeMs: t0 + 1, data: seg(0, 1000) }, { timeMs: t0 + 2, data: seg(2, 1000 + cuts[2]!) }, { timeMs: t0 + 3, data: seg(1, 1000 + cuts[1]!) }, { timeMs: t0 + 4, data: seg(1, 1000 + cuts[1]!) });
    // RTP from the far end to the SDP address: 10 s of PCMU with some loss.
    const rtp = genRtpStream({ seed: 3, packetCount: 500, ssrc: 0x1234, payloadType: 0, startMs: t0 + 100, lossRate: 0.02, jitterMs: 5 });
    for (const p of rtp) frames.push({ timeMs: p.arrivalMs, data: ethernetFrame(ipUdpPacket({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: phone.addr, dstPort: 4000 }, rtpPacketBytes(p))) });
    const file = path.join(dir, 'wire.pcap');
    fs.writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, frames.sort((a, b) => a.timeMs - b.timeMs).map((f) => ({ ...pcapTime(f.timeMs), data: f.data }))));
    const got = await importInto('wire', file);
    expect(got.row.status).toBe('done');
    expect(got.calls).toHaveLength(1);
    expect(got.calls[0]).toMatchObject({ sipCallId: 'wire-call-1', sources: ['computed-rtp'] });
    expect((got.row.summary as { protocols: Record<string, number> }).protocols).toMatchObject({ rtp: rtp.length });
  });
});

/** SIP frames (to or from port 5060) cut into IP fragments of 400 bytes; the rest unchanged. */
function fragmentSip(frame: Buffer, i: number): Buffer[] {
  const v6 = frame.readUInt16BE(12) === 0x86dd;
  const udpAt = 14 + (v6 ? 40 : (frame[14]! & 0x0f) * 4);
  const isSip = frame.readUInt16BE(udpAt) === PORTS.sip || frame.readUInt16BE(udpAt + 2) === PORTS.sip;
  return isSip ? ipFragments(frame, 400, 0x5000 + i) : [frame];
}

describe('importing damaged captures', () => {
  const t0 = Date.parse('2026-01-01T11:00:00Z');
  const syslog = (i: number) => ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 514, dstAddr: '192.0.2.1', dstPort: PORTS.syslog }, Buffer.from(`<134>Jan  1 11:00:0${i % 10} 445HD voip_task: line ${i}`)));
  const packets = (n: number) => Array.from({ length: n }, (_, i) => ({ interfaceId: 0, timeMs: t0 + i * 10, data: syslog(i) }));
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  /** Offsets of the blocks of a little-endian pcapng file. */
  const blocks = (ng: Buffer) => {
    const at: number[] = [];
    for (let o = 0; o + 8 <= ng.length; o += ng.readUInt32LE(o + 4)) at.push(o);
    return at;
  };

  it('fails a file that is not a capture, or whose header is cut off, saying why and where', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['magic.cap', Buffer.from('GIF89a this is not a capture at all, not even close'), /not a pcap or pcapng capture \(magic 47494638 at offset 0\)/],
      ['short.pcap', pcapFile(LINKTYPE_ETHERNET, []).subarray(0, 10), /pcap header cut off at offset 10 \(10 of 24 bytes\)/],
      ['short.pcapng', pcapngFile([{ interfaces: [], packets: [] }]).subarray(0, 20), /pcapng section header cut off at offset 20/],
      ['empty.pcap', Buffer.alloc(0), /0 bytes is too short for a capture/],
    ];
    for (const [name, bytes, reason] of cases) {
      const got = await importInto(name, write(name, bytes));
      expect(got.row.status, name).toBe('failed');
      expect(got.row.errors.at(-1)?.message, name).toMatch(reason);
      expect(got.row.errors.at(-1)?.message, name).not.toContain(dir);
    }
  });

  it('steps over a block whose length lies, zero-length and snap-length-cut packets, and imports the rest', async () => {
    const ng = pcapngFile([{ interfaces: [{ linkType: LINKTYPE_ETHERNET, snapLength: 65535 }], packets: [
      ...packets(10),
      { interfaceId: 0, timeMs: t0 + 200, data: new Uint8Array(0), originalLength: 80 },
      { interfaceId: 0, timeMs: t0 + 210, data: syslog(11).subarray(0, 50), originalLength: syslog(11).length },
      ...packets(30).slice(20),
    ] }]);
    const at = blocks(ng);
    // Blocks: section, interface, then packets; the fourth packet's length says 1 GB.
    const lying = at[5]!;
    ng.writeUInt32LE(1 << 30, lying + 4);
    const got = await importInto('damaged', write('damaged.pcapng', ng));
    expect(got.row.status).toBe('done');
    expect(got.logs).toBe(9 + 10);
    const messages = got.row.errors.map((e) => `${e.offset}: ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(new RegExp(`^${lying}: block length 1073741824 is impossible; skipped \\d+ bytes to the next block at offset ${at[6]}$`)),
      `${at[12]}: frame 10: Ethernet header too short: 0 of 14 bytes`,
      `${at[13]}: frame 11: UDP datagram cut by the snap length (8 of 45 bytes kept)`,
    ]);
  });

  it('keeps what came before a cut-off last record, and says where the file ends', async () => {
    const pcap = pcapFile(LINKTYPE_ETHERNET, packets(5).map((p) => ({ ...pcapTime(p.timeMs), data: p.data })));
    const got = await importInto('cut', write('cut.pcap', pcap.subarray(0, pcap.length - 7)));
    expect(got.row.status).toBe('done');
    expect(got.logs).toBe(4);
    expect(got.row.errors).toHaveLength(1);
    expect(got.row.errors[0]!.offset).toBeGreaterThan(24);
  });
});

function tcpFrame(src: { addr: string; port: number }, dst: { addr: string; port: number }, seq: number, payload: Buffer, flags = 0x18): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(src.port, 0); tcp.writeUInt16BE(dst.port, 2); tcp.writeUInt32BE(seq >>> 0, 4); tcp[12] = 5 << 4; tcp[13] = flags; tcp.writeUInt16BE(65535, 14);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; ip.writeUInt16BE(40 + payload.length, 2); ip[8] = 64; ip[9] = 6;
  src.addr.split('.').forEach((o, i) => { ip[12 + i] = Number(o); });
  dst.addr.split('.').forEach((o, i) => { ip[16 + i] = Number(o); });
  return ethernetFrame(Buffer.concat([ip, tcp, payload]));
}

describe('importing a switch mirror session (ERSPAN in GRE)', () => {
  /** ERSPAN type II around an Ethernet frame, in GRE with a sequence number, in IPv4. */
  function erspan(frame: Buffer, seq: number): Buffer {
    const gre = Buffer.from([0x10, 0, 0x88, 0xbe, 0, 0, 0, seq & 0xff]);
    const span = Buffer.from([0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0]);
    const payload = Buffer.concat([gre, span, frame]);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45; ip.writeUInt16BE(20 + payload.length, 2); ip[8] = 64; ip[9] = 47;
    Buffer.from([198, 51, 100, 1, 198, 51, 100, 2]).copy(ip, 12);
    return ethernetFrame(Buffer.concat([ip, payload]));
  }

  it('imports the SIP inside, and names what it did not decode instead of "none"', async () => {
    const invite = (n: number) => `OPTIONS sip:collector@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${n}\r\nFrom: <sip:p@192.0.2.10>;tag=${n}\r\nTo: <sip:collector@192.0.2.1>\r\nCall-ID: mirror-${n}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    const frames = Array.from({ length: 140 }, (_, i) => erspan(ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 5060, dstAddr: '192.0.2.1', dstPort: 5060 }, Buffer.from(invite(i + 1)))), i));
    const arp = Buffer.concat([Buffer.alloc(12, 1), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const t0 = Date.UTC(2026, 11, 5, 9, 0, 0);
    const file = path.join(dir, 'erspan.pcap');
    fs.writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, [...frames, arp, arp].map((data, i) => ({ ...pcapTime(t0 + i * 10), data }))));
    const got = await importInto('erspan', file);
    const summary = got.row.summary as { protocols: Record<string, number>; undecoded: Record<string, number> };
    expect(summary.protocols['sip']).toBe(140);
    expect(summary.protocols['other']).toBe(2);
    expect(summary.undecoded).toEqual({ 'ARP (ethertype 0x0806)': 2 });
  });
});

describe('importing HEP from a Homer agent', () => {
  it('imports the quality report a HEP3 packet (written by hep-js) carries, from the agent\'s addresses and at its time', async () => {
    const { buildVqPublish } = await import('../../server/simulator/wire/sip.js');
    const { createRequire } = await import('node:module');
    const HEPjs = createRequire(import.meta.url)('hep-js') as { encapsulate(msg: string, rcinfo: Record<string, unknown>): Buffer };
    const t0 = Date.UTC(2026, 11, 5, 9, 0, 0);
    const publish = buildVqPublish({
      collector: '192.0.2.1', source: { ip: '192.0.2.10', port: 5060 }, publishCallId: 'pub@hep-import',
      report: {
        callId: 'call-hep-import@192.0.2.10', localId: '<sip:1000@x>', remoteId: '<sip:2000@x>', startMs: t0, stopMs: t0 + 60_000,
        localAddr: { ip: '192.0.2.10', port: 6000, ssrc: 0x11111111 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x22222222 },
        local: { lossPct: 2.5 },
      },
    });
    const hep = HEPjs.encapsulate(publish, { protocolFamily: 2, protocol: 17, srcIp: '192.0.2.10', dstIp: '192.0.2.1', srcPort: 5060, dstPort: 5060, timeSeconds: t0 / 1000 + 61, timeUseconds: 0, payloadType: 1, captureId: 2001, hepNodeName: 'sbc' });
    const frame = ethernetFrame(ipUdpPacket({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: '198.51.100.1', dstPort: 9060 }, hep));
    const file = path.join(dir, 'hep.pcap');
    fs.writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, [{ ...pcapTime(t0 + 3_600_000), data: frame }]));
    const got = await importInto('hep', file);
    const summary = got.row.summary as { protocols: Record<string, number>; reports: number; devices: string[]; firstMs: number };
    expect(summary.protocols).toEqual({ hep: 1, sip: 1 });
    expect(summary.reports).toBe(1);
    expect(summary.devices).toEqual(['192.0.2.10']);
    expect(got.calls).toMatchObject([{ sipCallId: 'call-hep-import@192.0.2.10' }]);
  });
});
