/**
 * Oracle: `ipp-collector decode FILE --json` against tshark on a generated capture of quality
 * reports (PUBLISH vq-rtcpxr plain/compact/folded, over IPv4 and IPv6, a SERVICE with QoE XML sent
 * in IP fragments), frame by frame: frame number and time, addresses and ports, and the SIP fields.
 *   tshark -r x.pcap -Y sip -T fields -e frame.number -e frame.time_epoch -e ip.src ... -e sip.Call-ID ...
 * tshark 4.0 has no vq-rtcpxr/QoE body fields, so the body is compared by length and the report's
 * own CallID is checked to be in it. Runs the built CLI (npm test builds first). CI installs tshark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { buildQoeService, buildVqPublish, type VqReportOptions } from '../../server/simulator/wire/sip.js';
import { requireTshark, tsharkFields } from '../support/tshark.js';

const CLI = fileURLToPath(new URL('../../bin/ipp-collector.js', import.meta.url));
const hasTshark = requireTshark();
const T0 = Date.UTC(2026, 10, 26, 7, 0, 0);

interface SipJson {
  kind: string; method?: string; requestUri?: string; callId?: string; cseq?: { seq: number; method: string };
  from?: { uri: string; tag?: string }; to?: { uri: string; tag?: string }; via: Array<{ transport: string; host: string; port?: number; branch?: string }>;
  headers: Array<{ name: string; value: string }>; contentType?: string; contentLength?: number; body: string;
  report?: { kind: string; reports?: Array<{ callId?: string }>; report?: { sessions?: Array<{ dialog: { callId?: string } }> } };
}
interface Line { frame: number; time: string; src: string; dst: string; proto: string; record: SipJson }

const report = (callId: string, over: Partial<VqReportOptions> = {}): VqReportOptions => ({
  callId, localId: '<sip:1000@192.0.2.10>', remoteId: '<sip:2000@192.0.2.20>', startMs: T0, stopMs: T0 + 30_000,
  localAddr: { ip: '192.0.2.10', port: 6000, ssrc: 0x01020304 }, remoteAddr: { ip: '192.0.2.20', port: 6002, ssrc: 0x0a0b0c0d }, ...over,
});

/** IPv4 fragments of an Ethernet frame's IP packet. */
function fragments(frame: Buffer, chunk: number): Buffer[] {
  const [eth, ip] = [frame.subarray(0, 14), frame.subarray(14)];
  const out: Buffer[] = [];
  for (let off = 0; off < ip.length - 20; off += chunk) {
    const part = ip.subarray(20 + off, 20 + off + chunk);
    const h = Buffer.from(ip.subarray(0, 20));
    h.writeUInt16BE(20 + part.length, 2);
    h.writeUInt16BE((off + chunk < ip.length - 20 ? 0x2000 : 0) | (off / 8), 6);
    h.writeUInt16BE(0, 10); // tshark does not check IPv4 header checksums by default
    out.push(Buffer.concat([eth, h, part]));
  }
  return out;
}

const v4 = (payload: string, id = 0) => ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 5060, dstAddr: '192.0.2.1', dstPort: 5060 }, Buffer.from(payload), id));
const frames: Buffer[] = [
  v4(buildVqPublish({ collector: '192.0.2.1', source: { ip: '192.0.2.10', port: 5060 }, publishCallId: 'p1@192.0.2.10', report: report('c1@192.0.2.10') })),
  v4(buildVqPublish({ collector: '192.0.2.1', source: { ip: '192.0.2.10', port: 5060 }, publishCallId: 'p2@192.0.2.10', cseq: 2, compact: true, report: report('c2@192.0.2.10', { style: 'audiocodes', kind: 'interval' }) })),
  v4(buildVqPublish({ collector: '192.0.2.1', source: { ip: '192.0.2.10', port: 5060 }, publishCallId: 'p3@192.0.2.10', cseq: 3, fold: true, report: report('c3@192.0.2.10', { kind: 'alert', alert: { type: 'NLR', severity: 'Critical', dir: 'local' } }) })),
  ethernetFrame(ipUdpPacket({ srcAddr: '2001:db8::10', srcPort: 5060, dstAddr: '2001:db8::1', dstPort: 5060 },
    Buffer.from(buildVqPublish({ collector: '[2001:db8::1]', source: { ip: '[2001:db8::10]', port: 5060 }, publishCallId: 'p4@v6', report: report('c4@v6') })))),
  ...fragments(v4(buildQoeService({
    requestUri: 'sip:qoe@contoso.com;gruu', source: { ip: '192.0.2.10', port: 5060 }, serviceCallId: 's1@192.0.2.10',
    report: {
      version: 4, callId: 'q1@192.0.2.10', fromTag: 'f', toTag: 't', startMs: T0, endMs: T0 + 1000, caller: false, fromUri: 'sip:a@c', toUri: 'sip:b@c',
      localUserAgent: 'AUDC-IPPhone/3.4', remoteUserAgent: 'x', endpointName: '445HD', localAddr: { ip: '192.0.2.10', port: 40000 }, remoteAddr: { ip: '192.0.2.20', port: 40002 },
      inbound: { lossRate: 0.01, jitterMs: 5, recvListenMos: 4.1, concealedRatioAvg: 0.01, jitterSdMs: 1, networkJitterAvgMs: 4 }, outbound: { roundTripMs: 60, sendListenMos: 4.2 },
    },
  }), 9), 600),
];

/** tshark field → the same value from our NDJSON line. */
const FIELDS: Readonly<Record<string, (l: Line) => string>> = {
  'frame.time_epoch': (l) => `${Date.parse(l.time.slice(0, 19) + 'Z') / 1000}.${l.time.slice(20, 26)}000`,
  'ip.src': (l) => (l.src.startsWith('[') ? '' : l.src.split(':')[0]!),
  'ipv6.src': (l) => (l.src.startsWith('[') ? l.src.slice(1, l.src.indexOf(']')) : ''),
  'udp.srcport': (l) => l.src.slice(l.src.lastIndexOf(':') + 1),
  'udp.dstport': (l) => l.dst.slice(l.dst.lastIndexOf(':') + 1),
  'sip.Method': (l) => l.record.method ?? '',
  'sip.r-uri': (l) => l.record.requestUri ?? '',
  'sip.Call-ID': (l) => l.record.callId ?? '',
  'sip.CSeq.seq': (l) => String(l.record.cseq?.seq ?? ''),
  'sip.CSeq.method': (l) => l.record.cseq?.method ?? '',
  'sip.from.addr': (l) => l.record.from?.uri ?? '',
  'sip.from.tag': (l) => l.record.from?.tag ?? '',
  'sip.to.addr': (l) => l.record.to?.uri ?? '',
  'sip.Via.transport': (l) => l.record.via.map((v) => v.transport).join('|'),
  'sip.Via.sent-by.address': (l) => l.record.via.map((v) => v.host).join('|'),
  'sip.Via.branch': (l) => l.record.via.map((v) => v.branch ?? '').join('|'),
  'sip.Event': (l) => l.record.headers.find((h) => h.name.toLowerCase() === 'event')?.value ?? '',
  'sip.Content-Type': (l) => l.record.contentType ?? '',
  'sip.Content-Length': (l) => String(l.record.contentLength ?? ''),
};

const workDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe.skipIf(!hasTshark)('decoded SIP reports against tshark', () => {
  const file = path.join(workDir, 'reports.pcap');
  writeFileSync(file, pcapFile(LINKTYPE_ETHERNET, frames.map((data, i) => ({ ...pcapTime(T0 + i * 250 + 0.123), data }))));
  const names = Object.keys(FIELDS);
  const theirs = tsharkFields(file, names, { filter: 'sip' });
  const run = spawnSync(process.execPath, [CLI, 'decode', file, '--json'], { encoding: 'utf8' });
  const ours = run.status === 0 ? run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line) : [];

  it('finds the same SIP messages in the same frames', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(ours.map((l) => [l.frame, l.proto])).toEqual(theirs.map((r) => [r.frame, 'sip']));
  });

  it('agrees field by field, frame by frame', () => {
    for (const [i, row] of theirs.entries()) {
      const line = ours[i]!;
      // tshark repeats the Via fields of the folded line as one value with its line break kept (4.0 quirk).
      const theirsTable = Object.fromEntries(names.map((n) => [n, row.all(n).join('|').replace(/\\r\\n\s*/g, '')]));
      const oursTable = Object.fromEntries(names.map((n) => [n, FIELDS[n]!(line)]));
      expect({ frame: row.frame, ...oursTable }).toEqual({ frame: row.frame, ...theirsTable });
    }
  });

  it('decodes each report body whole and finds the reported call in it', () => {
    const reported = ['c1@192.0.2.10', 'c2@192.0.2.10', 'c3@192.0.2.10', 'c4@v6', 'q1@192.0.2.10'];
    expect(ours.map((l) => l.record.report?.reports?.[0]?.callId ?? l.record.report?.report?.sessions?.[0]?.dialog.callId)).toEqual(reported);
    for (const l of ours) expect(Buffer.byteLength(l.record.body)).toBe(l.record.contentLength);
  });
});
