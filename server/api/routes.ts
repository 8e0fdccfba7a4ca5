/**
 * The HTTP API. Routes read through the store interface and the in-memory registries; they never
 * see SQL. Every parameter is validated in params.ts and bad ones get a 400 that says why.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { PHONE_MODULES } from '../../parsers/phone-module.js';
import { SEVERITY_NAMES } from '../../parsers/syslog.js';
import type { Counters } from '../counters.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { BatchWriter } from '../store/batch-writer.js';
import { QueryError, type DeviceRecord, type Store, type StoreStats } from '../store/types.js';
import type { ListenerStatus } from '../sources/listener.js';
import type { LiveHub } from '../live/hub.js';
import { logLineJson } from '../json/log-line.js';
import { BadRequest, optionalInt, optionalList, optionalString, optionalTime } from './params.js';

export interface ApiDeps {
  readonly version: string;
  readonly startedAt: number;
  readonly onlineWindowMs: number;
  readonly store: Store;
  readonly writer: BatchWriter;
  readonly devices: DeviceRegistry;
  readonly counters: Counters;
  readonly listeners: () => readonly ListenerStatus[];
  readonly live: () => LiveHub | null;
  readonly now: () => number;
  /** More health sections from other areas (auth mode, listener guards, …). */
  readonly extraHealth?: () => Record<string, unknown>;
  /** Served as GET /metrics (Prometheus text format). */
  readonly metrics?: { readonly contentType: string; text(): Promise<string> };
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
const MODULE_SET: ReadonlySet<string> = new Set(PHONE_MODULES);

/** A write waiting longer than this means the store has stopped answering (stalled disk, hung server). */
export const STORE_STALLED_AFTER_MS = 2000;
/** Health must answer while the store does not: past this, the last figures it gave are shown. */
const STATS_TIMEOUT_MS = 500;
const lastStats = new WeakMap<Store, StoreStats>();

async function storeStats(store: Store): Promise<StoreStats & { error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), STATS_TIMEOUT_MS); });
  try {
    const stats = await Promise.race([store.stats(), late]);
    if (stats === null) return { ...(lastStats.get(store) ?? EMPTY_STATS), error: `the store did not answer within ${STATS_TIMEOUT_MS} ms` };
    lastStats.set(store, stats);
    return stats;
  } catch (err) {
    return { ...(lastStats.get(store) ?? EMPTY_STATS), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

const EMPTY_STATS: StoreStats = { backend: 'sqlite', path: '', sizeBytes: 0, logs: 0, searchIndexLag: 0 };

export async function healthSnapshot(d: ApiDeps) {
  const stats = await storeStats(d.store);
  const waitingMs = d.writer.writeWaitingMs;
  const live = d.live();
  return {
    version: d.version,
    startedAt: new Date(d.startedAt).toISOString(),
    uptimeS: Math.round((d.now() - d.startedAt) / 1000),
    listeners: d.listeners(),
    counters: d.counters.snapshot(),
    recentMalformed: d.counters.recentMalformed().map((m) => ({ ...m, at: new Date(m.at).toISOString() })),
    live: { clients: live?.clientCount ?? 0, dropped: live?.droppedTotal ?? 0 },
    store: {
      ...stats, writeQueue: d.writer.queued, writeQueueBytes: d.writer.queuedBytes,
      writeQueueMax: d.writer.bounds.lines, writeQueueMaxBytes: d.writer.bounds.bytes, lastStoredId: d.writer.lastStoredId, degraded: d.writer.degraded, lastError: d.writer.lastError,
      stalled: waitingMs > STORE_STALLED_AFTER_MS, writeWaitingMs: Math.round(waitingMs),
    },
    ...d.extraHealth?.(),
  };
}

export function deviceJson(dev: DeviceRecord, nowMs: number, onlineWindowMs: number) {
  return {
    id: dev.id,
    address: dev.address,
    mac: dev.mac,
    model: dev.model,
    firmware: dev.firmware,
    hostname: dev.hostname,
    firstSeen: new Date(dev.firstSeen).toISOString(),
    lastSeen: new Date(dev.lastSeen).toISOString(),
    online: nowMs - dev.lastSeen <= onlineWindowMs,
    logs: dev.logs,
    seqGaps: dev.seqGaps,
    seqOutOfOrder: dev.seqOutOfOrder,
    modules: dev.modules,
  };
}

export function apiRouter(d: ApiDeps): Router {
  const r = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

  r.get('/health', wrap(async (_req, res) => {
    res.json(await healthSnapshot(d));
  }));

  r.get('/devices', (_req, res) => {
    const now = d.now();
    res.json({ devices: d.devices.all().sort((a, b) => b.lastSeen - a.lastSeen).map((dev) => deviceJson(dev, now, d.onlineWindowMs)) });
  });

  r.get('/devices/:id', (req, res) => {
    const dev = findDevice(d.devices, req.params.id ?? '');
    if (!dev) {
      res.status(404).json({ error: `no device ${req.params.id}` });
      return;
    }
    res.json(deviceJson(dev, d.now(), d.onlineWindowMs));
  });

  r.get('/logs', wrap(async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const deviceParam = optionalString(q, 'device', 64);
    let deviceId: number | undefined;
    if (deviceParam !== undefined) {
      const dev = findDevice(d.devices, deviceParam);
      if (!dev) {
        res.json({ logs: [], nextCursor: null });
        return;
      }
      deviceId = dev.id;
    }
    const limit = optionalInt(q, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
    const cursor = optionalInt(q, 'cursor', 1, Number.MAX_SAFE_INTEGER);
    const after = optionalInt(q, 'after', 0, Number.MAX_SAFE_INTEGER);
    if (cursor !== undefined && after !== undefined) throw new BadRequest('give cursor (older lines) or after (newer lines), not both');
    const rows = await d.store.queryLogs({
      ...(deviceId !== undefined ? { deviceId } : {}),
      ...optionalField('modules', optionalList(q, 'module', MODULE_SET)),
      ...optionalField('maxSeverity', optionalSeverity(q)),
      ...optionalField('fromMs', optionalTime(q, 'from')),
      ...optionalField('toMs', optionalTime(q, 'to')),
      ...optionalField('text', optionalString(q, 'q', 512)),
      ...optionalField('beforeId', cursor),
      ...optionalField('afterId', after),
      ...optionalField('importId', optionalInt(q, 'import', 1, Number.MAX_SAFE_INTEGER)),
      limit,
    });
    const addressOf = (id: number) => d.devices.byId(id)?.address ?? '';
    res.json({
      logs: rows.map((row) => logLineJson(row, addressOf(row.deviceId))),
      // Older pages continue with `cursor`; newer ones (after=…, oldest first) with `after`.
      ...(after === undefined
        ? { nextCursor: rows.length === limit ? String(rows[rows.length - 1]!.id) : null }
        : { nextAfter: rows.length === limit ? String(rows[rows.length - 1]!.id) : null }),
    });
  }));

  r.get('/logs/:id', wrap(async (req, res) => {
    const row = await d.store.getLog(Number(req.params.id));
    if (!row) {
      res.status(404).json({ error: `no log line ${req.params.id}` });
      return;
    }
    res.json(logLineJson(row, d.devices.byId(row.deviceId)?.address ?? ''));
  }));

  /** The exact bytes the phone sent, for tools that need them unaltered. */
  r.get('/logs/:id/raw', wrap(async (req, res) => {
    const row = await d.store.getLog(Number(req.params.id));
    if (!row) {
      res.status(404).json({ error: `no log line ${req.params.id}` });
      return;
    }
    // attachment() sets the type from the name's extension (.txt → text/plain; charset): the type goes after it.
    res.attachment(`log-${row.id}.txt`).type('application/octet-stream').send(Buffer.from(row.raw));
  }));

  return r;
}

/** Unknown API routes. */
export function apiNotFound(_req: Request, res: Response): void {
  res.status(404).json({ error: 'no such API route' });
}

/**
 * Errors any API router passed on: 400 for bad input, 500 otherwise, always JSON. Mounted on the
 * app itself: a router is plain middleware, which errors skip.
 */
export function apiErrorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (err instanceof BadRequest || err instanceof QueryError) {
    res.status(400).json({ error: err.message });
    return;
  }
  res.status(500).json({ error: `internal error: ${(err as Error).message}` });
}

/** Severity by number (0-7) or by name (err, warning, …). */
function optionalSeverity(q: Record<string, unknown>): number | undefined {
  const s = optionalString(q, 'severity', 16);
  if (s === undefined) return undefined;
  const byName = (SEVERITY_NAMES as readonly string[]).indexOf(s);
  if (byName !== -1) return byName;
  return optionalInt(q, 'severity', 0, 7);
}

function optionalField<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A device by id, address or MAC, as people paste them. */
function findDevice(devices: DeviceRegistry, ref: string): DeviceRecord | undefined {
  if (/^\d+$/.test(ref)) return devices.byId(Number(ref));
  const byAddress = devices.get(ref);
  if (byAddress) return byAddress;
  const mac = ref.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (mac.length === 12) return devices.all().find((dev) => dev.mac?.replace(/:/g, '') === mac);
  return undefined;
}
