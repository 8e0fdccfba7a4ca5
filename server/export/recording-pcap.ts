/**
 * Captures of a recorded call that Wireshark opens as they are:
 *  - `original`: the ACDR datagrams as they reached the collector (arrival times, UDP from the
 *    phone to the recording port). Open with Decode As UDP port → AC DR (`-d udp.port==50000,acdr`).
 *  - `plain`: every recorded RTP/RTCP packet re-wrapped as IPv4/IPv6 + UDP between the phone and
 *    the far end (addresses from the ACDR header extension, or from the recorded IP header),
 *    timed by the ACDR device timestamps. Wireshark only treats UDP as RTP when SDP told it the
 *    ports, so the file starts with a synthetic SIP INVITE / 200 OK per media path whose SDP names
 *    the ports and payload types: RTP analysis and the player then work with no Decode As.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { decodeAcdr } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { resolvePayloadType } from '../analysis/codecs.js';
import { datagramAt, type DatagramColumns } from '../pipeline/recordings/datagram-batch.js';
import { SenderState } from '../pipeline/recordings/sender-state.js';
import { directionOf, farEnd } from '../pipeline/recordings/tracker.js';
import { ethernetFrame, ipUdpPacket, type UdpEndpoints } from './ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime, type PcapRecord } from './pcap-writer.js';

export type RecordingPcapForm = 'original' | 'plain';

export interface OriginalPcapOptions {
  readonly deviceAddr: string;
  readonly recordingPort: number;
  /** The collector's address as the phone sent to it; unknown for a dual-stack bind, so the family's unspecified address by default. */
  readonly collectorAddr?: string;
}

export function originalPcap(c: DatagramColumns, o: OriginalPcapOptions): Buffer {
  const v4 = isIPv4(o.deviceAddr);
  const dst = o.collectorAddr && isIPv4(o.collectorAddr) === v4 ? o.collectorAddr : v4 ? '0.0.0.0' : '::';
  const records: PcapRecord[] = [];
  for (let i = 0; i < c.n; i++) {
    const ep = { srcAddr: v4 ? o.deviceAddr : v6Hex(o.deviceAddr), srcPort: c.srcPort[i]!, dstAddr: v4 ? dst : v6Hex(dst), dstPort: o.recordingPort };
    records.push({ ...pcapTime(c.arrivalMs[i]!), data: ethernetFrame(ipUdpPacket(ep, datagramAt(c, i), i & 0xffff)) });
  }
  return pcapFile(LINKTYPE_ETHERNET, records);
}

const SIP_PORT = 5060;
/** The synthetic SIP exchange sits just before the first media packet. */
const SIP_LEAD_MS = 2;

interface MediaPath {
  phone: string;
  phonePort: number;
  far: string;
  farPort: number;
  payloadTypes: Set<number>;
  firstMs: number;
}

export function plainPcap(c: DatagramColumns, deviceAddr: string): Buffer {
  const clock = new SenderState(deviceAddr);
  const frames: Array<{ t: number; data: Buffer }> = [];
  const paths = new Map<string, MediaPath>();
  for (let i = 0; i < c.n; i++) {
    const rec = decodeAcdr(datagramAt(c, i));
    if (isDecodeError(rec) || (rec.payloadKind !== 'rtp' && rec.payloadKind !== 'rtcp')) continue;
    const t = clock.deviceTimeMs(rec.version, rec.timestampUs, c.arrivalMs[i]!);
    const direction = directionOf(rec);
    const far = farEnd(rec, direction);
    if (far.addr === null || far.port === null) continue;
    const [phone, farAddr] = sameFamily(far.localAddr ?? deviceAddr, far.addr);
    const phonePort = far.localPort ?? far.port;
    const ep: UdpEndpoints = direction === 'rx'
      ? { srcAddr: farAddr, srcPort: far.port, dstAddr: phone, dstPort: phonePort }
      : { srcAddr: phone, srcPort: phonePort, dstAddr: farAddr, dstPort: far.port };
    frames.push({ t, data: ethernetFrame(ipUdpPacket(ep, rec.payload, frames.length & 0xffff)) });
    if (rec.payloadKind === 'rtp' && rec.payload.length >= 2) {
      const key = `${phone}|${phonePort}|${farAddr}|${far.port}`;
      let path = paths.get(key);
      if (!path) {
        path = { phone, phonePort, far: farAddr, farPort: far.port, payloadTypes: new Set(), firstMs: t };
        paths.set(key, path);
      }
      path.payloadTypes.add(rec.payload[1]! & 0x7f);
      path.firstMs = Math.min(path.firstMs, t);
    }
  }
  let n = 0;
  for (const p of paths.values()) {
    const callId = `recording-${n++}-${p.phonePort}-${p.farPort}@ipp-collector`;
    const t = p.firstMs - SIP_LEAD_MS;
    frames.push({ t, data: sipFrame(p, 'invite', callId) }, { t: t + SIP_LEAD_MS / 2, data: sipFrame(p, 'ok', callId) });
  }
  frames.sort((a, b) => a.t - b.t);
  return pcapFile(LINKTYPE_ETHERNET, frames.map((f) => ({ ...pcapTime(f.t), data: f.data })));
}

function sipFrame(p: MediaPath, kind: 'invite' | 'ok', callId: string): Buffer {
  const [fromAddr, fromPort, toAddr] = kind === 'invite' ? [p.phone, p.phonePort, p.far] : [p.far, p.farPort, p.phone];
  const ipv = isIPv4(fromAddr) ? 'IP4' : 'IP6';
  const pts = [...p.payloadTypes].sort((a, b) => a - b);
  const rtpmap = pts.flatMap((pt) => {
    const codec = resolvePayloadType(pt);
    return codec ? [`a=rtpmap:${pt} ${codec.name}/${codec.clockRate}\r\n`] : [];
  }).join('');
  const sdp = `v=0\r\no=- 1 1 IN ${ipv} ${fromAddr}\r\ns=recorded call\r\nc=IN ${ipv} ${fromAddr}\r\nt=0 0\r\n`
    + `m=audio ${fromPort} RTP/AVP ${pts.join(' ')}\r\n${rtpmap}a=sendrecv\r\n`;
  const uri = (a: string) => (a.includes(':') ? `[${a}]` : a);
  const head = kind === 'invite' ? `INVITE sip:far@${uri(p.far)} SIP/2.0` : 'SIP/2.0 200 OK';
  const text = `${head}\r\nVia: SIP/2.0/UDP ${uri(p.phone)}:${SIP_PORT};branch=z9hG4bK-${callId.length}${p.phonePort}\r\n`
    + `From: <sip:phone@${uri(p.phone)}>;tag=phone\r\nTo: <sip:far@${uri(p.far)}>${kind === 'ok' ? ';tag=far' : ''}\r\n`
    + `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:${kind === 'invite' ? 'phone' : 'far'}@${uri(fromAddr)}>\r\n`
    + `Subject: synthetic, written by ipp-collector so Wireshark knows the RTP ports\r\n`
    + `Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`;
  return ethernetFrame(ipUdpPacket({ srcAddr: fromAddr, srcPort: SIP_PORT, dstAddr: toAddr, dstPort: SIP_PORT }, Buffer.from(text)));
}

/** One IP family for both ends: IPv4-mapped IPv6 becomes IPv4, or IPv4 becomes IPv4-mapped. */
function sameFamily(a: string, b: string): [string, string] {
  const a4 = unmapped(a);
  const b4 = unmapped(b);
  if (isIPv4(a4) && isIPv4(b4)) return [a4, b4];
  return [v6Hex(a4), v6Hex(b4)];
}

function unmapped(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

/** IPv6 text with no dotted IPv4 tail (our IP writer reads hex groups only); IPv4 in the mapped form. */
function v6Hex(addr: string): string {
  if (isIPv4(addr)) {
    const [a = 0, b = 0, c = 0, d = 0] = addr.split('.').map(Number);
    return `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (!m || !isIPv6(addr)) return addr;
  const [a = 0, b = 0, c = 0, d = 0] = m[2]!.split('.').map(Number);
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
