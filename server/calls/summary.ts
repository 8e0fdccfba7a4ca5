/**
 * A call's summary and verdicts from its samples: pure, so the store recomputes it inside the
 * write transaction and `analyze` computes the same thing without a store.
 *
 * A stream is as bad as its worst sample (reports are coarse; a recording's 5-second sample that
 * was poor is a moment an FAE wants to see), and a call as bad as its worst stream or call-wide
 * sample. The reason names the metric, the limit, the source, the direction and the time.
 */
import { judge, mosFromR, type VerdictFinding, type VerdictThresholds } from '../analysis/e-model.js';
import type { QualityMetrics, QualitySample, QualitySource, Verdict } from './model.js';

const RANK: Readonly<Record<Verdict, number>> = { unknown: 0, good: 1, fair: 2, poor: 3 };

/** MOS-LQ as reported, else from the listening R factor (G.107 Annex B), else none. */
export function sampleMos(m: QualityMetrics): number | undefined {
  if (m.mosLq !== undefined) return m.mosLq;
  if (m.rFactor !== undefined) return mosFromR(m.rFactor);
  return undefined;
}

/** Microsoft's classifier for QoE data, the spec's §6.3 mapping for everything else. */
export function sampleVerdict(source: QualitySource, m: QualityMetrics, t: VerdictThresholds): VerdictFinding {
  const mos = sampleMos(m);
  return judge(
    {
      ...(m.lossPct !== undefined ? { lossPct: m.lossPct } : {}),
      ...(m.roundTripMs !== undefined ? { rttMs: m.roundTripMs } : {}),
      ...(m.jitterMs !== undefined ? { jitterMs: m.jitterMs } : {}),
      ...(mos !== undefined ? { mos } : {}),
      ...(m.degradationMos !== undefined ? { degradationMos: m.degradationMos } : {}),
      ...(m.concealedRatio !== undefined ? { concealedRatio: m.concealedRatio } : {}),
    },
    t,
    source === 'ms-qoe' ? 'ms-cqd' : 'rfc6035',
  );
}

export interface Judged {
  readonly verdict: Verdict;
  readonly reason: string | null;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The worst sample's verdict, with its reasons and where they came from. */
export function worstOf(samples: readonly QualitySample[], t: VerdictThresholds): Judged {
  let worst: Judged = { verdict: 'unknown', reason: null };
  for (const s of samples) {
    const f = sampleVerdict(s.source, s.metrics, t);
    if (RANK[f.verdict] <= RANK[worst.verdict]) continue;
    const where = [s.source, s.direction, clock(s.startMs)].filter((x) => x !== null).join(', ');
    worst = { verdict: f.verdict, reason: f.verdict === 'good' ? `all limits met (${where})` : `${f.reasons.join('; ')} (${where})` };
  }
  return worst;
}

export interface CallSummary {
  readonly worstMos: number | null;
  readonly avgMos: number | null;
  readonly maxLossPct: number | null;
  readonly maxJitterMs: number | null;
  readonly sources: QualitySource[];
  readonly verdict: Verdict;
  readonly verdictReason: string | null;
  readonly streams: ReadonlyMap<number, Judged & { readonly sources: QualitySource[] }>;
}

/** Summary over every sample of a call; MOS is averaged weighted by each sample's duration. */
export function summarize(samples: readonly QualitySample[], t: VerdictThresholds): CallSummary {
  let worstMos: number | null = null;
  let maxLoss: number | null = null;
  let maxJitter: number | null = null;
  let mosWeighted = 0;
  let mosWeight = 0;
  const sources = new Set<QualitySource>();
  const byStream = new Map<number, QualitySample[]>();
  for (const s of samples) {
    sources.add(s.source);
    const mos = sampleMos(s.metrics);
    if (mos !== undefined) {
      worstMos = worstMos === null ? mos : Math.min(worstMos, mos);
      const w = Math.max(1, s.endMs - s.startMs);
      mosWeighted += mos * w;
      mosWeight += w;
    }
    if (s.metrics.lossPct !== undefined) maxLoss = Math.max(maxLoss ?? 0, s.metrics.lossPct);
    const jitter = s.metrics.jitterMaxMs ?? s.metrics.jitterMs;
    if (jitter !== undefined) maxJitter = Math.max(maxJitter ?? 0, jitter);
    if (s.streamId !== null) {
      const list = byStream.get(s.streamId);
      if (list) list.push(s);
      else byStream.set(s.streamId, [s]);
    }
  }
  const streams = new Map<number, Judged & { sources: QualitySource[] }>();
  for (const [id, list] of byStream) streams.set(id, { ...worstOf(list, t), sources: [...new Set(list.map((s) => s.source))].sort() });
  const call = worstOf(samples, t);
  return {
    worstMos: worstMos === null ? null : round2(worstMos),
    avgMos: mosWeight === 0 ? null : round2(mosWeighted / mosWeight),
    maxLossPct: maxLoss,
    maxJitterMs: maxJitter,
    sources: [...sources].sort(),
    verdict: call.verdict,
    verdictReason: call.reason,
    streams,
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
