/**
 * The UDP datagrams of a capture (any format `openCapture` reads), IP fragments reassembled.
 */
import { isDecodeError } from '../../parsers/decode-error.js';
import { decodeIpUdp, decodeUdp, type LinkFrame } from '../../parsers/ip-udp.js';
import type { IssueSink } from './capture-frame.js';
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

export class CaptureError extends Error {}

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
