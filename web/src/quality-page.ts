// Fleet quality: where is it bad? KPI tiles for a range with the change against the period before,
// poor share and mean MOS over time, and a breakdown worst first by site, model, firmware, peer or
// codec, each row linking to the calls behind it. Everything is aggregated by the server
// (GET /api/quality); the URL holds the range and the dimension.
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { clear, el } from './dom.js';
import { count, dateTime } from './format.js';
import { fixed, mosCell, VERDICT_COLOURS } from './quality.js';
import { fetchQuality, NO_VALUE, QUALITY_BY, type QualityJson, type QualityKpisJson, type QualityRowJson } from './quality-api.js';
import { routeHash, setRoute } from './router.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Legend);

const RANGES: ReadonlyArray<{ id: string; label: string; ms: number }> = [
  { id: '6h', label: 'Last 6 h', ms: 6 * 3_600_000 },
  { id: '24h', label: 'Last 24 h', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];
const DEFAULT_RANGE = '24h';
const REFRESH_MS = 60_000;
const MOS_COLOUR = '#1f5fbf';

/** A tile: how to read its value, and which way is worse (for the delta's colour). */
interface TileDef {
  key: string;
  label: string;
  value: (k: QualityKpisJson) => number | null;
  text: (v: number) => string;
  /** The delta in the tile's own unit ('pts' for a share). */
  deltaText: (d: number) => string;
  /** `neither`: a change is news, not good or bad (more calls). */
  worseWhen: 'higher' | 'lower' | 'neither';
}

const TILES: readonly TileDef[] = [
  { key: 'calls', label: 'Calls', value: (k) => k.calls, text: count, deltaText: (d) => count(d), worseWhen: 'neither' },
  { key: 'poorPct', label: 'Poor calls', value: (k) => k.poorPct, text: (v) => `${v.toFixed(1)} %`, deltaText: (d) => `${d.toFixed(1)} pts`, worseWhen: 'higher' },
  { key: 'meanMos', label: 'Mean MOS', value: (k) => k.meanMos, text: (v) => v.toFixed(2), deltaText: (d) => d.toFixed(2), worseWhen: 'lower' },
  { key: 'p5Mos', label: 'MOS, 5th percentile', value: (k) => k.p5Mos, text: (v) => v.toFixed(2), deltaText: (d) => d.toFixed(2), worseWhen: 'lower' },
  { key: 'loss', label: 'Mean worst loss', value: (k) => k.meanLossPct, text: (v) => `${v.toFixed(2)} %`, deltaText: (d) => `${d.toFixed(2)} pts`, worseWhen: 'higher' },
  { key: 'jitter', label: 'Mean worst jitter', value: (k) => k.meanJitterMs, text: (v) => `${v.toFixed(1)} ms`, deltaText: (d) => `${d.toFixed(1)} ms`, worseWhen: 'higher' },
  { key: 'oneWay', label: 'One-way audio', value: (k) => k.oneWay, text: count, deltaText: (d) => count(d), worseWhen: 'higher' },
  { key: 'crashes', label: 'Crashes', value: (k) => k.crashes, text: count, deltaText: (d) => count(d), worseWhen: 'higher' },
];

interface View { range: string; by: string }

function viewFromParams(p: URLSearchParams): View {
  const range = RANGES.some((r) => r.id === p.get('range')) ? p.get('range')! : DEFAULT_RANGE;
  const by = QUALITY_BY.some((b) => b.id === p.get('by')) ? p.get('by')! : 'site';
  return { range, by };
}

function paramsFromView(v: View): URLSearchParams {
  return new URLSearchParams({ range: v.range, by: v.by });
}

/** The calls list holding exactly the calls a breakdown row (or the whole range) counted. */
function callsLink(q: QualityJson, row: QualityRowJson | null, poorOnly: boolean): string {
  const p = new URLSearchParams({ startFrom: q.from, startTo: q.to });
  if (row) p.set(q.by, row.key ?? NO_VALUE);
  if (poorOnly) p.set('verdict', 'poor');
  return routeHash('/calls', p);
}

export class QualityPage {
  readonly element: HTMLElement;
  private view: View | null = null;
  private readonly rangeButtons: HTMLButtonElement[];
  private readonly bySelect: HTMLSelectElement;
  private readonly tiles: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private readonly caption: HTMLElement;
  private chart: Chart | null = null;
  private generation = 0;
  private readonly timer: number;

  constructor() {
    this.rangeButtons = RANGES.map((r) => {
      const b = el('button', { type: 'button', class: 'range-button', 'data-range': r.id }, r.label);
      b.addEventListener('click', () => this.go({ ...this.current(), range: r.id }));
      return b;
    });
    this.bySelect = el('select', { name: 'by', 'aria-label': 'Break down by' }, ...QUALITY_BY.map((b) => el('option', { value: b.id }, b.label)));
    this.bySelect.addEventListener('change', () => this.go({ ...this.current(), by: this.bySelect.value }));
    this.tiles = el('div', { class: 'tiles quality-tiles' });
    this.canvas = el('canvas', { 'aria-label': 'Poor share and mean MOS over time', role: 'img' });
    this.head = el('tr');
    this.body = el('tbody');
    this.caption = el('span', { class: 'muted' });
    this.status = el('div', { class: 'statusbar', 'aria-live': 'polite' });
    this.element = el('div', { class: 'page quality-page scroll-page' },
      el('div', { class: 'toolbar' },
        el('span', { class: 'field' }, el('span', {}, 'Range'), el('span', { class: 'range-buttons', role: 'group', 'aria-label': 'Range' }, ...this.rangeButtons)),
        el('span', { class: 'spacer' }),
        this.caption),
      this.tiles,
      el('section', { class: 'card quality-chart-card' },
        el('header', {}, el('h2', {}, 'Poor share and mean MOS over time')),
        el('div', { class: 'quality-chart' }, this.canvas)),
      el('section', { class: 'card quality-breakdown-card' },
        el('header', {}, el('h2', {}, 'Worst first by'), el('label', { class: 'field' }, this.bySelect)),
        el('div', { class: 'table-scroll' }, el('table', { class: 'grid compact quality-breakdown' }, el('thead', {}, this.head), this.body))),
      this.status);
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  update(params: URLSearchParams): void {
    const v = viewFromParams(params);
    if (this.view && paramsFromView(v).toString() === paramsFromView(this.view).toString()) return;
    this.view = v;
    for (const b of this.rangeButtons) b.classList.toggle('on', b.dataset.range === v.range);
    this.bySelect.value = v.by;
    void this.load();
  }

  destroy(): void {
    this.generation++;
    clearInterval(this.timer);
    this.chart?.destroy();
  }

  private current(): View {
    return this.view ?? viewFromParams(new URLSearchParams());
  }

  private go(v: View): void {
    setRoute('/quality', paramsFromView(v), 'replace');
    this.update(paramsFromView(v));
  }

  private async load(): Promise<void> {
    const v = this.view;
    if (!v) return;
    const gen = ++this.generation;
    const span = RANGES.find((r) => r.id === v.range)!.ms;
    const to = Date.now();
    const started = performance.now();
    try {
      const q = await fetchQuality({ from: to - span, to, by: v.by as QualityJson['by'] });
      if (gen !== this.generation) return;
      this.render(q, RANGES.find((r) => r.id === v.range)!.label.toLowerCase());
      this.status.classList.remove('bad');
      this.status.textContent = `${count(q.kpis.calls)} calls started ${dateTime(q.from).slice(0, 16)} – ${dateTime(q.to).slice(0, 16)} · steps of ${stepText(q.bucketMs)} · answered in ${Math.round(performance.now() - started)} ms · refreshes every minute`;
    } catch (err) {
      if (gen !== this.generation) return;
      this.status.textContent = `Could not load the quality view: ${err instanceof Error ? err.message : String(err)}`;
      this.status.classList.add('bad');
    }
  }

  private render(q: QualityJson, rangeLabel: string): void {
    this.caption.textContent = `compared with the ${rangeLabel.replace(/^last /, 'previous ')}`;
    clear(this.tiles);
    for (const t of TILES) this.tiles.append(tile(t, q, t.key === 'calls' ? callsLink(q, null, false) : t.key === 'poorPct' ? callsLink(q, null, true) : null));
    this.renderChart(q);
    this.renderBreakdown(q);
  }

  private renderChart(q: QualityJson): void {
    const labels = q.series.map((p) => p.start);
    const poor = q.series.map((p) => p.poorPct);
    const mos = q.series.map((p) => p.meanMos);
    const short = q.bucketMs < 86_400_000;
    const tick = (iso: string) => (short && q.series.length <= 100 ? dateTime(iso).slice(11, 16) : dateTime(iso).slice(5, 16));
    if (this.chart) this.chart.destroy();
    this.chart = new Chart(this.canvas, {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'Poor calls (%)', data: poor, yAxisID: 'poor', borderColor: VERDICT_COLOURS.poor, backgroundColor: VERDICT_COLOURS.poor, spanGaps: false, pointRadius: q.series.length > 150 ? 0 : 2, borderWidth: 2 },
          { label: 'Mean MOS', data: mos, yAxisID: 'mos', borderColor: MOS_COLOUR, backgroundColor: MOS_COLOUR, spanGaps: false, pointRadius: q.series.length > 150 ? 0 : 2, borderWidth: 2 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'category', ticks: { callback: (_v, i) => tick(labels[i] ?? ''), maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
          poor: { type: 'linear', position: 'left', min: 0, suggestedMax: 20, title: { display: true, text: 'poor %' } },
          mos: { type: 'linear', position: 'right', min: 1, max: 5, grid: { drawOnChartArea: false }, title: { display: true, text: 'MOS' } },
        },
        plugins: {
          legend: { position: 'top', align: 'end' },
          tooltip: {
            callbacks: {
              title: (items) => dateTime(labels[items[0]?.dataIndex ?? 0] ?? '').slice(0, 16),
              footer: (items) => { const p = q.series[items[0]?.dataIndex ?? 0]; return p ? `${count(p.calls)} calls, ${count(p.poor)} poor` : ''; },
            },
          },
        },
      },
    });
  }

  private renderBreakdown(q: QualityJson): void {
    const label = QUALITY_BY.find((b) => b.id === q.by)?.label ?? q.by;
    const crashes = q.by === 'model' || q.by === 'firmware';
    const columns = [label, 'Calls', 'Poor', 'Poor %', 'Mean MOS', '5th pct MOS', 'Mean loss', 'Mean jitter', 'One-way', ...(crashes ? ['Crashes'] : [])];
    clear(this.head);
    columns.forEach((c, i) => this.head.append(el('th', { class: i === 0 ? '' : 'num' }, c)));
    clear(this.body);
    if (q.breakdown.length === 0) {
      this.body.append(el('tr', {}, el('td', { colspan: columns.length, class: 'empty-row' }, 'No calls started in this range.')));
      return;
    }
    for (const r of q.breakdown) {
      this.body.append(el('tr', { class: r.poorPct !== null && r.poorPct >= 10 ? 'v-row-poor' : '', 'data-key': r.key ?? NO_VALUE },
        el('td', {}, el('a', { href: callsLink(q, r, false), class: 'slice-link', title: `The ${count(r.calls)} calls of ${r.key ?? 'no known value'}` }, r.key ?? `(unknown ${label.toLowerCase()})`)),
        el('td', { class: 'num' }, count(r.calls)),
        el('td', { class: 'num' }, r.poor > 0 ? el('a', { href: callsLink(q, r, true), class: 'poor-link' }, count(r.poor)) : '0'),
        el('td', { class: 'num' }, r.poorPct === null ? '—' : `${r.poorPct.toFixed(1)} %`),
        el('td', { class: 'num' }, mosCell(r.meanMos)),
        el('td', { class: 'num' }, mosCell(r.p5Mos)),
        el('td', { class: 'num' }, fixed(r.meanLossPct, 2, ' %')),
        el('td', { class: 'num' }, fixed(r.meanJitterMs, 1, ' ms')),
        el('td', { class: 'num' }, count(r.oneWay)),
        crashes ? el('td', { class: 'num' }, r.crashes === null ? '—' : count(r.crashes)) : null));
    }
    if (q.truncated) this.body.append(el('tr', {}, el('td', { colspan: columns.length, class: 'empty-row' }, `Only the worst ${q.breakdown.length} are shown.`)));
  }
}

function tile(t: TileDef, q: QualityJson, href: string | null): HTMLElement {
  const now = t.value(q.kpis);
  const before = t.value(q.previous);
  const delta = now === null || before === null ? null : now - before;
  const worse = delta !== null && delta !== 0 && (t.worseWhen === 'higher' ? delta > 0 : delta < 0);
  const tone = delta === 0 || t.worseWhen === 'neither' ? '' : worse ? 'worse' : 'better';
  const note = delta === null
    ? el('div', { class: 'tile-note muted' }, before === null ? 'nothing to compare with' : '\u00a0')
    : el('div', { class: `tile-note delta ${tone}` },
      delta === 0 ? 'no change' : `${delta > 0 ? '▲ +' : '▼ −'}${t.deltaText(Math.abs(delta))}`, el('span', { class: 'muted' }, ` (before: ${before === null ? '—' : t.text(before)})`));
  const body = [el('div', { class: 'tile-label' }, t.label), el('div', { class: 'tile-value', 'data-kpi': t.key }, now === null ? '—' : t.text(now)), note];
  return href ? el('a', { class: 'tile', href, 'data-tile': t.key }, ...body) : el('div', { class: 'tile', 'data-tile': t.key }, ...body);
}

function stepText(ms: number): string {
  return ms >= 86_400_000 ? `${ms / 86_400_000} day` : ms >= 3_600_000 ? `${ms / 3_600_000} h` : `${ms / 60_000} min`;
}
