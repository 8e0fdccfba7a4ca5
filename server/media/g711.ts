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
