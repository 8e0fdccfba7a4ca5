/**
 * Which of the phone's debug recordings an ACDR record belongs to (manual 7.2: DSP, RTP,
 * echo-canceller debug, CNG debug, noise-reduction debug, network = TDM out, TDM = TDM in), decided
 * by the pair (media type, trace point) alone, as the acdr spec §6 advises.
 *
 * No public document ties the phone's settings to header values (acdr spec §6, §10), so part of this
 * table is a hypothesis; docs/decisions.md says which part and why. It is the one place to change
 * once a real capture shows the pairs. Records that fit no recording keep their media type under
 * 'other': counted and kept, never dropped.
 */

export type AcdrRecordingKind =
  | 'rtp' | 'network' | 'tdm' | 'dsp-pcm' | 'dsp' | 'dsp-event' | 'ec-debug' | 'cng-debug' | 'nr-debug'
  | 'signalling' | 'system' | 'other';

export interface AcdrRecordingKindInfo {
  readonly kind: AcdrRecordingKind;
  /** What the call page shows. */
  readonly name: string;
  /** Its payload is PCM samples we can play when they come RTP-framed as G.711. */
  readonly pcm: boolean;
  /** The phone setting that turns it on (voip/packet_recording/...), null for records no setting names. */
  readonly setting: string | null;
}

const SETTING = 'voip/packet_recording';

export const ACDR_RECORDING_KINDS: Readonly<Record<AcdrRecordingKind, AcdrRecordingKindInfo>> = {
  'rtp': { kind: 'rtp', name: 'RTP', pcm: false, setting: `${SETTING}/rtp_recording` },
  'network': { kind: 'network', name: 'Network (TDM out)', pcm: true, setting: `${SETTING}/network_recording` },
  'tdm': { kind: 'tdm', name: 'TDM (TDM in)', pcm: true, setting: `${SETTING}/tdm_recording` },
  'dsp-pcm': { kind: 'dsp-pcm', name: 'DSP PCM debug', pcm: true, setting: SETTING },
  'dsp': { kind: 'dsp', name: 'DSP', pcm: false, setting: SETTING },
  'dsp-event': { kind: 'dsp-event', name: 'DSP events', pcm: false, setting: SETTING },
  'ec-debug': { kind: 'ec-debug', name: 'Echo-canceller debug', pcm: false, setting: `${SETTING}/ec_debug_recording` },
  'cng-debug': { kind: 'cng-debug', name: 'CNG debug', pcm: false, setting: `${SETTING}/cng_debug_recording` },
  'nr-debug': { kind: 'nr-debug', name: 'Noise-reduction debug', pcm: false, setting: `${SETTING}/noise_reduction_recording` },
  'signalling': { kind: 'signalling', name: 'Signalling', pcm: false, setting: null },
  'system': { kind: 'system', name: 'System', pcm: false, setting: null },
  'other': { kind: 'other', name: 'Other', pcm: false, setting: null },
};

const MEDIA_PCM = 15;
const TP_DSP2TDM = 9;
const TP_TDM2DSP = 10;

/** By media type; PCM is split by trace point below. */
const BY_MEDIA: readonly AcdrRecordingKind[] = (() => {
  const k = new Array<AcdrRecordingKind>(256).fill('other');
  const set = (kind: AcdrRecordingKind, media: readonly number[]): void => media.forEach((m) => (k[m] = kind));
  // RTP recording: every RTP-family media, RTCP and T.38 (acdr spec §3).
  set('rtp', [1, 2, 3, 27, 28, 36, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
  // DSP Tdm / Net Playback: named for the two PCM directions; tolerated as those kinds (payload may be RTP-framed PCM).
  set('tdm', [47]);
  set('network', [48]);
  // DSP recording: the DSP packet families and the host events (acdr spec §6 row "DSP Recording").
  set('dsp', [0, 18, 19, 32, 35, 49, 50]);
  set('dsp-event', [4]);
  // Hypothesis: the three "Not Use" slots carry the three debug recordings no public enumeration names.
  set('ec-debug', [7]);
  set('cng-debug', [8]);
  set('nr-debug', [9]);
  set('signalling', [10, 11, 12, 13, 14, 24, 26, 29, 37]);
  set('system', [5, 6, 30, 33, 34, 42, 43, 44]);
  return k;
})();

export function acdrRecordingKind(mediaType: number, tracePoint: number): AcdrRecordingKind {
  if (mediaType === MEDIA_PCM) return tracePoint === TP_DSP2TDM ? 'network' : tracePoint === TP_TDM2DSP ? 'tdm' : 'dsp-pcm';
  return BY_MEDIA[mediaType] ?? 'other';
}

/** Records that belong to a call even without a session id: everything but control traffic. */
export function isCallScopedKind(kind: AcdrRecordingKind): boolean {
  return kind !== 'signalling' && kind !== 'system';
}
