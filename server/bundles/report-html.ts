/**
 * report.html: the bundle explained to whoever opens the ticket. One static page with inline CSS
 * and server-drawn SVG: no script, no external request (its own CSP says so), readable offline in
 * any browser. Every value in it has been redacted already when the bundle is redacted; here it is
 * only escaped.
 */
import { escapeHtml as h } from './html.js';
import type { DroppedPart, ManifestFile } from './types.js';

export interface ReportLogLine {
  readonly receivedAt: string;
  readonly device: string;
  readonly severity: string | null;
  readonly module: string;
  readonly text: string;
}

export interface ReportEvent {
  readonly label: string;
  readonly at: string;
  readonly lines: readonly ReportLogLine[];
}

export interface ReportStream {
  readonly direction: string;
  readonly ssrcHex: string | null;
  readonly codec: string | null;
  readonly local: string;
  readonly remote: string;
  readonly sources: readonly string[];
  readonly verdict: string;
  readonly verdictReason: string | null;
}

export interface ReportCall {
  readonly id: number;
  readonly title: string;
  readonly start: string;
  readonly end: string | null;
  readonly device: string;
  readonly verdict: string;
  readonly verdictReason: string | null;
  readonly worstMos: number | null;
  readonly maxLossPct: number | null;
  readonly maxJitterMs: number | null;
  readonly sources: readonly string[];
  readonly streams: readonly ReportStream[];
  /** Inline SVG charts (MOS, loss, jitter); empty when the call is only listed. */
  readonly charts: readonly string[];
  readonly events: readonly ReportEvent[];
  /** Files of this call in the bundle. */
  readonly files: readonly string[];
  readonly recordings: readonly string[];
}

export interface ReportCrash {
  readonly id: number;
  readonly title: string;
  readonly at: string;
  readonly device: string;
  readonly firmware: string | null;
  readonly signal: string | null;
  readonly process: string | null;
  readonly abortMessage: string | null;
  readonly frames: readonly string[];
  readonly events: readonly ReportEvent[];
  readonly files: readonly string[];
}

export interface ReportDevice {
  readonly title: string;
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly heard: ReadonlyArray<readonly [string, string]>;
  readonly missing: readonly string[];
}

export interface ReportModel {
  readonly title: string;
  readonly generatedAt: string;
  readonly version: string;
  readonly scope: string;
  readonly from: string;
  readonly to: string;
  readonly redacted: boolean;
  readonly verdict: string;
  readonly verdictWhy: readonly string[];
  readonly counts: ReadonlyArray<readonly [string, string]>;
  readonly notes: readonly string[];
  readonly dropped: readonly DroppedPart[];
  readonly overLimit: boolean;
  readonly calls: readonly ReportCall[];
  /** Calls beyond the charted ones: listed in a table only. */
  readonly otherCalls: readonly ReportCall[];
  readonly crashes: readonly ReportCrash[];
  readonly devices: readonly ReportDevice[];
  readonly files: readonly ManifestFile[];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1c1c1c;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccd}h3{font-size:15px;margin:18px 0 6px}
section.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse;margin:6px 0;font-size:13px}td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f1f5}.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff}
.v-good{background:#2e7d32}.v-fair{background:#e0a100}.v-poor{background:#c62828}.v-unknown{background:#777}
pre.log{background:#10141a;color:#d8dee9;padding:8px;overflow-x:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
pre.log .sev-err,pre.log .sev-crit,pre.log .sev-alert,pre.log .sev-emerg{color:#ff8a80}pre.log .sev-warning{color:#ffd180}
pre.stack{background:#f3f3f3;padding:8px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;overflow-x:auto}
.chart{display:block;margin:6px 0;max-width:100%;height:auto}.chart-title{font-size:12px;font-weight:600}
.tick,.legend{font-size:10px;fill:#444}.warn{background:#fff4d6;border:1px solid #e0c060;padding:8px 12px;border-radius:4px}
.muted{color:#666}ul{margin:4px 0 4px 20px;padding:0}
`;

export function reportHtml(m: ReportModel): string {
  const out: string[] = [];
  out.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${h(m.title)}</title><style>${CSS}</style></head><body><main>`);
  out.push(`<h1>${h(m.title)}</h1>`);
  out.push(`<p class="muted">Made by ipp-collector ${h(m.version)} at ${h(m.generatedAt)}. Scope: ${h(m.scope)}, ${h(m.from)} – ${h(m.to)}.${m.redacted ? ' <strong>Redacted</strong>: addresses, URIs, numbers and user names are tokens (&lt;ip-1&gt;, &lt;uri-2&gt;, …), the same token for the same value in every file.' : ''}</p>`);

  out.push('<section class="card" id="summary"><h2>Summary</h2>');
  out.push(`<p>Verdict: ${verdictBadge(m.verdict)}</p>`);
  if (m.verdictWhy.length > 0) out.push(`<ul>${m.verdictWhy.map((w) => `<li>${h(w)}</li>`).join('')}</ul>`);
  out.push(table(['', ''], m.counts.map(([k, v]) => [k, v]), false));
  for (const n of m.notes) out.push(`<p class="warn">${h(n)}</p>`);
  if (m.dropped.length > 0) {
    out.push('<h3>Left out of this bundle</h3>');
    out.push(table(['what', 'files', 'bytes', 'why'], m.dropped.map((d) => [d.what, String(d.files), String(d.bytes), d.reason])));
  }
  if (m.overLimit) out.push('<p class="warn">The bundle is still over its size limit with audio and captures left out: the logs alone are larger. Narrow the time window or the devices.</p>');
  out.push('</section>');

  out.push(`<h2 id="calls">Calls (${m.calls.length + m.otherCalls.length})</h2>`);
  if (m.calls.length + m.otherCalls.length === 0) out.push('<p class="muted">No call in this scope.</p>');
  for (const c of m.calls) out.push(callSection(c));
  if (m.otherCalls.length > 0) {
    out.push('<h3>More calls (no charts here; every call has its samples in calls/)</h3>');
    out.push(table(['call', 'start', 'device', 'verdict', 'why', 'worst MOS', 'max loss %'], m.otherCalls.map((c) => [String(c.id), c.start, c.device, c.verdict, c.verdictReason ?? '', num(c.worstMos), num(c.maxLossPct)])));
  }

  out.push(`<h2 id="crashes">Crashes (${m.crashes.length})</h2>`);
  if (m.crashes.length === 0) out.push('<p class="muted">No crash dump was uploaded for this scope.</p>');
  for (const c of m.crashes) out.push(crashSection(c));

  out.push(`<h2 id="devices">Devices (${m.devices.length})</h2>`);
  for (const d of m.devices) {
    out.push(`<section class="card device"><h3>${h(d.title)}</h3>`);
    out.push(table(['fact', 'value'], d.facts.map(([k, v]) => [k, v])));
    out.push('<h3>Heard from</h3>');
    out.push(table(['source', 'in this scope'], d.heard.map(([k, v]) => [k, v])));
    if (d.missing.length > 0) out.push(`<h3>Missing</h3><ul class="missing">${d.missing.map((x) => `<li>${h(x)}</li>`).join('')}</ul>`);
    out.push('</section>');
  }

  out.push('<h2 id="files">Files</h2>');
  out.push(table(['file', 'bytes', 'what'], m.files.map((f) => [f.path, String(f.bytes), f.description])));
  out.push('<p class="muted">manifest.json lists every file with its SHA-256.</p>');
  out.push('</main></body></html>\n');
  return out.join('\n');
}

function callSection(c: ReportCall): string {
  const out: string[] = [`<section class="card call" id="call-${c.id}"><h3>${h(c.title)} ${verdictBadge(c.verdict)}</h3>`];
  if (c.verdictReason) out.push(`<p>Why: ${h(c.verdictReason)}</p>`);
  out.push(table(['start', 'end', 'device', 'worst MOS', 'max loss %', 'max jitter ms', 'sources'],
    [[c.start, c.end ?? '(in progress)', c.device, num(c.worstMos), num(c.maxLossPct), num(c.maxJitterMs), c.sources.join(', ')]]));
  if (c.streams.length > 0) {
    out.push(table(['direction', 'SSRC', 'codec', 'local', 'remote', 'sources', 'verdict', 'why'],
      c.streams.map((s) => [s.direction, s.ssrcHex ?? '', s.codec ?? '', s.local, s.remote, s.sources.join(', '), s.verdict, s.verdictReason ?? ''])));
  }
  out.push(...c.charts);
  if (c.charts.length === 0) out.push('<p class="muted">No quality samples for this call.</p>');
  for (const e of c.events) out.push(eventBlock(e));
  if (c.recordings.length > 0) out.push(`<p>Recordings: ${c.recordings.map((r) => h(r)).join('; ')}</p>`);
  out.push(`<p class="muted">Files: ${c.files.map((f) => h(f)).join(', ')}</p></section>`);
  return out.join('\n');
}

function crashSection(c: ReportCrash): string {
  const out: string[] = [`<section class="card crash" id="crash-${c.id}"><h3>${h(c.title)}</h3>`];
  out.push(table(['time', 'device', 'firmware', 'process', 'signal'], [[c.at, c.device, c.firmware ?? '', c.process ?? '', c.signal ?? '']]));
  if (c.abortMessage) out.push(`<p>Abort message: ${h(c.abortMessage)}</p>`);
  out.push(`<pre class="stack">${c.frames.length > 0 ? c.frames.map((f) => h(f)).join('\n') : '(no frames decoded)'}</pre>`);
  for (const e of c.events) out.push(eventBlock(e));
  out.push(`<p class="muted">Files: ${c.files.map((f) => h(f)).join(', ')}</p></section>`);
  return out.join('\n');
}

function eventBlock(e: ReportEvent): string {
  const lines = e.lines.map((l) => `<span class="sev-${h(l.severity ?? 'none')}">${h(l.receivedAt)} ${h(l.device)} ${h(l.module)} ${h(l.text)}</span>`);
  return `<h3 class="event">${h(e.label)} at ${h(e.at)}</h3>${lines.length > 0 ? `<pre class="log">${lines.join('\n')}</pre>` : '<p class="muted">No log lines from this phone around then.</p>'}`;
}

function verdictBadge(v: string): string {
  return `<span class="verdict v-${h(v)}">${h(v)}</span>`;
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, withHead = true): string {
  const th = withHead ? `<tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr>` : '';
  return `<table>${th}${rows.map((r) => `<tr>${r.map((x) => `<td>${h(x)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function num(n: number | null): string {
  return n === null ? '' : String(Math.round(n * 100) / 100);
}
