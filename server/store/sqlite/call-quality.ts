/**
 * Fleet quality aggregates on the embedded store (definitions in ../call-quality.ts). Each answer
 * is one or two statements over the calls' summary columns, walking the `calls_quality` index
 * (start first, then every column the aggregates read), so a range reads only its own calls.
 *
 * Device dimensions (site, model, firmware) join the caller's device → value list (a temporary
 * table for a breakdown, one JSON parameter for the calls list's filter); the peer is cut from the
 * remote id in SQL by the rule both backends share.
 */
import type { Database as Db } from 'better-sqlite3';
import {
  DEVICE_DIMENSIONS, meanOfMilli, MILLI, namedDevices, ONE_WAY_LOSS_PCT, P5_LEVEL, PEER_STOP_CHARS, roundAggregate,
  type QualityBucket, type QualityKpis, type QualityRange, type QualityRow, type QualitySlice, type QualitySliceValue,
} from '../call-quality.js';

const AFTER_AT = "substr(remote_id, instr(remote_id, '@') + 1)";
/** The peer host (see PEER_STOP_CHARS): up to the first stop character after the first '@'. */
const PEER_SQL = `CASE WHEN instr(remote_id, '@') > 0 THEN NULLIF(lower(substr(${AFTER_AT}, 1, min(${PEER_STOP_CHARS.map((c) =>
  `COALESCE(NULLIF(instr(${AFTER_AT}, char(${c.charCodeAt(0)})), 0), length(${AFTER_AT}) + 1)`).join(', ')}) - 1)), '') END`;

const milli = (column: string) => `SUM(CAST(${column} * ${MILLI} + 0.5 AS INTEGER))`;
const KPI_COLUMNS = `COUNT(*) AS calls, COALESCE(SUM(verdict <> 'unknown'), 0) AS judged, COALESCE(SUM(verdict = 'poor'), 0) AS poor,
  ${milli('avg_mos')} AS mos_sum, COUNT(avg_mos) AS with_mos, ${milli('max_loss_pct')} AS loss_sum, COUNT(max_loss_pct) AS with_loss,
  ${milli('max_jitter_ms')} AS jitter_sum, COUNT(max_jitter_ms) AS with_jitter, COALESCE(SUM(max_loss_pct >= ${ONE_WAY_LOSS_PCT}), 0) AS one_way`;
const IN_RANGE = 'start_ms >= @fromMs AND start_ms < @toMs';
/** Device values of the breakdown being answered; a temporary table, so the join looks each device up by key. */
const DEVICE_VALUES = 'temp.quality_device_values';

interface KpiRow {
  calls: number; judged: number; poor: number; mos_sum: number | null; with_mos: number; loss_sum: number | null; with_loss: number;
  jitter_sum: number | null; with_jitter: number; one_way: number;
}

/** The condition (and its parameters) that picks the calls behind one breakdown row, for the calls list. */
export function sliceCondition(s: QualitySliceValue): { sql: string; params: Record<string, unknown> } {
  if (DEVICE_DIMENSIONS.has(s.by)) {
    const params = { deviceValues: JSON.stringify(namedDevices(s)) };
    const listed = "SELECT json_extract(value, '$[0]') FROM json_each(@deviceValues)";
    return s.value === null
      ? { sql: `(device_id IS NULL OR device_id NOT IN (${listed}))`, params }
      : { sql: `device_id IN (${listed} WHERE json_extract(value, '$[1]') = @sliceValue)`, params: { ...params, sliceValue: s.value } };
  }
  const key = s.by === 'peer' ? PEER_SQL : 'codec';
  return s.value === null ? { sql: `${key} IS NULL`, params: {} } : { sql: `${key} = @sliceValue`, params: { sliceValue: s.value } };
}

export class CallQualityQueries {
  constructor(private readonly db: Db) {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS quality_device_values (device_id INTEGER PRIMARY KEY, value TEXT NOT NULL)`);
  }

  /** The percentile walks the MOS index from the lowest, counting the range's calls: a few per cent of the table at most. */
  kpis(range: QualityRange): QualityKpis {
    const row = this.db.prepare(`SELECT ${KPI_COLUMNS} FROM calls WHERE ${IN_RANGE}`).get(range) as KpiRow;
    const p5 = row.with_mos === 0 ? undefined : this.db.prepare(`SELECT avg_mos AS m FROM calls INDEXED BY calls_mos
      WHERE avg_mos IS NOT NULL AND ${IN_RANGE} ORDER BY avg_mos LIMIT 1 OFFSET @rank`).get({ ...range, rank: Math.floor(P5_LEVEL * row.with_mos) }) as { m: number } | undefined;
    return kpisOf(row, p5?.m ?? null);
  }

  series(range: QualityRange, bucketMs: number): QualityBucket[] {
    const rows = this.db.prepare(`SELECT CAST(start_ms / @bucketMs AS INTEGER) * @bucketMs AS bucket, COUNT(*) AS calls,
        COALESCE(SUM(verdict <> 'unknown'), 0) AS judged, COALESCE(SUM(verdict = 'poor'), 0) AS poor, ${milli('avg_mos')} AS mos_sum, COUNT(avg_mos) AS with_mos
      FROM calls WHERE ${IN_RANGE} GROUP BY bucket ORDER BY bucket`).all({ ...range, bucketMs }) as Array<BucketRow>;
    return rows.map(bucketOf);
  }

  /**
   * Rows worst first (see QualityRow). One pass over the range's calls bins them by unit (device,
   * codec or peer) and MOS with partial sums (a call's MOS has two decimals: a few hundred bins a
   * unit); the units' bins then roll up to the dimension's values, and the 5th percentile of each is
   * found by a running count over its bins.
   */
  breakdown(range: QualityRange, slice: QualitySlice, limit: number): QualityRow[] {
    const byDevice = DEVICE_DIMENSIONS.has(slice.by);
    return this.db.transaction(() => {
      if (byDevice) {
        this.db.prepare(`DELETE FROM ${DEVICE_VALUES}`).run();
        const insert = this.db.prepare(`INSERT INTO ${DEVICE_VALUES} (device_id, value) VALUES (?, ?)`);
        for (const [id, value] of namedDevices(slice)) insert.run(id, value);
      }
      const unit = byDevice ? 'device_id' : slice.by === 'peer' ? PEER_SQL : 'codec';
      const rows = this.db.prepare(`WITH
        bins AS MATERIALIZED (SELECT ${unit} AS unit, avg_mos AS m, ${KPI_COLUMNS} FROM calls WHERE ${IN_RANGE} GROUP BY unit, avg_mos),
        keyed AS MATERIALIZED (SELECT ${byDevice ? 'v.value' : 'bins.unit'} AS key, bins.* FROM bins
          ${byDevice ? `LEFT JOIN ${DEVICE_VALUES} v ON v.device_id = bins.unit` : ''}),
        agg AS (SELECT key, SUM(calls) AS calls, SUM(judged) AS judged, SUM(poor) AS poor, SUM(mos_sum) AS mos_sum, SUM(with_mos) AS with_mos,
          SUM(loss_sum) AS loss_sum, SUM(with_loss) AS with_loss, SUM(jitter_sum) AS jitter_sum, SUM(with_jitter) AS with_jitter, SUM(one_way) AS one_way
          FROM keyed GROUP BY key),
        mos AS (SELECT key, m, SUM(with_mos) AS n FROM keyed WHERE m IS NOT NULL GROUP BY key, m),
        running AS (SELECT key, m, SUM(n) OVER (PARTITION BY key ORDER BY m ROWS UNBOUNDED PRECEDING) AS upto FROM mos),
        p5 AS (SELECT r.key, MIN(r.m) AS m FROM running r JOIN agg a ON a.key IS r.key WHERE r.upto > CAST(a.with_mos * ${P5_LEVEL} AS INTEGER) GROUP BY r.key)
        SELECT agg.*, p5.m AS p5 FROM agg LEFT JOIN p5 ON p5.key IS agg.key
        ORDER BY agg.judged = 0, CAST(agg.poor AS REAL) / NULLIF(agg.judged, 0) DESC, agg.with_mos = 0, CAST(agg.mos_sum AS REAL) / NULLIF(agg.with_mos, 0),
          agg.calls DESC, agg.key IS NULL, agg.key
        LIMIT @limit`).all({ ...range, limit }) as Array<KpiRow & { key: string | null; p5: number | null }>;
      return rows.map((r) => ({ key: r.key, ...kpisOf(r, r.p5) }));
    })();
  }
}

function kpisOf(r: KpiRow, p5: number | null): QualityKpis {
  return {
    calls: r.calls, judged: r.judged, poor: r.poor,
    meanMos: meanOfMilli(r.mos_sum, r.with_mos), p5Mos: roundAggregate(p5),
    meanLossPct: meanOfMilli(r.loss_sum, r.with_loss), meanJitterMs: meanOfMilli(r.jitter_sum, r.with_jitter),
    oneWay: r.one_way,
  };
}

interface BucketRow { bucket: number; calls: number; judged: number; poor: number; mos_sum: number | null; with_mos: number }

function bucketOf(r: BucketRow): QualityBucket {
  return { startMs: r.bucket, calls: r.calls, judged: r.judged, poor: r.poor, meanMos: meanOfMilli(r.mos_sum, r.with_mos) };
}
