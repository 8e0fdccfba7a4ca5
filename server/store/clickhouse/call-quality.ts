/**
 * Fleet quality aggregates on the fleet store (definitions in ../call-quality.ts): one query per
 * answer over the calls table read with FINAL (so a call's latest version counts once), the
 * percentile from `quantileExact`, whose rank ⌊level·n⌋ is the contract's.
 *
 * Device dimensions (site, model, firmware) enter as one `IN` list of device ids per value (values
 * are few, so each id appears once in the query); the peer is cut from the remote id by the rule
 * both backends share.
 */
import {
  DEVICE_DIMENSIONS, meanOfMilli, MILLI, namedDevices, ONE_WAY_LOSS_PCT, P5_LEVEL, PEER_STOP_CHARS, roundAggregate,
  type QualityBucket, type QualityKpis, type QualityRange, type QualityRow, type QualitySlice, type QualitySliceValue,
} from '../call-quality.js';
import type { ClickHouseDb } from './connection.js';
import { int, list, num, str } from './sql.js';

const PEER_SQL = `nullIf(lower(extract(ifNull(remote_id, ''), ${str(`^[^@]*@([^${PEER_STOP_CHARS.join('')}]*)`)})), '')`;
const DEVICE = 'ifNull(device_id, 0)';
const milli = (column: string) => `sum(toInt64(${column} * ${MILLI} + 0.5))`;
const KPI_COLUMNS = `count() AS calls, countIf(verdict != 'unknown') AS judged, countIf(verdict = 'poor') AS poor,
  ${milli('avg_mos')} AS mos_sum, count(avg_mos) AS with_mos, quantileExact(${P5_LEVEL})(avg_mos) AS p5,
  ${milli('max_loss_pct')} AS loss_sum, count(max_loss_pct) AS with_loss, ${milli('max_jitter_ms')} AS jitter_sum, count(max_jitter_ms) AS with_jitter,
  countIf(ifNull(max_loss_pct, 0) >= ${ONE_WAY_LOSS_PCT}) AS one_way`;

interface KpiRow {
  calls: number; judged: number; poor: number; mos_sum: number | null; with_mos: number; p5: number | null;
  loss_sum: number | null; with_loss: number; jitter_sum: number | null; with_jitter: number; one_way: number;
}

interface BucketRow { bucket: number; calls: number; judged: number; poor: number; mos_sum: number | null; with_mos: number }

function inRange(r: QualityRange): string {
  return `start_ms >= ${num(r.fromMs)} AND start_ms < ${num(r.toMs)}`;
}

/** Device ids by value, for the IN lists. */
function idsByValue(slice: QualitySlice): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [id, value] of namedDevices(slice)) {
    const ids = out.get(value);
    if (ids) ids.push(id);
    else out.set(value, [id]);
  }
  return out;
}

function keySql(slice: QualitySlice): string {
  if (slice.by === 'peer') return PEER_SQL;
  if (slice.by === 'codec') return 'codec';
  const arms = [...idsByValue(slice)].map(([value, ids]) => `${DEVICE} IN ${list(ids)}, ${str(value)}`);
  return arms.length === 0 ? 'CAST(NULL AS Nullable(String))' : `multiIf(${arms.join(', ')}, NULL)`;
}

/** The condition that picks the calls behind one breakdown row, for the calls list. */
export function sliceCondition(s: QualitySliceValue): string {
  if (DEVICE_DIMENSIONS.has(s.by)) {
    if (s.value !== null) return `${DEVICE} IN ${list(idsByValue(s).get(s.value) ?? [])}`;
    return `NOT (${DEVICE} IN ${list(namedDevices(s).map(([id]) => id))})`;
  }
  const key = keySql(s);
  return s.value === null ? `isNull(${key})` : `${key} = ${str(s.value)}`;
}

export class ClickHouseCallQuality {
  constructor(private readonly db: ClickHouseDb) {}

  async kpis(range: QualityRange): Promise<QualityKpis> {
    const [row] = await this.db.rows<KpiRow>(`SELECT ${KPI_COLUMNS} FROM calls FINAL WHERE ${inRange(range)}`);
    return kpisOf(row!);
  }

  async series(range: QualityRange, bucketMs: number): Promise<QualityBucket[]> {
    const rows = await this.db.rows<BucketRow>(`
      SELECT toInt64(floor(start_ms / ${int(bucketMs)}) * ${int(bucketMs)}) AS bucket, count() AS calls,
        countIf(verdict != 'unknown') AS judged, countIf(verdict = 'poor') AS poor, ${milli('avg_mos')} AS mos_sum, count(avg_mos) AS with_mos
      FROM calls FINAL WHERE ${inRange(range)} GROUP BY bucket ORDER BY bucket`);
    return rows.map((r) => ({ startMs: r.bucket, calls: r.calls, judged: r.judged, poor: r.poor, meanMos: meanOfMilli(r.mos_sum, r.with_mos) }));
  }

  async breakdown(range: QualityRange, slice: QualitySlice, limit: number): Promise<QualityRow[]> {
    const rows = await this.db.rows<KpiRow & { key: string | null }>(`
      SELECT ${keySql(slice)} AS key, ${KPI_COLUMNS} FROM calls FINAL WHERE ${inRange(range)} GROUP BY key
      ORDER BY judged = 0, poor / judged DESC, with_mos = 0, mos_sum / with_mos, calls DESC, isNull(key), key
      LIMIT ${int(limit)}`);
    return rows.map((r) => ({ key: r.key, ...kpisOf(r) }));
  }
}

function kpisOf(r: KpiRow): QualityKpis {
  return {
    calls: r.calls, judged: r.judged, poor: r.poor,
    meanMos: meanOfMilli(r.mos_sum, r.with_mos), p5Mos: r.with_mos === 0 ? null : roundAggregate(r.p5),
    meanLossPct: meanOfMilli(r.loss_sum, r.with_loss), meanJitterMs: meanOfMilli(r.jitter_sum, r.with_jitter),
    oneWay: r.one_way,
  };
}
