// The Calls list: every call any source told us of, searched, filtered, sorted and paged by the
// server (fast at 100,000 calls), refreshed live when calls change. The URL holds the view.
import { fetchDevices } from './api.js';
import { fetchCalls, type CallSummary, type Verdict } from './calls-api.js';
import { clear, el } from './dom.js';
import { count, dateTime, duration } from './format.js';
import type { LiveConnection } from './live.js';
import { callTitle, fixed, mosCell, verdictBadge } from './quality.js';
import { routeHash, setRoute } from './router.js';
import type { Device } from './types.js';
import { QUALITY_BY } from './quality-api.js';

const PAGE_SIZE = 50;
/** A burst of call changes costs one refetch of the page at most this often. */
const LIVE_REFETCH_MS = 1500;
const DEVICE_REFRESH_MS = 30_000;

const SINCE: ReadonlyMap<string, { label: string; ms: number | null }> = new Map([
  ['1h', { label: 'Last hour', ms: 3_600_000 }],
  ['24h', { label: 'Last 24 hours', ms: 86_400_000 }],
  ['7d', { label: 'Last 7 days', ms: 7 * 86_400_000 }],
  ['', { label: 'Any time', ms: null }],
]);
const VERDICT_FILTERS: ReadonlyMap<string, { label: string; verdicts: Verdict[] }> = new Map([
  ['', { label: 'All verdicts', verdicts: [] }],
  ['poor', { label: 'Poor only', verdicts: ['poor'] }],
  ['fair,poor', { label: 'Fair or poor', verdicts: ['fair', 'poor'] }],
  ['good', { label: 'Good only', verdicts: ['good'] }],
]);

interface Column { key: string; label: string; sort?: string; num?: boolean; defaultOrder?: 'asc' | 'desc' }
const COLUMNS: Column[] = [
  { key: 'device', label: 'Device' },
  { key: 'remote', label: 'Remote party' },
  { key: 'start', label: 'Start', sort: 'start', defaultOrder: 'desc' },
  { key: 'duration', label: 'Duration', sort: 'duration', num: true, defaultOrder: 'desc' },
  { key: 'codec', label: 'Codec' },
  { key: 'worst', label: 'Worst MOS', sort: 'worstMos', num: true, defaultOrder: 'asc' },
  { key: 'avg', label: 'Avg MOS', sort: 'avgMos', num: true, defaultOrder: 'asc' },
  { key: 'loss', label: 'Max loss', sort: 'loss', num: true, defaultOrder: 'desc' },
  { key: 'jitter', label: 'Max jitter', sort: 'jitter', num: true, defaultOrder: 'desc' },
  { key: 'verdict', label: 'Verdict' },
];

interface View {
  q: string; verdict: string; since: string; device: string; sort: string; order: 'asc' | 'desc'; page: number;
  /** From the quality view: calls that started in [startFrom, startTo), of one breakdown row. */
  startFrom: string; startTo: string; slice: { by: string; value: string } | null;
}

function viewFromParams(p: URLSearchParams): View {
  const sort = COLUMNS.some((c) => c.sort === p.get('sort')) ? (p.get('sort') as string) : 'start';
  const page = Number(p.get('page') ?? '1');
  const by = QUALITY_BY.find((b) => p.get(b.id));
  return {
    startFrom: p.get('startFrom') ?? '',
    startTo: p.get('startTo') ?? '',
    slice: by ? { by: by.id, value: p.get(by.id) ?? '' } : null,
    q: p.get('q')?.trim() ?? '',
    verdict: VERDICT_FILTERS.has(p.get('verdict') ?? '') ? (p.get('verdict') ?? '') : '',
    since: SINCE.has(p.get('since') ?? '') ? (p.get('since') ?? '') : '',
    device: p.get('device')?.trim() ?? '',
    sort,
    order: p.get('order') === 'asc' ? 'asc' : p.get('order') === 'desc' ? 'desc' : (COLUMNS.find((c) => c.sort === sort)?.defaultOrder ?? 'desc'),
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

function paramsFromView(v: View): URLSearchParams {
  const p = new URLSearchParams();
  if (v.q) p.set('q', v.q);
  if (v.verdict) p.set('verdict', v.verdict);
  if (v.since) p.set('since', v.since);
  if (v.device) p.set('device', v.device);
  if (v.startFrom) p.set('startFrom', v.startFrom);
  if (v.startTo) p.set('startTo', v.startTo);
  if (v.slice) p.set(v.slice.by, v.slice.value);
  if (v.sort !== 'start' || v.order !== 'desc') {
    p.set('sort', v.sort);
    p.set('order', v.order);
  }
  if (v.page > 1) p.set('page', String(v.page));
  return p;
}

export class CallsPage {
  readonly element: HTMLElement;
  private view: View | null = null;
  private readonly search: HTMLInputElement;
  private readonly verdictSelect: HTMLSelectElement;
  private readonly sinceSelect: HTMLSelectElement;
  private readonly deviceSelect: HTMLSelectElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly status: HTMLElement;
  /** What the quality view's link narrowed the list to, with a button that drops it. */
  private readonly scope: HTMLElement;
  private devices = new Map<number, Device>();
  private generation = 0;
  private refetchTimer = 0;
  private lastFetch = 0;
  private readonly disposers: (() => void)[] = [];

  constructor(live: LiveConnection) {
    this.search = el('input', { type: 'search', name: 'q', placeholder: 'Search Call-ID, local or remote party', 'aria-label': 'Search calls', autocomplete: 'off', spellcheck: false });
    const form = el('form', { class: 'search', role: 'search' }, this.search, el('button', { type: 'submit' }, 'Search'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.onControls('push');
    });
    this.verdictSelect = el('select', { name: 'verdict', 'aria-label': 'Verdict' }, ...[...VERDICT_FILTERS].map(([v, f]) => el('option', { value: v }, f.label)));
    this.sinceSelect = el('select', { name: 'since', 'aria-label': 'Time range' }, ...[...SINCE].map(([v, f]) => el('option', { value: v }, f.label)));
    this.deviceSelect = el('select', { name: 'device', 'aria-label': 'Device' });
    for (const s of [this.verdictSelect, this.sinceSelect, this.deviceSelect]) s.addEventListener('change', () => this.onControls('replace'));
    const poorOnly = el('button', { type: 'button', class: 'poor-only' }, 'Poor calls');
    poorOnly.addEventListener('click', () => {
      this.verdictSelect.value = this.verdictSelect.value === 'poor' ? '' : 'poor';
      this.onControls('push');
    });
    this.head = el('tr');
    this.body = el('tbody');
    this.pager = el('div', { class: 'pager' });
    this.status = el('div', { class: 'statusbar', 'aria-live': 'polite' });
    this.scope = el('div', { class: 'calls-scope', hidden: true });
    this.element = el('div', { class: 'page calls-page' },
      this.scope,
      el('div', { class: 'toolbar' },
        form,
        el('label', { class: 'field' }, el('span', {}, 'Verdict'), this.verdictSelect),
        poorOnly,
        el('label', { class: 'field' }, el('span', {}, 'When'), this.sinceSelect),
        el('label', { class: 'field' }, el('span', {}, 'Device'), this.deviceSelect),
        el('span', { class: 'spacer' }),
        this.pager),
      el('div', { class: 'table-scroll' }, el('table', { class: 'grid calls-table' }, el('thead', {}, this.head), this.body)),
      this.status);
    this.renderDeviceOptions();
    this.disposers.push(live.watchCalls(() => this.scheduleRefetch()));
    const timer = window.setInterval(() => void this.loadDevices(), DEVICE_REFRESH_MS);
    this.disposers.push(() => clearInterval(timer), () => clearTimeout(this.refetchTimer));
    void this.loadDevices();
  }

  update(params: URLSearchParams): void {
    const v = viewFromParams(params);
    if (this.view && paramsFromView(v).toString() === paramsFromView(this.view).toString()) return;
    this.view = v;
    this.syncControls(v);
    void this.load();
  }

  destroy(): void {
    this.generation++;
    for (const d of this.disposers) d();
  }

  private onControls(mode: 'push' | 'replace', patch: Partial<View> = {}): void {
    const v: View = {
      ...(this.view ?? viewFromParams(new URLSearchParams())),
      q: this.search.value.trim(),
      verdict: this.verdictSelect.value,
      since: this.sinceSelect.value,
      device: this.deviceSelect.value,
      page: 1,
      ...patch,
    };
    setRoute('/calls', paramsFromView(v), mode);
    this.update(paramsFromView(v));
  }

  private syncControls(v: View): void {
    this.search.value = v.q;
    this.verdictSelect.value = v.verdict;
    this.sinceSelect.value = v.since;
    this.renderDeviceOptions();
    this.renderScope(v);
    this.element.querySelector('.poor-only')?.classList.toggle('on', v.verdict === 'poor');
    clear(this.head);
    for (const c of COLUMNS) {
      if (!c.sort) {
        this.head.append(el('th', { class: c.num ? 'num' : '' }, c.label));
        continue;
      }
      const active = v.sort === c.sort;
      const order = active ? (v.order === 'asc' ? 'desc' : 'asc') : (c.defaultOrder ?? 'desc');
      const b = el('button', { type: 'button', class: 'sort', 'data-sort': c.sort }, c.label, active ? (v.order === 'asc' ? ' ▲' : ' ▼') : '');
      b.addEventListener('click', () => this.onControls('replace', { sort: c.sort ?? 'start', order }));
      this.head.append(el('th', { class: c.num ? 'num' : '', 'aria-sort': active ? (v.order === 'asc' ? 'ascending' : 'descending') : undefined }, b));
    }
  }

  private scheduleRefetch(): void {
    if (this.refetchTimer !== 0) return;
    const wait = Math.max(0, this.lastFetch + LIVE_REFETCH_MS - Date.now());
    this.refetchTimer = window.setTimeout(() => {
      this.refetchTimer = 0;
      void this.load();
    }, wait);
  }

  private async load(): Promise<void> {
    const v = this.view;
    if (!v) return;
    const gen = ++this.generation;
    this.lastFetch = Date.now();
    const since = SINCE.get(v.since)?.ms ?? null;
    const started = performance.now();
    try {
      const page = await fetchCalls({
        q: v.q || undefined,
        verdict: VERDICT_FILTERS.get(v.verdict)?.verdicts,
        from: since === null ? undefined : Date.now() - since,
        device: v.device || undefined,
        startFrom: v.startFrom || undefined,
        startTo: v.startTo || undefined,
        slice: v.slice ?? undefined,
        sort: v.sort,
        order: v.order,
        offset: (v.page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (gen !== this.generation) return;
      this.render(v, page.calls, page.total, performance.now() - started, page.invalid);
    } catch (err) {
      if (gen !== this.generation) return;
      this.status.textContent = `Could not load calls: ${err instanceof Error ? err.message : String(err)}`;
      this.status.classList.add('bad');
    }
  }

  private render(v: View, calls: CallSummary[], total: number, tookMs: number, invalid: number): void {
    this.status.classList.remove('bad');
    clear(this.body);
    if (calls.length === 0) {
      const filtered = v.q || v.verdict || v.since || v.device || v.startFrom || v.startTo || v.slice;
      this.body.append(el('tr', {}, el('td', { colspan: COLUMNS.length, class: 'empty-row' },
        filtered ? 'No call matches these filters.' : el('span', {}, 'No calls yet. Calls appear when a phone sends debug recordings or quality reports: see ',
          el('a', { href: '#/setup' }, 'Setup'), '.'))));
    }
    const now = Date.now();
    for (const c of calls) {
      const dev = c.deviceId === null ? undefined : this.devices.get(c.deviceId);
      const href = `#/calls/${c.id}`;
      const durMs = c.durationMs ?? (c.active ? now - Date.parse(c.start) : null);
      const row = el('tr', { class: `v-row-${c.verdict}${c.active ? ' live' : ''}`, 'data-call': c.id },
        el('td', { class: 'mono' }, dev ? el('a', { href: routeHash(`/devices/${encodeURIComponent(dev.address)}`, new URLSearchParams()) }, dev.address) : '—'),
        el('td', { title: c.remoteId ?? '' }, el('a', { href }, callTitle(c))),
        el('td', { class: 'mono', title: c.start }, dateTime(c.start).slice(0, 19)),
        el('td', { class: 'num' }, durMs === null ? '—' : duration(durMs / 1000), c.active ? el('span', { class: 'live-badge' }, ' ● live') : null),
        el('td', {}, c.codec ?? '—'),
        el('td', { class: 'num' }, mosCell(c.worstMos)),
        el('td', { class: 'num' }, mosCell(c.avgMos)),
        el('td', { class: 'num' }, fixed(c.maxLossPct, 1, ' %')),
        el('td', { class: 'num' }, fixed(c.maxJitterMs, 1, ' ms')),
        el('td', {}, verdictBadge(c.verdict, c.verdictReason)));
      row.addEventListener('click', (ev) => {
        if (ev.target instanceof Element && ev.target.closest('a')) return;
        location.hash = href;
      });
      this.body.append(row);
    }
    const first = total === 0 ? 0 : (v.page - 1) * PAGE_SIZE + 1;
    const last = Math.min(total, v.page * PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    clear(this.pager);
    const prev = el('button', { type: 'button', disabled: v.page <= 1 }, '‹ Newer');
    const next = el('button', { type: 'button', disabled: v.page >= pages }, 'Older ›');
    if (v.sort !== 'start' || v.order !== 'desc') {
      prev.textContent = '‹ Previous';
      next.textContent = 'Next ›';
    }
    prev.addEventListener('click', () => this.onControls('push', { page: v.page - 1 }));
    next.addEventListener('click', () => this.onControls('push', { page: v.page + 1 }));
    this.pager.append(prev, el('span', { class: 'range' }, `${count(first)}–${count(last)} of ${count(total)}`), next);
    this.status.textContent = `${count(total)} calls match · page ${count(v.page)} of ${count(pages)} · answered in ${Math.round(tookMs)} ms · updates live${invalid > 0 ? ` · ${invalid} calls had an unexpected shape and are not shown` : ''}`;
  }

  private renderScope(v: View): void {
    clear(this.scope);
    const parts: string[] = [];
    if (v.slice) parts.push(`${QUALITY_BY.find((b) => b.id === v.slice!.by)?.label ?? v.slice.by}: ${v.slice.value}`);
    if (v.startFrom || v.startTo) parts.push(`started ${v.startFrom ? dateTime(v.startFrom).slice(0, 16) : '…'} – ${v.startTo ? dateTime(v.startTo).slice(0, 16) : 'now'}`);
    this.scope.hidden = parts.length === 0;
    if (parts.length === 0) return;
    const drop = el('button', { type: 'button', class: 'scope-clear', 'aria-label': 'Show all calls again' }, '×');
    drop.addEventListener('click', () => this.onControls('push', { startFrom: '', startTo: '', slice: null }));
    this.scope.append(el('span', { class: 'muted' }, 'From the quality view: '), el('strong', { class: 'scope-text' }, parts.join(' · ')), ' ', drop);
  }

  private async loadDevices(): Promise<void> {
    const list = await fetchDevices().catch(() => null);
    if (!list) return;
    this.devices = new Map(list.map((d) => [Number(d.id), d]));
    this.renderDeviceOptions();
    if (this.view) void this.load();
  }

  private renderDeviceOptions(): void {
    const current = this.view?.device ?? '';
    clear(this.deviceSelect);
    this.deviceSelect.append(el('option', { value: '' }, 'All devices'));
    const sorted = [...this.devices.values()].sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
    for (const d of sorted) this.deviceSelect.append(el('option', { value: d.address }, `${d.address}${d.model ? ` · ${d.model}` : ''}`));
    if (current && !sorted.some((d) => d.address === current)) this.deviceSelect.append(el('option', { value: current }, current));
    this.deviceSelect.value = current;
  }
}
