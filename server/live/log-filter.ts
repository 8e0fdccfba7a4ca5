/** A browser's live-tail filter, checked on the server so only matching lines cross the wire. */
import { PHONE_MODULES } from '../../parsers/phone-module.js';
import { escapeRegex } from '../escape-regex.js';

export interface LiveLogFilter {
  readonly device?: string;
  readonly modules?: ReadonlySet<string>;
  readonly maxSeverity?: number;
  /**
   * The typed text, case-insensitive, as a pattern: at 50,000 lines/s a lower-cased copy of every
   * line to look in was garbage the main thread had no time to collect.
   */
  readonly text?: RegExp;
}

const MAX_FILTER_TEXT = 256;

/** Validates a subscription from the browser (hostile input): unknown fields and bad types are ignored. */
export function parseLiveLogFilter(input: unknown): LiveLogFilter {
  const o = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const f: { device?: string; modules?: Set<string>; maxSeverity?: number; text?: RegExp } = {};
  if (typeof o.device === 'string' && o.device.length > 0 && o.device.length <= 64) f.device = o.device;
  if (Array.isArray(o.modules)) {
    const known = new Set<string>(PHONE_MODULES);
    const mods = o.modules.filter((m): m is string => typeof m === 'string' && known.has(m));
    if (mods.length > 0) f.modules = new Set(mods);
  }
  if (typeof o.severity === 'number' && Number.isInteger(o.severity) && o.severity >= 0 && o.severity <= 7) f.maxSeverity = o.severity;
  if (typeof o.q === 'string' && o.q.trim().length > 0) f.text = new RegExp(escapeRegex(o.q.trim().slice(0, MAX_FILTER_TEXT)), 'i');
  return f;
}

/** Takes the fields, not a line object: most lines of a storm match no filter, and none is built for them. */
export function matchesLiveLogFilter(f: LiveLogFilter, address: string, module: string, severity: number | null, message: string): boolean {
  if (f.device !== undefined && address !== f.device) return false;
  if (f.modules && !f.modules.has(module)) return false;
  if (f.maxSeverity !== undefined && severity !== null && severity > f.maxSeverity) return false;
  if (f.text !== undefined && !f.text.test(message)) return false;
  return true;
}
