// Shapes of the server's JSON (contract in the server's API). Everything here arrives over the
// network, so each top-level shape has a guard; the page shows a visible error instead of
// rendering something it does not understand.

import type { LogLineJson } from '../../server/json/types.js';

export type SeverityName = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

/** One log line as the server sends it (the REST API and the live push share the shape). */
export type LogLine = LogLineJson;

export interface LogPage {
  logs: LogLine[];
  nextCursor: string | null;
}

export interface LogBatch {
  lines: LogLine[];
  missed: number;
}

export interface Listener {
  name: string;
  transport: string;
  address: string;
  port: number;
  state: 'listening' | 'disabled' | 'failed' | string;
  error?: string;
}

export interface SourceCounters {
  received: number;
  bytes: number;
  parsed: number;
  malformed: number;
  dropped: number;
  stored: number;
  /** UDP datagrams the kernel dropped on the collector's socket before it read them. */
  kernelDropped?: number;
  /** Lines waiting for the store (absent from collectors older than it). */
  queued?: number;
}

export interface Health {
  version: string;
  startedAt: string;
  uptimeS: number;
  listeners: Listener[];
  counters: Record<string, SourceCounters>;
  live: { clients: number; dropped: number };
  store: { backend: string; sizeBytes: number; logs: number; writeQueue: number; writeQueueBytes?: number; writeQueueMax?: number; writeQueueMaxBytes?: number; lastStoredId?: number; degraded?: boolean; lastError: string | null; stalled?: boolean; writeWaitingMs?: number };
  /** Absent on collectors without alerting. */
  alerts?: { firing: number; deliveriesFailed?: number };
}

export interface Device {
  id: string | number;
  address: string;
  mac: string | null;
  model: string | null;
  firmware: string | null;
  hostname: string | null;
  firstSeen: string;
  lastSeen: string;
  online: boolean;
  logs: number;
  seqGaps: number;
  modules: Record<string, number>;
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrOrNull = (x: unknown): boolean => x === null || isStr(x);
const isNumOrNull = (x: unknown): boolean => x === null || isNum(x);

export function isLogLine(x: unknown): x is LogLine {
  return (
    isObj(x) &&
    isNum(x.id) &&
    isStr(x.receivedAt) &&
    isStrOrNull(x.deviceTime) &&
    isObj(x.device) &&
    isStr(x.device.address) &&
    isStr(x.source) &&
    isNumOrNull(x.facility) &&
    isNumOrNull(x.severity) &&
    isStrOrNull(x.severityName) &&
    isStrOrNull(x.hostname) &&
    isStrOrNull(x.app) &&
    isStrOrNull(x.pid) &&
    isStr(x.module) &&
    isNumOrNull(x.seq) &&
    isStr(x.message) &&
    isStr(x.raw)
  );
}

/** Lines that fail the guard are counted, not dropped silently: the caller shows the count. */
export function splitLines(xs: unknown): { lines: LogLine[]; invalid: number } {
  const lines: LogLine[] = [];
  let invalid = 0;
  if (!Array.isArray(xs)) return { lines, invalid: 0 };
  for (const x of xs) {
    if (isLogLine(x)) lines.push(x);
    else invalid++;
  }
  return { lines, invalid };
}

export function isLogPage(x: unknown): x is Obj & { logs: unknown[]; nextCursor: string | null } {
  return isObj(x) && Array.isArray(x.logs) && isStrOrNull(x.nextCursor);
}

export function isLogBatch(x: unknown): x is Obj & { lines: unknown[]; missed: number } {
  return isObj(x) && Array.isArray(x.lines) && isNum(x.missed);
}

export function isHealth(x: unknown): x is Health {
  return (
    isObj(x) &&
    Array.isArray(x.listeners) &&
    x.listeners.every((l) => isObj(l) && isStr(l.name) && isStr(l.state)) &&
    isObj(x.counters) &&
    Object.values(x.counters).every(isObj) &&
    isObj(x.live) &&
    isObj(x.store) &&
    (x.alerts === undefined || (isObj(x.alerts) && typeof x.alerts.firing === 'number'))
  );
}

export function isDeviceList(x: unknown): x is { devices: Device[] } {
  return (
    isObj(x) &&
    Array.isArray(x.devices) &&
    x.devices.every((d) => isObj(d) && isStr(d.address) && isObj(d.modules))
  );
}
