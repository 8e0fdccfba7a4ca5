/**
 * A token bucket per sender address, so one chatty or hostile sender is cut to its share while
 * every other sender's traffic still gets through. Buckets are bounded in number: past the bound
 * the least recently heard sender's bucket is forgotten (it starts full again, a small gift to a
 * sender that went quiet, never a way to grow memory).
 */

const MAX_BUCKETS = 65_536;

interface Bucket {
  tokens: number;
  at: number;
}

export class SenderRateLimit {
  private readonly buckets = new Map<string, Bucket>();

  /** @param perSecond refill rate; @param burst bucket depth (at least 1). */
  constructor(private readonly perSecond: number, private readonly burst: number, private readonly now: () => number) {}

  /** Takes one token for this sender; false when its bucket is empty. */
  take(address: string): boolean {
    const t = this.now();
    let b = this.buckets.get(address);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) * this.perSecond) / 1000);
      b.at = t;
      // Most recently heard last: the eviction below takes the quietest first.
      this.buckets.delete(address);
    } else {
      b = { tokens: this.burst, at: t };
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(address, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
