/**
 * IP fragment reassembly for captures: a SIP report over UDP (QoE XML runs to 10 KB) arrives in
 * several fragments. Bounded in datagrams held, bytes per datagram and age, so a capture of
 * hostile fragments cannot grow it without end.
 */
import type { IpHeader } from '../../parsers/ip-udp.js';

const MAX_PENDING_DATAGRAMS = 256;
/** The largest IP payload there is (65535 minus the smallest IPv4 header). */
const MAX_DATAGRAM_BYTES = 65_515;
/** Linux's ipfrag_time: fragments older than this are dropped. */
const FRAGMENT_TIMEOUT_MS = 30_000;

interface Pending {
  readonly firstMs: number;
  readonly parts: Map<number, Uint8Array>;
  /** Known once the last fragment (more-fragments clear) has arrived. */
  totalBytes: number | null;
}

export class FragmentReassembler {
  private readonly pending = new Map<string, Pending>();

  /** Adds a fragment; returns the whole IP payload once every fragment is in, else null. */
  add(ip: IpHeader, timeMs: number): Uint8Array | null {
    this.expire(timeMs);
    const key = `${ip.version}|${ip.src}|${ip.dst}|${ip.protocol}|${ip.fragmentId}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= MAX_PENDING_DATAGRAMS) this.pending.delete(this.pending.keys().next().value!);
      p = { firstMs: timeMs, parts: new Map(), totalBytes: null };
      this.pending.set(key, p);
    }
    if (ip.fragmentOffset + ip.payload.length > MAX_DATAGRAM_BYTES) {
      this.pending.delete(key);
      return null;
    }
    p.parts.set(ip.fragmentOffset, ip.payload);
    if (!ip.moreFragments) p.totalBytes = ip.fragmentOffset + ip.payload.length;
    if (p.totalBytes === null) return null;
    const whole = new Uint8Array(p.totalBytes);
    let covered = 0;
    for (const offset of [...p.parts.keys()].sort((a, b) => a - b)) {
      if (offset > covered) return null;
      if (offset >= p.totalBytes) break;
      const part = p.parts.get(offset)!;
      whole.set(part.subarray(0, Math.max(0, p.totalBytes - offset)), offset);
      covered = Math.max(covered, offset + part.length);
    }
    if (covered < p.totalBytes) return null;
    this.pending.delete(key);
    return whole;
  }

  private expire(nowMs: number): void {
    for (const [key, p] of this.pending) {
      if (nowMs - p.firstMs <= FRAGMENT_TIMEOUT_MS) break;
      this.pending.delete(key);
    }
  }
}
