// One call: what went wrong, and when. The header says who, when, how long and the verdict with
// its reason; the charts show every source's quality over one time axis; the phone's log lines of
// the call's window sit under them, tied both ways (click a chart → the lines of that moment;
// click a line → its moment on the charts). Downloads and audio for the recording, when there is one.
// URL: #/calls/ID?from=MS&to=MS (zoom window)&at=MS (picked moment).
import { fetchLogs } from './api.js';
import { fetchCall, fetchTimeline, findRecording, type CallDetail, type RecordedCall, type Sample } from './calls-api.js';
import { clear, el } from './dom.js';
import { count, dateTime, duration } from './format.js';
import type { LiveConnection } from './live.js';
import { renderRow } from './log-view.js';
import { fixed, mosCell, party, sourceLook, SOURCES, verdictBadge } from './quality.js';
import { routeHash, setRoute } from './router.js';
import { clockTime, TimelineCharts, type ChartDatasetInfo, type TimeWindow } from './timeline-charts.js';
import type { LogLine } from './types.js';
import { addBundleButton } from './bundle-dialog.js';
import { recordingKindsView } from './recording-kinds-view.js';

/** Points per series asked of the server: about one per pixel column of a laptop-wide chart. */
const MAX_CHART_POINTS = 1200;
/** Log lines this long before and after the call are shown too (setup and teardown are logged there). */
const LOG_MARGIN_MS = 30_000;
const LOG_LIMIT = 1000;
/** A picked moment highlights the log lines within this distance of it. */
const PICK_NEAR_MS = 2500;
/** Live samples of a call in progress are drawn at most this often. */
const LIVE_RENDER_MS = 1000;
const LIVE_LOG_REFRESH_MS = 5000;
/** A zoom waits this long for the user to stop before fetching the window at full detail. */
const ZOOM_FETCH_DELAY_MS = 250;

/** What tests (and curious engineers in the console) can read back: what the charts draw. */
export interface ChartsProbe {
  callId: number;
  ready: boolean;
  /** performance.now() when the charts were first drawn with data: time from navigation. */
  drawnAtMs: number | null;
  window: TimeWindow;
  panels: () => Record<string, ChartDatasetInfo[]>;
  picked: () => number | null;
  clientPoint: (panel: string, t: number) => { x: number; y: number } | null;
}

declare global {
  interface Window {
    __ippCharts?: ChartsProbe;
  }
}

function logTime(l: LogLine, phoneClockWrong: boolean): number {
  // The phone's own timestamp where it gave one, like the reports and recordings; else arrival.
  // A phone whose clock is hours off is placed by arrival, as its reports were (server/calls/clock-skew.ts).
  const t = typeof l.deviceTs === 'string' && !phoneClockWrong ? Date.parse(l.deviceTs) : NaN;
  return Number.isFinite(t) ? t : Date.parse(l.receivedAt);
}

/** "16 h 0 min ahead", "3 min 20 s behind": a phone clock's skew (its time minus the receive time). */
export function describeClockSkew(skewMs: number): string {
  const abs = Math.round(Math.abs(skewMs) / 1000);
  const h = Math.floor(abs / 3600);
  const min = Math.floor((abs % 3600) / 60);
  const size = h > 0 ? `${h} h ${min} min` : min > 0 ? `${min} min ${abs % 60} s` : `${abs} s`;
  return `${size} ${skewMs > 0 ? 'ahead' : 'behind'}`;
}

/** Less than this between two reported segments is reporting jitter, not a hold. */
const MIN_HOLD_GAP_MS = 1000;

/**
 * Stretches without media: explicit hold segments, and the gaps between consecutive report segments
 * (phones send a report at each hold and at the end, so a gap between two reports is the hold).
 */
export function holdPeriods(call: { segments: ReadonlyArray<{ start: string | null; end: string | null; reason: string }> }, nowMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const timed = call.segments.filter((s) => s.start).map((s) => ({ ...s, s: Date.parse(s.start ?? ''), e: s.end ? Date.parse(s.end) : nowMs }));
  for (const seg of timed) if (seg.reason === 'hold') out.push([seg.s, seg.e]);
  const reports = timed.filter((x) => x.reason !== 'hold').sort((a, b) => a.s - b.s);
  for (let i = 1; i < reports.length; i++) {
    const gapStart = reports[i - 1]!.e;
    const gapEnd = reports[i]!.s;
    if (gapEnd - gapStart >= MIN_HOLD_GAP_MS) out.push([gapStart, gapEnd]);
  }
  return out;
}

/** The sources an FAE asks about, each present or not, with what it means. */
const SOURCE_GROUPS: ReadonlyArray<{ label: string; sources: readonly string[]; missing: string }> = [
  { label: 'Debug recording', sources: ['computed-rtp'], missing: 'no recording: enable voip/packet_recording on the phone' },
  { label: 'RTCP / RTCP XR', sources: ['rtcp', 'rtcp-xr'], missing: 'no RTCP XR in the recording' },
  { label: 'PUBLISH (vq-rtcpxr)', sources: ['vq-interval', 'vq-session', 'vq-alert'], missing: 'no vq-rtcpxr report: set voip/rtcp_xr/vq_statistics/mode' },
  { label: 'QoE (SERVICE)', sources: ['ms-qoe'], missing: 'no MS QoE report' },
];

export class CallDetailPage {
  readonly element: HTMLElement;
  private readonly id: number;
  private call: CallDetail | null = null;
  private readonly header: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly charts: TimelineCharts;
  private readonly logList: HTMLElement;
  private readonly logStatus: HTMLElement;
  private readonly sideInfo: HTMLElement;
  private logs: Array<{ line: LogLine; t: number; row: HTMLElement }> = [];
  private params = new URLSearchParams();
  private readonly probe: ChartsProbe;
  private pendingSamples: Sample[] = [];
  private liveTimer = 0;
  private zoomTimer = 0;
  private logTimer = 0;
  private zoomGeneration = 0;
  private destroyed = false;
  private readonly disposers: (() => void)[] = [];

  constructor(live: LiveConnection, idText: string) {
    this.id = /^\d{1,15}$/.test(idText) ? Number(idText) : NaN;
    this.header = el('div', { class: 'call-header' }, el('h1', {}, `Call ${idText}`), el('span', { class: 'muted' }, 'Loading…'));
    this.facts = el('div', { class: 'call-facts' });
    this.toolbar = el('div', { class: 'chart-toolbar' });
    this.charts = new TimelineCharts((t) => this.pick(t, 'chart'), (w) => this.onZoom(w));
    this.logList = el('div', { class: 'call-logs rows', role: 'log' });
    this.logStatus = el('div', { class: 'muted log-status' });
    this.sideInfo = el('aside', { class: 'call-side' });
    this.element = el('div', { class: 'page call-page scroll-page' },
      this.header,
      this.facts,
      el('div', { class: 'call-body' },
        el('div', { class: 'call-main' },
          this.toolbar,
          this.charts.element,
          el('section', { class: 'card call-logs-card' },
            el('header', {}, el('h2', {}, 'Phone log lines in this call\'s window'), this.logStatus),
            this.logList)),
        this.sideInfo));
    this.probe = { callId: this.id, ready: false, drawnAtMs: null, window: this.charts.window, panels: () => this.charts.describe(),
      picked: () => this.charts.pickedTime, clientPoint: (panel, t) => this.charts.clientPoint(panel, t) };
    window.__ippCharts = this.probe;
    this.renderToolbar();
    if (!Number.isFinite(this.id)) {
      this.header.replaceChildren(el('h1', {}, 'No such call'), el('p', { class: 'bad' }, `"${idText}" is not a call id. `), el('a', { href: '#/calls' }, 'Back to calls'));
      return;
    }
    this.logList.addEventListener('click', (ev) => {
      const row = ev.target instanceof Element ? ev.target.closest('.row') : null;
      const entry = this.logs.find((l) => l.row === row);
      if (entry) this.pick(entry.t, 'log');
    });
    this.disposers.push(
      live.watchCalls((calls) => {
        const mine = calls.find((c) => c.id === this.id);
        if (mine && this.call) {
          const wasActive = this.call.active;
          this.call = { ...this.call, ...mine };
          this.renderHeader();
          if (wasActive && !mine.active) void this.loadLogs();
        }
      }, this.id),
      live.onSamples((s) => {
        if (s.callId !== this.id) return;
        if (s.missed > 0) void this.loadTimeline();
        else this.queueSamples(s.samples);
      }),
    );
    void this.load();
  }

  update(params: URLSearchParams): void {
    const prev = this.params;
    this.params = params;
    const w = this.windowFromParams();
    const pw = prev.get('from') + '|' + prev.get('to');
    if (this.call && pw !== `${params.get('from')}|${params.get('to')}`) {
      this.charts.setZoom(w);
      this.probe.window = this.charts.window;
      this.scheduleZoomFetch(w);
      this.renderToolbar();
    }
    const at = Number(params.get('at'));
    if (this.call && params.get('at') !== prev.get('at')) this.pick(Number.isFinite(at) && params.get('at') ? at : null, 'url');
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.liveTimer);
    clearTimeout(this.zoomTimer);
    clearInterval(this.logTimer);
    for (const d of this.disposers) d();
    this.charts.destroy();
    if (window.__ippCharts === this.probe) delete window.__ippCharts;
  }

  private windowFromParams(): TimeWindow | null {
    const from = Number(this.params.get('from'));
    const to = Number(this.params.get('to'));
    return this.params.get('from') && this.params.get('to') && Number.isFinite(from) && Number.isFinite(to) && to > from ? { min: from, max: to } : null;
  }

  private extent(): TimeWindow {
    const c = this.call;
    if (!c) return { min: 0, max: 1 };
    const start = Date.parse(c.start);
    const end = c.end ? Date.parse(c.end) : Date.now();
    return { min: start, max: Math.max(end, start + 1000) };
  }

  private async load(): Promise<void> {
    try {
      this.call = await fetchCall(this.id);
    } catch (err) {
      this.header.replaceChildren(el('h1', {}, `Call ${this.id}`), el('p', { class: 'bad' }, err instanceof Error ? err.message : String(err)), el('a', { href: '#/calls' }, 'Back to calls'));
      return;
    }
    if (this.destroyed) return;
    this.renderHeader();
    this.charts.setHolds(holdPeriods(this.call, this.extent().max));
    await Promise.all([this.loadTimeline(), this.loadLogs(), this.loadRecording()]);
    if (this.call.active) this.logTimer = window.setInterval(() => void this.loadLogs(), LIVE_LOG_REFRESH_MS);
  }

  private async loadTimeline(): Promise<void> {
    const zoom = this.windowFromParams();
    let timeline;
    try {
      timeline = await fetchTimeline(this.id, MAX_CHART_POINTS, zoom ? { from: zoom.min, to: zoom.max } : undefined);
    } catch (err) {
      this.toolbar.append(el('span', { class: 'bad' }, ` Could not load the timeline: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (this.destroyed) return;
    this.charts.setTimeline(timeline, this.extent());
    this.charts.setZoom(zoom);
    this.probe.window = this.charts.window;
    const at = Number(this.params.get('at'));
    if (this.params.get('at') && Number.isFinite(at)) this.charts.setPicked(at);
    // The charts are drawn synchronously (no animation); the next frame has painted them.
    requestAnimationFrame(() => {
      if (this.probe.drawnAtMs === null) this.probe.drawnAtMs = performance.now();
      this.probe.ready = true;
      this.element.dataset.chartsReady = '1';
    });
    this.renderToolbar();
  }

  private queueSamples(samples: Sample[]): void {
    this.pendingSamples.push(...samples);
    if (this.liveTimer !== 0) return;
    this.liveTimer = window.setTimeout(() => {
      this.liveTimer = 0;
      const batch = this.pendingSamples;
      this.pendingSamples = [];
      const latest = batch.reduce((m, s) => Math.max(m, s.endMs), 0);
      this.charts.appendSamples(batch, latest);
      this.probe.window = this.charts.window;
    }, LIVE_RENDER_MS);
  }

  private onZoom(w: TimeWindow | null): void {
    const p = new URLSearchParams(this.params);
    if (w) {
      p.set('from', String(Math.floor(w.min)));
      p.set('to', String(Math.ceil(w.max)));
    } else {
      p.delete('from');
      p.delete('to');
    }
    this.params = p;
    setRoute(`/calls/${this.id}`, p, 'push');
    this.probe.window = this.charts.window;
    this.scheduleZoomFetch(w);
    this.renderToolbar();
  }

  /** Zoomed in, the server sends the window at full detail instead of the whole call decimated. */
  private scheduleZoomFetch(w: TimeWindow | null): void {
    clearTimeout(this.zoomTimer);
    const gen = ++this.zoomGeneration;
    this.zoomTimer = window.setTimeout(() => {
      if (gen === this.zoomGeneration) void this.loadTimeline();
    }, w ? ZOOM_FETCH_DELAY_MS : 0);
  }

  private setZoomTo(w: TimeWindow | null): void {
    this.charts.setZoom(w);
    this.onZoom(w);
  }

  private renderToolbar(): void {
    clear(this.toolbar);
    const ext = this.extent();
    const w = this.charts.isZoomed ? this.charts.window : null;
    const span = (w ?? ext).max - (w ?? ext).min;
    const zoomOut = el('button', { type: 'button', disabled: !w }, 'Zoom out');
    zoomOut.addEventListener('click', () => {
      if (!w) return;
      const mid = (w.min + w.max) / 2;
      const next = { min: Math.max(ext.min, mid - span), max: Math.min(ext.max, mid + span) };
      this.setZoomTo(next.max - next.min >= ext.max - ext.min ? null : next);
    });
    const pan = (dir: -1 | 1) => {
      if (!w) return;
      const shift = Math.min(span / 2, dir < 0 ? w.min - ext.min : ext.max - w.max) * dir;
      if (shift !== 0) this.setZoomTo({ min: w.min + shift, max: w.max + shift });
    };
    const left = el('button', { type: 'button', disabled: !w, title: 'Earlier' }, '◀');
    const right = el('button', { type: 'button', disabled: !w, title: 'Later' }, '▶');
    left.addEventListener('click', () => pan(-1));
    right.addEventListener('click', () => pan(1));
    const reset = el('button', { type: 'button', disabled: !w, class: 'reset-zoom' }, 'Whole call');
    reset.addEventListener('click', () => this.setZoomTo(null));
    this.toolbar.append(
      el('span', { class: 'hint' }, 'Drag across a chart to zoom, click to see the log lines of that moment.'),
      el('span', { class: 'spacer' }),
      el('span', { class: 'window mono' }, w ? `${clockTime(w.min)} – ${clockTime(w.max)} (${duration(span / 1000)})` : `whole call · ${duration(span / 1000)}`),
      left, zoomOut, right, reset,
    );
  }

  private renderHeader(): void {
    const c = this.call;
    if (!c) return;
    const dev = c.device;
    const devLink = dev ? el('a', { href: routeHash(`/devices/${encodeURIComponent(dev.address)}`, new URLSearchParams()) }, dev.address) : '—';
    const durMs = c.durationMs ?? (c.active ? Date.now() - Date.parse(c.start) : null);
    clear(this.header);
    this.header.append(
      el('a', { class: 'back', href: '#/calls' }, '← Calls'),
      el('h1', {}, party(c.localId), el('span', { class: 'arrow' }, ' ⇄ '), party(c.remoteId)),
      verdictBadge(c.verdict, c.verdictReason),
      el('span', { class: 'live-badge', hidden: !c.active }, '● in progress'),
      el('span', { class: 'why', title: c.verdictReason ?? '' }, c.verdictReason ?? ''),
    );
    addBundleButton(this.header, { callId: c.id });
    clear(this.facts);
    const fact = (k: string, v: Node | string | null) => el('div', { class: 'fact' }, el('span', { class: 'k' }, k), el('span', { class: 'v' }, v));
    this.facts.append(
      fact('Device', el('span', {}, devLink, dev?.model ? ` · ${dev.model}` : '')),
      fact('Start', dateTime(c.start).slice(0, 23)),
      fact('Duration', durMs === null ? '—' : duration(durMs / 1000)),
      fact('Codec', c.codec ?? '—'),
      fact('Worst MOS', mosCell(c.worstMos)),
      fact('Avg MOS', mosCell(c.avgMos)),
      fact('Max loss', fixed(c.maxLossPct, 1, ' %')),
      fact('Max jitter', fixed(c.maxJitterMs, 1, ' ms')),
      fact('Call-ID', el('span', { class: 'mono', title: c.sipCallId ?? '' }, c.sipCallId ?? '—')),
    );
    if (c.clockSkewMs !== null) {
      this.facts.append(el('div', { class: 'fact clock-skew warn', title: 'The phone\'s report and log times were put on the collector\'s receive clock: check its time server (NTP) and time-zone offset.' },
        el('span', { class: 'k' }, 'Phone clock'),
        el('span', { class: 'v' }, `phone clock was ${describeClockSkew(c.clockSkewMs)} (estimated from receive time)`)));
    }
    this.renderSide(null);
  }

  private recording: RecordedCall | null = null;

  private async loadRecording(): Promise<void> {
    this.recording = this.call ? await findRecording(this.call).catch(() => null) : null;
    if (!this.destroyed) this.renderSide(this.recording);
  }

  private renderSide(rec: RecordedCall | null): void {
    const c = this.call;
    if (!c) return;
    rec = rec ?? this.recording;
    clear(this.sideInfo);
    const heard = el('ul', { class: 'sources' });
    for (const g of SOURCE_GROUPS) {
      const have = g.sources.filter((s) => c.sources.includes(s));
      heard.append(el('li', { class: have.length > 0 ? 'have' : 'missing' },
        el('span', { class: 'mark' }, have.length > 0 ? '✓' : '—'), ' ',
        el('strong', {}, g.label), ' ',
        el('span', { class: 'muted' }, have.length > 0 ? have.map((s) => sourceLook(s).label).join(', ') : g.missing)));
    }
    const extra = c.sources.filter((s) => !SOURCE_GROUPS.some((g) => g.sources.includes(s)));
    if (extra.length > 0) heard.append(el('li', { class: 'have' }, el('span', { class: 'mark' }, '✓'), ' ', extra.join(', ')));
    const legend = el('div', { class: 'source-legend' }, ...Object.keys(SOURCES).filter((s) => c.sources.includes(s)).map((s) => {
      const sw = el('span', { class: 'swatch' });
      sw.style.borderColor = sourceLook(s).colour;
      return el('span', { class: 'legend-item static', title: sourceLook(s).title }, sw, sourceLook(s).label);
    }), el('span', { class: 'legend-item static' }, el('span', { class: 'swatch' }), 'rx (received)'), el('span', { class: 'legend-item static' }, el('span', { class: 'swatch dashed' }), 'tx (sent)'));

    const recBox = el('div', { class: 'recording' });
    if (rec) {
      recBox.append(el('p', {}, `Recording: ${count(rec.datagrams)} datagrams. `, el('span', { class: 'muted' }, 'Recorded packet times are the phone\'s device (ACDR) time.')));
      if (rec.recordingGaps > 0) {
        recBox.append(el('p', { class: 'warn recording-loss' }, `The recording itself lost ${count(rec.recordingGaps)} datagrams on the way to the collector (ACDR sequence gaps). That is recording loss, not network loss: the computed charts may show loss the call did not have.`));
      } else {
        recBox.append(el('p', { class: 'muted' }, 'No recording loss: every ACDR datagram arrived.'));
      }
      const dl = (href: string, label: string) => el('a', { class: 'download', href, download: '' }, label);
      const base = `/api/recordings/calls/${rec.id}`;
      recBox.append(el('div', { class: 'downloads' },
        dl(`${base}/pcap?form=original`, 'pcap (as received, ACDR)'),
        dl(`${base}/pcap?form=plain`, 'pcap (plain RTP, for Wireshark)'),
        dl(`/api/calls/${c.id}/samples.csv`, 'quality samples (CSV)')),
        recordingKindsView(rec, base));
      // The PCM recordings play in the kinds list; these are the call's own RTP directions.
      const audio = (rec.streams ?? []).filter((s) => s.audio && s.kind !== 'pcm');
      if (audio.length > 0) {
        const players = el('div', { class: 'players' });
        for (const s of audio) {
          const src = `${base}/audio/${s.id}.wav`;
          players.append(el('div', { class: 'player' },
            el('span', {}, `${s.direction === 'rx' ? 'Received' : 'Sent'} (${s.codec ?? '?'})`),
            dl(src, 'WAV'),
            el('audio', { controls: true, preload: 'none', src })));
        }
        if (audio.some((s) => s.direction === 'rx') && audio.some((s) => s.direction === 'tx')) {
          players.append(el('div', { class: 'player' }, el('span', {}, 'Both (stereo: received left, sent right)'), dl(`${base}/audio/mixed.wav`, 'WAV'),
            el('audio', { controls: true, preload: 'none', src: `${base}/audio/mixed.wav` })));
        }
        recBox.append(players);
      } else if (rec.undecodableCodecs.length > 0) {
        recBox.append(el('p', { class: 'muted' }, `No audio: ${rec.undecodableCodecs.join(', ')} cannot be decoded here (G.711 only).`));
      }
    } else {
      recBox.append(el('p', { class: 'muted' }, c.recordingSession ? 'Looking for the recording…' : 'No debug recording of this call.'),
        el('div', { class: 'downloads' }, el('a', { class: 'download', href: `/api/calls/${c.id}/samples.csv`, download: '' }, 'quality samples (CSV)')));
    }

    const streams = el('table', { class: 'grid compact streams' },
      el('thead', {}, el('tr', {}, ...['Dir', 'SSRC', 'Codec', 'Verdict'].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...c.streams.map((s) => el('tr', { title: s.remoteAddr ? `far end ${s.remoteAddr}:${s.remotePort ?? ''}` : '' },
        el('td', {}, s.direction),
        el('td', { class: 'mono' }, s.ssrcHex ?? '—'),
        el('td', {}, s.codec ?? '—'),
        el('td', {}, verdictBadge(s.verdict, s.verdictReason))))));

    const holds = holdPeriods(c, this.extent().max).filter(([a]) => !c.segments.some((s) => s.reason === 'hold' && s.start && Date.parse(s.start) === a));
    const segments = c.segments.length > 0
      ? el('ul', { class: 'segments' }, ...c.segments.map((s) => el('li', {},
        el('span', { class: `seg seg-${s.reason}` }, s.reason), ' ',
        el('span', { class: 'mono' }, s.start ? clockTime(Date.parse(s.start)) : '?', ' – ', s.end ? clockTime(Date.parse(s.end)) : 'now'),
        s.codec ? ` · ${s.codec}` : '')),
        ...holds.map(([a, b]) => el('li', { title: 'between two reported segments: the phone reports at each hold, so this is taken as a hold (shaded grey on the charts)' },
          el('span', { class: 'seg seg-hold' }, 'hold?'), ' ', el('span', { class: 'mono' }, `${clockTime(a)} – ${clockTime(b)}`))))
      : el('p', { class: 'muted' }, 'No segments reported.');

    const logsHref = c.device ? routeHash('/logs', new URLSearchParams({ device: c.device.address })) : '#/logs';
    this.sideInfo.append(
      el('h2', {}, 'Sources heard'), heard, legend,
      el('h2', {}, 'Recording'), recBox,
      el('h2', {}, 'Streams'), streams,
      el('h2', {}, 'Segments (hold, resume, codec)'), segments,
      el('p', {}, el('a', { href: logsHref }, 'Live log tail of this device →')),
    );
  }

  private async loadLogs(): Promise<void> {
    const c = this.call;
    if (!c || !c.device) {
      this.logStatus.textContent = 'No device known for this call, so no log lines.';
      return;
    }
    const ext = this.extent();
    let lines: LogLine[];
    try {
      const page = await fetchLogs({ device: c.device.address, modules: [], limit: LOG_LIMIT, from: ext.min - LOG_MARGIN_MS, to: ext.max + LOG_MARGIN_MS });
      lines = page.logs.reverse();
    } catch (err) {
      this.logStatus.textContent = `Could not load log lines: ${err instanceof Error ? err.message : String(err)}`;
      return;
    }
    if (this.destroyed) return;
    const picked = this.logList.querySelector('.row.picked')?.getAttribute('data-id');
    clear(this.logList);
    this.logs = lines.map((line) => {
      const row = renderRow(line);
      const t = logTime(line, c.clockSkewMs !== null);
      row.dataset.t = String(t);
      if (picked && row.dataset.id === picked) row.classList.add('picked');
      this.logList.append(row);
      return { line, t, row };
    });
    if (lines.length === 0) {
      this.logList.append(el('p', { class: 'empty-row' }, 'The phone sent no syslog in this window. ',
        el('a', { href: '#/setup' }, 'Setup'), ' shows how to point its syslog here.'));
    }
    const more = lines.length >= LOG_LIMIT ? ` (the first ${count(LOG_LIMIT)}; the Logs page has all)` : '';
    this.logStatus.textContent = `${count(lines.length)} lines${more}, ${clockTime(ext.min - LOG_MARGIN_MS)} – ${clockTime(ext.max + LOG_MARGIN_MS)}; ${c.clockSkewMs !== null ? 'times are when the collector received them (the phone\'s clock is off)' : 'times are the phone\'s clock where it sent one'}`;
    this.charts.setMarks(this.logs.map((l) => ({ t: l.t, tone: l.line.severity !== null && l.line.severity <= 3 ? 'err' : 'log' })));
    const at = Number(this.params.get('at'));
    if (this.params.get('at') && Number.isFinite(at) && !this.logList.querySelector('.row.picked')) this.pick(at, 'url');
  }

  /** A moment picked on a chart, a log line or the URL: marked on the charts, its log lines shown. */
  private pick(t: number | null, from: 'chart' | 'log' | 'url'): void {
    this.charts.setPicked(t);
    for (const r of this.logList.querySelectorAll('.row.picked, .row.near')) r.classList.remove('picked', 'near');
    if (t === null) return;
    if (from !== 'url') {
      const p = new URLSearchParams(this.params);
      p.set('at', String(Math.round(t)));
      this.params = p;
      setRoute(`/calls/${this.id}`, p, 'replace');
    }
    if (this.logs.length === 0) return;
    let nearest = this.logs[0]!;
    for (const l of this.logs) if (Math.abs(l.t - t) < Math.abs(nearest.t - t)) nearest = l;
    for (const l of this.logs) if (Math.abs(l.t - t) <= PICK_NEAR_MS) l.row.classList.add('near');
    nearest.row.classList.add('picked');
    if (from === 'log') return;
    // Scroll the list, not the page, to the moment; a click on a chart also brings the list into view.
    this.logList.scrollTop = nearest.row.offsetTop - this.logList.clientHeight / 2;
    if (from === 'chart') this.logList.scrollIntoView({ block: 'nearest' });
  }
}
