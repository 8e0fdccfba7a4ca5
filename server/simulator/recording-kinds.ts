/**
 * The phone's other debug recordings during a call (manual 7.2), beside the RTP recording of
 * media.ts, with the encodings parsers/acdr/recording-kind.ts expects: PCM toward the handset
 * (network = TDM out, Dsp2Tdm) and from the microphone (TDM in, Tdm2Dsp) as RTP-framed G.711 every
 * 20 ms; for DSP recording, PCM before the DSP encoder, DSP 5x packets and host events; the
 * echo-canceller, CNG and noise-reduction debug recordings as opaque DSP bytes. Off unless asked for
 * (`simulate --recording-kinds`).
 */
import type { G711Law } from '../media/g711.js';
import type { SimCall } from './plan.js';
import type { Datagram, DatagramKind, PhoneRuntime, Source } from './runtime.js';
import { FRAME_MS, FRAMES_PER_CYCLE, SAMPLES_PER_FRAME, toneFrames } from './tone.js';
import { acdrDspExt, acdrEventExt, buildAcdr, buildRtp } from './wire/acdr.js';
import { seededRandom } from './wire/rtp-stream.js';

/** What `--recording-kinds` takes (RTP recording is always on). */
export const SIM_RECORDING_KINDS = ['dsp', 'ec-debug', 'cng-debug', 'nr-debug', 'network', 'tdm'] as const;
export type SimRecordingKind = (typeof SIM_RECORDING_KINDS)[number];

const ACDR_VERSION = 7;
const TP_DSP2HOST = 2;
const TP_DSP2TDM = 9;
const TP_TDM2DSP = 10;
const TP_DSP_ENCODER = 19;
const MEDIA_PCM = 15;
const MEDIA_EVENT = 4;
const MEDIA_DSP_AC5X = 32;
const MEDIA_NOT_USE = { 'ec-debug': 7, 'cng-debug': 8, 'nr-debug': 9 } as const;
const DSP_CHANNEL = 1;
/** Raw debug records every fifth frame (100 ms), events every second. */
const DEBUG_EVERY_FRAMES = 5;
const EVENT_EVERY_FRAMES = 50;
const DEBUG_PAYLOAD_BYTES = 96;
const DSP_PACKET_BYTES = 64;
const EVENT_PAYLOAD_BYTES = 12;
/** A different SSRC per PCM recording than the call's RTP ones. */
const SSRC_SALT: Readonly<Record<'network' | 'tdm' | 'dsp-pcm', number>> = { 'network': 0x1111_0001, 'tdm': 0x1111_0002, 'dsp-pcm': 0x1111_0003 };

interface PcmTrack {
  readonly kind: DatagramKind;
  readonly tracePoint: number;
  readonly ssrc: number;
  /** The far end's voice (1) is what the DSP plays to the handset; the phone's own (0) what it takes in. */
  readonly voice: 0 | 1;
}

export class RecordingKindsSource implements Source {
  at: number;
  private k = 0;
  private readonly pcm: PcmTrack[] = [];
  private readonly debug: Array<{ kind: DatagramKind; mediaType: number }> = [];
  private readonly events: boolean;
  private readonly law: G711Law;
  private readonly payloadType: number;
  private readonly rnd: () => number;

  constructor(private readonly call: SimCall, private readonly runtime: PhoneRuntime, kinds: readonly SimRecordingKind[]) {
    const on = new Set(kinds);
    if (on.has('network')) this.pcm.push({ kind: 'acdr-network', tracePoint: TP_DSP2TDM, ssrc: (call.ssrcRx ^ SSRC_SALT.network) >>> 0, voice: 1 });
    if (on.has('tdm')) this.pcm.push({ kind: 'acdr-tdm', tracePoint: TP_TDM2DSP, ssrc: (call.ssrcTx ^ SSRC_SALT.tdm) >>> 0, voice: 0 });
    if (on.has('dsp')) {
      this.pcm.push({ kind: 'acdr-dsp-pcm', tracePoint: TP_DSP_ENCODER, ssrc: (call.ssrcTx ^ SSRC_SALT['dsp-pcm']) >>> 0, voice: 0 });
      this.debug.push({ kind: 'acdr-dsp', mediaType: MEDIA_DSP_AC5X });
    }
    for (const k of ['ec-debug', 'cng-debug', 'nr-debug'] as const) if (on.has(k)) this.debug.push({ kind: `acdr-${k}`, mediaType: MEDIA_NOT_USE[k] });
    this.events = on.has('dsp');
    this.law = call.codec === 'PCMU' ? 'ulaw' : 'alaw';
    this.payloadType = call.codec === 'PCMU' ? 0 : 8;
    this.rnd = seededRandom(call.mediaSeed ^ 0x5bd1e995);
    this.at = this.pcm.length > 0 || this.debug.length > 0 ? call.answerMs : Infinity;
  }

  step(out: Datagram[]): void {
    const atMs = this.at;
    const k = this.k++;
    for (const t of this.pcm) {
      const rtp = buildRtp({
        payloadType: this.payloadType, marker: k === 0, sequence: k & 0xffff, timestamp: (k * SAMPLES_PER_FRAME) >>> 0, ssrc: t.ssrc,
        payload: toneFrames(this.law, t.voice)[k % FRAMES_PER_CYCLE]!,
      });
      this.emit(out, atMs, t.kind, t.tracePoint, MEDIA_PCM, new Uint8Array(0), rtp);
    }
    if (k % DEBUG_EVERY_FRAMES === 0) {
      for (const d of this.debug) {
        const bytes = d.mediaType === MEDIA_DSP_AC5X ? DSP_PACKET_BYTES : DEBUG_PAYLOAD_BYTES;
        this.emit(out, atMs, d.kind, TP_DSP2HOST, d.mediaType, acdrDspExt(0, DSP_CHANNEL), this.noise(bytes));
      }
    }
    if (this.events && k % EVENT_EVERY_FRAMES === 0) {
      this.emit(out, atMs, 'acdr-dsp-event', TP_DSP2HOST, MEDIA_EVENT, acdrEventExt(k / EVENT_EVERY_FRAMES & 0xff, 1), this.noise(EVENT_PAYLOAD_BYTES));
    }
    const next = this.call.answerMs + this.k * FRAME_MS;
    this.at = next < this.call.endMs ? next : Infinity;
  }

  private noise(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => Math.floor(this.rnd() * 256));
  }

  private emit(out: Datagram[], atMs: number, kind: DatagramKind, tracePoint: number, mediaType: number, headerExtension: Uint8Array, payload: Uint8Array): void {
    const c = this.call;
    const bytes = buildAcdr({
      version: ACDR_VERSION,
      timestampUs: this.runtime.deviceClockUs(atMs),
      sequence: this.runtime.nextAcdrSeq(),
      srcId: DSP_CHANNEL,
      dstId: -1,
      tracePoint,
      mediaType,
      session: { boardId: c.phone.boardId, resetCounter: c.phone.resetCounter, sessionId: c.session },
      headerExtension,
    }, payload);
    out.push({ atMs, phone: c.phone, port: 'recording', kind, bytes });
  }
}
