/**
 * Audio-like G.711 payloads: a two-tone signal with a syllable-rate envelope, so a WAV made from
 * a recording sounds like something and codecs see varied code words, not one byte repeated.
 * One second of frames is computed once per (law, voice) and cycled: 1 s holds a whole number of
 * periods of every component, so the cycle has no click.
 */
import { encodeG711, type G711Law } from '../media/g711.js';

export const SAMPLE_RATE_HZ = 8000;
export const FRAME_MS = 20;
export const SAMPLES_PER_FRAME = (SAMPLE_RATE_HZ * FRAME_MS) / 1000;
export const FRAMES_PER_CYCLE = 1000 / FRAME_MS;
const PEAK_AMPLITUDE = 8000;
/** Speech-like modulation: about four syllables a second. */
const ENVELOPE_HZ = 4;

/** Each side of a call gets its own pitch so the two directions are told apart by ear. */
const VOICES: ReadonlyArray<readonly [number, number]> = [
  [440, 1100],
  [330, 850],
];

const cache = new Map<string, readonly Uint8Array[]>();

/** FRAMES_PER_CYCLE frames of SAMPLES_PER_FRAME code words each. */
export function toneFrames(law: G711Law, voice: 0 | 1): readonly Uint8Array[] {
  const key = `${law}/${voice}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [f1, f2] = VOICES[voice]!;
  const samples = new Int16Array(SAMPLE_RATE_HZ);
  for (let n = 0; n < samples.length; n++) {
    const t = n / SAMPLE_RATE_HZ;
    const envelope = 0.55 - 0.45 * Math.cos(2 * Math.PI * ENVELOPE_HZ * t);
    samples[n] = Math.round(PEAK_AMPLITUDE * envelope * (0.7 * Math.sin(2 * Math.PI * f1 * t) + 0.3 * Math.sin(2 * Math.PI * f2 * t)));
  }
  const codes = encodeG711(law, samples);
  const frames = Array.from({ length: FRAMES_PER_CYCLE }, (_, i) => codes.subarray(i * SAMPLES_PER_FRAME, (i + 1) * SAMPLES_PER_FRAME));
  cache.set(key, frames);
  return frames;
}
