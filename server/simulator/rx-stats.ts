/**
 * What a phone's receiver knows about the stream it gets, kept the way RFC 3550 §A.3/A.8 and
 * RFC 3611 §4.7 define it: expected/received/lost, interarrival jitter, jitter-buffer discards, and
 * the burst/gap split with Gmin = 16. The RTCP reports and the end-of-call report read these same
 * counters, so every view of a call tells the same story as its recorded RTP.
 */

/** RFC 3611's recommended Gmin: a burst is denser than 1 loss per 16 packets. */
export const GMIN = 16;

export interface RxSnapshot {
  readonly expected: number;
  readonly received: number;
  readonly discarded: number;
  readonly burstPackets: number;
  readonly burstLost: number;
  readonly bursts: number;
  readonly gapPackets: number;
  readonly gapLost: number;
  readonly lossRuns: number;
  /** RFC 3550 interarrival jitter, RTP timestamp units. */
  readonly jitterTs: number;
  readonly maxJitterTs: number;
}

export class RxStats {
  expected = 0;
  received = 0;
  discarded = 0;
  jitterTs = 0;
  maxJitterTs = 0;
  private burstPackets = 0;
  private burstLost = 0;
  private bursts = 0;
  private gapPackets = 0;
  private gapLost = 0;
  private lossRuns = 0;
  /** Packets received since the last loss, not yet given to a burst or a gap. */
  private pending = 0;
  /** Packets received since the last loss: fewer than Gmin keeps a burst going. */
  private sinceLoss = 0;
  private anyLoss = false;
  private inBurst = false;
  private lastLost = false;
  private lastTransit: number | null = null;
  /** For RR fraction lost: the counts at the previous report. */
  private expectedPrior = 0;
  private receivedPrior = 0;

  /** One sequence slot, in sequence order: the packet came (with its transit time) or it did not. */
  slot(lost: boolean, transitTs = 0, discarded = false): void {
    this.expected++;
    if (lost) {
      this.loss();
      this.lastLost = true;
      return;
    }
    this.received++;
    if (discarded) this.discarded++;
    this.lastLost = false;
    this.pending++;
    this.sinceLoss++;
    if (this.inBurst && this.pending >= GMIN) {
      this.inBurst = false;
      this.gapPackets += this.pending;
      this.pending = 0;
    }
    if (this.lastTransit !== null) {
      const d = Math.abs(transitTs - this.lastTransit);
      this.jitterTs += (d - this.jitterTs) / 16;
      if (this.jitterTs > this.maxJitterTs) this.maxJitterTs = this.jitterTs;
    }
    this.lastTransit = transitTs;
  }

  private loss(): void {
    if (!this.lastLost) this.lossRuns++;
    if (this.anyLoss && this.sinceLoss < GMIN) {
      if (!this.inBurst) {
        // The loss before this one was booked as a gap loss; it opens this burst instead.
        this.gapPackets--;
        this.gapLost--;
        this.burstPackets++;
        this.burstLost++;
        this.bursts++;
        this.inBurst = true;
      }
      this.burstPackets += this.pending + 1;
      this.burstLost++;
    } else {
      this.gapPackets += this.pending + 1;
      this.gapLost++;
    }
    this.pending = 0;
    this.sinceLoss = 0;
    this.anyLoss = true;
  }

  snapshot(): RxSnapshot {
    return {
      expected: this.expected,
      received: this.received,
      discarded: this.discarded,
      burstPackets: this.burstPackets,
      burstLost: this.burstLost,
      bursts: this.bursts,
      gapPackets: this.gapPackets + (this.inBurst ? 0 : this.pending),
      gapLost: this.gapLost,
      lossRuns: this.lossRuns,
      jitterTs: this.jitterTs,
      maxJitterTs: this.maxJitterTs,
    };
  }

  /** RFC 3550 fraction lost since the previous call, as the 8-bit fixed-point RR field. */
  fractionLostSinceLastReport(): number {
    const expectedInterval = this.expected - this.expectedPrior;
    const lostInterval = expectedInterval - (this.received - this.receivedPrior);
    this.expectedPrior = this.expected;
    this.receivedPrior = this.received;
    return expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
  }
}

const ZERO: RxSnapshot = {
  expected: 0, received: 0, discarded: 0, burstPackets: 0, burstLost: 0, bursts: 0, gapPackets: 0, gapLost: 0, lossRuns: 0, jitterTs: 0, maxJitterTs: 0,
};

/** Counts between two snapshots (a report segment); jitter values are the later ones. */
export function difference(later: RxSnapshot, earlier: RxSnapshot = ZERO): RxSnapshot {
  return {
    expected: later.expected - earlier.expected,
    received: later.received - earlier.received,
    discarded: later.discarded - earlier.discarded,
    burstPackets: later.burstPackets - earlier.burstPackets,
    burstLost: later.burstLost - earlier.burstLost,
    bursts: later.bursts - earlier.bursts,
    gapPackets: later.gapPackets - earlier.gapPackets,
    gapLost: later.gapLost - earlier.gapLost,
    lossRuns: later.lossRuns - earlier.lossRuns,
    jitterTs: later.jitterTs,
    maxJitterTs: later.maxJitterTs,
  };
}
