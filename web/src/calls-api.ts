// The calls, recordings and crash-count API as the dashboard reads it. Every shape is checked at
// the boundary: a call that fails its guard is counted and not shown, never rendered half-understood.
import type { CallJson, CallSegmentJson, CallStreamJson, SampleJson, VerdictJson } from '../../server/json/types.js';
import { ApiError } from './api.js';

export type Verdict = VerdictJson;
export type CallSegment = CallSegmentJson;
/** A call as the list and the live push send it (server/json/types.ts). */
export type CallSummary = CallJson;
export type CallStream = CallStreamJson;

export interface CallDetail extends CallSummary {
  device: { id: number; address: string; mac: string | null; model: string | null } | null;
  streams: CallStream[];
}

export interface Band { fair: number; poor: number; lowerIsWorse: boolean }

export interface TimelineSeries {
  streamId: number | null;
  direction: 'rx' | 'tx' | null;
  source: string;
  metric: string;
  unit: string;
  points: Array<[number, number, number]>;
}

export interface Timeline {
  callId: number;
  bands: Record<'mos' | 'lossPct' | 'jitterMs' | 'roundTripMs', Band>;
  series: TimelineSeries[];
}

export type Sample = SampleJson;

export interface RecordedStream {
  id: number; direction: string; codec: string | null; audio: boolean; ssrc: number | null; packets: number; lost: number;
  /** 'rtp' for the call's RTP, 'pcm' for the PCM recordings (network/TDM out, TDM in, DSP PCM). */
  kind: string;
  recordingKind: string;
}

/** One of the phone's debug recordings in a recorded call (docs/api.md). */
export interface RecordingKindCount { kind: string; name: string; mediaType: number | null; datagrams: number; bytes: number; pcm: boolean; undecoded: number }

export interface RecordedCall {
  id: number;
  sessionId: string;
  deviceAddr: string;
  start: string;
  end: string;
  active: boolean;
  datagrams: number;
  recordingGaps: number;
  undecodableCodecs: string[];
  recordingKinds?: RecordingKindCount[];
  streams?: RecordedStream[];
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const numOrNull = (x: unknown): boolean => x === null || isNum(x);
const strOrNull = (x: unknown): boolean => x === null || isStr(x);

export function isCallSummary(x: unknown): x is CallSummary {
  return isObj(x) && isNum(x.id) && isStr(x.start) && strOrNull(x.end) && typeof x.active === 'boolean' && isStr(x.verdict) &&
    Array.isArray(x.sources) && Array.isArray(x.segments) && numOrNull(x.worstMos) && numOrNull(x.avgMos) &&
    numOrNull(x.maxLossPct) && numOrNull(x.maxJitterMs) && strOrNull(x.localId) && strOrNull(x.remoteId) && numOrNull(x.deviceId);
}

function isSeries(x: unknown): x is TimelineSeries {
  return isObj(x) && isStr(x.source) && isStr(x.metric) && Array.isArray(x.points) &&
    x.points.every((p) => Array.isArray(p) && p.length === 3 && p.every(isNum));
}

export function isSample(x: unknown): x is Sample {
  return isObj(x) && isStr(x.source) && isNum(x.startMs) && isNum(x.endMs) && isObj(x.metrics) && numOrNull(x.streamId);
}

async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    const detail = isObj(body) && isStr(body.error) ? `: ${body.error}` : '';
    throw new ApiError(`${path.split('?')[0]} answered ${res.status}${detail}`);
  }
  return res.json();
}

export interface CallQuery {
  device?: string;
  from?: number;
  to?: number;
  verdict?: Verdict[];
  q?: string;
  /** Calls that started in [startFrom, startTo) (ISO), as the quality view counts them. */
  startFrom?: string;
  startTo?: string;
  /** The calls behind one quality breakdown row: `{ by: 'model', value: '420HD' }` (NO_VALUE for the unknown row). */
  slice?: { by: string; value: string };
  sort?: string;
  order?: 'asc' | 'desc';
  offset?: number;
  limit: number;
}

export interface CallPage { calls: CallSummary[]; total: number; invalid: number }

export async function fetchCalls(query: CallQuery, signal?: AbortSignal): Promise<CallPage> {
  const p = new URLSearchParams();
  if (query.device) p.set('device', query.device);
  if (query.from !== undefined) p.set('from', String(Math.round(query.from)));
  if (query.to !== undefined) p.set('to', String(Math.round(query.to)));
  if (query.verdict && query.verdict.length > 0) p.set('verdict', query.verdict.join(','));
  if (query.q) p.set('q', query.q);
  if (query.startFrom) p.set('startFrom', query.startFrom);
  if (query.startTo) p.set('startTo', query.startTo);
  if (query.slice) p.set(query.slice.by, query.slice.value);
  if (query.sort) p.set('sort', query.sort);
  if (query.order) p.set('order', query.order);
  if (query.offset) p.set('offset', String(query.offset));
  p.set('limit', String(query.limit));
  const body = await getJson(`/api/calls?${p.toString()}`, signal);
  if (!isObj(body) || !Array.isArray(body.calls) || !isNum(body.total)) throw new ApiError('/api/calls answered with an unexpected shape');
  const calls = body.calls.filter(isCallSummary);
  return { calls, total: body.total, invalid: body.calls.length - calls.length };
}

export async function fetchCall(id: number): Promise<CallDetail> {
  const body = await getJson(`/api/calls/${id}`);
  if (!isCallSummary(body) || !Array.isArray((body as unknown as Obj).streams)) throw new ApiError(`/api/calls/${id} answered with an unexpected shape`);
  return body as CallDetail;
}

export async function fetchTimeline(id: number, maxPoints: number, window?: { from: number; to: number }, signal?: AbortSignal): Promise<Timeline> {
  const p = new URLSearchParams({ maxPoints: String(maxPoints) });
  if (window) {
    p.set('from', String(Math.floor(window.from)));
    p.set('to', String(Math.ceil(window.to)));
  }
  const body = await getJson(`/api/calls/${id}/timeline?${p.toString()}`, signal);
  if (!isObj(body) || !Array.isArray(body.series) || !isObj(body.bands)) throw new ApiError(`/api/calls/${id}/timeline answered with an unexpected shape`);
  return { callId: id, bands: body.bands as Timeline['bands'], series: body.series.filter(isSeries) };
}

/** The recording of a call: found by the phone's address and the ACDR session the call model names. */
export async function findRecording(call: CallDetail): Promise<RecordedCall | null> {
  if (!call.recordingSession || !call.device) return null;
  const p = new URLSearchParams({ device: call.device.address, from: call.start, to: call.end ?? new Date().toISOString(), limit: '50' });
  const body = await getJson(`/api/recordings/calls?${p.toString()}`);
  if (!isObj(body) || !Array.isArray(body.calls)) return null;
  const match = body.calls.find((c): c is Obj => isObj(c) && c.sessionId === call.recordingSession && isNum(c.id));
  if (!match) return null;
  const full = await getJson(`/api/recordings/calls/${String(match.id)}`);
  return isObj(full) && isNum(full.id) && Array.isArray(full.streams) ? (full as unknown as RecordedCall) : null;
}

/** Crashes per device key (id, address or MAC as the crash API names them), from the groups' tallies. */
export async function fetchCrashCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const body = await getJson('/api/crashes?limit=500').catch(() => null);
  const groups = isObj(body) && Array.isArray(body.groups) ? body.groups : [];
  for (const g of groups) {
    if (!isObj(g) || !isObj(g.byDevice)) continue;
    for (const [dev, n] of Object.entries(g.byDevice)) if (isNum(n)) out.set(dev, (out.get(dev) ?? 0) + n);
  }
  return out;
}

/** A recorded call in progress, as `/api/recordings/calls?active=true` and `recordings:update` give it. */
export interface LiveRecording {
  id: number;
  sessionId: string;
  deviceAddr: string;
  start: string;
  active: boolean;
  worstMos: number | null;
  avgMos: number | null;
  maxLossPct: number | null;
  verdict: Verdict;
}

export function isLiveRecording(x: unknown): x is LiveRecording {
  return isObj(x) && isNum(x.id) && isStr(x.sessionId) && isStr(x.deviceAddr) && isStr(x.start) && typeof x.active === 'boolean' &&
    numOrNull(x.worstMos) && numOrNull(x.avgMos) && numOrNull(x.maxLossPct) && isStr(x.verdict);
}

/** Recordings still growing: the calls in progress, with MOS so far, before any report ends them. */
export async function fetchActiveRecordings(): Promise<LiveRecording[]> {
  const body = await getJson('/api/recordings/calls?active=true&limit=100');
  return isObj(body) && Array.isArray(body.calls) ? body.calls.filter(isLiveRecording) : [];
}
