/**
 * The JSON of `GET /api/quality` (docs/api.md), shared with the dashboard (web/src/quality-page.ts).
 * Imports nothing: web/ compiles it without Node's types.
 */

export type QualityDimensionJson = 'site' | 'model' | 'firmware' | 'peer' | 'codec';

/** In a calls-list filter (`?model=(none)`): the breakdown's row of calls without that value. */
export const NO_VALUE = '(none)';

export interface QualityKpisJson {
  calls: number;
  /** Calls with a verdict; the poor share is poor / judged. */
  judged: number;
  poor: number;
  /** 0–100, null without a judged call. */
  poorPct: number | null;
  meanMos: number | null;
  p5Mos: number | null;
  meanLossPct: number | null;
  meanJitterMs: number | null;
  oneWay: number;
  /** Crashes in the range; in a breakdown only by model and firmware (a crash names its own), else null. */
  crashes: number | null;
}

export interface QualityPointJson {
  start: string;
  calls: number;
  judged: number;
  poor: number;
  poorPct: number | null;
  meanMos: number | null;
}

export interface QualityRowJson extends QualityKpisJson {
  /** The dimension's value; null: not known (the calls list filter for it is NO_VALUE). */
  key: string | null;
}

export interface QualityJson {
  from: string;
  to: string;
  /** The previous period of the same length, ending where this one starts. */
  previousFrom: string;
  bucketMs: number;
  by: QualityDimensionJson;
  kpis: QualityKpisJson;
  previous: QualityKpisJson;
  /** Every step of the range, empty ones with zero calls. */
  series: QualityPointJson[];
  /** Worst first. */
  breakdown: QualityRowJson[];
  /** True when the dimension has more values than the rows asked for. */
  truncated: boolean;
}
