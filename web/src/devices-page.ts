// The Devices page: every phone that has sent something, with its calls, poor calls and crashes,
// and links to its own page, its calls and its logs.
import { fetchDevices } from './api.js';
import { fetchCalls, fetchCrashCounts } from './calls-api.js';
import { clear, el } from './dom.js';
import { ago, count, moduleLabel } from './format.js';
import { routeHash } from './router.js';
import type { Device } from './types.js';

const REFRESH_MS = 5000;
/** Call counts cost two small queries per phone: refreshed less often than the list itself. */
const CALL_COUNTS_REFRESH_MS = 30_000;
/** Past this many phones the per-phone call counts are left to each device's own page. */
const MAX_COUNTED_DEVICES = 200;
const TOP_MODULES = 4;

export function topModules(d: Device, n = TOP_MODULES): string {
  return Object.entries(d.modules)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([m, k]) => `${m} ${count(k)}`)
    .join(', ');
}

export function deviceHref(d: { address: string }): string {
  return routeHash(`/devices/${encodeURIComponent(d.address)}`, new URLSearchParams());
}

/** Calls and poor calls of one phone, over all time (the API's totals). */
export async function callCounts(address: string): Promise<{ calls: number; poor: number }> {
  const [all, poor] = await Promise.all([
    fetchCalls({ device: address, limit: 1 }),
    fetchCalls({ device: address, verdict: ['poor'], limit: 1 }),
  ]);
  return { calls: all.total, poor: poor.total };
}

export class DevicesPage {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly timer: number;
  private counts = new Map<string, { calls: number; poor: number }>();
  private crashes = new Map<string, number>();
  private countsAt = 0;

  constructor() {
    this.body = el('div', { class: 'devices-body' }, el('p', { class: 'muted' }, 'Loading devices…'));
    this.element = el('div', { class: 'page devices-page' }, this.body);
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
    void this.refresh();
  }

  update(): void {}

  destroy(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    let devices: Device[];
    try {
      devices = await fetchDevices();
    } catch (err) {
      clear(this.body);
      this.body.append(el('p', { class: 'bad' }, `Could not load devices: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (Date.now() - this.countsAt > CALL_COUNTS_REFRESH_MS || devices.some((d) => !this.counts.has(d.address))) {
      this.countsAt = Date.now();
      const counted = devices.slice(0, MAX_COUNTED_DEVICES);
      const [counts, crashes] = await Promise.all([
        Promise.all(counted.map(async (d) => [d.address, await callCounts(d.address).catch(() => null)] as const)),
        fetchCrashCounts().catch(() => new Map<string, number>()),
      ]);
      for (const [addr, c] of counts) if (c) this.counts.set(addr, c);
      this.crashes = crashes;
    }
    this.render(devices);
  }

  private crashCount(d: Device): number {
    return (this.crashes.get(d.address) ?? 0) + (this.crashes.get(String(d.id)) ?? 0) + (d.mac ? this.crashes.get(d.mac) ?? 0 : 0);
  }

  private render(devices: Device[]): void {
    clear(this.body);
    if (devices.length === 0) {
      this.body.append(
        el('div', { class: 'empty' },
          el('p', { class: 'lead' }, 'No devices yet.'),
          el('p', {}, 'A phone appears here when it first sends syslog, a recording or a quality report: ',
            el('a', { href: '#/setup' }, 'Setup'), ' has the lines for its configuration file.')),
      );
      return;
    }
    const now = Date.now();
    const head = el('tr', {}, ...['', 'Address', 'Hostname', 'Model', 'Firmware', 'MAC', 'Last seen', 'Lines', 'Seq gaps', 'Busiest modules', 'Calls', 'Poor', 'Crashes', '']
      .map((h) => el('th', {}, h)));
    const rows = devices
      .sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }))
      .map((d) => {
        const c = this.counts.get(d.address);
        const crashes = this.crashCount(d);
        const calls = routeHash('/calls', new URLSearchParams({ device: d.address }));
        const poorCalls = routeHash('/calls', new URLSearchParams({ device: d.address, verdict: 'poor' }));
        return el('tr', { class: d.online ? 'online' : 'offline', 'data-device': d.address },
          el('td', { title: d.online ? 'online: heard from recently' : 'offline: not heard from recently' }, el('span', { class: 'dot' })),
          el('td', { class: 'mono' }, el('a', { href: deviceHref(d) }, d.address)),
          el('td', {}, d.hostname ?? '—'),
          el('td', {}, d.model ?? '—'),
          el('td', { class: 'mono' }, d.firmware ?? '—'),
          el('td', { class: 'mono' }, d.mac ?? '—'),
          el('td', { title: d.lastSeen }, ago(d.lastSeen, now)),
          el('td', { class: 'num' }, count(d.logs)),
          el('td', { class: d.seqGaps > 0 ? 'num warn' : 'num', title: 'syslog sequence numbers that never arrived' }, count(d.seqGaps)),
          el('td', { class: 'mods', title: Object.keys(d.modules).map(moduleLabel).join(', ') }, topModules(d)),
          el('td', { class: 'num' }, c ? el('a', { href: calls }, count(c.calls)) : '…'),
          el('td', { class: c && c.poor > 0 ? 'num bad' : 'num' }, c ? el('a', { href: poorCalls }, count(c.poor)) : '…'),
          el('td', { class: crashes > 0 ? 'num bad' : 'num' }, crashes > 0 ? el('a', { href: routeHash('/crashes', new URLSearchParams({ device: d.address })) }, count(crashes)) : '0'),
          el('td', {}, el('a', { href: routeHash('/logs', new URLSearchParams({ device: d.address })) }, 'Logs')));
      });
    this.body.append(el('table', { class: 'grid' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  }
}
