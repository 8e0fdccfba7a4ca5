/**
 * RIFF/WAVE writer for 16-bit linear PCM, mono or interleaved stereo (e.g. the two directions of a
 * call, one per channel), the format every player and `sox` reads.
 */

const WAV_HEADER_BYTES = 44;
const FMT_CHUNK_BYTES = 16;
const WAVE_FORMAT_PCM = 1;
const BITS_PER_SAMPLE = 16;
const BYTES_PER_SAMPLE = BITS_PER_SAMPLE / 8;
/** RIFF sizes are 32-bit; a larger data chunk cannot be described. */
const MAX_DATA_BYTES = 0xffff_ffff - (WAV_HEADER_BYTES - 8);

export interface WavFormat {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
}

/** The 44-byte canonical header for `dataBytes` of PCM; usable alone when streaming the samples. */
export function wavHeader(format: WavFormat, dataBytes: number): Buffer {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_DATA_BYTES) {
    throw new RangeError(`WAV data size ${dataBytes} bytes does not fit a RIFF header`);
  }
  if (!Number.isInteger(format.sampleRate) || format.sampleRate <= 0) {
    throw new RangeError(`WAV sample rate ${format.sampleRate} Hz is not a positive integer`);
  }
  const blockAlign = format.channels * BYTES_PER_SAMPLE;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(FMT_CHUNK_BYTES, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(format.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(BITS_PER_SAMPLE, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

function pcmBytes(samples: Int16Array): Buffer {
  const b = Buffer.alloc(samples.length * BYTES_PER_SAMPLE);
  // Explicit little-endian writes: WAV is little-endian whatever the host is.
  for (let i = 0; i < samples.length; i++) b.writeInt16LE(samples[i]!, i * BYTES_PER_SAMPLE);
  return b;
}

/** A complete mono WAV file. */
export function wavMono(sampleRate: number, samples: Int16Array): Buffer {
  const data = pcmBytes(samples);
  return Buffer.concat([wavHeader({ sampleRate, channels: 1 }, data.length), data]);
}

/** Left/right interleaved; the shorter channel is padded with silence so both keep their timing. */
export function interleaveStereo(left: Int16Array, right: Int16Array): Int16Array {
  const frames = Math.max(left.length, right.length);
  const out = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    out[2 * i] = left[i] ?? 0;
    out[2 * i + 1] = right[i] ?? 0;
  }
  return out;
}

/** A complete stereo WAV file from two mono channels. */
export function wavStereo(sampleRate: number, left: Int16Array, right: Int16Array): Buffer {
  const data = pcmBytes(interleaveStereo(left, right));
  return Buffer.concat([wavHeader({ sampleRate, channels: 2 }, data.length), data]);
}
