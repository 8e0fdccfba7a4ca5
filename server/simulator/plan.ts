/**
 * The simulation plan: which phones exist and which calls they make, with every impairment fixed
 * in advance. Everything is drawn from seeded PRNGs, one per phone and per call, so the plan (and
 * every byte generated from it) depends only on the options, never on generation order or time.
 * Times here are offsets in ms from the simulation start (the virtual clock).
 */
import { seededRandom } from './wire/rtp-stream.js';
import { planImpairments, type Impairment, type ScenarioName } from './scenarios.js';
import type { SimRecordingKind } from './recording-kinds.js';

export type Rng = () => number;
export type G711Codec = 'PCMU' | 'PCMA';

export interface SimOptions {
  readonly phones: number;
  /** Calls each phone starts per hour on average (its busy-hour call attempts). */
  readonly callsPerHour: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly scenario: ScenarioName;
  /** Wall-clock instant of virtual time 0, ms since the epoch. */
  readonly startMs: number;
  /** Phones get loopback aliases when the target is on loopback, documentation-range addresses otherwise. */
  readonly loopback: boolean;
  /**
   * Simulate only phones with index % count === index, so several processes can share one fleet
   * (the plan, and so every phone's traffic, is the same as in a single process).
   */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Mean time between one phone's voip_task crashes (server/simulator/crash.ts); no crashes when absent. */
  readonly crashEveryMs?: number;
  /** Debug recordings sent beside RTP in every call (server/simulator/recording-kinds.ts); none when absent. */
  readonly recordingKinds?: readonly SimRecordingKind[];
  /**
   * Phones whose clock is wrong (a bad time server or offset): phone i's clock is off by entry
   * i % length, ms (positive: ahead). Its syslog and report times show it; the ACDR tick does not
   * (it counts from boot). All clocks right when absent.
   */
  readonly clockSkewsMs?: readonly number[];
}

export const MODELS = ['405HD', '420HD', '430HD', '440HD', '445HD', '450HD'] as const;
/** One phone in four runs Skype-for-Business firmware (QoE SERVICE instead of vq-rtcpxr PUBLISH). */
const SFB_SHARE = 0.25;
const BOOT_SPREAD_MS = 3000;
/** Registration, then some idle time before a phone's first call can start. */
const FIRST_CALL_AFTER_BOOT_MS = 4000;
const CALL_MIN_MS = 20_000;
const CALL_MAX_MS = 90_000;
const RING_MIN_MS = 1000;
const RING_MAX_MS = 4000;
/** Calls end this long before the simulation does, so BYE, BYE's RTCP and the report still go out. */
const WIND_DOWN_MS = 1500;
/** The first call of a mixed run is its sure poor one: kept short so it ends, and is judged, within a demo's first minute. */
const FIRST_MIXED_CALL_MAX_MS = 25_000;
const FIRST_RTP_PORT = 4000;
const RTP_PORTS_PER_PHONE = 100;

export interface SimPhone {
  readonly index: number;
  readonly addr: string;
  readonly mac: string;
  readonly model: (typeof MODELS)[number];
  readonly firmware: string;
  /** Skype for Business firmware: reports by MS-QoE SERVICE. */
  readonly sfb: boolean;
  /** ACDR board id: the MAC's last three bytes (acdr spec §2.6). */
  readonly boardId: number;
  /** ACDR reset counter: how many times this phone has booted. */
  readonly resetCounter: number;
  readonly extension: string;
  /** Syslog shape: RFC 3164 without hostname (busybox syslogd), with the IP, or with a name. */
  readonly syslogHost: 'none' | 'ip' | 'name';
  readonly bootAtMs: number;
  readonly registerAtMs: number;
  /** How far its wall clock is off, ms (positive: ahead); 0 for a right clock. */
  readonly clockSkewMs: number;
}

export interface SimCall {
  readonly index: number;
  readonly phone: SimPhone;
  /** ACDR session number, counting from 1 per phone boot. */
  readonly session: number;
  readonly sipCallId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly outgoing: boolean;
  readonly remoteNumber: string;
  readonly remoteAddr: string;
  readonly remoteRtpPort: number;
  readonly localRtpPort: number;
  readonly ssrcTx: number;
  readonly ssrcRx: number;
  readonly codec: G711Codec;
  readonly inviteMs: number;
  readonly answerMs: number;
  readonly endMs: number;
  readonly impairments: readonly Impairment[];
  /** Seed of the call's own PRNG (media: random loss, jitter). */
  readonly mediaSeed: number;
}

export interface SimPlan {
  readonly options: SimOptions;
  readonly phones: readonly SimPhone[];
  readonly calls: readonly SimCall[];
}

/** Independent, well-spread sub-seeds: splitmix-style mixing of (seed, stream, index). */
export function subSeed(seed: number, stream: number, index: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const STREAM_PHONE = 1;
const STREAM_CALL = 2;

function between(rnd: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Loopback aliases 127.0.1.1… (Linux routes all of 127/8 to lo); 10.20.x.y for a remote target. */
export function phoneAddress(index: number, loopback: boolean): string {
  const hi = 1 + Math.floor(index / 250);
  const lo = 1 + (index % 250);
  return loopback ? `127.0.${hi}.${lo}` : `10.20.${hi}.${lo}`;
}

function makePhone(index: number, o: SimOptions): SimPhone {
  const rnd = seededRandom(subSeed(o.seed, STREAM_PHONE, index));
  const tail = (0x100000 + ((index * 0x3b1 + subSeed(o.seed, 0, 0)) & 0xeffff)) & 0xffffff;
  const mac = `00:90:8f:${hex(tail >>> 16, 2)}:${hex((tail >>> 8) & 0xff, 2)}:${hex(tail & 0xff, 2)}`;
  const sfb = rnd() < SFB_SHARE;
  const bootAtMs = Math.floor(rnd() * BOOT_SPREAD_MS);
  return {
    index,
    addr: phoneAddress(index, o.loopback),
    mac,
    model: MODELS[Math.floor(rnd() * MODELS.length)]!,
    firmware: sfb ? `UC_3.1.${between(rnd, 0, 4)}.${between(rnd, 100, 399)}` : `UC_3.4.${between(rnd, 2, 8)}.${between(rnd, 100, 999)}`,
    sfb,
    boardId: tail,
    resetCounter: between(rnd, 1, 40),
    extension: String(2001 + index),
    syslogHost: (['none', 'ip', 'name'] as const)[index % 3]!,
    bootAtMs,
    registerAtMs: bootAtMs + 1500,
    clockSkewMs: o.clockSkewsMs && o.clockSkewsMs.length > 0 ? o.clockSkewsMs[index % o.clockSkewsMs.length]! : 0,
  };
}

/** Exponential inter-arrival with the given mean: calls arrive as a Poisson process per phone. */
function exponential(rnd: Rng, meanMs: number): number {
  return -Math.log(1 - rnd()) * meanMs;
}

export function planSimulation(o: SimOptions): SimPlan {
  const phones = Array.from({ length: o.phones }, (_, i) => makePhone(i, o));
  const calls: SimCall[] = [];
  const meanGapMs = o.callsPerHour > 0 ? 3_600_000 / o.callsPerHour : Infinity;
  const lastEndMs = o.durationMs - WIND_DOWN_MS;
  // Per phone first, then ordered by start, so call indices follow time and stay stable for a seed.
  const drafts: Array<Omit<SimCall, 'index' | 'impairments'>> = [];
  for (const phone of phones) {
    const rnd = seededRandom(subSeed(o.seed, STREAM_PHONE, phone.index) ^ 0x5bd1e995);
    let t = phone.registerAtMs + FIRST_CALL_AFTER_BOOT_MS + Math.min(exponential(rnd, meanGapMs), o.durationMs);
    let session = 0;
    while (Number.isFinite(t)) {
      const answerMs = t + between(rnd, RING_MIN_MS, RING_MAX_MS);
      const endMs = Math.min(answerMs + between(rnd, CALL_MIN_MS, CALL_MAX_MS), lastEndMs);
      if (endMs - answerMs < CALL_MIN_MS / 2) break;
      session++;
      const outgoing = rnd() < 0.6;
      const tag = hex(Math.floor(rnd() * 0xffffffff), 8);
      drafts.push({
        phone,
        session,
        sipCallId: `${hex(Math.floor(rnd() * 0xffffffff), 8)}${hex(session, 4)}@${phone.addr}`,
        fromTag: tag,
        toTag: hex(Math.floor(rnd() * 0xffffffff), 8),
        outgoing,
        remoteNumber: String(between(rnd, 3000, 3999)),
        remoteAddr: `198.51.100.${between(rnd, 10, 250)}`,
        remoteRtpPort: 20000 + 2 * between(rnd, 0, 4999),
        localRtpPort: FIRST_RTP_PORT + 2 * ((session - 1) % (RTP_PORTS_PER_PHONE / 2)),
        ssrcTx: Math.floor(rnd() * 0xffffffff) >>> 0,
        ssrcRx: Math.floor(rnd() * 0xffffffff) >>> 0,
        codec: rnd() < 0.5 ? 'PCMU' : 'PCMA',
        inviteMs: Math.round(t),
        answerMs: Math.round(answerMs),
        endMs: Math.round(endMs),
        mediaSeed: 0,
      });
      t = endMs + Math.max(2000, exponential(rnd, meanGapMs));
    }
  }
  drafts.sort((a, b) => a.inviteMs - b.inviteMs || a.phone.index - b.phone.index);
  for (const [index, d] of drafts.entries()) {
    const rnd = seededRandom(subSeed(o.seed, STREAM_CALL, index));
    const endMs = o.scenario === 'mixed' && index === 0 ? Math.min(d.endMs, d.answerMs + FIRST_MIXED_CALL_MAX_MS) : d.endMs;
    const call = { ...d, index, endMs, mediaSeed: subSeed(o.seed, STREAM_CALL + 1, index), impairments: [] as Impairment[] };
    call.impairments = planImpairments(o.scenario, call, rnd);
    calls.push(call);
  }
  const shard = o.shard;
  if (!shard) return { options: o, phones, calls };
  const mine = (p: SimPhone): boolean => p.index % shard.count === shard.index;
  return { options: o, phones: phones.filter(mine), calls: calls.filter((c) => mine(c.phone)) };
}

/** `board:reset:session` as the recordings pipeline and tshark's acdr.session_id show it. */
export function recordingSession(call: SimCall): string {
  return `${call.phone.boardId.toString(16)}:${call.phone.resetCounter}:${call.session}`;
}
