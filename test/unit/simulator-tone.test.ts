import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from '../../server/media/g711.js';
import { FRAMES_PER_CYCLE, SAMPLES_PER_FRAME, toneFrames } from '../../server/simulator/tone.js';

describe('G.711 encoder', () => {
  for (const law of ['ulaw', 'alaw'] as const) {
    it(`${law}: re-encoding every decoded code word gives a code with the same value`, () => {
      for (let code = 0; code < 256; code++) {
        const linear = decodeG711(law, Uint8Array.of(code));
        const back = encodeG711(law, linear);
        expect(decodeG711(law, back)[0]).toBe(linear[0]);
      }
    });

    it(`${law}: keeps quantisation error within G.711's 8-bit log steps`, () => {
      for (let s = -32768; s < 32768; s += 13) {
        const d = decodeG711(law, encodeG711(law, Int16Array.of(s)))[0]!;
        expect(Math.abs(d - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) / 16) + 132);
      }
    });
  }
});

describe('tone payload', () => {
  it('is one second of 20 ms frames that round-trips to a signal of speech level', () => {
    const frames = toneFrames('ulaw', 0);
    expect(frames).toHaveLength(FRAMES_PER_CYCLE);
    expect(frames.every((f) => f.length === SAMPLES_PER_FRAME)).toBe(true);
    const pcm = decodeG711('ulaw', frames[3]!);
    const rms = Math.sqrt(pcm.reduce((a, s) => a + s * s, 0) / pcm.length);
    expect(rms).toBeGreaterThan(300);
    expect(rms).toBeLessThan(8000);
    expect(new Set(frames[3]).size).toBeGreaterThan(20);
  });

  it('gives the two directions different payloads', () => {
    expect(Buffer.from(toneFrames('alaw', 0)[5]!).equals(Buffer.from(toneFrames('alaw', 1)[5]!))).toBe(false);
  });
});
