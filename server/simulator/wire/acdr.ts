/**
 * Deterministic builders for ACDR datagrams, RTP, RTCP (incl. XR) and telephone-event payloads,
 * plus the corpora the unit/oracle tests use. The phone simulator builds its traffic with them.
 * Builders throw on impossible input: a bad fixture or simulation must fail loudly, not send junk.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ethernetFrame, ipUdpPacket } from '../../export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../export/pcap-writer.js';

// ---------------------------------------------------------------------------------------------
// Byte helpers

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class Writer {
  private readonly bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u24(v: number): this {
    return this.u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  /** 40-bit unsigned (exact for any integer below 2^40). */
  u40(v: number): this {
    return this.u8(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }
  u48(v: number): this {
    return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }
  raw(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.bytes.push(x & 0xff);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex length ${clean.length}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function ipBytes(addr: string): Uint8Array {
  if (isIPv4(addr)) return Uint8Array.from(addr.split('.').map(Number));
  if (!isIPv6(addr)) throw new Error(`not an IP address: ${addr}`);
  const [head = '', tail = ''] = addr.includes('::') ? addr.split('::') : [addr, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // An embedded dotted IPv4 tail ("::ffff:192.0.2.5") is two groups.
  const last = t.at(-1) ?? '';
  if (last.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    t.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const w = new Writer();
  for (const g of groups) w.u16(parseInt(g, 16));
  return w.done();
}

const text = new TextEncoder();
export function ascii(s: string): Uint8Array {
  return text.encode(s);
}

// ---------------------------------------------------------------------------------------------
// ACDR

/** Fixed header length per minor version (acdr spec §2.2). */
export const ACDR_FIXED_HEADER_BYTES = [15, 15, 15, 15, 15, 19, 19, 23, 24, 28] as const;

export interface AcdrFields {
  /** Minor version 0-9, or any byte for hostile cases. */
  readonly version: number;
  /** µs; 48 bits for v<=3, 32 bits for v>=4. */
  readonly timestampUs?: number;
  /** v>=4. */
  readonly sequence?: number;
  /** -1 = no channel. */
  readonly srcId?: number;
  readonly dstId?: number;
  readonly extraData?: number;
  readonly tracePoint: number;
  readonly mediaType: number;
  /** v<5 payload-offset byte (ignored by decoders). */
  readonly payloadOffset?: number;
  /** v>=5. v5/v6 use only sessionId. */
  readonly session?: { readonly boardId?: number; readonly resetCounter?: number; readonly sessionId?: number };
  /** v>=5: the header extension bytes (E = their length unless extLenOverride). */
  readonly headerExtension?: Uint8Array;
  /** Writes a lying E byte (hostile cases). */
  readonly extLenOverride?: number;
  /** Written after the extension; set extraData bit 0x01 yourself. */
  readonly mii?: { readonly sequence: number; readonly packetSize: number };
}

/** One ACDR datagram: fixed header, extension, optional MII header, payload. */
export function buildAcdr(f: AcdrFields, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const v = f.version;
  if (v > 9) return new Writer().u8(v).raw(payload).done();
  const w = new Writer().u8(v);
  if (v <= 3) w.u48(f.timestampUs ?? 0);
  else w.u32(f.timestampUs ?? 0).u16(f.sequence ?? 0);
  const id = (x: number | undefined): number => (x === undefined ? 0 : x < 0 ? (v === 9 ? 0xffffffff : 0xffff) : x);
  if (v === 9) w.u32(id(f.srcId)).u32(id(f.dstId));
  else w.u16(id(f.srcId)).u16(id(f.dstId));
  w.u8(f.extraData ?? 0).u8(f.tracePoint).u8(f.mediaType);
  const ext = f.headerExtension ?? new Uint8Array(0);
  if (v < 5) {
    if (ext.length > 0) throw new Error(`ACDR v${v} has no header extension`);
    w.u8(f.payloadOffset ?? 0);
  } else {
    w.u8(f.extLenOverride ?? ext.length);
    const s = f.session ?? {};
    if (v <= 6) w.u32(s.sessionId ?? 0);
    else {
      w.u24(s.boardId ?? 0).u8(s.resetCounter ?? 0);
      if (v === 7) w.u32(s.sessionId ?? 0);
      else w.u40(s.sessionId ?? 0);
    }
  }
  if (w.length !== ACDR_FIXED_HEADER_BYTES[v]) throw new Error(`internal: v${v} header is ${w.length} bytes`);
  w.raw(ext);
  if (f.mii) w.u16(f.mii.sequence).u16(f.mii.packetSize);
  return w.raw(payload).done();
}

/** RTP-family extension (far-end IP, far-end port, local port, TOS[, C5 flags]); IPv6 by address form. */
export function acdrMediaExt(e: { farAddr: string; farPort: number; localPort: number; ipTos: number; c5ControlFlags?: number }): Uint8Array {
  const w = new Writer().raw(ipBytes(e.farAddr)).u16(e.farPort).u16(e.localPort).u8(e.ipTos);
  if (e.c5ControlFlags !== undefined) w.u8(e.c5ControlFlags);
  return w.done();
}

/** Control-protocol extension at trace point System. direction: 0 incoming, 1 outgoing. */
export function acdrSystemExt(e: { srcAddr: string; dstAddr: string; srcPort: number; dstPort: number; protocol: number; direction: number }): Uint8Array {
  return new Writer().raw(ipBytes(e.srcAddr)).raw(ipBytes(e.dstAddr)).u16(e.srcPort).u16(e.dstPort).u8(e.protocol).u8(e.direction).done();
}

export function acdrTlsExt(e: { srcPort: number; dstPort: number; srcAddr: string; dstAddr: string; application: number }): Uint8Array {
  return new Writer().u16(e.srcPort).u16(e.dstPort).raw(ipBytes(e.srcAddr)).raw(ipBytes(e.dstAddr)).u8(e.application).done();
}

export function acdrDspExt(dspCore: number, dspChannel: number): Uint8Array {
  return Uint8Array.of(dspCore, dspChannel);
}

export function acdrEventExt(eventId: number, eventSource: number): Uint8Array {
  return Uint8Array.of(eventId, eventSource);
}

export function acdrPstnExt(pstnTraceSeq: number): Uint8Array {
  return new Writer().u32(pstnTraceSeq).done();
}

/** 16-byte 5x analysis header + 4-byte HPI header that precede DspIncoming/DspOutgoing payloads. */
export function acdrDspAnalysisHeader(h: {
  version: number; direction: number; subversion: number; device: number; sequence: number; timestamp: number;
  hpiSync: number; hpiUdpChecksum: boolean; hpiResourceId: number; hpiFavorite: boolean; hpiProtocol: number;
}): Uint8Array {
  return new Writer()
    .u16(h.version).u8((h.direction << 7) | h.subversion).u8(h.device).u16(h.sequence).u16(0).u32(h.timestamp).u32(0)
    .u8((h.hpiSync << 5) | (h.hpiUdpChecksum ? 0x10 : 0)).u8(h.hpiResourceId).u8(h.hpiFavorite ? 0x80 : 0).u8(h.hpiProtocol)
    .done();
}

/** The original IPv4/IPv6 + UDP packet a "header added" record carries (checksums included). */
export function innerIpUdp(ep: { srcAddr: string; srcPort: number; dstAddr: string; dstPort: number }, payload: Uint8Array): Uint8Array {
  return new Uint8Array(ipUdpPacket(ep, payload));
}

/** UDP header only (T.38 and DTLS "header added" records). */
export function innerUdp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return new Writer().u16(srcPort).u16(dstPort).u16(8 + payload.length).u16(0).raw(payload).done();
}

// ---------------------------------------------------------------------------------------------
// RTP and telephone-event

export interface RtpFields {
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker?: boolean;
  readonly csrc?: readonly number[];
  /** `data` length must be a multiple of 4. */
  readonly extension?: { readonly profile: number; readonly data: Uint8Array };
  /** Number of padding bytes (>= 1) appended, last one holding the count. */
  readonly padding?: number;
  readonly payload?: Uint8Array;
  /** Override for hostile cases. */
  readonly version?: number;
}

export function buildRtp(r: RtpFields): Uint8Array {
  const csrc = r.csrc ?? [];
  const w = new Writer()
    .u8(((r.version ?? 2) << 6) | (r.padding ? 0x20 : 0) | (r.extension ? 0x10 : 0) | csrc.length)
    .u8((r.marker ? 0x80 : 0) | r.payloadType)
    .u16(r.sequence).u32(r.timestamp).u32(r.ssrc);
  for (const c of csrc) w.u32(c);
  if (r.extension) {
    if (r.extension.data.length % 4 !== 0) throw new Error('RTP extension data must be whole words');
    w.u16(r.extension.profile).u16(r.extension.data.length / 4).raw(r.extension.data);
  }
  w.raw(r.payload ?? new Uint8Array(0));
  if (r.padding) w.raw(new Array<number>(r.padding - 1).fill(0)).u8(r.padding);
  return w.done();
}

/** RFC 8285 one-byte-header elements (profile 0xBEDE), padded to a word. */
export function rtpOneByteExtension(elements: readonly { id: number; data: Uint8Array }[]): { profile: number; data: Uint8Array } {
  const w = new Writer();
  for (const e of elements) w.u8((e.id << 4) | (e.data.length - 1)).raw(e.data);
  while (w.length % 4 !== 0) w.u8(0);
  return { profile: 0xbede, data: w.done() };
}

export function buildTelephoneEvent(e: { event: number; end: boolean; volume: number; duration: number }): Uint8Array {
  return new Writer().u8(e.event).u8((e.end ? 0x80 : 0) | e.volume).u16(e.duration).done();
}

// ---------------------------------------------------------------------------------------------
// RTCP

export interface ReportBlockFields {
  readonly ssrc: number;
  readonly fractionLost: number;
  /** Signed 24-bit. */
  readonly cumulativeLost: number;
  readonly extHighestSeq: number;
  readonly jitter: number;
  readonly lsr: number;
  readonly dlsr: number;
}

interface PaddingOption {
  /** Padding bytes to append (multiple of 4); sets P. Only valid on a compound's last packet. */
  readonly padding?: number;
}

/** Common header + body, with the length field computed; count = RC/SC/subtype. */
export function rtcpPacket(packetType: number, count: number, body: Uint8Array, padding = 0): Uint8Array {
  if (body.length % 4 !== 0 || padding % 4 !== 0) throw new Error('RTCP packets are whole 32-bit words');
  const w = new Writer()
    .u8(0x80 | (padding ? 0x20 : 0) | count)
    .u8(packetType)
    .u16((4 + body.length + padding) / 4 - 1)
    .raw(body);
  if (padding) w.raw(new Array<number>(padding - 1).fill(0)).u8(padding);
  return w.done();
}

function reportBlocks(w: Writer, reports: readonly ReportBlockFields[]): void {
  for (const r of reports) {
    w.u32(r.ssrc).u8(r.fractionLost).u24(r.cumulativeLost & 0xffffff).u32(r.extHighestSeq).u32(r.jitter).u32(r.lsr).u32(r.dlsr);
  }
}

export function buildRtcpSr(s: PaddingOption & {
  ssrc: number; ntpSec: number; ntpFrac: number; rtpTimestamp: number; packetCount: number; octetCount: number;
  reports?: readonly ReportBlockFields[]; profileExtension?: Uint8Array;
}): Uint8Array {
  const reports = s.reports ?? [];
  const w = new Writer().u32(s.ssrc).u32(s.ntpSec).u32(s.ntpFrac).u32(s.rtpTimestamp).u32(s.packetCount).u32(s.octetCount);
  reportBlocks(w, reports);
  if (s.profileExtension) w.raw(s.profileExtension);
  return rtcpPacket(200, reports.length, w.done(), s.padding);
}

export function buildRtcpRr(r: PaddingOption & { ssrc: number; reports?: readonly ReportBlockFields[]; profileExtension?: Uint8Array }): Uint8Array {
  const reports = r.reports ?? [];
  const w = new Writer().u32(r.ssrc);
  reportBlocks(w, reports);
  if (r.profileExtension) w.raw(r.profileExtension);
  return rtcpPacket(201, reports.length, w.done(), r.padding);
}

export interface SdesItemFields {
  /** 1 CNAME ... 8 PRIV. */
  readonly type: number;
  readonly text: string;
  /** PRIV only. */
  readonly prefix?: string;
}

export function buildRtcpSdes(chunks: readonly { ssrc: number; items: readonly SdesItemFields[] }[], opts: PaddingOption = {}): Uint8Array {
  const w = new Writer();
  for (const c of chunks) {
    w.u32(c.ssrc);
    for (const i of c.items) {
      const value = ascii(i.text);
      if (i.prefix !== undefined) {
        const prefix = ascii(i.prefix);
        w.u8(i.type).u8(1 + prefix.length + value.length).u8(prefix.length).raw(prefix).raw(value);
      } else {
        w.u8(i.type).u8(value.length).raw(value);
      }
    }
    // End item, then null octets to the next word (at least one null octet).
    w.u8(0);
    while (w.length % 4 !== 0) w.u8(0);
  }
  return rtcpPacket(202, chunks.length, w.done(), opts.padding);
}

export function buildRtcpBye(b: PaddingOption & { ssrcs: readonly number[]; reason?: string }): Uint8Array {
  const w = new Writer();
  for (const s of b.ssrcs) w.u32(s);
  if (b.reason !== undefined) {
    const r = ascii(b.reason);
    w.u8(r.length).raw(r);
    while (w.length % 4 !== 0) w.u8(0);
  }
  return rtcpPacket(203, b.ssrcs.length, w.done(), b.padding);
}

export function buildRtcpApp(a: PaddingOption & { subtype: number; ssrc: number; name: string; data: Uint8Array }): Uint8Array {
  if (a.name.length !== 4) throw new Error('APP name is four ASCII characters');
  return rtcpPacket(204, a.subtype, new Writer().u32(a.ssrc).raw(ascii(a.name)).raw(a.data).done(), a.padding);
}

export function buildRtcpXr(x: PaddingOption & { ssrc: number; blocks: readonly Uint8Array[] }): Uint8Array {
  return rtcpPacket(207, 0, concat([new Writer().u32(x.ssrc).done(), ...x.blocks]), x.padding);
}

export function rtcpCompound(...packets: Uint8Array[]): Uint8Array {
  return concat(packets);
}

/** Any XR block: header with block length from the contents (whole words). */
export function xrBlock(bt: number, typeSpecific: number, contents: Uint8Array): Uint8Array {
  if (contents.length % 4 !== 0) throw new Error('XR block contents are whole words');
  return new Writer().u8(bt).u8(typeSpecific).u16(contents.length / 4).raw(contents).done();
}

/** RLE chunks: a run (runType 1 = received/duplicated) or a 15-bit vector; 0 is the null chunk. */
export const rleRun = (runType: 0 | 1, length: number): number => (runType << 14) | length;
export const rleBits = (vector: number): number => 0x8000 | vector;

function rleBlock(bt: 1 | 2, r: { ssrc: number; beginSeq: number; endSeq: number; thinning?: number; chunks: readonly number[] }): Uint8Array {
  const w = new Writer().u32(r.ssrc).u16(r.beginSeq).u16(r.endSeq);
  for (const c of r.chunks) w.u16(c);
  if (w.length % 4 !== 0) w.u16(0);
  return xrBlock(bt, r.thinning ?? 0, w.done());
}

export const xrLossRle = (r: Parameters<typeof rleBlock>[1]): Uint8Array => rleBlock(1, r);
export const xrDuplicateRle = (r: Parameters<typeof rleBlock>[1]): Uint8Array => rleBlock(2, r);

export function xrReceiptTimes(r: { ssrc: number; beginSeq: number; endSeq: number; thinning?: number; times: readonly number[] }): Uint8Array {
  const w = new Writer().u32(r.ssrc).u16(r.beginSeq).u16(r.endSeq);
  for (const t of r.times) w.u32(t);
  return xrBlock(3, r.thinning ?? 0, w.done());
}

export function xrRrt(ntpSec: number, ntpFrac: number): Uint8Array {
  return xrBlock(4, 0, new Writer().u32(ntpSec).u32(ntpFrac).done());
}

export function xrDlrr(items: readonly { ssrc: number; lrr: number; dlrr: number }[]): Uint8Array {
  const w = new Writer();
  for (const i of items) w.u32(i.ssrc).u32(i.lrr).u32(i.dlrr);
  return xrBlock(5, 0, w.done());
}

export interface XrStatsFields {
  lossFlag: boolean; dupFlag: boolean; jitterFlag: boolean; ttlOrHopLimit: number;
  ssrc: number; beginSeq: number; endSeq: number; lostPackets: number; dupPackets: number;
  minJitter: number; maxJitter: number; meanJitter: number; devJitter: number;
  minTtl: number; maxTtl: number; meanTtl: number; devTtl: number;
}

export function xrStats(s: XrStatsFields): Uint8Array {
  const flags = (s.lossFlag ? 0x80 : 0) | (s.dupFlag ? 0x40 : 0) | (s.jitterFlag ? 0x20 : 0) | (s.ttlOrHopLimit << 3);
  return xrBlock(6, flags, new Writer()
    .u32(s.ssrc).u16(s.beginSeq).u16(s.endSeq).u32(s.lostPackets).u32(s.dupPackets)
    .u32(s.minJitter).u32(s.maxJitter).u32(s.meanJitter).u32(s.devJitter)
    .u8(s.minTtl).u8(s.maxTtl).u8(s.meanTtl).u8(s.devTtl).done());
}

/** BT=7 with wire values: MOS ×10, 127 = unavailable, signal/noise as signed dBm0. */
export interface XrVoipMetricsWire {
  ssrc: number; lossRate: number; discardRate: number; burstDensity: number; gapDensity: number;
  burstDurationMs: number; gapDurationMs: number; rttMs: number; endSystemDelayMs: number;
  signalLevel: number; noiseLevel: number; rerl: number; gmin: number; rFactor: number; extRFactor: number;
  mosLq: number; mosCq: number; plc: number; jba: number; jbRate: number;
  jbNominalMs: number; jbMaxMs: number; jbAbsMaxMs: number;
}

export function xrVoipMetrics(m: XrVoipMetricsWire): Uint8Array {
  return xrBlock(7, 0, new Writer()
    .u32(m.ssrc).u8(m.lossRate).u8(m.discardRate).u8(m.burstDensity).u8(m.gapDensity)
    .u16(m.burstDurationMs).u16(m.gapDurationMs).u16(m.rttMs).u16(m.endSystemDelayMs)
    .u8(m.signalLevel).u8(m.noiseLevel).u8(m.rerl).u8(m.gmin)
    .u8(m.rFactor).u8(m.extRFactor).u8(m.mosLq).u8(m.mosCq)
    .u8((m.plc << 6) | (m.jba << 4) | m.jbRate).u8(0).u16(m.jbNominalMs).u16(m.jbMaxMs).u16(m.jbAbsMaxMs)
    .done());
}

/** Typical 400HD BT=7 block (values from the spec's tshark run: RX config 0xF4, MOS 4.1, levels −20/−70). */
export const TYPICAL_VOIP_METRICS: XrVoipMetricsWire = {
  ssrc: 0x55667788, lossRate: 13, discardRate: 5, burstDensity: 64, gapDensity: 3, burstDurationMs: 120, gapDurationMs: 4500,
  rttMs: 120, endSystemDelayMs: 45, signalLevel: -20, noiseLevel: -70, rerl: 52, gmin: 16, rFactor: 82, extRFactor: 127,
  mosLq: 41, mosCq: 39, plc: 3, jba: 3, jbRate: 4, jbNominalMs: 40, jbMaxMs: 80, jbAbsMaxMs: 200,
};

// ---------------------------------------------------------------------------------------------
// Corpora

export interface Sample {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The 160 G.711 sample bytes 0x50..0xef of the spec's Sample A/B. */
export function specPcmSamples(): Uint8Array {
  return Uint8Array.from({ length: 160 }, (_, i) => 0x50 + i);
}

/** acdr spec §9 Sample A: v7, RTP sent to the network. */
export function specSampleA(): Uint8Array {
  return buildAcdr(
    {
      version: 7, timestampUs: 4_000_000_123, sequence: 1001, srcId: 3, dstId: 7, tracePoint: 1, mediaType: 1,
      session: { boardId: 0xabcd, resetCounter: 2, sessionId: 77 },
      headerExtension: acdrMediaExt({ farAddr: '192.0.2.77', farPort: 40000, localPort: 4000, ipTos: 184 }),
    },
    buildRtp({ payloadType: 8, sequence: 9000, timestamp: 160000, ssrc: 0x55667788, payload: specPcmSamples() }),
  );
}

/** acdr spec §9 Sample B: v9, PCM from the TDM side. */
export function specSampleB(): Uint8Array {
  return buildAcdr(
    { version: 9, timestampUs: 6_000_000, sequence: 1003, srcId: 70000, dstId: -1, tracePoint: 10, mediaType: 15, session: { boardId: 1, resetCounter: 0, sessionId: 5 } },
    buildRtp({ payloadType: 8, sequence: 1, timestamp: 160, ssrc: 0x01020304, payload: specPcmSamples() }),
  );
}

const SSRC_PHONE = 0x1a2b3c4d;
const SSRC_FAR = 0x55667788;

function rtpPayloadFor(seq: number, pt = 0): Uint8Array {
  return buildRtp({ payloadType: pt, sequence: seq, timestamp: seq * 160, ssrc: SSRC_PHONE, payload: new Uint8Array(160).fill(0xff) });
}

/** RTCP compounds covering SR, RR, SDES (incl. PRIV), BYE, APP, XR block types 1-7 and an unknown one, padding. */
export function rtcpCorpus(): Sample[] {
  const block1: ReportBlockFields = { ssrc: SSRC_FAR, fractionLost: 13, cumulativeLost: 1234, extHighestSeq: 0x0002_1f40, jitter: 87, lsr: 0x3a4b5c6d, dlsr: 32768 };
  const block2: ReportBlockFields = { ssrc: 0x0badf00d, fractionLost: 0, cumulativeLost: -3, extHighestSeq: 500, jitter: 0, lsr: 0, dlsr: 0 };
  const cname = buildRtcpSdes([{ ssrc: SSRC_PHONE, items: [{ type: 1, text: 'phone@192.0.2.10' }] }]);
  return [
    {
      name: 'SR with two report blocks + SDES CNAME/TOOL',
      bytes: rtcpCompound(
        buildRtcpSr({ ssrc: SSRC_PHONE, ntpSec: 0xe9b5a0c1, ntpFrac: 0x80000000, rtpTimestamp: 160000, packetCount: 1000, octetCount: 160000, reports: [block1, block2] }),
        buildRtcpSdes([{ ssrc: SSRC_PHONE, items: [{ type: 1, text: 'phone@192.0.2.10' }, { type: 6, text: 'AudioCodes 450HD' }] }]),
      ),
    },
    {
      name: 'empty RR + SDES with PRIV + BYE with reason',
      bytes: rtcpCompound(
        buildRtcpRr({ ssrc: SSRC_PHONE }),
        buildRtcpSdes([{ ssrc: SSRC_PHONE, items: [{ type: 1, text: 'c@x' }, { type: 8, prefix: 'ac', text: 'v1' }] }]),
        buildRtcpBye({ ssrcs: [SSRC_PHONE], reason: 'call ended' }),
      ),
    },
    {
      name: 'RR with one block + SDES + APP',
      bytes: rtcpCompound(buildRtcpRr({ ssrc: SSRC_PHONE, reports: [block1] }), cname, buildRtcpApp({ subtype: 3, ssrc: SSRC_PHONE, name: 'ACQX', data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) })),
    },
    {
      name: 'RR + SDES + XR with block types 1-7 and an unknown type',
      bytes: rtcpCompound(
        buildRtcpRr({ ssrc: SSRC_PHONE, reports: [block1] }),
        cname,
        buildRtcpXr({
          ssrc: SSRC_PHONE,
          blocks: [
            xrLossRle({ ssrc: SSRC_FAR, beginSeq: 1000, endSeq: 1316, thinning: 0, chunks: [rleRun(1, 300), rleBits(0x7bfe), rleRun(0, 1)] }),
            xrDuplicateRle({ ssrc: SSRC_FAR, beginSeq: 1000, endSeq: 1016, thinning: 2, chunks: [rleRun(0, 16)] }),
            xrReceiptTimes({ ssrc: SSRC_FAR, beginSeq: 2000, endSeq: 2003, thinning: 1, times: [160000, 160160, 160330] }),
            xrRrt(0xe9b5a0c2, 0x40000000),
            xrDlrr([{ ssrc: SSRC_FAR, lrr: 0xa0c24000, dlrr: 6554 }, { ssrc: 0x0badf00d, lrr: 0, dlrr: 0 }]),
            xrStats({
              lossFlag: true, dupFlag: true, jitterFlag: true, ttlOrHopLimit: 1, ssrc: SSRC_FAR, beginSeq: 1000, endSeq: 1500,
              lostPackets: 7, dupPackets: 2, minJitter: 3, maxJitter: 90, meanJitter: 20, devJitter: 11, minTtl: 60, maxTtl: 64, meanTtl: 62, devTtl: 1,
            }),
            xrVoipMetrics(TYPICAL_VOIP_METRICS),
            xrBlock(42, 0x5a, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)),
          ],
        }),
      ),
    },
    {
      name: 'lone XR (reduced-size) with unavailable VoIP metrics',
      bytes: buildRtcpXr({
        ssrc: SSRC_PHONE,
        blocks: [xrVoipMetrics({ ...TYPICAL_VOIP_METRICS, signalLevel: 127, noiseLevel: 127, rerl: 127, rFactor: 127, mosLq: 127, mosCq: 127, plc: 1, jba: 2, jbRate: 0, rttMs: 0 })],
      }),
    },
    {
      name: 'SR + SDES + BYE, padding on the last packet',
      bytes: rtcpCompound(
        buildRtcpSr({ ssrc: SSRC_PHONE, ntpSec: 0xe9b5a0c3, ntpFrac: 0x12345678, rtpTimestamp: 320000, packetCount: 2000, octetCount: 320000 }),
        cname,
        buildRtcpBye({ ssrcs: [SSRC_PHONE, SSRC_FAR], padding: 8 }),
      ),
    },
    {
      name: 'RR + SDES, padding on the last packet',
      bytes: rtcpCompound(buildRtcpRr({ ssrc: SSRC_PHONE, reports: [block2] }), buildRtcpSdes([{ ssrc: SSRC_PHONE, items: [{ type: 1, text: 'phone@192.0.2.10' }] }], { padding: 4 })),
    },
  ];
}

/**
 * ACDR datagrams for every version 0-9, every trace point 0-35, every media type 0-61, every
 * extension layout and flag, plus quirk cases from acdr spec §8. Deterministic.
 */
export function acdrCorpus(): Sample[] {
  const out: Sample[] = [];
  const add = (name: string, f: AcdrFields, payload: Uint8Array): void => {
    out.push({ name, bytes: buildAcdr(f, payload) });
  };
  const mediaIn = acdrMediaExt({ farAddr: '192.0.2.77', farPort: 40000, localPort: 4000, ipTos: 184 });
  const session = { boardId: 0xabcdef, resetCounter: 3, sessionId: 123456789 };
  let seq = 2000;

  out.push({ name: 'spec Sample A (v7 RTP out)', bytes: specSampleA() }, { name: 'spec Sample B (v9 PCM Tdm2Dsp)', bytes: specSampleB() });

  for (let v = 0; v <= 9; v++) {
    add(`v${v} RTP Net2Dsp`, {
      version: v, timestampUs: 12_345_678 + v, sequence: seq++, srcId: 3, dstId: v % 2 ? -1 : 7, tracePoint: 0, mediaType: 1, payloadOffset: v < 5 ? 4 : undefined,
      session: v >= 5 ? session : undefined, headerExtension: v >= 5 ? mediaIn : undefined,
    }, rtpPayloadFor(v));
  }
  add('v2 timestamp above 32 bits (tshark keeps low 32)', { version: 2, timestampUs: 0x0001_001e_8480, srcId: 3, dstId: 7, extraData: 0xaa, tracePoint: 1, mediaType: 1 }, rtpPayloadFor(20));
  add('v3 channel id 0x8000', { version: 3, timestampUs: 5, srcId: 0x8000, dstId: 0xfffe, tracePoint: 0, mediaType: 1 }, rtpPayloadFor(21));
  add('v3 MII + IPv6 flags', { version: 3, timestampUs: 6, srcId: 3, dstId: 7, extraData: 0x03, tracePoint: 0, mediaType: 1, mii: { sequence: 1, packetSize: 172 } }, rtpPayloadFor(23));
  add('v4 flags on a version without extension', { version: 4, timestampUs: 77, sequence: seq++, srcId: 1, dstId: 2, extraData: 0x74, tracePoint: 5, mediaType: 1 }, rtpPayloadFor(22));

  for (let tp = 0; tp <= 35; tp++) {
    add(`v9 RTP at trace point ${tp}`, {
      version: 9, timestampUs: 1_000_000 * tp + 1, sequence: seq++, srcId: 70000 + tp, dstId: -1, tracePoint: tp, mediaType: 1, session,
      headerExtension: tp === 33 || tp === 34 ? acdrDspExt(2, 17) : mediaIn,
    }, tp === 33 || tp === 34
      ? concat([acdrDspAnalysisHeader({ version: 0x0105, direction: 1, subversion: 3, device: 9, sequence: 77, timestamp: 123456, hpiSync: 5, hpiUdpChecksum: true, hpiResourceId: 12, hpiFavorite: true, hpiProtocol: 33 }), rtpPayloadFor(tp)])
      : rtpPayloadFor(tp));
  }

  const sipText = ascii('OPTIONS sip:phone@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:phone@192.0.2.10>\r\nCall-ID: 1@192.0.2.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
  const sysExt = acdrSystemExt({ srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', srcPort: 5060, dstPort: 5060, protocol: 17, direction: 0 });
  const ethFrame = ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.1', srcPort: 1000, dstAddr: '192.0.2.2', dstPort: 2000 }, ascii('hello')));
  const rtcp = rtcpCorpus()[0]!.bytes;
  for (let m = 0; m <= 61; m++) {
    let payload: Uint8Array = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);
    let ext: Uint8Array | undefined;
    let tp = 2;
    if ([1, 3, 27, 36, 51, 52, 53, 55, 56, 57, 58, 59, 60, 61].includes(m)) { payload = rtpPayloadFor(m, 0); ext = mediaIn; tp = 0; }
    else if (m === 2 || m === 28) { payload = rtcp; ext = mediaIn; tp = 0; }
    else if (m === 54) { payload = buildRtp({ payloadType: 101, sequence: 1, timestamp: 800, ssrc: SSRC_PHONE, marker: true, payload: buildTelephoneEvent({ event: 5, end: false, volume: 10, duration: 400 }) }); ext = mediaIn; tp = 1; }
    else if (m === 15) { payload = rtpPayloadFor(m, 8); tp = 9; }
    else if (m === 5 || m === 30) { payload = ascii('<134>Nov 26 05:00:00 phone ipp: hello'); tp = 6; }
    else if (m === 6) { payload = ascii('{"event":"voice","score":4}'); tp = 6; ext = sysExt; }
    else if (m === 10) { payload = sipText; tp = 6; ext = sysExt; }
    else if ([11, 12, 13].includes(m)) { tp = 6; ext = sysExt; }
    else if (m === 14) { payload = new Uint8Array(ethFrame); tp = 6; ext = sysExt; }
    else if (m === 50) { payload = new Uint8Array(ethFrame); ext = acdrDspExt(1, 2); }
    else if ([0, 18, 19, 32, 35].includes(m)) { ext = acdrDspExt(1, m); tp = 3; }
    else if (m === 4) { ext = acdrEventExt(9, 4); }
    else if (m === 24 || m === 25) { ext = acdrPstnExt(0x01020304); tp = 26; }
    else if (m === 33 || m === 34) { payload = sipText; ext = acdrTlsExt({ srcPort: 5061, dstPort: 40001, srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', application: 3 }); tp = 4; }
    else if (m === 37) { payload = Uint8Array.of(0x01, 0x02, 0x00, 0x00, 0x10, 0x00, 0xaa, 0xbb); tp = 26; }
    else if (m >= 42 && m <= 44) { payload = ascii('<QoE><MOS>4.1</MOS></QoE>'); tp = 6; }
    add(`v5 media type ${m}`, { version: 5, timestampUs: 100_000 * m, sequence: seq++, srcId: 0, dstId: 0, tracePoint: tp, mediaType: m, session: { sessionId: 40 + m }, headerExtension: ext }, payload);
  }

  add('v9 RTP with IPv6 extension (out)', { version: 9, timestampUs: 7_000_001, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x02, tracePoint: 1, mediaType: 1, session,
    headerExtension: acdrMediaExt({ farAddr: '2001:db8::77', farPort: 40002, localPort: 4002, ipTos: 46 }) }, rtpPayloadFor(30));
  add('v9 RTP with IPv6 extension (in)', { version: 9, timestampUs: 7_000_002, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x02, tracePoint: 0, mediaType: 1, session,
    headerExtension: acdrMediaExt({ farAddr: '2001:db8:0:1:0:0:0:5', farPort: 40004, localPort: 4004, ipTos: 0 }) }, rtpPayloadFor(31));
  add('v9 RTP with IPv4-mapped IPv6 extension', { version: 9, timestampUs: 7_000_004, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x02, tracePoint: 0, mediaType: 1, session,
    headerExtension: acdrMediaExt({ farAddr: '::ffff:192.0.2.5', farPort: 40008, localPort: 4008, ipTos: 0 }) }, rtpPayloadFor(38));
  add('v9 RTP with IPv4-compatible IPv6 extension', { version: 9, timestampUs: 7_000_005, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x02, tracePoint: 1, mediaType: 1, session,
    headerExtension: acdrMediaExt({ farAddr: '::192.0.2.6', farPort: 40010, localPort: 4010, ipTos: 0 }) }, rtpPayloadFor(39));
  add('v9 RTP with legacy filler 0xAA and an IPv4 extension', { version: 9, timestampUs: 7_000_006, sequence: seq++, srcId: 3, dstId: 7, extraData: 0xaa, tracePoint: 0, mediaType: 1, session, headerExtension: mediaIn }, rtpPayloadFor(40));
  add('v2 header_added IPv4/UDP around RTP', { version: 2, timestampUs: 7_000_007, srcId: 3, dstId: 7, extraData: 0x08, tracePoint: 0, mediaType: 1 },
    innerIpUdp({ srcAddr: '198.51.100.8', srcPort: 40012, dstAddr: '192.0.2.10', dstPort: 4012 }, rtpPayloadFor(41)));
  add('v9 RTP with C5 control flags', { version: 9, timestampUs: 7_000_003, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 1, session,
    headerExtension: acdrMediaExt({ farAddr: '192.0.2.78', farPort: 40006, localPort: 4006, ipTos: 184, c5ControlFlags: 0x10 }) }, rtpPayloadFor(32));
  add('v7 RTP with MII header', { version: 7, timestampUs: 8_000_000, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x01, tracePoint: 0, mediaType: 1,
    session: { boardId: 0xabcd, resetCounter: 2, sessionId: 78 }, headerExtension: mediaIn, mii: { sequence: 513, packetSize: 172 } }, rtpPayloadFor(33));
  add('v9 header_added IPv4/UDP around RTP', { version: 9, timestampUs: 10_000_000, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x08, tracePoint: 0, mediaType: 1, session: { boardId: 0xabcdef, resetCounter: 3, sessionId: 1 } },
    innerIpUdp({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: '192.0.2.10', dstPort: 4000 }, rtpPayloadFor(34)));
  add('v9 header_added IPv6/UDP around RTP', { version: 9, timestampUs: 10_000_001, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x0a, tracePoint: 1, mediaType: 1, session },
    innerIpUdp({ srcAddr: '2001:db8::10', srcPort: 4000, dstAddr: '2001:db8::77', dstPort: 40000 }, rtpPayloadFor(35)));
  add('v9 header_added SIP over IPv4/UDP', { version: 9, timestampUs: 10_000_002, sequence: seq++, srcId: -1, dstId: -1, extraData: 0x08, tracePoint: 6, mediaType: 10, session },
    innerIpUdp({ srcAddr: '192.0.2.1', srcPort: 5060, dstAddr: '192.0.2.10', dstPort: 5060 }, sipText));
  add('v9 flags 0xAA (legacy filler, never header_added)', { version: 9, timestampUs: 10_000_003, sequence: seq++, srcId: 3, dstId: 7, extraData: 0xaa, tracePoint: 2, mediaType: 1, session }, rtpPayloadFor(36));
  add('v9 fragmented + encrypted + mtce + li flags', { version: 9, timestampUs: 10_000_004, sequence: seq++, srcId: 3, dstId: 7, extraData: 0x74, tracePoint: 2, mediaType: 38, session }, Uint8Array.of(1, 2, 3, 4));
  add('v7 zero session (N/A)', { version: 7, timestampUs: 11_000_000, sequence: seq++, srcId: 0, dstId: 0, tracePoint: 6, mediaType: 5 }, ascii('<134>boot'));
  add('v8 session zero except the 9th byte', { version: 8, timestampUs: 11_000_001, sequence: seq++, srcId: 0, dstId: 0, tracePoint: 6, mediaType: 5, session: { sessionId: 9 } }, ascii('<134>x'));
  add('v8 40-bit session', { version: 8, timestampUs: 5_500_000, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 2, session: { boardId: 0x123456, resetCounter: 1, sessionId: 4328719365 }, headerExtension: mediaIn }, rtcp);
  add('v7 session number 0 (board:reset only)', { version: 7, timestampUs: 11_000_002, sequence: seq++, srcId: 0, dstId: 0, tracePoint: 6, mediaType: 5, session: { boardId: 0xabcd, resetCounter: 2, sessionId: 0 } }, ascii('<134>y'));
  add('v5 T.38 Gen3 (address-only extension)', { version: 5, timestampUs: 12_000_000, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 3, session: { sessionId: 5 }, headerExtension: ipBytes('192.0.2.99') }, Uint8Array.of(0, 1, 2, 3));
  add('v5 Signaling at Host2Pstn', { version: 5, timestampUs: 12_000_001, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 25, mediaType: 37, session: { sessionId: 5 } }, Uint8Array.of(0x12, 0x34, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef));
  add('v9 RTP opaque short extension', { version: 9, timestampUs: 12_000_002, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 1, session, headerExtension: Uint8Array.of(1, 2, 3) }, rtpPayloadFor(37));
  add('v9 DTMF via RTP Rfc2833', { version: 9, timestampUs: 13_000_000, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 54, session, headerExtension: mediaIn },
    buildRtp({ payloadType: 101, sequence: 77, timestamp: 8000, ssrc: SSRC_FAR, payload: buildTelephoneEvent({ event: 11, end: true, volume: 7, duration: 1280 }) }));
  add('v9 RTP with CSRC, extension and padding', { version: 9, timestampUs: 13_000_001, sequence: seq++, srcId: 3, dstId: 7, tracePoint: 0, mediaType: 1, session, headerExtension: mediaIn },
    buildRtp({ payloadType: 0, sequence: 65535, timestamp: 0xfffffff0, ssrc: SSRC_FAR, marker: true, csrc: [0x11111111, 0x22222222], extension: rtpOneByteExtension([{ id: 1, data: Uint8Array.of(0x7f) }, { id: 3, data: Uint8Array.of(1, 2, 3) }]), padding: 4, payload: new Uint8Array(20).fill(0x7e) }));
  for (const [i, r] of rtcpCorpus().entries()) {
    add(`v9 RTCP: ${r.name}`, { version: 9, timestampUs: 14_000_000 + i, sequence: seq++, srcId: 3, dstId: 7, tracePoint: i % 2, mediaType: 2, session, headerExtension: mediaIn }, r.bytes);
  }
  out.push({ name: 'unsupported version 0x19', bytes: buildAcdr({ version: 0x19, tracePoint: 0, mediaType: 0 }, Uint8Array.of(1, 2, 3, 4)) });
  return out;
}

/**
 * Ethernet/IPv4/UDP pcap of datagrams sent from a phone to the collector port (default 50000), 20 ms
 * apart. Each datagram gets its own source port: tshark's T.38 dissector claims the whole UDP
 * conversation it appears in, which would swallow every later frame.
 */
export function udpCapture(datagrams: readonly Uint8Array[], dstPort = 50000, startMs = Date.UTC(2026, 0, 1)): Buffer {
  return pcapFile(LINKTYPE_ETHERNET, datagrams.map((d, i) => ({
    ...pcapTime(startMs + i * 20),
    data: ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 10000 + i, dstAddr: '192.0.2.200', dstPort }, d, i)),
  })));
}
