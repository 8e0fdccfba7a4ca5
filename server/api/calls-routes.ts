/**
 * The calls API: every call any source told us of, filtered, sorted and paged in the store (the
 * list must stay fast at 100,000 calls), one call with its streams and verdicts, and its timeline.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { DEFAULT_VERDICT_THRESHOLDS, type VerdictThresholds } from '../analysis/e-model.js';
import type { CallCorrelator } from '../calls/correlator.js';
import { callJson, streamJson } from '../json/call.js';
import type { QualitySample, Verdict } from '../calls/model.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import { sliceFromQuery } from '../fleet/quality-slices.js';
import { parseSites, type SiteMap } from '../fleet/sites.js';
import type { CallSort } from '../store/call-store.js';
import { decimate, samplesCsv, timeline } from '../json/call-timeline.js';
import { BadRequest, optionalInt, optionalList, optionalString, optionalTime } from './params.js';

const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
/** Offsets past this are refused: deep pages of 100,000 calls are reached by filtering, not paging. */
const MAX_OFFSET = 1_000_000;
const VERDICTS: ReadonlySet<string> = new Set<Verdict>(['good', 'fair', 'poor', 'unknown']);
/** Timeline decimation bounds: fewer points than this are no chart, more than a screen's width is waste. */
const MIN_TIMELINE_POINTS = 10;
const MAX_TIMELINE_POINTS = 20_000;
const SORTS: ReadonlySet<string> = new Set<CallSort>(['start', 'duration', 'worstMos', 'avgMos', 'loss', 'jitter']);

export interface CallsApiDeps {
  readonly correlator: CallCorrelator;
  readonly devices: DeviceRegistry;
  /** The verdict thresholds in force, so charts shade the same bands the verdicts use; defaults if absent. */
  readonly thresholds?: VerdictThresholds;
  /** The subnet table for `?site=`; none: every phone is unassigned. */
  readonly sites?: () => SiteMap;
}

const NO_SITES = parseSites('');

export function callsRouter(d: CallsApiDeps): Router {
  const r = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  r.get('/calls', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const limit = optionalInt(q, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
    const offset = optionalInt(q, 'offset', 0, MAX_OFFSET) ?? 0;
    const deviceRef = optionalString(q, 'device', 64);
    const deviceId = deviceRef === undefined ? undefined : deviceIdOf(d.devices, deviceRef);
    if (deviceId === null) {
      res.json({ calls: [], total: 0, offset, limit });
      return;
    }
    const minMos = optionalNumber(q, 'minMos', 1, 5);
    const maxMos = optionalNumber(q, 'maxMos', 1, 5);
    const order = optionalString(q, 'order', 4);
    if (order !== undefined && order !== 'asc' && order !== 'desc') throw new BadRequest(`order: "${order}" is neither asc nor desc`);
    const sort = optionalList(q, 'sort', SORTS);
    if (sort && sort.length > 1) throw new BadRequest('sort: one column at a time');
    const page = await d.correlator.listCalls({
      ...(deviceId !== undefined ? { deviceId } : {}),
      ...defined('fromMs', optionalTime(q, 'from')),
      ...defined('toMs', optionalTime(q, 'to')),
      ...defined('startFromMs', optionalTime(q, 'startFrom')),
      ...defined('startToMs', optionalTime(q, 'startTo')),
      ...defined('slice', sliceFromQuery(q, () => d.devices.all(), d.sites?.() ?? NO_SITES)),
      ...defined('verdicts', optionalList(q, 'verdict', VERDICTS) as Verdict[] | undefined),
      ...defined('minMos', minMos),
      ...defined('maxMos', maxMos),
      ...defined('text', optionalString(q, 'q', 256)),
      ...defined('sort', sort?.[0] as CallSort | undefined),
      ...defined('order', order as 'asc' | 'desc' | undefined),
      offset,
      limit,
    });
    res.json({ calls: page.calls.map(callJson), total: page.total, offset, limit });
  }));

  r.get('/calls/:id', wrap(async (req, res) => {
    const detail = await d.correlator.getCall(callId(req));
    if (!detail) {
      res.status(404).json({ error: `no call ${req.params.id}` });
      return;
    }
    const device = detail.call.deviceId === null ? undefined : d.devices.byId(detail.call.deviceId);
    res.json({
      ...callJson(detail.call),
      device: device ? { id: device.id, address: device.address, mac: device.mac, model: device.model } : null,
      streams: detail.streams.map(streamJson),
    });
  }));

  r.get('/calls/:id/timeline', wrap(async (req, res) => {
    const id = callId(req);
    const detail = await d.correlator.getCall(id);
    if (!detail) {
      res.status(404).json({ error: `no call ${req.params.id}` });
      return;
    }
    const q = req.query as Record<string, unknown>;
    const maxPoints = optionalInt(q, 'maxPoints', MIN_TIMELINE_POINTS, MAX_TIMELINE_POINTS);
    const window = { fromMs: optionalTime(q, 'from'), toMs: optionalTime(q, 'to') };
    const samples = (await d.correlator.samples(id)).filter((s) => inWindow(s, window));
    const series = timeline(samples);
    res.json({
      callId: id,
      start: callJson(detail.call).start,
      bands: qualityBands(d.thresholds ?? DEFAULT_VERDICT_THRESHOLDS),
      series: maxPoints === undefined ? series : series.map((s) => decimate(s, maxPoints)),
    });
  }));

  r.get('/calls/:id/samples.csv', wrap(async (req, res) => {
    const id = callId(req);
    if (!(await d.correlator.getCall(id))) {
      res.status(404).json({ error: `no call ${req.params.id}` });
      return;
    }
    res.type('text/csv').attachment(`call-${id}-samples.csv`).send(samplesCsv(await d.correlator.samples(id)));
  }));

  return r;
}

/** Where fair and poor begin for each charted metric (the verdict's thresholds), keyed by chart. */
function qualityBands(t: VerdictThresholds) {
  return {
    mos: { fair: t.fairMos, poor: t.poorMos, lowerIsWorse: true },
    lossPct: { fair: t.fairLossPct, poor: t.poorLossPct, lowerIsWorse: false },
    jitterMs: { fair: t.fairJitterMs, poor: t.poorJitterMs, lowerIsWorse: false },
    roundTripMs: { fair: t.fairRttMs, poor: t.poorRttMs, lowerIsWorse: false },
  };
}

function inWindow(s: QualitySample, w: { fromMs: number | undefined; toMs: number | undefined }): boolean {
  return (w.fromMs === undefined || s.endMs >= w.fromMs) && (w.toMs === undefined || s.startMs <= w.toMs);
}

function callId(req: Request): number {
  const text = String(req.params.id ?? '');
  if (!/^\d{1,15}$/.test(text)) throw new BadRequest(`call id "${text.slice(0, 40)}" is not a number`);
  return Number(text);
}

/** A device by id, address or MAC; null when none matches (the list is then empty, not an error). */
function deviceIdOf(devices: DeviceRegistry, ref: string): number | null {
  if (/^\d+$/.test(ref)) return Number(ref);
  return (devices.get(ref) ?? devices.byMac(ref))?.id ?? null;
}

function optionalNumber(q: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const s = optionalString(q, name, 32);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || n > max) throw new BadRequest(`${name}: "${s}" is not a number from ${min} to ${max}`);
  return n;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
