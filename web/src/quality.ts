// How quality looks everywhere: one colour per verdict (good/fair/poor), one colour per source and
// one dash per direction, so a chart, a table cell and a legend always agree.
import { el, visibleText } from './dom.js';
import type { Verdict } from './calls-api.js';

/** Verdict colours: the same values as --good/--fair/--poor in styles.css (canvas cannot read CSS). */
export const VERDICT_COLOURS: Readonly<Record<'good' | 'fair' | 'poor', string>> = {
  good: '#1e8e3e',
  fair: '#e3a008',
  poor: '#d93025',
};

interface SourceLook { label: string; colour: string; title: string }

/** Source colours steer clear of the verdict colours, so a line is never mistaken for a band. */
export const SOURCES: Readonly<Record<string, SourceLook>> = {
  'computed-rtp': { label: 'recording', colour: '#1f5fbf', title: 'our RTP analysis of the debug recording, E-model per 5 s' },
  rtcp: { label: 'RTCP', colour: '#0f8b8d', title: 'RTCP SR/RR report blocks found in the recording' },
  'rtcp-xr': { label: 'RTCP XR', colour: '#7b3fb5', title: 'RTCP XR VoIP metrics (RFC 3611) found in the recording' },
  'vq-interval': { label: 'PUBLISH interval', colour: '#c2571a', title: 'vq-rtcpxr VQIntervalReport sent by the phone' },
  'vq-session': { label: 'PUBLISH session', colour: '#8a5a2b', title: 'vq-rtcpxr VQSessionReport sent by the phone at the end of the call' },
  'vq-alert': { label: 'PUBLISH alert', colour: '#b0126f', title: 'vq-rtcpxr VQAlertReport' },
  'ms-qoe': { label: 'QoE', colour: '#4a5a70', title: 'Microsoft QoE report sent by the phone' },
};

export function sourceLook(source: string): SourceLook {
  return SOURCES[source] ?? { label: source, colour: '#667085', title: source };
}

/** rx solid, tx dashed: direction as seen from the phone. */
export function directionDash(direction: string | null): number[] {
  return direction === 'tx' ? [6, 4] : [];
}

export function verdictBadge(v: Verdict | string, title?: string | null): HTMLElement {
  const known = v === 'good' || v === 'fair' || v === 'poor' ? v : 'unknown';
  return el('span', { class: `verdict v-${known}`, title: title ?? undefined }, known);
}

/** MOS as a coloured number, using the verdict's thresholds when known. */
export function mosCell(mos: number | null, fair = DEFAULT_FAIR_MOS, poor = DEFAULT_POOR_MOS): HTMLElement {
  if (mos === null) return el('span', { class: 'muted' }, '—');
  const v = mos < poor ? 'poor' : mos < fair ? 'fair' : 'good';
  return el('span', { class: `mos m-${v}` }, mos.toFixed(2));
}

/** The collector's default verdict limits (docs/decisions.md); charts use the ones the server sends. */
export const DEFAULT_FAIR_MOS = 3.6;
export const DEFAULT_POOR_MOS = 3.1;

export function fixed(n: number | null, digits: number, unit = ''): string {
  return n === null ? '—' : `${n.toFixed(digits)}${unit}`;
}

/** `sip:2001@pbx.example.com` → `2001@pbx.example.com`: the part an FAE recognises. */
export function party(id: string | null): string {
  if (!id) return '—';
  // A display name from the network could hide a bidi override: it is shown as an escape, not obeyed.
  return visibleText(id.replace(/^<|>$/g, '').replace(/^sips?:/, '').replace(/;.*$/, ''));
}

/** What to call a call in a list: its far party, else its number. */
export function callTitle(c: { id: number; remoteId: string | null }): string {
  return c.remoteId ? party(c.remoteId) : `call ${c.id}`;
}
