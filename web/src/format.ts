// Labels and formatting shared by pages.
import { PHONE_MODULE_LABELS, PHONE_MODULES } from '../../parsers/phone-module.js';
import { SEVERITY_NAMES } from '../../parsers/syslog.js';

/** Module ids in the phone's web-page order, with its labels: one table shared with the server. */
export const MODULE_LABELS: ReadonlyMap<string, string> = new Map(PHONE_MODULES.map((m) => [m, PHONE_MODULE_LABELS[m]]));

export function moduleLabel(id: string): string {
  return MODULE_LABELS.get(id) ?? id;
}

export { SEVERITY_NAMES };

export function severityName(severity: number | null): string {
  if (severity === null) return '—';
  return SEVERITY_NAMES[severity] ?? String(severity);
}

/** CSS class for a severity: emerg..crit share one colour, as in most syslog viewers. */
export function severityClass(severity: number | null): string {
  if (severity === null) return 'sev-none';
  if (severity <= 2) return 'sev-crit';
  return `sev-${SEVERITY_NAMES[severity] ?? 'none'}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local time as `MM-DD HH:MM:SS.mmm`: fixed width so the columns never shift. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 18).padEnd(18);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${shortTime(iso)}`;
}

const numberFormat = new Intl.NumberFormat('en-US');
export function count(n: number): string {
  return numberFormat.format(n);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function ago(iso: string, nowMs: number): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  return `${duration((nowMs - t) / 1000)} ago`;
}
