/**
 * Oracle: our SIP decoder against tshark's `sip` dissector, field by field, on a generated capture
 * of what the collector sees: PUBLISH vq-rtcpxr (plain, compact, folded), SERVICE with MS-QoE XML,
 * OPTIONS, multi-Via requests, and the responses `buildSipResponse` makes for each.
 *   tshark -r x.pcap -T fields -e sip.Method -e sip.Status-Code -e sip.Call-ID ... (one row per frame)
 * tshark 4.0 has no vq-rtcpxr body fields (`tshark -G fields | grep -i vq` is empty), so bodies are
 * compared by length only; the body decoders have their own unit tests.
 * CI installs: tshark.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { buildSipResponse, decodeSip, sipHeader, type SipMessage } from '../../parsers/sip.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { buildOptions, buildQoeService, buildSipRequest, buildVqPublish, type VqReportOptions } from '../../server/simulator/wire/sip.js';

const ALLOW_MISSING = process.env['IPP_ALLOW_MISSING_ORACLES'] === '1';
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasTshark && !ALLOW_MISSING) {
  throw new Error('oracle tool missing: tshark (apt-get install tshark, or set IPP_ALLOW_MISSING_ORACLES=1 to skip)');
}
if (!hasTshark) console.warn('skipping SIP oracle: tshark missing (IPP_ALLOW_MISSING_ORACLES=1)');

const PHONE = { ip: '192.0.2.10', port: 5060 };
const COLLECTOR = { ip: '192.0.2.1', port: 5060 };

const REPORT: VqReportOptions = {
  callId: 'reported-call@192.0.2.10',
  localId: '<sip:1000@192.0.2.10>',
  remoteId: '<sip:2000@192.0.2.20>',
  localAddr: { ip: '192.0.2.10', port: 6000, ssrc: 0x54c62a13 },
  remoteAddr: { ip: '192.0.2.20', port: 6000, ssrc: 0x243220dd },
  localMac: '00:90:8f:57:d9:71',
  startMs: Date.UTC(2024, 5, 1, 12, 0, 0),
  stopMs: Date.UTC(2024, 5, 1, 12, 5, 0),
  remote: { lossPct: 1.2 },
};

/** Requests the phone sends; each gets the response our collector would build. */
const REQUESTS: readonly string[] = [
  buildVqPublish({ collector: COLLECTOR.ip, source: PHONE, publishCallId: 'pub-plain@192.0.2.10', report: REPORT }),
  buildVqPublish({ collector: COLLECTOR.ip, source: PHONE, publishCallId: 'pub-compact@192.0.2.10', cseq: 2, compact: true, report: { ...REPORT, style: 'audiocodes' } }),
  buildVqPublish({ collector: COLLECTOR.ip, source: PHONE, publishCallId: 'pub-folded@192.0.2.10', cseq: 3, fold: true, report: { ...REPORT, kind: 'alert' } }),
  buildQoeService({
    requestUri: 'sip:pool01@contoso.com;gruu;opaque=srvr:QoE:abc',
    source: PHONE,
    serviceCallId: 'svc-1@192.0.2.10',
    report: {
      version: 3,
      callId: 'reported-call@192.0.2.10',
      fromTag: 'ft',
      toTag: 'tt',
      startMs: REPORT.startMs,
      endMs: REPORT.stopMs,
      caller: true,
      fromUri: 'sip:alice@contoso.com',
      toUri: 'sip:bob@contoso.com',
      localUserAgent: 'AUDC-IPPhone/3.4.6.604 (445HD)',
      remoteUserAgent: 'UCCAPI/16.0',
      endpointName: '445HD-D971',
      localAddr: { ip: '192.0.2.10', port: 40000 },
      remoteAddr: { ip: '192.0.2.20', port: 40002 },
      inbound: { jitterMs: 12, lossRate: 0.05, networkMosAvg: 3.2 },
      outbound: { roundTripMs: 180 },
    },
  }),
  buildOptions({ source: PHONE, target: COLLECTOR.ip, callId: 'opt-1@192.0.2.10', cseq: 17 }),
  // Through two proxies: a comma list and a second Via line, IPv6 sent-by, received/rport filled.
  buildSipRequest({
    method: 'PUBLISH',
    requestUri: 'sip:collector@example.com',
    from: '"Phone 1000" <sip:1000@example.com>',
    fromTag: 'abc123',
    to: 'sip:collector@example.com',
    toTag: 'existing',
    callId: 'multi-via@example.com',
    cseq: 4711,
    source: PHONE,
    branch: 'z9hG4bKphone',
    headers: [
      ['Via', 'SIP/2.0/TCP proxy2.example.com:5070;branch=z9hG4bKp2, SIP/2.0/UDP [2001:db8::5]:5062;branch=z9hG4bKp1;received=2001:db8::6;rport=5063'],
      ['Event', 'vq-rtcpxr'],
    ],
    contentType: 'application/vq-rtcpxr',
    body: 'VQSessionReport: CallTerm\r\nCallID: x\r\n',
  }),
];

function ok(bytes: Uint8Array): SipMessage {
  const msg = decodeSip(bytes);
  if (isDecodeError(msg)) throw new Error(msg.message);
  return msg;
}

const frames: Buffer[] = [];
for (const text of REQUESTS) {
  const bytes = Buffer.from(text);
  frames.push(bytes);
  const req = ok(bytes);
  if (req.kind !== 'request') throw new Error('generator built a response');
  const status = req.method === 'SERVICE' ? [202, 'Accepted'] as const : [200, 'OK'] as const;
  const extra: [string, string][] = req.method === 'PUBLISH' ? [['SIP-ETag', `etag-${req.cseq?.seq}`], ['Expires', '3600']] : [];
  frames.push(Buffer.from(buildSipResponse(req, status[0], status[1], extra, { source: { address: PHONE.ip, port: 40000 } })));
}
frames.push(Buffer.from('SIP/2.0 415 Unsupported Media Type\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKx\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>;tag=2\r\ni: err-1\r\nCSeq: 9 SERVICE\r\nAccept: application/vq-rtcpxr+xml\r\nl: 0\r\n\r\n'));

/** tshark field → how we produce the same text. Rows are compared as one table. */
const FIELDS: Readonly<Record<string, (m: SipMessage) => string>> = {
  'sip.Method': (m) => (m.kind === 'request' ? m.method : ''),
  'sip.r-uri': (m) => (m.kind === 'request' ? m.requestUri : ''),
  'sip.Status-Code': (m) => (m.kind === 'response' ? String(m.status) : ''),
  'sip.Call-ID': (m) => m.callId ?? '',
  'sip.CSeq.seq': (m) => String(m.cseq?.seq ?? ''),
  'sip.CSeq.method': (m) => m.cseq?.method ?? '',
  'sip.from.addr': (m) => m.from?.uri ?? '',
  'sip.from.tag': (m) => m.from?.tag ?? '',
  'sip.to.addr': (m) => m.to?.uri ?? '',
  'sip.to.tag': (m) => m.to?.tag ?? '',
  'sip.Via.transport': (m) => m.via.map((v) => v.transport).join('|'),
  'sip.Via.sent-by.address': (m) => m.via.map((v) => v.host).join('|'),
  'sip.Via.sent-by.port': (m) => m.via.flatMap((v) => (v.port === undefined ? [] : [String(v.port)])).join('|'),
  'sip.Via.branch': (m) => m.via.map((v) => v.branch ?? '').join('|'),
  'sip.Via.received': (m) => m.via.flatMap((v) => (v.received === undefined ? [] : [v.received])).join('|'),
  // tshark prints a valueless rport (a request asking for it) as the word itself.
  'sip.Via.rport': (m) => m.via.flatMap((v) => (v.rport === undefined ? [] : [v.rport === true ? 'rport' : String(v.rport)])).join('|'),
  'sip.Content-Length': (m) => String(m.contentLength ?? ''),
  'sip.Content-Type': (m) => m.contentType ?? '',
  'sip.Event': (m) => sipHeader(m, 'Event') ?? '',
  'sip.Expires': (m) => sipHeader(m, 'Expires') ?? '',
  'sip.Max-Forwards': (m) => sipHeader(m, 'Max-Forwards') ?? '',
  'sip.User-Agent': (m) => sipHeader(m, 'User-Agent') ?? '',
  'sip.Server': (m) => sipHeader(m, 'Server') ?? '',
  'sip.Accept': (m) => sipHeader(m, 'Accept') ?? '',
};

const workDir = mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe.skipIf(!hasTshark)('SIP decoding against tshark', () => {
  const pcapPath = path.join(workDir, 'sip.pcap');
  const records = frames.map((payload, i) => {
    const fromPhone = /^[A-Z]+ /.test(payload.toString('latin1', 0, 16)) && !payload.toString('latin1', 0, 4).startsWith('SIP/');
    const ep = fromPhone
      ? { srcAddr: PHONE.ip, srcPort: PHONE.port, dstAddr: COLLECTOR.ip, dstPort: COLLECTOR.port }
      : { srcAddr: COLLECTOR.ip, srcPort: COLLECTOR.port, dstAddr: PHONE.ip, dstPort: PHONE.port };
    return { ...pcapTime(Date.UTC(2024, 5, 1, 12, 5, 1) + i * 20), data: ethernetFrame(ipUdpPacket(ep, payload, i)) };
  });
  writeFileSync(pcapPath, pcapFile(LINKTYPE_ETHERNET, records));

  const names = Object.keys(FIELDS);
  const output = execFileSync(
    'tshark',
    ['-r', pcapPath, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=|', '-E', 'occurrence=a', '-E', 'quote=n', ...names.flatMap((f) => ['-e', f]), '-e', 'frame.len', '-e', 'udp.length'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // tshark 4.0 quirk: in a Via folded right after the protocol (`SIP/2.0/UDP<CRLF> host`), it keeps
  // the line break in sip.Via.transport. The fold is legal (RFC 3261 §7.3.1), so we trim theirs.
  const transport = names.indexOf('sip.Via.transport');
  const theirs = output
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'))
    .map((row) => row.map((value, i) => (i === transport ? value.replace(/\\r\\n/g, '') : value)));

  it('sees every frame as SIP', () => {
    expect(theirs).toHaveLength(frames.length);
  });

  it.each(frames.map((f, i) => [i + 1, f.toString('latin1').split('\r\n')[0]!, f] as const))('frame %i (%s) matches field by field', (frame, _startLine, payload) => {
    const ours = ok(payload);
    const row = theirs[frame - 1]!;
    const table = (values: (name: string, i: number) => string): Record<string, string> => Object.fromEntries(names.map((n, i) => [n, values(n, i)]));
    expect(table((n) => FIELDS[n]!(ours))).toEqual(table((_n, i) => row[i] ?? ''));
  });

  it('carries each body whole, Content-Length bytes after the headers', () => {
    for (const payload of frames) {
      const msg = ok(payload);
      expect(msg.body.length).toBe(msg.contentLength);
      expect(payload.length - msg.body.length).toBe(payload.indexOf('\r\n\r\n') + 4);
    }
  });
});
