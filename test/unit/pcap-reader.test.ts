import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError, readPcapUdp, type CapturedUdp } from '../../server/capture/pcap-reader.js';
import { openCapture, openCaptureBatches } from '../../server/capture/open-capture.js';
import { ethernetFrame, ipUdpPacket } from '../../server/export/ip-udp.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, pcapFile, pcapTime } from '../../server/export/pcap-writer.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-pcap-'));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Splits an IPv4 packet into fragments of `chunk` payload bytes (a multiple of 8). */
function fragmentsOf(packet: Buffer, chunk: number): Buffer[] {
  const header = packet.subarray(0, 20);
  const data = packet.subarray(20);
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, off + chunk);
    const h = Buffer.from(header);
    h.writeUInt16BE(20 + part.length, 2);
    h.writeUInt16BE(((off + chunk < data.length ? 0x2000 : 0) | (off / 8)), 6);
    out.push(Buffer.concat([h, part]));
  }
  return out;
}

describe('pcap reader', () => {
  it('streams the UDP datagrams of a capture with frame numbers, times and endpoints', async () => {
    const frames = Array.from({ length: 5000 }, (_, i) => ({
      ...pcapTime(T0 + i * 20 + 0.5),
      data: ethernetFrame(ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 6000, dstAddr: '10.0.0.9', dstPort: 7000 }, Buffer.from(`p${i}`))),
    }));
    const got = await all(readPcapUdp(write('many.pcap', pcapFile(LINKTYPE_ETHERNET, frames))));
    expect(got).toHaveLength(5000);
    expect(got[4999]).toMatchObject<Partial<CapturedUdp>>({ frame: 5000, timeMs: T0 + 4999 * 20 + 0.5, src: '10.0.0.5', srcPort: 6000, dst: '10.0.0.9', dstPort: 7000 });
    expect(Buffer.from(got[4999]!.payload).toString()).toBe('p4999');
  });

  it('reassembles a fragmented UDP datagram and reports it at its last fragment', async () => {
    const body = Buffer.alloc(3000, 'x');
    const packet = ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 5060, dstAddr: '10.0.0.1', dstPort: 5060 }, body, 99);
    const parts = fragmentsOf(packet, 1480);
    expect(parts).toHaveLength(3);
    const file = write('frag.pcap', pcapFile(LINKTYPE_RAW, [parts[1]!, parts[0]!, parts[2]!].map((data, i) => ({ ...pcapTime(T0 + i), data }))));
    const got = await all(readPcapUdp(file));
    expect(got).toHaveLength(1);
    expect(got[0]?.frame).toBe(3);
    expect(got[0]?.payload.length).toBe(3000);
  });

  it('says a file is cut off after its last whole frame, keeping the frames before it', async () => {
    const whole = pcapFile(LINKTYPE_RAW, [{ ...pcapTime(T0), data: ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 1, dstAddr: '10.0.0.1', dstPort: 2 }, Buffer.from('abc')) }]);
    const cut = Buffer.concat([whole, whole.subarray(24, 40)]);
    const issues: string[] = [];
    const frames = await all(openCapture(write('cut.pcap', cut), (i) => issues.push(i.message)));
    expect(frames.map((f) => f.frame)).toEqual([1]);
    expect(issues).toEqual([expect.stringMatching(/^frame 2 is cut off: 0 of \d+ bytes before the end of the file$/)]);
  });

  it('keeps every whole frame before a record header cut off at the end, and says where it was cut', async () => {
    const frames = Array.from({ length: 5 }, (_, i) => ({ ...pcapTime(T0 + i), data: ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 1, dstAddr: '10.0.0.1', dstPort: 2 }, Buffer.from('abc')) }));
    const whole = pcapFile(LINKTYPE_RAW, frames);
    const issues: Array<{ offset: number; message: string }> = [];
    // In batches, as analyze and import read: the batch under way must not be lost with the cut.
    const got = (await all(openCaptureBatches(write('head-cut.pcap', Buffer.concat([whole, Buffer.alloc(8)])), (i) => issues.push(i)))).flat();
    expect(got.map((f) => f.frame)).toEqual([1, 2, 3, 4, 5]);
    expect(issues).toEqual([{ offset: whole.length, message: 'record header cut off: 8 of 16 bytes at the end of the file' }]);
  });

  it('says when the file does not exist', async () => {
    await expect(all(openCapture(path.join(dir, 'nope.pcap'), () => undefined))).rejects.toThrow(CaptureError);
    await expect(all(openCapture(path.join(dir, 'nope.pcap'), () => undefined))).rejects.toThrow(/no such file/);
  });

  it('lets the reader stop early without leaving the file open', async () => {
    const frames = Array.from({ length: 100 }, (_, i) => ({ ...pcapTime(T0 + i), data: ipUdpPacket({ srcAddr: '10.0.0.5', srcPort: 1, dstAddr: '10.0.0.1', dstPort: 2 }, Buffer.from('abc')) }));
    const file = write('early.pcap', pcapFile(LINKTYPE_RAW, frames));
    let n = 0;
    for await (const f of openCapture(file, () => undefined)) {
      if (++n === 3) break;
      expect(f.linkType).toBe(LINKTYPE_RAW);
    }
    expect(n).toBe(3);
  });
});
