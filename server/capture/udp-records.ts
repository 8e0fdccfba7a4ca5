/**
 * Which decoder a captured UDP payload goes to, and its decoded record: SIP on 5060/5061 or by its
 * start line, ACDR on 50000 (confirmed by `looksLikeAcdr`), syslog on 514, RTCP and RTP by their
 * headers. SIP requests carrying quality reports also get the report and the call records it
 * describes (the same mapping the live receiver stores). HEP (Homer agents, 9060 or the "HEP3"
 * magic) is opened and its payload decoded as the datagram the agent saw, with the agent's
 * addresses, ports and time.
 */
import { decodeAcdr, looksLikeAcdr } from '../../parsers/acdr.js';
import { decodeHep, hepProtocolName, looksLikeHep, type HepPacket } from '../../parsers/hep.js';
import { isDecodeError, type DecodeError } from '../../parsers/decode-error.js';
import { decodeRtcp, looksLikeRtcp } from '../../parsers/rtcp.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { decodeSip, sipBodyText } from '../../parsers/sip.js';
import { decodeSyslog } from '../../parsers/syslog.js';
import { decodeSipReport, isRefusal, reportToCallRecords } from '../pipeline/quality/report-records.js';
import type { CapturedUdp } from './pcap-reader.js';

export type UdpProto = 'sip' | 'acdr' | 'syslog' | 'rtcp' | 'rtp' | 'udp' | 'hep';

export interface UdpRecord {
  readonly proto: UdpProto;
  /** The decoded record, or `{ error }` when the decoder refused the payload. */
  readonly record: unknown;
}

const SIP_PORTS: ReadonlySet<number> = new Set([5060, 5061]);
const ACDR_PORT = 50000;
const SYSLOG_PORT = 514;
export const HEP_PORT = 9060;
/** HEP protocol types whose payload is a log line (100) rather than a packet. */
const HEP_LOG = 100;
const RTP_VERSION = 2;
const RTP_MIN_BYTES = 12;
/** A SIP start line: a request (`PUBLISH sip:… SIP/2.0`) or a status line. */
const SIP_START = /^(?:[A-Z]{3,16} \S+ SIP\/2\.0\r?\n|SIP\/2\.0 \d{3} )/;

export function decodeUdpRecord(u: CapturedUdp): UdpRecord {
  const p = u.payload;
  const either = (port: number) => u.srcPort === port || u.dstPort === port;
  if ((u.dstPort === HEP_PORT && looksLikeHep(p)) || (p.length >= 4 && head(p).startsWith('HEP3'))) return { proto: 'hep', record: hepRecord(u) };
  if (SIP_PORTS.has(u.srcPort) || SIP_PORTS.has(u.dstPort) || SIP_START.test(head(p))) return { proto: 'sip', record: sipRecord(u) };
  if (either(ACDR_PORT) && looksLikeAcdr(p)) return { proto: 'acdr', record: orError(decodeAcdr(p)) };
  if (either(SYSLOG_PORT)) return { proto: 'syslog', record: orError(decodeSyslog(p, { referenceMs: u.timeMs })) };
  if (looksLikeRtcp(p)) return { proto: 'rtcp', record: orError(decodeRtcp(p)) };
  if (p.length >= RTP_MIN_BYTES && p[0]! >> 6 === RTP_VERSION) return { proto: 'rtp', record: orError(decodeRtp(p)) };
  return { proto: 'udp', record: { length: p.length } };
}

function hepRecord(u: CapturedUdp): unknown {
  const hep = decodeHep(u.payload);
  if (isDecodeError(hep)) return { error: hep.message };
  const inner = hepInner(hep, u);
  const fields = { ...hep, protocol: hepProtocolName(hep.protocolType), payload: undefined };
  if (!inner || hep.compressed) return { ...fields, payloadBytes: hep.payload?.length ?? 0 };
  if (hep.protocolType === HEP_LOG) return { ...fields, inner: { proto: 'log', record: { text: Buffer.from(inner.payload).toString('utf8') } } };
  return { ...fields, inner: decodeUdpRecord(inner) };
}

/**
 * The datagram a HEP packet describes, as if captured where the agent sat: its addresses and
 * ports, its time (falling back to the capture's). Null when the packet carries no payload.
 */
export function hepInner(hep: HepPacket, outer: { frame: number; timeMs: number; src: string; srcPort: number; dst: string; dstPort: number }): CapturedUdp | null {
  if (!hep.payload) return null;
  const timeMs = hep.timeSec !== null ? hep.timeSec * 1000 + (hep.timeUsec ?? 0) / 1000 : outer.timeMs;
  return {
    frame: outer.frame,
    timeMs,
    src: hep.src ?? outer.src,
    srcPort: hep.srcPort ?? 0,
    dst: hep.dst ?? outer.dst,
    dstPort: hep.dstPort ?? 0,
    payload: hep.payload,
  };
}

function sipRecord(u: CapturedUdp): unknown {
  const msg = decodeSip(u.payload);
  if (isDecodeError(msg)) return { error: msg.message };
  const base = { ...msg, body: sipBodyText(msg) };
  if (msg.kind !== 'request' || !['PUBLISH', 'NOTIFY', 'SERVICE'].includes(msg.method)) return base;
  const report = decodeSipReport(msg);
  if (report === null) return base;
  if (isRefusal(report)) return { ...base, reportError: `${report.status} ${report.reason}` };
  return { ...base, report, calls: reportToCallRecords(report, { receivedMs: u.timeMs }) };
}

function head(p: Uint8Array): string {
  return Buffer.from(p.buffer, p.byteOffset, Math.min(p.byteLength, 64)).toString('latin1');
}

function orError<T>(r: T | DecodeError): T | { error: string } {
  return isDecodeError(r) ? { error: r.message } : r;
}
