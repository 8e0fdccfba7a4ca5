/**
 * Reads a classic pcap file frame by frame with `pcap-parser` (streaming: the file is never held
 * whole), and hands out the UDP datagrams in it. `readPcapFrames` alone refuses pcapng and
 * nanosecond pcap with a message that says so (`pcap-parser` reads microsecond libpcap 2.4 only);
 * `readPcapUdp` reads every capture format through `openCapture`.
 */
import pcapParser, { type PcapPacket } from 'pcap-parser';
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp, decodeUdp, type LinkFrame } from '../../parsers/ip-udp.js';
import type { CaptureFrame, IssueSink } from './capture-frame.js';
import { classicPcapHeader, readClassicFrames, recordProblem, PCAP_GLOBAL_HEADER_BYTES } from './classic-pcap-reader.js';
import { FileWindow } from './file-window.js';
import { openCaptureBatches } from './open-capture.js';
import { FragmentReassembler } from './reassembly.js';

export interface CapturedFrame {
  /** 1-based, as Wireshark numbers frames. */
  readonly frame: number;
  readonly timeMs: number;
  readonly linkType: number;
  readonly data: Buffer;
  /** The frame's length on the wire (more than `data` when the capture cut it). */
  readonly originalLength: number;
  /** Byte offset of the frame's record in the file. */
  readonly offset?: number;
}

export interface CapturedUdp {
  readonly frame: number;
  readonly timeMs: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** Packets parsed ahead of the reader before the file stream is paused. */
const MAX_BUFFERED_FRAMES = 2048;

export class CaptureError extends Error {}

/**
 * Every frame of a classic microsecond pcap file, in order. Throws CaptureError for files it cannot
 * read. With `report`, damage is reported instead: a cut-off last frame, and a record header whose
 * lengths are impossible, after which our own reader (classic-pcap-reader.ts) finds the next good
 * record and goes on, since `pcap-parser` cannot resume mid-file.
 */
export async function* readPcapFrames(file: string, report?: IssueSink): AsyncGenerator<CapturedFrame> {
  for await (const batch of readPcapFrameBatches(file, report, 1)) yield* batch;
}

/**
 * The same frames in the batches `pcap-parser` parsed them in: a large capture is read with one
 * await per batch instead of one per frame (the per-frame promise cost more than parsing).
 */
export async function* readPcapFrameBatches(file: string, report?: IssueSink, batchSizeAfterDamage = 512): AsyncGenerator<CaptureFrame[]> {
  const parser = pcapParser.parse(file);
  let consumed = PCAP_GLOBAL_HEADER_BYTES;
  let badRecordAt: { offset: number; problem: string } | null = null;
  let snapLength = 0;
  let lastSec: number | null = null;
  let queue: CaptureFrame[] = [];
  let linkType = -1;
  let frame = 0;
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    wake?.();
    wake = null;
  };
  let headers = 0;
  parser.on('globalHeader', (h) => {
    linkType = h.linkLayerType & 0xffff;
    snapLength = h.snapshotLength;
  });
  parser.on('packetHeader', (h) => {
    headers++;
    const problem = recordProblem({ sec: h.timestampSeconds, frac: h.timestampMicroseconds, capturedLength: h.capturedLength, originalLength: h.originalLength },
      { littleEndian: true, nanoseconds: false, snapLength, linkType });
    if (problem === null || badRecordAt) return;
    // pcap-parser would wait for (and buffer) that many bytes: stop it here.
    badRecordAt = { offset: consumed, problem };
    done = true;
    parser.stream.destroy();
    signal();
  });
  parser.on('packet', (p: PcapPacket) => {
    if (badRecordAt) return;
    frame++;
    const offset = consumed;
    consumed += 16 + p.header.capturedLength;
    lastSec = p.header.timestampSeconds;
    queue.push({
      offset,
      interface: 0,
      frame,
      timeMs: p.header.timestampSeconds * 1000 + p.header.timestampMicroseconds / 1000,
      linkType,
      data: p.data,
      originalLength: p.header.originalLength,
    });
    if (queue.length >= MAX_BUFFERED_FRAMES) parser.stream.pause();
    signal();
  });
  parser.on('error', (err) => {
    failure ??= new CaptureError(explain(file, err));
    done = true;
    signal();
  });
  parser.on('end', () => {
    done = true;
    signal();
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        if (parser.stream.isPaused() && !done) parser.stream.resume();
        yield batch;
        continue;
      }
      if (failure) throw failure;
      if (done) break;
      await new Promise<void>((r) => { wake = r; });
    }
    const bad = badRecordAt as { offset: number; problem: string } | null;
    if (bad) {
      if (!report) throw new CaptureError(`${file}: ${bad.problem} in the record at offset ${bad.offset}`);
      yield* inBatches(resumeAfterDamage(file, bad, frame, lastSec, report), batchSizeAfterDamage);
      return;
    }
    const leftover = parser.buffer?.length ?? 0;
    if (leftover > 0 || headers > frame) {
      const message = `cut off after frame ${frame} (an incomplete frame follows)`;
      if (!report) throw new CaptureError(`${file}: ${message}`);
      report({ offset: consumed, message });
    }
  } finally {
    parser.stream.destroy();
  }
}

/** Frames read one at a time, handed on in batches like the rest. */
export async function* inBatches<T>(items: AsyncIterable<T>, size = 512): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* resumeAfterDamage(file: string, bad: { offset: number; problem: string }, frames: number, lastSec: number | null, report: IssueSink): AsyncGenerator<CaptureFrame> {
  const win = await FileWindow.open(file);
  try {
    const header = classicPcapHeader(await win.read(0, PCAP_GLOBAL_HEADER_BYTES));
    if (typeof header === 'string') throw new CaptureError(`${file}: ${header}`);
    yield* readClassicFrames(win, header, { offset: bad.offset, frames, resync: true, lastSec, problem: bad.problem }, report);
  } finally {
    await win.close();
  }
}

function explain(file: string, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${file}: no such file`;
  const magic = /unknown magic number: ([0-9a-f]+)/.exec(err.message)?.[1];
  if (magic === '0a0d0d0a') return `${file} is pcapng; save it as classic pcap (editcap -F pcap in.pcapng out.pcap)`;
  if (magic === 'a1b23c4d' || magic === '4d3cb2a1') return `${file} is nanosecond pcap; convert it (editcap -F pcap --set-time-resolution... or -F libpcap)`;
  if (magic !== undefined) return `${file} is not a pcap file (magic ${magic})`;
  return `${file}: ${err.message}`;
}

/** The UDP datagram in a frame, reassembling IP fragments; null for frames that hold none (yet). */
export function udpOfFrame(f: CapturedFrame, decoded: LinkFrame, fragments: FragmentReassembler): CapturedUdp | null {
  const ip = decoded.ip;
  if (!ip) return null;
  let udp = decoded.udp;
  if (ip.moreFragments || ip.fragmentOffset > 0) {
    const whole = fragments.add(ip, f.timeMs);
    if (!whole) return null;
    const reassembled = decodeUdp(whole);
    if (typeof reassembled === 'string') return null;
    udp = reassembled;
  }
  if (!udp) return null;
  return { frame: f.frame, timeMs: f.timeMs, src: ip.src, srcPort: udp.srcPort, dst: ip.dst, dstPort: udp.dstPort, payload: udp.payload };
}

/**
 * Every UDP datagram of a capture (pcap µs/ns, pcapng; fragments reassembled); frames that aren't
 * UDP are skipped, damage is passed to `report` (without one, skipped silently). `onFrame` hears
 * each frame's file offset, for a progress bar.
 */
export async function* readPcapUdp(file: string, report: IssueSink = () => undefined, onFrame?: (offset: number) => void): AsyncGenerator<CapturedUdp> {
  for await (const batch of readPcapUdpBatches(file, report, onFrame)) yield* batch;
}

/** The same datagrams, a batch of frames at a time (what a reader of a large capture wants). */
export async function* readPcapUdpBatches(file: string, report: IssueSink = () => undefined, onFrame?: (offset: number) => void): AsyncGenerator<CapturedUdp[]> {
  const fragments = new FragmentReassembler();
  for await (const frames of openCaptureBatches(file, report)) {
    const out: CapturedUdp[] = [];
    for (const f of frames) {
      const decoded = decodeIpUdp(f.linkType, f.data);
      if (isDecodeError(decoded)) continue;
      const udp = udpOfFrame(f, decoded, fragments);
      if (udp) out.push(udp);
    }
    if (frames.length > 0) onFrame?.(frames[frames.length - 1]!.offset);
    if (out.length > 0) yield out;
  }
}
