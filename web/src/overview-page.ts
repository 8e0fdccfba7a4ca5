// The landing page: is the fleet healthy right now? Devices heard from, calls in progress with
// their live MOS, poor calls lately, what each source is receiving per second, and where the
// collector listens. Numbers sit in fixed-size tiles so nothing jumps while they tick.
import { fetchDevices } from './api.js';
import { fetchActiveRecordings, fetchCalls, isLiveRecording, type CallSummary, type LiveRecording } from './calls-api.js';
import { clear, el } from './dom.js';
import { ago, count, duration } from './format.js';
import type { LiveConnection } from './live.js';
import { callTitle, fixed, mosCell, verdictBadge } from './quality.js';
import { routeHash } from './router.js';
import type { Device, Health, SourceCounters } from './types.js';

const REFRESH_MS = 5000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Calls in progress are looked for among those that started this long ago at most. */
const ACTIVE_LOOKBACK_MS = 12 * HOUR_MS;
const ACTIVE_SCAN_CALLS = 500;
const RECENT_POOR_ROWS = 8;
/** Live call updates are drawn at most this often: a flood of changes costs one redraw. */
const LIVE_RENDER_MS = 500;

/** Counter names grouped into the sources an admin thinks in. */
function sourceGroup(counter: string): string {
  if (counter.startsWith('syslog')) return 'syslog';
  if (counter.startsWith('recording')) return 'recordings';
  if (counter.startsWith('sip')) return 'reports';
  if (counter.startsWith('dump') || counter.startsWith('crash')) return 'dumps';
  return counter;
}

interface Tile { value: HTMLElement; note: HTMLElement; element: HTMLElement }

function tile(label: string, href: string): Tile {
  const value = el('div', { class: 'tile-value' }, '…');
  const note = el('div', { class: 'tile-note muted' }, '\u00a0');
  const element = el('a', { class: 'tile', href }, el('div', { class: 'tile-label' }, label), value, note);
  return { value, note, element };
}

export class OverviewPage {
  readonly element: HTMLElement;
  private readonly tiles: Record<'devices' | 'active' | 'poorHour' | 'poorDay' | 'callsDay', Tile>;
  private readonly activeBody: HTMLElement;
  private readonly poorBody: HTMLElement;
  private readonly ingestBody: HTMLElement;
  private readonly portsBody: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly active = new Map<number, CallSummary>();
  /** Recorded calls in progress: a recording joins the calls list when it ends, so until then it is only here. */
  private readonly recording = new Map<number, LiveRecording>();
  private devices = new Map<number, Device>();
  private lastHealth: { at: number; counters: Record<string, SourceCounters> } | null = null;
  private readonly timer: number;
  private renderTimer = 0;
  private readonly disposers: (() => void)[] = [];

  constructor(live: LiveConnection) {
    const calls = (p: Record<string, string>) => routeHash('/calls', new URLSearchParams(p));
    this.tiles = {
      devices: tile('Devices online', '#/devices'),
      active: tile('Calls in progress', '#/calls'),
      poorHour: tile('Poor calls, last hour', calls({ verdict: 'poor', since: '1h' })),
      poorDay: tile('Poor calls, last 24 h', calls({ verdict: 'poor', since: '24h' })),
      callsDay: tile('Calls, last 24 h', calls({ since: '24h' })),
    };
    this.banner = el('div', { class: 'overview-banner', hidden: true });
    this.activeBody = el('tbody');
    this.poorBody = el('tbody');
    this.ingestBody = el('tbody');
    this.portsBody = el('tbody');
    const card = (title: string, link: HTMLElement | null, table: HTMLElement) =>
      el('section', { class: 'card' }, el('header', {}, el('h2', {}, title), link), table);
    this.element = el('div', { class: 'page overview-page scroll-page' },
      this.banner,
      el('div', { class: 'tiles' }, ...Object.values(this.tiles).map((t) => t.element)),
      el('div', { class: 'cards' },
        card('Calls in progress', el('a', { href: '#/calls' }, 'all calls'),
          el('table', { class: 'grid compact' }, el('thead', {}, el('tr', {}, ...['Device', 'Remote party', 'Started', 'Codec', 'MOS so far', 'Worst', 'Loss', ''].map((h) => el('th', {}, h)))), this.activeBody)),
        card('Poor calls, last 24 h', el('a', { href: calls({ verdict: 'poor', since: '24h' }) }, 'all'),
          el('table', { class: 'grid compact' }, el('thead', {}, el('tr', {}, ...['Started', 'Device', 'Remote party', 'Worst MOS', 'Why'].map((h) => el('th', {}, h)))), this.poorBody)),
        card('Ingest', null,
          el('table', { class: 'grid compact num-grid' }, el('thead', {}, el('tr', {}, ...['Source', 'per second', 'received', 'parsed', 'malformed', 'dropped', 'stored'].map((h) => el('th', {}, h)))), this.ingestBody)),
        card('Listening on', el('a', { href: '#/setup' }, 'phone setup'),
          el('table', { class: 'grid compact' }, el('thead', {}, el('tr', {}, ...['Listener', 'Transport', 'Address', 'Port', 'State'].map((h) => el('th', {}, h)))), this.portsBody)),
      ),
    );
    this.disposers.push(
      live.onHealth((h) => this.onHealth(h)),
      live.watchCalls((list) => this.onCalls(list)),
      live.on('recordings:update', (u) => this.onRecordings(u)),
    );
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
    void this.refresh();
  }

  update(): void {}

  destroy(): void {
    clearInterval(this.timer);
    clearTimeout(this.renderTimer);
    for (const d of this.disposers) d();
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    const [devices, poorHour, poorDay, callsDay, recent, recordings] = await Promise.all([
      fetchDevices().catch(() => null),
      fetchCalls({ verdict: ['poor'], from: now - HOUR_MS, limit: 1 }).catch(() => null),
      fetchCalls({ verdict: ['poor'], from: now - DAY_MS, limit: RECENT_POOR_ROWS }).catch(() => null),
      fetchCalls({ from: now - DAY_MS, limit: 1 }).catch(() => null),
      fetchCalls({ from: now - ACTIVE_LOOKBACK_MS, limit: ACTIVE_SCAN_CALLS }).catch(() => null),
      fetchActiveRecordings().catch(() => null),
    ]);
    if (devices) {
      this.devices = new Map(devices.map((d) => [Number(d.id), d]));
      const online = devices.filter((d) => d.online).length;
      this.tiles.devices.value.textContent = count(online);
      this.tiles.devices.note.textContent = `of ${count(devices.length)} seen`;
      this.banner.hidden = devices.length > 0;
      clear(this.banner);
      if (devices.length === 0) {
        this.banner.append(el('strong', {}, 'Nothing received yet. '), 'Point a phone at this collector: ',
          el('a', { href: '#/setup' }, 'the Setup page'), ' has the configuration lines to copy into its .cfg file.');
      }
    }
    if (poorHour) this.setCount(this.tiles.poorHour, poorHour.total, poorHour.total > 0 ? 'bad' : 'ok');
    if (poorDay) {
      this.setCount(this.tiles.poorDay, poorDay.total, poorDay.total > 0 ? 'bad' : 'ok');
      this.renderPoor(poorDay.calls);
    }
    if (callsDay) this.setCount(this.tiles.callsDay, callsDay.total, '');
    if (recent) {
      this.active.clear();
      for (const c of recent.calls) if (c.active) this.active.set(c.id, c);
    }
    if (recordings) {
      this.recording.clear();
      for (const r of recordings) this.recording.set(r.id, r);
    }
    if (recent || recordings) this.renderActive();
  }

  private setCount(t: Tile, n: number, tone: string): void {
    t.value.textContent = count(n);
    t.value.className = `tile-value ${tone}`;
  }

  private onRecordings(u: unknown): void {
    const calls = typeof u === 'object' && u !== null && Array.isArray((u as { calls?: unknown }).calls) ? (u as { calls: unknown[] }).calls : [];
    for (const r of calls.filter(isLiveRecording)) {
      if (r.active) this.recording.set(r.id, r);
      else this.recording.delete(r.id);
    }
    this.scheduleRender();
  }

  private onCalls(list: CallSummary[]): void {
    for (const c of list) {
      if (c.active) this.active.set(c.id, c);
      else this.active.delete(c.id);
    }
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.renderTimer === 0) {
      this.renderTimer = window.setTimeout(() => {
        this.renderTimer = 0;
        this.renderActive();
      }, LIVE_RENDER_MS);
    }
  }

  private renderActive(): void {
    const now = Date.now();
    const calls = [...this.active.values()].sort((a, b) => b.start.localeCompare(a.start));
    // A recording whose call a report already opened is listed once, as that call.
    const sessions = new Set(calls.map((c) => c.recordingSession).filter(Boolean));
    const recordings = [...this.recording.values()].filter((r) => !sessions.has(r.sessionId)).sort((a, b) => b.start.localeCompare(a.start));
    const total = calls.length + recordings.length;
    this.tiles.active.value.textContent = count(total);
    const poor = calls.filter((c) => c.verdict === 'poor').length + recordings.filter((r) => r.verdict === 'poor').length;
    this.tiles.active.note.textContent = poor > 0 ? `${count(poor)} poor now` : '\u00a0';
    clear(this.activeBody);
    if (total === 0) {
      this.activeBody.append(el('tr', {}, el('td', { colspan: 8, class: 'muted empty-row' }, 'No call in progress.')));
      return;
    }
    for (const r of recordings.slice(0, RECENT_POOR_ROWS)) {
      this.activeBody.append(el('tr', { 'data-recording': r.id },
        el('td', { class: 'mono' }, el('a', { href: `#/devices/${encodeURIComponent(r.deviceAddr)}` }, r.deviceAddr)),
        el('td', { class: 'muted', title: `ACDR session ${r.sessionId}: the call joins the calls list when its recording ends` }, 'recording…'),
        el('td', { title: r.start }, `${duration((now - Date.parse(r.start)) / 1000)} ago`),
        el('td', {}, '—'),
        el('td', { class: 'num' }, mosCell(r.avgMos)),
        el('td', { class: 'num' }, mosCell(r.worstMos)),
        el('td', { class: 'num' }, fixed(r.maxLossPct, 1, ' %')),
        el('td', {}, verdictBadge(r.verdict))));
    }
    for (const c of calls.slice(0, Math.max(0, RECENT_POOR_ROWS - recordings.length))) {
      const link = routeHash(`/calls/${c.id}`, new URLSearchParams());
      this.activeBody.append(el('tr', { 'data-call': c.id },
        el('td', { class: 'mono' }, this.deviceCell(c.deviceId)),
        el('td', {}, el('a', { href: link }, callTitle(c))),
        el('td', { title: c.start }, `${duration((now - Date.parse(c.start)) / 1000)} ago`),
        el('td', {}, c.codec ?? '—'),
        el('td', { class: 'num' }, mosCell(c.avgMos)),
        el('td', { class: 'num' }, mosCell(c.worstMos)),
        el('td', { class: 'num' }, fixed(c.maxLossPct, 1, ' %')),
        el('td', {}, verdictBadge(c.verdict, c.verdictReason))));
    }
  }

  private deviceCell(id: number | null): Node | string {
    const d = id === null ? undefined : this.devices.get(id);
    return d ? el('a', { href: `#/devices/${encodeURIComponent(d.address)}` }, d.address) : id === null ? '—' : `#${id}`;
  }

  private renderPoor(calls: CallSummary[]): void {
    const now = Date.now();
    clear(this.poorBody);
    if (calls.length === 0) {
      this.poorBody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted empty-row' }, 'No poor call in the last 24 hours.')));
      return;
    }
    for (const c of calls) {
      this.poorBody.append(el('tr', {},
        el('td', { title: c.start }, ago(c.start, now)),
        el('td', { class: 'mono' }, this.deviceCell(c.deviceId)),
        el('td', {}, el('a', { href: `#/calls/${c.id}` }, callTitle(c))),
        el('td', { class: 'num' }, mosCell(c.worstMos)),
        el('td', { class: 'why', title: c.verdictReason ?? '' }, c.verdictReason ?? '—')));
    }
  }

  private onHealth(h: Health): void {
    const now = Date.now();
    const prev = this.lastHealth;
    this.lastHealth = { at: now, counters: h.counters };
    const groups = new Map<string, { rate: number | null; c: SourceCounters }>();
    for (const [name, c] of Object.entries(h.counters)) {
      const g = sourceGroup(name);
      const before = prev?.counters[name];
      const seconds = prev ? (now - prev.at) / 1000 : 0;
      // A counter that went down means the collector restarted: no rate until the next snapshot.
      const rate = before && seconds > 0.5 && c.received >= before.received ? (c.received - before.received) / seconds : null;
      const acc = groups.get(g) ?? { rate: null, c: { received: 0, bytes: 0, parsed: 0, malformed: 0, dropped: 0, stored: 0 } };
      acc.rate = rate === null ? acc.rate : (acc.rate ?? 0) + rate;
      for (const k of ['received', 'bytes', 'parsed', 'malformed', 'dropped', 'stored'] as const) acc.c[k] += c[k];
      groups.set(g, acc);
    }
    for (const g of ['syslog', 'recordings', 'reports', 'dumps']) if (!groups.has(g)) groups.set(g, { rate: null, c: { received: 0, bytes: 0, parsed: 0, malformed: 0, dropped: 0, stored: 0 } });
    clear(this.ingestBody);
    for (const [g, { rate, c }] of groups) {
      this.ingestBody.append(el('tr', { 'data-source': g },
        el('th', { scope: 'row' }, g),
        el('td', { class: 'num' }, rate === null ? '—' : rate < 10 ? rate.toFixed(1) : count(Math.round(rate))),
        el('td', { class: 'num' }, count(c.received)),
        el('td', { class: 'num' }, count(c.parsed)),
        el('td', { class: c.malformed > 0 ? 'num warn' : 'num' }, count(c.malformed)),
        el('td', { class: c.dropped > 0 ? 'num bad' : 'num' }, count(c.dropped)),
        el('td', { class: 'num' }, count(c.stored))));
    }
    if (h.live.dropped > 0) {
      this.ingestBody.append(el('tr', {}, el('th', { scope: 'row' }, 'live push'), el('td', { colspan: 4, class: 'muted' }, 'lines browsers were too slow for'),
        el('td', { class: 'num bad' }, count(h.live.dropped)), el('td', {})));
    }
    clear(this.portsBody);
    for (const l of h.listeners) {
      this.portsBody.append(el('tr', { class: `state-${l.state}` },
        el('td', {}, l.name), el('td', {}, l.transport), el('td', { class: 'mono' }, l.address),
        el('td', { class: 'mono num' }, l.state === 'disabled' ? '—' : String(l.port)),
        el('td', { class: l.state === 'failed' ? 'bad' : l.state === 'listening' ? 'ok' : 'muted', title: l.error ?? '' }, l.error ? `${l.state}: ${l.error}` : l.state)));
    }
  }
}
