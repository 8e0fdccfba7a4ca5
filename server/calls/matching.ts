/**
 * Which stored call a report or recording speaks of, and what the call and its streams learn from
 * it: the decision every backend shares (CallStore.findOrCreateCall, addStream). A backend only
 * fetches candidates its own way (CallCandidates) and writes what this module decides, so the
 * embedded and the fleet store can never match differently.
 */
import { CORRELATION_MAX_CALL_MS, CORRELATION_SLACK_MS } from '../store/call-store.js';
import type { Call, CallInfo, CallKeys, CallStream, StreamSpec } from './model.js';

/** Calls in one time window considered at most (a fleet's concurrent calls). */
export const MAX_TIME_CANDIDATES = 5000;
/**
 * Extra slack for times corrected off a wrong device clock: the skew is a median of receive-time
 * samples, off by the report's send lag and the clock's drift since, which is seconds, not minutes.
 */
export const CLOCK_CORRECTION_SLACK_MS = 60_000;

/** What matching reads of a stored call. */
export type StoredCallKeys = Pick<Call, 'id' | 'deviceId' | 'sipCallId' | 'recordingSession' | 'localId' | 'remoteId' | 'startMs' | 'endMs' | 'active' | 'codec' | 'clockSkewMs'>;

/** What matching reads of a stored stream. */
export type StoredStreamKeys = Pick<CallStream, 'id' | 'direction' | 'ssrc' | 'localAddr' | 'localPort' | 'remoteAddr' | 'remotePort' | 'payloadType' | 'codec'>;

/**
 * Calls that may be the one: start in [startFrom, startTo] and end (or, lacking an end, start) at
 * or after endFrom. Always within one import (null: live traffic).
 */
export interface TimeWindow {
  readonly startFrom: number;
  readonly startTo: number;
  readonly endFrom: number;
}

/** How a backend answers matching's questions, all within the keys' import. */
export interface CallCandidates<C extends StoredCallKeys> {
  /** The newest call with this SIP Call-ID or recording session. */
  newestWith(key: 'sipCallId' | 'recordingSession', value: string): C | undefined;
  /**
   * Calls in the window, newest first, at most MAX_TIME_CANDIDATES; only calls without a Call-ID
   * when `withoutSipCallId` (a call with one cannot be what a report with another speaks of).
   */
  overlapping(window: TimeWindow, withoutSipCallId: boolean): readonly C[];
  /** The streams of these calls, by call id. */
  streamsOf(callIds: readonly number[]): ReadonlyMap<number, readonly StoredStreamKeys[]>;
}

/** The window time-overlap matching looks in; undefined when the keys carry no time. */
export function timeWindow(keys: CallKeys): TimeWindow | undefined {
  const from = minDefined(keys.startMs, keys.endMs);
  const to = maxDefined(keys.startMs, keys.endMs);
  if (from === undefined || to === undefined) return undefined;
  const slack = CORRELATION_SLACK_MS + (keys.clockSkewMs !== undefined ? CLOCK_CORRECTION_SLACK_MS : 0);
  return { startFrom: from - CORRELATION_MAX_CALL_MS - slack, startTo: to + slack, endFrom: from - slack };
}

/**
 * The stored call these keys speak of, in CallStore.findOrCreateCall's order: Call-ID, recording
 * session, then among calls overlapping in time an SSRC, an RTP address:port, the local/remote
 * ids, the device; newest first among equals, contradicting candidates skipped.
 */
export function findMatch<C extends StoredCallKeys>(keys: CallKeys, c: CallCandidates<C>): C | undefined {
  for (const key of ['sipCallId', 'recordingSession'] as const) {
    const value = keys[key];
    if (value === undefined) continue;
    const found = c.newestWith(key, value);
    if (found && compatible(found, keys)) return found;
  }
  const window = timeWindow(keys);
  if (!window) return undefined;
  const candidates = c.overlapping(window, keys.sipCallId !== undefined).filter((x) => compatible(x, keys));
  if (candidates.length === 0) return undefined;
  const streams = c.streamsOf(candidates.map((x) => x.id));
  const ssrcs = new Set(keys.ssrcs ?? []);
  const media = new Set((keys.media ?? []).map((m) => `${m.addr}|${m.port}`));
  const score = (x: C): number => {
    const own = streams.get(x.id) ?? [];
    if (own.some((st) => st.ssrc !== null && ssrcs.has(st.ssrc))) return 4;
    if (own.some((st) => media.has(`${st.localAddr}|${st.localPort}`) || media.has(`${st.remoteAddr}|${st.remotePort}`))) return 3;
    if (keys.localId !== undefined && keys.remoteId !== undefined && x.localId === keys.localId && x.remoteId === keys.remoteId) return 2;
    if (keys.deviceId !== undefined && x.deviceId === keys.deviceId) return 1;
    return 0;
  };
  // Candidates come newest first, so among equal scores the most recent call wins.
  let best: { call: C; score: number } | undefined;
  for (const call of candidates) {
    const sc = score(call);
    if (sc > 0 && (!best || sc > best.score)) best = { call, score: sc };
  }
  return best?.call;
}

/** A call's keys and time range after it learned from these keys (a new call: the keys alone). */
export type LearnedCall = Omit<StoredCallKeys, 'id'> & { readonly durationMs: number | null };

/** What the found call (or a new one) holds once it learned the keys it lacked and widened its time range. */
export function learn(found: StoredCallKeys | undefined, keys: CallKeys, info: CallInfo): LearnedCall {
  const startMs = minDefined(found?.startMs, keys.startMs, keys.endMs) ?? 0;
  const endMs = maxDefined(found?.endMs ?? undefined, keys.endMs) ?? null;
  return {
    deviceId: found?.deviceId ?? keys.deviceId ?? null,
    sipCallId: found?.sipCallId ?? keys.sipCallId ?? null,
    recordingSession: found?.recordingSession ?? keys.recordingSession ?? null,
    localId: found?.localId ?? keys.localId ?? null,
    remoteId: found?.remoteId ?? keys.remoteId ?? null,
    startMs,
    endMs,
    durationMs: endMs === null ? null : Math.max(0, endMs - startMs),
    active: info.active ?? found?.active ?? false,
    codec: info.codec ?? found?.codec ?? null,
    clockSkewMs: info.clockSkewMs ?? found?.clockSkewMs ?? null,
  };
}

/** The stored stream of a call a spec completes: same direction, then the SSRC or compatible addresses. */
export function matchStream<S extends StoredStreamKeys>(streams: readonly S[], spec: StreamSpec): S | undefined {
  const rows = streams.filter((r) => r.direction === spec.direction);
  const sameAddrs = (r: S) =>
    (spec.localPort === undefined || r.localPort === null || r.localPort === spec.localPort) &&
    (spec.remotePort === undefined || r.remotePort === null || r.remotePort === spec.remotePort) &&
    (spec.localAddr === undefined || r.localAddr === null || r.localAddr === spec.localAddr) &&
    (spec.remoteAddr === undefined || r.remoteAddr === null || r.remoteAddr === spec.remoteAddr);
  return spec.ssrc !== undefined
    ? rows.find((r) => r.ssrc === spec.ssrc) ?? rows.find((r) => r.ssrc === null && sameAddrs(r))
    : rows.find(sameAddrs);
}

/** A stream's fields once completed by a spec: what is stored stays, what it lacked is learned. */
export function learnStream(match: StoredStreamKeys | undefined, spec: StreamSpec): Omit<StoredStreamKeys, 'id' | 'direction'> {
  return {
    ssrc: match?.ssrc ?? spec.ssrc ?? null,
    localAddr: match?.localAddr ?? spec.localAddr ?? null,
    localPort: match?.localPort ?? spec.localPort ?? null,
    remoteAddr: match?.remoteAddr ?? spec.remoteAddr ?? null,
    remotePort: match?.remotePort ?? spec.remotePort ?? null,
    payloadType: match?.payloadType ?? spec.payloadType ?? null,
    codec: match?.codec ?? spec.codec ?? null,
  };
}

/**
 * A candidate contradicts the keys when both name a Call-ID, session or device and they differ (a
 * backend that fetches streams in a second step may skip those of contradicting candidates).
 */
export function compatible(c: StoredCallKeys, k: CallKeys): boolean {
  const clash = <T>(a: T | null, b: T | undefined) => a !== null && b !== undefined && a !== b;
  return !clash(c.sipCallId, k.sipCallId) && !clash(c.recordingSession, k.recordingSession) && !clash(c.deviceId, k.deviceId);
}

function minDefined(...v: Array<number | undefined>): number | undefined {
  const d = v.filter((x): x is number => x !== undefined);
  return d.length > 0 ? Math.min(...d) : undefined;
}

function maxDefined(...v: Array<number | undefined>): number | undefined {
  const d = v.filter((x): x is number => x !== undefined);
  return d.length > 0 ? Math.max(...d) : undefined;
}
