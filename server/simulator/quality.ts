/**
 * From receiver counters to the numbers a 400HD puts in RTCP XR and in its end-of-call reports.
 * The phone's own VQmon/P.564 estimator is not public; the project's E-model stands in for it, so
 * the collector can check a report against its own analysis of the same recording.
 */
import { staticPayloadType } from '../analysis/codecs.js';
import { mosFromR, rFactor } from '../analysis/e-model.js';
import type { RxSnapshot } from './rx-stats.js';
import { FRAME_MS, SAMPLE_RATE_HZ } from './tone.js';

/** The fixed parts of the simulated network and phone. */
export const ROUND_TRIP_MS = 40;
export const END_SYSTEM_DELAY_MS = 45;
export const JB_NOMINAL_MS = 40;
export const JB_MAX_MS = 80;
export const JB_ABS_MAX_MS = 200;
/** A packet later than this behind its schedule misses its playout slot and is discarded. */
export const DISCARD_LATE_MS = 120;

export interface DerivedQuality {
  readonly lossPct: number;
  readonly discardPct: number;
  readonly burstDensityPct: number;
  readonly burstDurationMs: number;
  readonly gapDensityPct: number;
  readonly gapDurationMs: number;
  readonly jitterMs: number;
  readonly jitterMaxMs: number;
  readonly rFactor: number;
  readonly mosLq: number;
  readonly mosCq: number;
  readonly packetsReceived: number;
  readonly packetsExpected: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * `expectedWhenSilent`: for a one-way call the receiver got nothing, so it cannot count what it
 * missed; the far end's send count (what the phone sent, by symmetry) stands in.
 */
export function deriveQuality(s: RxSnapshot, payloadType: number, expectedWhenSilent: number): DerivedQuality {
  const tsPerMs = SAMPLE_RATE_HZ / 1000;
  const expected = s.expected > 0 ? s.expected : expectedWhenSilent;
  const lost = expected - s.received;
  const lossPct = expected > 0 ? (100 * lost) / expected : 0;
  const p = lossPct / 100;
  const meanRun = s.lossRuns > 0 ? lost / s.lossRuns : 1;
  const burstRatio = p > 0 && p < 1 ? meanRun * (1 - p) : 1;
  // The simulator speaks G.711 only, which the codec table always has E-model values for.
  const codec = staticPayloadType(payloadType)!.emodel!;
  const listening = s.received === 0 ? 0 : rFactor({ codec, lossPct, burstRatio });
  const conversational = s.received === 0 ? 0 : rFactor({ codec, lossPct, burstRatio, oneWayDelayMs: ROUND_TRIP_MS / 2 + JB_NOMINAL_MS + FRAME_MS + END_SYSTEM_DELAY_MS });
  const gaps = s.bursts + 1;
  return {
    lossPct: round2(lossPct),
    discardPct: s.received > 0 ? round2((100 * s.discarded) / s.received) : 0,
    burstDensityPct: s.burstPackets > 0 ? round2((100 * s.burstLost) / s.burstPackets) : 0,
    burstDurationMs: s.bursts > 0 ? Math.round((s.burstPackets * FRAME_MS) / s.bursts) : 0,
    gapDensityPct: s.gapPackets > 0 ? round2((100 * s.gapLost) / s.gapPackets) : 0,
    gapDurationMs: Math.round((s.gapPackets * FRAME_MS) / gaps),
    jitterMs: round2(s.jitterTs / tsPerMs),
    jitterMaxMs: round2(s.maxJitterTs / tsPerMs),
    rFactor: Math.max(0, Math.round(conversational)),
    mosLq: round2(mosFromR(listening)),
    mosCq: round2(mosFromR(conversational)),
    packetsReceived: s.received,
    packetsExpected: expected,
  };
}
