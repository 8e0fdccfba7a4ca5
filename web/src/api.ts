// HTTP calls to the collector's JSON API, with the responses checked at the boundary.
import { isDeviceList, isHealth, isLogPage, splitLines, type Device, type Health, type LogLine } from './types.js';

export class ApiError extends Error {}

async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, signal });
  if (!res.ok) {
    let detail = '';
    try {
      const body: unknown = await res.json();
      if (typeof body === 'object' && body !== null && 'error' in body) detail = String(body.error);
    } catch {
      // The status line says enough when the body is not JSON.
    }
    throw new ApiError(`${path.split('?')[0]} answered ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  return res.json();
}

export async function fetchHealth(): Promise<Health> {
  const body = await getJson('/api/health');
  if (!isHealth(body)) throw new ApiError('/api/health answered with an unexpected shape');
  return body;
}

export async function fetchDevices(): Promise<Device[]> {
  const body = await getJson('/api/devices');
  if (!isDeviceList(body)) throw new ApiError('/api/devices answered with an unexpected shape');
  return body.devices;
}

export interface LogQuery {
  device?: string;
  modules: string[];
  severity?: number;
  q?: string;
  cursor?: string;
  /** Receive-time range, ms since the epoch. */
  from?: number;
  to?: number;
  limit: number;
}

export interface LogResult {
  /** Newest first, as the server sends them. */
  logs: LogLine[];
  nextCursor: string | null;
  invalid: number;
}

export async function fetchLogs(query: LogQuery, signal?: AbortSignal): Promise<LogResult> {
  const p = new URLSearchParams();
  if (query.device) p.set('device', query.device);
  if (query.modules.length > 0) p.set('module', query.modules.join(','));
  if (query.severity !== undefined) p.set('severity', String(query.severity));
  if (query.q) p.set('q', query.q);
  if (query.cursor) p.set('cursor', query.cursor);
  if (query.from !== undefined) p.set('from', String(Math.floor(query.from)));
  if (query.to !== undefined) p.set('to', String(Math.ceil(query.to)));
  p.set('limit', String(query.limit));
  const body = await getJson(`/api/logs?${p.toString()}`, signal);
  if (!isLogPage(body)) throw new ApiError('/api/logs answered with an unexpected shape');
  const { lines, invalid } = splitLines(body.logs);
  return { logs: lines, nextCursor: body.nextCursor, invalid };
}
