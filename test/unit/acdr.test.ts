import { describe, expect, it } from 'vitest';
import { decodeAcdr, decodeAcdrSignaling, looksLikeAcdr, type AcdrRecord } from '../../parsers/acdr.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import {
  ACDR_FIXED_HEADER_BYTES, acdrCorpus, acdrDspAnalysisHeader, acdrDspExt, acdrEventExt, acdrMediaExt, acdrPstnExt, acdrSystemExt,
  acdrTlsExt, ascii, buildAcdr, buildRtp, hexBytes, innerIpUdp, innerUdp, ipBytes, specPcmSamples, specSampleA, specSampleB,
} from '../../server/simulator/wire/acdr.js';

function ok(bytes: Uint8Array): AcdrRecord {
  const r = decodeAcdr(bytes);
  if (isDecodeError(r)) throw new Error(`unexpected decode error: ${r.message}`);
  return r;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const RTP = buildRtp({ payloadType: 0, sequence: 1, timestamp: 160, ssrc: 0x01020304, payload: new Uint8Array(8) });
const MEDIA_EXT = acdrMediaExt({ farAddr: '192.0.2.77', farPort: 40000, localPort: 4000, ipTos: 184 });
const SAMPLES_HEX = '505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef';

describe('ACDR golden samples from the spec', () => {
  // Byte-for-byte copies of acdr.md §9.
  const SAMPLE_A = hexBytes(`07 ee6b287b 03e9 0003 0007 00 01 01 09 00abcd 02 0000004d c000024d 9c40 0fa0 b8 80 08 2328 00027100 55667788 ${SAMPLES_HEX}`);
  const SAMPLE_B = hexBytes(`09 005b8d80 03eb 00011170 ffffffff 00 0a 0f 00 000001 00 0000000005 80 08 0001 000000a0 01020304 ${SAMPLES_HEX}`);

  it('builds Sample A and Sample B exactly as the spec prints them', () => {
    expect(hex(specSampleA())).toBe(hex(SAMPLE_A));
    expect(hex(specSampleB())).toBe(hex(SAMPLE_B));
    expect(SAMPLE_A.length).toBe(204);
    expect(SAMPLE_B.length).toBe(200);
  });

  it('decodes Sample A: v7 RTP sent to 192.0.2.77:40000 in session abcd:2:77', () => {
    const r = ok(SAMPLE_A);
    expect(r).toMatchObject({
      version: 7, timestampUs: 4_000_000_123, sequence: 1001, srcId: 3, dstId: 7, extraData: 0,
      tracePoint: 1, tracePointName: 'Dsp2Net', mediaType: 1, mediaTypeName: 'RTP', payloadOffsetField: null, headerExtLen: 9,
      session: { boardId: 0xabcd, resetCounter: 2, sessionId: 77, fullSessionId: 'abcd:2:77' },
      extension: { kind: 'media', direction: 'out', farAddr: '192.0.2.77', farPort: 40000, localPort: 4000, ipTos: 184, c5ControlFlags: null },
      mii: null, inner: null, dspAnalysis: null, payloadKind: 'rtp', payloadStart: 32, warning: null,
    });
    expect(hex(r.headerExtension!)).toBe('c000024d9c400fa0b8');
    expect(r.payload.length).toBe(172);
    expect(hex(r.payload.subarray(0, 12))).toBe('800823280002710055667788');
  });

  it('decodes Sample B: v9 PCM from the TDM side with 4-byte channel ids', () => {
    const r = ok(SAMPLE_B);
    expect(r).toMatchObject({
      version: 9, timestampUs: 6_000_000, sequence: 1003, srcId: 70000, dstId: -1, tracePoint: 10, tracePointName: 'Tdm2Dsp',
      mediaType: 15, mediaTypeName: 'PCM', headerExtLen: 0, extension: null, headerExtension: null,
      session: { boardId: 1, resetCounter: 0, sessionId: 5, fullSessionId: '1:0:5' }, payloadKind: 'pcm', payloadStart: 28,
    });
    expect(hex(r.payload.subarray(12))).toBe(hex(specPcmSamples()));
  });
});

describe('ACDR header per version', () => {
  for (let v = 0; v <= 9; v++) {
    it(`decodes every header field of a v${v} record and starts the payload after the fixed header${v >= 5 ? ' and extension' : ''}`, () => {
      const r = ok(buildAcdr({
        version: v, timestampUs: 12_345_678, sequence: 4242, srcId: 3, dstId: 7, extraData: 0, tracePoint: 0, mediaType: 1, payloadOffset: 4,
        session: v >= 5 ? { boardId: 0xabcdef, resetCounter: 3, sessionId: 99 } : undefined, headerExtension: v >= 5 ? MEDIA_EXT : undefined,
      }, RTP));
      expect(r.version).toBe(v);
      expect(r.timestampUs).toBe(12_345_678);
      expect(r.sequence).toBe(v >= 4 ? 4242 : null);
      expect([r.srcId, r.dstId]).toEqual([3, 7]);
      expect(r.payloadOffsetField).toBe(v < 5 ? 4 : null); // shown but never used
      expect(r.headerExtLen).toBe(v >= 5 ? 9 : null);
      expect(r.payloadStart).toBe(ACDR_FIXED_HEADER_BYTES[v]! + (v >= 5 ? 9 : 0));
      expect(hex(r.payload)).toBe(hex(RTP));
      if (v <= 4) expect(r.session).toBeNull();
      else if (v <= 6) expect(r.session).toEqual({ boardId: null, resetCounter: null, sessionId: 99, fullSessionId: '99' });
      else expect(r.session).toEqual({ boardId: 0xabcdef, resetCounter: 3, sessionId: 99, fullSessionId: 'abcdef:3:99' });
    });
  }

  it('keeps all 48 timestamp bits of v0-v3 records', () => {
    expect(ok(buildAcdr({ version: 2, timestampUs: 0x0001_001e_8480, tracePoint: 0, mediaType: 1 }, RTP)).timestampUs).toBe(0x0001_001e_8480);
  });

  it('reads 2-byte channel ids as unsigned except 0xFFFF = -1, and 4-byte ids as signed', () => {
    const r = ok(buildAcdr({ version: 4, srcId: 0x8000, dstId: -1, tracePoint: 0, mediaType: 1 }, RTP));
    expect([r.srcId, r.dstId]).toEqual([32768, -1]);
    const r9 = ok(buildAcdr({ version: 9, srcId: 0x7fffffff, dstId: -1, tracePoint: 0, mediaType: 1 }, RTP));
    expect([r9.srcId, r9.dstId]).toEqual([0x7fffffff, -1]);
  });

  it('reads a 40-bit session number and renders session 0 as board:reset', () => {
    expect(ok(buildAcdr({ version: 8, tracePoint: 0, mediaType: 2, session: { boardId: 0x123456, resetCounter: 1, sessionId: 4328719365 } })).session)
      .toEqual({ boardId: 0x123456, resetCounter: 1, sessionId: 4328719365, fullSessionId: '123456:1:4328719365' });
    expect(ok(buildAcdr({ version: 7, tracePoint: 6, mediaType: 5, session: { boardId: 0xabcd, resetCounter: 2 } })).session?.fullSessionId).toBe('abcd:2');
  });

  it('reports no session when all session bytes are zero, but keeps a v8 session whose only non-zero byte is the last', () => {
    expect(ok(buildAcdr({ version: 7, tracePoint: 6, mediaType: 5 })).session).toBeNull();
    expect(ok(buildAcdr({ version: 5, tracePoint: 6, mediaType: 5 })).session).toBeNull();
    // tshark prints N/A here (spec §8 #5); the session number 9 is real data, so we keep it.
    expect(ok(buildAcdr({ version: 8, tracePoint: 6, mediaType: 5, session: { sessionId: 9 } })).session?.fullSessionId).toBe('0:0:9');
  });

  it('lists every flag bit of the extra-data byte', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x74, tracePoint: 2, mediaType: 38 }, Uint8Array.of(1)));
    expect(r.flags).toEqual({ mii: false, ipv6: false, fragmented: true, headerAdded: false, encrypted: true, mtce: true, li: true });
  });
});

describe('ACDR header extension layouts', () => {
  const v9 = (tracePoint: number, mediaType: number, headerExtension: Uint8Array, extraData = 0, payload = RTP): AcdrRecord =>
    ok(buildAcdr({ version: 9, tracePoint, mediaType, extraData, headerExtension }, payload));

  it('reads the far end as the source for "in" trace points and as the destination for "out" ones', () => {
    for (const tp of [0, 4, 18, 20, 27, 35]) expect(v9(tp, 1, MEDIA_EXT).extension).toMatchObject({ kind: 'media', direction: 'in', farAddr: '192.0.2.77', farPort: 40000, localPort: 4000 });
    for (const tp of [1, 5, 17, 19, 21, 22, 23, 24, 28]) expect(v9(tp, 1, MEDIA_EXT).extension).toMatchObject({ kind: 'media', direction: 'out' });
  });

  it('keeps the extension opaque at trace points without an address layout, and still skips it', () => {
    const r = v9(2, 1, MEDIA_EXT);
    expect(r.extension).toEqual({ kind: 'opaque' });
    expect(r.payloadStart).toBe(28 + 9);
  });

  it('reads 16-byte addresses when the IPv6 flag is set', () => {
    const r = v9(1, 1, acdrMediaExt({ farAddr: '2001:db8::77', farPort: 40002, localPort: 4002, ipTos: 46 }), 0x02);
    expect(r.extension).toMatchObject({ kind: 'media', farAddr: '2001:db8::77', farPort: 40002, localPort: 4002, ipTos: 46 });
    expect(r.headerExtLen).toBe(21);
  });

  it('reads C5 control flags only at Net2Dsp with a 10-byte extension', () => {
    const ext = acdrMediaExt({ farAddr: '192.0.2.78', farPort: 1, localPort: 2, ipTos: 3, c5ControlFlags: 0x10 });
    expect(v9(0, 1, ext).extension).toMatchObject({ c5ControlFlags: 0x10 });
    expect(v9(4, 1, ext).extension).toMatchObject({ c5ControlFlags: null });
  });

  it('reads the System layout for control protocols at trace point System only', () => {
    const ext = acdrSystemExt({ srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', srcPort: 5060, dstPort: 5062, protocol: 17, direction: 1 });
    expect(v9(6, 10, ext, 0, ascii('SIP')).extension).toEqual({ kind: 'system', srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', srcPort: 5060, dstPort: 5062, protocol: 17, direction: 'outgoing' });
    expect(v9(5, 10, ext, 0, ascii('SIP')).extension).toEqual({ kind: 'opaque' });
  });

  it('reads TLS, DSP, event and PSTN layouts', () => {
    expect(v9(4, 33, acdrTlsExt({ srcPort: 5061, dstPort: 40001, srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', application: 3 })).extension)
      .toEqual({ kind: 'tls', srcPort: 5061, dstPort: 40001, srcAddr: '192.0.2.1', dstAddr: '192.0.2.10', application: 3 });
    expect(v9(3, 0, acdrDspExt(1, 17)).extension).toEqual({ kind: 'dsp', dspCore: 1, dspChannel: 17 });
    expect(v9(2, 4, acdrEventExt(9, 4)).extension).toEqual({ kind: 'event', eventId: 9, eventSource: 4 });
    expect(v9(26, 24, acdrPstnExt(0x01020304)).extension).toEqual({ kind: 'pstn', pstnTraceSeq: 0x01020304 });
  });

  it('reads a 4-byte T.38 extension as the Gen3 address-only form', () => {
    expect(v9(0, 3, ipBytes('192.0.2.99'), 0, Uint8Array.of(0, 1)).extension).toEqual({ kind: 't38-gen3', direction: 'in', farAddr: '192.0.2.99' });
  });

  it('treats an extension too short for its layout as opaque, still skipping E bytes', () => {
    const r = v9(0, 1, Uint8Array.of(1, 2, 3));
    expect(r.extension).toEqual({ kind: 'opaque' });
    expect(hex(r.payload)).toBe(hex(RTP));
  });

  it('decodes the DSP analysis and HPI headers at DspIncoming/DspOutgoing and skips them', () => {
    const analysis = acdrDspAnalysisHeader({ version: 0x0105, direction: 1, subversion: 3, device: 9, sequence: 77, timestamp: 123456, hpiSync: 5, hpiUdpChecksum: true, hpiResourceId: 12, hpiFavorite: true, hpiProtocol: 33 });
    const r = ok(buildAcdr({ version: 9, tracePoint: 33, mediaType: 32, headerExtension: acdrDspExt(2, 17) }, Uint8Array.from([...analysis, 0xee])));
    expect(r.dspAnalysis).toEqual({ version: 0x0105, direction: 1, subversion: 3, device: 9, sequence: 77, timestamp: 123456, hpiSync: 5, hpiUdpChecksum: true, hpiResourceId: 12, hpiFavorite: true, hpiProtocol: 33 });
    expect(Array.from(r.payload)).toEqual([0xee]);
  });
});

describe('ACDR flags that change the payload', () => {
  it('skips the 4-byte MII header when the MII flag is set (v>=3)', () => {
    const r = ok(buildAcdr({ version: 7, extraData: 0x01, tracePoint: 0, mediaType: 1, headerExtension: MEDIA_EXT, mii: { sequence: 513, packetSize: 172 } }, RTP));
    expect(r.mii).toEqual({ sequence: 513, packetSize: 172 });
    expect(hex(r.payload)).toBe(hex(RTP));
  });

  it('ignores the MII bit before v3', () => {
    const r = ok(buildAcdr({ version: 2, extraData: 0x01, tracePoint: 0, mediaType: 1 }, RTP));
    expect(r.mii).toBeNull();
    expect(r.flags.mii).toBe(true);
  });

  it('unwraps an IPv4/UDP "header added" payload', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 0, mediaType: 1 }, innerIpUdp({ srcAddr: '198.51.100.7', srcPort: 40000, dstAddr: '192.0.2.10', dstPort: 4000 }, RTP)));
    expect(r.inner).toEqual({ ipVersion: 4, srcAddr: '198.51.100.7', dstAddr: '192.0.2.10', protocol: 17, srcPort: 40000, dstPort: 4000, headerBytes: 28 });
    expect(hex(r.payload)).toBe(hex(RTP));
    expect(r.payloadKind).toBe('rtp');
  });

  it('unwraps an IPv6/UDP "header added" payload', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x0a, tracePoint: 1, mediaType: 1 }, innerIpUdp({ srcAddr: '2001:db8::10', srcPort: 4000, dstAddr: '2001:db8::77', dstPort: 40000 }, RTP)));
    expect(r.inner).toMatchObject({ ipVersion: 6, srcAddr: '2001:db8::10', dstAddr: '2001:db8::77', srcPort: 4000, dstPort: 40000, headerBytes: 48 });
    expect(hex(r.payload)).toBe(hex(RTP));
  });

  it('unwraps only a UDP header for T.38 and DTLS', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 2, mediaType: 61 }, innerUdp(4433, 5004, Uint8Array.of(0x16, 0xfe, 0xfd))));
    expect(r.inner).toMatchObject({ ipVersion: null, srcPort: 4433, dstPort: 5004, headerBytes: 8 });
    expect(Array.from(r.payload)).toEqual([0x16, 0xfe, 0xfd]);
  });

  it('starts a Gen3 T.38 "header added" payload at the UDP header inside a 12-byte extension', () => {
    const ext = Uint8Array.from([...ipBytes('192.0.2.99'), ...innerUdp(6000, 6002, new Uint8Array(0))]);
    const r = ok(buildAcdr({ version: 5, extraData: 0x08, tracePoint: 1, mediaType: 3, headerExtension: ext }, Uint8Array.of(0, 1, 2, 3)));
    expect(r.extension).toEqual({ kind: 't38-gen3', direction: 'out', farAddr: '192.0.2.99' });
    expect(r.inner).toMatchObject({ srcPort: 6000, dstPort: 6002 });
  });

  it('never treats the legacy 0xAA filler as header added, nor a Control record', () => {
    expect(ok(buildAcdr({ version: 9, extraData: 0xaa, tracePoint: 2, mediaType: 1 }, RTP)).inner).toBeNull();
    expect(ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 6, mediaType: 14 }, Uint8Array.of(1, 2))).inner).toBeNull();
  });

  it('keeps the payload raw with a warning when the inner IP header is truncated', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 0, mediaType: 1 }, Uint8Array.of(0x45, 0, 0)));
    expect(r.inner).toBeNull();
    expect(r.payloadKind).toBe('raw');
    expect(r.warning).toMatch(/IPv4 header truncated: 3 of 20 bytes/);
    expect(r.payload.length).toBe(3);
  });
});

describe('ACDR payload kind', () => {
  const kindOf = (mediaType: number, payload: Uint8Array = RTP): string => ok(buildAcdr({ version: 5, tracePoint: 2, mediaType }, payload)).payloadKind;

  it('names the decoder for each media family', () => {
    expect([1, 27, 36, 51, 54, 60].map((m) => kindOf(m))).toEqual(['rtp', 'rtp', 'rtp', 'rtp', 'rtp', 'rtp']);
    expect([2, 28].map((m) => kindOf(m, Uint8Array.of(0x80, 200, 0, 1)))).toEqual(['rtcp', 'rtcp']);
    expect([kindOf(15), kindOf(3), kindOf(61), kindOf(5), kindOf(30), kindOf(10), kindOf(6), kindOf(4), kindOf(13), kindOf(14), kindOf(37), kindOf(38), kindOf(42), kindOf(0)])
      .toEqual(['pcm', 't38', 'dtls', 'syslog', 'syslog', 'sip', 'json', 'dsp-event', 'tpncp', 'ethernet', 'signaling', 'fragment', 'xml', 'dsp']);
  });

  it('keeps unknown media types with their raw payload', () => {
    const r = ok(buildAcdr({ version: 9, tracePoint: 2, mediaType: 99 }, Uint8Array.of(9, 8, 7)));
    expect(r.mediaTypeName).toBe('Unknown');
    expect(r.payloadKind).toBe('raw');
    expect(Array.from(r.payload)).toEqual([9, 8, 7]);
  });

  it('spots STUN inside an RTP record', () => {
    const stun = hexBytes('0001 0000 2112a442 000102030405060708090a0b');
    expect(kindOf(1, stun)).toBe('stun');
  });
});

describe('ACDR hostile input', () => {
  it('rejects an empty datagram and a lone version byte with a clear message', () => {
    expect(decodeAcdr(new Uint8Array(0))).toMatchObject({ kind: 'decode-error', message: 'ACDR datagram is empty', offset: 0 });
    expect(decodeAcdr(Uint8Array.of(7))).toMatchObject({ kind: 'decode-error', message: 'ACDR v7 header too short: 1 of 23 bytes at offset 0' });
  });

  it('rejects a header truncated at every length, for every version', () => {
    for (let v = 0; v <= 9; v++) {
      const full = buildAcdr({ version: v, tracePoint: 0, mediaType: 1 });
      for (let n = 1; n < ACDR_FIXED_HEADER_BYTES[v]!; n++) {
        const r = decodeAcdr(full.subarray(0, n));
        expect(isDecodeError(r) && r.message).toBe(`ACDR v${v} header too short: ${n} of ${ACDR_FIXED_HEADER_BYTES[v]} bytes at offset 0`);
      }
    }
  });

  it('rejects unsupported versions', () => {
    expect(decodeAcdr(Uint8Array.of(0x19, 0, 0, 0))).toMatchObject({ message: 'ACDR version 0x19 not supported (major must be 0, minor 0-9)' });
    expect(decodeAcdr(Uint8Array.of(0x0a, ...new Uint8Array(30)))).toMatchObject({ message: expect.stringContaining('0x0a not supported') });
  });

  it('rejects an extension length that lies, including the maximum 255', () => {
    const lying = buildAcdr({ version: 9, tracePoint: 0, mediaType: 1, headerExtension: MEDIA_EXT, extLenOverride: 255 }, RTP);
    expect(decodeAcdr(lying)).toMatchObject({ message: `ACDR header extension truncated: ${9 + RTP.length} of 255 bytes at offset 28`, offset: 28 });
  });

  it('rejects a truncated MII header', () => {
    const r = decodeAcdr(buildAcdr({ version: 5, extraData: 0x01, tracePoint: 2, mediaType: 1 }, Uint8Array.of(1, 2)));
    expect(r).toMatchObject({ message: 'ACDR MII header truncated: 2 of 4 bytes at offset 19', offset: 19 });
  });

  it('warns instead of failing when a DspIncoming record is too short for its analysis header', () => {
    const r = ok(buildAcdr({ version: 9, tracePoint: 33, mediaType: 32, headerExtension: acdrDspExt(1, 1) }, Uint8Array.of(1, 2, 3)));
    expect(r.dspAnalysis).toBeNull();
    expect(r.warning).toBe('DSP analysis/HPI header truncated: 3 of 20 bytes at offset 30');
  });

  it('never throws on random bytes or random truncations of valid records', () => {
    let seed = 0x2545f491;
    const rand = (): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const corpus = acdrCorpus();
    for (let i = 0; i < 10000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256));
        bytes[0] = Math.floor(rand() * 11); // mostly plausible versions, to get past the first check
      } else {
        const base = corpus[Math.floor(rand() * corpus.length)]!.bytes.slice();
        base[Math.floor(rand() * base.length)] = Math.floor(rand() * 256);
        bytes = base.subarray(0, Math.floor(rand() * (base.length + 1)));
      }
      expect(() => decodeAcdr(bytes)).not.toThrow();
      expect(() => looksLikeAcdr(bytes)).not.toThrow();
    }
  });
});

describe('ACDR content detection', () => {
  it('accepts every supported record of the corpus', () => {
    for (const s of acdrCorpus().filter((c) => c.bytes[0]! <= 9)) expect(looksLikeAcdr(s.bytes), s.name).toBe(true);
  });

  it('rejects bare RTP, SIP text, unknown versions and RTP records whose payload is not RTP', () => {
    expect(looksLikeAcdr(RTP)).toBe(false);
    expect(looksLikeAcdr(ascii('INVITE sip:a@b SIP/2.0\r\n'))).toBe(false);
    expect(looksLikeAcdr(Uint8Array.of(0x19, ...new Uint8Array(40)))).toBe(false);
    expect(looksLikeAcdr(buildAcdr({ version: 9, tracePoint: 0, mediaType: 1 }, Uint8Array.of(0x00, 0x01)))).toBe(false);
    expect(looksLikeAcdr(buildAcdr({ version: 9, tracePoint: 36, mediaType: 5 }, ascii('<1>x')))).toBe(false);
    expect(looksLikeAcdr(buildAcdr({ version: 9, tracePoint: 6, mediaType: 62 }, ascii('<1>x')))).toBe(false);
  });
});

describe('ACDR signaling payload', () => {
  it('reads a size at Host2Pstn and a timestamp elsewhere', () => {
    expect(decodeAcdrSignaling(Uint8Array.of(0x12, 0x34, 0, 4, 0xde, 0xad), 25)).toMatchObject({ opcode: 0x1234, size: 4, timestampUs: null });
    const r = decodeAcdrSignaling(Uint8Array.of(1, 2, 0, 0, 0x10, 0, 0xaa), 26);
    expect(r).toMatchObject({ opcode: 0x0102, size: null, timestampUs: 4096 });
    expect(!isDecodeError(r) && Array.from(r.message)).toEqual([0xaa]);
    expect(decodeAcdrSignaling(Uint8Array.of(1, 2, 3), 26)).toMatchObject({ message: 'ACDR signaling header too short: 3 of 6 bytes at offset 0' });
  });
});

describe('ACDR IPv6 address text', () => {
  const farAddr = (addr: string): string | undefined => {
    const e = ok(buildAcdr({ version: 9, extraData: 0x02, tracePoint: 0, mediaType: 1, headerExtension: acdrMediaExt({ farAddr: addr, farPort: 1, localPort: 2, ipTos: 0 }) }, RTP)).extension;
    return e?.kind === 'media' ? e.farAddr : undefined;
  };

  it('compresses the longest zero run, first on a tie, like inet_ntop', () => {
    expect(farAddr('2001:db8:0:1:0:0:0:5')).toBe('2001:db8:0:1::5');
    expect(farAddr('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(farAddr('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:3:4:5:6');
    expect(farAddr('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group stays
    expect(farAddr('::1')).toBe('::1');
    expect(farAddr('::')).toBe('::');
  });

  it('prints IPv4-mapped and IPv4-compatible addresses with a dotted tail', () => {
    expect(farAddr('::ffff:192.0.2.5')).toBe('::ffff:192.0.2.5');
    expect(farAddr('::192.0.2.6')).toBe('::192.0.2.6');
  });

  it('reads the legacy 0xAA filler as no IPv6 flag, so a 9-byte extension stays IPv4', () => {
    expect(ok(buildAcdr({ version: 9, extraData: 0xaa, tracePoint: 0, mediaType: 1, headerExtension: MEDIA_EXT }, RTP)).extension).toMatchObject({ farAddr: '192.0.2.77' });
  });
});

describe('ACDR "header added" lengths that lie', () => {
  it('bounds the inner payload by the record when the inner UDP and IP lengths overstate it', () => {
    const inner = innerIpUdp({ srcAddr: '198.51.100.7', srcPort: 1, dstAddr: '192.0.2.10', dstPort: 2 }, RTP);
    inner[2] = 0xff; // IPv4 total length
    inner[24] = 0xff; // UDP length
    const r = ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 0, mediaType: 1 }, inner));
    expect(hex(r.payload)).toBe(hex(RTP));
  });

  it('bounds the inner payload by the UDP length when the record carries trailing bytes', () => {
    const r = ok(buildAcdr({ version: 9, extraData: 0x08, tracePoint: 0, mediaType: 1 }, Uint8Array.from([...innerIpUdp({ srcAddr: '198.51.100.7', srcPort: 1, dstAddr: '192.0.2.10', dstPort: 2 }, RTP), 0xee, 0xee])));
    expect(hex(r.payload)).toBe(hex(RTP));
  });
});
