/**
 * ITU-T G.107 E-model, simplified for VoIP as in the project spec (rtcp-xr-and-qoe.md §6): only the
 * terms a receiver can observe change (loss, burstiness, delay); all others keep G.107 defaults.
 * This is a fallback: a device's own R/MOS (P.564 / VQmon, per frame) is always preferred.
 */
import type { EModelCodec } from './codecs.js';

/** Ro − Is with every G.107 default parameter: the best narrowband R at zero delay and loss. */
export const R_DEFAULTS = 93.2;
/** Knee of the simplified delay impairment (Cole & Rosenbluth's fit of G.107's Idd). */
const DELAY_KNEE_MS = 177.3;
const MOS_MIN = 1;
const MOS_MAX = 4.5;
/** Wideband (G.107.1) R reaches 129; the narrowband MOS mapping saturates at 100 anyway. */
const R_MAX_WIDEBAND = 129;

/**
 * Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl). BurstR is 1 for random loss and grows
 * with burstiness (mean observed loss-run length over the run length random loss would give).
 */
export function effectiveIe(codec: EModelCodec, lossPct: number, burstRatio = 1): number {
  const ppl = Math.max(0, lossPct);
  if (ppl === 0) return codec.ie;
  const burstR = Math.max(burstRatio, Number.EPSILON);
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl / burstR + codec.bpl);
}

/** Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d the one-way mouth-to-ear delay in ms. */
export function delayImpairment(oneWayDelayMs: number): number {
  const d = Math.max(0, oneWayDelayMs);
  return 0.024 * d + (d > DELAY_KNEE_MS ? 0.11 * (d - DELAY_KNEE_MS) : 0);
}

export interface EModelInput {
  readonly codec: EModelCodec;
  readonly lossPct: number;
  readonly burstRatio?: number;
  readonly oneWayDelayMs?: number;
  /** Advantage factor A (G.107: 0 for wired, up to 10 for mobile); 0 unless the caller knows better. */
  readonly advantage?: number;
}

/** R = Ro − Is − Id − Ie,eff + A, not clamped below 0 so very bad streams stay comparable. */
export function rFactor(input: EModelInput): number {
  const r =
    R_DEFAULTS -
    delayImpairment(input.oneWayDelayMs ?? 0) -
    effectiveIe(input.codec, input.lossPct, input.burstRatio ?? 1) +
    (input.advantage ?? 0);
  return Math.min(r, R_MAX_WIDEBAND);
}

/** G.107 Annex B: MOS_CQE from R. */
export function mosFromR(r: number): number {
  if (r <= 0) return MOS_MIN;
  if (r >= 100) return MOS_MAX;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** Inverse of `mosFromR` by bisection (it has no closed form); monotonic on [0, 100]. */
export function rFromMos(mos: number): number {
  if (mos <= MOS_MIN) return 0;
  if (mos >= MOS_MAX) return 100;
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mosFromR(mid) < mos) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export type Satisfaction =
  | 'very-satisfied'
  | 'satisfied'
  | 'some-dissatisfied'
  | 'many-dissatisfied'
  | 'nearly-all-dissatisfied'
  | 'not-recommended';

/** G.107/G.109 user-satisfaction bands by R. */
export function satisfaction(r: number): Satisfaction {
  if (r >= 90) return 'very-satisfied';
  if (r >= 80) return 'satisfied';
  if (r >= 70) return 'some-dissatisfied';
  if (r >= 60) return 'many-dissatisfied';
  if (r >= 50) return 'nearly-all-dissatisfied';
  return 'not-recommended';
}

export type Verdict = 'good' | 'fair' | 'poor';

/**
 * Where a stream turns fair or poor. Defaults: the spec's proposed mapping for RFC 6035 / XR data
 * (§6.3, our own thresholds, loosely after Microsoft CQD) and, for QoE data, Microsoft's CQD "Poor"
 * classifier (same loss, round-trip and jitter limits, plus degradation and concealment).
 */
export interface VerdictThresholds {
  readonly poorLossPct: number;
  readonly poorRttMs: number;
  readonly poorJitterMs: number;
  readonly poorMos: number;
  /** Microsoft CQD: NetworkMOS DegradationAvg, MOS units. */
  readonly poorDegradationMos: number;
  /** Microsoft CQD: RatioConcealedSamplesAvg, 0–1. */
  readonly poorConcealedRatio: number;
  readonly fairLossPct: number;
  readonly fairRttMs: number;
  readonly fairJitterMs: number;
  readonly fairMos: number;
}

export const DEFAULT_VERDICT_THRESHOLDS: VerdictThresholds = {
  poorLossPct: 10,
  poorRttMs: 500,
  poorJitterMs: 30,
  poorMos: 3.1,
  poorDegradationMos: 1.0,
  poorConcealedRatio: 0.07,
  fairLossPct: 3,
  fairRttMs: 300,
  fairJitterMs: 20,
  fairMos: 3.6,
};

export interface VerdictInput {
  readonly lossPct?: number;
  readonly rttMs?: number;
  readonly jitterMs?: number;
  readonly mos?: number;
  readonly degradationMos?: number;
  readonly concealedRatio?: number;
}

/**
 * `rfc6035`: §6.3 (poor also when MOS < poorMos). `ms-cqd`: Microsoft's classifier decides poor
 * (MOS is not one of its rows; degradation and concealment are); fair still follows §6.3.
 */
export type VerdictClassifier = 'rfc6035' | 'ms-cqd';

export interface VerdictFinding {
  readonly verdict: Verdict;
  /** Why, one phrase per metric past its limit ("loss 12 % > 10 %"); empty when good. */
  readonly reasons: readonly string[];
}

const fmt = (v: number): string => String(Math.round(v * 100) / 100);

/** Poor if any metric is poor, else fair if any is fair, else good; unknown metrics are ignored. */
export function judge(m: VerdictInput, t: VerdictThresholds = DEFAULT_VERDICT_THRESHOLDS, classifier: VerdictClassifier = 'rfc6035'): VerdictFinding {
  const checks = (level: 'poor' | 'fair'): string[] => {
    const out: string[] = [];
    const over = (v: number | undefined, limit: number, what: string, unit: string) => {
      if (v !== undefined && v > limit) out.push(`${what} ${fmt(v)}${unit} > ${fmt(limit)}${unit}`);
    };
    const poor = level === 'poor';
    over(m.lossPct, poor ? t.poorLossPct : t.fairLossPct, 'loss', ' %');
    over(m.rttMs, poor ? t.poorRttMs : t.fairRttMs, 'round trip', ' ms');
    over(m.jitterMs, poor ? t.poorJitterMs : t.fairJitterMs, 'jitter', ' ms');
    if (!poor || classifier === 'rfc6035') {
      const limit = poor ? t.poorMos : t.fairMos;
      if (m.mos !== undefined && m.mos < limit) out.push(`MOS ${fmt(m.mos)} < ${fmt(limit)}`);
    }
    if (poor && classifier === 'ms-cqd') {
      over(m.degradationMos, t.poorDegradationMos, 'degradation', ' MOS');
      if (m.concealedRatio !== undefined && m.concealedRatio > t.poorConcealedRatio) {
        out.push(`concealed ${fmt(m.concealedRatio * 100)} % > ${fmt(t.poorConcealedRatio * 100)} %`);
      }
    }
    return out;
  };
  const poor = checks('poor');
  if (poor.length > 0) return { verdict: 'poor', reasons: poor };
  const fair = checks('fair');
  if (fair.length > 0) return { verdict: 'fair', reasons: fair };
  return { verdict: 'good', reasons: [] };
}

export function verdict(m: VerdictInput, t: VerdictThresholds = DEFAULT_VERDICT_THRESHOLDS): Verdict {
  return judge(m, t).verdict;
}
