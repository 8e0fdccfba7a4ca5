/**
 * The one place that tells capture formats apart by their magic and reads them: classic pcap in
 * microseconds or nanoseconds, either byte order, and pcapng, each by a reader of our own. Everything that reads captures (import, analyze, decode) comes through here.
 */
import { open } from 'node:fs/promises';
import { readClassicFrameBatches, classicPcapHeader, PCAP_GLOBAL_HEADER_BYTES } from './classic-pcap-reader.js';
import type { CaptureFrame, IssueSink } from './capture-frame.js';
import { FileWindow } from './file-window.js';
import { readPcapngFrames } from './pcapng-reader.js';
import { CaptureError, inBatches } from './pcap-reader.js';

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

const MAGIC: ReadonlyArray<{ hex: string; format: CaptureFormat }> = [
  { hex: 'd4c3b2a1', format: 'pcap' }, { hex: 'a1b2c3d4', format: 'pcap' },
  { hex: '4d3cb2a1', format: 'pcap-ns' }, { hex: 'a1b23c4d', format: 'pcap-ns' },
  { hex: '0a0d0d0a', format: 'pcapng' },
];

/** The capture format a file's first four bytes announce, or null. */
export function captureFormat(head: Uint8Array): CaptureFormat | null {
  if (head.length < 4) return null;
  const hex = Buffer.from(head.buffer, head.byteOffset, 4).toString('hex');
  return MAGIC.find((m) => m.hex === hex)?.format ?? null;
}

/**
 * Every frame of a capture file, in order, with its interface's link type and its time in ms
 * since the epoch (fractional). Throws CaptureError when the file is not a capture at all or its
 * header is cut off; damage further in is passed to `report` and stepped over.
 */
export async function* openCapture(file: string, report: IssueSink): AsyncGenerator<CaptureFrame> {
  // Batches of one where a reader reports damage mid-stream, so each issue comes between the
  // frames it lies between (the decode command prints them in that order).
  for await (const batch of openCaptureBatches(file, report, 1)) yield* batch;
}

/**
 * The same frames in batches: one await per batch, for readers of large captures. Within a batch
 * an issue may be reported before frames that precede it; `batchSize` 1 keeps the exact order.
 */
export async function* openCaptureBatches(file: string, report: IssueSink, batchSize = 512): AsyncGenerator<CaptureFrame[]> {
  const format = await detect(file);
  const win = await FileWindow.open(file);
  try {
    if (format === 'pcapng') {
      yield* inBatches(readPcapngFrames(win, report), batchSize);
      return;
    }
    const header = classicPcapHeader(await win.read(0, PCAP_GLOBAL_HEADER_BYTES));
    if (typeof header === 'string') throw new CaptureError(`${file}: ${header}`);
    yield* readClassicFrameBatches(win, header, { offset: PCAP_GLOBAL_HEADER_BYTES, frames: 0, resync: false, lastSec: null }, report, batchSize);
  } finally {
    await win.close();
  }
}

async function detect(file: string): Promise<CaptureFormat> {
  let head: Buffer;
  let size: number;
  try {
    const h = await open(file, 'r');
    try {
      size = (await h.stat()).size;
      head = Buffer.alloc(PCAP_GLOBAL_HEADER_BYTES);
      head = head.subarray(0, (await h.read(head, 0, head.length, 0)).bytesRead);
    } finally {
      await h.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CaptureError(`${file}: no such file`);
    throw err;
  }
  const format = captureFormat(head);
  if (format === null) {
    throw new CaptureError(size < 4
      ? `${file}: ${size} bytes is too short for a capture (no magic number at offset 0)`
      : `${file} is not a pcap or pcapng capture (magic ${head.toString('hex', 0, 4)} at offset 0)`);
  }
  if (format !== 'pcapng' && size < PCAP_GLOBAL_HEADER_BYTES) {
    throw new CaptureError(`${file}: pcap header cut off at offset ${size} (${size} of ${PCAP_GLOBAL_HEADER_BYTES} bytes)`);
  }
  if (format === 'pcapng' && size < 28) throw new CaptureError(`${file}: pcapng section header cut off at offset ${size} (${size} of 28 bytes)`);
  return format;
}
