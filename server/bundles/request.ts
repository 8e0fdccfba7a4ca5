/** A bundle request from outside (HTTP JSON or CLI flags), checked once into a scope and options. */
import type { BundleFormat, BundleOptions, BundleScope } from './types.js';

export const DEFAULT_BUNDLE_MAX_BYTES = 20 * 1024 * 1024;
const MIN_MAX_BYTES = 64 * 1024;
const MAX_MAX_BYTES = 4 * 1024 * 1024 * 1024;
/** A longer window is a retention export, not a ticket attachment. */
export const MAX_WINDOW_MS = 7 * 86_400_000;
const MAX_DEVICES = 200;
const MAX_REF_LENGTH = 128;

type Fail = (message: string) => Error;

export function parseBundleRequest(body: unknown, defaultMaxBytes: number, fail: Fail): { scope: BundleScope; options: BundleOptions } {
  if (!isObject(body)) throw fail('the request is a JSON object: {"scope": {...}, "options": {...}}');
  return { scope: parseScope(body.scope, fail), options: parseOptions(body.options ?? {}, defaultMaxBytes, fail) };
}

export function parseScope(s: unknown, fail: Fail): BundleScope {
  if (!isObject(s)) throw fail('scope: give {"callId": N}, {"device": "…", "from": …, "to": …} or {"devices": […], "from": …, "to": …}');
  if (s.callId !== undefined) {
    if (typeof s.callId !== 'number' || !Number.isSafeInteger(s.callId) || s.callId < 1) throw fail('scope.callId: a call id (a positive whole number)');
    return { callId: s.callId };
  }
  const fromMs = time(s.from, 'scope.from', fail);
  const toMs = time(s.to, 'scope.to', fail);
  if (toMs <= fromMs) throw fail('scope: "to" must be after "from"');
  if (toMs - fromMs > MAX_WINDOW_MS) throw fail(`scope: the window is longer than ${MAX_WINDOW_MS / 86_400_000} days; narrow it`);
  if (s.device !== undefined) return { device: ref(s.device, 'scope.device', fail), fromMs, toMs };
  if (s.devices === undefined) return { fromMs, toMs };
  if (!Array.isArray(s.devices) || s.devices.length > MAX_DEVICES) throw fail(`scope.devices: a list of at most ${MAX_DEVICES} device ids, addresses or MACs`);
  return { devices: s.devices.map((d, i) => ref(d, `scope.devices[${i}]`, fail)), fromMs, toMs };
}

export function parseOptions(o: unknown, defaultMaxBytes: number, fail: Fail): BundleOptions {
  if (!isObject(o)) throw fail('options: an object {"redact", "format", "maxBytes", "includeAudio"}');
  const redact = o.redact ?? false;
  if (typeof redact !== 'boolean') throw fail('options.redact: true or false');
  const format = o.format ?? 'zip';
  if (format !== 'zip' && format !== 'tar.gz') throw fail('options.format: "zip" or "tar.gz"');
  const maxBytes = o.maxBytes ?? defaultMaxBytes;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) {
    throw fail(`options.maxBytes: a whole number of bytes from ${MIN_MAX_BYTES} to ${MAX_MAX_BYTES}`);
  }
  if (o.includeAudio !== undefined && typeof o.includeAudio !== 'boolean') throw fail('options.includeAudio: true or false');
  return { redact, format: format as BundleFormat, maxBytes, ...(o.includeAudio !== undefined ? { includeAudio: o.includeAudio } : {}) };
}

function time(v: unknown, name: string, fail: Fail): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? (/^\d+$/.test(v) ? Number(v) : Date.parse(v)) : NaN;
  if (!Number.isFinite(n)) throw fail(`${name}: a time (ISO 8601, e.g. 2026-11-26T10:00:00Z, or ms since the epoch)`);
  return n;
}

function ref(v: unknown, name: string, fail: Fail): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string' || v === '' || v.length > MAX_REF_LENGTH) throw fail(`${name}: a device id, address or MAC`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
