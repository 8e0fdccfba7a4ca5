/**
 * `ipp-collector decode FILE --json` on a generated capture of everything a collector sees: SIP
 * quality reports, ACDR, syslog, RTP and RTCP, a fragmented QoE SERVICE, and a broken frame. Runs
 * the built CLI (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { buildAcdr, buildRtcpSr, buildRtp } from '../../server/simulator/wire/acdr.js';
import { classicRecords, pcapngFile, reencodePcap } from '../fixtures/gen-pcapng.js';
import { buildQoeService, buildVqPublish } from '../../server/simulator/wire/sip.js';

const CLI = fileURLToPath(new URL('../../bin/ipp-collector.js', import.meta.url));
const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);
const PHONE = '192.0.2.10';
const COLLECTOR = '192.0.2.1';

function udp(src: string, srcPort: number, dst: string, dstPort: number, payload: Uint8Array | string, ipId = 0): Buffer {
  return ethernetFrame(ipUdpPacket({ srcAddr: src, srcPort, dstAddr: dst, dstPort }, typeof payload === 'string' ? Buffer.from(payload) : payload, ipId));
}

/** IPv4 fragments of an Ethernet frame's IP packet, `chunk` payload bytes each. */
function fragments(frame: Buffer, chunk: number): Buffer[] {
  const eth = frame.subarray(0, 14);
  const ip = frame.subarray(14);
  const data = ip.subarray(20);
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, off + chunk);
    const h = Buffer.from(ip.subarray(0, 20));
    h.writeUInt16BE(20 + part.length, 2);
    h.writeUInt16BE((off + chunk < data.length ? 0x2000 : 0) | (off / 8), 6);
    out.push(Buffer.concat([eth, h, part]));
  }
  return out;
}

function decode(file: string): Array<{ frame: number; time: string; src: string | null; dst: string | null; proto: string; record: Record<string, unknown> }> {
  const r = spawnSync(process.execPath, [CLI, 'decode', file, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`decode exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as never);
}

describe('decode command', () => {
  it('prints one JSON line per UDP datagram with the matching decoder, reports with their call records', () => {
    const publish = buildVqPublish({
      collector: COLLECTOR, source: { ip: PHONE, port: 5060 }, publishCallId: 'pub@x',
      report: {
        callId: 'call-7@192.0.2.10', localId: '<sip:1000@x>', remoteId: '<sip:2000@x>', startMs: T0, stopMs: T0 + 60_000,
        localAddr: { ip: PHONE, port: 6000, ssrc: 0x11111111 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x22222222 },
        local: { lossPct: 2.5 },
      },
    });
    const service = buildQoeService({
      requestUri: 'sip:qoe@contoso.com', source: { ip: PHONE, port: 5060 }, serviceCallId: 'svc@x',
      report: {
        version: 2, callId: 'qoe-call@x', fromTag: 'a', toTag: 'b', startMs: T0, endMs: T0 + 1000, caller: true, fromUri: 'sip:a@c', toUri: 'sip:b@c',
        localUserAgent: 'AUDC-IPPhone', remoteUserAgent: 'x', endpointName: '445HD', localAddr: { ip: PHONE, port: 40000 }, remoteAddr: { ip: '192.0.2.20', port: 40002 },
        inbound: { lossRate: 0.02, jitterMs: 8, recvListenMos: 4.0 }, outbound: { roundTripMs: 90 },
      },
    });
    const rtp = buildRtp({ payloadType: 8, sequence: 7, timestamp: 160, ssrc: 0x22222222, payload: new Uint8Array(160) });
    const acdr = buildAcdr({ version: 7, timestampUs: 1000, sequence: 1, tracePoint: 0, mediaType: 0, session: { boardId: 1, resetCounter: 2, sessionId: 3 } }, rtp);
    const sr = buildRtcpSr({ ssrc: 0x11111111, ntpSec: 3_900_000_000, ntpFrac: 0, rtpTimestamp: 160, packetCount: 1, octetCount: 160 });
    const bigService = Buffer.from(service);
    const frames = [
      udp(PHONE, 5060, COLLECTOR, 5060, publish),
      udp(PHONE, 514, COLLECTOR, 514, '<134>Nov 26 08:00:00 445HD voip_task: hello'),
      udp(PHONE, 50000, COLLECTOR, 50000, acdr),
      udp(PHONE, 6000, '192.0.2.20', 6002, rtp),
      udp(PHONE, 6001, '192.0.2.20', 6003, sr),
      ...fragments(udp(PHONE, 5060, COLLECTOR, 5060, bigService, 77), 1000),
      Buffer.alloc(10),
    ];
    expect(frames.length).toBeGreaterThan(7);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-decode-'));
    const file = path.join(dir, 'mixed.pcap');
    writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, frames.map((data, i) => ({ ...pcapTime(T0 + i * 10), data }))));
    const lines = decode(file);
    expect(lines.map((l) => l.proto)).toEqual(['sip', 'syslog', 'acdr', 'rtp', 'rtcp', 'sip', 'error']);
    const [pub, syslog, acdrLine, rtpLine, rtcpLine, svc, broken] = lines;
    expect(pub).toMatchObject({ frame: 1, time: '2026-11-26T08:00:00.000000Z', src: `${PHONE}:5060`, dst: `${COLLECTOR}:5060` });
    expect(pub!.record).toMatchObject({ kind: 'request', method: 'PUBLISH', callId: 'pub@x', report: { kind: 'vq-rtcpxr', reports: [{ callId: 'call-7@192.0.2.10' }] } });
    const calls = pub!.record['calls'] as Array<{ keys: { sipCallId: string }; streams: Array<{ direction: string; samples: Array<{ source: string; metrics: { lossPct: number } }> }> }>;
    expect(calls[0]?.keys.sipCallId).toBe('call-7@192.0.2.10');
    expect(calls[0]?.streams[0]).toMatchObject({ direction: 'rx', samples: [{ source: 'vq-session', metrics: { lossPct: 2.5 } }] });
    expect(typeof pub!.record['body']).toBe('string');
    expect((syslog!.record as unknown as Array<{ message: string }>)[0]?.message).toContain('hello');
    expect(acdrLine!.record).toMatchObject({ version: 7 });
    expect(rtpLine!.record).toMatchObject({ ssrc: 0x22222222, sequence: 7 });
    expect(rtcpLine!.record).toHaveProperty('packets');
    // The fragmented SERVICE comes out whole, at the frame of its last fragment.
    expect(svc!.frame).toBe(frames.length - 1);
    expect(svc!.record).toMatchObject({ method: 'SERVICE', report: { kind: 'ms-qoe' } });
    expect(broken).toMatchObject({ frame: frames.length, proto: 'error', record: { error: expect.stringMatching(/Ethernet header too short/) as unknown } });
  });

  it('decodes pcapng and nanosecond pcap to the same lines as classic pcap, and reports a damaged block by offset', () => {
    const publish = buildVqPublish({
      collector: COLLECTOR, source: { ip: PHONE, port: 5060 }, publishCallId: 'pub-ng@x',
      report: {
        callId: 'call-ng@192.0.2.10', localId: '<sip:1000@x>', remoteId: '<sip:2000@x>', startMs: T0, stopMs: T0 + 60_000,
        localAddr: { ip: PHONE, port: 6000, ssrc: 0x11111111 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x22222222 },
      },
    });
    const frames = [
      udp(PHONE, 5060, COLLECTOR, 5060, publish),
      udp(PHONE, 514, COLLECTOR, 514, '<134>Nov 26 08:00:00 445HD voip_task: over pcapng'),
      udp(PHONE, 6000, '192.0.2.20', 6002, buildRtp({ payloadType: 0, sequence: 9, timestamp: 320, ssrc: 0x33333333, payload: new Uint8Array(160) })),
    ];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-decode-'));
    // 123 µs past the ms, so the times show the capture's own precision survives every container.
    const pcap = pcapFile(LINKTYPE_ETHERNET, frames.map((data, i) => ({ ...pcapTime(T0 + i * 10 + 0.123), data })));
    const ngPackets = classicRecords(pcap).map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data }));
    const files = {
      pcap, ns: reencodePcap(pcap, { nanoseconds: true, bigEndian: true }),
      ng: pcapngFile([{ interfaces: [{ linkType: LINKTYPE_ETHERNET, tsresol: 9 }], packets: ngPackets }]),
    };
    const out = Object.fromEntries(Object.entries(files).map(([name, bytes]) => {
      const file = path.join(dir, `${name}.cap`);
      writeFileSync(file, bytes);
      return [name, decode(file)];
    }));
    expect(out['pcap']!.map((l) => [l.proto, l.time])).toEqual([['sip', '2026-11-26T08:00:00.000123Z'], ['syslog', '2026-11-26T08:00:00.010123Z'], ['rtp', '2026-11-26T08:00:00.020123Z']]);
    expect(out['ns']).toEqual(out['pcap']);
    expect(out['ng']).toEqual(out['pcap']);

    // The second packet block's length says 1 GB: reported with its offset, the third still decoded.
    const ng = Buffer.from(files.ng);
    const blocks: number[] = [];
    for (let at = 0; at < ng.length; at += ng.readUInt32LE(at + 4)) blocks.push(at);
    const lying = blocks[3]!;
    ng.writeUInt32LE(1 << 30, lying + 4);
    const damaged = path.join(dir, 'damaged.pcapng');
    writeFileSync(damaged, ng);
    const lines = decode(damaged) as Array<{ proto: string; offset?: number; record: Record<string, unknown> }>;
    expect(lines.map((l) => l.proto)).toEqual(['sip', 'error', 'rtp']);
    expect(lines[1]).toMatchObject({ offset: lying });
    expect(String(lines[1]!.record['error'])).toMatch(/length/);
  });

  it('refuses files it does not know, saying what it reads', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-decode-'));
    const file = path.join(dir, 'x.bin');
    writeFileSync(file, 'hello world');
    const r = spawnSync(process.execPath, [CLI, 'decode', file, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown file type \(first bytes 68656c6c6f20776f\); decode reads classic pcap/);
  });
});
