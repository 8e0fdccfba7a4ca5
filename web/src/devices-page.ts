// The Devices page: every phone that has sent something, with a link to its logs.
import { fetchDevices } from './api.js';
import { clear, el } from './dom.js';
import { ago, count, moduleLabel } from './format.js';
import { routeHash } from './router.js';
import type { Device } from './types.js';

const REFRESH_MS = 5000;
const TOP_MODULES = 4;

function topModules(d: Device): string {
  return Object.entries(d.modules)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_MODULES)
    .map(([m, n]) => `${m} ${count(n)}`)
    .join(', ');
}

export class DevicesPage {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly timer: number;

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
    clear(this.body);
    if (devices.length === 0) {
      this.body.append(
        el('div', { class: 'empty' },
          el('p', { class: 'lead' }, 'No devices yet.'),
          el('p', {}, 'A phone appears here when it first sends syslog: set its ', el('code', {}, 'system/syslog/server_address'),
            ' to this host; the Logs page shows the port.')),
      );
      return;
    }
    const now = Date.now();
    const head = el('tr', {}, ...['', 'Address', 'Hostname', 'Model', 'Firmware', 'MAC', 'Last seen', 'First seen', 'Lines', 'Seq gaps', 'Busiest modules', '']
      .map((h) => el('th', {}, h)));
    const rows = devices
      .sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }))
      .map((d) => {
        const logs = el('a', { href: routeHash('/logs', new URLSearchParams({ device: d.address })) }, 'Logs');
        const modulesCell = el('td', { class: 'mods', title: Object.keys(d.modules).map(moduleLabel).join(', ') }, topModules(d));
        return el('tr', { class: d.online ? 'online' : 'offline' },
          el('td', { title: d.online ? 'online' : 'offline' }, el('span', { class: 'dot' })),
          el('td', { class: 'mono' }, d.address),
          el('td', {}, d.hostname ?? '—'),
          el('td', {}, d.model ?? '—'),
          el('td', { class: 'mono' }, d.firmware ?? '—'),
          el('td', { class: 'mono' }, d.mac ?? '—'),
          el('td', { title: d.lastSeen }, ago(d.lastSeen, now)),
          el('td', { title: d.firstSeen }, ago(d.firstSeen, now)),
          el('td', { class: 'num' }, count(d.logs)),
          el('td', { class: d.seqGaps > 0 ? 'num warn' : 'num', title: 'syslog sequence numbers that never arrived' }, count(d.seqGaps)),
          modulesCell,
          el('td', {}, logs));
      });
    this.body.append(el('table', { class: 'grid' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  }
}
