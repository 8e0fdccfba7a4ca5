/**
 * What a bundle holds, found from its scope: the devices, the calls of the shared model with their
 * recordings, the crashes, and the time range whose logs go in. Logs are not loaded here; they are
 * paged from the store while the files are written (`logPages`), so a busy hour never sits in memory.
 */
import type { VerdictThresholds } from '../analysis/e-model.js';
import type { DeviceRegistry } from '../pipeline/device-registry.js';
import type { RecordedCallSummary } from '../pipeline/recordings/types.js';
import type { CallDetail } from '../store/call-store.js';
import type { CrashRecord, DumpRecord } from '../store/crash-store.js';
import type { DeviceRecord, Store, StoredLog } from '../store/types.js';
import type { BundleScope } from './types.js';

/** What the bundle builder reads from; the collector and the CLI each make one. */
export interface BundleSources {
  readonly store: Store;
  readonly devices: DeviceRegistry;
  /** Where an uploaded dump's original file is, by its SHA-256. */
  readonly dumpPath: (sha256: string) => string;
  readonly recordingPort: number;
  readonly collectorAddr: string;
  readonly thresholds: VerdictThresholds;
  readonly version: string;
}

/** Log lines around a single call: enough to see what the phone did just before and after. */
export const CALL_LOG_MARGIN_MS = 60_000;
/** Calls in one bundle at most; a window holding more says so in the report. */
export const MAX_CALLS = 500;
const MAX_CRASHES = 100;
const CALL_PAGE = 200;
const RECORDING_PAGE = 200;
const LOG_PAGE = 2000;

export class ScopeError extends Error {}

export interface BundleContent {
  readonly scope: BundleScope;
  readonly fromMs: number;
  readonly toMs: number;
  /** Devices in scope; empty with `allDevices` for a fleet-wide window. */
  readonly devices: readonly DeviceRecord[];
  readonly allDevices: boolean;
  readonly calls: readonly CallDetail[];
  /** Recorded calls in scope, by id. */
  readonly recordings: readonly RecordedCallSummary[];
  readonly crashes: readonly CrashRecord[];
  readonly dumps: ReadonlyMap<number, DumpRecord>;
  /** What was cut short (e.g. more calls than a bundle holds). */
  readonly notes: readonly string[];
}

export async function gatherContent(src: BundleSources, scope: BundleScope): Promise<BundleContent> {
  const callsT = src.store.calls;
  const recT = src.store.recordings;
  const crashT = src.store.crashes;
  const notes: string[] = [];
  let fromMs: number;
  let toMs: number;
  let devices: DeviceRecord[];
  let allDevices = false;
  let calls: CallDetail[];
  let recordings: RecordedCallSummary[] = [];

  if ('callId' in scope) {
    const detail = await callsT.getCall(scope.callId);
    if (!detail) throw new ScopeError(`no call ${scope.callId}`);
    const c = detail.call;
    fromMs = c.startMs - CALL_LOG_MARGIN_MS;
    toMs = (c.endMs ?? c.startMs) + CALL_LOG_MARGIN_MS;
    const device = c.deviceId === null ? undefined : src.devices.byId(c.deviceId);
    devices = device ? [device] : [];
    calls = [detail];
    if (c.recordingSession) {
      const found = await recT.listCalls({ ...(device ? { deviceAddr: device.address } : {}), fromMs, toMs, limit: RECORDING_PAGE });
      const ids = found.filter((r) => r.sessionId === c.recordingSession).map((r) => r.id);
      recordings = (await Promise.all(ids.map((id) => recT.getCall(id)))).filter((r): r is RecordedCallSummary => r !== null);
    }
  } else {
    if (!(scope.toMs > scope.fromMs)) throw new ScopeError('the window ends before it starts');
    fromMs = scope.fromMs;
    toMs = scope.toMs;
    const refs = 'device' in scope ? [scope.device] : scope.devices ?? [];
    devices = refs.map((ref) => {
      const d = findDevice(src.devices, ref);
      if (!d) throw new ScopeError(`no device "${ref.slice(0, 64)}" (give its id, address or MAC)`);
      return d;
    });
    allDevices = devices.length === 0;
    calls = [];
    for (const deviceId of allDevices ? [undefined] : devices.map((d) => d.id)) {
      for (let offset = 0; calls.length < MAX_CALLS; offset += CALL_PAGE) {
        const page = await callsT.listCalls({ ...(deviceId !== undefined ? { deviceId } : {}), fromMs, toMs, sort: 'start', order: 'asc', offset, limit: CALL_PAGE });
        for (const c of page.calls.slice(0, MAX_CALLS - calls.length)) {
          const detail = await callsT.getCall(c.id);
          if (detail) calls.push(detail);
        }
        if (page.calls.length < CALL_PAGE) break;
        if (calls.length >= MAX_CALLS) notes.push(`more than ${MAX_CALLS} calls in the window: only the first ${MAX_CALLS} are in this bundle`);
      }
    }
    for (const addr of allDevices ? [undefined] : devices.map((d) => d.address)) {
      let beforeId: number | undefined;
      for (;;) {
        const page = await recT.listCalls({ ...(addr !== undefined ? { deviceAddr: addr } : {}), fromMs, toMs, ...(beforeId !== undefined ? { beforeId } : {}), limit: RECORDING_PAGE });
        for (const r of page) {
          const full = await recT.getCall(r.id);
          if (full) recordings.push(full);
        }
        if (page.length < RECORDING_PAGE || recordings.length >= MAX_CALLS) break;
        beforeId = page[page.length - 1]!.id;
      }
    }
    recordings.sort((a, b) => a.startMs - b.startMs);
  }

  const crashes: CrashRecord[] = [];
  for (const deviceId of allDevices ? [undefined] : devices.map((d) => d.id)) {
    crashes.push(...await crashT.listCrashes({ ...(deviceId !== undefined ? { deviceId } : {}), fromMs, toMs }, MAX_CRASHES));
  }
  const dumps = new Map<number, DumpRecord>();
  for (const c of crashes) {
    if (dumps.has(c.dumpId)) continue;
    const dump = await crashT.getDump(c.dumpId);
    if (dump) dumps.set(dump.id, dump);
  }
  return { scope, fromMs, toMs, devices, allDevices, calls, recordings, crashes, dumps, notes };
}

/** A device by id, address or MAC (any spelling). */
export function findDevice(devices: DeviceRegistry, ref: string): DeviceRecord | undefined {
  if (/^\d+$/.test(ref)) return devices.byId(Number(ref));
  return devices.get(ref) ?? devices.byMac(ref);
}

/**
 * The window's log lines in received order (ids are given at receipt), a page at a time, for the
 * devices in scope: one device is filtered in SQL; several are filtered here.
 */
export async function* logPages(store: Store, content: BundleContent): AsyncGenerator<StoredLog[]> {
  if (!content.allDevices && content.devices.length === 0) return;
  const only = content.devices.length === 1 ? content.devices[0]!.id : undefined;
  const wanted = new Set(content.devices.map((d) => d.id));
  let afterId = 0;
  for (;;) {
    const page = await store.queryLogs({ ...(only !== undefined ? { deviceId: only } : {}), fromMs: content.fromMs, toMs: content.toMs, afterId, limit: LOG_PAGE });
    if (page.length === 0) return;
    afterId = page[page.length - 1]!.id;
    yield content.allDevices || only !== undefined ? page : page.filter((l) => wanted.has(l.deviceId));
    if (page.length < LOG_PAGE) return;
  }
}

/** Up to `count` lines of a device just before and just after a moment, for the report's excerpts. */
export async function logsAround(store: Store, deviceId: number | null, atMs: number, count: number): Promise<StoredLog[]> {
  const device = deviceId === null ? {} : { deviceId };
  const before = (await store.queryLogs({ ...device, toMs: atMs, limit: count })).reverse();
  const after = await store.queryLogs({ ...device, fromMs: atMs, afterId: before[before.length - 1]?.id ?? 0, limit: count });
  return [...before, ...after];
}
