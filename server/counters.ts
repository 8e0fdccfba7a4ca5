/**
 * Ingest counters per source, the numbers behind "nothing lost silently": every datagram or frame
 * is received, then either parsed or malformed; every parsed message is queued for the store or
 * dropped, and every queued one is stored in the end. At every instant (one message a datagram):
 * received = malformed + dropped + queued + stored.
 */
export interface SourceCounters {
  /** Datagrams (UDP) or frames (TCP) that arrived. */
  received: number;
  bytes: number;
  /** Messages decoded from them (a datagram can hold several). */
  parsed: number;
  /** Datagrams or frames that were not syslog at all (binary, empty), or broke TCP framing. */
  malformed: number;
  /**
   * Parsed messages not stored because the store queue was full, and datagrams read but dropped
   * unparsed: because decoding fell behind the receiver thread, or because the store queue was
   * already full when they arrived.
   */
  dropped: number;
  /** Parsed messages committed to the store. */
  stored: number;
  /** Parsed messages waiting for the store: in the writer's queue or the batch being written. */
  queued: number;
  /** Datagrams, frames or connections from senders outside the listener's allow-list. */
  denied: number;
  /** Datagrams or frames over their sender's rate limit. */
  limited: number;
  /** UDP datagrams the kernel dropped on our socket (receive buffer full) before we read them. */
  kernelDropped: number;
}

export interface MalformedSample {
  readonly at: number;
  readonly source: string;
  readonly from: string;
  readonly reason: string;
  /** The first bytes, escaped, so an admin can see what the sender was. */
  readonly preview: string;
}

const MALFORMED_SAMPLES_KEPT = 20;
const PREVIEW_BYTES = 64;

export class Counters {
  private readonly sources = new Map<string, SourceCounters>();
  private readonly malformedSamples: MalformedSample[] = [];

  source(name: string): SourceCounters {
    let c = this.sources.get(name);
    if (!c) {
      c = { received: 0, bytes: 0, parsed: 0, malformed: 0, dropped: 0, stored: 0, queued: 0, denied: 0, limited: 0, kernelDropped: 0 };
      this.sources.set(name, c);
    }
    return c;
  }

  malformed(source: string, from: string, reason: string, bytes: Uint8Array, at: number): void {
    this.source(source).malformed++;
    this.malformedSamples.push({ at, source, from, reason, preview: escapePreview(bytes.subarray(0, PREVIEW_BYTES)) });
    if (this.malformedSamples.length > MALFORMED_SAMPLES_KEPT) this.malformedSamples.shift();
  }

  /** Datagrams the receiver thread read and had to drop: received by us, so counted there too. */
  handoffDropped(source: string, count: number): void {
    const c = this.source(source);
    c.received += count;
    c.dropped += count;
  }

  snapshot(): Record<string, SourceCounters> {
    return Object.fromEntries([...this.sources].map(([k, v]) => [k, { ...v }]));
  }

  recentMalformed(): readonly MalformedSample[] {
    return [...this.malformedSamples];
  }
}

function escapePreview(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}
