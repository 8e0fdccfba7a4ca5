/**
 * A redacted copy of a plain recording capture (ours: classic pcap, Ethernet, one UDP datagram per
 * frame). Every IP header gets the stand-in addresses of the redactor (240.0.0.0/4, 100::/64), with
 * fresh checksums; the synthetic SIP/SDP that names the RTP ports gets the same stand-ins (and a
 * corrected Content-Length), so Wireshark still finds the RTP; RTCP keeps its length with SDES text
 * (CNAME = user@address) masked; RTP payloads are voice, not text, and are kept as they are.
 */
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp, LINKTYPE_ETHERNET } from '../../parsers/ip-udp.js';
import { ethernetFrame, ipUdpPacket } from '../export/ip-udp.js';
import { pcapGlobalHeader, pcapRecord } from '../export/pcap-writer.js';
import type { Redactor } from './redact.js';

const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const SIP_PORT = 5060;
/** RTP and RTCP share ports; RTCP packet types 192–223 sit where RTP's marker + payload type would (RFC 5761). */
const RTCP_TYPE_MIN = 192;
const RTCP_TYPE_MAX = 223;

export function redactPlainPcap(pcap: Buffer, r: Redactor): Buffer {
  if (pcap.length < GLOBAL_HEADER_BYTES || pcap.readUInt32LE(20) !== LINKTYPE_ETHERNET) throw new Error('not one of our plain recording captures');
  const out: Buffer[] = [pcapGlobalHeader(LINKTYPE_ETHERNET)];
  let ipId = 0;
  for (let o = GLOBAL_HEADER_BYTES; o + RECORD_HEADER_BYTES <= pcap.length;) {
    const tsSec = pcap.readUInt32LE(o);
    const tsUsec = pcap.readUInt32LE(o + 4);
    const length = pcap.readUInt32LE(o + 8);
    const frame = pcap.subarray(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + length);
    o += RECORD_HEADER_BYTES + length;
    const decoded = decodeIpUdp(LINKTYPE_ETHERNET, frame);
    // Our own export only writes UDP over IP; anything else would be a bug, and is left out rather than leaked.
    if (isDecodeError(decoded) || !decoded.ip || !decoded.udp) continue;
    const { ip, udp } = decoded;
    const ep = { srcAddr: r.mappedAddress(ip.src), srcPort: udp.srcPort, dstAddr: r.mappedAddress(ip.dst), dstPort: udp.dstPort };
    const payload = udp.srcPort === SIP_PORT || udp.dstPort === SIP_PORT ? redactSip(udp.payload, r) : isRtcp(udp.payload) ? r.maskBytes(udp.payload) : udp.payload;
    out.push(pcapRecord({ tsSec, tsUsec, data: ethernetFrame(ipUdpPacket(ep, payload, ipId++ & 0xffff)) }));
  }
  return Buffer.concat(out);
}

function isRtcp(p: Uint8Array): boolean {
  return p.length >= 2 && p[1]! >= RTCP_TYPE_MIN && p[1]! <= RTCP_TYPE_MAX;
}

function redactSip(payload: Uint8Array, r: Redactor): Buffer {
  const text = r.addressesInText(Buffer.from(payload).toString('utf8'));
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return Buffer.from(text, 'utf8');
  const body = text.slice(split + 4);
  const head = text.slice(0, split).replace(/^Content-Length:.*$/im, `Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');
}
