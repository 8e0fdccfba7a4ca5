import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAlaw, decodeG711, decodeMulaw, g711LawForPayloadType } from '../../server/media/g711.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

function soxAvailable(): boolean {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveSox = soxAvailable();
if (!haveSox && process.env.IPP_ALLOW_MISSING_ORACLES !== '1') {
  throw new Error('sox is not installed: apt-get install sox, or set IPP_ALLOW_MISSING_ORACLES=1 to skip its checks');
}

describe('G.711 µ-law', () => {
  it('decodes the reference code words', () => {
    expect([...decodeMulaw(Uint8Array.of(0xff, 0x7f, 0x00, 0x80, 0x01, 0xfe))]).toEqual([0, 0, -32124, 32124, -31100, 8]);
  });

  it('is symmetric: code c and c ^ 0x80 are opposite', () => {
    const pcm = decodeMulaw(ALL_CODES);
    for (let c = 0; c < 128; c++) expect(pcm[c]! + pcm[c + 128]!).toBe(0);
  });

  it('rises monotonically from 0x00 to 0x7f', () => {
    const pcm = decodeMulaw(ALL_CODES);
    for (let c = 1; c < 128; c++) expect(pcm[c]!).toBeGreaterThan(pcm[c - 1]!);
  });
});

describe('G.711 A-law', () => {
  it('decodes the reference code words', () => {
    expect([...decodeAlaw(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a, 0x80, 0x00))]).toEqual([8, -8, 32256, -32256, 5504, -5504]);
  });

  it('is symmetric: code c and c ^ 0x80 are opposite', () => {
    const pcm = decodeAlaw(ALL_CODES);
    for (let c = 0; c < 128; c++) expect(pcm[c]! + pcm[c + 128]!).toBe(0);
  });
});

describe('G.711 helpers', () => {
  it('maps RTP payload types 0 and 8 to their law and nothing else', () => {
    expect(g711LawForPayloadType(0)).toBe('ulaw');
    expect(g711LawForPayloadType(8)).toBe('alaw');
    expect(g711LawForPayloadType(18)).toBeUndefined();
  });

  it('returns one sample per byte and nothing for an empty payload', () => {
    expect(decodeG711('ulaw', new Uint8Array(160)).length).toBe(160);
    expect(decodeG711('alaw', new Uint8Array(0)).length).toBe(0);
  });
});

describe.skipIf(!haveSox)('G.711 agrees with sox on every code word', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipp-'));
  const input = path.join(dir, 'codes.raw');
  fs.writeFileSync(input, ALL_CODES);
  const soxDecode = (encoding: string): number[] => {
    const out = execFileSync('sox', ['-t', 'raw', '-e', encoding, '-b', '8', '-r', '8000', '-c', '1', input, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-']);
    return Array.from({ length: out.length / 2 }, (_, i) => out.readInt16LE(2 * i));
  };

  it('µ-law', () => expect([...decodeMulaw(ALL_CODES)]).toEqual(soxDecode('mu-law')));
  it('A-law', () => expect([...decodeAlaw(ALL_CODES)]).toEqual(soxDecode('a-law')));
});
