// The Logs page: a live tail of every phone's syslog, filtered by device, module and severity,
// and a full-text search of stored history. The URL holds the filters so a view can be pasted
// into a ticket; `q` in the URL means history mode.
import { ApiError, fetchDevices, fetchHealth, fetchLogs } from './api.js';
import { clear, el } from './dom.js';
import { count, MODULE_LABELS, SEVERITY_NAMES } from './format.js';
import { LineDetail } from './line-detail.js';
import type { ConnectionState, LiveConnection } from './live.js';
import { LogView, MAX_ROWS, type ViewStatus } from './log-view.js';
import { setRoute } from './router.js';
import type { Device, Health, LogLine } from './types.js';
import { addBundleButton, recentWindow } from './bundle-dialog.js';

/** Stored lines shown when the tail starts, like `tail -n`. */
const BACKLOG_LINES = 200;
const HISTORY_PAGE_LINES = 100;
const DEVICE_REFRESH_MS = 10_000;
const NEW_DEVICE_REFRESH_DELAY_MS = 1000;

export interface LogFilters {
  device?: string;
  modules: string[];
  severity?: number;
  q?: string;
}

export function filtersFromParams(p: URLSearchParams): LogFilters {
  const f: LogFilters = { modules: [] };
  const device = p.get('device')?.trim();
  if (device) f.device = device;
  const modules = p.get('module');
  if (modules) f.modules = [...new Set(modules.split(',').map((m) => m.trim()).filter(Boolean))].sort();
  const sev = Number(p.get('severity') ?? NaN);
  if (p.get('severity') !== null && Number.isInteger(sev) && sev >= 0 && sev <= 7) f.severity = sev;
  const q = p.get('q')?.trim();
  if (q) f.q = q;
  return f;
}

export function paramsFromFilters(f: LogFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.device) p.set('device', f.device);
  if (f.modules.length > 0) p.set('module', f.modules.join(','));
  if (f.severity !== undefined) p.set('severity', String(f.severity));
  if (f.q) p.set('q', f.q);
  return p;
}

const sameFilters = (a: LogFilters, b: LogFilters): boolean =>
  paramsFromFilters(a).toString() === paramsFromFilters(b).toString();

function describeFilters(f: LogFilters): string {
  const parts: string[] = [];
  if (f.device) parts.push(`device ${f.device}`);
  if (f.modules.length > 0) parts.push(`module ${f.modules.join(', ')}`);
  if (f.severity !== undefined) parts.push(`severity ≤ ${SEVERITY_NAMES[f.severity] ?? f.severity}`);
  return parts.join(' · ');
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export class LogsPage {
  readonly element: HTMLElement;
  private filters: LogFilters | null = null;
  /** Bumped on every mode/filter change so late answers for an old view are ignored. */
  private generation = 0;
  private readonly view: LogView;
  private readonly detail: LineDetail;
  private readonly deviceSelect: HTMLSelectElement;
  private readonly severitySelect: HTMLSelectElement;
  private readonly modulePicker: HTMLDetailsElement;
  private readonly moduleSummary: HTMLElement;
  private readonly moduleBoxes = new Map<string, { box: HTMLInputElement; count: HTMLElement }>();
  private readonly searchInput: HTMLInputElement;
  private readonly pauseButton: HTMLButtonElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private devices: Device[] = [];
  private knownDevices = new Set<string>();
  private deviceRefreshTimer = 0;
  private health: Health | null = null;
  // History mode
  private nextCursor: string | null = null;
  private historyCount = 0;
  // Live mode: batches that arrive while the backlog is still loading.
  private early: LogLine[][] | null = null;
  private paused = false;
  /** null until the first connection: the first connect is not a "reconnect". */
  private wasConnected: boolean | null = null;
  private readonly disposers: (() => void)[] = [];

  /**
   * `embed` puts the page inside another one (a device's page): its filters live in that page's
   * URL path, and the device is fixed.
   */
  constructor(private readonly live: LiveConnection, private readonly embed: { path: string; device: string } | null = null) {
    if (live.connectionState === 'connected') this.wasConnected = true;
    this.view = new LogView(
      (line) => this.detail.show(line),
      (s) => this.renderStatus(s),
    );
    this.detail = new LineDetail(() => this.detail.hide());

    this.deviceSelect = el('select', { name: 'device', 'aria-label': 'Device' });
    this.severitySelect = el('select', { name: 'severity', 'aria-label': 'Severity' },
      el('option', { value: '' }, 'All severities'),
      ...SEVERITY_NAMES.map((name, n) => el('option', { value: n }, n === 0 ? `${n} ${name} only` : `≤ ${n} ${name} and worse`)));

    this.moduleSummary = el('summary', {}, 'Modules: all');
    const moduleList = el('div', { class: 'menu', role: 'group', 'aria-label': 'Modules' });
    for (const [id, label] of MODULE_LABELS) {
      const box = el('input', { type: 'checkbox', name: 'module', value: id });
      const n = el('span', { class: 'n' });
      this.moduleBoxes.set(id, { box, count: n });
      moduleList.append(el('label', { title: id }, box, el('span', { class: 'label' }, label), n));
    }
    const allModules = el('button', { type: 'button', class: 'link' }, 'Show all modules');
    allModules.addEventListener('click', () => {
      for (const { box } of this.moduleBoxes.values()) box.checked = false;
      this.onControlsChanged();
    });
    this.modulePicker = el('details', { class: 'picker' }, this.moduleSummary, el('div', { class: 'popup' }, moduleList, allModules));

    this.searchInput = el('input', {
      type: 'search',
      name: 'q',
      placeholder: 'Search history: words, "a phrase", prefix*',
      'aria-label': 'Search history',
      title: 'Full-text search of stored lines (press / to focus)',
      autocomplete: 'off',
      spellcheck: false,
    });
    const searchForm = el('form', { class: 'search', role: 'search' }, this.searchInput, el('button', { type: 'submit' }, 'Search'));
    searchForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.onControlsChanged('push', this.searchInput.value.trim() !== '');
    });

    this.pauseButton = el('button', { type: 'button', class: 'pause', 'aria-pressed': 'false' }, 'Pause');
    this.pauseButton.addEventListener('click', () => this.setPaused(!this.paused));
    this.clearButton = el('button', { type: 'button', title: 'Remove the lines shown (nothing is deleted from the store)' }, 'Clear view');
    this.clearButton.addEventListener('click', () => this.view.clear());

    this.banner = el('div', { class: 'banner', hidden: true });
    this.status = el('div', { class: 'statusbar', 'aria-live': 'polite' });

    this.element = el(
      'div',
      { class: 'page logs-page' },
      el('div', { class: 'toolbar' },
        embed ? null : el('label', { class: 'field' }, el('span', {}, 'Device'), this.deviceSelect),
        el('label', { class: 'field' }, el('span', {}, 'Severity'), this.severitySelect),
        this.modulePicker,
        searchForm,
        el('span', { class: 'spacer' }),
        this.pauseButton,
        this.clearButton),
      this.banner,
      el('div', { class: 'workspace' }, this.view.element, this.detail.element),
      this.status,
    );
    addBundleButton(this.element.querySelector<HTMLElement>('.toolbar')!, () => recentWindow(this.filters?.device));

    this.deviceSelect.addEventListener('change', () => this.onControlsChanged());
    this.severitySelect.addEventListener('change', () => this.onControlsChanged());
    moduleList.addEventListener('change', () => this.onControlsChanged());
    this.renderDeviceOptions();

    const onDocClick = (ev: MouseEvent): void => {
      if (ev.target instanceof Node && !this.modulePicker.contains(ev.target)) this.modulePicker.open = false;
    };
    const onKey = (ev: KeyboardEvent): void => {
      const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
      if (ev.key === 'Escape') {
        this.detail.hide();
        this.modulePicker.open = false;
      } else if (ev.key === '/' && !typing) {
        ev.preventDefault();
        this.searchInput.focus();
      }
    };
    document.addEventListener('click', onDocClick);
    document.addEventListener('keydown', onKey);
    this.disposers.push(
      () => document.removeEventListener('click', onDocClick),
      () => document.removeEventListener('keydown', onKey),
      live.onBatch((b) => this.onBatch(b.lines, b.missed, b.invalid)),
      live.onHealth((h) => this.onHealth(h)),
      live.onConnection((state) => this.onConnection(state)),
    );
    const timer = window.setInterval(() => void this.refreshDevices(), DEVICE_REFRESH_MS);
    this.disposers.push(() => clearInterval(timer), () => clearTimeout(this.deviceRefreshTimer));
    void this.refreshDevices();
  }

  /** Called with the URL's parameters on load and on Back/Forward. */
  update(params: URLSearchParams): void {
    const f = filtersFromParams(params);
    if (this.embed) f.device = this.embed.device;
    if (this.filters && sameFilters(f, this.filters)) return;
    this.apply(f);
  }

  destroy(): void {
    this.generation++;
    this.live.unsubscribe();
    this.view.dispose();
    for (const d of this.disposers) d();
  }

  private onControlsChanged(mode: 'push' | 'replace' = 'replace', rerun = false): void {
    const f: LogFilters = { modules: [] };
    if (this.embed) f.device = this.embed.device;
    else if (this.deviceSelect.value) f.device = this.deviceSelect.value;
    for (const [id, { box }] of this.moduleBoxes) if (box.checked) f.modules.push(id);
    f.modules.sort();
    if (this.severitySelect.value !== '') f.severity = Number(this.severitySelect.value);
    const q = this.searchInput.value.trim();
    if (q) f.q = q;
    // Entering or leaving a search is a step the Back button should undo.
    const params = paramsFromFilters(f);
    if (this.embed) params.delete('device');
    setRoute(this.embed?.path ?? '/logs', params, f.q !== this.filters?.q ? 'push' : mode);
    // Submitting the same search again runs it again: the store has grown since.
    if (!this.filters || !sameFilters(f, this.filters) || rerun) this.apply(f);
  }

  private apply(f: LogFilters): void {
    this.filters = f;
    this.generation++;
    this.syncControls(f);
    this.detail.hide();
    this.view.clear();
    this.setPaused(false);
    if (f.q) void this.startHistory(f, this.generation);
    else void this.startLive(f, this.generation);
  }

  private syncControls(f: LogFilters): void {
    this.renderDeviceOptions();
    this.deviceSelect.value = f.device ?? '';
    this.severitySelect.value = f.severity === undefined ? '' : String(f.severity);
    for (const [id, { box }] of this.moduleBoxes) box.checked = f.modules.includes(id);
    this.moduleSummary.textContent =
      f.modules.length === 0 ? 'Modules: all'
      : f.modules.length <= 2 ? `Modules: ${f.modules.join(', ')}`
      : `Modules: ${f.modules.length} selected`;
    this.modulePicker.classList.toggle('active', f.modules.length > 0);
    this.searchInput.value = f.q ?? '';
    this.pauseButton.hidden = Boolean(f.q);
    this.element.classList.toggle('history-mode', Boolean(f.q));
  }

  // ---- live mode ----

  private async startLive(f: LogFilters, gen: number): Promise<void> {
    this.setBanner(null);
    this.early = [];
    const sub: { device?: string; modules?: string[]; severity?: number } = {};
    if (f.device) sub.device = f.device;
    if (f.modules.length > 0) sub.modules = f.modules;
    if (f.severity !== undefined) sub.severity = f.severity;
    const lastId = await this.live.subscribe(sub);
    if (gen !== this.generation) return;
    this.renderEmptyState();

    let backlog: LogLine[] = [];
    try {
      // Lines received just before the subscription may still be on their way to the store.
      if (lastId !== null) await waitForStore(lastId, gen, () => this.generation);
      if (gen !== this.generation) return;
      const page = await fetchLogs({ ...f, q: undefined, limit: BACKLOG_LINES });
      if (gen !== this.generation) return;
      backlog = page.logs.reverse();
      if (page.invalid > 0) this.view.appendMarker(`${page.invalid} stored lines had an unexpected shape and are not shown`, 'warn');
    } catch (err) {
      if (gen !== this.generation) return;
      this.view.appendMarker(`Could not load recent history (${errorText(err)}); showing new lines only`, 'warn');
    }
    this.view.append(backlog);
    const seen = new Set(backlog.map((l) => l.id));
    const early = this.early ?? [];
    this.early = null;
    for (const batch of early) this.view.append(batch.filter((l) => !seen.has(l.id)));
  }

  private onBatch(lines: LogLine[], missed: number, invalid: number): void {
    if (!this.filters || this.filters.q) return;
    if (this.early) this.early.push(lines);
    else this.view.append(lines);
    // The server drops the newest lines when a client's queue is full, so the gap sits after
    // the lines it still had queued: after this batch is the nearest place we know of.
    if (missed > 0) this.view.appendMarker(`${count(missed)} lines skipped (too fast to display)`, 'skip');
    if (invalid > 0) this.view.appendMarker(`${count(invalid)} lines had an unexpected shape and are not shown`, 'warn');
    if (lines.some((l) => !this.knownDevices.has(l.device.address))) this.scheduleDeviceRefresh();
  }

  /** A new phone should show up in the picker soon after its first line, not at the next poll. */
  private scheduleDeviceRefresh(): void {
    if (this.deviceRefreshTimer !== 0) return;
    this.deviceRefreshTimer = window.setTimeout(() => {
      this.deviceRefreshTimer = 0;
      void this.refreshDevices();
    }, NEW_DEVICE_REFRESH_DELAY_MS);
  }

  private onConnection(state: ConnectionState): void {
    if (!this.filters || this.filters.q) return;
    const at = new Date().toLocaleTimeString();
    // Lines received while disconnected are stored; say where they are instead of pretending.
    if (state === 'disconnected' && this.wasConnected) {
      this.view.appendMarker(`Connection to the collector lost at ${at}; lines from now until it returns are in history, not here`, 'warn');
    } else if (state === 'connected' && this.wasConnected !== null) {
      this.view.appendMarker(`Reconnected at ${at}; live again`, 'info');
    }
    if (state === 'connected') this.wasConnected = true;
    else if (state === 'disconnected' && this.wasConnected) this.wasConnected = false;
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.view.setPaused(paused);
    this.pauseButton.setAttribute('aria-pressed', String(paused));
    this.pauseButton.classList.toggle('on', paused);
  }

  // ---- history mode ----

  private async startHistory(f: LogFilters, gen: number): Promise<void> {
    this.live.unsubscribe();
    this.nextCursor = null;
    this.historyCount = 0;
    this.renderHistoryBanner(f, 'searching');
    this.view.setEmptyMessage(el('p', {}, 'Searching…'));
    try {
      const page = await fetchLogs({ ...f, limit: HISTORY_PAGE_LINES });
      if (gen !== this.generation) return;
      this.nextCursor = page.nextCursor;
      this.historyCount = page.logs.length;
      this.view.append(page.logs.reverse());
      this.view.setEmptyMessage(
        el('p', {}, 'No stored line matches ', el('code', {}, f.q ?? ''), describeFilters(f) ? ` with ${describeFilters(f)}.` : '.'),
        el('p', { class: 'muted' }, 'Words are AND-ed; use "quotes" for a phrase and prefix* for word starts.'),
      );
      this.renderHistoryBanner(f, page.invalid > 0 ? `${page.invalid} results had an unexpected shape and are not shown` : null);
    } catch (err) {
      if (gen !== this.generation) return;
      this.view.setEmptyMessage(el('p', { class: 'bad' }, `Search failed: ${errorText(err)}`));
      this.renderHistoryBanner(f, null);
    }
  }

  private async loadOlder(f: LogFilters, gen: number): Promise<void> {
    if (!this.nextCursor) return;
    this.renderHistoryBanner(f, 'loading');
    try {
      const page = await fetchLogs({ ...f, cursor: this.nextCursor, limit: HISTORY_PAGE_LINES });
      if (gen !== this.generation) return;
      this.nextCursor = page.nextCursor;
      this.historyCount += page.logs.length;
      this.view.prepend(page.logs.reverse());
      this.renderHistoryBanner(f, null);
    } catch (err) {
      if (gen !== this.generation) return;
      this.renderHistoryBanner(f, `Loading older lines failed: ${errorText(err)}`);
    }
  }

  private renderHistoryBanner(f: LogFilters, note: 'searching' | 'loading' | string | null): void {
    const gen = this.generation;
    const back = el('button', { type: 'button', class: 'primary' }, '← Back to live tail');
    back.addEventListener('click', () => {
      this.searchInput.value = '';
      this.onControlsChanged('push');
    });
    const parts: (Node | string)[] = [el('strong', {}, 'History search '), el('code', {}, f.q ?? '')];
    const filt = describeFilters(f);
    if (filt) parts.push(` · ${filt}`);
    if (note === 'searching') parts.push(' · searching…');
    else parts.push(` · ${count(this.historyCount)} lines, newest at the bottom`);
    if (this.nextCursor && note !== 'searching') {
      const full = this.view.isFull;
      const older = el('button', { type: 'button', disabled: full || note === 'loading' },
        note === 'loading' ? 'Loading…' : full ? `Showing ${count(MAX_ROWS)} lines: narrow the search` : 'Load older');
      older.addEventListener('click', () => void this.loadOlder(f, gen));
      parts.push(' ', older);
    } else if (note !== 'searching' && this.historyCount > 0) {
      parts.push(el('span', { class: 'muted' }, ' · no older matches'));
    }
    if (note && note !== 'searching' && note !== 'loading') parts.push(el('span', { class: 'bad' }, ` · ${note}`));
    parts.push(el('span', { class: 'spacer' }), back);
    this.setBanner(parts);
  }

  private setBanner(content: (Node | string)[] | null): void {
    clear(this.banner);
    this.banner.hidden = content === null;
    if (content) this.banner.append(...content);
  }

  // ---- devices, health, empty state, status ----

  private async refreshDevices(): Promise<void> {
    try {
      this.devices = await fetchDevices();
      this.knownDevices = new Set(this.devices.map((d) => d.address));
    } catch {
      // The health strip shows when the collector is unreachable; keep the last list.
      return;
    }
    this.renderDeviceOptions();
    this.renderModuleCounts();
  }

  private renderDeviceOptions(): void {
    const current = this.filters?.device ?? this.deviceSelect.value;
    const options = [el('option', { value: '' }, `All devices (${this.devices.length})`)];
    const sorted = [...this.devices].sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
    for (const d of sorted) {
      const name = [d.hostname, d.model].filter(Boolean).join(' · ');
      options.push(el('option', { value: d.address }, `${d.online ? '●' : '○'} ${d.address}${name ? ` — ${name}` : ''}`));
    }
    // A deep link may name a device that has not sent anything yet: keep it selectable.
    if (current && !this.devices.some((d) => d.address === current)) {
      options.push(el('option', { value: current }, `${current} (not seen yet)`));
    }
    clear(this.deviceSelect);
    this.deviceSelect.append(...options);
    this.deviceSelect.value = current;
  }

  private renderModuleCounts(): void {
    const device = this.filters?.device;
    const totals = new Map<string, number>();
    for (const d of this.devices) {
      if (device && d.address !== device) continue;
      for (const [m, n] of Object.entries(d.modules)) totals.set(m, (totals.get(m) ?? 0) + n);
    }
    for (const [id, { count: span }] of this.moduleBoxes) {
      const n = totals.get(id) ?? 0;
      span.textContent = n > 0 ? count(n) : '';
    }
  }

  private onHealth(h: Health): void {
    const portsChanged = JSON.stringify(h.listeners) !== JSON.stringify(this.health?.listeners);
    this.health = h;
    if (portsChanged && this.filters && !this.filters.q) this.renderEmptyState();
  }

  private renderEmptyState(): void {
    const f = this.filters;
    if (!f) return;
    if (f.device || f.modules.length > 0 || f.severity !== undefined) {
      const reset = el('button', { type: 'button', class: 'link' }, 'Show all lines');
      reset.addEventListener('click', () => {
        this.deviceSelect.value = '';
        this.severitySelect.value = '';
        for (const { box } of this.moduleBoxes.values()) box.checked = false;
        this.onControlsChanged();
      });
      this.view.setEmptyMessage(
        el('p', {}, `Waiting for lines matching ${describeFilters(f)}.`),
        el('p', {}, reset, el('span', { class: 'muted' }, ' or search history above.')),
      );
      return;
    }
    const udp = this.health?.listeners.find((l) => l.name === 'syslog-udp');
    const tcp = this.health?.listeners.find((l) => l.name === 'syslog-tcp');
    const host = location.hostname || 'this host';
    const lines: Node[] = [
      el('p', { class: 'lead' }, 'No logs yet: point a phone\'s ', el('code', {}, 'system/syslog/server_address'),
        ` at this host (${host}), port ${udp && udp.state === 'listening' ? udp.port : '…'}.`),
      el('p', {}, 'On the phone also set ', el('code', {}, 'system/syslog/mode'), ' to ', el('code', {}, 'Network'),
        ' and ', el('code', {}, 'system/syslog/server_port'), ' to that port; raise ',
        el('code', {}, 'system/syslog/component/<module>'), ' for more detail.'),
    ];
    if (tcp && tcp.state === 'listening') lines.push(el('p', { class: 'muted' }, `Syslog over TCP is accepted on port ${tcp.port}.`));
    if (udp && udp.state !== 'listening') {
      lines.push(el('p', { class: 'bad' }, `The UDP syslog listener is ${udp.state}${udp.error ? `: ${udp.error}` : ''}.`));
    }
    this.view.setEmptyMessage(...lines);
  }

  private renderStatus(s: ViewStatus): void {
    this.pauseButton.textContent = s.paused ? `Resume (${count(s.buffered)} new)` : 'Pause';
    const parts = [`${count(s.rows)} rows`];
    if (s.trimmed > 0) parts.push(`${count(s.trimmed)} older lines left the view (it keeps the newest ${count(MAX_ROWS)})`);
    if (!this.filters?.q) parts.push(s.paused ? 'paused' : s.following ? 'following' : 'scrolled up: auto-scroll resumes at the bottom');
    this.status.textContent = parts.join(' · ');
  }
}

const STORE_CATCH_UP_POLL_MS = 100;
const STORE_CATCH_UP_MAX_MS = 5000;

/** Waits until the store has written every line up to `lastId` (usually at once, at most a flush). */
async function waitForStore(lastId: number, gen: number, current: () => number): Promise<void> {
  const deadline = Date.now() + STORE_CATCH_UP_MAX_MS;
  while (Date.now() < deadline && gen === current()) {
    const h = await fetchHealth().catch(() => null);
    if (!h || h.store.lastStoredId === undefined || h.store.lastStoredId >= lastId) return;
    await new Promise((r) => setTimeout(r, STORE_CATCH_UP_POLL_MS));
  }
}
