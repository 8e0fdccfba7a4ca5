import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interleaveStereo, wavHeader, wavMono, wavStereo } from '../../server/export/wav.js';

function soxiAvailable(): boolean {
  try {
    execFileSync('soxi', ['-V0'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // soxi with no file exits non-zero but exists; only ENOENT means missing.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
const haveSoxi = soxiAvailable();
if (!haveSoxi && process.env.IPP_ALLOW_MISSING_ORACLES !== '1') {
  throw new Error('soxi (package sox) is not installed: apt-get install sox, or set IPP_ALLOW_MISSING_ORACLES=1 to skip its checks');
}

/** Reads a canonical WAV back: the fields a player relies on. */
function parseWav(b: Buffer) {
  return {
    riff: b.toString('ascii', 0, 4),
    riffSize: b.readUInt32LE(4),
    wave: b.toString('ascii', 8, 12),
    fmt: b.toString('ascii', 12, 16),
    fmtSize: b.readUInt32LE(16),
    format: b.readUInt16LE(20),
    channels: b.readUInt16LE(22),
    sampleRate: b.readUInt32LE(24),
    byteRate: b.readUInt32LE(28),
    blockAlign: b.readUInt16LE(32),
    bitsPerSample: b.readUInt16LE(34),
    data: b.toString('ascii', 36, 40),
    dataSize: b.readUInt32LE(40),
    samples: Array.from({ length: (b.length - 44) / 2 }, (_, i) => b.readInt16LE(44 + 2 * i)),
  };
}

describe('WAV writer', () => {
  it('writes a mono 8 kHz header whose sizes and rates agree with the data', () => {
    const w = parseWav(wavMono(8000, Int16Array.of(0, 1, -1, 32767, -32768)));
    expect(w).toEqual({
      riff: 'RIFF', riffSize: 36 + 10, wave: 'WAVE', fmt: 'fmt ', fmtSize: 16, format: 1, channels: 1,
      sampleRate: 8000, byteRate: 16000, blockAlign: 2, bitsPerSample: 16, data: 'data', dataSize: 10,
      samples: [0, 1, -1, 32767, -32768],
    });
  });

  it('interleaves stereo left first and pads the shorter channel with silence', () => {
    expect([...interleaveStereo(Int16Array.of(1, 2, 3), Int16Array.of(-1))]).toEqual([1, -1, 2, 0, 3, 0]);
    const w = parseWav(wavStereo(16000, Int16Array.of(5, 6), Int16Array.of(7, 8)));
    expect({ channels: w.channels, byteRate: w.byteRate, blockAlign: w.blockAlign, dataSize: w.dataSize, samples: w.samples }).toEqual({
      channels: 2, byteRate: 64000, blockAlign: 4, dataSize: 8, samples: [5, 7, 6, 8],
    });
  });

  it('writes a valid empty file', () => {
    const w = parseWav(wavMono(8000, new Int16Array(0)));
    expect({ riffSize: w.riffSize, dataSize: w.dataSize, samples: w.samples }).toEqual({ riffSize: 36, dataSize: 0, samples: [] });
  });

  it('refuses sizes a RIFF header cannot hold and nonsense rates', () => {
    expect(() => wavHeader({ sampleRate: 8000, channels: 1 }, 2 ** 32)).toThrow(RangeError);
    expect(() => wavHeader({ sampleRate: 8000, channels: 1 }, -2)).toThrow(RangeError);
    expect(() => wavHeader({ sampleRate: 0, channels: 1 }, 0)).toThrow(RangeError);
  });
});

describe.skipIf(!haveSoxi)('WAV files read back by soxi', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  const soxi = (flag: string, file: string) => execFileSync('soxi', [flag, file], { encoding: 'utf8' }).trim();

  it('sees mono 8 kHz 16-bit PCM with the right sample count', () => {
    const file = path.join(dir, 'mono.wav');
    fs.writeFileSync(file, wavMono(8000, new Int16Array(8000)));
    expect([soxi('-c', file), soxi('-r', file), soxi('-b', file), soxi('-s', file), soxi('-e', file)]).toEqual([
      '1', '8000', '16', '8000', 'Signed Integer PCM',
    ]);
  });

  it('sees stereo 16 kHz with one sample per channel per frame', () => {
    const file = path.join(dir, 'stereo.wav');
    fs.writeFileSync(file, wavStereo(16000, new Int16Array(1600), new Int16Array(800)));
    expect([soxi('-c', file), soxi('-r', file), soxi('-s', file), soxi('-D', file)]).toEqual(['2', '16000', '1600', '0.100000']);
  });
});
