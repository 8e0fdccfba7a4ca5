/**
 * What we know about an RTP payload type: the RTP clock (for jitter), a typical frame length and,
 * where the spec gives them, the E-model equipment impairment Ie and packet-loss robustness Bpl.
 *
 * Static payload types follow RFC 3551 and the clock table Wireshark uses for jitter
 * (ui/tap-rtp-analysis.c), so our jitter matches tshark's. Dynamic payload types (96-127) have no
 * meaning without SDP; callers map them by encoding name with `codecByName`.
 */

export interface EModelCodec {
  /** Equipment impairment factor (ITU-T G.113 App. I). */
  readonly ie: number;
  /** Packet-loss robustness factor. */
  readonly bpl: number;
  /** Set when a value is not from the spec's table, saying what was assumed. */
  readonly assumption?: string;
}

export interface CodecInfo {
  /** Encoding name as written in an SDP rtpmap (RFC 3551 / IANA media subtype). */
  readonly name: string;
  /** RTP timestamp clock in Hz; 0 when jitter cannot be computed (Wireshark skips those). */
  readonly clockRate: number;
  /** Usual packetisation in ms, used as the codec's share of mouth-to-ear delay. */
  readonly frameMs?: number;
  /** Narrowband E-model parameters; absent where the spec gives none (wideband, video, events). */
  readonly emodel?: EModelCodec;
}

/** G.711 with packet-loss concealment: the phones conceal, so the PLC value is the default. */
const G711_PLC: EModelCodec = { ie: 0, bpl: 25.1 };
/** G.729A+VAD per the spec; PT 18 on IP phones is almost always Annex A (and often B). */
const G729A: EModelCodec = { ie: 11, bpl: 19.0, assumption: 'PT 18 taken as G.729A+VAD (Ie 11, Bpl 19.0); plain G.729 is Ie 10' };
const G723: EModelCodec = { ie: 15, bpl: 16.1 };
/** The spec gives no Bpl for these; 4.3 (G.711 without PLC) is the pessimistic listed value. */
const NO_BPL_ASSUMED = 'Bpl not in the spec; 4.3 (no concealment) assumed';
const G726_32: EModelCodec = { ie: 7, bpl: 4.3, assumption: NO_BPL_ASSUMED };
const G728: EModelCodec = { ie: 7, bpl: 4.3, assumption: NO_BPL_ASSUMED };
const GSM_EFR: EModelCodec = { ie: 5, bpl: 4.3, assumption: NO_BPL_ASSUMED };

const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, CodecInfo> = new Map<number, CodecInfo>([
  [0, { name: 'PCMU', clockRate: 8000, frameMs: 20, emodel: G711_PLC }],
  [1, { name: '1016', clockRate: 8000, frameMs: 30 }],
  [2, { name: 'G721', clockRate: 8000, frameMs: 20 }],
  [3, { name: 'GSM', clockRate: 8000, frameMs: 20 }],
  [4, { name: 'G723', clockRate: 8000, frameMs: 30, emodel: G723 }],
  [5, { name: 'DVI4', clockRate: 8000, frameMs: 20 }],
  [6, { name: 'DVI4', clockRate: 16000, frameMs: 20 }],
  [7, { name: 'LPC', clockRate: 8000, frameMs: 20 }],
  [8, { name: 'PCMA', clockRate: 8000, frameMs: 20, emodel: G711_PLC }],
  // RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock is 8000 for historical reasons.
  [9, { name: 'G722', clockRate: 8000, frameMs: 20 }],
  [10, { name: 'L16', clockRate: 44100 }],
  [11, { name: 'L16', clockRate: 44100 }],
  [12, { name: 'QCELP', clockRate: 8000, frameMs: 20 }],
  [13, { name: 'CN', clockRate: 8000 }],
  [14, { name: 'MPA', clockRate: 90000 }],
  [15, { name: 'G728', clockRate: 8000, frameMs: 20, emodel: G728 }],
  [16, { name: 'DVI4', clockRate: 11025, frameMs: 20 }],
  [17, { name: 'DVI4', clockRate: 22050, frameMs: 20 }],
  [18, { name: 'G729', clockRate: 8000, frameMs: 20, emodel: G729A }],
  // PT 19 was comfort noise in drafts; Wireshark still clocks it at 8000.
  [19, { name: 'CN', clockRate: 8000 }],
  [25, { name: 'CelB', clockRate: 90000 }],
  [26, { name: 'JPEG', clockRate: 90000 }],
  [28, { name: 'nv', clockRate: 90000 }],
  [31, { name: 'H261', clockRate: 90000 }],
  [32, { name: 'MPV', clockRate: 90000 }],
  [33, { name: 'MP2T', clockRate: 90000 }],
  [34, { name: 'H263', clockRate: 90000 }],
]);

/** Dynamic encodings by lower-cased SDP name: default clock (when the rtpmap omits it) and frame. */
const DYNAMIC_CODECS: ReadonlyMap<string, CodecInfo> = new Map<string, CodecInfo>(
  (
    [
      { name: 'opus', clockRate: 48000, frameMs: 20 },
      { name: 'G722', clockRate: 8000, frameMs: 20 },
      { name: 'iLBC', clockRate: 8000, frameMs: 30 },
      { name: 'AMR', clockRate: 8000, frameMs: 20 },
      { name: 'AMR-WB', clockRate: 16000, frameMs: 20 },
      { name: 'G7221', clockRate: 16000, frameMs: 20 },
      { name: 'G726-32', clockRate: 8000, frameMs: 20, emodel: G726_32 },
      { name: 'GSM-EFR', clockRate: 8000, frameMs: 20, emodel: GSM_EFR },
      { name: 'SILK', clockRate: 16000, frameMs: 20 },
      { name: 'speex', clockRate: 8000, frameMs: 20 },
      { name: 'PCMU', clockRate: 8000, frameMs: 20, emodel: G711_PLC },
      { name: 'PCMA', clockRate: 8000, frameMs: 20, emodel: G711_PLC },
      { name: 'G729', clockRate: 8000, frameMs: 20, emodel: G729A },
      { name: 'red', clockRate: 1000 },
      { name: 't140', clockRate: 1000 },
      // RFC 4733 §2.2.1: an event's timestamp stays at its start, so jitter over it is meaningless;
      // Wireshark clocks it at 0 for that reason.
      { name: 'telephone-event', clockRate: 0 },
    ] satisfies CodecInfo[]
  ).map((c) => [c.name.toLowerCase(), c]),
);

export function staticPayloadType(payloadType: number): CodecInfo | undefined {
  return STATIC_PAYLOAD_TYPES.get(payloadType);
}

/**
 * A codec from an SDP rtpmap (`a=rtpmap:101 telephone-event/8000`). The rtpmap clock wins, as in
 * Wireshark, except for telephone-event whose timestamps never advance within an event.
 */
export function codecByName(name: string, clockRate?: number): CodecInfo {
  const known = DYNAMIC_CODECS.get(name.toLowerCase());
  if (known?.name === 'telephone-event') return known;
  const rate = clockRate ?? known?.clockRate ?? 0;
  return known ? { ...known, clockRate: rate } : { name, clockRate: rate };
}

/** Static table for 0-95, the caller's SDP-derived map for dynamic types; undefined when unknown. */
export function resolvePayloadType(
  payloadType: number,
  dynamic?: ReadonlyMap<number, CodecInfo>,
): CodecInfo | undefined {
  return payloadType < 96 ? staticPayloadType(payloadType) : dynamic?.get(payloadType);
}
