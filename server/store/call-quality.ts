/**
 * Fleet quality aggregates (part of the CallStore contract): KPIs, a time series and breakdowns of
 * the calls that started in a time range, computed by the database over the calls' summary
 * columns, never by reading every call into the process. Every backend gives the same numbers
 * for the same stored calls (test/contract/call-quality.test.ts).
 *
 * Definitions (what the tiles say, docs/api.md repeats them):
 * - a call belongs to the range (and bucket) it **started** in, so adjacent ranges never count a
 *   call twice;
 * - `judged`: calls with a verdict (not `unknown`); poor share = `poor / judged`;
 * - MOS of a call is its duration-weighted average MOS (`avgMos`); `meanMos` its mean over the
 *   calls that have one (means are of values in thousandths, see MILLI), `p5Mos` the 5th percentile (the value at 0-based rank ⌊0.05·n⌋ of
 *   the calls' MOS sorted ascending: 95 % of calls did at least this well);
 * - loss and jitter: the mean of each call's worst (`maxLossPct`, `maxJitterMs`);
 * - one-way audio: calls with a stream that lost every packet (worst loss ≥ 100 %: the phone, or
 *   the far end, heard nothing).
 */

export type QualityDimension = 'site' | 'model' | 'firmware' | 'peer' | 'codec';
export const QUALITY_DIMENSIONS: readonly QualityDimension[] = ['site', 'model', 'firmware', 'peer', 'codec'];
/** Dimensions that are a property of the phone: the caller names each device's value. */
export const DEVICE_DIMENSIONS: ReadonlySet<QualityDimension> = new Set(['site', 'model', 'firmware']);
/** A worst loss at or above this means the stream carried nothing. */
export const ONE_WAY_LOSS_PCT = 100;
export const P5_LEVEL = 0.05;

/** Calls that started in [fromMs, toMs). */
export interface QualityRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface QualityKpis {
  readonly calls: number;
  readonly judged: number;
  readonly poor: number;
  readonly meanMos: number | null;
  readonly p5Mos: number | null;
  readonly meanLossPct: number | null;
  readonly meanJitterMs: number | null;
  readonly oneWay: number;
}

/** One step of the series: calls that started in [startMs, startMs + bucketMs). Empty buckets are left out. */
export interface QualityBucket {
  readonly startMs: number;
  readonly calls: number;
  readonly judged: number;
  readonly poor: number;
  readonly meanMos: number | null;
}

export interface QualitySlice {
  readonly by: QualityDimension;
  /**
   * For site, model and firmware: each device's value, as `[deviceId, value]`. Calls of devices not
   * listed (and calls without a device) have no value (`key: null`).
   */
  readonly deviceValues?: ReadonlyArray<readonly [number, string]>;
}

/** The calls behind one row of a breakdown: the slice's dimension has this value (null: not known). */
export interface QualitySliceValue extends QualitySlice {
  readonly value: string | null;
}

/**
 * A breakdown row. Rows come worst first: highest poor share (rows without a judged call last),
 * then lowest mean MOS (none last), then most calls, then the key (bytewise, null last).
 */
export interface QualityRow extends QualityKpis {
  /** The dimension's value; null: not known (no codec, no peer host, a device without a model …). */
  readonly key: string | null;
}

/** The device values a slice names, as both backends read them: empty values dropped, the first of a device kept. */
export function namedDevices(slice: QualitySlice): Array<readonly [number, string]> {
  const seen = new Map<number, string>();
  for (const [id, value] of slice.deviceValues ?? []) if (value !== '' && !seen.has(id)) seen.set(id, value);
  return [...seen];
}

/**
 * Means are summed in thousandths: each call's value is made a whole number of thousandths
 * (`value · 1000 + 0.5`, truncated: every value is ≥ 0) and the database adds integers, so the
 * sum is exact and the same on every backend whatever order it adds in; the division happens here.
 */
export const MILLI = 1000;

export function meanOfMilli(sum: number | null, n: number): number | null {
  return n === 0 || sum === null ? null : roundAggregate(sum / n / MILLI);
}

/** Three decimals: what the API gives. */
export function roundAggregate(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000;
}

/**
 * The far end's SIP host as both backends compute it in SQL: the text after the first `@` of the
 * remote id up to the first of `; > :` or white space, lower-cased (ASCII); none when empty. The
 * same rule as metrics' peerOf (server/metrics/prometheus.ts) for every id a phone sends.
 */
export const PEER_STOP_CHARS = [';', '>', ':', ' ', '\t', '\n', '\f', '\r'] as const;
