/**
 * G.711 µ-law and A-law expansion to 16-bit linear PCM (ITU-T G.711 tables, as in Sun's g711.c and
 * Wireshark's codec plugins). Both laws have only 256 code words, so each is a precomputed table.
 */

const MULAW_BIAS = 0x84;
const ALAW_EVEN_BIT_INVERSION = 0x55;

function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawToLinear(code: number): number {
  const a = code ^ ALAW_EVEN_BIT_INVERSION;
  const segment = (a >> 4) & 0x07;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  // A-law's sign bit is set for positive values, the opposite of µ-law.
  return a & 0x80 ? magnitude : -magnitude;
}

const MULAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => mulawToLinear(i));
const ALAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

export type G711Law = 'ulaw' | 'alaw';

/** One linear sample per input byte. */
export function decodeG711(law: G711Law, codes: Uint8Array): Int16Array {
  const table = law === 'ulaw' ? MULAW_TABLE : ALAW_TABLE;
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]!]!;
  return out;
}

export function decodeMulaw(codes: Uint8Array): Int16Array {
  return decodeG711('ulaw', codes);
}

export function decodeAlaw(codes: Uint8Array): Int16Array {
  return decodeG711('alaw', codes);
}

/** The G.711 law of an RTP static payload type (0 PCMU, 8 PCMA), if it is one. */
export function g711LawForPayloadType(payloadType: number): G711Law | undefined {
  return payloadType === 0 ? 'ulaw' : payloadType === 8 ? 'alaw' : undefined;
}

const MULAW_CLIP = 32635;
const ALAW_SEGMENT_ENDS = [0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff] as const;

/** Sun g711.c's linear2ulaw: bias, find the segment, keep 4 mantissa bits, invert. */
function linearToMulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(Math.abs(sample), MULAW_CLIP) + MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Sun g711.c's linear2alaw on the 13-bit magnitude, then the even-bit inversion. */
function linearToAlaw(sample: number): number {
  const positive = sample >= 0;
  const magnitude = (positive ? sample : -sample - 1) >> 3;
  let segment = 0;
  while (segment < 8 && magnitude > ALAW_SEGMENT_ENDS[segment]! >> 3) segment++;
  const code = segment >= 8 ? 0x7f : (segment << 4) | ((magnitude >> (segment < 2 ? 1 : segment)) & 0x0f);
  return (code | (positive ? 0x80 : 0)) ^ ALAW_EVEN_BIT_INVERSION;
}

/** One code word per linear sample (the inverse of `decodeG711`, up to G.711's quantisation). */
export function encodeG711(law: G711Law, samples: Int16Array): Uint8Array {
  const encode = law === 'ulaw' ? linearToMulaw : linearToAlaw;
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]!);
  return out;
}
