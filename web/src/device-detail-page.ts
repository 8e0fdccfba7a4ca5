// One phone: what it is, its calls (newest first, poor ones marked) and its own live log tail,
// which is the Logs page itself with the device fixed (filters live in this page's URL).
import { fetchDevices } from './api.js';
import { fetchCalls, fetchCrashCounts } from './calls-api.js';
import { callCounts, topModules } from './devices-page.js';
import { clear, el } from './dom.js';
import { ago, count, dateTime, duration } from './format.js';
import type { LiveConnection } from './live.js';
import { LogsPage } from './logs-page.js';
import { callTitle, fixed, mosCell, verdictBadge } from './quality.js';
import { routeHash } from './router.js';
import type { Device } from './types.js';
import { addBundleButton, recentWindow } from './bundle-dialog.js';

const RECENT_CALLS = 8;
const REFRESH_MS = 10_000;

export class DeviceDetailPage {
  readonly element: HTMLElement;
  private readonly info: HTMLElement;
  private readonly callsBody: HTMLElement;
  private readonly logs: LogsPage;
  private readonly timer: number;
  private readonly disposeCalls: () => void;
  private refetchTimer = 0;

  constructor(live: LiveConnection, private readonly ref: string) {
    this.info = el('div', { class: 'device-info' }, el('h1', {}, ref), el('span', { class: 'muted' }, 'Loading…'));
    this.callsBody = el('tbody');
    this.logs = new LogsPage(live, { path: `/devices/${encodeURIComponent(ref)}`, device: ref });
    const callsLink = routeHash('/calls', new URLSearchParams({ device: ref }));
    this.element = el('div', { class: 'page device-page' },
      this.info,
      el('section', { class: 'card device-calls' },
        el('header', {}, el('h2', {}, 'Recent calls'), el('a', { href: callsLink }, 'all calls of this phone')),
        el('div', { class: 'device-calls-scroll' },
          el('table', { class: 'grid compact' },
            el('thead', {}, el('tr', {}, ...['Start', 'Remote party', 'Duration', 'Codec', 'Worst MOS', 'Max loss', 'Verdict'].map((h) => el('th', {}, h)))),
            this.callsBody))),
      el('h2', { class: 'device-logs-title' }, 'Live log tail'),
      this.logs.element);
    this.disposeCalls = live.watchCalls((calls) => {
      if (this.refetchTimer !== 0 || calls.length === 0) return;
      this.refetchTimer = window.setTimeout(() => {
        this.refetchTimer = 0;
        void this.loadCalls();
      }, 1000);
    });
    this.timer = window.setInterval(() => void this.loadInfo(), REFRESH_MS);
    void this.loadInfo();
    void this.loadCalls();
  }

  update(params: URLSearchParams): void {
    this.logs.update(params);
  }

  destroy(): void {
    clearInterval(this.timer);
    clearTimeout(this.refetchTimer);
    this.disposeCalls();
    this.logs.destroy();
  }

  private async loadInfo(): Promise<void> {
    const devices = await fetchDevices().catch(() => null);
    if (!devices) return;
    const d = devices.find((x) => x.address === this.ref || x.mac === this.ref || String(x.id) === this.ref);
    const [counts, crashes] = await Promise.all([callCounts(this.ref).catch(() => null), fetchCrashCounts().catch(() => null)]);
    this.renderInfo(d ?? null, counts, d && crashes ? (crashes.get(d.address) ?? 0) + (crashes.get(String(d.id)) ?? 0) : 0);
  }

  private renderInfo(d: Device | null, counts: { calls: number; poor: number } | null, crashes: number): void {
    clear(this.info);
    this.info.append(el('a', { class: 'back', href: '#/devices' }, '← Devices'));
    if (!d) {
      this.info.append(el('h1', {}, this.ref), el('span', { class: 'muted' }, 'Not seen yet: it appears once it sends something.'));
      return;
    }
    const fact = (k: string, v: Node | string) => el('div', { class: 'fact' }, el('span', { class: 'k' }, k), el('span', { class: 'v' }, v));
    this.info.append(
      el('h1', {}, el('span', { class: `dot ${d.online ? 'on' : 'off'}` }), d.address, d.hostname ? ` · ${d.hostname}` : ''),
      el('div', { class: 'call-facts' },
        fact('Model', d.model ?? '—'),
        fact('Firmware', d.firmware ?? '—'),
        fact('MAC', d.mac ?? '—'),
        fact('Last seen', `${ago(d.lastSeen, Date.now())}${d.online ? ' (online)' : ''}`),
        fact('Log lines', count(d.logs)),
        fact('Busiest modules', topModules(d, 3) || '—'),
        fact('Calls', counts ? `${count(counts.calls)} (${count(counts.poor)} poor)` : '…'),
        fact('Crashes', crashes > 0 ? el('a', { href: routeHash('/crashes', new URLSearchParams({ device: d.address })) }, count(crashes)) : '0')));
    addBundleButton(this.info, () => recentWindow(d.address));
  }

  private async loadCalls(): Promise<void> {
    const page = await fetchCalls({ device: this.ref, limit: RECENT_CALLS }).catch(() => null);
    if (!page) return;
    clear(this.callsBody);
    if (page.calls.length === 0) {
      this.callsBody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted empty-row' }, 'No calls from this phone yet.')));
      return;
    }
    for (const c of page.calls) {
      const durMs = c.durationMs ?? (c.active ? Date.now() - Date.parse(c.start) : null);
      this.callsBody.append(el('tr', { class: c.active ? 'live' : '' },
        el('td', { class: 'mono' }, dateTime(c.start).slice(0, 19)),
        el('td', {}, el('a', { href: `#/calls/${c.id}` }, callTitle(c))),
        el('td', { class: 'num' }, durMs === null ? '—' : duration(durMs / 1000)),
        el('td', {}, c.codec ?? '—'),
        el('td', { class: 'num' }, mosCell(c.worstMos)),
        el('td', { class: 'num' }, fixed(c.maxLossPct, 1, ' %')),
        el('td', {}, verdictBadge(c.verdict, c.verdictReason))));
    }
  }
}
