/**
 * AudioCodes Debug Recording (ACDR) datagram decoder, versions 0-9 (spec: acdr.md §2-§5).
 *
 * Field ↔ tshark (`acdr.*`) map:
 *   version → acdr.ver            timestampUs → acdr.timestamp (×1e-6 s)   sequence → acdr.seq
 *   srcId → acdr.src_id           dstId → acdr.dst_id                      extraData → acdr.extra_data
 *   flags.* → acdr.extra_data.*   tracePoint → acdr.trace_pt               mediaType → acdr.media_type
 *   payloadOffsetField → acdr.payload_offset (v<5)                         headerExtLen → acdr.header_ext_len
 *   session.boardId → acdr.board_id   session.resetCounter → acdr.reset_counter
 *   session.sessionId → acdr.session_id (v5-7) / acdr.long_session_id (v8-9)
 *   session.fullSessionId → acdr.full_session_id
 *   extension → acdr.ext.* (see acdr/extension.ts)   mii → acdr.mii_sequence_num, acdr.mii_packet_size
 *   dspAnalysis → acdr.analysis_*, acdr.5x.HpiHeader.*
 *
 * Hot path: one result object (+ small sub-objects only where the record has them), direct byte
 * reads, table lookups, no regexes.
 */
import { decodeError, type DecodeError } from './decode-error.js';
import { acdrMediaType, acdrTracePoint, ACDR_MAX_MEDIA_TYPE, ACDR_MAX_TRACE_POINT } from './acdr/names.js';
import { decodeExtension, isT38Gen3, TP_DSP_INCOMING, TP_DSP_OUTGOING, type AcdrExtension } from './acdr/extension.js';
import { parseInnerIp, parseInnerUdp, type AcdrInnerPacket, type InnerResult } from './acdr/inner-packet.js';

export type { AcdrExtension } from './acdr/extension.js';
export type { AcdrInnerPacket } from './acdr/inner-packet.js';
export { ACDR_MEDIA_TYPES, ACDR_TRACE_POINTS, ACDR_TLS_APPLICATIONS, acdrMediaType, acdrTracePoint } from './acdr/names.js';

const FORMAT = 'acdr';

/** Which decoder the payload belongs to. 'pcm' = RTP-framed PCM samples (decode with decodeRtp). */
export type AcdrPayloadKind =
  | 'rtp' | 'rtcp' | 'stun' | 'pcm' | 't38' | 'dtls' | 'sip' | 'syslog' | 'json' | 'megaco' | 'mgcp' | 'xml'
  | 'tpncp' | 'dsp-event' | 'dsp' | 'ethernet' | 'tls' | 'signaling' | 'fragment' | 'raw';

export interface AcdrFlags {
  /** Bits of the extra-data byte as tshark lists them; see AcdrRecord for which ones take effect. */
  readonly mii: boolean;
  readonly ipv6: boolean;
  readonly fragmented: boolean;
  readonly headerAdded: boolean;
  readonly encrypted: boolean;
  readonly mtce: boolean;
  readonly li: boolean;
}

export interface AcdrSession {
  /** 24-bit board id (v>=7), null for v5/v6. */
  readonly boardId: number | null;
  readonly resetCounter: number | null;
  /** 32-bit (v5-v7) or 40-bit (v8/v9) session number. */
  readonly sessionId: number;
  /** `board:reset:session` as tshark renders it: board in lower-case hex, session omitted when 0;
   * v5/v6: the session number alone. */
  readonly fullSessionId: string;
}

export interface AcdrMii {
  readonly sequence: number;
  readonly packetSize: number;
}

/** DspIncoming/DspOutgoing (trace points 33/34): 16-byte analysis header + 4-byte HPI header. */
export interface AcdrDspAnalysis {
  readonly version: number;
  readonly direction: number;
  readonly subversion: number;
  readonly device: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly hpiSync: number;
  readonly hpiUdpChecksum: boolean;
  readonly hpiResourceId: number;
  readonly hpiFavorite: boolean;
  readonly hpiProtocol: number;
}

export interface AcdrRecord {
  readonly version: number;
  /** Device tick in µs (origin undocumented). v<=3: all 48 wire bits (tshark keeps only the low 32). */
  readonly timestampUs: number;
  /** v>=4 only. */
  readonly sequence: number | null;
  /** Channel ids; -1 = none. */
  readonly srcId: number;
  readonly dstId: number;
  readonly extraData: number;
  readonly flags: AcdrFlags;
  readonly tracePoint: number;
  readonly tracePointName: string;
  readonly mediaType: number;
  readonly mediaTypeName: string;
  /** v<5 "payload offset" byte: shown, never used (the payload always starts at byte 15). */
  readonly payloadOffsetField: number | null;
  /** v>=5 header extension length E. */
  readonly headerExtLen: number | null;
  /** v>=5; null when all session bytes are zero (record not tied to a session). */
  readonly session: AcdrSession | null;
  readonly extension: AcdrExtension | null;
  /** Raw header extension bytes (view), null when E = 0 or v<5. */
  readonly headerExtension: Uint8Array | null;
  /** Present when the MII flag is set (v>=3); its 4 bytes are skipped before the payload. */
  readonly mii: AcdrMii | null;
  readonly dspAnalysis: AcdrDspAnalysis | null;
  /** Original IP/UDP header when header_added applies; `payload` is then the inner payload. */
  readonly inner: AcdrInnerPacket | null;
  readonly payloadKind: AcdrPayloadKind;
  /** View into the input. */
  readonly payload: Uint8Array;
  /** Offset of `payload` in the datagram. */
  readonly payloadStart: number;
  /** Something after the fixed header could not be decoded (payload then left unwrapped). */
  readonly warning: string | null;
}

/** Fixed header length per minor version (spec §2.2). */
const FIXED_HEADER_BYTES: readonly number[] = [15, 15, 15, 15, 15, 19, 19, 23, 24, 28];
const MAX_VERSION = 9;
const LEGACY_FILLER = 0xaa;
const MII_HEADER_BYTES = 4;
const DSP_ANALYSIS_BYTES = 20;
const STUN_MAGIC_COOKIE = 0x2112a442;

const FLAG_MII = 0x01;
const FLAG_IPV6 = 0x02;
const FLAG_FRAGMENTED = 0x04;
const FLAG_HEADER_ADDED = 0x08;
const FLAG_ENCRYPTED = 0x10;
const FLAG_MTCE = 0x20;
const FLAG_LI = 0x40;

const MEDIA_RTP = 1;
const MEDIA_RTCP = 2;
const MEDIA_T38 = 3;
const MEDIA_CONTROL = 14;
const MEDIA_DTLS = 61;

const PAYLOAD_KINDS: readonly AcdrPayloadKind[] = (() => {
  const k: AcdrPayloadKind[] = new Array<AcdrPayloadKind>(256).fill('raw');
  const set = (kind: AcdrPayloadKind, media: readonly number[]): void => media.forEach((m) => (k[m] = kind));
  set('rtp', [1, 27, 36, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
  set('rtcp', [2, 28]);
  set('pcm', [15]);
  set('t38', [3]);
  set('dtls', [61]);
  set('dsp', [0, 18, 19, 32, 35, 47, 48]);
  set('dsp-event', [4]);
  set('syslog', [5, 30]);
  set('json', [6]);
  set('sip', [10]);
  set('megaco', [11]);
  set('mgcp', [12]);
  set('tpncp', [13, 26, 29]);
  set('ethernet', [14, 50]);
  set('tls', [33, 34]);
  set('signaling', [37]);
  set('fragment', [38]);
  set('xml', [42, 43, 44]);
  return k;
})();

/** Signed 2-byte channel id as tshark shows it: only 0xFFFF means -1 (spec §2.3). */
function channelId16(b: Uint8Array, o: number): number {
  const v = (b[o]! << 8) | b[o + 1]!;
  return v === 0xffff ? -1 : v;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function decodeSession(b: Uint8Array, version: number, o: number): AcdrSession | null {
  if (version <= 6) {
    const sessionId = u32(b, o);
    return sessionId === 0 ? null : { boardId: null, resetCounter: null, sessionId, fullSessionId: String(sessionId) };
  }
  const boardId = (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  const resetCounter = b[o + 3]!;
  // v8/v9: 40-bit session number (exact in a double).
  const sessionId = version === 7 ? u32(b, o + 4) : b[o + 4]! * 2 ** 32 + u32(b, o + 5);
  if (boardId === 0 && resetCounter === 0 && sessionId === 0) return null;
  const head = `${boardId.toString(16)}:${resetCounter}`;
  return { boardId, resetCounter, sessionId, fullSessionId: sessionId === 0 ? head : `${head}:${sessionId}` };
}

function decodeDspAnalysis(b: Uint8Array, o: number): AcdrDspAnalysis {
  return {
    version: (b[o]! << 8) | b[o + 1]!,
    direction: b[o + 2]! >> 7,
    subversion: b[o + 2]! & 0x7f,
    device: b[o + 3]!,
    sequence: (b[o + 4]! << 8) | b[o + 5]!,
    timestamp: u32(b, o + 8),
    hpiSync: b[o + 16]! >> 5,
    hpiUdpChecksum: (b[o + 16]! & 0x10) !== 0,
    hpiResourceId: b[o + 17]!,
    hpiFavorite: (b[o + 18]! & 0x80) !== 0,
    hpiProtocol: b[o + 19]! & 0x3f,
  };
}

function isStun(b: Uint8Array, o: number, end: number): boolean {
  return end - o >= 8 && (b[o]! & 0xc0) === 0 && u32(b, o + 4) === STUN_MAGIC_COOKIE;
}

export function decodeAcdr(bytes: Uint8Array): AcdrRecord | DecodeError {
  const b = bytes;
  const end = b.length;
  if (end === 0) return decodeError(FORMAT, 'ACDR datagram is empty', 0);
  const version = b[0]!;
  if (version > MAX_VERSION) {
    return decodeError(FORMAT, `ACDR version 0x${version.toString(16).padStart(2, '0')} not supported (major must be 0, minor 0-9)`, 0);
  }
  const fixed = FIXED_HEADER_BYTES[version]!;
  if (end < fixed) return decodeError(FORMAT, `ACDR v${version} header too short: ${end} of ${fixed} bytes at offset 0`, 0);

  const wide = version === 9; // v9 widens the channel ids to 4 bytes, shifting everything after
  const timestampUs = version <= 3 ? ((b[1]! << 8) | b[2]!) * 2 ** 32 + u32(b, 3) : u32(b, 1);
  const sequence = version >= 4 ? (b[5]! << 8) | b[6]! : null;
  const srcId = wide ? u32(b, 7) | 0 : channelId16(b, 7);
  const dstId = wide ? u32(b, 11) | 0 : channelId16(b, 9);
  const f = wide ? 15 : 11;
  const extraData = b[f]!;
  const tracePoint = b[f + 1]!;
  const mediaType = b[f + 2]!;
  const lenByte = b[f + 3]!;
  const flags: AcdrFlags = {
    mii: (extraData & FLAG_MII) !== 0,
    ipv6: (extraData & FLAG_IPV6) !== 0,
    fragmented: (extraData & FLAG_FRAGMENTED) !== 0,
    headerAdded: (extraData & FLAG_HEADER_ADDED) !== 0,
    encrypted: (extraData & FLAG_ENCRYPTED) !== 0,
    mtce: (extraData & FLAG_MTCE) !== 0,
    li: (extraData & FLAG_LI) !== 0,
  };
  // Which flags take effect (spec §2.4): MII/IPv6 from v3. 0xAA is the legacy filler: never
  // header_added (spec), and we do not read its IPv6 bit either (tshark does, see the oracle test).
  const honourMii = flags.mii && version >= 3;
  const honourIpv6 = flags.ipv6 && version >= 3 && extraData !== LEGACY_FILLER;
  const headerAdded = flags.headerAdded && extraData !== LEGACY_FILLER && mediaType !== MEDIA_CONTROL;

  let headerExtLen: number | null = null;
  let session: AcdrSession | null = null;
  let extension: AcdrExtension | null = null;
  let headerExtension: Uint8Array | null = null;
  let p = fixed;
  if (version >= 5) {
    headerExtLen = lenByte;
    if (end < fixed + lenByte) {
      return decodeError(FORMAT, `ACDR header extension truncated: ${end - fixed} of ${lenByte} bytes at offset ${fixed}`, fixed);
    }
    session = decodeSession(b, version, f + 4);
    if (lenByte > 0) {
      const gen3 = isT38Gen3(mediaType, tracePoint, lenByte, headerAdded);
      extension = decodeExtension(b, fixed, lenByte, mediaType, tracePoint, honourIpv6, gen3);
      // Gen3 T.38 with header_added: only the address is extension, the UDP header follows it.
      const extBytes = gen3 ? Math.min(lenByte, 4) : lenByte;
      headerExtension = b.subarray(fixed, fixed + extBytes);
      p = fixed + extBytes;
    }
  }

  let mii: AcdrMii | null = null;
  if (honourMii) {
    if (end - p < MII_HEADER_BYTES) return decodeError(FORMAT, `ACDR MII header truncated: ${end - p} of ${MII_HEADER_BYTES} bytes at offset ${p}`, p);
    mii = { sequence: (b[p]! << 8) | b[p + 1]!, packetSize: (b[p + 2]! << 8) | b[p + 3]! };
    p += MII_HEADER_BYTES;
  }

  let warning: string | null = null;
  let dspAnalysis: AcdrDspAnalysis | null = null;
  if (tracePoint === TP_DSP_INCOMING || tracePoint === TP_DSP_OUTGOING) {
    if (end - p >= DSP_ANALYSIS_BYTES) {
      dspAnalysis = decodeDspAnalysis(b, p);
      p += DSP_ANALYSIS_BYTES;
    } else {
      warning = `DSP analysis/HPI header truncated: ${end - p} of ${DSP_ANALYSIS_BYTES} bytes at offset ${p}`;
    }
  }

  let payloadKind = PAYLOAD_KINDS[mediaType]!;
  let inner: AcdrInnerPacket | null = null;
  let payloadEnd = end;
  if (headerAdded) {
    const r: InnerResult | string = mediaType === MEDIA_T38 || mediaType === MEDIA_DTLS ? parseInnerUdp(b, p, end) : parseInnerIp(b, p, end);
    if (typeof r === 'string') {
      warning = r;
      payloadKind = 'raw';
    } else {
      inner = r.inner;
      p += r.inner.headerBytes;
      payloadEnd = r.payloadEnd;
    }
  }
  if ((mediaType === MEDIA_RTP || mediaType === MEDIA_RTCP) && isStun(b, p, payloadEnd)) payloadKind = 'stun';

  return {
    version,
    timestampUs,
    sequence,
    srcId,
    dstId,
    extraData,
    flags,
    tracePoint,
    tracePointName: acdrTracePoint(tracePoint).name,
    mediaType,
    mediaTypeName: acdrMediaType(mediaType).name,
    payloadOffsetField: version < 5 ? lenByte : null,
    headerExtLen,
    session,
    extension,
    headerExtension,
    mii,
    dspAnalysis,
    inner,
    payloadKind,
    payload: b.subarray(p, payloadEnd),
    payloadStart: p,
    warning,
  };
}

/** RTP-family media whose payload must start with an RTP version-2 byte (spec §1 acceptance test). */
const RTP_FRAMED = new Uint8Array(256);
for (const m of [1, 2, 15, 27, 28, 36, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]) RTP_FRAMED[m] = 1;

/**
 * Cheap content check for finding ACDR in captures (spec §1 recommendation): version byte 0x00-0x09,
 * length covers the fixed header (+ extension), known trace point and media type, and RTP-family
 * payloads start with RTP version 2.
 */
export function looksLikeAcdr(bytes: Uint8Array): boolean {
  const b = bytes;
  if (b.length === 0) return false;
  const version = b[0]!;
  if (version > MAX_VERSION) return false;
  const fixed = FIXED_HEADER_BYTES[version]!;
  if (b.length < fixed) return false;
  const f = version === 9 ? 15 : 11;
  if (b[f + 1]! > ACDR_MAX_TRACE_POINT || b[f + 2]! > ACDR_MAX_MEDIA_TYPE) return false;
  let p = fixed;
  if (version >= 5) {
    p += b[f + 3]!;
    if (b.length < p) return false;
  }
  const extra = b[f]!;
  if (version >= 3 && (extra & FLAG_MII) !== 0) p += MII_HEADER_BYTES;
  const headerAdded = (extra & FLAG_HEADER_ADDED) !== 0 && extra !== LEGACY_FILLER;
  const tracePoint = b[f + 1]!;
  // DspIncoming/DspOutgoing put an analysis header, and header_added an IP header, before the RTP.
  const rtpFirst = !headerAdded && tracePoint !== TP_DSP_INCOMING && tracePoint !== TP_DSP_OUTGOING;
  if (RTP_FRAMED[b[f + 2]!] === 1 && rtpFirst) return p < b.length && (b[p]! & 0xc0) === 0x80;
  return true;
}

/** PSTN signalling record carried by media type 37 (spec §5.2). */
export interface AcdrSignaling {
  readonly opcode: number; // acdr.signaling_opcode
  /** Only at trace points Host2Pstn (25) and DspIncoming (33). */
  readonly size: number | null; // acdr.signaling_size
  /** µs; at every other trace point. */
  readonly timestampUs: number | null; // acdr.signaling_timestamp
  readonly message: Uint8Array;
}

const TP_HOST2PSTN = 25;

export function decodeAcdrSignaling(payload: Uint8Array, tracePoint: number): AcdrSignaling | DecodeError {
  const b = payload;
  const hasSize = tracePoint === TP_HOST2PSTN || tracePoint === TP_DSP_INCOMING;
  const headerBytes = hasSize ? 4 : 6;
  if (b.length < headerBytes) return decodeError(FORMAT, `ACDR signaling header too short: ${b.length} of ${headerBytes} bytes at offset 0`, 0);
  return {
    opcode: (b[0]! << 8) | b[1]!,
    size: hasSize ? (b[2]! << 8) | b[3]! : null,
    timestampUs: hasSize ? null : u32(b, 2),
    message: b.subarray(headerBytes),
  };
}
