import { describe, expect, it } from 'vitest';
import { decodeRtp, decodeRtpExtensionElements, type RtpPacket } from '../../parsers/rtp.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { buildRtp, hexBytes, rtpOneByteExtension } from '../../server/simulator/wire/acdr.js';

function ok(bytes: Uint8Array): RtpPacket {
  const r = decodeRtp(bytes);
  if (isDecodeError(r)) throw new Error(r.message);
  return r;
}

describe('RTP header', () => {
  it('decodes the spec Sample A RTP header (PCMA, seq 9000, ts 160000)', () => {
    const r = ok(hexBytes('80 08 2328 00027100 55667788 5051'));
    expect(r).toMatchObject({ version: 2, padding: false, hasExtension: false, csrcCount: 0, marker: false, payloadType: 8, sequence: 9000, timestamp: 160000, ssrc: 0x55667788, extension: null, paddingCount: 0, payloadStart: 12 });
    expect(Array.from(r.payload)).toEqual([0x50, 0x51]);
  });

  it('reads the marker, full 32-bit timestamp/SSRC and the CSRC list', () => {
    const r = ok(buildRtp({ payloadType: 101, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrc: [1, 0xffffffff], payload: Uint8Array.of(7) }));
    expect(r).toMatchObject({ marker: true, payloadType: 101, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrcCount: 2, csrc: [1, 0xffffffff], payloadStart: 20 });
  });

  it('excludes padding from the payload', () => {
    const r = ok(buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, payload: Uint8Array.of(1, 2, 3), padding: 5 }));
    expect(r.padding).toBe(true);
    expect(r.paddingCount).toBe(5);
    expect(Array.from(r.payload)).toEqual([1, 2, 3]);
  });

  it('keeps the header extension and decodes RFC 8285 one-byte elements on request', () => {
    const ext = rtpOneByteExtension([{ id: 1, data: Uint8Array.of(0x7f) }, { id: 3, data: Uint8Array.of(1, 2, 3) }]);
    const r = ok(buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, extension: ext, payload: Uint8Array.of(9) }));
    expect(r.extension).toMatchObject({ profile: 0xbede, lengthWords: 2 });
    expect(Array.from(r.payload)).toEqual([9]);
    const elements = decodeRtpExtensionElements(r.extension!);
    expect(!isDecodeError(elements) && elements?.map((e) => [e.id, Array.from(e.data)])).toEqual([[1, [0x7f]], [3, [1, 2, 3]]]);
  });

  it('decodes RFC 8285 two-byte elements and returns null for other profiles', () => {
    const two = { profile: 0x1000, lengthWords: 2, data: Uint8Array.of(5, 3, 0xa, 0xb, 0xc, 0, 0, 0) };
    const elements = decodeRtpExtensionElements(two);
    expect(!isDecodeError(elements) && elements?.map((e) => [e.id, Array.from(e.data)])).toEqual([[5, [0xa, 0xb, 0xc]]]);
    expect(decodeRtpExtensionElements({ profile: 0x1234, lengthWords: 0, data: new Uint8Array(0) })).toBeNull();
    expect(decodeRtpExtensionElements({ profile: 0x1000, lengthWords: 1, data: Uint8Array.of(5, 9, 1, 2) })).toMatchObject({ message: expect.stringContaining('exceeds extension') });
  });
});

describe('RTP hostile input', () => {
  it('rejects short headers and wrong versions', () => {
    for (let n = 0; n < 12; n++) expect(decodeRtp(new Uint8Array(n).fill(0x80))).toMatchObject({ message: `RTP header too short: ${n} of 12 bytes at offset 0` });
    expect(decodeRtp(buildRtp({ version: 1, payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0 }))).toMatchObject({ message: 'RTP version 1 not supported (expected 2)' });
  });

  it('rejects a CSRC count that runs past the packet', () => {
    const b = buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0 });
    b[0] = 0x8f;
    expect(decodeRtp(b)).toMatchObject({ message: 'RTP CSRC list truncated: 0 of 60 bytes at offset 12', offset: 12 });
  });

  it('rejects an extension length that lies', () => {
    const b = buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, extension: { profile: 0xbede, data: new Uint8Array(4) } });
    b[14] = 0xff;
    b[15] = 0xff;
    expect(decodeRtp(b)).toMatchObject({ message: 'RTP header extension length 65535 words exceeds packet: 4 bytes left at offset 14' });
    expect(decodeRtp(Uint8Array.of(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe))).toMatchObject({ message: expect.stringContaining('extension truncated: 1 of 4') });
  });

  it('rejects a padding count of zero or larger than the payload', () => {
    const b = buildRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 0, payload: Uint8Array.of(1, 2), padding: 2 });
    b[b.length - 1] = 0;
    expect(decodeRtp(b)).toMatchObject({ message: 'RTP padding count 0 invalid: 4 bytes after the header' });
    b[b.length - 1] = 5;
    expect(decodeRtp(b)).toMatchObject({ message: 'RTP padding count 5 invalid: 4 bytes after the header' });
  });
});
