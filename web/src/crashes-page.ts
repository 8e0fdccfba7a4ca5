// The Crashes page: upload by drag and drop, crash groups with counts, a per-day trend and the
// firmware spread; a group's crashes (#/crashes?group=…); one crash (#/crashes?group=…&crash=…).
import { fetchCrashGroup, fetchCrashGroups, uploadDumps, type CrashGroup } from './crashes-api.js';
import { renderCrash } from './crashes-view.js';
import { acceptFiles, clear, el } from './dom.js';
import { ago, count, dateTime } from './format.js';
import { routeHash, setRoute } from './router.js';

const REFRESH_MS = 5000;
const TREND_DAYS = 14;
const DAY_MS = 86_400_000;
const FILTERS = ['device', 'firmware', 'process'] as const;

export class CrashesPage {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private readonly inputs = new Map<string, HTMLInputElement>();
  private readonly meta = new Map<string, HTMLInputElement>();
  private params = new URLSearchParams();
  private readonly timer: number;

  constructor() {
    this.status = el('p', { class: 'upload-status', role: 'status' });
    this.body = el('div', { class: 'crashes-body' });
    this.element = el('div', { class: 'page crashes-page' }, this.toolbar(), this.dropZone(), this.body);
    this.timer = window.setInterval(() => { if (!this.params.get('crash')) void this.render(false); }, REFRESH_MS);
  }

  update(params: URLSearchParams): void {
    this.params = params;
    for (const name of FILTERS) {
      const input = this.inputs.get(name);
      if (input && document.activeElement !== input) input.value = params.get(name) ?? '';
    }
    void this.render(true);
  }

  destroy(): void {
    clearInterval(this.timer);
  }

  private toolbar(): HTMLElement {
    const bar = el('form', { class: 'toolbar crash-filters' });
    for (const name of FILTERS) {
      const input = el('input', { type: 'search', name, placeholder: name === 'device' ? 'address or MAC' : name, size: 14 });
      this.inputs.set(name, input);
      bar.append(el('label', { class: 'field' }, el('span', {}, name), input));
    }
    bar.append(el('button', { type: 'submit' }, 'Filter'));
    bar.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      for (const name of FILTERS) {
        const v = this.inputs.get(name)?.value.trim();
        if (v) next.set(name, v);
      }
      setRoute('/crashes', next, 'push');
      this.update(next);
    });
    return bar;
  }

  private dropZone(): HTMLElement {
    const file = el('input', { type: 'file', multiple: true, 'data-testid': 'dump-file' });
    const fields = el('div', { class: 'upload-fields' });
    for (const [name, hint] of [['device', 'device address or MAC'], ['firmware', 'firmware, e.g. UC_3.1.0.296'], ['ticket', 'ticket'], ['note', 'note']] as const) {
      const input = el('input', { type: 'text', name, placeholder: hint, size: name === 'note' ? 24 : 16 });
      this.meta.set(name, input);
      fields.append(input);
    }
    const zone = el('section', { class: 'dropzone', 'data-testid': 'dropzone' },
      el('p', {}, el('b', {}, 'Drop tombstones, core dumps or archives here'), ' (gzip, bzip2, xz, zstd, tar, zip), or ', el('label', { class: 'pick' }, 'choose files', file), '.'),
      fields, this.status);
    acceptFiles(zone, file, (files) => void this.upload(files));
    return zone;
  }

  private async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    this.status.className = 'upload-status';
    this.status.textContent = `Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`;
    try {
      const fields = Object.fromEntries([...this.meta].map(([k, input]) => [k, input.value]));
      const answer = await uploadDumps(files, fields);
      clear(this.status);
      for (const d of answer.dumps) {
        const line = el('div', { class: d.status === 'rejected' ? 'bad' : '' },
          `${d.duplicate ? 'Already uploaded' : d.status === 'rejected' ? 'No crash found' : 'Stored'}: ${d.crashIds.length} crash${d.crashIds.length === 1 ? '' : 'es'}`);
        for (const [i, g] of d.groups.entries()) {
          line.append(i === 0 ? ' in ' : ', ', el('a', { href: routeHash('/crashes', new URLSearchParams({ group: g })) }, `group ${g}`));
        }
        for (const p of d.problems) line.append(el('div', { class: 'muted' }, `${p.member}: ${p.reason}`));
        this.status.append(line);
      }
      await this.render(false);
    } catch (err) {
      this.status.className = 'upload-status bad';
      this.status.textContent = err instanceof Error ? err.message : String(err);
    }
  }

  private async render(showLoading: boolean): Promise<void> {
    const group = this.params.get('group');
    const crash = this.params.get('crash');
    if (group && crash) return renderCrash(this.body, group, crash);
    if (showLoading) {
      clear(this.body);
      this.body.append(el('p', { class: 'muted' }, 'Loading crashes…'));
    }
    try {
      if (group) await this.renderGroup(group);
      else await this.renderGroups();
    } catch (err) {
      clear(this.body);
      this.body.append(el('p', { class: 'bad' }, `Could not load crashes: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private async renderGroups(): Promise<void> {
    const filter = new URLSearchParams();
    for (const name of FILTERS) {
      const v = this.params.get(name);
      if (v) filter.set(name, v);
    }
    const groups = await fetchCrashGroups(filter);
    clear(this.body);
    if (groups.length === 0) {
      this.body.append(el('div', { class: 'empty' }, el('p', { class: 'lead' }, 'No crashes yet.'),
        el('p', {}, 'Drop a tombstone or a core dump archive above, copy files into the drop folder (--dump-drop-dir), or ', el('code', {}, 'curl --data-binary @tombstone_00 http://collector:8080/api/dumps?device=10.0.0.5'), '.')));
      return;
    }
    const now = Date.now();
    const body = el('tbody');
    for (const g of groups) {
      body.append(el('tr', { class: 'group', 'data-group': g.hash },
        el('td', {}, el('a', { href: routeHash('/crashes', new URLSearchParams({ group: g.hash })), class: 'group-title' }, g.title),
          el('div', { class: 'mono muted sig' }, g.signature)),
        el('td', { class: 'num' }, count(g.count)),
        el('td', { class: 'num' }, count(g.devices)),
        el('td', {}, trend(g, now)),
        el('td', {}, spread(g.byFirmware)),
        el('td', { title: dateTime(g.firstSeen) }, ago(g.firstSeen, now)),
        el('td', { title: dateTime(g.lastSeen) }, ago(g.lastSeen, now)),
      ));
    }
    this.body.append(el('table', { class: 'grid crash-groups', 'data-testid': 'crash-groups' },
      el('thead', {}, el('tr', {}, el('th', {}, 'crash'), el('th', {}, 'crashes'), el('th', {}, 'devices'), el('th', {}, `last ${TREND_DAYS} days`), el('th', {}, 'firmware'), el('th', {}, 'first seen'), el('th', {}, 'last seen'))),
      body));
  }

  private async renderGroup(hash: string): Promise<void> {
    const { group, crashes } = await fetchCrashGroup(hash);
    const now = Date.now();
    clear(this.body);
    const rows = el('tbody');
    for (const c of crashes) {
      rows.append(el('tr', {},
        el('td', {}, el('a', { href: routeHash('/crashes', new URLSearchParams({ group: hash, crash: String(c.id) })) }, dateTime(c.at))),
        el('td', { class: 'mono' }, c.deviceRef ?? '—'),
        el('td', {}, c.model ?? ''),
        el('td', { class: 'mono' }, c.firmware ?? '—'),
        el('td', { class: 'mono' }, c.process ?? '?'),
        el('td', {}, c.signal ?? ''),
        el('td', {}, c.partial ? el('span', { class: 'badge partial' }, 'partial') : ''),
        el('td', { class: 'muted' }, c.member),
      ));
    }
    this.body.append(
      el('nav', { class: 'crumbs' }, el('a', { href: '#/crashes' }, 'Crashes'), ' › ', group.title),
      el('h2', {}, group.title),
      el('p', { class: 'mono muted sig' }, group.signature, el('span', { class: 'badge' }, `confidence ${group.confidence}`)),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Crashes'), el('dd', {}, `${count(group.count)} on ${count(group.devices)} device${group.devices === 1 ? '' : 's'}`),
        el('dt', {}, 'Seen'), el('dd', {}, `${dateTime(group.firstSeen)} – ${dateTime(group.lastSeen)} (last ${ago(group.lastSeen, now)})`),
        el('dt', {}, 'Trend'), el('dd', {}, trend(group, now)),
        el('dt', {}, 'Firmware'), el('dd', {}, spread(group.byFirmware)),
        el('dt', {}, 'Models'), el('dd', {}, spread(group.byModel)),
        el('dt', {}, 'Devices'), el('dd', {}, spread(group.byDevice))),
      el('table', { class: 'grid', 'data-testid': 'group-crashes' },
        el('thead', {}, el('tr', {}, el('th', {}, 'when'), el('th', {}, 'device'), el('th', {}, 'model'), el('th', {}, 'firmware'), el('th', {}, 'process'), el('th', {}, 'signal'), el('th', {}, ''), el('th', {}, 'file'))),
        rows),
    );
  }
}

/** One bar per UTC day for the last TREND_DAYS days, scaled to the busiest day. */
function trend(g: CrashGroup, nowMs: number): HTMLElement {
  const days: Array<[string, number]> = [];
  for (let i = TREND_DAYS - 1; i >= 0; i--) {
    const day = new Date(nowMs - i * DAY_MS).toISOString().slice(0, 10);
    days.push([day, g.perDay[day] ?? 0]);
  }
  const older = Object.entries(g.perDay).filter(([d]) => d < days[0]![0]).reduce((n, [, v]) => n + v, 0);
  const max = Math.max(1, ...days.map(([, n]) => n));
  const box = el('span', { class: 'trend', title: `${days.map(([d, n]) => `${d}: ${n}`).join('\n')}${older ? `\nolder: ${older}` : ''}` });
  for (const [, n] of days) {
    const bar = el('span', { class: n > 0 ? 'bar' : 'bar zero' });
    bar.style.height = `${Math.max(1, Math.round((n / max) * 18))}px`;
    box.append(bar);
  }
  return box;
}

function spread(counts: Record<string, number>): HTMLElement {
  const box = el('span', { class: 'spread' });
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  for (const [k, n] of entries.slice(0, 4)) box.append(el('span', { class: 'chip' }, `${k} ${count(n)}`));
  if (entries.length > 4) box.append(el('span', { class: 'muted' }, ` +${entries.length - 4} more`));
  return box;
}
