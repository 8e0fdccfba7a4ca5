/** A browser's live-tail filter, checked on the server so only matching lines cross the wire. */
import { PHONE_MODULES } from '../../parsers/phone-module.js';

export interface LiveLogFilter {
  readonly device?: string;
  readonly modules?: ReadonlySet<string>;
  readonly maxSeverity?: number;
  /** Lower-cased substring. */
  readonly text?: string;
}

const MAX_FILTER_TEXT = 256;

/** Validates a subscription from the browser (hostile input): unknown fields and bad types are ignored. */
export function parseLiveLogFilter(input: unknown): LiveLogFilter {
  const o = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const f: { device?: string; modules?: Set<string>; maxSeverity?: number; text?: string } = {};
  if (typeof o.device === 'string' && o.device.length > 0 && o.device.length <= 64) f.device = o.device;
  if (Array.isArray(o.modules)) {
    const known = new Set<string>(PHONE_MODULES);
    const mods = o.modules.filter((m): m is string => typeof m === 'string' && known.has(m));
    if (mods.length > 0) f.modules = new Set(mods);
  }
  if (typeof o.severity === 'number' && Number.isInteger(o.severity) && o.severity >= 0 && o.severity <= 7) f.maxSeverity = o.severity;
  if (typeof o.q === 'string' && o.q.trim().length > 0) f.text = o.q.trim().slice(0, MAX_FILTER_TEXT).toLowerCase();
  return f;
}

/** The fields a filter looks at: a line of this collector's ingest or one from a peer collector. */
export interface FilterableLine {
  readonly address: string;
  readonly module: string;
  readonly severity: number | null;
  readonly message: string;
}

export function matchesLiveLogFilter(f: LiveLogFilter, line: FilterableLine): boolean {
  if (f.device !== undefined && line.address !== f.device) return false;
  if (f.modules && !f.modules.has(line.module)) return false;
  if (f.maxSeverity !== undefined && line.severity !== null && line.severity > f.maxSeverity) return false;
  if (f.text !== undefined && !line.message.toLowerCase().includes(f.text)) return false;
  return true;
}
