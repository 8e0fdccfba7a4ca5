/**
 * RTCP compound packet decoder: SR, RR, SDES, BYE, APP (RFC 3550) and XR (RFC 3611 block types
 * 1-7 field by field; other block types kept raw). Feedback and unknown packet types are kept raw.
 * Tolerant: a bad packet after good ones ends the walk with `error` set, the good ones are kept.
 *
 * Field ↔ tshark (rtcp.*):
 *   version → rtcp.version, padding → rtcp.padding, count → rtcp.rc / rtcp.sc, packetType → rtcp.pt,
 *   length → rtcp.length, paddingCount → rtcp.padding.count; SR/RR/XR ssrc → rtcp.senderssrc;
 *   SR ntpSec/ntpFrac → rtcp.timestamp.ntp.msw/lsw, rtpTimestamp → rtcp.timestamp.rtp,
 *   packetCount → rtcp.sender.packetcount, octetCount → rtcp.sender.octetcount;
 *   report block: ssrc → rtcp.ssrc.identifier, fractionLost → rtcp.ssrc.fraction, cumulativeLost →
 *   rtcp.ssrc.cum_nr, extHighestSeq → rtcp.ssrc.ext_high (highestSeq → .high_seq, seqCycles →
 *   .high_cycles), jitter → rtcp.ssrc.jitter, lsr → rtcp.ssrc.lsr, dlsr → rtcp.ssrc.dlsr;
 *   SDES item type → rtcp.sdes.type, text → rtcp.sdes.text, PRIV prefix → rtcp.sdes.prefix.string;
 *   BYE ssrcs → rtcp.ssrc.identifier; APP subtype → rtcp.app.subtype, name → rtcp.app.name,
 *   data → rtcp.app.data; XR: see xr types below.
 */
import { decodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'rtcp';
const RTCP_VERSION = 2;
const COMMON_HEADER_BYTES = 4;
const REPORT_BLOCK_BYTES = 24;
const XR_BLOCK_HEADER_BYTES = 4;

export const RTCP_PT_SR = 200;
export const RTCP_PT_RR = 201;
export const RTCP_PT_SDES = 202;
export const RTCP_PT_BYE = 203;
export const RTCP_PT_APP = 204;
export const RTCP_PT_XR = 207;
const SDES_CNAME = 1;
const SDES_PRIV = 8;

export interface RtcpReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, ×256. */
  readonly fractionLost: number;
  /** Signed 24-bit, since the start of reception. */
  readonly cumulativeLost: number;
  readonly extHighestSeq: number;
  readonly highestSeq: number;
  readonly seqCycles: number;
  /** RTP timestamp units of the reported stream. */
  readonly jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received; 0 = none. */
  readonly lsr: number;
  /** Delay since that SR in 1/65536 s. */
  readonly dlsr: number;
}

interface RtcpHeader {
  readonly version: number;
  readonly padding: boolean;
  /** RC / SC / FMT / reserved: the low five bits of byte 0. */
  readonly count: number;
  readonly packetType: number;
  /** Length field: 32-bit words minus one. */
  readonly length: number;
  readonly paddingCount: number;
}

export interface RtcpSenderReport extends RtcpHeader {
  readonly type: 'sr';
  readonly ssrc: number;
  readonly ntpSec: number;
  readonly ntpFrac: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly RtcpReportBlock[];
  readonly profileExtension: Uint8Array | null;
}

export interface RtcpReceiverReport extends RtcpHeader {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly RtcpReportBlock[];
  readonly profileExtension: Uint8Array | null;
}

export interface RtcpSdesItem {
  /** 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV. */
  readonly type: number;
  readonly text: string;
  /** PRIV items only. */
  readonly prefix: string | null;
}

export interface RtcpSdesChunk {
  readonly ssrc: number;
  readonly items: readonly RtcpSdesItem[];
}

export interface RtcpSdes extends RtcpHeader {
  readonly type: 'sdes';
  readonly chunks: readonly RtcpSdesChunk[];
}

export interface RtcpBye extends RtcpHeader {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason: string | null;
}

export interface RtcpApp extends RtcpHeader {
  readonly type: 'app';
  readonly subtype: number;
  readonly ssrc: number;
  /** Four ASCII characters. */
  readonly name: string;
  readonly data: Uint8Array;
}

export interface RtcpXr extends RtcpHeader {
  readonly type: 'xr';
  readonly ssrc: number;
  readonly blocks: readonly XrBlock[];
}

/** Feedback (205/206) and any other packet type: header plus raw body. */
export interface RtcpOther extends RtcpHeader {
  readonly type: 'other';
  readonly body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpXr | RtcpOther;

/** RLE chunk (BT 1/2): run of `length` packets received/duplicated (runType 1) or not (0), a 15-bit vector, or a null chunk. */
export type XrChunk =
  | { readonly kind: 'run'; readonly runType: 0 | 1; readonly length: number } // rtcp.xr.chunk.length
  | { readonly kind: 'bits'; readonly vector: number } // rtcp.xr.chunk.bit_vector (15 bits)
  | { readonly kind: 'null' }; // rtcp.xr.chunk.null_terminator

interface XrBlockHeader {
  readonly bt: number; // rtcp.xr.bt
  readonly typeSpecific: number; // rtcp.xr.bs
  readonly blockLength: number; // rtcp.xr.bl (words, excluding the block header)
}

export interface XrRleBlock extends XrBlockHeader {
  readonly kind: 'loss-rle' | 'duplicate-rle';
  readonly thinning: number; // rtcp.xr.tf
  readonly ssrc: number; // rtcp.ssrc.identifier
  readonly beginSeq: number; // rtcp.xr.beginseq
  /** Last sequence number + 1. */
  readonly endSeq: number; // rtcp.xr.endseq
  readonly chunks: readonly XrChunk[];
}

export interface XrReceiptTimesBlock extends XrBlockHeader {
  readonly kind: 'receipt-times';
  readonly thinning: number;
  readonly ssrc: number;
  readonly beginSeq: number;
  readonly endSeq: number;
  readonly receiptTimes: readonly number[]; // rtcp.xr.receipt_time_seq
}

export interface XrRrtBlock extends XrBlockHeader {
  readonly kind: 'rrt';
  readonly ntpSec: number; // rtcp.xr.timestamp
  readonly ntpFrac: number;
}

export interface XrDlrrItem {
  readonly ssrc: number; // rtcp.ssrc.identifier
  readonly lrr: number; // rtcp.xr.lrr
  readonly dlrr: number; // rtcp.xr.dlrr (1/65536 s)
}

export interface XrDlrrBlock extends XrBlockHeader {
  readonly kind: 'dlrr';
  readonly items: readonly XrDlrrItem[];
}

export interface XrStatsBlock extends XrBlockHeader {
  readonly kind: 'stats';
  readonly lossFlag: boolean; // rtcp.xr.stats.lrflag
  readonly dupFlag: boolean; // rtcp.xr.stats.dupflag
  readonly jitterFlag: boolean; // rtcp.xr.stats.jitterflag
  /** 0 none, 1 IPv4 TTL, 2 IPv6 hop limit, 3 undefined. */
  readonly ttlOrHopLimit: number; // rtcp.xr.stats.ttl
  readonly ssrc: number;
  readonly beginSeq: number;
  readonly endSeq: number;
  readonly lostPackets: number; // rtcp.xr.stats.lost
  readonly dupPackets: number; // rtcp.xr.stats.dups
  readonly minJitter: number; // rtcp.xr.stats.minjitter (RTP timestamp units)
  readonly maxJitter: number;
  readonly meanJitter: number;
  readonly devJitter: number;
  readonly minTtl: number; // rtcp.xr.stats.minttl
  readonly maxTtl: number;
  readonly meanTtl: number;
  readonly devTtl: number;
}

/** BT=7 (RFC 3611 §4.7). Fractions are raw ×256; null = the "unavailable" marker (127) or 0 delay. */
export interface XrVoipMetricsBlock extends XrBlockHeader {
  readonly kind: 'voip-metrics';
  readonly ssrc: number; // rtcp.ssrc.identifier
  readonly lossRate: number; // rtcp.ssrc.fraction
  readonly discardRate: number; // rtcp.ssrc.discarded
  readonly burstDensity: number; // rtcp.xr.voipmetrics.burstdensity
  readonly gapDensity: number; // .gapdensity
  readonly burstDurationMs: number; // .burstduration
  readonly gapDurationMs: number; // .gapduration
  readonly rttMs: number | null; // .rtdelay
  readonly endSystemDelayMs: number | null; // .esdelay
  readonly signalLevelDbm0: number | null; // .signallevel (int8)
  readonly noiseLevelDbm0: number | null; // .noiselevel (int8)
  readonly rerlDb: number | null; // .rerl
  readonly gmin: number; // .gmin
  readonly rFactor: number | null; // .rfactor
  readonly extRFactor: number | null; // .extrfactor
  readonly mosLq: number | null; // .moslq (wire value / 10)
  readonly mosCq: number | null; // .moscq
  readonly plc: number; // .plc: 3 standard, 2 enhanced, 1 disabled, 0 unspecified
  readonly jba: number; // .jba: 3 adaptive, 2 non-adaptive, 0 unknown
  readonly jbRate: number; // .jbrate
  readonly jbNominalMs: number; // .jbnominal
  readonly jbMaxMs: number; // .jbmax
  readonly jbAbsMaxMs: number; // .jbabsmax
}

/** Block type we do not decode, or a known type whose length does not fit its layout (`note` says). */
export interface XrRawBlock extends XrBlockHeader {
  readonly kind: 'raw';
  readonly data: Uint8Array;
  readonly note: string | null;
}

export type XrBlock = XrRleBlock | XrReceiptTimesBlock | XrRrtBlock | XrDlrrBlock | XrStatsBlock | XrVoipMetricsBlock | XrRawBlock;

export interface RtcpCompound {
  readonly packets: readonly RtcpPacket[];
  /** Why the walk stopped early (the packets before it are good), or null. */
  readonly error: DecodeError | null;
  /** RFC 3550 compound-rule deviations that do not stop decoding (e.g. padding on a non-last packet). */
  readonly notes: readonly string[];
}

const XR_UNAVAILABLE = 127;
const XR_VOIP_METRICS_WORDS = 8;
const XR_STATS_WORDS = 9;
const XR_RRT_WORDS = 2;
const utf8 = new TextDecoder('utf-8');
const NO_NUMBERS: readonly number[] = Object.freeze([]);

/** SDES/BYE text: plain ASCII (the common case) without TextDecoder's per-call cost, else UTF-8. */
function text(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80) return utf8.decode(b.subarray(start, end));
    s += String.fromCharCode(c);
  }
  return s;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function int8(v: number): number {
  return v >= 0x80 ? v - 0x100 : v;
}

function orUnavailable(v: number): number | null {
  return v === XR_UNAVAILABLE ? null : v;
}

function reportBlock(b: Uint8Array, o: number): RtcpReportBlock {
  const cum = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
  return {
    ssrc: u32(b, o),
    fractionLost: b[o + 4]!,
    cumulativeLost: cum >= 0x800000 ? cum - 0x1000000 : cum,
    extHighestSeq: u32(b, o + 8),
    highestSeq: u16(b, o + 10),
    seqCycles: u16(b, o + 8),
    jitter: u32(b, o + 12),
    lsr: u32(b, o + 16),
    dlsr: u32(b, o + 20),
  };
}

type Body<T> = T | string;

/** Report blocks plus the profile-specific extension that may follow them up to `end`. */
function reports(b: Uint8Array, o: number, end: number, count: number): Body<{ reports: RtcpReportBlock[]; profileExtension: Uint8Array | null }> {
  if (o + count * REPORT_BLOCK_BYTES > end) return `${count} report blocks need ${count * REPORT_BLOCK_BYTES} bytes, ${end - o} left at offset ${o}`;
  const list: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, o += REPORT_BLOCK_BYTES) list.push(reportBlock(b, o));
  return { reports: list, profileExtension: o < end ? b.subarray(o, end) : null };
}

function decodeSdes(b: Uint8Array, o: number, end: number, count: number): Body<RtcpSdesChunk[]> {
  const chunks: RtcpSdesChunk[] = [];
  for (let c = 0; c < count; c++) {
    if (end - o < 4) return `SDES chunk ${c + 1} truncated at offset ${o}`;
    const ssrc = u32(b, o);
    o += 4;
    const items: RtcpSdesItem[] = [];
    for (;;) {
      if (o >= end) return `SDES chunk ${c + 1} has no end item at offset ${o}`;
      const type = b[o]!;
      if (type === 0) {
        o = (o + 4) & ~3; // the end item, then null padding to the next 32-bit boundary
        break;
      }
      if (end - o < 2 || end - o - 2 < b[o + 1]!) return `SDES item type ${type} truncated at offset ${o}`;
      const len = b[o + 1]!;
      let textStart = o + 2;
      let prefix: string | null = null;
      if (type === SDES_PRIV && len > 0) {
        const prefixLen = b[textStart]!;
        if (prefixLen + 1 > len) return `SDES PRIV prefix length ${prefixLen} exceeds item length ${len} at offset ${textStart}`;
        prefix = text(b, textStart + 1, textStart + 1 + prefixLen);
        textStart += 1 + prefixLen;
      }
      items.push({ type, text: text(b, textStart, o + 2 + len), prefix });
      o += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return chunks;
}

function decodeBye(b: Uint8Array, o: number, end: number, count: number): Body<{ ssrcs: readonly number[]; reason: string | null }> {
  if (o + 4 * count > end) return `BYE lists ${count} SSRCs, ${end - o} bytes left at offset ${o}`;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++, o += 4) ssrcs.push(u32(b, o));
  let reason: string | null = null;
  if (o < end) {
    const len = b[o]!;
    if (o + 1 + len > end) return `BYE reason length ${len} exceeds packet at offset ${o}`;
    reason = text(b, o + 1, o + 1 + len);
  }
  return { ssrcs: ssrcs.length === 0 ? NO_NUMBERS : ssrcs, reason };
}

function rleChunks(b: Uint8Array, o: number, end: number): XrChunk[] {
  const chunks: XrChunk[] = [];
  for (; o + 2 <= end; o += 2) {
    const c = u16(b, o);
    if (c === 0) chunks.push({ kind: 'null' });
    else if (c & 0x8000) chunks.push({ kind: 'bits', vector: c & 0x7fff });
    else chunks.push({ kind: 'run', runType: (c >> 14) as 0 | 1, length: c & 0x3fff });
  }
  return chunks;
}

/** Decodes one XR block whose 4-byte header is at `o` and whose contents end at `end`. */
function xrBlock(b: Uint8Array, o: number, end: number): XrBlock {
  const bt = b[o]!;
  const typeSpecific = b[o + 1]!;
  const blockLength = u16(b, o + 2);
  const c = o + XR_BLOCK_HEADER_BYTES;
  const raw = (note: string | null): XrRawBlock => ({ bt, typeSpecific, blockLength, kind: 'raw', data: b.subarray(c, end), note });
  switch (bt) {
    case 1:
    case 2:
    case 3: {
      if (blockLength < 2) return raw(`block type ${bt} needs at least 2 words, has ${blockLength}`);
      const thinning = typeSpecific & 0x0f;
      const ssrc = u32(b, c);
      const beginSeq = u16(b, c + 4);
      const endSeq = u16(b, c + 6);
      if (bt !== 3) return { bt, typeSpecific, blockLength, kind: bt === 1 ? 'loss-rle' : 'duplicate-rle', thinning, ssrc, beginSeq, endSeq, chunks: rleChunks(b, c + 8, end) };
      const times: number[] = [];
      for (let p = c + 8; p + 4 <= end; p += 4) times.push(u32(b, p));
      return { bt, typeSpecific, blockLength, kind: 'receipt-times', thinning, ssrc, beginSeq, endSeq, receiptTimes: times };
    }
    case 4:
      if (blockLength !== XR_RRT_WORDS) return raw(`RRT block length ${blockLength}, expected ${XR_RRT_WORDS}`);
      return { bt, typeSpecific, blockLength, kind: 'rrt', ntpSec: u32(b, c), ntpFrac: u32(b, c + 4) };
    case 5: {
      if (blockLength % 3 !== 0) return raw(`DLRR block length ${blockLength} is not a multiple of 3`);
      const items: XrDlrrItem[] = [];
      for (let p = c; p + 12 <= end; p += 12) items.push({ ssrc: u32(b, p), lrr: u32(b, p + 4), dlrr: u32(b, p + 8) });
      return { bt, typeSpecific, blockLength, kind: 'dlrr', items };
    }
    case 6:
      if (blockLength !== XR_STATS_WORDS) return raw(`Statistics Summary block length ${blockLength}, expected ${XR_STATS_WORDS}`);
      return {
        bt,
        typeSpecific,
        blockLength,
        kind: 'stats',
        lossFlag: (typeSpecific & 0x80) !== 0,
        dupFlag: (typeSpecific & 0x40) !== 0,
        jitterFlag: (typeSpecific & 0x20) !== 0,
        ttlOrHopLimit: (typeSpecific >> 3) & 0x03,
        ssrc: u32(b, c),
        beginSeq: u16(b, c + 4),
        endSeq: u16(b, c + 6),
        lostPackets: u32(b, c + 8),
        dupPackets: u32(b, c + 12),
        minJitter: u32(b, c + 16),
        maxJitter: u32(b, c + 20),
        meanJitter: u32(b, c + 24),
        devJitter: u32(b, c + 28),
        minTtl: b[c + 32]!,
        maxTtl: b[c + 33]!,
        meanTtl: b[c + 34]!,
        devTtl: b[c + 35]!,
      };
    case 7: {
      if (blockLength !== XR_VOIP_METRICS_WORDS) return raw(`VoIP Metrics block length ${blockLength}, expected ${XR_VOIP_METRICS_WORDS}`);
      const rtt = u16(b, c + 12);
      const esd = u16(b, c + 14);
      const mosLq = b[c + 22]!;
      const mosCq = b[c + 23]!;
      const rx = b[c + 24]!;
      return {
        bt,
        typeSpecific,
        blockLength,
        kind: 'voip-metrics',
        ssrc: u32(b, c),
        lossRate: b[c + 4]!,
        discardRate: b[c + 5]!,
        burstDensity: b[c + 6]!,
        gapDensity: b[c + 7]!,
        burstDurationMs: u16(b, c + 8),
        gapDurationMs: u16(b, c + 10),
        rttMs: rtt === 0 ? null : rtt,
        endSystemDelayMs: esd === 0 ? null : esd,
        signalLevelDbm0: b[c + 16] === XR_UNAVAILABLE ? null : int8(b[c + 16]!),
        noiseLevelDbm0: b[c + 17] === XR_UNAVAILABLE ? null : int8(b[c + 17]!),
        rerlDb: orUnavailable(b[c + 18]!),
        gmin: b[c + 19]!,
        rFactor: orUnavailable(b[c + 20]!),
        extRFactor: orUnavailable(b[c + 21]!),
        mosLq: mosLq === XR_UNAVAILABLE ? null : mosLq / 10,
        mosCq: mosCq === XR_UNAVAILABLE ? null : mosCq / 10,
        plc: rx >> 6,
        jba: (rx >> 4) & 0x03,
        jbRate: rx & 0x0f,
        jbNominalMs: u16(b, c + 26),
        jbMaxMs: u16(b, c + 28),
        jbAbsMaxMs: u16(b, c + 30),
      };
    }
    default:
      return raw(null);
  }
}

function decodeXrBlocks(b: Uint8Array, o: number, end: number): Body<XrBlock[]> {
  const blocks: XrBlock[] = [];
  while (o < end) {
    if (end - o < XR_BLOCK_HEADER_BYTES) return `XR block header truncated: ${end - o} of ${XR_BLOCK_HEADER_BYTES} bytes at offset ${o}`;
    const blockEnd = o + XR_BLOCK_HEADER_BYTES + 4 * u16(b, o + 2);
    if (blockEnd > end) return `XR block type ${b[o]} length ${u16(b, o + 2)} words overruns the packet (${end - o - XR_BLOCK_HEADER_BYTES} bytes left) at offset ${o}`;
    blocks.push(xrBlock(b, o, blockEnd));
    o = blockEnd;
  }
  return blocks;
}

/** Decodes the one packet at `o` (its total length is `len` bytes, padding included). */
function decodePacket(b: Uint8Array, o: number, len: number, paddingCount: number): Body<RtcpPacket> {
  // Header fields as locals, repeated in each literal: object spread is a slow path in V8.
  const version = b[o]! >> 6;
  const padding = (b[o]! & 0x20) !== 0;
  const count = b[o]! & 0x1f;
  const packetType = b[o + 1]!;
  const length = u16(b, o + 2);
  const body = o + COMMON_HEADER_BYTES;
  const end = o + len - paddingCount;
  switch (packetType) {
    case RTCP_PT_SR: {
      if (end - body < 24) return `SR sender info truncated: ${end - body} of 24 bytes at offset ${body}`;
      const r = reports(b, body + 24, end, count);
      if (typeof r === 'string') return r;
      return {
        version, padding, count, packetType, length, paddingCount,
        type: 'sr',
        ssrc: u32(b, body),
        ntpSec: u32(b, body + 4),
        ntpFrac: u32(b, body + 8),
        rtpTimestamp: u32(b, body + 12),
        packetCount: u32(b, body + 16),
        octetCount: u32(b, body + 20),
        reports: r.reports,
        profileExtension: r.profileExtension,
      };
    }
    case RTCP_PT_RR: {
      if (end - body < 4) return `RR has no sender SSRC at offset ${body}`;
      const r = reports(b, body + 4, end, count);
      if (typeof r === 'string') return r;
      return { version, padding, count, packetType, length, paddingCount, type: 'rr', ssrc: u32(b, body), reports: r.reports, profileExtension: r.profileExtension };
    }
    case RTCP_PT_SDES: {
      const chunks = decodeSdes(b, body, end, count);
      return typeof chunks === 'string' ? chunks : { version, padding, count, packetType, length, paddingCount, type: 'sdes', chunks };
    }
    case RTCP_PT_BYE: {
      const bye = decodeBye(b, body, end, count);
      return typeof bye === 'string' ? bye : { version, padding, count, packetType, length, paddingCount, type: 'bye', ssrcs: bye.ssrcs, reason: bye.reason };
    }
    case RTCP_PT_APP:
      if (end - body < 8) return `APP header truncated: ${end - body} of 8 bytes at offset ${body}`;
      return {
        version, padding, count, packetType, length, paddingCount,
        type: 'app',
        subtype: count,
        ssrc: u32(b, body),
        name: String.fromCharCode(b[body + 4]!, b[body + 5]!, b[body + 6]!, b[body + 7]!),
        data: b.subarray(body + 8, end),
      };
    case RTCP_PT_XR: {
      if (end - body < 4) return `XR has no sender SSRC at offset ${body}`;
      const blocks = decodeXrBlocks(b, body + 4, end);
      return typeof blocks === 'string' ? blocks : { version, padding, count, packetType, length, paddingCount, type: 'xr', ssrc: u32(b, body), blocks };
    }
    default:
      return { version, padding, count, packetType, length, paddingCount, type: 'other', body: b.subarray(body, end) };
  }
}

/**
 * Walks a compound RTCP datagram. Returns a DecodeError only when not even the first packet
 * decodes; later failures end the walk and are reported in `error`.
 */
export function decodeRtcp(bytes: Uint8Array): RtcpCompound | DecodeError {
  const b = bytes;
  const packets: RtcpPacket[] = [];
  const notes: string[] = [];
  let error: DecodeError | null = null;
  let o = 0;
  while (o < b.length) {
    const fail = (message: string, at: number): void => {
      error = decodeError(FORMAT, `RTCP packet ${packets.length + 1}: ${message}`, at);
    };
    if (b.length - o < COMMON_HEADER_BYTES) {
      fail(`header truncated: ${b.length - o} of ${COMMON_HEADER_BYTES} bytes at offset ${o}`, o);
      break;
    }
    const version = b[o]! >> 6;
    if (version !== RTCP_VERSION) {
      fail(`version ${version} not supported (expected 2) at offset ${o}`, o);
      break;
    }
    const len = (u16(b, o + 2) + 1) * 4;
    if (o + len > b.length) {
      fail(`length field says ${len} bytes, ${b.length - o} left at offset ${o}`, o + 2);
      break;
    }
    let paddingCount = 0;
    if (b[o]! & 0x20) {
      paddingCount = b[o + len - 1]!;
      if (paddingCount === 0 || paddingCount > len - COMMON_HEADER_BYTES) {
        fail(`padding count ${paddingCount} invalid for a ${len}-byte packet at offset ${o + len - 1}`, o + len - 1);
        break;
      }
      if (o + len < b.length) notes.push(`packet ${packets.length + 1} has padding but is not the last packet`);
    }
    const packet = decodePacket(b, o, len, paddingCount);
    if (typeof packet === 'string') {
      fail(packet, o);
      break;
    }
    packets.push(packet);
    o += len;
  }
  if (packets.length === 0) return error ?? decodeError(FORMAT, 'RTCP datagram is empty', 0);
  checkCompoundRules(packets, notes);
  return { packets, error, notes };
}

/** RFC 3550 §6.1 rules; deviations are notes because reduced-size RTCP (RFC 5506) is legal. */
function checkCompoundRules(packets: readonly RtcpPacket[], notes: string[]): void {
  const first = packets[0]!;
  if (first.type !== 'sr' && first.type !== 'rr') {
    notes.push('compound does not start with SR/RR (reduced-size RTCP)');
    return;
  }
  const hasCname = packets.some((p) => p.type === 'sdes' && p.chunks.some((c) => c.items.some((i) => i.type === SDES_CNAME)));
  if (!hasCname) notes.push('compound has no SDES CNAME');
  const byeAt = packets.findIndex((p) => p.type === 'bye');
  if (byeAt >= 0 && byeAt !== packets.length - 1) notes.push('BYE is not the last packet');
}

/** Cheap check for RTCP (V=2 and packet type 192-223), e.g. to split rtcp-mux traffic. */
export function looksLikeRtcp(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0]! >> 6 === RTCP_VERSION && bytes[1]! >= 192 && bytes[1]! <= 223;
}

const NTP_TO_UNIX_SEC = 2_208_988_800;
const DLSR_UNITS_PER_SEC = 65536;
const MAX_PLAUSIBLE_RTT_MS = 10_000;

/** Middle 32 bits of a 64-bit NTP timestamp: the form LSR/LRR carry. */
export function ntpMiddle32(ntpSec: number, ntpFrac: number): number {
  return (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
}

export function ntpToUnixMs(ntpSec: number, ntpFrac: number): number {
  return (ntpSec - NTP_TO_UNIX_SEC) * 1000 + (ntpFrac / 2 ** 32) * 1000;
}

/**
 * RTT in ms from a report block (or DLRR item) seen by the SR/RRT sender at `arrivalMid32`
 * (RFC 3550 §6.4.1): (A − LSR − DLSR) mod 2^32. Null when there was no SR (LSR 0) or the result is
 * implausible (over 10 s, which is also how a "negative" wrapped result shows up).
 */
export function rttFromLsr(arrivalMid32: number, lsr: number, dlsr: number): number | null {
  if (lsr === 0) return null;
  const rtt = (arrivalMid32 - lsr - dlsr) >>> 0;
  const ms = (rtt * 1000) / DLSR_UNITS_PER_SEC;
  return ms > MAX_PLAUSIBLE_RTT_MS ? null : ms;
}

/**
 * Passive RTT in ms for a collector that saw both the SR and the report answering it:
 * (report capture time − SR capture time) − DLSR. Null when negative or implausible.
 */
export function rttFromCaptureTimes(srCaptureMs: number, reportCaptureMs: number, dlsr: number): number | null {
  const ms = reportCaptureMs - srCaptureMs - (dlsr * 1000) / DLSR_UNITS_PER_SEC;
  return ms < 0 || ms > MAX_PLAUSIBLE_RTT_MS ? null : ms;
}
