/**
 * `GET /api/quality`: where it is bad, for the fleet. KPIs of the calls started in a range and of
 * the period of the same length before it, a series in steps chosen from the range's length, and
 * a breakdown worst first. Everything is aggregated by the store (server/store/call-quality.ts);
 * this route picks the range, the step and each device's site/model/firmware.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { QualityKpisJson, QualityJson, QualityPointJson } from '../json/quality.js';
import { sliceFor } from '../fleet/quality-slices.js';
import type { SiteMap } from '../fleet/sites.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import { QUALITY_DIMENSIONS, roundAggregate, type QualityDimension, type QualityKpis, type QualityRange } from '../store/call-quality.js';
import type { CallStore } from '../store/call-store.js';
import type { CrashStore, GroupSummary } from '../store/crash-store.js';
import { BadRequest, optionalInt, optionalList, optionalTime } from './params.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Steps from 5 minutes to a day: the shortest that keeps the chart at most MAX_POINTS wide. */
const STEPS_MS = [5 * MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS];
const MAX_POINTS = 200;
const MAX_RANGE_MS = 400 * DAY_MS;
const DEFAULT_RANGE_MS = DAY_MS;
const DEFAULT_ROWS = 50;
const MAX_ROWS = 500;
/** Crash groups read per range; a fleet with more distinct crashes in one range undercounts (said in docs/api.md). */
const CRASH_GROUPS = 10_000;
const DIMENSIONS: ReadonlySet<string> = new Set(QUALITY_DIMENSIONS);

export interface QualityApiDeps {
  readonly calls: CallStore;
  readonly crashes: CrashStore;
  readonly devices: DeviceRegistry;
  /** The subnet table in force (it may change while the collector runs). */
  readonly sites: () => SiteMap;
  readonly now: () => number;
}

export function stepFor(rangeMs: number): number {
  return STEPS_MS.find((s) => rangeMs / s <= MAX_POINTS) ?? DAY_MS;
}

export function qualityRouter(d: QualityApiDeps): Router {
  const r = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  r.get('/quality', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const toMs = optionalTime(q, 'to') ?? d.now();
    const fromMs = optionalTime(q, 'from') ?? toMs - DEFAULT_RANGE_MS;
    if (!(fromMs < toMs)) throw new BadRequest('from: must be before to');
    if (toMs - fromMs > MAX_RANGE_MS) throw new BadRequest(`from, to: at most ${MAX_RANGE_MS / DAY_MS} days apart`);
    const by = (optionalList(q, 'by', DIMENSIONS)?.[0] ?? 'site') as QualityDimension;
    const limit = optionalInt(q, 'limit', 1, MAX_ROWS) ?? DEFAULT_ROWS;
    const range: QualityRange = { fromMs, toMs };
    const previous: QualityRange = { fromMs: fromMs - (toMs - fromMs), toMs: fromMs };
    const bucketMs = stepFor(toMs - fromMs);
    const [kpis, before, series, rows, crashes, crashesBefore] = await Promise.all([
      d.calls.qualityKpis(range),
      d.calls.qualityKpis(previous),
      d.calls.qualitySeries(range, bucketMs),
      d.calls.qualityBreakdown(range, sliceFor(by, d.devices.all(), d.sites()), limit + 1),
      d.crashes.listGroups({ fromMs, toMs: toMs - 1 }, CRASH_GROUPS),
      d.crashes.listGroups({ fromMs: previous.fromMs, toMs: previous.toMs - 1 }, CRASH_GROUPS),
    ]);
    const crashesOf = (key: string | null): number | null => {
      if ((by !== 'model' && by !== 'firmware') || key === null) return null;
      return crashes.reduce((n, g) => n + ((by === 'model' ? g.byModel : g.byFirmware)[key] ?? 0), 0);
    };
    const body: QualityJson = {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      previousFrom: new Date(previous.fromMs).toISOString(),
      bucketMs,
      by,
      kpis: kpisJson(kpis, countCrashes(crashes)),
      previous: kpisJson(before, countCrashes(crashesBefore)),
      series: filled(series, range, bucketMs),
      breakdown: rows.slice(0, limit).map((row) => ({ key: row.key, ...kpisJson(row, crashesOf(row.key)) })),
      truncated: rows.length > limit,
    };
    res.json(body);
  }));

  return r;
}

function countCrashes(groups: readonly GroupSummary[]): number {
  return groups.reduce((n, g) => n + g.count, 0);
}

function poorPct(k: { judged: number; poor: number }): number | null {
  return k.judged === 0 ? null : roundAggregate((100 * k.poor) / k.judged);
}

function kpisJson(k: QualityKpis, crashes: number | null): QualityKpisJson {
  return { calls: k.calls, judged: k.judged, poor: k.poor, poorPct: poorPct(k), meanMos: k.meanMos, p5Mos: k.p5Mos,
    meanLossPct: k.meanLossPct, meanJitterMs: k.meanJitterMs, oneWay: k.oneWay, crashes };
}

/** Every step from the one holding `fromMs` to the one holding the range's end, empty steps as zero calls. */
function filled(buckets: Awaited<ReturnType<CallStore['qualitySeries']>>, range: QualityRange, bucketMs: number): QualityPointJson[] {
  const byStart = new Map(buckets.map((b) => [b.startMs, b]));
  const out: QualityPointJson[] = [];
  for (let t = Math.floor(range.fromMs / bucketMs) * bucketMs; t < range.toMs; t += bucketMs) {
    const b = byStart.get(t);
    out.push({ start: new Date(t).toISOString(), calls: b?.calls ?? 0, judged: b?.judged ?? 0, poor: b?.poor ?? 0, poorPct: b ? poorPct(b) : null, meanMos: b?.meanMos ?? null });
  }
  return out;
}
