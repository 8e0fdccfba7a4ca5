import { describe, expect, it } from 'vitest';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodePcapngBlock, pcapngTimeMs, type PcapngPacket } from '../../parsers/pcapng.js';
import { pcapngSection } from '../fixtures/gen-pcapng.js';

/** Splits a section into its blocks by their lengths. */
function blocks(b: Buffer, le = true): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < b.length;) {
    const n = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
    out.push(b.subarray(o, o + n));
    o += n;
  }
  return out;
}

describe('pcapng block decoder', () => {
  const t0 = Date.UTC(2026, 0, 1, 9, 0, 0, 123);
  for (const le of [true, false]) {
    it(`reads a ${le ? 'little' : 'big'}-endian section with comments, interface name, ns clock and a commented packet`, () => {
      const [shb, idb, epb] = blocks(pcapngSection({
        littleEndian: le, comment: 'from the customer',
        interfaces: [{ linkType: 1, tsresol: 9, name: 'eth0' }],
        packets: [{ interfaceId: 0, timeMs: t0 + 0.789, data: Buffer.from('hello'), originalLength: 60, comment: 'the INVITE' }],
      }), le);
      const s = decodePcapngBlock(shb!, !le);
      expect(s).toMatchObject({ kind: 'section', littleEndian: le, majorVersion: 1, minorVersion: 0, comments: ['from the customer'] });
      const i = decodePcapngBlock(idb!, le);
      expect(i).toMatchObject({ kind: 'interface', linkType: 1, unitsPerSecond: 1e9, name: 'eth0' });
      const p = decodePcapngBlock(epb!, le) as PcapngPacket;
      expect(p).toMatchObject({ kind: 'packet', interfaceId: 0, capturedLength: 5, originalLength: 60, comments: ['the INVITE'] });
      expect(Buffer.from(p.data).toString()).toBe('hello');
      expect(pcapngTimeMs(p.timestampHigh!, p.timestampLow!, i as never)).toBeCloseTo(t0 + 0.789, 3);
    });
  }

  it('reads binary (2^-n) resolutions and the interface time offset', () => {
    const [, idb, epb] = blocks(pcapngSection({ interfaces: [{ linkType: 101, tsresol: 0x80 | 20, tsOffsetS: 1_700_000_000 }], packets: [{ interfaceId: 0, timeMs: t0, data: Buffer.alloc(4) }] }));
    const i = decodePcapngBlock(idb!, true);
    expect(i).toMatchObject({ unitsPerSecond: 2 ** 20, offsetSeconds: 1_700_000_000 });
    const p = decodePcapngBlock(epb!, true) as PcapngPacket;
    expect(pcapngTimeMs(p.timestampHigh!, p.timestampLow!, i as never)).toBeCloseTo(t0, 2);
  });

  it('reads a simple packet block cut to the snap length', () => {
    const [, , spb] = blocks(pcapngSection({ interfaces: [{ linkType: 1, snapLength: 3 }], packets: [{ interfaceId: 0, timeMs: 0, data: Buffer.from('abc'), originalLength: 9, simple: true }] }));
    expect(decodePcapngBlock(spb!, true, 3)).toMatchObject({ kind: 'packet', capturedLength: 3, originalLength: 9, timestampHigh: null });
  });

  it('refuses a block whose trailing length disagrees, naming the offset', () => {
    const [, , epb] = blocks(pcapngSection({ interfaces: [{ linkType: 1 }], packets: [{ interfaceId: 0, timeMs: 0, data: Buffer.alloc(8) }] }));
    const bad = Buffer.from(epb!);
    bad.writeUInt32LE(999, bad.length - 4);
    const d = decodePcapngBlock(bad, true);
    expect(isDecodeError(d) && d.message).toMatch(/block length 40 at its start but 999 at its end/);
    expect(isDecodeError(d) && d.offset).toBe(36);
  });

  it('refuses a captured length that runs past its block and an option that overruns', () => {
    const [, , epb] = blocks(pcapngSection({ interfaces: [{ linkType: 1 }], packets: [{ interfaceId: 0, timeMs: 0, data: Buffer.alloc(8), comment: 'x' }] }));
    const cap = Buffer.from(epb!);
    cap.writeUInt32LE(4000, 20);
    expect(isDecodeError(decodePcapngBlock(cap, true)) && (decodePcapngBlock(cap, true) as { message: string }).message).toMatch(/captured length 4000 runs past the block/);
    const opt = Buffer.from(epb!);
    opt.writeUInt16LE(200, 38);
    expect((decodePcapngBlock(opt, true) as { message: string }).message).toMatch(/option 1 of 200 bytes runs past the block/);
  });

  it('refuses a section header with a bad byte-order magic and an impossible clock', () => {
    const [shb, idb] = blocks(pcapngSection({ interfaces: [{ linkType: 1, tsresol: 60 }], packets: [] }));
    const bad = Buffer.from(shb!);
    bad.writeUInt32LE(0xdeadbeef, 8);
    expect((decodePcapngBlock(bad, true) as { message: string }).message).toMatch(/byte-order magic efbeadde/);
    expect((decodePcapngBlock(idb!, true) as { message: string }).message).toMatch(/if_tsresol 60 is beyond any clock/);
  });

  it('never throws on random bytes', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 2000; n++) {
      const b = Buffer.alloc(Math.floor(rnd() * 80));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
      if (b.length >= 8) b.writeUInt32LE(b.length, 4);
      expect(() => decodePcapngBlock(b, rnd() < 0.5)).not.toThrow();
    }
  });
});
