// GET /api/quality as the dashboard reads it (shapes in server/json/quality.ts), checked at the boundary.
import type { QualityDimensionJson, QualityJson, QualityKpisJson } from '../../server/json/quality.js';
import { ApiError } from './api.js';

export type { QualityJson, QualityKpisJson, QualityRowJson } from '../../server/json/quality.js';
export { NO_VALUE } from '../../server/json/quality.js';

/** The dimensions a breakdown can be by, in the selector's order; `id` is also the calls-list filter's name. */
export const QUALITY_BY: ReadonlyArray<{ id: QualityDimensionJson; label: string }> = [
  { id: 'site', label: 'Site' },
  { id: 'model', label: 'Model' },
  { id: 'firmware', label: 'Firmware' },
  { id: 'peer', label: 'Peer' },
  { id: 'codec', label: 'Codec' },
];

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const numOrNull = (x: unknown) => x === null || isNum(x);

function isKpis(x: unknown): x is QualityKpisJson {
  return isObj(x) && isNum(x.calls) && isNum(x.judged) && isNum(x.poor) && numOrNull(x.poorPct) && numOrNull(x.meanMos) && numOrNull(x.p5Mos)
    && numOrNull(x.meanLossPct) && numOrNull(x.meanJitterMs) && isNum(x.oneWay) && numOrNull(x.crashes);
}

function isQuality(x: unknown): x is QualityJson {
  return isObj(x) && typeof x.from === 'string' && typeof x.to === 'string' && typeof x.previousFrom === 'string' && isNum(x.bucketMs)
    && isKpis(x.kpis) && isKpis(x.previous) && Array.isArray(x.series)
    && x.series.every((p) => isObj(p) && typeof p.start === 'string' && isNum(p.calls) && numOrNull(p.poorPct) && numOrNull(p.meanMos))
    && Array.isArray(x.breakdown) && x.breakdown.every((r) => isObj(r) && (r.key === null || typeof r.key === 'string') && isKpis(r));
}

export async function fetchQuality(q: { from: number; to: number; by: QualityDimensionJson }, signal?: AbortSignal): Promise<QualityJson> {
  const p = new URLSearchParams({ from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), by: q.by });
  const res = await fetch(`/api/quality?${p.toString()}`, { headers: { accept: 'application/json' }, signal });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(`/api/quality answered ${res.status}${isObj(body) && typeof body.error === 'string' ? `: ${body.error}` : ''}`);
  if (!isQuality(body)) throw new ApiError('/api/quality answered with an unexpected shape');
  return body;
}
