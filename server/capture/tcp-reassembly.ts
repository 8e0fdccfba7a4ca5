/**
 * TCP stream reassembly for captures, enough to read SIP and syslog over TCP: per direction of a
 * connection, segments are put in sequence order, retransmitted and overlapping bytes are dropped,
 * and the in-order bytes are handed on. Out-of-order segments wait, bounded per flow; when the
 * bound is hit (a segment the capture never saw), the hole is reported as a gap and reading goes
 * on after it, so the consumer can restart its framing. Flows are bounded too (oldest forgotten).
 */
import type { TcpHeader } from '../../parsers/link-layer.js';

/** Bytes of out-of-order segments held per flow before a hole is given up on. */
const MAX_PENDING_BYTES_PER_FLOW = 256 * 1024;
const MAX_FLOWS = 10_000;
const SEQ_MODULO = 0x1_0000_0000;

export interface TcpFlow {
  /** `src|srcPort|dst|dstPort`: one direction of one connection. */
  readonly key: string;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

export type TcpEvent =
  | { readonly kind: 'data'; readonly flow: TcpFlow; readonly bytes: Uint8Array; readonly timeMs: number }
  /** Bytes the capture lacks: whatever the consumer was framing across them is lost. */
  | { readonly kind: 'gap'; readonly flow: TcpFlow; readonly missingBytes: number; readonly timeMs: number }
  /** FIN or RST, or the flow was forgotten: the consumer drops its state for this flow. */
  | { readonly kind: 'end'; readonly flow: TcpFlow };

interface FlowState {
  readonly flow: TcpFlow;
  next: number | null;
  readonly pending: Map<number, { bytes: Uint8Array; timeMs: number }>;
  pendingBytes: number;
}

/** Signed distance a − b in sequence space. */
const seqDiff = (a: number, b: number): number => ((a - b) | 0);

export class TcpReassembler {
  private readonly flows = new Map<string, FlowState>();

  constructor(private readonly emit: (e: TcpEvent) => void) {}

  add(src: string, dst: string, tcp: TcpHeader, timeMs: number): void {
    const key = `${src}|${tcp.srcPort}|${dst}|${tcp.dstPort}`;
    let s = this.flows.get(key);
    if (!s) {
      if (tcp.rst || (tcp.fin && tcp.payload.length === 0)) return;
      if (this.flows.size >= MAX_FLOWS) this.end(this.flows.keys().next().value!);
      s = { flow: { key, src, srcPort: tcp.srcPort, dst, dstPort: tcp.dstPort }, next: null, pending: new Map(), pendingBytes: 0 };
      this.flows.set(key, s);
    }
    if (tcp.syn) {
      s.next = (tcp.seq + 1) % SEQ_MODULO;
      s.pending.clear();
      s.pendingBytes = 0;
    } else if (s.next === null) {
      s.next = tcp.seq;
    }
    if (tcp.payload.length > 0) this.segment(s, tcp.syn ? (tcp.seq + 1) % SEQ_MODULO : tcp.seq, tcp.payload, timeMs);
    if (tcp.rst || tcp.fin) this.end(key);
  }

  /** Hands on what is still held (in order, across holes) and ends every flow: the capture is over. */
  finish(): void {
    for (const key of [...this.flows.keys()]) this.end(key);
  }

  private segment(s: FlowState, seq: number, bytes: Uint8Array, timeMs: number): void {
    const d = seqDiff(seq, s.next!);
    if (d > 0) {
      if (!s.pending.has(seq)) {
        s.pending.set(seq, { bytes, timeMs });
        s.pendingBytes += bytes.length;
      }
      if (s.pendingBytes > MAX_PENDING_BYTES_PER_FLOW) this.skipHole(s, timeMs);
      return;
    }
    this.deliver(s, bytes.subarray(-d), timeMs);
    this.drain(s);
  }

  private deliver(s: FlowState, bytes: Uint8Array, timeMs: number): void {
    if (bytes.length === 0) return;
    s.next = (s.next! + bytes.length) % SEQ_MODULO;
    this.emit({ kind: 'data', flow: s.flow, bytes, timeMs });
  }

  /** Delivers held segments that now join on, dropping ones wholly retransmitted. */
  private drain(s: FlowState): void {
    for (let progressed = true; progressed && s.pending.size > 0;) {
      progressed = false;
      for (const [seq, p] of s.pending) {
        const d = seqDiff(seq, s.next!);
        if (d > 0) continue;
        s.pending.delete(seq);
        s.pendingBytes -= p.bytes.length;
        if (-d < p.bytes.length) this.deliver(s, p.bytes.subarray(-d), p.timeMs);
        progressed = true;
      }
    }
  }

  /** Gives up on the hole before the lowest held segment: reports it, and goes on from there. */
  private skipHole(s: FlowState, timeMs: number): void {
    let lowest: number | null = null;
    for (const seq of s.pending.keys()) if (lowest === null || seqDiff(seq, lowest) < 0) lowest = seq;
    if (lowest === null) return;
    this.emit({ kind: 'gap', flow: s.flow, missingBytes: seqDiff(lowest, s.next!), timeMs });
    s.next = lowest;
    this.drain(s);
  }

  private end(key: string): void {
    const s = this.flows.get(key);
    if (!s) return;
    while (s.pending.size > 0) this.skipHole(s, [...s.pending.values()][0]!.timeMs);
    this.flows.delete(key);
    this.emit({ kind: 'end', flow: s.flow });
  }
}
