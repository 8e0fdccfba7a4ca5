// The crash-dump API as the Crashes page reads it. Shapes are checked at the boundary (the key
// fields each view needs); anything else in a report is shown as text, never trusted as markup.

export class CrashApiError extends Error {}

export interface CrashGroup {
  hash: string;
  signature: string;
  title: string;
  confidence: string;
  count: number;
  devices: number;
  firstSeen: string;
  lastSeen: string;
  process: string | null;
  signal: string | null;
  byFirmware: Record<string, number>;
  byModel: Record<string, number>;
  byDevice: Record<string, number>;
  perDay: Record<string, number>;
}

export interface CrashSummary {
  id: number;
  dumpId: number;
  groupHash: string;
  member: string;
  process: string | null;
  signal: string | null;
  at: string;
  crashedAt: string | null;
  receivedAt: string;
  deviceId: number | null;
  deviceRef: string | null;
  model: string | null;
  firmware: string | null;
  partial: boolean;
}

export interface CrashFrame {
  index: number;
  pc?: string;
  module?: string;
  offset?: string;
  elfAddress?: string;
  buildId?: string;
  function?: string;
  functionOffset?: number;
  functionSource?: 'report' | 'symbols';
  trust: 'context' | 'fp' | 'scan' | 'reported';
}

export interface CrashThread {
  tid?: number;
  name?: string;
  crashing: boolean;
  registers: Record<string, string>;
  frames: CrashFrame[];
}

export interface CrashReport {
  source: string;
  dialect?: string;
  member: string;
  partial: boolean;
  partialReasons: string[];
  warnings: string[];
  arch?: string;
  process: { name?: string; pid?: number; tid?: number; threadName?: string; args?: string; executable?: string };
  signal?: { number?: number; name: string; code?: number; codeName?: string; faultAddr?: string };
  abortMessage?: string;
  causes: string[];
  buildFingerprint?: string;
  crashedAt?: string;
  crashedAtSource?: string;
  threads: CrashThread[];
  modules: Array<{ path: string; base?: string; buildId?: string }>;
}

export interface DumpInfo {
  id: number;
  name: string;
  size: number;
  sha256: string;
  ticket: string | null;
  note: string | null;
  status: string;
  problems: Array<{ member: string; reason: string }>;
  rawUrl: string;
}

export interface CrashDetail {
  crash: CrashSummary & { report: CrashReport };
  group: { hash: string; signature: string; title: string; confidence: string } | null;
  dump: DumpInfo | null;
}

export interface UploadAnswer {
  dumps: Array<{ dumpId: number; duplicate: boolean; status: string; crashIds: number[]; groups: string[]; problems: Array<{ member: string; reason: string }> }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

async function getJson(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new CrashApiError(`${path.split('?')[0]} answered ${res.status}${isObject(body) && 'error' in body ? `: ${String(body.error)}` : ''}`);
  return body;
}

export async function fetchCrashGroups(filter: URLSearchParams): Promise<CrashGroup[]> {
  const body = await getJson(`/api/crashes?${filter.toString()}`);
  if (!isObject(body) || !Array.isArray(body.groups)) throw new CrashApiError('/api/crashes answered with an unexpected shape');
  return body.groups.filter((g): g is CrashGroup => isObject(g) && typeof g.hash === 'string' && typeof g.count === 'number');
}

export async function fetchCrashGroup(hash: string): Promise<{ group: CrashGroup; crashes: CrashSummary[] }> {
  const body = await getJson(`/api/crashes/${encodeURIComponent(hash)}`);
  if (!isObject(body) || !isObject(body.group) || !Array.isArray(body.crashes)) throw new CrashApiError('/api/crashes/:group answered with an unexpected shape');
  return { group: body.group as unknown as CrashGroup, crashes: body.crashes.filter((c): c is CrashSummary => isObject(c) && typeof c.id === 'number') };
}

export async function fetchCrash(hash: string, id: string): Promise<CrashDetail> {
  const body = await getJson(`/api/crashes/${encodeURIComponent(hash)}/${encodeURIComponent(id)}`);
  if (!isObject(body) || !isObject(body.crash) || !isObject(body.crash.report) || !Array.isArray(body.crash.report.threads)) {
    throw new CrashApiError('/api/crashes/:group/:id answered with an unexpected shape');
  }
  return body as unknown as CrashDetail;
}

/** The device's syslog lines in a time range, oldest first (the API pages newest first). */
export async function fetchLogsBefore(device: string, fromIso: string, toIso: string, limit: number): Promise<Array<{ id: number; receivedAt: string; message: string; app: string | null; severityName?: string | null }>> {
  const p = new URLSearchParams({ device, from: fromIso, to: toIso, limit: String(limit) });
  const body = await getJson(`/api/logs?${p.toString()}`);
  if (!isObject(body) || !Array.isArray(body.logs)) return [];
  return body.logs.filter((l): l is { id: number; receivedAt: string; message: string; app: string | null } => isObject(l) && typeof l.message === 'string').reverse();
}

export async function uploadDumps(files: readonly File[], fields: Record<string, string>): Promise<UploadAnswer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v.trim()) form.append(k, v.trim());
  for (const f of files) form.append('file', f, f.name);
  const res = await fetch('/api/dumps', { method: 'POST', body: form });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new CrashApiError(`upload refused (${res.status})${isObject(body) && 'error' in body ? `: ${String(body.error)}` : ''}`);
  if (!isObject(body) || !Array.isArray(body.dumps)) throw new CrashApiError('/api/dumps answered with an unexpected shape');
  return body as unknown as UploadAnswer;
}
