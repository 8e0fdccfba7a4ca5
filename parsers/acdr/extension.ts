/**
 * ACDR header extension (v>=5): the layout depends on media type and trace point (spec §4).
 * tshark field for each member is given in the comments.
 */
import { ipv4Text, ipv6Text } from './ip-text.js';

export type AcdrExtension =
  /** RTP-family media (spec §4.2). "in": far end is the source (acdr.ext.src_ip, src_port = farPort,
   * dst_port = localPort); "out": far end is the destination (acdr.ext.dst_ip, dst_port = farPort,
   * src_port = localPort). */
  | {
      readonly kind: 'media';
      readonly direction: 'in' | 'out';
      readonly farAddr: string; // acdr.ext.src_ip(_v6) | acdr.ext.dst_ip(_v6)
      readonly farPort: number;
      readonly localPort: number;
      readonly ipTos: number; // acdr.ext.iptos
      readonly c5ControlFlags: number | null; // acdr.c5_control_flags (favorite = bit 0x10)
    }
  /** T.38 "Gen3": only the far-end IPv4 address. */
  | { readonly kind: 't38-gen3'; readonly direction: 'in' | 'out'; readonly farAddr: string }
  /** Control protocols at trace point System (spec §4.3). */
  | {
      readonly kind: 'system';
      readonly srcAddr: string; // acdr.ext.src_ip
      readonly dstAddr: string; // acdr.ext.dst_ip
      readonly srcPort: number; // acdr.ext.src_port
      readonly dstPort: number; // acdr.ext.dst_port
      readonly protocol: number; // acdr.ext.protocol (IANA)
      readonly direction: 'incoming' | 'outgoing' | number; // acdr.ext.direction
    }
  /** Decrypted TLS data (spec §4.4). */
  | {
      readonly kind: 'tls';
      readonly srcPort: number;
      readonly dstPort: number;
      readonly srcAddr: string;
      readonly dstAddr: string;
      readonly application: number; // acdr.ext.application, see ACDR_TLS_APPLICATIONS
    }
  | { readonly kind: 'dsp'; readonly dspCore: number; readonly dspChannel: number } // acdr.ext.dsp_core, dsp_ch
  | { readonly kind: 'event'; readonly eventId: number; readonly eventSource: number } // acdr.ext.event_id, event_src
  | { readonly kind: 'pstn'; readonly pstnTraceSeq: number } // acdr.ext.pstn_trace_seq_num
  /** Not understood for this media type / trace point, or too short for its layout (acdr.payload_header). */
  | { readonly kind: 'opaque' };

const OPAQUE: AcdrExtension = Object.freeze({ kind: 'opaque' });

// Membership tables indexed by value: cheaper than Set lookups on the hot path.
function table(size: number, members: readonly number[]): Uint8Array {
  const t = new Uint8Array(size);
  for (const m of members) t[m] = 1;
  return t;
}

const RTP_FAMILY = table(256, [1, 2, 3, 27, 28, 36, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
const DSP_MEDIA = table(256, [0, 18, 19, 32, 35, 50]);
const CONTROL_MEDIA = table(256, [6, 10, 11, 12, 13, 14]);
/** 1 = "in" layout, 2 = "out" layout (spec §2.5 last column). */
const MEDIA_DIRECTION = (() => {
  const t = new Uint8Array(256);
  for (const tp of [0, 4, 18, 20, 27, 35]) t[tp] = 1;
  for (const tp of [1, 5, 17, 19, 21, 22, 23, 24, 28]) t[tp] = 2;
  return t;
})();

export const TP_NET2DSP = 0;
export const TP_DSP2NET = 1;
export const TP_SYSTEM = 6;
export const TP_DSP_INCOMING = 33;
export const TP_DSP_OUTGOING = 34;
const MEDIA_T38 = 3;
const MEDIA_EVENT = 4;
const MEDIA_CAS = 24;
const MEDIA_NET_BRICKS = 25;
const MEDIA_TLS = 33;
const MEDIA_TLS_PEEK = 34;

const SYSTEM_EXT_BYTES = 14;
const TLS_EXT_BYTES = 13;
const T38_GEN3_EXT_BYTES = 4;
const C5_EXT_BYTES = 10;

/** True for the T.38 "Gen3" form, whose extension is only an IPv4 address (spec §4.2). */
export function isT38Gen3(media: number, tracePoint: number, extLen: number, headerAdded: boolean): boolean {
  return media === MEDIA_T38 && (tracePoint === TP_NET2DSP || tracePoint === TP_DSP2NET) && (extLen === T38_GEN3_EXT_BYTES || (headerAdded && extLen === 12));
}

/**
 * Decodes `len` extension bytes at `o`. `ipv6` = the IPv6 flag is honoured for this record.
 * `t38Gen3` is decided by the caller because it also moves the payload start.
 */
export function decodeExtension(b: Uint8Array, o: number, len: number, media: number, tracePoint: number, ipv6: boolean, t38Gen3: boolean): AcdrExtension {
  if (tracePoint === TP_DSP_INCOMING || tracePoint === TP_DSP_OUTGOING || DSP_MEDIA[media] === 1) {
    return len >= 2 ? { kind: 'dsp', dspCore: b[o]!, dspChannel: b[o + 1]! } : OPAQUE;
  }
  if (RTP_FAMILY[media] === 1) {
    const dir = MEDIA_DIRECTION[tracePoint];
    if (dir === 0) return OPAQUE;
    const direction = dir === 1 ? 'in' : 'out';
    if (t38Gen3) return { kind: 't38-gen3', direction, farAddr: ipv4Text(b, o) };
    const addrBytes = ipv6 ? 16 : 4;
    if (len < addrBytes + 5) return OPAQUE;
    const p = o + addrBytes;
    return {
      kind: 'media',
      direction,
      farAddr: ipv6 ? ipv6Text(b, o) : ipv4Text(b, o),
      farPort: (b[p]! << 8) | b[p + 1]!,
      localPort: (b[p + 2]! << 8) | b[p + 3]!,
      ipTos: b[p + 4]!,
      c5ControlFlags: tracePoint === TP_NET2DSP && len === C5_EXT_BYTES ? b[p + 5]! : null,
    };
  }
  if (CONTROL_MEDIA[media] === 1) {
    if (tracePoint !== TP_SYSTEM || len < SYSTEM_EXT_BYTES) return OPAQUE;
    const dir = b[o + 13]!;
    return {
      kind: 'system',
      srcAddr: ipv4Text(b, o),
      dstAddr: ipv4Text(b, o + 4),
      srcPort: (b[o + 8]! << 8) | b[o + 9]!,
      dstPort: (b[o + 10]! << 8) | b[o + 11]!,
      protocol: b[o + 12]!,
      direction: dir === 0 ? 'incoming' : dir === 1 ? 'outgoing' : dir,
    };
  }
  if (media === MEDIA_TLS || media === MEDIA_TLS_PEEK) {
    if (len < TLS_EXT_BYTES) return OPAQUE;
    return {
      kind: 'tls',
      srcPort: (b[o]! << 8) | b[o + 1]!,
      dstPort: (b[o + 2]! << 8) | b[o + 3]!,
      srcAddr: ipv4Text(b, o + 4),
      dstAddr: ipv4Text(b, o + 8),
      application: b[o + 12]!,
    };
  }
  if (media === MEDIA_EVENT) return len >= 2 ? { kind: 'event', eventId: b[o]!, eventSource: b[o + 1]! } : OPAQUE;
  if (media === MEDIA_CAS || media === MEDIA_NET_BRICKS) {
    return len >= 4 ? { kind: 'pstn', pstnTraceSeq: ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0 } : OPAQUE;
  }
  return OPAQUE;
}
