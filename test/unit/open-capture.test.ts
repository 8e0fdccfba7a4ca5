import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaptureIssue } from '../../server/capture/capture-frame.js';
import { captureFormat, openCapture } from '../../server/capture/open-capture.js';
import { CaptureError } from '../../server/capture/pcap-reader.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';
import { classicRecords, pcapngFile, reencodePcap } from '../fixtures/gen-pcapng.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-open-'));
const write = (name: string, bytes: Uint8Array) => {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

async function read(file: string): Promise<{ frames: Array<{ frame: number; timeMs: number; len: number; linkType: number; offset: number; comment?: string }>; issues: CaptureIssue[] }> {
  const issues: CaptureIssue[] = [];
  const frames = [];
  for await (const f of openCapture(file, (i) => issues.push(i))) {
    frames.push({ frame: f.frame, timeMs: f.timeMs, len: f.data.length, linkType: f.linkType, offset: f.offset, ...(f.comment ? { comment: f.comment } : {}) });
  }
  return { frames, issues };
}

const packets = Array.from({ length: 20 }, (_, i) => ethernetFrame(ipUdpPacket({ srcAddr: '192.0.2.10', srcPort: 514, dstAddr: '192.0.2.200', dstPort: 514 }, Buffer.from(`<14>line ${i} ${'x'.repeat(i * 7)}`))));
const usPcap = pcapFile(LINKTYPE_ETHERNET, packets.map((data, i) => ({ ...pcapTime(T0 + i * 20.5 + 0.123), data })));

describe('capture formats', () => {
  it('tells pcap, nanosecond pcap and pcapng apart by their magic, in either byte order', () => {
    expect(captureFormat(Buffer.from('d4c3b2a1', 'hex'))).toBe('pcap');
    expect(captureFormat(Buffer.from('a1b2c3d4', 'hex'))).toBe('pcap');
    expect(captureFormat(Buffer.from('4d3cb2a1', 'hex'))).toBe('pcap-ns');
    expect(captureFormat(Buffer.from('a1b23c4d', 'hex'))).toBe('pcap-ns');
    expect(captureFormat(Buffer.from('0a0d0d0a', 'hex'))).toBe('pcapng');
    expect(captureFormat(Buffer.from('7f454c46', 'hex'))).toBeNull();
  });

  it('reads the same frames and times from pcap µs/ns in both byte orders and from pcapng', async () => {
    const reference = await read(write('us.pcap', usPcap));
    expect(reference.frames).toHaveLength(20);
    expect(reference.issues).toEqual([]);
    const variants = {
      'us-be': reencodePcap(usPcap, { nanoseconds: false, bigEndian: true }),
      'ns-le': reencodePcap(usPcap, { nanoseconds: true, bigEndian: false }),
      'ns-be': reencodePcap(usPcap, { nanoseconds: true, bigEndian: true }),
      ng: pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 9 }], packets: classicRecords(usPcap).map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data })) }]),
      'ng-be': pcapngFile([{ littleEndian: false, interfaces: [{ linkType: 1 }], packets: classicRecords(usPcap).map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data })) }]),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const got = await read(write(`${name}.cap`, bytes));
      expect(got.issues, name).toEqual([]);
      expect(got.frames.map(({ offset: _o, ...f }) => ({ ...f, timeMs: Math.round(f.timeMs * 1000) })), name)
        .toEqual(reference.frames.map(({ offset: _o, ...f }) => ({ ...f, timeMs: Math.round(f.timeMs * 1000) })));
    }
  });

  it('reads several sections and interfaces, each with its own link type and clock, and keeps comments', async () => {
    const rec = classicRecords(usPcap);
    const file = write('multi.pcapng', pcapngFile([
      { comment: 'first', interfaces: [{ linkType: 1 }, { linkType: 101, tsresol: 9 }], packets: [
        { interfaceId: 0, timeMs: rec[0]!.timeMs, data: rec[0]!.data, comment: 'look here' },
        { interfaceId: 1, timeMs: rec[1]!.timeMs, data: rec[1]!.data.subarray(14) },
      ] },
      { littleEndian: false, interfaces: [{ linkType: 113, tsresol: 0x80 | 24 }], packets: [{ interfaceId: 0, timeMs: rec[2]!.timeMs, data: Buffer.alloc(16) }] },
    ]));
    const got = await read(file);
    expect(got.issues).toEqual([]);
    expect(got.frames.map((f) => [f.frame, f.linkType, f.comment ?? null])).toEqual([[1, 1, 'look here'], [2, 101, null], [3, 113, null]]);
    expect(got.frames[1]!.timeMs).toBeCloseTo(rec[1]!.timeMs, 3);
    expect(got.frames[2]!.timeMs).toBeCloseTo(rec[2]!.timeMs, 3);
  });
});

describe('damaged captures', () => {
  it('refuses a file that is not a capture, naming its magic and offset', async () => {
    await expect(read(write('elf.bin', Buffer.from('7f454c460201010000000000000000000000000000000000', 'hex')))).rejects.toThrow(/not a pcap or pcapng capture \(magic 7f454c46 at offset 0\)/);
    await expect(read(write('tiny.bin', Buffer.from([1, 2])))).rejects.toThrow(CaptureError);
  });

  it('refuses a cut-off header with the offset where the file ends', async () => {
    await expect(read(write('head.pcap', usPcap.subarray(0, 10)))).rejects.toThrow(/pcap header cut off at offset 10/);
    await expect(read(write('head-ns.pcap', reencodePcap(usPcap, { nanoseconds: true, bigEndian: false }).subarray(0, 20)))).rejects.toThrow(/cut off at offset 20/);
  });

  for (const variant of ['us', 'ns'] as const) {
    it(`steps over a ${variant} record whose length lies and reads the rest`, async () => {
      const bytes = variant === 'us' ? Buffer.from(usPcap) : reencodePcap(usPcap, { nanoseconds: true, bigEndian: false });
      const third = 24 + (16 + packets[0]!.length) + (16 + packets[1]!.length);
      bytes.writeUInt32LE(0x7fffffff, third + 8);
      const got = await read(write(`lie-${variant}.pcap`, bytes));
      expect(got.issues).toHaveLength(1);
      expect(got.issues[0]!.offset).toBe(third);
      expect(got.issues[0]!.message).toMatch(/captured length 2147483647 exceeds the snap length/);
      expect(got.frames).toHaveLength(19);
      expect(got.frames.at(-1)!.len).toBe(packets[19]!.length);
    });

    it(`reports a ${variant} last frame cut off by the end of the file and keeps the others`, async () => {
      const bytes = variant === 'us' ? usPcap : reencodePcap(usPcap, { nanoseconds: true, bigEndian: false });
      const got = await read(write(`cut-${variant}.pcap`, bytes.subarray(0, bytes.length - 5)));
      expect(got.frames).toHaveLength(19);
      expect(got.issues).toHaveLength(1);
      expect(got.issues[0]!.message).toMatch(/cut off/);
      expect(got.issues[0]!.offset).toBe(bytes.length - 16 - packets[19]!.length);
    });
  }

  it('keeps zero-length and snap-length-cut packets as frames', async () => {
    const bytes = pcapFile(LINKTYPE_ETHERNET, [{ ...pcapTime(T0), data: Buffer.alloc(0), origLen: 60 }, { ...pcapTime(T0 + 1), data: packets[3]!.subarray(0, 30), origLen: packets[3]!.length }]);
    const got = await read(write('odd.pcap', bytes));
    expect(got.issues).toEqual([]);
    expect(got.frames.map((f) => f.len)).toEqual([0, 30]);
  });

  it('steps over a pcapng block whose length lies, and one whose trailer disagrees, and reads the rest', async () => {
    const rec = classicRecords(usPcap);
    const ng = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: rec.map((r) => ({ interfaceId: 0, timeMs: r.timeMs, data: r.data })) }]);
    const bad = Buffer.from(ng);
    // SHB 28 bytes, IDB 20 bytes, then EPBs.
    let at = 48;
    const epbAt: number[] = [];
    while (at < bad.length) {
      epbAt.push(at);
      at += bad.readUInt32LE(at + 4);
    }
    bad.writeUInt32LE(0x00fffff0, epbAt[4]! + 4);
    bad.writeUInt32LE(12, epbAt[9]! + bad.readUInt32LE(epbAt[9]! + 4) - 4);
    const got = await read(write('lie.pcapng', bad));
    expect(got.issues.map((i) => i.offset)).toEqual([epbAt[4], epbAt[9]]);
    expect(got.issues[0]!.message).toMatch(new RegExp(`skipped \\d+ bytes to the next block at offset ${epbAt[5]}`));
    expect(got.frames).toHaveLength(18);
    const cut = await read(write('cut.pcapng', ng.subarray(0, ng.length - 6)));
    expect(cut.frames).toHaveLength(19);
    expect(cut.issues[0]).toMatchObject({ offset: epbAt[19], message: expect.stringMatching(/cut off/) });
  });

  it('reports a packet naming an interface its section never described', async () => {
    const file = write('noif.pcapng', pcapngFile([{ interfaces: [{ linkType: 1 }], packets: [{ interfaceId: 3, timeMs: T0, data: packets[0]! }, { interfaceId: 0, timeMs: T0, data: packets[0]! }] }]));
    const got = await read(file);
    expect(got.frames).toHaveLength(1);
    expect(got.issues[0]!.message).toMatch(/names interface 3, but its section describes 1/);
  });
});
