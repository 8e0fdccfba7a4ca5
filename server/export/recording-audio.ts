/**
 * WAV files from recorded G.711 streams (RTP, and the PCM recordings: network/TDM out, TDM in, DSP PCM): one direction as mono, or both as stereo (received on the
 * left, sent on the right), each sample placed by its RTP timestamp so lost packets become silence
 * and the two directions stay in step on the device clock. Other codecs are named, not guessed at.
 */
import { decodeAcdr } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeRtp } from '../../parsers/rtp.js';
import { decodeG711, g711LawForPayloadType } from '../media/g711.js';
import { datagramAt, type DatagramColumns } from '../pipeline/recordings/datagram-batch.js';
import { directionOf, farEnd, isRtpFramed } from '../pipeline/recordings/tracker.js';
import type { RecordedStreamSummary } from '../pipeline/recordings/types.js';
import { wavMono, wavStereo } from './wav.js';

const G711_SAMPLE_RATE = 8000;
/** One hour per direction at most (57.6 MB of samples); longer calls are cut there. */
const MAX_AUDIO_SAMPLES = 3600 * G711_SAMPLE_RATE;
const TIMESTAMP_MODULO = 2 ** 32;
const TIMESTAMP_HALF_RANGE = 2 ** 31;

export class AudioUnavailable extends Error {}

/** The stream's audio as 16-bit samples at 8 kHz, from the first packet's RTP timestamp on. */
export function streamSamples(c: DatagramColumns, s: RecordedStreamSummary): Int16Array {
  const law = g711LawForPayloadType(s.payloadType);
  if (!law) throw new AudioUnavailable(`stream ${s.id} is ${s.codec ?? `payload type ${s.payloadType}`}; only G.711 (PCMU/PCMA) can be played`);
  let out = new Int16Array(G711_SAMPLE_RATE * 10);
  let length = 0;
  let firstTs = -1;
  for (let i = 0; i < c.n; i++) {
    const rec = decodeAcdr(datagramAt(c, i));
    if (isDecodeError(rec) || rec.tracePoint !== s.tracePoint || !isRtpFramed(rec)) continue;
    const direction = directionOf(rec);
    if (direction !== s.direction) continue;
    const far = farEnd(rec, direction);
    if (far.addr !== s.farAddr || far.port !== s.farPort) continue;
    const rtp = decodeRtp(rec.payload);
    if (isDecodeError(rtp) || rtp.ssrc >>> 0 !== s.ssrc || rtp.payloadType !== s.payloadType) continue;
    if (firstTs < 0) firstTs = rtp.timestamp;
    const offset = (rtp.timestamp - firstTs + TIMESTAMP_MODULO) % TIMESTAMP_MODULO;
    // Packets from before the first one (reordered) or absurdly far on are left out.
    if (offset >= TIMESTAMP_HALF_RANGE || offset + rtp.payload.length > MAX_AUDIO_SAMPLES) continue;
    const end = offset + rtp.payload.length;
    if (end > out.length) {
      const grown = new Int16Array(Math.min(MAX_AUDIO_SAMPLES, Math.max(end, out.length * 2)));
      grown.set(out);
      out = grown;
    }
    out.set(decodeG711(law, rtp.payload), offset);
    if (end > length) length = end;
  }
  return out.subarray(0, length);
}

export function streamWav(c: DatagramColumns, s: RecordedStreamSummary): Buffer {
  return wavMono(G711_SAMPLE_RATE, streamSamples(c, s));
}

/** Received audio left, sent audio right, aligned by each stream's first packet on the device clock. */
export function mixedWav(c: DatagramColumns, rx: RecordedStreamSummary, tx: RecordedStreamSummary): Buffer {
  const start = Math.min(rx.startMs, tx.startMs);
  const shifted = (s: RecordedStreamSummary) => {
    const samples = streamSamples(c, s);
    const lead = Math.min(MAX_AUDIO_SAMPLES, Math.round(((s.startMs - start) * G711_SAMPLE_RATE) / 1000));
    const out = new Int16Array(Math.min(MAX_AUDIO_SAMPLES, lead + samples.length));
    out.set(samples.subarray(0, out.length - lead), lead);
    return out;
  };
  return wavStereo(G711_SAMPLE_RATE, shifted(rx), shifted(tx));
}
