/**
 * Named scenarios: which impairments each call gets, and when. docs/simulator.md describes them
 * for people; this is the one place that decides. Network impairments hit the stream the phone
 * receives ('rx'): that is what its recording, its RTCP reports and its end-of-call report see.
 * Hold and codec changes concern the whole call ('both').
 */
import type { G711Codec, Rng } from './plan.js';

export const SCENARIOS = ['clean', 'bursty-loss', 'one-way', 'jitter-storm', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type ImpairmentKind = 'random-loss' | 'loss-burst' | 'jitter-spike' | 'one-way' | 'codec-change' | 'hold';

export interface Impairment {
  readonly kind: ImpairmentKind;
  readonly stream: 'rx' | 'both';
  /** Virtual ms from the simulation start; [startMs, endMs). */
  readonly startMs: number;
  readonly endMs: number;
  /** random-loss: chance that each packet is lost, %. */
  readonly lossPct?: number;
  /** jitter-spike: extra one-way delay drawn per packet from [0, maxDelayMs). */
  readonly maxDelayMs?: number;
  /** codec-change: the codec both sides switch to (re-INVITE). */
  readonly toCodec?: G711Codec;
}

/** What a scenario needs to know of a call. */
export interface CallWindow {
  readonly index: number;
  readonly answerMs: number;
  readonly endMs: number;
  readonly codec: G711Codec;
}

/** Impairments keep clear of the call's first and last seconds, so setup and teardown stay clean. */
const EDGE_MS = 2000;
/** Gap kept between two windows, so each shows as its own event in every view. */
const SPACING_MS = 1000;
const BACKGROUND_LOSS_PCT = 0.5;

function between(rnd: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** Up to `count` non-overlapping windows of [minMs, maxMs] inside the call, in time order. */
function windows(rnd: Rng, call: CallWindow, count: number, minMs: number, maxMs: number): Array<[number, number]> {
  const lo = call.answerMs + EDGE_MS;
  const hi = call.endMs - EDGE_MS;
  const out: Array<[number, number]> = [];
  for (let attempt = 0; attempt < count * 8 && out.length < count; attempt++) {
    const len = between(rnd, minMs, maxMs);
    if (hi - lo < len) continue;
    const start = lo + Math.floor(rnd() * (hi - lo - len));
    const clash = out.some(([s, e]) => start < e + SPACING_MS && start + len + SPACING_MS > s);
    if (!clash) out.push([start, start + len]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function burstyLoss(rnd: Rng, call: CallWindow): Impairment[] {
  return [
    { kind: 'random-loss', stream: 'rx', startMs: call.answerMs, endMs: call.endMs, lossPct: BACKGROUND_LOSS_PCT },
    ...windows(rnd, call, between(rnd, 1, 3), 300, 2500).map(([s, e]): Impairment => ({ kind: 'loss-burst', stream: 'rx', startMs: s, endMs: e })),
  ];
}

function jitterStorm(rnd: Rng, call: CallWindow): Impairment[] {
  return windows(rnd, call, between(rnd, 1, 3), 2000, 6000)
    .map(([s, e]): Impairment => ({ kind: 'jitter-spike', stream: 'rx', startMs: s, endMs: e, maxDelayMs: between(rnd, 80, 250) }));
}

function oneWay(call: CallWindow): Impairment[] {
  return [{ kind: 'one-way', stream: 'rx', startMs: call.answerMs, endMs: call.endMs }];
}

function hold(rnd: Rng, call: CallWindow): Impairment[] {
  return windows(rnd, call, 1, 5000, 15_000).map(([s, e]): Impairment => ({ kind: 'hold', stream: 'both', startMs: s, endMs: e }));
}

function codecChange(rnd: Rng, call: CallWindow): Impairment[] {
  const at = call.answerMs + EDGE_MS + Math.floor(rnd() * Math.max(0, call.endMs - call.answerMs - 2 * EDGE_MS));
  return [{ kind: 'codec-change', stream: 'both', startMs: at, endMs: call.endMs, toCodec: call.codec === 'PCMU' ? 'PCMA' : 'PCMU' }];
}

/** The first call of a mixed run is poor for sure (about a fifth of it lost), so a demo shows one at once. */
function certainlyPoor(call: CallWindow): Impairment[] {
  const len = Math.round(Math.min(4000, (call.endMs - call.answerMs) * 0.2));
  const start = call.answerMs + Math.min(5000, Math.round((call.endMs - call.answerMs) * 0.3));
  return [{ kind: 'loss-burst', stream: 'rx', startMs: start, endMs: start + len }];
}

export function planImpairments(scenario: ScenarioName, call: CallWindow, rnd: Rng): Impairment[] {
  switch (scenario) {
    case 'clean':
      return [];
    case 'bursty-loss':
      return burstyLoss(rnd, call);
    case 'one-way':
      return oneWay(call);
    case 'jitter-storm':
      return jitterStorm(rnd, call);
    case 'mixed': {
      if (call.index === 0) return certainlyPoor(call);
      const u = rnd();
      if (u < 0.5) return [];
      if (u < 0.65) return burstyLoss(rnd, call);
      if (u < 0.75) return jitterStorm(rnd, call);
      if (u < 0.82) return oneWay(call);
      if (u < 0.91) return hold(rnd, call);
      return codecChange(rnd, call);
    }
  }
}
